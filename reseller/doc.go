// Package reseller is a client for the eSIM reseller API: log in, list
// bundles, countries, regions and networks, assign (sell) a bundle, top up
// an existing eSIM, and follow orders and consumption.
//
// It is usable on its own, like an SDK, and depends on nothing else of
// esimbot. The package is written to be tolerant of the differences between
// deployments of the platform:
//
//   - Every endpoint path is configuration (see [Paths]); the base URL
//     carries the prefix (/api/v1 or /api/v0).
//   - Lists are accepted as a bare JSON array or inside an object
//     ({"bundles": [...], "total_bundles_count": N}); 204 No Content is an
//     empty result.
//   - Identifiers and codes may be numbers or strings ([FlexString]); counts
//     may be numbers or numeric strings ([FlexInt]); booleans may be strings;
//     data quotas may be megabytes or an unlimited marker ([DataQuota]);
//     prices are decimals, never binary floats ([decimal.Decimal]); token
//     lifetimes may be seconds or a Unix time.
//   - Error bodies carry any of title, message, developer_message, detail;
//     all are kept in [*APIError], which matches the sentinel errors of this
//     package with [errors.Is].
//
// Reads (GET) are retried with backoff and jitter; purchases ([Client.AssignBundle],
// [Client.TopupBundle]) are never retried: a lost response is reported as
// [ErrOutcomeUnknown] and the caller reconciles with [Client.OrderByReference].
// Tokens and the password never appear in errors or in the formatted value
// of any type of this package.
package reseller
