package flows

import (
	"html"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/collate"

	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
)

// showDestination asks where the user travels.
func (t *turn) showDestination(b func(string, string, ...string) Button, back []Button) error {
	avail, err := t.e.availableCountries(t.ctx)
	if err != nil {
		return t.apiTrouble(err)
	}
	has := map[string]bool{}
	for _, c := range avail {
		has[c] = true
	}
	var rows [][]Button
	var row []Button
	for _, code := range t.e.cfg.Popular {
		if !has[code] {
			continue
		}
		row = append(row, b(flag(code)+" "+countryName(code, t.loc.Tag), "c", code))
		if len(row) == 2 {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	rows = append(rows,
		[]Button{b(t.loc.T("btn_regions"), "regions"), b(t.loc.T("btn_global"), "global")},
		[]Button{b(t.loc.T("btn_cruise"), "cruise")}, back)
	return t.screen(t.loc.T("ask_destination"), rows...)
}

// pressDestination handles the destination screens' buttons.
func (t *turn) pressDestination(p pressed) error {
	switch p.action {
	case "c":
		return t.openCountry(p.arg)
	case "regions":
		return t.goTo(stepRegions)
	case "global":
		return t.openDestination(destGlobal, "")
	case "cruise":
		return t.openDestination(destCruise, "")
	}
	return t.stale()
}

// searchDestination looks a typed destination up.
func (t *turn) searchDestination(q string) error {
	avail, err := t.e.availableCountries(t.ctx)
	if err != nil {
		return t.apiTrouble(err)
	}
	matches := searchCountries(q, avail, t.loc.Tag, 6)
	t.button = false
	switch len(matches) {
	case 0:
		if t.conv.Step == stepMenu {
			// Not a country: the menu again, with a word on what to type.
			if err := t.send(Message{Text: t.loc.T("hint_menu", "Query", clip(q, 40))}); err != nil {
				return err
			}
			return t.show()
		}
		var sugg []string
		for _, code := range t.e.cfg.Popular[:min(3, len(t.e.cfg.Popular))] {
			sugg = append(sugg, countryName(code, t.loc.Tag))
		}
		if err := t.send(Message{Text: t.loc.T("no_match", "Query", clip(q, 40), "Examples", strings.Join(sugg, t.loc.Plain("list_separator")+" "))}); err != nil {
			return err
		}
		return t.goTo(stepDestination)
	case 1:
		t.resetDraft()
		return t.openCountry(matches[0])
	}
	t.resetDraft()
	t.conv.Draft.Choices = matches
	return t.goTo(stepPickCountry)
}

// openCountry shows a country's bundles, if the country has any.
func (t *turn) openCountry(code string) error {
	iso3, ok := iso3Of(code)
	if !ok {
		return t.stale()
	}
	avail, err := t.e.availableCountries(t.ctx)
	if err != nil {
		return t.apiTrouble(err)
	}
	for _, c := range avail {
		if c == iso3 {
			return t.openDestination(destCountry, iso3)
		}
	}
	if err := t.send(Message{Text: t.loc.T("no_bundles_country", "Country", countryName(iso3, t.loc.Tag))}); err != nil {
		return err
	}
	t.button = false
	return t.goTo(stepDestination)
}

// openDestination shows the first page of a destination's bundles.
func (t *turn) openDestination(kind, code string) error {
	d := &t.conv.Draft
	d.Kind, d.DestKind, d.DestCode, d.Page, d.Choices, d.Bundle = KindNew, kind, code, 0, nil, nil
	return t.goTo(stepBundles)
}

// destinationTitle names the current destination.
func (t *turn) destinationTitle() string {
	d := t.conv.Draft
	switch d.DestKind {
	case destCountry:
		return flag(d.DestCode) + " " + countryName(d.DestCode, t.loc.Tag)
	case destRegion:
		return "🌍 " + t.regionName(d.DestCode, d.DestCode)
	case destGlobal:
		return "🌐 " + t.loc.T("dest_global")
	case destCruise:
		return "🚢 " + t.loc.T("dest_cruise")
	}
	return ""
}

// showBundles shows one page of the destination's bundles.
func (t *turn) showBundles(b func(string, string, ...string) Button, back []Button) error {
	d := &t.conv.Draft
	offers, err := t.e.destinationBundles(t.ctx, d.DestKind, d.DestCode, false)
	if err != nil {
		return t.apiTrouble(err)
	}
	if len(offers) == 0 {
		return t.screen(t.loc.T("no_bundles", "Destination", locales.Raw(html.EscapeString(t.destinationTitle()))), back)
	}
	size := t.e.cfg.PageSize
	pages := (len(offers) + size - 1) / size
	d.Page = max(0, min(d.Page, pages-1))
	first := d.Page * size
	page := offers[first:min(first+size, len(offers))]
	d.Choices = d.Choices[:0]
	var lines []string
	var rows [][]Button
	for i, o := range page {
		d.Choices = append(d.Choices, o.Code)
		lines = append(lines, t.bundleLine(first+i+1, o))
		rows = append(rows, []Button{b(t.bundleButton(o), "b", strconv.Itoa(i))})
	}
	var nav []Button
	if d.Page > 0 {
		nav = append(nav, b(t.loc.T("btn_prev"), "prev"))
	}
	if d.Page < pages-1 {
		nav = append(nav, b(t.loc.T("btn_next"), "next"))
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	order := t.loc.T("bundles_sorted")
	if pages > 1 {
		order = t.loc.T("bundles_page", "Page", t.loc.Number(int64(d.Page+1)), "Pages", t.loc.Number(int64(pages)))
	}
	text := t.loc.T("bundles_title", "Destination", t.destinationTitle()) + "\n" + order + "\n\n" + strings.Join(lines, "\n")
	if legend := t.legend(page); legend != "" {
		text += "\n\n" + legend
	}
	return t.screen(text, append(rows, back)...)
}

// pressBundles handles the bundle list's buttons.
func (t *turn) pressBundles(p pressed) error {
	d := &t.conv.Draft
	switch p.action {
	case "prev":
		d.Page--
		return t.show()
	case "next":
		d.Page++
		return t.show()
	case "b":
		i, ok := atoi(p.arg, len(d.Choices))
		if !ok {
			return t.stale()
		}
		offers, err := t.e.destinationBundles(t.ctx, d.DestKind, d.DestCode, false)
		if err != nil {
			return t.apiTrouble(err)
		}
		for _, o := range offers {
			if o.Code == d.Choices[i] {
				d.Bundle = &o
				return t.goTo(stepBundle)
			}
		}
		return t.stale()
	}
	return t.stale()
}

// dataLabel formats a data volume.
func (t *turn) dataLabel(mb int64) string {
	switch {
	case mb < 0:
		return t.loc.T("data_unlimited")
	case mb >= 1024 && mb%1024 == 0:
		return t.loc.T("data_gb", "Amount", t.loc.Number(mb/1024))
	case mb >= 1024:
		return t.loc.T("data_gb", "Amount", t.loc.Decimal(math.Round(float64(mb)/102.4)/10))
	}
	return t.loc.T("data_mb", "Amount", t.loc.Number(mb))
}

// legend explains the marks that the offers carry, and only those.
func (t *turn) legend(offers []BundleOffer) string {
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
			parts = append(parts, t.loc.T(m.key))
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

// bundleLine is one line of the bundle list (HTML).
func (t *turn) bundleLine(n int, o BundleOffer) string {
	return t.loc.T("bundle_line", "N", t.loc.Number(int64(n)), "Data", t.dataLabel(o.DataMB),
		"Days", t.loc.N("days", o.Days), "Price", t.loc.Price(o.Price, o.Currency), "Marks", marks(o))
}

// bundleButton is a bundle's button label (plain text), with the marks
// of its line.
func (t *turn) bundleButton(o BundleOffer) string {
	return html.UnescapeString(t.dataLabel(o.DataMB)+" · "+t.loc.N("days", o.Days)+" · "+t.loc.Price(o.Price, o.Currency)) + marks(o)
}

// bundleName names a bundle in the user's language from its parts, such
// as "Allemagne · 1 Go · 7 jours" (plain text): the API's marketing name
// is English and shown only as the plan's name.
func (t *turn) bundleName(o BundleOffer) string {
	parts := []string{t.offerPlace(o), t.dataLabel(o.DataMB), t.loc.N("days", o.Days)}
	if parts[0] == "" {
		parts[0] = o.Name
	}
	return html.UnescapeString(strings.Join(parts, " · "))
}

// offerPlace names what a bundle covers, in the user's language: its
// country, its region, Global or Cruise; "" when it cannot be told.
func (t *turn) offerPlace(o BundleOffer) string {
	d := t.conv.Draft
	kind := o.Category
	if kind == "" {
		switch {
		case len(o.Countries) == 1:
			kind = destCountry
		case o.Region != "":
			kind = destRegion
		case d.Kind == KindNew:
			kind = d.DestKind
		}
	}
	switch kind {
	case destCountry:
		code := d.DestCode
		if len(o.Countries) == 1 || (len(o.Countries) > 0 && d.DestKind != destCountry) {
			code = o.Countries[0]
		}
		if code != "" {
			return countryName(code, t.loc.Tag)
		}
	case destRegion:
		code := o.Region
		if code == "" && d.DestKind == destRegion {
			code = d.DestCode
		}
		if code != "" || o.RegionName != "" {
			return t.regionName(code, o.RegionName)
		}
	case destGlobal:
		return t.loc.Plain("dest_global")
	case destCruise:
		return t.loc.Plain("dest_cruise")
	}
	return ""
}

// showBundle shows a bundle's details and networks: per network for a
// single country, and for a bundle that covers several countries the list
// of them, with networks per country on demand (typed).
func (t *turn) showBundle(b func(string, string, ...string) Button, back []Button) error {
	o := t.conv.Draft.Bundle
	if o == nil {
		return t.goTo(stepBundles)
	}
	t.act("typing")
	text := t.bundleDetails(*o)
	nets, err := t.e.networks(t.ctx, o.Code)
	if err != nil {
		t.e.log.WarnContext(t.ctx, "networks", "bundle", o.Code, "err", err)
	}
	if covered := t.covered(*o, nets); len(covered) > 1 {
		names := make([]string, 0, len(covered))
		for _, code := range covered {
			names = append(names, countryName(code, t.loc.Tag))
		}
		const most = 80
		list := strings.Join(names[:min(len(names), most)], t.loc.Plain("list_separator")+" ")
		if len(names) > most {
			list += " " + t.loc.N("countries_more", len(names)-most)
		}
		text += "\n\n" + t.loc.N("coverage_title", len(covered)) + "\n" + html.EscapeString(list) + "\n\n" + t.loc.T("coverage_ask")
	} else if len(nets) > 0 {
		var lines []string
		for i, n := range nets {
			if i == 12 {
				lines = append(lines, t.loc.N("networks_more", len(nets)-i))
				break
			}
			lines = append(lines, t.networkLine(n))
		}
		text += "\n\n" + t.loc.T("networks_title") + "\n" + strings.Join(lines, "\n")
	}
	return t.screen(text, []Button{b(t.loc.T("btn_choose"), "choose")}, back)
}

// networkLine is one network of a bundle (HTML).
func (t *turn) networkLine(n reseller.Network) string {
	where := countryName(n.CountryCode, t.loc.Tag)
	if where == n.CountryCode && n.CountryName != "" {
		where = n.CountryName
	}
	return t.loc.T("network_line", "Flag", flag(n.CountryCode), "Country", where, "Network", n.Name, "Speed", n.Speeds.String())
}

// covered returns the ISO-3 codes of the countries a bundle covers (its
// own list and its networks' countries), sorted by their names in the
// user's language.
func (t *turn) covered(o BundleOffer, nets []reseller.Network) []string {
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
	col := collate.New(t.loc.Tag, collate.Loose)
	sort.SliceStable(out, func(i, j int) bool {
		return col.CompareString(countryName(out[i], t.loc.Tag), countryName(out[j], t.loc.Tag)) < 0
	})
	return out
}

// askCoverage answers a question typed at a bundle that covers several
// countries, such as "is Japan covered?": whether the country is, with its
// networks there.
func (t *turn) askCoverage(q string) (bool, error) {
	o := t.conv.Draft.Bundle
	if o == nil {
		return false, nil
	}
	nets, err := t.e.networks(t.ctx, o.Code)
	if err != nil {
		return false, nil // answered as a destination search instead
	}
	covered := t.covered(*o, nets)
	if len(covered) < 2 {
		return false, nil
	}
	avail, _ := t.e.availableCountries(t.ctx)
	among := dedupe(append(append([]string(nil), avail...), covered...))
	sort.Strings(among) // one cached gazetteer for every bundle within the catalog
	codes := mentionedCountries(q, among, t.loc.Tag)
	t.button = false
	if len(codes) == 0 {
		return true, t.send(Message{Text: t.loc.T("coverage_which")})
	}
	var answers []string
	for _, code := range codes {
		name := flag(code) + " " + countryName(code, t.loc.Tag)
		if !slices.Contains(covered, code) {
			answers = append(answers, t.loc.T("coverage_no", "Country", name))
			continue
		}
		var lines []string
		for _, n := range nets {
			if iso3, ok := iso3Of(n.CountryCode); ok && iso3 == code {
				lines = append(lines, t.loc.T("coverage_network", "Network", n.Name, "Speed", n.Speeds.String()))
			}
		}
		answers = append(answers, t.loc.T("coverage_yes", "Country", name)+"\n"+strings.Join(lines, "\n"))
	}
	return true, t.send(Message{Text: strings.Join(answers, "\n\n")})
}

// bundleDetails describes a bundle (HTML).
func (t *turn) bundleDetails(o BundleOffer) string {
	text := t.loc.T("bundle_details", "Name", t.bundleName(o), "Plan", o.Name, "Price", t.loc.Price(o.Price, o.Currency))
	if o.CallsSMS {
		text += "\n" + t.loc.T("bundle_calls_sms")
	}
	if o.Topup {
		text += "\n" + t.loc.T("bundle_topup")
	}
	if o.ProfileType == "GLOBAL_ESIM" {
		text += "\n" + t.loc.T("bundle_global_esim")
	}
	return text
}

// chooseBundle moves on to the end user's details.
func (t *turn) chooseBundle() error {
	return t.goTo(stepEmail)
}

// defaultName is the name offered with one tap: the remembered one, or
// the Telegram profile's (customers only).
func (t *turn) defaultName() string {
	if t.role != RoleCustomer {
		return ""
	}
	if t.user.Name != "" {
		return t.user.Name
	}
	if n, err := checkName(t.ev.From.FullName()); err == nil {
		return n
	}
	return ""
}

// useDefault takes the offered email or name.
func (t *turn) useDefault() error {
	switch t.conv.Step {
	case stepEmail:
		if t.role != RoleCustomer || t.user.Email == "" {
			return t.stale()
		}
		return t.inputEmail(t.user.Email)
	case stepName:
		def := t.defaultName()
		if def == "" {
			return t.stale()
		}
		return t.inputName(def)
	}
	return t.stale()
}

// inputEmail takes the end user's email.
func (t *turn) inputEmail(s string) error {
	email, err := checkEmail(s)
	if err != nil {
		t.button = false
		return t.send(Message{Text: t.loc.T(inputKey(err), "Value", clip(s, 64))})
	}
	t.conv.Draft.Email = email
	return t.afterDetail()
}

// inputName takes the end user's name.
func (t *turn) inputName(s string) error {
	name, err := checkName(s)
	if err != nil {
		t.button = false
		return t.send(Message{Text: t.loc.T(inputKey(err))})
	}
	t.conv.Draft.Name = name
	return t.afterDetail()
}

// inputWhatsApp takes the end user's WhatsApp number.
func (t *turn) inputWhatsApp(s string) error {
	e164, err := checkPhone(s, t.user.Lang)
	if err != nil {
		t.button = false
		return t.send(Message{Text: t.loc.T(inputKey(err))})
	}
	t.conv.Draft.WhatsApp = e164
	if t.role != RoleCustomer {
		return t.afterDetail() // no share-number keyboard to close
	}
	if err := t.send(Message{Text: t.loc.T("whatsapp_saved", "Number", t.loc.Digits(e164)), RemoveKeyboard: true}); err != nil {
		return err
	}
	t.button = false
	return t.afterDetail()
}

// skipWhatsApp goes on without a WhatsApp number, closing the
// share-number keyboard.
func (t *turn) skipWhatsApp() error {
	t.conv.Draft.WhatsApp = ""
	if t.role != RoleCustomer {
		return t.afterDetail() // no share-number keyboard to close
	}
	if err := t.send(Message{Text: t.loc.T("whatsapp_skipped"), RemoveKeyboard: true}); err != nil {
		return err
	}
	t.button = false
	return t.afterDetail()
}

// isSkip reports whether typed text asks to skip an optional detail: the
// Skip button's label or one of the language's skip words (any case and
// accents), or the English "skip".
func (t *turn) isSkip(s string) bool {
	q := fold(s)
	if q == "" {
		return false
	}
	words := append(strings.Split(t.loc.Plain("skip_words"), ","), t.loc.Plain("btn_skip"), "skip")
	for _, w := range words {
		if fold(w) == q {
			return true
		}
	}
	return false
}

// afterDetail moves to the next detail, or back to the summary when editing.
func (t *turn) afterDetail() error {
	d := &t.conv.Draft
	if d.Editing || t.conv.Step == stepWhatsApp {
		d.Editing = false
		return t.goTo(stepSummary)
	}
	switch t.conv.Step {
	case stepEmail:
		return t.goTo(stepName)
	case stepName:
		return t.goTo(stepWhatsApp)
	}
	return t.goTo(stepSummary)
}

// showSummary shows what will be sold, to confirm or edit.
func (t *turn) showSummary(b func(string, string, ...string) Button, back []Button) error {
	d := t.conv.Draft
	if d.Bundle == nil || d.Email == "" || d.Name == "" {
		t.resetDraft()
		return t.goTo(stepMenu)
	}
	wa := t.loc.T("summary_no_whatsapp")
	if d.WhatsApp != "" {
		wa = html.EscapeString(t.loc.Digits(d.WhatsApp))
	}
	text := t.loc.T(agentKey("summary", t.role), "Bundle", locales.Raw(t.bundleDetails(*d.Bundle)),
		"Email", d.Email, "Name", d.Name, "WhatsApp", locales.Raw(wa))
	if t.e.cfg.Sandbox {
		text += "\n\n" + t.loc.T("sandbox_banner")
	}
	return t.screen(text,
		[]Button{b(t.loc.Plain("btn_confirm", "Price", t.loc.Price(d.Bundle.Price, d.Bundle.Currency)), "confirm")},
		[]Button{b(t.loc.T("btn_edit_email"), "edit", "email"), b(t.loc.T("btn_edit_name"), "edit", "name"), b(t.loc.T("btn_edit_whatsapp"), "edit", "wa")},
		[]Button{b(t.loc.T("btn_cancel"), "cancel")}, back)
}

// pressSummary handles the summary's buttons.
func (t *turn) pressSummary(p pressed) error {
	d := &t.conv.Draft
	switch p.action {
	case "confirm":
		return t.confirm()
	case "cancel":
		t.resetDraft()
		if err := t.send(Message{Text: t.loc.T("cancelled"), Replace: t.origin()}); err != nil {
			return err
		}
		t.button = false
		return t.goTo(stepMenu)
	case "edit":
		if t.conv.Step != stepSummary {
			return t.stale()
		}
		d.Editing = true
		switch p.arg {
		case "email":
			return t.goTo(stepEmail)
		case "name":
			return t.goTo(stepName)
		case "wa":
			return t.goTo(stepWhatsApp)
		}
	}
	return t.stale()
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
