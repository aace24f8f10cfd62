// Package flows is esimbot's domain: the conversation that takes a customer
// (or a shop agent) from "I need an eSIM" to an installed eSIM, the sale
// ledger's lifecycle, users and roles, and the interfaces it needs from the
// outside: a Store for what must survive restarts, a Messenger to talk to
// the user, and the reseller operations.
//
// flows knows nothing of Telegram or bbolt: package bot adapts Telegram to
// it, package storage implements its Store on bbolt, and flows/memstore
// implements it in memory for tests. flows says what to show (text,
// buttons, a message that replaces the screen whose button was pressed, a
// QR code of an LPA string, a request for a phone number, what the
// conversation awaits); the channel decides how: edit or send, draw the
// picture, open and close keyboards.
//
// # The conversation
//
// A conversation is at a step. Every step is one definition in the step
// table (steps.go, stepDef): the screen it shows, drawn from the
// conversation and loaded data only; the data that screen needs; the
// actions of its buttons, its handling of text and of a shared contact;
// where Back goes; the locale keys it uses. Commands and the buttons that
// stay valid across screens (on a delivered eSIM) have tables of their own.
//
// An event is looked up in the tables (handlerOf) and handled by a
// transition: a plain function from the conversation, the user and the
// input to the next conversation and effects. Transitions do no I/O. One
// that needs data (the catalog, the user's eSIMs) returns a fetch: the
// engine loads it (data.go) and runs the transition again. The engine then
// carries out the effects: show the step's screen, say something, sell,
// send an eSIM again, forget the user. A transition that enters a step
// fixes what its screen offers (which bundle is button 3, the page), so a
// screen shown again is the same screen under the same stamp (DESIGN.md
// invariant 6), and a sale is written before it is attempted (invariant 2).
//
// The steps, and the events that move on from each to the steps listed
// ("text" is typed text, "contact" a shared phone number, "back" the Back
// button, other words the actions of the buttons; without a step, the
// event stays). TestStepGraph keeps this drawing true to the table:
//
//	menu          buy → destination; esims → esims; help → help; lang → language;
//	              usage → usage_pick, usage; text → destination, pick_country, bundles; back → menu
//	destination   c → bundles, destination; cruise → bundles; global → bundles; regions → regions;
//	              text → destination, pick_country, bundles; back → menu
//	pick_country  c → bundles, destination; cruise → bundles; global → bundles; regions → regions;
//	              text → destination, pick_country, bundles; back → destination
//	regions       r → bundles; text → destination, pick_country, bundles; back → destination
//	bundles       b → bundle; next; prev; text → bundle, destination, pick_country, bundles;
//	              back → regions, destination
//	bundle        choose → email; text → destination, pick_country, bundles; back → bundles
//	email         use → name, summary; text → name, summary; back → summary, topup_bundles, bundle
//	name          use → whatsapp, summary; text → whatsapp, summary; back → summary, email
//	whatsapp      skip → summary; text → summary; contact → summary; back → summary, name
//	summary       cancel → menu; confirm → selling, menu, bundles; edit → email, name, whatsapp;
//	              back → whatsapp
//	selling       text; back → menu
//	esims         buy_new → destination; e → esim; text → esim; back → menu
//	esim          qr; topup → topup_bundles; usage → usage; back → esims
//	topup_bundles b → topup_summary; text → topup_summary; back → esim
//	topup_summary cancel → menu; confirm → selling, menu, topup_bundles; back → topup_bundles
//	usage_pick    u → usage; text → usage; back → menu
//	usage         refresh; back → esim, menu
//	alerts        al; mt; back → menu
//	language      l → menu; back → menu
//	forget        no → menu; yes → menu; back → menu
//	help          text → destination, pick_country, bundles; back → menu
//	help_iphone   back → help
//	help_android  back → help
//	help_nodata   back → help
//	help_device   text; back → help, summary
//	help_validity back → help
//	help_terms    back → help
//	support       text; media; other; back → menu
//	any step      /start → menu, destination, regions, bundles, bundle; /buy → destination;
//	              /esims → esims; /usage → usage_pick, usage; /alerts → alerts; /language → language;
//	              /help; /cancel → menu; /forget → forget; /menu → menu; /orders → esims; /paysupport;
//	              /terms; /invite; /agents; /sales; /find
//	any step      g.buy → destination; g.csv; g.esim_ok; g.esims → esims;
//	              g.help → help, help_iphone, help_android, help_nodata, help_device, help_validity, help_terms;
//	              g.menu → menu; g.mute; g.qr; g.revoke; g.support → support; g.tu → topup_bundles;
//	              g.usage → usage
//
// To add a step: a Step constant (steps.go), its stepDef in stepTable (its
// screen, buttons, text, Back, keys), the transitions that lead to it in
// the definitions of the steps before, its messages in every catalog of
// package locales; then a case per handler in TestTransitions, its draft
// in screenDrafts (TestScreens), and go test ./flows -run TestStepGraph
// -update-graph to redraw the graph above.
package flows
