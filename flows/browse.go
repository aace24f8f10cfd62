package flows

import (
	"html"
	"slices"
	"strconv"
	"strings"

	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
)

// destinationButtons are the buttons of the destination screens.
func destinationButtons() map[action]handler {
	toBundles := []Step{stepBundles}
	return map[action]handler{
		actCountry: {to: []Step{stepBundles, stepDestination}, run: countryButton},
		actRegions: {to: []Step{stepRegions}, run: to(stepRegions)},
		actGlobal:  {to: toBundles, run: destination(destGlobal)},
		actCruise:  {to: toBundles, run: destination(destCruise)},
	}
}

// showDestination asks where the user travels.
func showDestination(v view) screen {
	avail, err := look[[]string](v, needCountries)
	if err != nil {
		return screen{err: err}
	}
	var rows [][]Button
	var row []Button
	for _, code := range v.cfg.Popular {
		if !slices.Contains(avail, code) {
			continue
		}
		row = append(row, v.btn(flag(code)+" "+countryName(code, v.loc.Tag), actCountry, code))
		if len(row) == 2 {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	rows = append(rows,
		[]Button{v.btn(v.loc.T("btn_regions"), actRegions), v.btn(v.loc.T("btn_global"), actGlobal)},
		[]Button{v.btn(v.loc.T("btn_cruise"), actCruise)}, v.back())
	return screen{text: v.loc.T("ask_destination"), rows: rows}
}

// showPickCountry lists the countries a search found.
func showPickCountry(v view) screen {
	rows := make([][]Button, 0, len(v.c.Draft.Choices)+1)
	for _, code := range v.c.Draft.Choices {
		rows = append(rows, []Button{v.btn(flag(code)+" "+countryName(code, v.loc.Tag), actCountry, code)})
	}
	return screen{text: v.loc.T("pick_country"), rows: append(rows, v.back())}
}

// showRegions lists the regions.
func showRegions(v view) screen {
	regions, err := look[[]reseller.Region](v, needRegions)
	if err != nil {
		return screen{err: err}
	}
	rows := [][]Button{}
	for _, r := range regions {
		if validArg(r.Code) {
			rows = append(rows, []Button{v.btn("🌍 "+regionName(v.loc, r.Code, r.Name), actRegion, r.Code)})
		}
	}
	return screen{text: v.loc.T("pick_region"), rows: append(rows, v.back())}
}

// search looks a typed destination up; none says what to do when nothing
// matches.
func search(none func(c Conversation, u User, in input, q string) (Conversation, []effect)) transition {
	return func(c Conversation, u User, in input) (Conversation, []effect) {
		q := in.text()
		avail, wait := want[[]string](in, needCountries)
		if wait != nil {
			return c, wait
		}
		matches := searchCountries(q, avail, in.loc.Tag, 6)
		switch len(matches) {
		case 0:
			return none(c, u, in, q)
		case 1:
			c.Draft = Draft{}
			return openCountry(c, u, in, matches[0])
		}
		c.Draft = Draft{Choices: matches}
		return goTo(c, u, in, stepPickCountry)
	}
}

// menuHint answers text at the menu that is no country: a word on what to
// type, and the menu again.
func menuHint(c Conversation, _ User, in input, q string) (Conversation, []effect) {
	return c, []effect{in.say("hint_menu", "Query", clip(q, 40)), showScreen{}}
}

// noMatch answers a search that found nothing: examples, and the
// destination screen.
func noMatch(c Conversation, u User, in input, q string) (Conversation, []effect) {
	var sugg []string
	for _, code := range in.cfg.Popular[:min(3, len(in.cfg.Popular))] {
		sugg = append(sugg, countryName(code, in.loc.Tag))
	}
	examples := strings.Join(sugg, in.loc.Plain("list_separator")+" ")
	c, next := goTo(c, u, in, stepDestination)
	return c, first(in.say("no_match", "Query", clip(q, 40), "Examples", examples), next)
}

// countryButton opens the country pressed.
func countryButton(c Conversation, u User, in input) (Conversation, []effect) {
	return openCountry(c, u, in, in.press.arg)
}

// regionButton opens the region pressed.
func regionButton(c Conversation, u User, in input) (Conversation, []effect) {
	return openDestination(c, u, in, destRegion, in.press.arg)
}

// openCountry shows a country's bundles, if the country has any.
func openCountry(c Conversation, u User, in input, code string) (Conversation, []effect) {
	iso3, ok := iso3Of(code)
	if !ok {
		return c, in.stale()
	}
	avail, wait := want[[]string](in, needCountries)
	if wait != nil {
		return c, wait
	}
	if slices.Contains(avail, iso3) {
		return openDestination(c, u, in, destCountry, iso3)
	}
	c, next := goTo(c, u, in, stepDestination)
	return c, first(in.say("no_bundles_country", "Country", countryName(iso3, in.loc.Tag)), next)
}

// destination is the transition to a destination without a code.
func destination(kind string) transition {
	return func(c Conversation, u User, in input) (Conversation, []effect) {
		return openDestination(c, u, in, kind, "")
	}
}

// openDestination shows the first page of a destination's bundles.
func openDestination(c Conversation, u User, in input, kind, code string) (Conversation, []effect) {
	d := &c.Draft
	d.Kind, d.DestKind, d.DestCode, d.Page, d.Choices, d.Bundle = KindNew, kind, code, 0, nil, nil
	return goTo(c, u, in, stepBundles)
}

// destinationOffers is the need of the bundle list.
func destinationOffers(c Conversation) []need {
	return []need{needOffers(c.Draft.DestKind, c.Draft.DestCode)}
}

// pageBundles fixes the page of the bundle list shown, and its choices.
func pageBundles(c Conversation, _ User, in input) (Conversation, []effect) {
	d := &c.Draft
	offers, wait := want[[]BundleOffer](in, needOffers(d.DestKind, d.DestCode))
	if wait != nil {
		return c, wait
	}
	size := in.cfg.PageSize
	pages := (len(offers) + size - 1) / size
	d.Page = max(0, min(d.Page, pages-1))
	first := d.Page * size
	d.Choices = nil
	for _, o := range offers[first:min(first+size, len(offers))] {
		d.Choices = append(d.Choices, o.Code)
	}
	return c, []effect{showScreen{}}
}

// turnPage moves the bundle list by delta pages.
func turnPage(delta int) transition {
	return func(c Conversation, u User, in input) (Conversation, []effect) {
		c.Draft.Page += delta
		return pageBundles(c, u, in)
	}
}

// chooseOffer shows the bundle pressed.
func chooseOffer(c Conversation, u User, in input) (Conversation, []effect) {
	d := &c.Draft
	i, ok := atoi(in.press.arg, len(d.Choices))
	if !ok {
		return c, in.stale()
	}
	offers, wait := want[[]BundleOffer](in, needOffers(d.DestKind, d.DestCode))
	if wait != nil {
		return c, wait
	}
	o, ok := offerOf(offers, d.Choices[i])
	if !ok {
		return c, in.stale()
	}
	d.Bundle = &o
	return goTo(c, u, in, stepBundle)
}

// offerOf finds a bundle by its code.
func offerOf(offers []BundleOffer, code string) (BundleOffer, bool) {
	for _, o := range offers {
		if o.Code == code {
			return o, true
		}
	}
	return BundleOffer{}, false
}

// chosen are the offers of the codes, in their order.
func chosen(offers []BundleOffer, codes []string) []BundleOffer {
	var out []BundleOffer
	for _, code := range codes {
		if o, ok := offerOf(offers, code); ok {
			out = append(out, o)
		}
	}
	return out
}

// bundlesBack goes from the bundle list to where the destination was
// chosen.
func bundlesBack(c Conversation, u User, in input) (Conversation, []effect) {
	if c.Draft.DestKind == destRegion {
		return goTo(c, u, in, stepRegions)
	}
	return goTo(c, u, in, stepDestination)
}

// showBundles shows one page of the destination's bundles.
func showBundles(v view) screen {
	d := v.c.Draft
	offers, err := look[[]BundleOffer](v, needOffers(d.DestKind, d.DestCode))
	if err != nil {
		return screen{err: err}
	}
	title := destinationTitle(v.loc, d)
	if len(offers) == 0 {
		return screen{text: v.loc.T("no_bundles", "Destination", locales.Raw(html.EscapeString(title))), rows: [][]Button{v.back()}}
	}
	size := v.cfg.PageSize
	pages := (len(offers) + size - 1) / size
	page := chosen(offers, d.Choices)
	var lines []string
	var rows [][]Button
	for i, o := range page {
		lines = append(lines, bundleLine(v.loc, d.Page*size+i+1, o)+costNote(v, o))
		rows = append(rows, []Button{v.btn(bundleButton(v.loc, o), actBundle, strconv.Itoa(i))})
	}
	var nav []Button
	if d.Page > 0 {
		nav = append(nav, v.btn(v.loc.T("btn_prev"), actPrev))
	}
	if d.Page < pages-1 {
		nav = append(nav, v.btn(v.loc.T("btn_next"), actNext))
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	order := v.loc.T("bundles_sorted")
	if pages > 1 {
		order = v.loc.T("bundles_page", "Page", v.loc.Number(int64(d.Page+1)), "Pages", v.loc.Number(int64(pages)))
	}
	text := v.loc.T("bundles_title", "Destination", title) + "\n" + order + "\n\n" + strings.Join(lines, "\n")
	if legend := legend(v.loc, page); legend != "" {
		text += "\n\n" + legend
	}
	return screen{text: text, rows: append(rows, v.back())}
}

// destinationTitle names the draft's destination.
func destinationTitle(loc *locales.Localizer, d Draft) string {
	switch d.DestKind {
	case destCountry:
		return flag(d.DestCode) + " " + countryName(d.DestCode, loc.Tag)
	case destRegion:
		return "🌍 " + regionName(loc, d.DestCode, d.DestCode)
	case destGlobal:
		return "🌐 " + loc.T("dest_global")
	case destCruise:
		return "🚢 " + loc.T("dest_cruise")
	}
	return ""
}

// regionName names a region in the user's language when the catalog has
// a translation, else as the API names it.
func regionName(loc *locales.Localizer, code, apiName string) string {
	if key := "region_" + strings.ToLower(code); loc.Has(key) {
		return loc.Plain(key)
	}
	if apiName != "" {
		return apiName
	}
	return code
}
