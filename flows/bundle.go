package flows

import (
	"html"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/collate"

	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
)

// hasBundle reports whether the draft has its bundle (the bundle and the
// top-up summary show it).
func hasBundle(v view) bool { return v.c.Draft.Bundle != nil }

// bundleNetworks is the need of the bundle screen.
func bundleNetworks(c Conversation) []need {
	if c.Draft.Bundle == nil {
		return nil
	}
	return []need{needNetworks(c.Draft.Bundle.Code)}
}

// showBundle shows a bundle's details and networks: per network for a
// single country, and for a bundle that covers several countries the list
// of them, with networks per country on demand (typed).
func showBundle(v view) screen {
	o := *v.c.Draft.Bundle
	text := bundleDetails(v.loc, v.c.Draft, o)
	nets, _ := look[[]reseller.Network](v, needNetworks(o.Code)) // without them, the details alone
	if covered := covered(v.loc, o, nets); len(covered) > 1 {
		names := make([]string, 0, len(covered))
		for _, code := range covered {
			names = append(names, countryName(code, v.loc.Tag))
		}
		const most = 80
		list := strings.Join(names[:min(len(names), most)], v.loc.Plain("list_separator")+" ")
		if len(names) > most {
			list += " " + v.loc.N("countries_more", len(names)-most)
		}
		example := countryName(coverageExample(v.cfg.Popular, covered), v.loc.Tag)
		text += "\n\n" + v.loc.N("coverage_title", len(covered)) + "\n" + html.EscapeString(list) + "\n\n" + v.loc.T("coverage_ask", "Example", example)
	} else if len(nets) > 0 {
		var lines []string
		for i, n := range nets {
			if i == 12 {
				lines = append(lines, v.loc.N("networks_more", len(nets)-i))
				break
			}
			lines = append(lines, networkLine(v.loc, n))
		}
		text += "\n\n" + v.loc.T("networks_title") + "\n" + strings.Join(lines, "\n")
	}
	return screen{text: text, rows: [][]Button{{v.btn(v.loc.T("btn_choose"), actChoose)}, v.back()}}
}

// coverageExample is the country a bundle's screen suggests asking about:
// the first popular destination it covers, else the first it covers.
func coverageExample(popular, covered []string) string {
	for _, code := range popular {
		if slices.Contains(covered, code) {
			return code
		}
	}
	return covered[0]
}

// askCoverage answers a question typed at a bundle that covers several
// countries, such as "is Japan covered?": whether the country is, with its
// networks there. Other text is a destination search.
func askCoverage(c Conversation, u User, in input) (Conversation, []effect) {
	o := c.Draft.Bundle
	if o == nil {
		return search(noMatch)(c, u, in)
	}
	nets, wait, err := attempt[[]reseller.Network](in, needNetworks(o.Code))
	if wait != nil {
		return c, wait
	}
	covered := covered(in.loc, *o, nets)
	if err != nil || len(covered) < 2 {
		return search(noMatch)(c, u, in)
	}
	avail, wait, _ := attempt[[]string](in, needCountries) // without them, the bundle's own countries
	if wait != nil {
		return c, wait
	}
	among := dedupe(append(append([]string(nil), avail...), covered...))
	sort.Strings(among) // one cached gazetteer for every bundle within the catalog
	codes := mentionedCountries(in.text(), among, in.loc.Tag)
	if len(codes) == 0 {
		return c, []effect{in.say("coverage_which")}
	}
	answers := make([]string, 0, len(codes))
	for _, code := range codes {
		answers = append(answers, coverageAnswer(in.loc, code, covered, nets))
	}
	return c, []effect{say{key: "coverage_yes", m: Message{Text: strings.Join(answers, "\n\n")}}}
}

// coverageAnswer says whether a bundle covers a country, with its networks
// there.
func coverageAnswer(loc *locales.Localizer, code string, covered []string, nets []reseller.Network) string {
	name := flag(code) + " " + countryName(code, loc.Tag)
	if !slices.Contains(covered, code) {
		return loc.T("coverage_no", "Country", name)
	}
	var lines []string
	for _, n := range nets {
		if iso3, ok := iso3Of(n.CountryCode); ok && iso3 == code {
			lines = append(lines, loc.T("coverage_network", "Network", n.Name, "Speed", n.Speeds.String()))
		}
	}
	return loc.T("coverage_yes", "Country", name) + "\n" + strings.Join(lines, "\n")
}

// covered returns the ISO-3 codes of the countries a bundle covers (its
// own list and its networks' countries), sorted by their names in the
// user's language.
func covered(loc *locales.Localizer, o BundleOffer, nets []reseller.Network) []string {
	seen := map[string]bool{}
	var out []string
	add := func(code string) {
		if iso3, ok := iso3Of(code); ok && !seen[iso3] {
			seen[iso3] = true
			out = append(out, iso3)
		}
	}
	for _, c := range o.Countries {
		add(c)
	}
	for _, n := range nets {
		add(n.CountryCode)
	}
	col := collate.New(loc.Tag, collate.Loose)
	sort.SliceStable(out, func(i, j int) bool {
		return col.CompareString(countryName(out[i], loc.Tag), countryName(out[j], loc.Tag)) < 0
	})
	return out
}

// networkLine is one network of a bundle (HTML).
func networkLine(loc *locales.Localizer, n reseller.Network) string {
	where := countryName(n.CountryCode, loc.Tag)
	if where == n.CountryCode && n.CountryName != "" {
		where = n.CountryName
	}
	return loc.T("network_line", "Flag", flag(n.CountryCode), "Country", where, "Network", n.Name, "Speed", n.Speeds.String())
}

// bundleDetails describes a bundle (HTML).
func bundleDetails(loc *locales.Localizer, d Draft, o BundleOffer) string {
	text := loc.T("bundle_details", "Name", bundleName(loc, d, o), "Plan", o.Name, "Price", loc.Price(o.Price, o.Currency))
	if o.CallsSMS {
		text += "\n" + loc.T("bundle_calls_sms")
	}
	if o.Topup {
		text += "\n" + loc.T("bundle_topup")
	}
	if o.ProfileType == "GLOBAL_ESIM" {
		text += "\n" + loc.T("bundle_global_esim")
	}
	return text
}

// dataLabel formats a data volume.
func dataLabel(loc *locales.Localizer, mb int64) string {
	switch {
	case mb < 0:
		return loc.T("data_unlimited")
	case mb >= 1024 && mb%1024 == 0:
		return loc.T("data_gb", "Amount", loc.Number(mb/1024))
	case mb >= 1024:
		return loc.T("data_gb", "Amount", loc.Decimal(math.Round(float64(mb)/102.4)/10))
	}
	return loc.T("data_mb", "Amount", loc.Number(mb))
}

// legend explains the marks that the offers carry, and only those.
func legend(loc *locales.Localizer, offers []BundleOffer) string {
	var calls, topup, global bool
	for _, o := range offers {
		calls = calls || o.CallsSMS
		topup = topup || o.Topup
		global = global || o.ProfileType == "GLOBAL_ESIM"
	}
	var parts []string
	for _, m := range []struct {
		on  bool
		key string
	}{{calls, "legend_calls"}, {topup, "legend_topup"}, {global, "legend_global"}} {
		if m.on {
			parts = append(parts, loc.T(m.key))
		}
	}
	return strings.Join(parts, " · ")
}

// marks are the bundle's symbols: calls/SMS, top-up, Global eSIM.
func marks(o BundleOffer) string {
	var m string
	if o.CallsSMS {
		m += " 📞"
	}
	if o.Topup {
		m += " 🔄"
	}
	if o.ProfileType == "GLOBAL_ESIM" {
		m += " 🌐"
	}
	return m
}

// bundleLine is one line of a bundle list (HTML).
func bundleLine(loc *locales.Localizer, n int, o BundleOffer) string {
	return loc.T("bundle_line", "N", loc.Number(int64(n)), "Data", dataLabel(loc, o.DataMB),
		"Days", loc.N("days", o.Days), "Price", loc.Price(o.Price, o.Currency), "Marks", marks(o))
}

// bundleButton is a bundle's button label (plain text), with the marks
// of its line.
func bundleButton(loc *locales.Localizer, o BundleOffer) string {
	return html.UnescapeString(dataLabel(loc, o.DataMB)+" · "+loc.N("days", o.Days)+" · "+loc.Price(o.Price, o.Currency)) + marks(o)
}

// bundleName names a bundle in the user's language from its parts, such
// as "Allemagne · 1 Go · 7 jours" (plain text): the API's marketing name
// is English and shown only as the plan's name.
func bundleName(loc *locales.Localizer, d Draft, o BundleOffer) string {
	parts := []string{offerPlace(loc, d, o), dataLabel(loc, o.DataMB), loc.N("days", o.Days)}
	if parts[0] == "" {
		parts[0] = o.Name
	}
	return html.UnescapeString(strings.Join(parts, " · "))
}

// offerPlace names what a bundle covers, in the user's language: its
// country, its region, Global or Cruise; "" when it cannot be told.
func offerPlace(loc *locales.Localizer, d Draft, o BundleOffer) string {
	switch offerKind(d, o) {
	case destCountry:
		code := d.DestCode
		if len(o.Countries) == 1 || (len(o.Countries) > 0 && d.DestKind != destCountry) {
			code = o.Countries[0]
		}
		if code != "" {
			return countryName(code, loc.Tag)
		}
	case destRegion:
		code := o.Region
		if code == "" && d.DestKind == destRegion {
			code = d.DestCode
		}
		if code != "" || o.RegionName != "" {
			return regionName(loc, code, o.RegionName)
		}
	case destGlobal:
		return loc.Plain("dest_global")
	case destCruise:
		return loc.Plain("dest_cruise")
	}
	return ""
}

// offerKind is the kind of destination a bundle covers: its category, or
// what its countries, its region or the draft tell.
func offerKind(d Draft, o BundleOffer) string {
	switch {
	case o.Category != "":
		return o.Category
	case len(o.Countries) == 1:
		return destCountry
	case o.Region != "":
		return destRegion
	case d.Kind == KindNew:
		return d.DestKind
	}
	return ""
}

// clip readies user text for quoting it back: without control and bidi
// characters (which could disguise the reply), at most n characters.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || isBidiControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	r := []rune(strings.TrimSpace(s))
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return string(r)
}

// supportParts cuts a customer's message into parts of at most max
// characters, each but the last ending at a space when one is near its
// end, so that a long message reaches the staff whole.
func supportParts(text string, max int) []string {
	var parts []string
	for r := []rune(text); len(r) > 0; {
		n := min(len(r), max)
		if n < len(r) {
			if i := lastSpace(r[:n]); i > n-200 {
				n = i + 1
			}
		}
		if part := strings.TrimSpace(string(r[:n])); part != "" {
			parts = append(parts, part)
		}
		r = r[n:]
	}
	return parts
}

// lastSpace is the index of the last white space of r, or -1.
func lastSpace(r []rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if unicode.IsSpace(r[i]) {
			return i
		}
	}
	return -1
}
