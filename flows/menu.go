package flows

import (
	"strings"

	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
)

// Command is a /command that works from any step of the conversation.
type Command struct {
	// Name is the command without its "/".
	Name string
	// Key is the locale key of its description in a command menu; empty
	// for a command left out of the menu.
	Key string
}

// command is a Command and what it does.
type command struct {
	Command
	handler
}

// commandList is every command, in menu order.
func commandList() []command {
	return []command{
		{Command{"start", "cmd_start"}, handler{to: []Step{stepMenu, stepDestination, stepRegions, stepBundles, stepBundle}, run: start}},
		{Command{"buy", "cmd_buy"}, handler{to: []Step{stepDestination}, run: newPurchase}},
		{Command{"esims", "cmd_esims"}, handler{to: []Step{stepESIMs}, run: to(stepESIMs)}},
		{Command{"usage", "cmd_usage"}, handler{to: []Step{stepUsagePick, stepUsage}, run: usageCommand}},
		{Command{"language", "cmd_language"}, handler{to: []Step{stepLanguage}, run: to(stepLanguage)}},
		{Command{"help", "cmd_help"}, handler{run: help}},
		{Command{"cancel", "cmd_cancel"}, handler{to: []Step{stepMenu}, run: cancelCommand}},
		{Command{"forget", "cmd_forget"}, handler{to: []Step{stepForget}, run: to(stepForget)}},
		{Command{Name: "menu"}, handler{to: []Step{stepMenu}, run: toMenu}},
		{Command{Name: "orders"}, handler{to: []Step{stepESIMs}, run: to(stepESIMs)}},
		// Payments (issue 10): what Telegram requires of bots that take them.
		{Command{"paysupport", "cmd_paysupport"}, handler{run: paySupport}},
		{Command{"terms", "cmd_terms"}, handler{run: terms}},
	}
}

// Commands returns the commands a channel lists in its command menu, in
// order: /paysupport only when customers pay in the chat (payments), as
// Telegram asks of bots that take payments. The conversation also
// understands /menu, /orders (/esims) and /paysupport in any case.
func Commands(payments bool) []Command {
	var out []Command
	for _, c := range commandTable {
		if c.Key != "" && (payments || c.Name != "paysupport") {
			out = append(out, c.Command)
		}
	}
	return out
}

// commandKeys are the locale keys of the commands' own messages (and of
// usageOf, which /usage, the pick and the global usage button share).
var commandKeys = []string{"cancelled", "cancelled_nothing", "start_unknown", "selling_wait", "help", "help_payments", "btn_buy", "btn_menu",
	"usage_bad_iccid", "usage_not_yours"}

// showMenu is the menu.
func showMenu(v view) screen {
	key := "menu_greeting"
	if v.u.Role != RoleCustomer {
		key = "menu_greeting_agent"
	}
	text := v.loc.T(key, "Name", clip(v.ev.From.FirstName, 32))
	if v.cfg.Sandbox {
		text += "\n\n" + v.loc.T("sandbox_banner")
	}
	return screen{text: text, rows: [][]Button{
		{v.btn(v.loc.T("btn_buy"), actBuy)},
		{v.btn(v.loc.T("btn_esims"), actESIMs), v.btn(v.loc.T("btn_usage"), actUsage)},
		{v.btn(v.loc.T("btn_language"), actLanguage), v.btn(v.loc.T("btn_help"), actHelp)},
	}}
}

// start is /start: the menu, or what a deep link names.
func start(c Conversation, u User, in input) (Conversation, []effect) {
	c.Draft = Draft{}
	if payload := strings.TrimSpace(in.ev.Args); payload != "" {
		return deepLink(c, u, in, payload)
	}
	return goTo(c, u, in, stepMenu)
}

// cancelCommand is /cancel: the menu, saying that nothing was bought only
// when a purchase was under way.
func cancelCommand(c Conversation, u User, in input) (Conversation, []effect) {
	key := "cancelled_nothing"
	if d := c.Draft; d.Kind != "" || d.Bundle != nil || d.DestKind != "" {
		key = "cancelled"
	}
	c.Draft = Draft{}
	c, next := goTo(c, u, in, stepMenu)
	return c, first(in.say(key), next)
}

// deepLink opens what a t.me/<bot>?start=<payload> link names: a country
// (FRA, fr), a region (EUR, region_EUR), global, cruise, regions, or a
// bundle code; anything else is said to be unknown, and the menu shown.
func deepLink(c Conversation, u User, in input, payload string) (Conversation, []effect) {
	if token, ok := strings.CutPrefix(payload, invitePrefix); ok {
		return inviteLink(c, u, in, token)
	}
	if tr, ok := linkTarget(payload); ok {
		return tr(c, u, in)
	}
	if iso3, ok := iso3Of(payload); ok {
		return openCountry(c, u, in, iso3)
	}
	if c, next, ok := regionLink(c, u, in, payload); ok {
		return c, next
	}
	if c, next, ok := bundleLink(c, u, in, payload); ok {
		return c, next
	}
	c, next := goTo(c, u, in, stepMenu)
	return c, first(in.say("start_unknown", "Value", clip(payload, 64)), next)
}

// linkTarget is the screen a deep link names by a word.
func linkTarget(payload string) (transition, bool) {
	switch strings.ToLower(payload) {
	case "group", "menu", "start":
		return to(stepMenu), true
	case "buy":
		return to(stepDestination), true
	case "global":
		return destination(destGlobal), true
	case "cruise":
		return destination(destCruise), true
	case "regions":
		return to(stepRegions), true
	}
	return nil, false
}

// regionLink opens the region a deep link names, if it names one.
func regionLink(c Conversation, u User, in input, payload string) (Conversation, []effect, bool) {
	code := payload
	for _, p := range []string{"region_", "region-", "r_"} {
		if strings.HasPrefix(strings.ToLower(code), p) {
			code = code[len(p):]
		}
	}
	regions, wait, err := attempt[[]reseller.Region](in, needRegions)
	if wait != nil {
		return c, wait, true
	}
	if err != nil {
		return c, nil, false
	}
	for _, r := range regions {
		if strings.EqualFold(r.Code, code) && validArg(r.Code) {
			c, next := openDestination(c, u, in, destRegion, r.Code)
			return c, next, true
		}
	}
	return c, nil, false
}

// bundleLink opens the bundle a deep link names, if it names one.
func bundleLink(c Conversation, u User, in input, payload string) (Conversation, []effect, bool) {
	code := strings.TrimPrefix(strings.TrimPrefix(payload, "bundle_"), "b_")
	if code == "" || len(code) > 64 {
		return c, nil, false
	}
	o, wait, err := attempt[*BundleOffer](in, needBundle(code))
	if wait != nil {
		return c, wait, true
	}
	if err != nil || o == nil {
		return c, nil, false
	}
	d := &c.Draft
	d.Kind, d.Bundle = KindNew, o
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
	c, next := goTo(c, u, in, stepBundle)
	return c, next, true
}

// showLanguage offers the catalog's languages.
func showLanguage(v view) screen {
	row := []Button{}
	for _, tag := range v.langs {
		row = append(row, v.btn(locales.LanguageName(tag), actPickLang, tag.String()))
	}
	return screen{text: v.loc.T("pick_language"), rows: [][]Button{row, v.back()}}
}

// chooseLanguage sets the language pressed, and shows the menu in it.
func chooseLanguage(c Conversation, u User, in input) (Conversation, []effect) {
	for _, tag := range in.langs {
		if tag.String() == in.press.arg {
			c, next := goTo(c, u, in, stepMenu)
			return c, append([]effect{setLanguage{in.press.arg}, toast{"language_set"}}, next...)
		}
	}
	return c, in.stale()
}

// showForget asks to confirm erasing the user's details.
func showForget(v view) screen {
	return screen{text: v.loc.T("forget_confirm"), rows: [][]Button{
		{v.btn(v.loc.T("btn_forget_yes"), actYes), v.btn(v.loc.T("btn_forget_no"), actNo)}}}
}

// forgetMe erases the user's details: a new conversation starts, at the
// menu.
func forgetMe(c Conversation, _ User, in input) (Conversation, []effect) {
	return c, []effect{forgetUser{}, in.say("forget_done"), showScreen{}}
}

// showSelling is the wait while a sale is under way (after a restart,
// say): the sale's messages follow.
func showSelling(v view) screen { return screen{text: v.loc.T("selling_wait")} }
