package flows

import (
	"context"
	"strconv"
	"strings"

	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
)

// esim is one eSIM profile of a user: its first sale and its top-ups.
type esim struct {
	first  Sale
	topups []Sale
}

// esimsOf returns the eSIMs of a user's sales (newest first) that the API
// assigned, newest first.
func esimsOf(sales []Sale) []esim {
	var out []esim
	index := map[string]int{}
	for _, s := range sales { // newest first
		if s.Kind != KindNew || s.ICCID == "" || (s.State != SaleAssigned && s.State != SaleDelivered) {
			continue
		}
		index[s.ICCID] = len(out)
		out = append(out, esim{first: s})
	}
	for i := len(sales) - 1; i >= 0; i-- { // top-ups oldest first
		s := sales[i]
		if j, ok := index[s.ICCID]; ok && s.Kind == KindTopup && s.State != SaleFailed {
			out[j].topups = append(out[j].topups, s)
		}
	}
	return out
}

// maxListed is the length of the eSIM and top-up lists.
const maxListed = 10

// mine reports whether the user may see a sale: theirs, or any for an
// admin.
func mine(u User, s Sale) bool { return s.User == u.ID || u.Role == RoleAdmin }

// listESIMs fixes the eSIMs the list offers.
func listESIMs(c Conversation, _ User, in input) (Conversation, []effect) {
	list, wait := want[[]esim](in, needESIMs)
	if wait != nil {
		return c, wait
	}
	c.Draft.Choices = nil
	for _, m := range list[:min(len(list), maxListed)] {
		c.Draft.Choices = append(c.Draft.Choices, m.first.Ref)
	}
	return c, []effect{showScreen{}}
}

// showESIMs lists the user's eSIMs.
func showESIMs(v view) screen {
	list, err := look[[]esim](v, needESIMs)
	if err != nil {
		return screen{err: err}
	}
	orders := ordersText(v)
	if len(v.c.Draft.Choices) == 0 {
		return screen{text: v.loc.T(agentKey("esims_none", v.u.Role)) + orders, rows: [][]Button{{v.btn(v.loc.T("btn_buy"), actBuyNew)}, v.back()}}
	}
	lines, rows := esimChoices(v, list, actESIM)
	return screen{text: v.loc.T(agentKey("esims_title", v.u.Role)) + "\n\n" + lines + orders, rows: append(rows, v.back())}
}

// esimChoices are the lines and the buttons (of action a) of the eSIMs of
// the draft's choices, numbered: what each is, and a button for each.
func esimChoices(v view, list []esim, a action) (string, [][]Button) {
	var rows [][]Button
	var lines []string
	for i, ref := range v.c.Draft.Choices {
		m := esimByRef(list, ref)
		lines = append(lines, v.loc.T(agentKey("esim_line", v.u.Role), "N", v.loc.Number(int64(i+1)), "Bundle", m.first.BundleName,
			"ICCID", m.first.ICCID, "State", saleLabel(v.loc, m.first), "Topups", v.loc.Number(int64(len(m.topups))),
			"Customer", m.first.Name, "Ref", m.first.Ref))
		rows = append(rows, []Button{v.btn(esimLabel(v.loc, v.u.Role, i, m.first), a, strconv.Itoa(i))})
	}
	return strings.Join(lines, "\n"), rows
}

// esimByRef finds an eSIM by its first sale's reference, or by its ICCID.
func esimByRef(list []esim, ref string) esim {
	for _, m := range list {
		if m.first.Ref == ref || m.first.ICCID == ref {
			return m
		}
	}
	return esim{first: Sale{Ref: ref, ICCID: ref}}
}

// esimLabel is the button label of the i-th eSIM of a list: its number and
// the end of its ICCID, and for agents the customer's name.
func esimLabel(loc *locales.Localizer, role Role, i int, s Sale) string {
	label := loc.Plain("esim_button", "N", loc.Number(int64(i+1)), "Tail", tail(s.ICCID))
	if role != RoleCustomer && s.Name != "" {
		label += " · " + s.Name
	}
	return label
}

// stateLabel names a sale state for the user.
func stateLabel(loc *locales.Localizer, s SaleState) string { return loc.T("state_" + string(s)) }

// tail is the end of an ICCID, enough to tell eSIMs apart.
func tail(iccid string) string {
	if len(iccid) > 6 {
		return "…" + iccid[len(iccid)-6:]
	}
	return iccid
}

// openESIM shows the eSIM pressed.
func openESIM(c Conversation, u User, in input) (Conversation, []effect) {
	i, ok := atoi(in.press.arg, len(c.Draft.Choices))
	if !ok {
		return c, in.stale()
	}
	c.Draft.TopupRef = c.Draft.Choices[i]
	return goTo(c, u, in, stepESIM)
}

// currentESIM is the need of the eSIM screen.
func currentESIM(c Conversation) []need { return []need{needESIM(c.Draft.TopupRef)} }

// ownESIM reports whether the eSIM of the draft is there and the user's.
func ownESIM(v view) bool {
	m, err := look[esimData](v, needESIM(v.c.Draft.TopupRef))
	return err == nil && mine(v.u, m.first)
}

// showESIM shows one eSIM and what can be done with it.
func showESIM(v view) screen {
	m, _ := look[esimData](v, needESIM(v.c.Draft.TopupRef))
	var lines []string
	for _, x := range m.all {
		lines = append(lines, v.loc.T("esim_bundle_line", "Bundle", x.BundleName, "State", saleLabel(v.loc, x),
			"Date", v.loc.Date(x.Created)))
	}
	text := v.loc.T("esim_title", "ICCID", m.first.ICCID) + "\n" + strings.Join(lines, "\n")
	rows := [][]Button{{v.btn(v.loc.T("btn_usage"), actUsage), v.btn(v.loc.T("btn_resend_qr"), actQR)}}
	if m.first.LPA == "" {
		rows = [][]Button{{v.btn(v.loc.T("btn_usage"), actUsage)}}
	}
	rows = append(rows, []Button{v.btn(v.loc.T("btn_topup"), actTopup)}, v.back())
	return screen{text: text, rows: rows}
}

// theESIM is the eSIM of the draft for one of its buttons, or the
// effects to load it, or to call the button stale.
func theESIM(c Conversation, u User, in input) (Sale, []effect) {
	m, wait, err := attempt[esimData](in, needESIM(c.Draft.TopupRef))
	switch {
	case wait != nil:
		return Sale{}, wait
	case err != nil || !mine(u, m.first):
		return Sale{}, in.stale()
	}
	return m.first, nil
}

// esimUsage shows the usage of the eSIM.
func esimUsage(c Conversation, u User, in input) (Conversation, []effect) {
	s, wait := theESIM(c, u, in)
	if wait != nil {
		return c, wait
	}
	c.Draft.ICCID = s.ICCID
	return goTo(c, u, in, stepUsage)
}

// esimQR sends the eSIM again.
func esimQR(c Conversation, u User, in input) (Conversation, []effect) {
	s, wait := theESIM(c, u, in)
	switch {
	case wait != nil:
		return c, wait
	case s.LPA == "":
		return c, in.stale()
	}
	return c, []effect{resend{s}}
}

// esimTopup starts a top-up of the eSIM, for its end user.
func esimTopup(c Conversation, u User, in input) (Conversation, []effect) {
	s, wait := theESIM(c, u, in)
	if wait != nil {
		return c, wait
	}
	d := &c.Draft
	d.Kind, d.ICCID, d.Email, d.Name, d.WhatsApp = KindTopup, s.ICCID, s.Email, s.Name, s.WhatsApp
	return goTo(c, u, in, stepTopupBundles)
}

// resendQR sends a delivered eSIM again, to its buyer (or an admin), from
// the button on its delivery.
func resendQR(c Conversation, u User, in input) (Conversation, []effect) {
	if in.press.arg == "" {
		return c, in.stale()
	}
	s, wait, err := attempt[Sale](in, needSale(in.press.arg))
	switch {
	case wait != nil:
		return c, wait
	case err != nil || !mine(u, s) || s.LPA == "":
		return c, in.stale()
	}
	return c, []effect{resend{s}}
}

// profileTopups is the need of the top-up list.
func profileTopups(c Conversation) []need { return []need{needTopups(c.Draft.ICCID)} }

// listTopups fixes the top-ups the list offers.
func listTopups(c Conversation, _ User, in input) (Conversation, []effect) {
	offers, wait := want[[]BundleOffer](in, needTopups(c.Draft.ICCID))
	if wait != nil {
		return c, wait
	}
	c.Draft.Choices = nil
	for _, o := range offers[:min(len(offers), maxListed)] {
		c.Draft.Choices = append(c.Draft.Choices, o.Code)
	}
	return c, []effect{showScreen{}}
}

// showTopups lists the top-ups of the current eSIM.
func showTopups(v view) screen {
	d := v.c.Draft
	offers, err := look[[]BundleOffer](v, needTopups(d.ICCID))
	if err != nil {
		return screen{err: err}
	}
	if len(offers) == 0 {
		return screen{text: v.loc.T("topup_none"), rows: [][]Button{v.back()}}
	}
	page := chosen(offers, d.Choices)
	var rows [][]Button
	var lines []string
	for i, o := range page {
		lines = append(lines, bundleLine(v.loc, i+1, o)+costNote(v, o))
		rows = append(rows, []Button{v.btn(bundleButton(v.loc, o), actBundle, strconv.Itoa(i))})
	}
	text := v.loc.T("topup_title", "ICCID", d.ICCID) + "\n\n" + strings.Join(lines, "\n")
	if legend := legend(v.loc, page); legend != "" {
		text += "\n\n" + legend
	}
	return screen{text: text, rows: append(rows, v.back())}
}

// chooseTopup asks to confirm the top-up pressed.
func chooseTopup(c Conversation, u User, in input) (Conversation, []effect) {
	d := &c.Draft
	i, ok := atoi(in.press.arg, len(d.Choices))
	if !ok {
		return c, in.stale()
	}
	offers, wait := want[[]BundleOffer](in, needTopups(d.ICCID))
	if wait != nil {
		return c, wait
	}
	o, ok := offerOf(offers, d.Choices[i])
	if !ok {
		return c, in.stale()
	}
	d.Bundle = &o
	return goTo(c, u, in, stepTopupSummary)
}

// topupOffers lists the bundles that can top up a profile, cheapest
// first, keeping only the profile's type (Standard and Global eSIM never
// mix). fresh skips the cache (confirming).
func (e *Engine) topupOffers(ctx context.Context, iccid string, fresh bool) ([]BundleOffer, error) {
	if fresh {
		e.catalog.drop("topup|" + iccid)
	}
	return e.topupOffersIn(ctx, iccid, cached[[]reseller.Bundle])
}

// topupOffersIn is topupOffers through get (cached, or cachedStrict for a
// payment's pre-checkout).
func (e *Engine) topupOffersIn(ctx context.Context, iccid string,
	get func(context.Context, *cache, string, func(context.Context) ([]reseller.Bundle, error)) ([]reseller.Bundle, error)) ([]BundleOffer, error) {
	list, err := get(ctx, e.catalog, "topup|"+iccid, func(ctx context.Context) ([]reseller.Bundle, error) {
		return e.api.TopupBundles(ctx, reseller.ProfileRef{ICCID: iccid})
	})
	if err != nil {
		return nil, err
	}
	// Keep the type of the profile's first bundle (STANDARD when the API
	// left it out), and offer nothing when it cannot be told.
	all, err := e.store.SalesByICCID(ctx, iccid)
	if err != nil {
		return nil, err
	}
	profile := string(reseller.ProfileStandard)
	if len(all) > 0 && all[0].ProfileType != "" {
		profile = all[0].ProfileType
	}
	var offers []BundleOffer
	for _, b := range list {
		if o := e.offer(b); o.ProfileType == profile {
			offers = append(offers, o)
		}
	}
	sortOffers(offers)
	return offers, nil
}
