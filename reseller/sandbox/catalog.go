package sandbox

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Bundle categories, the values of Bundle.Category and of the
// bundle_category filter.
const (
	CategoryCountry = "country"
	CategoryRegion  = "region"
	CategoryGlobal  = "global"
	CategoryCruise  = "cruise"
)

// Profile types, the values of Bundle.ProfileType, Order.ProfileType and of
// the profile_type filter.
const (
	ProfileStandard   = "STANDARD"
	ProfileGlobalESIM = "GLOBAL_ESIM"
)

// Bundle is one product of the sandbox catalog, as returned by
// Server.Bundles for tests that need to know what the sandbox sells.
type Bundle struct {
	Code          string // bundle_code, e.g. "FRA_5GB_30D" or "EUR_10GB_30D_G"
	Name          string // bundle_name
	MarketingName string // bundle_marketing_name, e.g. "France 5 GB · 30 days"
	Category      string // CategoryCountry, CategoryRegion, CategoryGlobal or CategoryCruise
	// Countries lists the ISO 3166-1 alpha-3 codes the bundle covers: one
	// for a country bundle.
	Countries        []string
	CountryName      string
	RegionCode       string
	RegionName       string
	ValidityDays     int
	DataMB           int // megabytes; -1 when Unlimited
	Unlimited        bool
	SupportsCallsSMS bool
	CallsMinutes     int // zero unless SupportsCallsSMS
	SMSCount         int // zero unless SupportsCallsSMS
	SupportTopup     bool
	ProfileType      string // ProfileStandard or ProfileGlobalESIM
	PriceFinal       decimal.Decimal
	RetailPrice      decimal.Decimal
	SubscriberPrice  decimal.Decimal
	Currency         string
	// Available is false once SetBundleAvailable has withdrawn the bundle.
	Available bool
}

// network is one mobile network of a country, or a maritime network.
type network struct {
	CountryCode string // ISO 3166-1 alpha-3; empty for maritime networks
	CountryName string
	Name        string
	Speed       string // "4G" or "5G"
}

type country struct {
	iso2, iso3, name, region string
}

type region struct {
	code, name string
}

// regions are the sandbox's regions, in listing order.
var regions = []region{
	{"EUR", "Europe"},
	{"ASI", "Asia"},
	{"MEA", "Middle East"},
	{"AFR", "Africa"},
	{"AMR", "Americas"},
	{"OCE", "Oceania"},
}

type catalog struct {
	countries []country // sorted by English name
	byISO3    map[string]*country
	bundles   []*Bundle
	byCode    map[string]*Bundle
	networks  map[string][]network // by ISO-3 code, and "" for maritime networks
}

// regionOf returns the sandbox region code of r, or "" when it has none.
func regionOf(r language.Region) string {
	m := func(code string) language.Region { return language.MustParseRegion(code) }
	switch {
	case m("145").Contains(r) || r.String() == "EG":
		return "MEA"
	case m("150").Contains(r):
		return "EUR"
	case m("142").Contains(r):
		return "ASI"
	case m("002").Contains(r):
		return "AFR"
	case m("019").Contains(r):
		return "AMR"
	case m("009").Contains(r):
		return "OCE"
	}
	return ""
}

// isoCountries enumerates the ISO 3166 countries that x/text knows and the
// sandbox can place in a region, in ISO-2 order.
func isoCountries() []country {
	var out []country
	seen := map[string]bool{}
	names := display.English.Regions()
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			r, err := language.ParseRegion(code)
			if err != nil || !r.IsCountry() || r.String() != code || r.Canonicalize() != r {
				continue
			}
			iso3, name, reg := r.ISO3(), names.Name(r), regionOf(r)
			if len(iso3) != 3 || iso3 == "ZZZ" || seen[iso3] || name == "" || reg == "" {
				continue
			}
			seen[iso3] = true
			out = append(out, country{iso2: code, iso3: iso3, name: name, region: reg})
		}
	}
	return out
}

// plan is a bundle template: a volume, a validity and a base price.
type plan struct {
	key       string // code part, e.g. "5GB_30D"
	mb        int    // -1 for unlimited
	days      int
	calls     int // minutes; with sms, makes a calls/SMS bundle
	sms       int
	costCents int64 // base wholesale price for a price factor of 100
	topup     bool
}

var (
	countryBase = []plan{
		{"1GB_7D", 1024, 7, 0, 0, 350, true},
		{"3GB_15D", 3072, 15, 0, 0, 700, true},
		{"5GB_30D", 5120, 30, 0, 0, 1050, true},
	}
	countryExtra = []plan{
		{"10GB_30D", 10240, 30, 0, 0, 1700, true},
		{"20GB_30D", 20480, 30, 0, 0, 2700, true},
		{"UNL_7D", -1, 7, 0, 0, 2200, false},
		{"10GB_30D_CS", 10240, 30, 100, 100, 2200, true},
	}
	countryGlobalESIM = plan{"5GB_30D_G", 5120, 30, 0, 0, 1150, true}
	regionPlans       = []plan{
		{"3GB_15D", 3072, 15, 0, 0, 900, true},
		{"10GB_30D", 10240, 30, 0, 0, 2100, true},
		{"20GB_30D", 20480, 30, 0, 0, 3300, true},
		{"UNL_15D", -1, 15, 0, 0, 4200, false},
		{"5GB_30D_G", 5120, 30, 0, 0, 1500, true},
		{"10GB_30D_G", 10240, 30, 0, 0, 2400, true},
	}
	globalPlans = []plan{
		{"1GB_7D", 1024, 7, 0, 0, 900, true},
		{"5GB_30D", 5120, 30, 0, 0, 2900, true},
		{"10GB_30D", 10240, 30, 0, 0, 4500, true},
		{"10GB_30D_CS", 10240, 30, 200, 200, 5900, true},
		{"3GB_30D_G", 3072, 30, 0, 0, 2200, true},
		{"10GB_30D_G", 10240, 30, 0, 0, 4900, true},
	}
	cruisePlans = []plan{
		{"1GB_7D", 1024, 7, 0, 0, 2900, false},
		{"3GB_15D", 3072, 15, 0, 0, 6900, true},
		{"1GB_7D_G", 1024, 7, 0, 0, 3200, true},
	}
)

// Pieces of the fictional network operator names.
var (
	operatorFirst = []string{"Alta", "Nova", "Terra", "Aero", "Luma", "Vista", "Orbi", "Sky", "Azur", "Prime", "Metro", "Stella", "Onda", "Nexa", "Civi", "Kora"}
	operatorLast  = []string{"Mobile", "Tel", "Telecom", "Cell", "Net", "Connect", "Wireless"}
)

// newCatalog returns the catalog that seed generates, priced in currency.
// The order of the steps below fixes the random draws: changing it changes
// every seed's catalog.
func newCatalog(seed int64, currency string) *catalog {
	g := &generator{
		c: &catalog{
			countries: isoCountries(),
			byISO3:    map[string]*country{},
			byCode:    map[string]*Bundle{},
			networks:  map[string][]network{},
		},
		rng:        rand.New(rand.NewPCG(uint64(seed), 0x5eedca7a)),
		currency:   currency,
		regionName: map[string]string{},
	}
	for _, r := range regions {
		g.regionName[r.code] = r.name
	}
	members, all, cruise := g.c.groups()
	g.networks()

	// Country bundles, in ISO-2 order so that the listing reads naturally.
	byISO2 := append([]country(nil), g.c.countries...)
	sort.Slice(byISO2, func(i, j int) bool { return byISO2[i].iso2 < byISO2[j].iso2 })
	for _, k := range byISO2 {
		g.countryBundles(k)
	}
	for _, r := range regions {
		factor := int64(80 + g.rng.IntN(61))
		for _, p := range regionPlans {
			g.add(p, CategoryRegion, r.code, r.name, members[r.code], r.name, r.code, factor)
		}
	}
	for _, p := range globalPlans {
		g.add(p, CategoryGlobal, "GLB", "Global", all, "Global", "GLB", 100)
	}
	for _, p := range cruisePlans {
		g.add(p, CategoryCruise, "CRU", "Cruise", cruise, "Cruise ships", "CRU", 100)
	}

	c := g.c
	sort.SliceStable(c.countries, func(i, j int) bool { return c.countries[i].name < c.countries[j].name })
	for i := range c.countries {
		c.byISO3[c.countries[i].iso3] = &c.countries[i]
	}
	return c
}

// generator is the state newCatalog draws a catalog with.
type generator struct {
	c          *catalog
	rng        *rand.Rand
	currency   string
	regionName map[string]string // by region code
}

// groups returns the ISO-3 codes of c's countries by region, all of them,
// and those a cruise bundle covers (the Caribbean and southern Europe).
func (c *catalog) groups() (members map[string][]string, all, cruise []string) {
	members = map[string][]string{}
	caribbean, southEurope := language.MustParseRegion("029"), language.MustParseRegion("039")
	for i := range c.countries {
		k := &c.countries[i]
		members[k.region] = append(members[k.region], k.iso3)
		all = append(all, k.iso3)
		r := language.MustParseRegion(k.iso2)
		if caribbean.Contains(r) || southEurope.Contains(r) {
			cruise = append(cruise, k.iso3)
		}
	}
	return members, all, cruise
}

// networks draws one to three operators, 4G or 5G, for every country, and
// adds the maritime networks.
func (g *generator) networks() {
	c := g.c
	for _, k := range c.countries {
		n := 1 + g.rng.IntN(3)
		used := map[string]bool{}
		for len(c.networks[k.iso3]) < n {
			name := operatorFirst[g.rng.IntN(len(operatorFirst))] + " " + operatorLast[g.rng.IntN(len(operatorLast))]
			if used[name] {
				continue
			}
			used[name] = true
			speed := "4G"
			if g.rng.IntN(10) < 4 {
				speed = "5G"
			}
			c.networks[k.iso3] = append(c.networks[k.iso3], network{CountryCode: k.iso3, CountryName: k.name, Name: name, Speed: speed})
		}
	}
	c.networks[""] = []network{
		{CountryName: "International waters", Name: "Oceana Maritime", Speed: "4G"},
		{CountryName: "International waters", Name: "SeaLink Cellular", Speed: "4G"},
	}
}

// countryBundles draws k's price factor and plans and adds its bundles.
func (g *generator) countryBundles(k country) {
	factor := int64(60 + g.rng.IntN(121)) // 0.60 to 1.80
	plans := append([]plan(nil), countryBase...)
	for _, p := range countryExtra {
		if g.rng.IntN(100) < 45 {
			plans = append(plans, p)
		}
	}
	if g.rng.IntN(100) < 30 {
		plans = append(plans[:min(len(plans), 6)], countryGlobalESIM)
	}
	for _, p := range plans {
		g.add(p, CategoryCountry, k.iso3, k.name, []string{k.iso3}, k.name, k.region, factor)
	}
}

// add adds the bundle of plan p, priced by factor (percent), to the catalog.
func (g *generator) add(p plan, category, codePrefix, label string, countries []string, countryName, regionCode string, factor int64) {
	b := &Bundle{
		Code:             codePrefix + "_" + p.key,
		Category:         category,
		Countries:        countries,
		CountryName:      countryName,
		RegionCode:       regionCode,
		RegionName:       g.regionName[regionCode],
		ValidityDays:     p.days,
		DataMB:           p.mb,
		Unlimited:        p.mb < 0,
		SupportsCallsSMS: p.calls > 0,
		CallsMinutes:     p.calls,
		SMSCount:         p.sms,
		SupportTopup:     p.topup,
		ProfileType:      ProfileStandard,
		Currency:         g.currency,
		Available:        true,
	}
	if b.RegionName == "" {
		b.RegionName = label
	}
	if strings.HasSuffix(p.key, "_G") {
		b.ProfileType = ProfileGlobalESIM
	}
	b.MarketingName = marketingName(b, label)
	b.Name = strings.ReplaceAll(strings.ToLower(b.Code), "_", "-")
	final := max(p.costCents*factor/100, 50)
	retail := final*int64(125+g.rng.IntN(16))/100 + 1 // always above final
	subscriber := retail * int64(100+g.rng.IntN(21)) / 100
	subscriber = max(subscriber, retail)
	b.PriceFinal = decimal.New(final, -2)
	b.RetailPrice = decimal.New(retail, -2)
	b.SubscriberPrice = decimal.New(subscriber, -2)
	g.c.bundles = append(g.c.bundles, b)
	g.c.byCode[b.Code] = b
}

// marketingName returns the display name of b, e.g. "France 5 GB · 30 days".
func marketingName(b *Bundle, label string) string {
	volume := "Unlimited"
	if !b.Unlimited {
		volume = fmt.Sprintf("%d GB", b.DataMB/1024)
	}
	name := fmt.Sprintf("%s %s · %d days", label, volume, b.ValidityDays)
	if b.SupportsCallsSMS {
		name += fmt.Sprintf(" · %d min · %d SMS", b.CallsMinutes, b.SMSCount)
	}
	if b.ProfileType == ProfileGlobalESIM {
		name += " · Global eSIM"
	}
	return name
}

// networksOf returns the networks of the countries b covers (and the
// maritime networks for a cruise bundle).
func (c *catalog) networksOf(b *Bundle) []network {
	var out []network
	for _, code := range b.Countries {
		out = append(out, c.networks[code]...)
	}
	if b.Category == CategoryCruise {
		out = append(out, c.networks[""]...)
	}
	return out
}

// snapshot returns a deep copy of b.
func (b *Bundle) snapshot() Bundle {
	out := *b
	out.Countries = append([]string(nil), b.Countries...)
	return out
}

// sameCoverage reports whether a top-up bundle b covers what the profile's
// first bundle base covers.
func sameCoverage(b, base *Bundle) bool {
	if b.Category != base.Category {
		return false
	}
	switch b.Category {
	case CategoryCountry:
		return b.Countries[0] == base.Countries[0]
	case CategoryRegion:
		return b.RegionCode == base.RegionCode
	}
	return true
}
