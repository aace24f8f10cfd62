package flows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
)

// The steps of a conversation.
const (
	stepMenu         Step = "menu"
	stepDestination  Step = "destination"
	stepPickCountry  Step = "pick_country"
	stepRegions      Step = "regions"
	stepBundles      Step = "bundles"
	stepBundle       Step = "bundle"
	stepEmail        Step = "email"
	stepName         Step = "name"
	stepWhatsApp     Step = "whatsapp"
	stepSummary      Step = "summary"
	stepSelling      Step = "selling"
	stepESIMs        Step = "esims"
	stepESIM         Step = "esim"
	stepTopupBundles Step = "topup_bundles"
	stepTopupSummary Step = "topup_summary"
	stepUsagePick    Step = "usage_pick"
	stepUsage        Step = "usage"
	stepLanguage     Step = "language"
	stepForget       Step = "forget"
)

// The destination kinds.
const (
	destCountry = "country"
	destRegion  = "region"
	destGlobal  = "global"
	destCruise  = "cruise"
)

// Command is a /command that works from any step of the conversation.
type Command struct {
	// Name is the command without its "/".
	Name string
	// Key is the locale key of its description in a command menu.
	Key string
}

// menuCommands are the commands a channel lists, in menu order.
var menuCommands = []Command{
	{"start", "cmd_start"}, {"buy", "cmd_buy"}, {"esims", "cmd_esims"}, {"usage", "cmd_usage"},
	{"language", "cmd_language"}, {"help", "cmd_help"}, {"cancel", "cmd_cancel"}, {"forget", "cmd_forget"},
}

// Commands returns the commands a channel lists in its command menu, in
// order. The conversation also understands /menu and /orders (/esims).
func Commands() []Command { return append([]Command(nil), menuCommands...) }

// dispatch routes the event.
func (t *turn) dispatch() error {
	if t.conv.Step == stepSelling {
		// The sale may have finished without this conversation (a restart,
		// the reconciler): then the conversation is free again.
		if s, err := t.e.store.Sale(t.ctx, t.conv.Draft.SaleRef); err != nil || s.State.Finished() {
			t.resetDraft()
			t.conv.Step = stepMenu
		}
	}
	switch t.ev.Kind {
	case EventCommand:
		return t.command(strings.ToLower(t.ev.Command), strings.TrimSpace(t.ev.Args))
	case EventButton:
		return t.press()
	case EventText:
		return t.text(strings.TrimSpace(t.ev.Text))
	case EventContact:
		if t.conv.Step == stepWhatsApp {
			return t.inputWhatsApp(contactPhone(t.ev.Phone))
		}
		return t.hint()
	}
	return t.hint()
}

// command handles /commands, which work from any step.
func (t *turn) command(name, args string) error {
	if t.conv.Step == stepSelling && name != "help" && name != "language" {
		return t.send(Message{Text: t.loc.T("selling_wait")})
	}
	switch name {
	case "start":
		t.resetDraft()
		t.button = false
		if args != "" {
			return t.deepLink(args)
		}
		return t.goTo(stepMenu)
	case "menu":
		t.resetDraft()
		return t.goTo(stepMenu)
	case "buy":
		t.resetDraft()
		return t.goTo(stepDestination)
	case "cancel":
		// "Nothing was bought" only when a purchase was under way.
		key := "cancelled_nothing"
		if d := t.conv.Draft; d.Kind != "" || d.Bundle != nil || d.DestKind != "" {
			key = "cancelled"
		}
		t.resetDraft()
		if err := t.send(Message{Text: t.loc.T(key), RemoveKeyboard: true}); err != nil {
			return err
		}
		t.button = false
		return t.goTo(stepMenu)
	case "help":
		return t.help()
	case "language":
		return t.goTo(stepLanguage)
	case "usage":
		if args != "" {
			return t.usageOf(args)
		}
		return t.goTo(stepUsagePick)
	case "esims", "orders":
		return t.goTo(stepESIMs)
	case "forget":
		return t.goTo(stepForget)
	}
	return t.send(Message{Text: t.loc.T("unknown_command")})
}

// deepLink opens what a t.me/<bot>?start=<payload> link names: a country
// (FRA, fr), a region (EUR, region_EUR), global, cruise, regions, or a
// bundle code; anything else is said to be unknown, and the menu shown.
func (t *turn) deepLink(payload string) error {
	switch strings.ToLower(payload) {
	case "group", "menu", "start":
		return t.goTo(stepMenu)
	case "buy":
		return t.goTo(stepDestination)
	case "global":
		return t.openDestination(destGlobal, "")
	case "cruise":
		return t.openDestination(destCruise, "")
	case "regions":
		return t.goTo(stepRegions)
	}
	if iso3, ok := iso3Of(payload); ok {
		return t.openCountry(iso3)
	}
	code := payload
	for _, p := range []string{"region_", "region-", "r_"} {
		if strings.HasPrefix(strings.ToLower(code), p) {
			code = code[len(p):]
		}
	}
	if regions, err := t.e.regions(t.ctx); err == nil {
		for _, r := range regions {
			if strings.EqualFold(r.Code, code) && validArg(r.Code) {
				return t.openDestination(destRegion, r.Code)
			}
		}
	}
	code = strings.TrimPrefix(strings.TrimPrefix(payload, "bundle_"), "b_")
	if o, ok := t.e.findBundle(t.ctx, code); ok {
		d := &t.conv.Draft
		d.Kind, d.Bundle = KindNew, &o
		switch {
		case o.Category == destRegion && o.Region != "":
			d.DestKind, d.DestCode = destRegion, o.Region
		case o.Category == destGlobal || o.Category == destCruise:
			d.DestKind = o.Category
		case len(o.Countries) > 0:
			d.DestKind, d.DestCode = destCountry, o.Countries[0]
		default:
			d.DestKind = destGlobal
		}
		return t.goTo(stepBundle)
	}
	if err := t.send(Message{Text: t.loc.T("start_unknown", "Value", clip(payload, 64))}); err != nil {
		return err
	}
	return t.goTo(stepMenu)
}

// resetDraft forgets the sale being prepared.
func (t *turn) resetDraft() { t.conv.Draft = Draft{} }

// hint tells the user the input was not expected here and shows the step again.
func (t *turn) hint() error {
	if err := t.send(Message{Text: t.loc.T("hint_unexpected")}); err != nil {
		return err
	}
	t.button = false
	return t.show()
}

// stale handles a button from an older screen: a notice, and the current
// step again as a new message, with no other change.
func (t *turn) stale() error {
	t.out = Outcome{Notice: t.loc.T("stale_button"), Stale: true}
	t.button = false
	return t.show()
}

// press handles a button.
func (t *turn) press() error {
	p, ok := parseData(t.ev.Data)
	if !ok {
		return t.stale()
	}
	if p.global {
		return t.globalAction(p)
	}
	if p.stamp != t.conv.Stamp {
		return t.stale()
	}
	if p.action == "back" {
		return t.back()
	}
	if p.action == "menu" {
		t.resetDraft()
		return t.goTo(stepMenu)
	}
	switch t.conv.Step {
	case stepMenu:
		return t.pressMenu(p)
	case stepDestination, stepPickCountry:
		return t.pressDestination(p)
	case stepRegions:
		if p.action == "r" {
			return t.openDestination(destRegion, p.arg)
		}
	case stepBundles:
		return t.pressBundles(p)
	case stepBundle:
		if p.action == "choose" {
			return t.chooseBundle()
		}
	case stepEmail, stepName:
		if p.action == "use" {
			return t.useDefault()
		}
	case stepWhatsApp:
		if p.action == "skip" {
			return t.skipWhatsApp()
		}
	case stepSummary, stepTopupSummary:
		return t.pressSummary(p)
	case stepESIMs:
		return t.pressESIMs(p)
	case stepESIM:
		return t.pressESIM(p)
	case stepTopupBundles:
		return t.pressTopupBundles(p)
	case stepUsagePick:
		return t.pressUsagePick(p)
	case stepUsage:
		if p.action == "refresh" {
			t.e.usage.drop(t.conv.Draft.ICCID)
			return t.show()
		}
	case stepLanguage:
		if p.action == "l" {
			for _, tag := range t.e.cat.Languages() {
				if tag.String() == p.arg {
					t.setLang(p.arg)
					t.out.Notice = t.loc.T("language_set")
					return t.goTo(stepMenu)
				}
			}
		}
	case stepForget:
		return t.pressForget(p)
	}
	return t.stale()
}

// globalAction handles buttons that stay valid across screens.
func (t *turn) globalAction(p pressed) error {
	t.button = false // these live on old messages: answer with a new one
	switch p.action {
	case "buy":
		t.resetDraft()
		return t.goTo(stepDestination)
	case "menu":
		t.resetDraft()
		return t.goTo(stepMenu)
	case "usage":
		if p.arg != "" {
			return t.usageOf(p.arg)
		}
	case "qr":
		if p.arg != "" {
			return t.resendQR(p.arg)
		}
	}
	return t.stale()
}

// back goes to the step before.
func (t *turn) back() error {
	d := &t.conv.Draft
	switch t.conv.Step {
	case stepDestination, stepESIMs, stepUsagePick, stepLanguage, stepForget:
		t.resetDraft()
		return t.goTo(stepMenu)
	case stepPickCountry, stepRegions:
		return t.goTo(stepDestination)
	case stepBundles:
		if d.DestKind == destRegion {
			return t.goTo(stepRegions)
		}
		return t.goTo(stepDestination)
	case stepBundle:
		return t.goTo(stepBundles)
	case stepEmail:
		if d.Editing {
			d.Editing = false
			return t.goTo(stepSummary)
		}
		if d.Kind == KindTopup {
			return t.goTo(stepTopupBundles)
		}
		return t.goTo(stepBundle)
	case stepName:
		if d.Editing {
			d.Editing = false
			return t.goTo(stepSummary)
		}
		return t.goTo(stepEmail)
	case stepWhatsApp:
		if d.Editing {
			d.Editing = false
			if t.role == RoleCustomer {
				if err := t.send(Message{Text: t.loc.T("keyboard_closed"), RemoveKeyboard: true}); err != nil {
					return err
				}
			}
			return t.goTo(stepSummary)
		}
		return t.goTo(stepName)
	case stepSummary:
		return t.goTo(stepWhatsApp)
	case stepESIM:
		return t.goTo(stepESIMs)
	case stepTopupBundles:
		return t.goTo(stepESIM)
	case stepTopupSummary:
		return t.goTo(stepTopupBundles)
	case stepUsage:
		if d.TopupRef != "" { // opened from an eSIM's screen
			return t.goTo(stepESIM)
		}
	}
	t.resetDraft()
	return t.goTo(stepMenu)
}

// text handles typed text on the current step.
func (t *turn) text(s string) error {
	if s == "" {
		return t.hint()
	}
	switch t.conv.Step {
	case stepBundle:
		if handled, err := t.askCoverage(s); handled || err != nil {
			return err
		}
		return t.searchDestination(s)
	case stepMenu, stepDestination, stepPickCountry, stepRegions, stepBundles:
		return t.searchDestination(s)
	case stepEmail:
		return t.inputEmail(s)
	case stepName:
		return t.inputName(s)
	case stepWhatsApp:
		if t.isSkip(s) {
			return t.skipWhatsApp()
		}
		return t.inputWhatsApp(s)
	case stepSelling:
		return t.send(Message{Text: t.loc.T("selling_wait")})
	case stepUsagePick:
		return t.usageOf(s)
	}
	return t.hint()
}

// show renders the current step, under a new stamp only if the step or
// the draft changed (see screenStamp).
func (t *turn) show() error {
	st := t.screenStamp()
	b := func(label, action string, arg ...string) Button {
		return Button{Text: label, Data: data(st, action, arg...)}
	}
	back := []Button{b(t.loc.T("btn_back"), "back")}
	d := &t.conv.Draft
	switch t.conv.Step {
	case stepMenu:
		name := clip(t.ev.From.FirstName, 32)
		key := "menu_greeting"
		if t.role != RoleCustomer {
			key = "menu_greeting_agent"
		}
		text := t.loc.T(key, "Name", name)
		if t.e.cfg.Sandbox {
			text += "\n\n" + t.loc.T("sandbox_banner")
		}
		return t.screen(text,
			[]Button{b(t.loc.T("btn_buy"), "buy")},
			[]Button{b(t.loc.T("btn_esims"), "esims"), b(t.loc.T("btn_usage"), "usage")},
			[]Button{b(t.loc.T("btn_language"), "lang"), b(t.loc.T("btn_help"), "help")})
	case stepDestination:
		return t.showDestination(b, back)
	case stepPickCountry:
		rows := make([][]Button, 0, len(d.Choices)+1)
		for _, code := range d.Choices {
			rows = append(rows, []Button{b(flag(code)+" "+countryName(code, t.loc.Tag), "c", code)})
		}
		return t.screen(t.loc.T("pick_country"), append(rows, back)...)
	case stepRegions:
		regions, err := t.e.regions(t.ctx)
		if err != nil {
			return t.apiTrouble(err)
		}
		rows := [][]Button{}
		for _, r := range regions {
			if validArg(r.Code) {
				rows = append(rows, []Button{b("🌍 "+t.regionName(r.Code, r.Name), "r", r.Code)})
			}
		}
		return t.screen(t.loc.T("pick_region"), append(rows, back)...)
	case stepBundles:
		return t.showBundles(b, back)
	case stepBundle:
		return t.showBundle(b, back)
	case stepEmail:
		rows := [][]Button{}
		if t.role == RoleCustomer && t.user.Email != "" && !d.Editing {
			rows = append(rows, []Button{b(t.loc.Plain("btn_use", "Value", t.user.Email), "use")})
		}
		return t.screen(t.loc.T(agentKey("ask_email", t.role)), append(rows, back)...)
	case stepName:
		rows := [][]Button{}
		if def := t.defaultName(); def != "" {
			rows = append(rows, []Button{b(t.loc.Plain("btn_use", "Value", def), "use")})
		}
		key := "ask_name"
		if t.role != RoleCustomer {
			key = "ask_name_agent"
		}
		return t.screen(t.loc.T(key), append(rows, back)...)
	case stepWhatsApp:
		if t.role != RoleCustomer {
			// An agent's own number must not go on the customer's order:
			// no share-number keyboard.
			return t.screen(t.loc.T("ask_whatsapp_agent"), []Button{b(t.loc.T("btn_skip"), "skip")}, back)
		}
		// The share-contact keyboard needs its own message; the inline
		// buttons (Skip, Back) go on it too.
		return t.send(Message{
			Text:    t.loc.T("ask_whatsapp"),
			Buttons: [][]Button{{b(t.loc.T("btn_skip"), "skip")}, back},
			Contact: &ContactKeyboard{Share: t.loc.T("btn_share_phone")},
		})
	case stepSummary:
		return t.showSummary(b, back)
	case stepSelling:
		return t.send(Message{Text: t.loc.T("selling_wait")})
	case stepESIMs:
		return t.showESIMs(b, back)
	case stepESIM:
		return t.showESIM(b, back)
	case stepTopupBundles:
		return t.showTopupBundles(b, back)
	case stepTopupSummary:
		return t.showTopupSummary(b, back)
	case stepUsagePick:
		return t.showUsagePick(b, back)
	case stepUsage:
		return t.showUsage(b, back)
	case stepLanguage:
		row := []Button{}
		for _, tag := range t.e.cat.Languages() {
			row = append(row, b(locales.LanguageName(tag), "l", tag.String()))
		}
		return t.screen(t.loc.T("pick_language"), row, back)
	case stepForget:
		return t.screen(t.loc.T("forget_confirm"),
			[]Button{b(t.loc.T("btn_forget_yes"), "yes"), b(t.loc.T("btn_forget_no"), "no")})
	}
	t.conv.Step = stepMenu
	return t.show()
}

// validArg reports whether s can travel in button data.
func validArg(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	_, ok := parseData("g.x." + s)
	return ok
}

// pressMenu handles the menu's buttons.
func (t *turn) pressMenu(p pressed) error {
	switch p.action {
	case "buy":
		t.resetDraft()
		return t.goTo(stepDestination)
	case "esims":
		return t.goTo(stepESIMs)
	case "usage":
		return t.goTo(stepUsagePick)
	case "lang":
		return t.goTo(stepLanguage)
	case "help":
		return t.help()
	}
	return t.stale()
}

// help sends the help text, ending with buttons that stay valid.
func (t *turn) help() error {
	return t.send(Message{Text: t.loc.T("help"), Buttons: [][]Button{
		{{Text: t.loc.T("btn_buy"), Data: globalData("buy")}, {Text: t.loc.T("btn_menu"), Data: globalData("menu")}},
	}})
}

// pressForget handles the erase confirmation.
func (t *turn) pressForget(p pressed) error {
	switch p.action {
	case "yes":
		if err := t.e.store.Forget(t.ctx, t.user.ID, t.ev.Chat); err != nil {
			return err
		}
		lang := t.user.Lang
		t.user = User{ID: t.user.ID, Lang: lang, Role: t.user.Role, FirstSeen: t.user.FirstSeen, LastSeen: t.user.LastSeen}
		t.dirty = true
		// The stored conversation is gone: start a new one.
		t.conv = Conversation{Chat: t.ev.Chat, User: t.ev.User, Stamp: t.conv.Stamp, Step: stepMenu}
		t.saved = Conversation{}
		if err := t.send(Message{Text: t.loc.T("forget_done")}); err != nil {
			return err
		}
		t.button = false
		return t.show()
	case "no":
		return t.goTo(stepMenu)
	}
	return t.stale()
}

// apiTrouble tells the user the reseller API failed, in words that fit
// the error, and keeps the step.
func (t *turn) apiTrouble(err error) error {
	t.e.log.WarnContext(t.ctx, "reseller call failed", "chat", t.ev.Chat, "err", err)
	key := "error_api"
	switch {
	case errors.Is(err, reseller.ErrFeatureDisabled):
		key = "error_feature"
	case errors.Is(err, reseller.ErrNotFound):
		key = "error_not_found"
	}
	return t.send(Message{Text: t.loc.T(key), Buttons: [][]Button{{{Text: t.loc.T("btn_menu"), Data: globalData("menu")}}}})
}

// atoi reads a button's index argument.
func atoi(s string, n int) (int, bool) {
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || i >= n {
		return 0, false
	}
	return i, true
}

// regionName names a region in the user's language when the catalog has
// a translation, else as the API names it.
func (t *turn) regionName(code, apiName string) string {
	key := "region_" + strings.ToLower(code)
	if t.loc.Has(key) {
		return t.loc.Plain(key)
	}
	if apiName != "" {
		return apiName
	}
	return code
}

var _ = fmt.Sprint
