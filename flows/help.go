package flows

import (
	"context"
	_ "embed"
	"strings"
	"unicode"
)

// The help centre (issue 14): /help is a short menu of pages (installing on
// an iPhone or an Android phone, no internet, whether a phone supports
// eSIM, validity, refunds and terms), each a step of the table whose screen
// ends with buttons back to the journey. The menu's buttons stay valid
// across screens (g.help.<page>), so /help can show the menu under any
// screen without changing the step (DESIGN.md invariant 6).

// helpPage is one page of the help centre: its step, the button argument
// that opens it, and the locale keys of its button and text.
type helpPage struct {
	step      Step
	arg       string
	btn, text string
}

// helpPages are the help centre's pages, in menu order.
var helpPages = []helpPage{
	{stepHelpIPhone, "iphone", "btn_help_iphone", "help_iphone"},
	{stepHelpAndroid, "android", "btn_help_android", "help_android"},
	{stepHelpNoData, "nodata", "btn_help_nodata", "help_nodata"},
	{stepHelpDevice, "device", "btn_help_device", "help_device"},
	{stepHelpValidity, "validity", "btn_help_validity", "help_validity"},
	{stepHelpTerms, "terms", "btn_help_terms", "help_terms"},
}

// helpKeys are the locale keys of the help menu and its buttons.
var helpKeys = []string{"help", "help_payments", "help_pages", "btn_help_menu", "btn_esims", "btn_buy", "btn_menu", "btn_support",
	"btn_help_iphone", "btn_help_android", "btn_help_nodata", "btn_help_device", "btn_help_validity", "btn_help_terms",
	"help_terms_pay", "esim_check", "btn_esim_yes", "btn_esim_how", "esim_check_yes"}

// journeyKeys are the locale keys of journeyRows.
var journeyKeys = []string{"btn_buy", "btn_esims", "btn_help_menu", "btn_support"}

func init() {
	// /help and the buttons that stay valid show the help menu and the
	// support desk's messages under any step.
	commandKeys = append(append(commandKeys, helpKeys...), supportKeys...)
}

// helpSteps are the step definitions of the help centre.
func helpSteps(searching handler) map[Step]*stepDef {
	toHelp := handler{to: []Step{stepHelp}, run: to(stepHelp)}
	defs := map[Step]*stepDef{
		stepHelp: {show: showHelp, text: searching, keys: helpKeys},
	}
	for _, p := range helpPages {
		defs[p.step] = &stepDef{show: showPage(p), back: toHelp, keys: append([]string{p.text, "help_terms_pay"}, journeyKeys...)}
	}
	device := defs[stepHelpDevice]
	device.text = handler{run: searchDevice}
	device.back = handler{to: []Step{stepHelp, stepSummary}, run: deviceBack}
	device.keys = append(device.keys, "device_found", "device_many", "device_more", "device_not_found", "device_short")
	return defs
}

// helpMenu is the text and buttons of the help menu: the page buttons and
// the journey, all valid across screens.
func helpMenu(in input) (string, [][]Button) {
	loc := in.loc
	var rows [][]Button
	for i := 0; i < len(helpPages); i += 2 {
		row := []Button{globalButton(loc.T(helpPages[i].btn), actHelp, helpPages[i].arg)}
		if i+1 < len(helpPages) {
			row = append(row, globalButton(loc.T(helpPages[i+1].btn), actHelp, helpPages[i+1].arg))
		}
		rows = append(rows, row)
	}
	rows = append(rows, []Button{supportButton(loc.T("btn_support"))},
		[]Button{globalButton(loc.T("btn_buy"), actBuy), globalButton(loc.T("btn_menu"), actMenu)})
	text := loc.T("help")
	if in.cfg.Payments == PaymentsStars {
		text += "\n" + loc.T("help_payments") // /paysupport and /terms
	}
	return text + "\n\n" + loc.T("help_pages"), rows
}

// journeyRows end every help page: back to buying, the user's eSIMs and
// the help menu.
func journeyRows(in input) [][]Button {
	loc := in.loc
	return [][]Button{
		{globalButton(loc.T("btn_buy"), actBuy), globalButton(loc.T("btn_esims"), actESIMs)},
		{globalButton(loc.T("btn_help_menu"), actHelp), supportButton(loc.T("btn_support"))},
	}
}

// help is /help: the help menu under whatever is shown, the step unchanged.
func help(c Conversation, _ User, in input) (Conversation, []effect) {
	text, rows := helpMenu(in)
	m := in.say("help")
	m.m.Text, m.m.Buttons = text, rows
	return c, []effect{m}
}

// showHelp is the help menu as a screen.
func showHelp(v view) screen {
	text, rows := helpMenu(v.input)
	return screen{text: text, rows: append(rows, v.back())}
}

// showPage draws a help page.
func showPage(p helpPage) func(v view) screen {
	return func(v view) screen {
		text := v.loc.T(p.text)
		if p.step == stepHelpTerms && v.cfg.Payments == PaymentsStars {
			text += "\n\n" + v.loc.T("help_terms_pay")
		}
		return screen{text: text, rows: append(journeyRows(v.input), v.back())}
	}
}

// helpButton is the help centre's button that stays valid: the menu, or a
// page (arg).
func helpButton(c Conversation, u User, in input) (Conversation, []effect) {
	if in.press.arg == "" {
		return goTo(c, u, in, stepHelp)
	}
	for _, p := range helpPages {
		if p.arg == in.press.arg {
			return goTo(c, u, in, p.step)
		}
	}
	return c, in.stale()
}

// deviceBack leaves the device page: for the summary of a purchase under
// way (the check before Confirm), else for the help menu.
func deviceBack(c Conversation, u User, in input) (Conversation, []effect) {
	if d := c.Draft; d.Kind != KindTopup && d.Bundle != nil && d.Email != "" && d.Name != "" {
		return goTo(c, u, in, stepSummary)
	}
	return goTo(c, u, in, stepHelp)
}

// enterSummary shows the summary; a customer who never bought is first
// asked, once, whether their phone supports eSIM (with the check one tap
// away). The question does not stand in the way: the summary follows it.
func enterSummary(c Conversation, u User, in input) (Conversation, []effect) {
	if u.Role != RoleCustomer || u.AskedESIM {
		return c, []effect{showScreen{}}
	}
	list, wait := want[[]esim](in, needESIMs)
	if wait != nil {
		return c, wait
	}
	if len(list) > 0 {
		return c, []effect{showScreen{}}
	}
	q := in.say("esim_check")
	q.m.Buttons = [][]Button{{globalButton(in.loc.T("btn_esim_yes"), actPhoneOK), globalButton(in.loc.T("btn_esim_how"), actHelp, "device")}}
	return c, []effect{askedESIM{}, q, showScreen{}}
}

// phoneOK is the "yes, it does" answer to the eSIM question.
func phoneOK(c Conversation, _ User, _ input) (Conversation, []effect) {
	return c, []effect{toast{"esim_check_yes"}}
}

// askedESIM records that the user was asked whether their phone supports
// eSIM (User.AskedESIM).
type askedESIM struct{}

func (askedESIM) String() string { return "asked esim" }
func (askedESIM) apply(_ context.Context, t *turn) error {
	t.user.AskedESIM, t.dirty = true, true
	return nil
}

// searchDevice looks the typed model up in the list of eSIM phones.
func searchDevice(c Conversation, _ User, in input) (Conversation, []effect) {
	q := in.text()
	var m say
	switch found, exact := findDevices(q); {
	case len(foldModel(q)) < 2:
		m = in.say("device_short")
	case exact != "":
		m = in.say("device_found", "Model", exact)
	case len(found) == 0:
		m = in.say("device_not_found", "Model", clip(q, 64))
	default:
		shown := found[:min(len(found), maxDevices)]
		if len(found) > len(shown) {
			shown = append(shown, in.loc.T("device_more", "N", in.loc.Number(int64(len(found)-len(shown)))))
		}
		m = in.say("device_many", "Models", strings.Join(shown, "\n"))
	}
	m.m.Buttons = journeyRows(in)
	return c, []effect{m}
}

// maxDevices is how many models a search lists.
const maxDevices = 8

//go:embed data/esim-devices.txt
var devicesFile string

// devices are the models of the list, as written there ("Apple iPhone 15").
var devices = parseDevices(devicesFile)

// parseDevices reads the list: one model a line, "#" starts a comment.
func parseDevices(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// foldModel is a model name for comparison: lower case, letters, digits
// and "+" only, "plus" written "+" ("Galaxy  S23-Ultra" → "galaxys23ultra",
// "S23 Plus" → "s23+").
func foldModel(s string) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(strings.ToLower(s), "plus", "+") {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '+' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// findDevices returns the models whose name contains the query (case,
// spaces and punctuation aside), and the one it names exactly, with or
// without its brand, if any.
func findDevices(q string) (found []string, exact string) {
	f := foldModel(q)
	if len(f) < 2 {
		return nil, ""
	}
	for _, d := range devices {
		fd := foldModel(d)
		if !strings.Contains(fd, f) {
			continue
		}
		found = append(found, d)
		if _, model, _ := strings.Cut(d, " "); fd == f || foldModel(model) == f {
			exact = d
		}
	}
	return found, exact
}
