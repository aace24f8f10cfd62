package flows

import (
	"errors"
	"strings"
	"unicode"

	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
)

// usageCommand is /usage: the usage of the ICCID given, or a pick of the
// user's eSIMs.
func usageCommand(c Conversation, u User, in input) (Conversation, []effect) {
	if arg := strings.TrimSpace(in.ev.Args); arg != "" {
		return usageOf(c, u, in, arg)
	}
	return goTo(c, u, in, stepUsagePick)
}

// usageButton is the usage button of a delivery: the usage of its ICCID.
func usageButton(c Conversation, u User, in input) (Conversation, []effect) {
	if in.press.arg == "" {
		return c, in.stale()
	}
	return usageOf(c, u, in, in.press.arg)
}

// typedICCID is an ICCID typed at the pick.
func typedICCID(c Conversation, u User, in input) (Conversation, []effect) {
	return usageOf(c, u, in, in.text())
}

// usageOf shows the usage of a typed or linked ICCID, if the user may see
// it: a customer theirs only.
func usageOf(c Conversation, u User, in input, arg string) (Conversation, []effect) {
	iccid := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, latinDigits(arg))
	if len(iccid) < 18 || len(iccid) > 22 || strings.IndexFunc(iccid, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return c, []effect{in.say("usage_bad_iccid")}
	}
	if u.Role == RoleCustomer {
		sales, wait := want[[]Sale](in, needProfileSales(iccid))
		if wait != nil {
			return c, wait
		}
		yours := false
		for _, s := range sales {
			yours = yours || s.User == u.ID
		}
		if !yours {
			return c, []effect{in.say("usage_not_yours")}
		}
	}
	c.Draft = Draft{ICCID: iccid}
	return goTo(c, u, in, stepUsage)
}

// listUsage fixes the eSIMs the pick offers; with one eSIM, its usage.
func listUsage(c Conversation, u User, in input) (Conversation, []effect) {
	list, wait := want[[]esim](in, needESIMs)
	if wait != nil {
		return c, wait
	}
	if len(list) == 1 {
		c.Draft.ICCID = list[0].first.ICCID
		return goTo(c, u, in, stepUsage)
	}
	c.Draft.Choices = nil
	for _, m := range list[:min(len(list), maxListed)] {
		c.Draft.Choices = append(c.Draft.Choices, m.first.ICCID)
	}
	return c, []effect{showScreen{}}
}

// showUsagePick lists the eSIMs whose usage can be checked.
func showUsagePick(v view) screen {
	list, err := look[[]esim](v, needESIMs)
	if err != nil {
		return screen{err: err}
	}
	if len(v.c.Draft.Choices) == 0 {
		return screen{text: v.loc.T(agentKey("usage_none", v.u.Role)), rows: [][]Button{{globalButton(v.loc.T("btn_buy"), actBuy)}, v.back()}}
	}
	lines, rows := esimChoices(v, list, actPick)
	return screen{text: v.loc.T("usage_pick") + "\n\n" + lines, rows: append(rows, v.back())}
}

// pickUsage shows the usage of the eSIM pressed.
func pickUsage(c Conversation, u User, in input) (Conversation, []effect) {
	i, ok := atoi(in.press.arg, len(c.Draft.Choices))
	if !ok {
		return c, in.stale()
	}
	c.Draft.ICCID = c.Draft.Choices[i]
	return goTo(c, u, in, stepUsage)
}

// refreshUsage shows the usage afresh.
func refreshUsage(c Conversation, _ User, _ input) (Conversation, []effect) {
	return c, []effect{dropUsage{c.Draft.ICCID}, showScreen{}}
}

// usageBack goes back to the eSIM the usage was opened from, or to the menu.
func usageBack(c Conversation, u User, in input) (Conversation, []effect) {
	if c.Draft.TopupRef != "" {
		return goTo(c, u, in, stepESIM)
	}
	return toMenu(c, u, in)
}

// profileUsage is the need of the usage screen.
func profileUsage(c Conversation) []need { return []need{needUsage(c.Draft.ICCID)} }

// showUsage shows what remains on an eSIM.
func showUsage(v view) screen {
	iccid := v.c.Draft.ICCID
	data, err := look[usageData](v, needUsage(iccid))
	if err != nil {
		key := "usage_error"
		switch {
		case errors.Is(err, reseller.ErrNotFound):
			key = "usage_not_found"
		case errors.Is(err, reseller.ErrInvalidRequest):
			key = "usage_bad_iccid"
		}
		return screen{text: v.loc.T(key), rows: [][]Button{v.back()}}
	}
	c := data.c
	byOrder, byCode := map[string]Sale{}, map[string]Sale{}
	for _, s := range data.sales {
		byOrder[s.OrderID] = s
		byCode[s.BundleCode] = s
	}
	// A profile not yet in use has bundles that have not started, whatever
	// their own status says: no usage, no expiry, as the delivery said.
	inUse := strings.EqualFold(c.ProfileStatus, "active") || strings.EqualFold(c.ProfileStatus, "enabled")
	parts := []string{v.loc.T("usage_title", "ICCID", iccid, "Status", profileStatus(v.loc, c.ProfileStatus))}
	if len(c.Balances) == 0 {
		if !c.ProfileExpiryDate.IsZero() {
			parts = append(parts, v.loc.T("usage_expiry", "Date", v.loc.Date(c.ProfileExpiryDate.Time)))
		}
		parts = append(parts, v.loc.T("usage_no_bundles"))
	}
	for _, bal := range c.Balances {
		sale, ok := byOrder[bal.OrderID.String()]
		topup := ok && sale.Kind == KindTopup // sure only by its order
		if !ok {
			sale, ok = byCode[bal.BundleCode]
		}
		name := sale.BundleName
		if !ok || name == "" {
			name = bal.BundleCode
		}
		if topup { // the same bundle twice reads apart
			name = v.loc.Plain("usage_topup_name", "Bundle", name)
		}
		parts = append(parts, "\n"+balanceText(v.loc, name, bal, !started(bal, inUse), sale.Days))
	}
	text := strings.Join(parts, "\n")
	rows := [][]Button{{v.btn(v.loc.T("btn_refresh"), actRefresh)},
		{globalButton(v.loc.T("btn_help_nodata"), actHelp, "nodata"), supportButton(v.loc.T("btn_support"))}}
	if wa := whatsappButton(v, text, data.sales); wa != nil {
		rows = append(rows, wa)
	}
	return screen{text: text, rows: append(rows, v.back())}
}

// started reports whether a bundle is in use: its status says active and
// the profile is in use, or some of it was used.
func started(b reseller.Balance, profileInUse bool) bool {
	switch strings.ToLower(b.Status) {
	case "expired", "depleted":
		return true
	case "pending", "not_started", "inactive":
		return false
	}
	used := !b.Unlimited() && b.RemainingMB < b.TotalMB
	return profileInUse || used
}

// profileStatus names a profile status for the user.
func profileStatus(loc *locales.Localizer, s string) string {
	if key := "profile_" + strings.ToLower(s); loc.Has(key) {
		return loc.T(key)
	}
	return s
}

// balanceText shows one bundle's remaining data, calls and SMS, and its
// expiry; a bundle not started yet shows what it holds and how long it
// will last (days, when known) instead.
func balanceText(loc *locales.Localizer, name string, b reseller.Balance, notStarted bool, days int) string {
	if notStarted {
		lines := []string{loc.T("usage_bundle", "Bundle", name, "Status", loc.T("usage_status_not_started"))}
		if days > 0 {
			lines = append(lines, loc.T("usage_not_started", "Days", loc.N("days", days)))
		} else {
			lines = append(lines, loc.T("usage_not_started_nodays"))
		}
		return strings.Join(lines, "\n")
	}
	lines := []string{loc.T("usage_bundle", "Bundle", name, "Status", profileStatus(loc, b.Status))}
	if b.Unlimited() {
		lines = append(lines, loc.T("usage_data_unlimited"))
	} else {
		total := int64(b.TotalMB)
		left := max(int64(b.RemainingMB), 0)
		pct := 0
		if total > 0 {
			pct = int(min(left*100/total, 100))
		}
		lines = append(lines, loc.T("usage_data", "Bar", bar(pct), "Left", dataLabel(loc, left), "Total", dataLabel(loc, total), "Percent", loc.Percent(pct)))
	}
	if b.RemainingCalls != nil {
		lines = append(lines, loc.N("usage_calls", int(*b.RemainingCalls)))
	}
	if b.RemainingSMS != nil {
		lines = append(lines, loc.N("usage_sms", int(*b.RemainingSMS)))
	}
	if !b.ExpiryDate.IsZero() {
		lines = append(lines, loc.T("usage_bundle_expiry", "Date", loc.Date(b.ExpiryDate.Time)))
	}
	return strings.Join(lines, "\n")
}

// bar draws a percentage as ten blocks.
func bar(pct int) string {
	n := max(0, min(10, (pct+5)/10))
	return strings.Repeat("▰", n) + strings.Repeat("▱", 10-n)
}
