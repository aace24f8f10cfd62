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

// cache is a small TTL cache of catalog reads.
type cache struct {
	mu      sync.Mutex
	ttl     time.Duration
	now     func() time.Time
	entries map[string]cacheEntry
}

type cacheEntry struct {
	v   any
	exp time.Time
}

func newCache(ttl time.Duration, now func() time.Time) *cache {
	return &cache{ttl: ttl, now: now, entries: map[string]cacheEntry{}}
}

// get returns the cached value of key or computes it with load.
func cached[T any](c *cache, key string, load func() (T, error)) (T, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && c.now().Before(e.exp) {
		c.mu.Unlock()
		return e.v.(T), nil
	}
	c.mu.Unlock()
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) > 4096 { // bounded: drop everything rather than grow
		clear(c.entries)
	}
	c.entries[key] = cacheEntry{v: v, exp: c.now().Add(c.ttl)}
	return v, nil
}

func (c *cache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}

// session returns the reseller session (cached: it holds the Global eSIM flag).
func (e *Engine) session(ctx context.Context) (reseller.Session, error) {
	return cached(e.catalog, "session", func() (reseller.Session, error) { return e.api.Session(ctx) })
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
	list, err := cached(e.catalog, key, func() ([]reseller.Bundle, error) { return e.api.AllBundles(ctx, q) })
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
	return cached(e.catalog, "countries|"+string(pt), func() ([]string, error) {
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
	return cached(e.catalog, "regions|"+string(pt), func() ([]reseller.Region, error) {
		return e.api.Regions(ctx, reseller.CoverageQuery{ProfileType: pt})
	})
}

// networks returns a bundle's networks.
func (e *Engine) networks(ctx context.Context, code string) ([]reseller.Network, error) {
	return cached(e.catalog, "networks|"+code, func() ([]reseller.Network, error) { return e.api.Networks(ctx, code) })
}

// findBundle looks a bundle up by its code in the whole catalog (cached),
// for deep links that name one.
func (e *Engine) findBundle(ctx context.Context, code string) (BundleOffer, bool) {
	if code == "" || len(code) > 64 {
		return BundleOffer{}, false
	}
	pt, err := e.profileFilter(ctx)
	if err != nil {
		return BundleOffer{}, false
	}
	list, err := cached(e.catalog, "bundles|all|"+string(pt), func() ([]reseller.Bundle, error) {
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
