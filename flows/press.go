package flows

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// action is what a button does: the middle part of its callback data.
type action string

// The actions of the buttons. A screen's buttons are looked up in its
// step's definition (steps.go); actBack and actMenu work on every screen;
// the buttons that stay valid (globals) are actBuy, actMenu, actUsage,
// actQR, actHelp (the help centre), actESIMs, actSupport and actPhoneOK.
const (
	actBack     action = "back"    // the step before (stepDef.back)
	actMenu     action = "menu"    // the menu, with a new draft
	actBuy      action = "buy"     // a new purchase
	actESIMs    action = "esims"   // the user's eSIMs
	actUsage    action = "usage"   // usage: of an eSIM (arg: ICCID), or pick one
	actLanguage action = "lang"    // the language screen
	actHelp     action = "help"    // the help text
	actCountry  action = "c"       // a country (arg: ISO-3)
	actRegions  action = "regions" // the list of regions
	actRegion   action = "r"       // a region (arg: its code)
	actGlobal   action = "global"  // global bundles
	actCruise   action = "cruise"  // cruise bundles
	actPrev     action = "prev"    // the page before
	actNext     action = "next"    // the page after
	actBundle   action = "b"       // a bundle of the list (arg: index in Draft.Choices)
	actChoose   action = "choose"  // take the bundle shown
	actUse      action = "use"     // take the detail offered (remembered email, name)
	actSkip     action = "skip"    // no WhatsApp number
	actConfirm  action = "confirm" // sell
	actEdit     action = "edit"    // change a detail (arg: email, name, wa)
	actCancel   action = "cancel"  // drop the purchase
	actESIM     action = "e"       // an eSIM of the list (arg: index)
	actBuyNew   action = "buy_new" // a purchase from an empty eSIM list
	actQR       action = "qr"      // the QR code again (global arg: sale reference)
	actTopup    action = "topup"   // top up the eSIM shown
	actPick     action = "u"       // an eSIM for usage (arg: index)
	actRefresh  action = "refresh" // the usage, afresh
	actPickLang action = "l"       // a language (arg: its tag)
	actYes      action = "yes"     // erase my details
	actNo       action = "no"      // keep them
	actSupport  action = "support" // write to the shop's staff (global)
	actPhoneOK  action = "esim_ok" // "my phone supports eSIM" (global)
)

// actions are the known actions: callback data with any other is stale.
var actions = map[action]bool{}

func init() {
	for _, a := range []action{actBack, actMenu, actBuy, actESIMs, actUsage, actLanguage, actHelp, actCountry,
		actRegions, actRegion, actGlobal, actCruise, actPrev, actNext, actBundle, actChoose, actUse, actSkip,
		actConfirm, actEdit, actCancel, actESIM, actBuyNew, actQR, actTopup, actPick, actRefresh, actPickLang,
		actYes, actNo, actSupport, actPhoneOK} {
		actions[a] = true
	}
}

// maxData is the longest callback data (Telegram's limit).
const maxData = 64

// press is a button's callback data: "<stamp>.<action>[.<arg>]" for the
// buttons of one screen, stamp being the conversation's Stamp in base 36
// (DESIGN.md invariant 6), or "g.<action>[.<arg>]" for buttons that stay
// valid (on a delivered eSIM, for example). The argument is a short index,
// a code or a reference. data builds it, parsePress reads it.
type press struct {
	global bool
	stamp  uint32
	act    action
	arg    string
}

// data is the callback data of the press, at most maxData bytes.
func (p press) data() string {
	head := "g"
	if !p.global {
		head = strconv.FormatUint(uint64(p.stamp), 36)
	}
	s := head + "." + string(p.act)
	if p.arg != "" {
		s += "." + p.arg
	}
	if len(s) > maxData {
		s = s[:maxData] // never happens with our arguments; parsePress rejects it
	}
	return s
}

// parsePress reads callback data strictly: anything malformed, too long,
// with unexpected characters or an unknown action is rejected (and
// treated as a stale button).
func parsePress(s string) (press, bool) {
	if len(s) == 0 || len(s) > maxData || !dataChars(s) {
		return press{}, false
	}
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 || !actions[action(parts[1])] || (len(parts) == 3 && parts[2] == "") {
		return press{}, false
	}
	p := press{act: action(parts[1])}
	if len(parts) == 3 {
		p.arg = parts[2]
	}
	if parts[0] == "g" {
		p.global = true
		return p, true
	}
	n, err := strconv.ParseUint(parts[0], 36, 32)
	if err != nil || n == 0 || n == globalStamp || strings.ToLower(parts[0]) != parts[0] {
		return press{}, false // never built: stamps are written in lower case
	}
	p.stamp = uint32(n)
	return p, true
}

// globalStamp is the one stamp whose base-36 form, "g", is the head of the
// buttons that stay valid: no screen is ever given it, so the two
// encodings are disjoint by construction.
const globalStamp = 16

// stampAfter is the stamp that follows s: s+1, skipping 0 (no stamp) and
// globalStamp.
func stampAfter(s uint32) uint32 {
	for {
		s++
		if s != 0 && s != globalStamp {
			return s
		}
	}
}

// newStamp is the first stamp of a new conversation: random, so buttons
// of a conversation that expired do not match it, and never 0 or
// globalStamp.
func newStamp() uint32 { return stampAfter(rand.Uint32()) }

// dataChars reports whether s has only the characters of callback data:
// ASCII letters, digits, '.', '_' and '-'.
func dataChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validArg reports whether s can travel as a button's argument.
func validArg(s string) bool { return s != "" && len(s) <= 40 && dataChars(s) }

// globalButton is a button that stays valid across screens.
func globalButton(label string, a action, arg ...string) Button {
	p := press{global: true, act: a}
	if len(arg) > 0 {
		p.arg = arg[0]
	}
	return Button{Text: label, Data: p.data()}
}

// atoi reads a button's index argument into [0, n).
func atoi(s string, n int) (int, bool) {
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || i >= n {
		return 0, false
	}
	return i, true
}
