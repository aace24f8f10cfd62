package flows

import (
	"html"
	"strings"

	"github.com/esimbot/esimbot/locales"
)

// The end user's details: email, then name, then WhatsApp number, then the
// summary; a detail edited from the summary goes back to it.

// showEmail asks for the end user's email, offering the remembered one.
func showEmail(v view) screen {
	rows := [][]Button{}
	if v.u.Role == RoleCustomer && v.u.Email != "" && !v.c.Draft.Editing {
		rows = append(rows, []Button{v.btn(v.loc.Plain("btn_use", "Value", v.u.Email), actUse)})
	}
	return screen{text: v.loc.T(agentKey("ask_email", v.u.Role)), rows: append(rows, v.back())}
}

// useEmail takes the remembered email.
func useEmail(c Conversation, u User, in input) (Conversation, []effect) {
	if u.Role != RoleCustomer || u.Email == "" {
		return c, in.stale()
	}
	return takeEmail(c, u, in, u.Email)
}

// typedEmail takes a typed email.
func typedEmail(c Conversation, u User, in input) (Conversation, []effect) {
	return takeEmail(c, u, in, in.text())
}

func takeEmail(c Conversation, u User, in input, s string) (Conversation, []effect) {
	email, err := checkEmail(s)
	if err != nil {
		return c, []effect{in.say(inputKey(err), "Value", clip(s, 64))}
	}
	c.Draft.Email = email
	return nextDetail(c, u, in, stepName)
}

// emailBack leaves the email: for the summary when editing, else for the
// bundle (or the top-ups).
func emailBack(c Conversation, u User, in input) (Conversation, []effect) {
	switch {
	case c.Draft.Editing:
		c.Draft.Editing = false
		return goTo(c, u, in, stepSummary)
	case c.Draft.Kind == KindTopup:
		return goTo(c, u, in, stepTopupBundles)
	}
	return goTo(c, u, in, stepBundle)
}

// nextDetail goes to the next detail, or back to the summary when editing.
func nextDetail(c Conversation, u User, in input, next Step) (Conversation, []effect) {
	if c.Draft.Editing {
		c.Draft.Editing = false
		return goTo(c, u, in, stepSummary)
	}
	return goTo(c, u, in, next)
}

// showName asks for the end user's full name, offering a default.
func showName(v view) screen {
	rows := [][]Button{}
	if def := defaultName(v.u, v.ev.From); def != "" {
		rows = append(rows, []Button{v.btn(v.loc.Plain("btn_use", "Value", def), actUse)})
	}
	key := "ask_name"
	if v.u.Role != RoleCustomer {
		key = "ask_name_agent"
	}
	return screen{text: v.loc.T(key), rows: append(rows, v.back())}
}

// defaultName is the name offered with one tap: the remembered one, or
// the Telegram profile's (customers only).
func defaultName(u User, from Profile) string {
	if u.Role != RoleCustomer {
		return ""
	}
	if u.Name != "" {
		return u.Name
	}
	if n, err := checkName(from.FullName()); err == nil {
		return n
	}
	return ""
}

// useName takes the name offered.
func useName(c Conversation, u User, in input) (Conversation, []effect) {
	def := defaultName(u, in.ev.From)
	if def == "" {
		return c, in.stale()
	}
	return takeName(c, u, in, def)
}

// typedName takes a typed name.
func typedName(c Conversation, u User, in input) (Conversation, []effect) {
	return takeName(c, u, in, in.text())
}

func takeName(c Conversation, u User, in input, s string) (Conversation, []effect) {
	name, err := checkName(s)
	if err != nil {
		return c, []effect{in.say(inputKey(err))}
	}
	c.Draft.Name = name
	return nextDetail(c, u, in, stepWhatsApp)
}

// nameBack leaves the name: for the summary when editing, else the email.
func nameBack(c Conversation, u User, in input) (Conversation, []effect) {
	return nextDetail(c, u, in, stepEmail)
}

// showWhatsApp asks for the end user's WhatsApp number. A customer can
// share theirs; an agent's own number must not go on the customer's order.
func showWhatsApp(v view) screen {
	if v.u.Role != RoleCustomer {
		return screen{text: v.loc.T("ask_whatsapp_agent"), rows: [][]Button{{v.btn(v.loc.T("btn_skip"), actSkip)}, v.back()}}
	}
	return screen{text: v.loc.T("ask_whatsapp"), rows: [][]Button{{v.btn(v.loc.T("btn_skip"), actSkip)}, v.back()},
		contact: &ContactRequest{Share: v.loc.T("btn_share_phone"), Withdraw: v.loc.T("keyboard_closed")}}
}

// typedWhatsApp takes a typed number, or the skip word.
func typedWhatsApp(c Conversation, u User, in input) (Conversation, []effect) {
	if isSkip(in.loc, in.text()) {
		return skipWhatsApp(c, u, in)
	}
	return takeWhatsApp(c, u, in, in.text())
}

// sharedWhatsApp takes a shared contact's number.
func sharedWhatsApp(c Conversation, u User, in input) (Conversation, []effect) {
	return takeWhatsApp(c, u, in, contactPhone(in.ev.Phone))
}

func takeWhatsApp(c Conversation, u User, in input, s string) (Conversation, []effect) {
	e164, err := checkPhone(s, u.Lang)
	if err != nil {
		return c, []effect{in.say(inputKey(err))}
	}
	c.Draft.WhatsApp, c.Draft.Editing = e164, false
	c, next := goTo(c, u, in, stepSummary)
	if u.Role != RoleCustomer {
		return c, next
	}
	return c, first(in.say("whatsapp_saved", "Number", in.loc.Digits(e164)), next)
}

// skipWhatsApp goes on without a WhatsApp number.
func skipWhatsApp(c Conversation, u User, in input) (Conversation, []effect) {
	c.Draft.WhatsApp, c.Draft.Editing = "", false
	c, next := goTo(c, u, in, stepSummary)
	if u.Role != RoleCustomer {
		return c, next
	}
	return c, first(in.say("whatsapp_skipped"), next)
}

// whatsappBack leaves the number: for the summary when editing, else the
// name.
func whatsappBack(c Conversation, u User, in input) (Conversation, []effect) {
	return nextDetail(c, u, in, stepName)
}

// isSkip reports whether typed text asks to skip an optional detail: the
// Skip button's label or one of the language's skip words (any case and
// accents), or the English "skip".
func isSkip(loc *locales.Localizer, s string) bool {
	q := fold(s)
	if q == "" {
		return false
	}
	words := append(strings.Split(loc.Plain("skip_words"), ","), loc.Plain("btn_skip"), "skip")
	for _, w := range words {
		if fold(w) == q {
			return true
		}
	}
	return false
}

// summaryComplete reports whether the draft has what a sale needs.
func summaryComplete(v view) bool {
	d := v.c.Draft
	return d.Bundle != nil && d.Email != "" && d.Name != ""
}

// showSummary shows what will be sold, to confirm or edit.
func showSummary(v view) screen {
	d := v.c.Draft
	wa := v.loc.T("summary_no_whatsapp")
	if d.WhatsApp != "" {
		wa = html.EscapeString(phoneText(v.loc, d.WhatsApp))
	}
	text := v.loc.T(agentKey("summary", v.u.Role), "Bundle", locales.Raw(bundleDetails(v.loc, d, *d.Bundle)),
		"Email", d.Email, "Name", d.Name, "WhatsApp", locales.Raw(wa))
	text += costSummary(v, *d.Bundle)
	if v.cfg.Sandbox {
		text += "\n\n" + v.loc.T("sandbox_banner")
	}
	return screen{text: text, rows: [][]Button{
		{v.btn(v.loc.Plain("btn_confirm", "Price", v.loc.Price(d.Bundle.Price, d.Bundle.Currency)), actConfirm)},
		{v.btn(v.loc.T("btn_edit_email"), actEdit, "email"), v.btn(v.loc.T("btn_edit_name"), actEdit, "name"), v.btn(v.loc.T("btn_edit_whatsapp"), actEdit, "wa")},
		{v.btn(v.loc.T("btn_cancel"), actCancel)}, v.back()}}
}

// editDetail changes one detail from the summary.
func editDetail(c Conversation, u User, in input) (Conversation, []effect) {
	next, ok := map[string]Step{"email": stepEmail, "name": stepName, "wa": stepWhatsApp}[in.press.arg]
	if !ok {
		return c, in.stale()
	}
	c.Draft.Editing = true
	return goTo(c, u, in, next)
}

// cancelPurchase drops the purchase from a summary: the notice replaces
// the summary, and the menu follows.
func cancelPurchase(c Conversation, u User, in input) (Conversation, []effect) {
	c.Draft = Draft{}
	c, next := goTo(c, u, in, stepMenu)
	notice := in.say("cancelled")
	notice.replace = true
	return c, first(notice, next)
}

// showTopupSummary asks to confirm a top-up.
func showTopupSummary(v view) screen {
	d := v.c.Draft
	text := v.loc.T("topup_summary", "ICCID", d.ICCID, "Bundle", locales.Raw(bundleDetails(v.loc, d, *d.Bundle)))
	text += costSummary(v, *d.Bundle)
	if v.cfg.Sandbox {
		text += "\n\n" + v.loc.T("sandbox_banner")
	}
	return screen{text: text, rows: [][]Button{
		{v.btn(v.loc.Plain("btn_confirm", "Price", v.loc.Price(d.Bundle.Price, d.Bundle.Currency)), actConfirm)},
		{v.btn(v.loc.T("btn_cancel"), actCancel)}, v.back()}}
}

// agentKey is the locale key worded for a sale an agent made for a
// customer (key + "_agent"), or key itself.
func agentKey(key string, soldBy Role) string {
	if soldBy == RoleAgent || soldBy == RoleAdmin {
		return key + "_agent"
	}
	return key
}

// phoneText writes a phone number (E.164) in the language's digits; in a
// right-to-left language a left-to-right mark before it keeps its "+" on
// the left, as whatsapp_saved's text does.
func phoneText(loc *locales.Localizer, e164 string) string {
	if loc.RTL() {
		return "\u200e" + loc.Digits(e164)
	}
	return loc.Digits(e164)
}
