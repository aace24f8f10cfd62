// Package sandbox is an in-memory, stateful and deterministic implementation
// of the reseller API, served as an http.Handler. It lets tests, demos and
// operators without reseller credentials run esimbot end to end: log in,
// list bundles, sell them, top them up, and watch orders and consumption
// evolve, without a real wallet or real eSIMs.
//
// The sandbox encodes its JSON on its own (it does not import the client
// package), so that tests of the client exercise its tolerant decoding
// against an independent implementation; Quirks and ListShape switch on the
// alternate wire forms that some deployments use. Responses conform to
// reseller/openapi.yaml; an unknown iccid answers 404 "Profile not found"
// on every endpoint that takes one, as the document's error catalog says.
//
// # Rules
//
//   - Determinism: the catalog (countries, regions, bundles, prices,
//     networks), the reseller ID, and the order IDs, ICCIDs, matching IDs and
//     plan UIDs of successive sales follow from Options.Seed alone. Access and
//     refresh tokens are random.
//   - Time: every time-dependent answer (token expiry, activation delay,
//     profile status, consumption, expiry) reads Options.Now, so tests drive
//     the sandbox with a fake clock and never sleep.
//   - Countries are the ISO 3166 countries known to golang.org/x/text, grouped
//     into six regions by UN M.49 containment: EUR (Europe), ASI (Asia), MEA
//     (Middle East: Western Asia and Egypt), AFR (Africa), AMR (Americas) and
//     OCE (Oceania). Every country has 3 to 7 country bundles; every region has
//     region bundles; there are global bundles (coverage: every country) and
//     cruise bundles (coverage: Southern Europe and the Caribbean). Bundles of
//     every category exist with profile type GLOBAL_ESIM (code suffix "_G").
//   - Prices: bundle_price_final < reseller_retail_price <= subscriber_price,
//     two decimals, in Options.Currency. A sale charges bundle_price_final to
//     the wallet and is refused when the wallet holds less.
//   - Visibility: with show_global_esim_bundles off only STANDARD bundles are
//     listed or sold, and asking for GLOBAL_ESIM answers 400 "Feature not
//     supported". Bundles made unavailable with SetBundleAvailable are never
//     listed nor sold. GET /Countries and /Regions list the countries and
//     regions that a listed country or region bundle covers.
//   - Orders: an order's activation data (activation_code, smdp_address,
//     matching_id, plan_uid, plan_status) is null and its status "pending"
//     until Options.ActivationDelay has passed since the sale; then the
//     status is "success". Order references are unique across sales and
//     top-ups; an empty reference is replaced by a generated "SBX-nnnnnn".
//   - Profiles: a sale creates a profile (an ICCID) whose status is
//     "released" until ten minutes after its activation data appears,
//     "downloaded" for the rest of the first hour, then "active". Data (and
//     calls and SMS) are consumed from the moment the profile is active, at a
//     steady per-order rate of 4 to 12 percent of the total per day, derived
//     from the order ID; an order past its expiry date is "expired", one used up is
//     "depleted". Unlimited bundles report -1 for remaining and total data.
//   - Top-ups: a STANDARD profile can be topped up with STANDARD bundles that
//     support top-up and have the same coverage as the profile's first
//     bundle (same category, and same country or region); a GLOBAL_ESIM
//     profile with any GLOBAL_ESIM bundle that supports top-up. A top-up
//     keeps the profile's ICCID and activation data.
//   - Checks on a sale run in this order: the request fields, the order
//     reference (409 when it exists already, so that a retried sale is
//     recognised whatever else has changed), the previous order (for a
//     top-up), the bundle, the feature flag, the profile's top-up list (for
//     a top-up), then the wallet. A refused sale changes nothing.
//   - Paging: page_size defaults to 50 and is capped at 500; page_number
//     starts at 1. The envelope's total counts every match before paging.
//   - State: Snapshot returns what sales and top-ups changed (orders,
//     profiles, the wallet, the sequences of IDs, ICCIDs and generated
//     references) as opaque JSON, and Restore puts it back into a new
//     sandbox of the same seed, so that a program can keep the sandbox
//     across restarts. Options.OnChange is handed what each sale and
//     top-up changed (the new order and the head of the state), before
//     the answer, so that a program can keep the state a sale at a time
//     and give it to RestoreChanges; the cost of a sale does not grow with
//     the orders before it. Tokens are not kept: a
//     restored sandbox answers 401 to the old ones and the client logs in
//     again.
//   - Control: SetRetailPrice, SetBundlePrice and SetBundleAvailable change
//     a bundle's prices or withdraw it while clients run (a price change
//     between an invoice and its payment, say); the listing shows the change
//     at once and the next sale is charged the new bundle_price_final, or
//     refused 400 "Bundle is not available". With Options.Control the same
//     is served over HTTP under ControlPrefix, outside the API prefix,
//     behind basic auth with the login's credentials. Catalog changes are
//     not in a Snapshot: a restarted sandbox has the seed's catalog again.
//   - Faults injected with Inject (or from flags, see Flags) simulate
//     latency, error statuses, dropped connections, sales that commit but
//     never answer, answer 401/403 or commit after the client gave up, and
//     revoked tokens (a delayed request whose client gave up is not
//     handled); their Rate draws from a seeded generator, so a run with
//     the same seed and the same requests hits the same requests.
//
// The sandbox is safe for concurrent use and starts no goroutines.
package sandbox
