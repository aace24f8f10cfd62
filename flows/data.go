package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

// source is a kind of data that a screen shows or a transition decides on.
// Transitions and screens do no I/O: they name what they need (a need) and
// the engine loads it (loaders), once per turn.
type source int

// The sources. A need's key says which one of its kind, where it has one.
const (
	srcCountries    source = iota + 1 // the ISO-3 codes of the countries with bundles
	srcRegions                        // the regions with bundles
	srcOffers                         // a destination's bundles, cheapest first (key: kind|code)
	srcFreshOffers                    // the same, read again past the cache (confirming)
	srcNetworks                       // a bundle's networks (key: its code)
	srcBundle                         // a bundle found in the whole catalog (key: its code)
	srcTopups                         // the top-ups a profile can take (key: ICCID)
	srcFreshTopups                    // the same, read again past the cache (confirming)
	srcESIMs                          // the user's eSIMs, newest first
	srcESIM                           // an eSIM and the sales on it (key: its first sale's reference)
	srcUsage                          // what remains on a profile (key: ICCID)
	srcProfileSales                   // the sales on a profile (key: ICCID)
	srcSale                           // a sale (key: its reference)
)

// need names data to load: a source and its key.
type need struct {
	src source
	key string
}

func (n need) String() string {
	if n.key == "" {
		return loaders[n.src].name
	}
	return loaders[n.src].name + " " + n.key
}

var needCountries, needRegions, needESIMs = need{src: srcCountries}, need{src: srcRegions}, need{src: srcESIMs}

func needOffers(kind, code string) need { return need{srcOffers, kind + "|" + code} }
func needNetworks(code string) need     { return need{srcNetworks, code} }
func needBundle(code string) need       { return need{srcBundle, code} }
func needTopups(iccid string) need      { return need{srcTopups, iccid} }
func needESIM(ref string) need          { return need{srcESIM, ref} }
func needUsage(iccid string) need       { return need{srcUsage, iccid} }
func needProfileSales(iccid string) need {
	return need{srcProfileSales, iccid}
}
func needSale(ref string) need { return need{srcSale, ref} }

// needFresh is the need of a draft's bundle list read past the cache, to
// confirm its bundle.
func needFresh(d Draft) need {
	if d.Kind == KindTopup {
		return need{srcFreshTopups, d.ICCID}
	}
	return need{srcFreshOffers, d.DestKind + "|" + d.DestCode}
}

// loader loads one source.
type loader struct {
	name string
	load func(ctx context.Context, e *Engine, u User, key string) (any, error)
	// typing shows "typing…" while it loads (the user waits).
	typing bool
	// store reads the store: a failure is an internal error, not the
	// reseller's trouble.
	store bool
}

var loaders = map[source]loader{
	srcCountries: {name: "countries", load: func(ctx context.Context, e *Engine, _ User, _ string) (any, error) {
		return e.availableCountries(ctx)
	}},
	srcRegions: {name: "regions", load: func(ctx context.Context, e *Engine, _ User, _ string) (any, error) {
		return e.regions(ctx)
	}},
	srcOffers: {name: "offers", load: func(ctx context.Context, e *Engine, _ User, key string) (any, error) {
		kind, code, _ := strings.Cut(key, "|")
		return e.destinationBundles(ctx, kind, code, false)
	}},
	srcFreshOffers: {name: "fresh offers", typing: true, load: func(ctx context.Context, e *Engine, _ User, key string) (any, error) {
		kind, code, _ := strings.Cut(key, "|")
		return e.destinationBundles(ctx, kind, code, true)
	}},
	srcNetworks: {name: "networks", typing: true, load: func(ctx context.Context, e *Engine, _ User, key string) (any, error) {
		return e.networks(ctx, key)
	}},
	srcBundle: {name: "bundle", load: func(ctx context.Context, e *Engine, _ User, key string) (any, error) {
		if o, ok := e.findBundle(ctx, key); ok {
			return &o, nil
		}
		return (*BundleOffer)(nil), nil
	}},
	srcTopups: {name: "topups", load: func(ctx context.Context, e *Engine, _ User, key string) (any, error) {
		return e.topupOffers(ctx, key, false)
	}},
	srcFreshTopups: {name: "fresh topups", typing: true, load: func(ctx context.Context, e *Engine, _ User, key string) (any, error) {
		return e.topupOffers(ctx, key, true)
	}},
	srcESIMs: {name: "esims", store: true, load: func(ctx context.Context, e *Engine, u User, _ string) (any, error) {
		sales, err := e.store.SalesByUser(ctx, u.ID)
		return esimsOf(sales), err
	}},
	srcESIM: {name: "esim", store: true, load: func(ctx context.Context, e *Engine, _ User, key string) (any, error) {
		return e.loadESIM(ctx, key)
	}},
	srcUsage: {name: "usage", typing: true, load: func(ctx context.Context, e *Engine, _ User, key string) (any, error) {
		return e.loadUsage(ctx, key)
	}},
	srcProfileSales: {name: "profile sales", store: true, load: func(ctx context.Context, e *Engine, _ User, key string) (any, error) {
		return e.store.SalesByICCID(ctx, key)
	}},
	srcSale: {name: "sale", store: true, load: func(ctx context.Context, e *Engine, _ User, key string) (any, error) {
		return e.store.Sale(ctx, key)
	}},
}

// loaded is what the engine loaded during a turn, by need.
type loaded map[need]result

// result is a load's value, or why it failed.
type result struct {
	v   any
	err error
}

// storeError is a failed read of the store: an internal error, which the
// user is not asked to work around.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// get returns loaded data: ok is false when it was not loaded yet.
func get[T any](d loaded, n need) (v T, ok bool, err error) {
	r, ok := d[n]
	if !ok {
		return v, false, nil
	}
	v, _ = r.v.(T)
	return v, true, r.err
}

// want returns loaded data, or the effects to get it first: a fetch when
// it is not loaded yet, and the trouble when loading it failed.
func want[T any](in input, n need) (T, []effect) {
	v, ok, err := get[T](in.data, n)
	switch {
	case !ok:
		return v, []effect{fetch{n}}
	case err != nil:
		return v, []effect{trouble{err}}
	}
	return v, nil
}

// attempt returns loaded data and why it failed, for a transition that
// goes on without it; or the fetch to load it first.
func attempt[T any](in input, n need) (v T, wait []effect, err error) {
	v, ok, err := get[T](in.data, n)
	if !ok {
		return v, []effect{fetch{n}}, nil
	}
	return v, nil, err
}

// look returns data a screen declared in its step's needs.
func look[T any](v view, n need) (T, error) {
	x, ok, err := get[T](v.data, n)
	if !ok {
		return x, fmt.Errorf("flows: %v not loaded for step %s", n, v.c.Step)
	}
	return x, err
}

// fetches returns the needs among effects.
func fetches(effects []effect) []need {
	var out []need
	for _, ef := range effects {
		if f, ok := ef.(fetch); ok {
			out = append(out, f.need)
		}
	}
	return out
}

// errNoProfile: a sale without an ICCID has no eSIM to show.
var errNoProfile = errors.New("sale without a profile")

// esimData is an eSIM: its first sale and every sale on its profile.
type esimData struct {
	first Sale
	all   []Sale
}

// loadESIM loads the eSIM of a first sale.
func (e *Engine) loadESIM(ctx context.Context, ref string) (esimData, error) {
	s, err := e.store.Sale(ctx, ref)
	if err != nil {
		return esimData{}, err
	}
	if s.ICCID == "" {
		return esimData{}, errNoProfile
	}
	all, err := e.store.SalesByICCID(ctx, s.ICCID)
	return esimData{first: s, all: all}, err
}

// usageData is what remains on a profile, with the sales on it to name
// its bundles.
type usageData struct {
	c     reseller.Consumption
	sales []Sale
}

// loadUsage loads the consumption of a profile (cached) and its sales. A
// user is served an answer younger than Config.UsageTTL, or than the
// watcher's interval when the watcher read it (usagecache.go).
func (e *Engine) loadUsage(ctx context.Context, iccid string) (usageData, error) {
	fresh := func(age time.Duration, byWatcher bool) bool {
		return age < e.cfg.UsageTTL || byWatcher && age < e.cfg.UsageInterval
	}
	c, _, err := e.usage.get(ctx, iccid, fresh, false, e.consumption(iccid))
	if err != nil {
		return usageData{}, err
	}
	sales, _ := e.store.SalesByICCID(ctx, iccid) // the names are a nicety
	return usageData{c: c, sales: sales}, nil
}

// consumption is the call of GET /Profile/Consumption for iccid.
func (e *Engine) consumption(iccid string) func(context.Context) (reseller.Consumption, error) {
	return func(ctx context.Context) (reseller.Consumption, error) {
		return e.api.Consumption(ctx, reseller.ProfileRef{ICCID: iccid})
	}
}
