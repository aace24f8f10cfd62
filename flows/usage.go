package flows

import (
	"errors"
	"strconv"
	"strings"
	"unicode"

	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
)

// esim is one eSIM profile of a user: its first sale and its top-ups.
type esim struct {
	first  Sale
	topups []Sale
}

// esims returns the user's eSIMs that the API assigned, newest first.
func (t *turn) esims() ([]esim, error) {
	sales, err := t.e.store.SalesByUser(t.ctx, t.user.ID)
	if err != nil {
		return nil, err
	}
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
	return out, nil
}

// stateLabel names a sale state for the user.
func (t *turn) stateLabel(s SaleState) string { return t.loc.T("state_" + string(s)) }

// showESIMs lists the user's eSIMs.
func (t *turn) showESIMs(b func(string, string, ...string) Button, back []Button) error {
	list, err := t.esims()
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return t.screen(t.loc.T(agentKey("esims_none", t.role)), []Button{b(t.loc.T("btn_buy"), "buy_new")}, back)
	}
	d := &t.conv.Draft
	d.Choices = d.Choices[:0]
	var rows [][]Button
	var lines []string
	for i, m := range list {
		if i == 10 {
			break
		}
		d.Choices = append(d.Choices, m.first.Ref)
		lines = append(lines, t.loc.T(agentKey("esim_line", t.role), "N", t.loc.Number(int64(i+1)), "Bundle", m.first.BundleName,
			"ICCID", m.first.ICCID, "State", t.stateLabel(m.first.State), "Topups", t.loc.Number(int64(len(m.topups))),
			"Customer", m.first.Name, "Ref", m.first.Ref))
		rows = append(rows, []Button{b(t.esimLabel(i, m.first), "e", strconv.Itoa(i))})
	}
	return t.screen(t.loc.T(agentKey("esims_title", t.role))+"\n\n"+strings.Join(lines, "\n"), append(rows, back)...)
}

// esimLabel is the button label of the i-th eSIM of a list: its number and
// the end of its ICCID, and for agents the customer's name.
func (t *turn) esimLabel(i int, s Sale) string {
	label := t.loc.Plain("esim_button", "N", t.loc.Number(int64(i+1)), "Tail", tail(s.ICCID))
	if t.role != RoleCustomer && s.Name != "" {
		label += " · " + s.Name
	}
	return label
}

// tail is the end of an ICCID, enough to tell eSIMs apart.
func tail(iccid string) string {
	if len(iccid) > 6 {
		return "…" + iccid[len(iccid)-6:]
	}
	return iccid
}

// pressESIMs handles the eSIM list.
func (t *turn) pressESIMs(p pressed) error {
	d := &t.conv.Draft
	switch p.action {
	case "e":
		i, ok := atoi(p.arg, len(d.Choices))
		if !ok {
			return t.stale()
		}
		d.TopupRef = d.Choices[i]
		return t.goTo(stepESIM)
	case "buy_new":
		t.resetDraft()
		return t.goTo(stepDestination)
	}
	return t.stale()
}

// currentESIM loads the eSIM the draft is about, checking it is the user's.
func (t *turn) currentESIM() (Sale, []Sale, bool) {
	s, err := t.e.store.Sale(t.ctx, t.conv.Draft.TopupRef)
	if err != nil || s.ICCID == "" || (s.User != t.user.ID && t.role != RoleAdmin) {
		return Sale{}, nil, false
	}
	all, err := t.e.store.SalesByICCID(t.ctx, s.ICCID)
	if err != nil {
		return Sale{}, nil, false
	}
	return s, all, true
}

// showESIM shows one eSIM and what can be done with it.
func (t *turn) showESIM(b func(string, string, ...string) Button, back []Button) error {
	s, all, ok := t.currentESIM()
	if !ok {
		return t.goTo(stepESIMs)
	}
	var lines []string
	for _, x := range all {
		lines = append(lines, t.loc.T("esim_bundle_line", "Bundle", x.BundleName, "State", t.stateLabel(x.State),
			"Date", t.loc.Date(x.Created)))
	}
	text := t.loc.T("esim_title", "ICCID", s.ICCID) + "\n" + strings.Join(lines, "\n")
	rows := [][]Button{{b(t.loc.T("btn_usage"), "usage"), b(t.loc.T("btn_resend_qr"), "qr")}}
	if s.LPA == "" {
		rows = [][]Button{{b(t.loc.T("btn_usage"), "usage")}}
	}
	rows = append(rows, []Button{b(t.loc.T("btn_topup"), "topup")}, back)
	return t.screen(text, rows...)
}

// pressESIM handles one eSIM's buttons.
func (t *turn) pressESIM(p pressed) error {
	s, _, ok := t.currentESIM()
	if !ok {
		return t.stale()
	}
	switch p.action {
	case "usage":
		t.conv.Draft.ICCID = s.ICCID
		return t.goTo(stepUsage)
	case "qr":
		if s.LPA == "" {
			return t.stale()
		}
		t.button = false
		return t.e.sendESIM(t.ctx, s, t.ev.Chat)
	case "topup":
		d := &t.conv.Draft
		d.Kind, d.ICCID, d.Email, d.Name, d.WhatsApp = KindTopup, s.ICCID, s.Email, s.Name, s.WhatsApp
		return t.goTo(stepTopupBundles)
	}
	return t.stale()
}

// topupOffers lists the bundles that can top up a profile, cheapest
// first, keeping only the profile's type (Standard and Global eSIM never mix).
func (t *turn) topupOffers(iccid string, fresh bool) ([]BundleOffer, error) {
	key := "topup|" + iccid
	if fresh {
		t.e.catalog.drop(key)
	}
	list, err := cached(t.e.catalog, key, func() ([]reseller.Bundle, error) {
		return t.e.api.TopupBundles(t.ctx, reseller.ProfileRef{ICCID: iccid})
	})
	if err != nil {
		return nil, err
	}
	// Standard and Global eSIM never mix on a profile: keep the type of
	// the profile's first bundle (STANDARD when the API left it out), and
	// offer nothing when it cannot be told.
	all, err := t.e.store.SalesByICCID(t.ctx, iccid)
	if err != nil {
		return nil, err
	}
	profile := string(reseller.ProfileStandard)
	if len(all) > 0 && all[0].ProfileType != "" {
		profile = all[0].ProfileType
	}
	var offers []BundleOffer
	for _, b := range list {
		o := t.e.offer(b)
		if o.ProfileType != profile {
			continue
		}
		offers = append(offers, o)
	}
	sortOffers(offers)
	return offers, nil
}

// showTopupBundles lists the top-ups of the current eSIM.
func (t *turn) showTopupBundles(b func(string, string, ...string) Button, back []Button) error {
	d := &t.conv.Draft
	offers, err := t.topupOffers(d.ICCID, false)
	if err != nil {
		return t.apiTrouble(err)
	}
	if len(offers) == 0 {
		return t.screen(t.loc.T("topup_none"), back)
	}
	d.Choices = d.Choices[:0]
	var rows [][]Button
	var lines []string
	for i, o := range offers {
		if i == 10 {
			break
		}
		d.Choices = append(d.Choices, o.Code)
		lines = append(lines, t.bundleLine(i+1, o))
		rows = append(rows, []Button{b(t.bundleButton(o), "b", strconv.Itoa(i))})
	}
	text := t.loc.T("topup_title", "ICCID", d.ICCID) + "\n\n" + strings.Join(lines, "\n")
	if legend := t.legend(offers[:min(len(offers), 10)]); legend != "" {
		text += "\n\n" + legend
	}
	return t.screen(text, append(rows, back)...)
}

// pressTopupBundles picks a top-up.
func (t *turn) pressTopupBundles(p pressed) error {
	d := &t.conv.Draft
	if p.action != "b" {
		return t.stale()
	}
	i, ok := atoi(p.arg, len(d.Choices))
	if !ok {
		return t.stale()
	}
	offers, err := t.topupOffers(d.ICCID, false)
	if err != nil {
		return t.apiTrouble(err)
	}
	for _, o := range offers {
		if o.Code == d.Choices[i] {
			d.Bundle = &o
			return t.goTo(stepTopupSummary)
		}
	}
	return t.stale()
}

// showTopupSummary asks to confirm a top-up.
func (t *turn) showTopupSummary(b func(string, string, ...string) Button, back []Button) error {
	d := t.conv.Draft
	if d.Bundle == nil {
		return t.goTo(stepTopupBundles)
	}
	text := t.loc.T("topup_summary", "ICCID", d.ICCID, "Bundle", locales.Raw(t.bundleDetails(*d.Bundle)))
	if t.e.cfg.Sandbox {
		text += "\n\n" + t.loc.T("sandbox_banner")
	}
	return t.screen(text,
		[]Button{b(t.loc.Plain("btn_confirm", "Price", t.loc.Price(d.Bundle.Price, d.Bundle.Currency)), "confirm")},
		[]Button{b(t.loc.T("btn_cancel"), "cancel")}, back)
}

// showUsagePick lists the eSIMs whose usage can be checked.
func (t *turn) showUsagePick(b func(string, string, ...string) Button, back []Button) error {
	list, err := t.esims()
	if err != nil {
		return err
	}
	d := &t.conv.Draft
	if len(list) == 1 {
		d.ICCID = list[0].first.ICCID
		t.conv.Step = stepUsage
		return t.show()
	}
	if len(list) == 0 {
		return t.screen(t.loc.T(agentKey("usage_none", t.role)), []Button{{Text: t.loc.T("btn_buy"), Data: globalData("buy")}}, back)
	}
	d.Choices = d.Choices[:0]
	var rows [][]Button
	for i, m := range list {
		if i == 10 {
			break
		}
		d.Choices = append(d.Choices, m.first.ICCID)
		rows = append(rows, []Button{b(t.esimLabel(i, m.first), "u", strconv.Itoa(i))})
	}
	return t.screen(t.loc.T("usage_pick"), append(rows, back)...)
}

// pressUsagePick picks an eSIM for usage.
func (t *turn) pressUsagePick(p pressed) error {
	d := &t.conv.Draft
	if p.action != "u" {
		return t.stale()
	}
	i, ok := atoi(p.arg, len(d.Choices))
	if !ok {
		return t.stale()
	}
	d.ICCID = d.Choices[i]
	return t.goTo(stepUsage)
}

// usageOf shows the usage of a typed or linked ICCID, if the user may see it.
func (t *turn) usageOf(arg string) error {
	iccid := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, arg)
	t.button = false
	if len(iccid) < 18 || len(iccid) > 22 || strings.IndexFunc(iccid, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return t.send(Message{Text: t.loc.T("usage_bad_iccid")})
	}
	if t.role == RoleCustomer {
		sales, err := t.e.store.SalesByICCID(t.ctx, iccid)
		if err != nil {
			return err
		}
		mine := false
		for _, s := range sales {
			mine = mine || s.User == t.user.ID
		}
		if !mine {
			return t.send(Message{Text: t.loc.T("usage_not_yours")})
		}
	}
	t.conv.Draft = Draft{ICCID: iccid}
	return t.goTo(stepUsage)
}

// showUsage shows what remains on an eSIM.
func (t *turn) showUsage(b func(string, string, ...string) Button, back []Button) error {
	iccid := t.conv.Draft.ICCID
	t.act("typing")
	c, err := cached(t.e.usage, iccid, func() (reseller.Consumption, error) {
		return t.e.api.Consumption(t.ctx, reseller.ProfileRef{ICCID: iccid})
	})
	if err != nil {
		key := "usage_error"
		switch {
		case errors.Is(err, reseller.ErrNotFound):
			key = "usage_not_found"
		case errors.Is(err, reseller.ErrInvalidRequest):
			key = "usage_bad_iccid"
		}
		t.e.log.WarnContext(t.ctx, "consumption", "iccid", iccid, "err", err)
		return t.screen(t.loc.T(key), back)
	}
	byOrder, byCode := map[string]Sale{}, map[string]Sale{}
	if sales, err := t.e.store.SalesByICCID(t.ctx, iccid); err == nil {
		for _, s := range sales {
			byOrder[s.OrderID] = s
			byCode[s.BundleCode] = s
		}
	}
	// A profile not yet in use has bundles that have not started, whatever
	// their own status says: no usage, no expiry, as the delivery said.
	inUse := strings.EqualFold(c.ProfileStatus, "active") || strings.EqualFold(c.ProfileStatus, "enabled")
	parts := []string{t.loc.T("usage_title", "ICCID", iccid, "Status", t.profileStatus(c.ProfileStatus))}
	if len(c.Balances) == 0 {
		if !c.ProfileExpiryDate.IsZero() {
			parts = append(parts, t.loc.T("usage_expiry", "Date", t.loc.Date(c.ProfileExpiryDate.Time)))
		}
		parts = append(parts, t.loc.T("usage_no_bundles"))
	}
	for _, bal := range c.Balances {
		sale, ok := byOrder[bal.OrderID.String()]
		if !ok {
			sale, ok = byCode[bal.BundleCode]
		}
		name := sale.BundleName
		if !ok || name == "" {
			name = bal.BundleCode
		}
		parts = append(parts, "\n"+t.balanceText(name, bal, !started(bal, inUse), sale.Days))
	}
	return t.screen(strings.Join(parts, "\n"), []Button{b(t.loc.T("btn_refresh"), "refresh")}, back)
}

// started reports whether a bundle is in use: its status says active and
// the profile is in use, or some of it was used.
func started(b reseller.Balance, profileInUse bool) bool {
	status := strings.ToLower(b.Status)
	switch status {
	case "expired", "depleted":
		return true
	case "pending", "not_started", "inactive":
		return false
	}
	used := !b.Unlimited() && b.RemainingMB < b.TotalMB
	return profileInUse || used
}

// profileStatus names a profile status for the user.
func (t *turn) profileStatus(s string) string {
	key := "profile_" + strings.ToLower(s)
	if t.loc.Has(key) {
		return t.loc.T(key)
	}
	return s
}

// balanceText shows one bundle's remaining data, calls and SMS, and its
// expiry; a bundle not started yet shows what it holds and how long it
// will last (days, when known) instead.
func (t *turn) balanceText(name string, b reseller.Balance, notStarted bool, days int) string {
	if notStarted {
		lines := []string{t.loc.T("usage_bundle", "Bundle", name, "Status", t.loc.T("usage_status_not_started"))}
		if days > 0 {
			lines = append(lines, t.loc.T("usage_not_started", "Days", t.loc.N("days", days)))
		} else {
			lines = append(lines, t.loc.T("usage_not_started_nodays"))
		}
		return strings.Join(lines, "\n")
	}
	lines := []string{t.loc.T("usage_bundle", "Bundle", name, "Status", t.profileStatus(b.Status))}
	if b.Unlimited() {
		lines = append(lines, t.loc.T("usage_data_unlimited"))
	} else {
		total := int64(b.TotalMB)
		left := max(int64(b.RemainingMB), 0)
		pct := 0
		if total > 0 {
			pct = int(min(left*100/total, 100))
		}
		lines = append(lines, t.loc.T("usage_data", "Bar", bar(pct), "Left", t.dataLabel(left), "Total", t.dataLabel(total), "Percent", t.loc.Percent(pct)))
	}
	if b.RemainingCalls != nil {
		lines = append(lines, t.loc.N("usage_calls", int(*b.RemainingCalls)))
	}
	if b.RemainingSMS != nil {
		lines = append(lines, t.loc.N("usage_sms", int(*b.RemainingSMS)))
	}
	if !b.ExpiryDate.IsZero() {
		lines = append(lines, t.loc.T("usage_bundle_expiry", "Date", t.loc.Date(b.ExpiryDate.Time)))
	}
	return strings.Join(lines, "\n")
}

// bar draws a percentage as ten blocks.
func bar(pct int) string {
	n := max(0, min(10, (pct+5)/10))
	return strings.Repeat("▰", n) + strings.Repeat("▱", 10-n)
}
