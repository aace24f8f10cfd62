package flows

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/reseller"
)

// Reseller is what flows needs of the reseller API; *reseller.Client has it.
type Reseller interface {
	Session(ctx context.Context) (reseller.Session, error)
	AllBundles(ctx context.Context, q reseller.BundleQuery) ([]reseller.Bundle, error)
	Networks(ctx context.Context, bundleCode string) ([]reseller.Network, error)
	Countries(ctx context.Context, q reseller.CoverageQuery) ([]reseller.Country, error)
	Regions(ctx context.Context, q reseller.CoverageQuery) ([]reseller.Region, error)
	AssignBundle(ctx context.Context, r reseller.AssignRequest, o reseller.AssignOptions) (reseller.AssignResult, error)
	TopupBundles(ctx context.Context, ref reseller.ProfileRef) ([]reseller.Bundle, error)
	TopupBundle(ctx context.Context, r reseller.TopupRequest, o reseller.AssignOptions) (reseller.AssignResult, error)
	OrderByReference(ctx context.Context, ref string) (reseller.Order, error)
	Consumption(ctx context.Context, ref reseller.ProfileRef) (reseller.Consumption, error)
}

var _ Reseller = (*reseller.Client)(nil)

// PriceField names which of a bundle's prices the customer sees.
type PriceField string

// The price choices.
const (
	// PriceRetail is reseller_retail_price, falling back to subscriber_price.
	PriceRetail PriceField = "reseller_retail_price"
	// PriceSubscriber is subscriber_price, the platform's suggested price.
	PriceSubscriber PriceField = "subscriber_price"
)

// customerPrice is the price a customer sees for b.
func (f PriceField) customerPrice(b reseller.Bundle) decimal.Decimal {
	if f == PriceSubscriber && b.SubscriberPrice.IsPositive() {
		return b.SubscriberPrice
	}
	if b.ResellerRetailPrice.IsPositive() {
		return b.ResellerRetailPrice
	}
	if b.SubscriberPrice.IsPositive() {
		return b.SubscriberPrice
	}
	return b.PriceFinal
}

// offer turns an API bundle into what the customer is offered.
func (e *Engine) offer(b reseller.Bundle) BundleOffer {
	cur := b.Currency
	if cur == "" {
		cur = e.cfg.Currency
	}
	o := BundleOffer{
		Code: b.Code, Name: b.MarketingName, Price: e.cfg.Price.customerPrice(b), Currency: cur,
		Cost: b.PriceFinal, DataMB: b.Data.MB, Days: int(b.ValidityDays),
		CallsSMS: bool(b.SupportsCallsSMS), Topup: bool(b.SupportsTopup), ProfileType: string(b.Profile()),
		Category: strings.ToLower(string(b.Category)), Region: b.RegionCode, RegionName: b.RegionName,
	}
	for _, c := range b.CountryCodes {
		if iso3, ok := iso3Of(c); ok {
			o.Countries = append(o.Countries, iso3)
		}
	}
	if o.Name == "" {
		o.Name = b.Name
	}
	if o.Name == "" {
		o.Name = b.Code
	}
	if b.IsUnlimited() {
		o.DataMB = -1
	}
	return o
}

// cache is a small TTL cache of reseller reads. Concurrent misses of one
// key share one load. An entry past most of its TTL is refreshed in the
// background while it is still served; with stale set (the catalog), an
// entry past its TTL is served for up to one more TTL while it refreshes,
// so a tap never waits for the API once the key was loaded.
type cache struct {
	mu       sync.Mutex
	ttl      time.Duration
	now      func() time.Time
	stale    bool
	entries  map[string]cacheEntry
	inflight map[string]*cacheCall
}

type cacheEntry struct {
	v      any
	loaded time.Time
}

// cacheCall is a load under way, which other callers of its key wait for.
type cacheCall struct {
	done chan struct{}
	v    any
	err  error
}

// refreshAhead is the part of the TTL after which an entry is refreshed in
// the background.
const refreshAhead = 0.8

func newCache(ttl time.Duration, now func() time.Time, stale bool) *cache {
	return &cache{ttl: ttl, now: now, stale: stale, entries: map[string]cacheEntry{}, inflight: map[string]*cacheCall{}}
}

// cached returns the cached value of key, or loads it with load (once,
// however many callers miss at once). The background refresh runs with
// ctx's values but not its cancellation, for at most a minute.
func cached[T any](ctx context.Context, c *cache, key string, load func(context.Context) (T, error)) (T, error) {
	return lookup(ctx, c, key, load, c.stale)
}

// cachedStrict is cached that never serves an entry past its TTL: for
// checks that must see the catalog as it is (a payment's pre-checkout).
func cachedStrict[T any](ctx context.Context, c *cache, key string, load func(context.Context) (T, error)) (T, error) {
	return lookup(ctx, c, key, load, false)
}

// lookup is cached, serving an entry past its TTL only when stale is set.
func lookup[T any](ctx context.Context, c *cache, key string, load func(context.Context) (T, error), stale bool) (T, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	age := c.now().Sub(e.loaded)
	switch {
	case ok && age < time.Duration(float64(c.ttl)*refreshAhead):
		c.mu.Unlock()
		return e.v.(T), nil
	case ok && (age < c.ttl || stale && age < 2*c.ttl):
		if _, busy := c.inflight[key]; !busy {
			call := c.start(key)
			go func() {
				bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
				defer cancel()
				v, err := load(bg)
				c.finish(key, call, v, err)
			}()
		}
		c.mu.Unlock()
		return e.v.(T), nil
	}
	if call, busy := c.inflight[key]; busy {
		c.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		if call.err != nil {
			var zero T
			return zero, call.err
		}
		return call.v.(T), nil
	}
	call := c.start(key)
	c.mu.Unlock()
	v, err := load(ctx)
	c.finish(key, call, v, err)
	return v, err
}

// start records a load of key under way; c.mu is held.
func (c *cache) start(key string) *cacheCall {
	call := &cacheCall{done: make(chan struct{})}
	c.inflight[key] = call
	return call
}

// finish stores a load's result (a value only if it succeeded) and wakes
// those waiting for it.
func (c *cache) finish(key string, call *cacheCall, v any, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	call.v, call.err = v, err
	if c.inflight[key] == call {
		delete(c.inflight, key)
	}
	if err == nil {
		if len(c.entries) > 4096 { // bounded: drop everything rather than grow
			clear(c.entries)
		}
		c.entries[key] = cacheEntry{v: v, loaded: c.now()}
	}
	close(call.done)
}

func (c *cache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}

// session returns the reseller session (cached: it holds the Global eSIM flag).
func (e *Engine) session(ctx context.Context) (reseller.Session, error) {
	return cached(ctx, e.catalog, "session", func(ctx context.Context) (reseller.Session, error) { return e.api.Session(ctx) })
}

// profileFilter is the profile type to list: STANDARD unless the account
// shows Global eSIM bundles, then both ("").
func (e *Engine) profileFilter(ctx context.Context) (reseller.ProfileType, error) {
	s, err := e.session(ctx)
	if err != nil {
		return "", err
	}
	if s.ShowGlobalESIMBundles {
		return "", nil
	}
	return reseller.ProfileStandard, nil
}

// destinationBundles lists the offers for a destination, cheapest first.
// fresh skips the cache (used on confirmation).
func (e *Engine) destinationBundles(ctx context.Context, kind, code string, fresh bool) ([]BundleOffer, error) {
	pt, err := e.profileFilter(ctx)
	if err != nil {
		return nil, err
	}
	q := reseller.BundleQuery{ProfileType: pt, PageSize: 100}
	switch kind {
	case destCountry:
		q.CountryCode, q.Category = code, reseller.CategoryCountry
	case destRegion:
		q.RegionCode, q.Category = code, reseller.CategoryRegion
	case destGlobal:
		q.Category = reseller.CategoryGlobal
	case destCruise:
		q.Category = reseller.CategoryCruise
	default:
		return nil, fmt.Errorf("destination kind %q", kind)
	}
	key := fmt.Sprintf("bundles|%s|%s|%s", kind, code, pt)
	if fresh {
		e.catalog.drop(key)
	}
	list, err := cached(ctx, e.catalog, key, func(ctx context.Context) ([]reseller.Bundle, error) { return e.api.AllBundles(ctx, q) })
	if err != nil {
		return nil, err
	}
	offers := make([]BundleOffer, 0, len(list))
	for _, b := range list {
		offers = append(offers, e.offer(b))
	}
	sortOffers(offers)
	return offers, nil
}

func sortOffers(offers []BundleOffer) {
	sort.SliceStable(offers, func(i, j int) bool {
		if c := offers[i].Price.Cmp(offers[j].Price); c != 0 {
			return c < 0
		}
		return offers[i].Code < offers[j].Code
	})
}

// availableCountries returns the ISO-3 codes of countries with bundles.
func (e *Engine) availableCountries(ctx context.Context) ([]string, error) {
	pt, err := e.profileFilter(ctx)
	if err != nil {
		return nil, err
	}
	return cached(ctx, e.catalog, "countries|"+string(pt), func(ctx context.Context) ([]string, error) {
		list, err := e.api.Countries(ctx, reseller.CoverageQuery{ProfileType: pt})
		if err != nil {
			return nil, err
		}
		var codes []string
		for _, c := range list {
			if iso3, ok := iso3Of(c.Code); ok {
				codes = append(codes, iso3)
			} else if iso3, ok := iso3Of(c.ISO2); ok {
				codes = append(codes, iso3)
			}
		}
		return codes, nil
	})
}

// regions returns the regions with bundles.
func (e *Engine) regions(ctx context.Context) ([]reseller.Region, error) {
	pt, err := e.profileFilter(ctx)
	if err != nil {
		return nil, err
	}
	return cached(ctx, e.catalog, "regions|"+string(pt), func(ctx context.Context) ([]reseller.Region, error) {
		return e.api.Regions(ctx, reseller.CoverageQuery{ProfileType: pt})
	})
}

// networks returns a bundle's networks.
func (e *Engine) networks(ctx context.Context, code string) ([]reseller.Network, error) {
	return cached(ctx, e.catalog, "networks|"+code, func(ctx context.Context) ([]reseller.Network, error) { return e.api.Networks(ctx, code) })
}

// findBundle looks a bundle up by its code in the whole catalog (cached),
// for deep links that name one.
func (e *Engine) findBundle(ctx context.Context, code string) (BundleOffer, bool) {
	return e.findBundleIn(ctx, code, cached[[]reseller.Bundle])
}

// findBundleStrict is findBundle on a catalog no older than its TTL.
func (e *Engine) findBundleStrict(ctx context.Context, code string) (BundleOffer, bool) {
	return e.findBundleIn(ctx, code, cachedStrict[[]reseller.Bundle])
}

// findBundleIn looks a bundle up through get (cached or cachedStrict).
func (e *Engine) findBundleIn(ctx context.Context, code string,
	get func(context.Context, *cache, string, func(context.Context) ([]reseller.Bundle, error)) ([]reseller.Bundle, error)) (BundleOffer, bool) {
	if code == "" || len(code) > 64 {
		return BundleOffer{}, false
	}
	pt, err := e.profileFilter(ctx)
	if err != nil {
		return BundleOffer{}, false
	}
	list, err := get(ctx, e.catalog, "bundles|all|"+string(pt), func(ctx context.Context) ([]reseller.Bundle, error) {
		return e.api.AllBundles(ctx, reseller.BundleQuery{ProfileType: pt, PageSize: 100})
	})
	if err != nil {
		return BundleOffer{}, false
	}
	for _, b := range list {
		if strings.EqualFold(b.Code, code) {
			return e.offer(b), true
		}
	}
	return BundleOffer{}, false
}

// Warm loads what the first screens show (the session, the countries and
// regions with bundles, the bundles of the popular destinations and their
// networks), a few calls at a time, so the first users do not wait for the
// API. Run calls it at start; a failure is logged and the cache fills on
// demand.
func (e *Engine) Warm(ctx context.Context) {
	began := time.Now()
	if _, err := e.availableCountries(ctx); err != nil {
		if ctx.Err() == nil {
			e.log.WarnContext(ctx, "warm the catalog", "err", err)
		}
		return
	}
	sem := make(chan struct{}, 8) // calls at once
	var wg sync.WaitGroup
	run := func(f func()) {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			f()
		})
	}
	run(func() { _, _ = e.regions(ctx) })
	for _, code := range e.cfg.Popular {
		run(func() {
			offers, err := e.destinationBundles(ctx, destCountry, code, false)
			if err != nil {
				if ctx.Err() == nil {
					e.log.WarnContext(ctx, "warm the catalog", "country", code, "err", err)
				}
				return
			}
			for _, o := range offers {
				run(func() { _, _ = e.networks(ctx, o.Code) })
			}
		})
	}
	wg.Wait()
	if ctx.Err() == nil {
		e.log.InfoContext(ctx, "catalog warmed", "took", time.Since(began).Round(time.Millisecond).String())
	}
}
