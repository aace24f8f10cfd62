package flows

import "strings"

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
	stepHelp         Step = "help"
	stepHelpIPhone   Step = "help_iphone"
	stepHelpAndroid  Step = "help_android"
	stepHelpNoData   Step = "help_nodata"
	stepHelpDevice   Step = "help_device"
	stepHelpValidity Step = "help_validity"
	stepHelpTerms    Step = "help_terms"
	stepSupport      Step = "support"
)

// The destination kinds.
const (
	destCountry = "country"
	destRegion  = "region"
	destGlobal  = "global"
	destCruise  = "cruise"
)

// stepDef is one step of the conversation, all of it: what it shows, which
// buttons, text and contacts it takes, where Back goes, and the locale keys
// it uses. See the package comment for how to add one.
type stepDef struct {
	// show draws the screen from the conversation and the loaded data.
	show func(v view) screen
	// needs lists the data show reads; the engine loads it before.
	needs func(c Conversation) []need
	// valid, when set, says whether the conversation can show the step; if
	// not, it moves to fallback (the menu starts a new draft).
	valid    func(v view) bool
	fallback Step
	// enter, when set, runs when a transition moves to the step, instead
	// of showing it: it fixes what the screen offers (its page, its
	// choices), then shows it, or moves on.
	enter transition
	// buttons are the screen's actions (besides actBack and actMenu).
	buttons map[action]handler
	// text handles typed text, contact a shared contact, media a message
	// the channel can copy (EventMedia); other, when set, what the step
	// takes none of (empty text such as a location or a poll, a contact,
	// media); without one, the user is told the input was not expected.
	text, contact, media, other handler
	// back is where the Back button goes; without one, the menu with a new
	// draft.
	back handler
	// busy steps wait for the sale of Draft.SaleRef: they answer commands
	// but /help and /language with a notice to wait, do not expire, and end
	// (for the menu) once the sale finished.
	busy bool
	// keys are the locale keys of the screen and of the step's own
	// transitions (TestLocaleKeys holds them to it).
	keys []string
}

// handler is a transition and the steps it may lead to, besides staying
// (the package comment draws them; TestTransitions holds them to it).
type handler struct {
	to  []Step
	run transition
}

// steps is the step table.
var steps map[Step]*stepDef

// commandTable is the commands, from any step, menu order first.
var commandTable []command

// commandIndex is commandTable by name.
var commandIndex map[string]command

// globals are the buttons that stay valid across screens (g.<action>).
var globals map[action]handler

func init() {
	steps = stepTable()
	commandTable = append(commandList(), shopCommands()...)
	commandIndex = map[string]command{}
	for _, c := range commandTable {
		commandIndex[c.Name] = c
	}
	globals = map[action]handler{
		actBuy:   {to: []Step{stepDestination}, run: newPurchase},
		actMenu:  {to: []Step{stepMenu}, run: toMenu},
		actUsage: {to: []Step{stepUsage}, run: usageButton},
		actQR:    {run: resendQR},
		// The help centre and the support desk (help.go, support.go).
		actHelp:    {to: []Step{stepHelp, stepHelpIPhone, stepHelpAndroid, stepHelpNoData, stepHelpDevice, stepHelpValidity, stepHelpTerms}, run: helpButton},
		actESIMs:   {to: []Step{stepESIMs}, run: to(stepESIMs)},
		actSupport: {to: []Step{stepSupport}, run: contactSupport},
		actPhoneOK: {run: phoneOK},
	}
	addShop()   // the shop's commands, buttons and keys (shop.go)
	addAlerts() // the usage alerts' command, step and buttons (alertsettings.go)
}

// stepTable defines every step.
func stepTable() map[Step]*stepDef {
	searching := handler{to: []Step{stepDestination, stepPickCountry, stepBundles}, run: search(noMatch)}
	toDestination := handler{to: []Step{stepDestination}, run: to(stepDestination)}
	defs := map[Step]*stepDef{
		stepMenu: {show: showMenu,
			buttons: map[action]handler{
				actBuy: {to: []Step{stepDestination}, run: newPurchase}, actESIMs: {to: []Step{stepESIMs}, run: to(stepESIMs)},
				actUsage: {to: []Step{stepUsagePick, stepUsage}, run: to(stepUsagePick)}, actLanguage: {to: []Step{stepLanguage}, run: to(stepLanguage)},
				actHelp: {to: []Step{stepHelp}, run: to(stepHelp)}},
			text: handler{to: searching.to, run: search(menuHint)},
			keys: []string{"menu_greeting", "menu_greeting_agent", "sandbox_banner", "btn_buy", "btn_esims", "btn_usage", "btn_language", "btn_help", "hint_menu"}},
		stepDestination: {show: showDestination, needs: always(needCountries), buttons: destinationButtons(), text: searching,
			keys: []string{"ask_destination", "btn_regions", "btn_global", "btn_cruise"}},
		stepPickCountry: {show: showPickCountry, buttons: destinationButtons(), text: searching, back: toDestination,
			keys: []string{"pick_country"}},
		stepRegions: {show: showRegions, needs: always(needRegions), text: searching, back: toDestination,
			buttons: map[action]handler{actRegion: {to: []Step{stepBundles}, run: regionButton}},
			keys:    []string{"pick_region", "region_*"}},
		stepBundles: {show: showBundles, needs: destinationOffers, enter: pageBundles,
			text:    handler{to: append([]Step{stepBundle}, searching.to...), run: byNumber(onPage, chooseOffer, hinting, searching.run)},
			buttons: map[action]handler{actPrev: {run: turnPage(-1)}, actNext: {run: turnPage(+1)}, actBundle: {to: []Step{stepBundle}, run: chooseOffer}},
			back:    handler{to: []Step{stepRegions, stepDestination}, run: bundlesBack},
			keys:    []string{"no_bundles", "bundles_sorted", "bundles_page", "bundles_title", "btn_prev", "btn_next"}},
		stepBundle: {show: showBundle, needs: bundleNetworks, valid: hasBundle, fallback: stepBundles,
			buttons: map[action]handler{actChoose: {to: []Step{stepEmail}, run: to(stepEmail)}},
			text:    handler{to: searching.to, run: askCoverage},
			back:    handler{to: []Step{stepBundles}, run: to(stepBundles)},
			keys: []string{"coverage_title", "countries_more", "coverage_ask", "networks_title", "networks_more",
				"network_line", "btn_choose", "coverage_which", "coverage_no", "coverage_yes", "coverage_network"}},
		stepEmail: {show: showEmail,
			buttons: map[action]handler{actUse: {to: []Step{stepName, stepSummary}, run: useEmail}},
			text:    handler{to: []Step{stepName, stepSummary}, run: typedEmail},
			back:    handler{to: []Step{stepSummary, stepTopupBundles, stepBundle}, run: emailBack},
			keys:    []string{"ask_email", "ask_email_agent", "btn_use", "email_invalid", "email_ascii"}},
		stepName: {show: showName,
			buttons: map[action]handler{actUse: {to: []Step{stepWhatsApp, stepSummary}, run: useName}},
			text:    handler{to: []Step{stepWhatsApp, stepSummary}, run: typedName},
			back:    handler{to: []Step{stepSummary, stepEmail}, run: nameBack},
			keys:    []string{"ask_name", "ask_name_agent", "btn_use", "name_length", "name_chars"}},
		stepWhatsApp: {show: showWhatsApp,
			buttons: map[action]handler{actSkip: {to: []Step{stepSummary}, run: skipWhatsApp}},
			text:    handler{to: []Step{stepSummary}, run: typedWhatsApp},
			contact: handler{to: []Step{stepSummary}, run: sharedWhatsApp},
			back:    handler{to: []Step{stepSummary, stepName}, run: whatsappBack},
			keys: []string{"ask_whatsapp", "ask_whatsapp_agent", "btn_skip", "btn_share_phone", "keyboard_closed", "skip_words",
				"whatsapp_invalid", "whatsapp_need_country", "whatsapp_saved", "whatsapp_skipped"}},
		stepSummary: {show: showSummary, valid: summaryComplete, fallback: stepMenu, enter: enterSummary,
			buttons: map[action]handler{actConfirm: confirming(stepBundles), actCancel: cancelling,
				actEdit: {to: []Step{stepEmail, stepName, stepWhatsApp}, run: editDetail}},
			back: handler{to: []Step{stepWhatsApp}, run: to(stepWhatsApp)},
			keys: []string{"summary", "summary_agent", "summary_no_whatsapp", "btn_confirm", "btn_edit_email", "btn_edit_name",
				"btn_edit_whatsapp", "btn_cancel", "sandbox_banner", "cancelled"}},
		stepSelling: {show: showSelling, busy: true,
			text: handler{run: busy},
			keys: []string{"selling_wait"}},
		stepESIMs: {show: showESIMs, needs: func(Conversation) []need { return []need{needESIMs, needOrders} }, enter: listESIMs,
			buttons: map[action]handler{actESIM: {to: []Step{stepESIM}, run: openESIM}, actBuyNew: {to: []Step{stepDestination}, run: newPurchase}},
			text:    handler{to: []Step{stepESIM}, run: byNumber(fromOne, openESIM, hinting, hinting)},
			keys: []string{"esims_none", "esims_none_agent", "esims_title", "esims_title_agent", "esim_line", "esim_line_agent", "esim_button", "btn_buy", "state_*",
				"esims_orders", "esims_order_line", "pay_label", "pay_refunded", "pay_refund_due", "pay_awaiting"}},
		stepESIM: {show: showESIM, needs: currentESIM, valid: ownESIM, fallback: stepESIMs,
			buttons: map[action]handler{actUsage: {to: []Step{stepUsage}, run: esimUsage}, actQR: {run: esimQR},
				actTopup: {to: []Step{stepTopupBundles}, run: esimTopup}},
			back: handler{to: []Step{stepESIMs}, run: to(stepESIMs)},
			keys: []string{"esim_title", "esim_bundle_line", "btn_usage", "btn_resend_qr", "btn_topup", "state_*"}},
		stepTopupBundles: {show: showTopups, needs: profileTopups, enter: listTopups,
			buttons: map[action]handler{actBundle: {to: []Step{stepTopupSummary}, run: chooseTopup}},
			text:    handler{to: []Step{stepTopupSummary}, run: byNumber(fromOne, chooseTopup, hinting, hinting)},
			back:    handler{to: []Step{stepESIM}, run: to(stepESIM)},
			keys:    []string{"topup_none", "topup_title"}},
		stepTopupSummary: {show: showTopupSummary, valid: hasBundle, fallback: stepTopupBundles,
			buttons: map[action]handler{actConfirm: confirming(stepTopupBundles), actCancel: cancelling},
			back:    handler{to: []Step{stepTopupBundles}, run: to(stepTopupBundles)},
			keys:    []string{"topup_summary", "btn_confirm", "btn_cancel", "sandbox_banner", "cancelled"}},
		stepUsagePick: {show: showUsagePick, needs: always(needESIMs), enter: listUsage,
			buttons: map[action]handler{actPick: {to: []Step{stepUsage}, run: pickUsage}},
			text:    handler{to: []Step{stepUsage}, run: byNumber(fromOne, pickUsage, typedICCID, typedICCID)},
			keys:    []string{"usage_none", "usage_none_agent", "usage_pick", "esim_button", "esim_line", "esim_line_agent", "state_*", "btn_buy"}},
		stepUsage: {show: showUsage, needs: profileUsage,
			buttons: map[action]handler{actRefresh: {run: refreshUsage}},
			back:    handler{to: []Step{stepESIM, stepMenu}, run: usageBack},
			keys: []string{"usage_error", "usage_not_found", "usage_bad_iccid", "usage_title", "usage_expiry", "usage_no_bundles",
				"usage_bundle", "usage_topup_name", "usage_status_not_started", "usage_not_started", "usage_not_started_nodays", "usage_data_unlimited",
				"usage_data", "usage_calls", "usage_sms", "usage_bundle_expiry", "btn_refresh", "btn_help_nodata", "btn_support", "profile_*"}},
		stepLanguage: {show: showLanguage,
			buttons: map[action]handler{actPickLang: {to: []Step{stepMenu}, run: chooseLanguage}},
			keys:    []string{"pick_language", "language_set"}},
		stepForget: {show: showForget,
			buttons: map[action]handler{actYes: {to: []Step{stepMenu}, run: forgetMe}, actNo: {to: []Step{stepMenu}, run: to(stepMenu)}},
			keys:    []string{"forget_confirm", "btn_forget_yes", "btn_forget_no", "forget_done"}},
		stepSupport: {show: showSupport, text: handler{run: writeSupport}, media: handler{run: writeSupportMedia},
			other: handler{run: notForSupport}, keys: supportKeys},
	}
	for s, def := range helpSteps(searching) {
		defs[s] = def
	}
	return defs
}

// sharedKeys are the locale keys of what several steps use: the Back
// button, hints, notices, the search, the words of bundles and prices.
var sharedKeys = []string{
	"btn_back", "hint_unexpected", "stale_button", "unknown_command", "error_api", "error_feature", "error_not_found",
	"error_generic", "btn_menu", "no_match", "list_separator", "no_bundles_country", "dest_global", "dest_cruise",
	"data_unlimited", "data_gb", "data_mb", "days", "bundle_line", "legend_calls", "legend_topup", "legend_global",
	"bundle_details", "bundle_calls_sms", "bundle_topup", "bundle_global_esim", "bundle_gone", "price_changed",
	"selling", "selling_agent", "selling_topup", "region_*",
}

// confirming is the Confirm button of a summary: the sale (selling, then
// the menu), or the list of bundles when the bundle has gone.
func confirming(list Step) handler {
	return handler{to: []Step{stepSelling, stepMenu, list}, run: confirm}
}

// cancelling is the Cancel button of a summary.
var cancelling = handler{to: []Step{stepMenu}, run: cancelPurchase}

// waiting reports whether a step waits for a sale (stepDef.busy).
func waiting(s Step) bool {
	def, ok := steps[s]
	return ok && def.busy
}

// always is a needs function of a fixed need.
func always(n need) func(Conversation) []need {
	return func(Conversation) []need { return []need{n} }
}

// goTo moves to step s: s's enter fixes what its screen offers, or the
// screen is shown.
func goTo(c Conversation, u User, in input, s Step) (Conversation, []effect) {
	c.Step = s
	if def, ok := steps[s]; ok && def.enter != nil {
		return def.enter(c, u, in)
	}
	return c, []effect{showScreen{}}
}

// to is the transition to step s.
func to(s Step) transition {
	return func(c Conversation, u User, in input) (Conversation, []effect) { return goTo(c, u, in, s) }
}

// toMenu goes to the menu with a new draft.
func toMenu(c Conversation, u User, in input) (Conversation, []effect) {
	c.Draft = Draft{}
	return goTo(c, u, in, stepMenu)
}

// newPurchase starts a purchase: the destination, with a new draft.
func newPurchase(c Conversation, u User, in input) (Conversation, []effect) {
	c.Draft = Draft{}
	return goTo(c, u, in, stepDestination)
}

// route is the transition of every event: what handlerOf finds.
func route(c Conversation, u User, in input) (Conversation, []effect) {
	h, in := handlerOf(c, in)
	return h.run(c, u, in)
}

// handlerOf looks up what handles an event at the conversation's step: a
// command, a button (global, or of the screen shown, with its press
// parsed into the input), text or a contact. Anything else is answered
// with a hint, a stale button's notice, or an unknown command's.
func handlerOf(c Conversation, in input) (handler, input) {
	def, ok := steps[c.Step]
	if !ok {
		def = &stepDef{}
	}
	var h handler
	switch in.ev.Kind {
	case EventCommand:
		return commandOf(def, in), in
	case EventButton:
		p, ok := parsePress(in.ev.Data)
		in.press = p
		if ok && !p.global && p.stamp != c.Stamp && c.Pressed != "" && in.ev.Data == c.Pressed {
			return handler{run: repressed}, in
		}
		return buttonOf(def, c, p, ok), in
	case EventText:
		if in.text() != "" {
			h = def.text
		}
	case EventContact:
		h = def.contact
	case EventMedia:
		h = def.media
	}
	if h.run == nil {
		h = def.other
	}
	if h.run == nil {
		h.run = hinting
	}
	return h, in
}

// buttonOf is the handler of a button: a global one, or one of the screen
// shown (its stamp is the conversation's); any other is stale.
func buttonOf(def *stepDef, c Conversation, p press, ok bool) handler {
	var h handler
	switch {
	case !ok:
	case p.global:
		h = globals[p.act]
	case p.stamp != c.Stamp:
	case p.act == actBack:
		h = def.back
		if h.run == nil {
			h = handler{to: []Step{stepMenu}, run: toMenu}
		}
	case p.act == actMenu:
		h = handler{to: []Step{stepMenu}, run: toMenu}
	default:
		h = def.buttons[p.act]
	}
	if h.run == nil {
		h.run = staling
	}
	return h
}

// commandOf is the handler of a /command, which works from any step but a
// busy one.
func commandOf(def *stepDef, in input) handler {
	name := strings.ToLower(in.ev.Command)
	if def.busy && name != "help" && name != "language" {
		return handler{run: busy}
	}
	if cmd, ok := commandIndex[name]; ok {
		return cmd.handler
	}
	return handler{run: unknownCommand}
}

// hinting, staling, busy and unknownCommand answer what no handler takes.
func hinting(c Conversation, _ User, in input) (Conversation, []effect) { return c, in.hint() }
func staling(c Conversation, _ User, in input) (Conversation, []effect) { return c, in.stale() }

// repressed answers the press that led to the screen shown, pressed again
// (a double tap, or its update replayed after a restart): quietly, with
// no notice and no other copy of the screen, which is there already.
func repressed(c Conversation, _ User, _ input) (Conversation, []effect) { return c, nil }
func busy(c Conversation, _ User, in input) (Conversation, []effect) {
	return c, []effect{in.say("selling_wait")}
}
func unknownCommand(c Conversation, _ User, in input) (Conversation, []effect) {
	return c, []effect{in.say("unknown_command")}
}
