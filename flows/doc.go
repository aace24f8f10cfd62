// Package flows is esimbot's domain: the conversation that takes a customer
// (or a shop agent) from "I need an eSIM" to an installed eSIM, the sale
// ledger's lifecycle, users and roles, and the interfaces it needs from the
// outside: a Store for what must survive restarts, a Messenger to talk to
// the user, and the reseller operations.
//
// flows knows nothing of Telegram or bbolt: package bot adapts Telegram to
// it, package storage implements its Store on bbolt, and flows/memstore
// implements it in memory for tests.
package flows
