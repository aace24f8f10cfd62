package flows

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The customer's side of the usage alerts (usagewatch.go): /alerts shows
// and changes which alerts they get (all, important only, none) and which
// of their eSIMs are muted; the buttons of an alert (Top up, Mute) stay
// valid as long as the eSIM is theirs. Agents' customers get no alerts in
// Telegram; an agent sends the usage summary to the customer's WhatsApp
// from the usage screen instead.

const stepAlerts Step = "alerts"

// The actions of the alerts' buttons.
const (
	actTopupOf action = "tu"   // top up an eSIM, from an alert (global arg: ICCID)
	actMute    action = "mute" // mute an eSIM's alerts, from an alert (global arg: ICCID)
	actLevel   action = "al"   // the alert level (arg: all, important, none)
	actToggle  action = "mt"   // mute or unmute an eSIM of /alerts (arg: index)
)

// alertsKeys are the locale keys of /alerts and the alerts' buttons.
var alertsKeys = []string{"alerts_title", "alerts_level_all", "alerts_level_important", "alerts_level_none",
	"alerts_esims", "alerts_esim_on", "alerts_esim_muted", "alerts_agent", "alerts_none_esims", "btn_alerts_all",
	"btn_alerts_important", "btn_alerts_none"}

// addAlerts adds the alerts' command, step, buttons and keys to the tables.
func addAlerts() {
	for _, a := range []action{actTopupOf, actMute, actLevel, actToggle} {
		actions[a] = true
	}
	globals[actTopupOf] = handler{to: []Step{stepTopupBundles}, run: topupButton}
	globals[actMute] = handler{run: muteButton}
	steps[stepAlerts] = &stepDef{show: showAlerts, needs: always(needESIMs), enter: listAlerts,
		buttons: map[action]handler{actLevel: {run: chooseLevel}, actToggle: {run: toggleMute}},
		keys:    alertsKeys}
	cmd := command{Command{"alerts", "cmd_alerts"}, handler{to: []Step{stepAlerts}, run: to(stepAlerts)}}
	i := slices.IndexFunc(commandTable, func(c command) bool { return c.Name == "usage" }) + 1
	commandTable = slices.Insert(commandTable, i, cmd)
	commandIndex[cmd.Name] = cmd
	saleKeys = append(saleKeys, usageAlertKeys...)
	commandKeys = append(commandKeys, "alerts_muted") // the Mute button of an alert
	steps[stepUsage].keys = append(steps[stepUsage].keys, "btn_whatsapp", "whatsapp_usage")
}

// listAlerts fixes the eSIMs /alerts offers to mute.
func listAlerts(c Conversation, u User, in input) (Conversation, []effect) {
	list, wait := want[[]esim](in, needESIMs)
	if wait != nil {
		return c, wait
	}
	c.Draft = Draft{}
	if u.Role == RoleCustomer {
		for _, m := range list[:min(len(list), maxListed)] {
			c.Draft.Choices = append(c.Draft.Choices, m.first.ICCID)
		}
	}
	return c, []effect{showScreen{}}
}

// showAlerts shows the user's alert level and muted eSIMs.
func showAlerts(v view) screen {
	if v.u.Role != RoleCustomer {
		return screen{text: v.loc.T("alerts_agent"), rows: [][]Button{v.back()}}
	}
	level := map[AlertLevel]string{AlertsAll: "all", AlertsImportant: "important", AlertsNone: "none"}[v.u.Alerts]
	text := v.loc.T("alerts_title", "Level", v.loc.T("alerts_level_"+level))
	var levels []Button
	for _, l := range []string{"all", "important", "none"} {
		label := v.loc.T("btn_alerts_" + l)
		if l == level {
			label = "✓ " + label
		}
		levels = append(levels, v.btn(label, actLevel, l))
	}
	rows := [][]Button{levels}
	if len(v.c.Draft.Choices) == 0 {
		text += "\n\n" + v.loc.T("alerts_none_esims")
	} else {
		text += "\n\n" + v.loc.T("alerts_esims")
	}
	for i, iccid := range v.c.Draft.Choices {
		key := "alerts_esim_on"
		if muted(v.u, iccid) {
			key = "alerts_esim_muted"
		}
		rows = append(rows, []Button{v.btn(v.loc.Plain(key, "Tail", tail(iccid)), actToggle, strconv.Itoa(i))})
	}
	return screen{text: text, rows: append(rows, v.back())}
}

// chooseLevel sets the alert level pressed.
func chooseLevel(c Conversation, u User, in input) (Conversation, []effect) {
	l := map[string]AlertLevel{"all": AlertsAll, "important": AlertsImportant, "none": AlertsNone}
	level, ok := l[in.press.arg]
	if !ok || u.Role != RoleCustomer {
		return c, in.stale()
	}
	return c, []effect{setAlerts{level: &level}, showScreen{}}
}

// toggleMute mutes or unmutes the eSIM pressed.
func toggleMute(c Conversation, u User, in input) (Conversation, []effect) {
	i, ok := atoi(in.press.arg, len(c.Draft.Choices))
	if !ok {
		return c, in.stale()
	}
	iccid := c.Draft.Choices[i]
	return c, []effect{setAlerts{iccid: iccid, mute: !muted(u, iccid)}, showScreen{}}
}

// ownProfile returns the first sale of an eSIM the user bought, or the
// effects to load the profile's sales or call the button stale.
func ownProfile(u User, in input, iccid string) (Sale, []effect) {
	if !validArg(iccid) {
		return Sale{}, in.stale()
	}
	sales, wait, err := attempt[[]Sale](in, needProfileSales(iccid))
	if wait != nil {
		return Sale{}, wait
	}
	for _, s := range sales {
		if err == nil && s.Kind == KindNew && mine(u, s) {
			return s, nil
		}
	}
	return Sale{}, in.stale()
}

// topupButton is the Top up button of an alert: the top-ups of its eSIM,
// straight into the top-up journey.
func topupButton(c Conversation, u User, in input) (Conversation, []effect) {
	s, wait := ownProfile(u, in, in.press.arg)
	if wait != nil {
		return c, wait
	}
	c.Draft = Draft{Kind: KindTopup, ICCID: s.ICCID, Email: s.Email, Name: s.Name, WhatsApp: s.WhatsApp, TopupRef: s.Ref}
	return goTo(c, u, in, stepTopupBundles)
}

// muteButton is the Mute button of an alert: no more alerts of its eSIM.
func muteButton(c Conversation, u User, in input) (Conversation, []effect) {
	s, wait := ownProfile(u, in, in.press.arg)
	if wait != nil {
		return c, wait
	}
	return c, []effect{setAlerts{iccid: s.ICCID, mute: true}, in.say("alerts_muted", "Tail", tail(s.ICCID))}
}

// setAlerts changes the user's alert level, or mutes or unmutes an eSIM.
type setAlerts struct {
	level *AlertLevel
	iccid string
	mute  bool
}

func (x setAlerts) apply(_ context.Context, t *turn) error {
	u := &t.user
	if x.level != nil {
		u.Alerts = *x.level
	}
	if x.iccid != "" {
		u.Muted = slices.DeleteFunc(u.Muted, func(m string) bool { return m == x.iccid })
		if x.mute {
			u.Muted = append(u.Muted, x.iccid)
		}
	}
	t.dirty = true
	return nil
}

func (x setAlerts) String() string {
	if x.level != nil {
		return "alerts " + string(*x.level)
	}
	return "mute " + x.iccid + " " + strconv.FormatBool(x.mute)
}

// whatsappButton is the button that opens a chat with the customer's
// WhatsApp number, the usage summary prefilled (wa.me), for agents.
func whatsappButton(v view, summary string, sales []Sale) []Button {
	if v.u.Role == RoleCustomer {
		return nil
	}
	number := ""
	for _, s := range sales {
		if s.WhatsApp != "" {
			number = s.WhatsApp
		}
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, number)
	if digits == "" {
		return nil
	}
	text := v.loc.Plain("whatsapp_usage", "Summary", plainText(summary))
	return []Button{{Text: v.loc.T("btn_whatsapp"), URL: "https://wa.me/" + digits + "?text=" + strings.ReplaceAll(url.QueryEscape(text), "+", "%20")}}
}

// tags matches the HTML tags of a message.
var tags = regexp.MustCompile(`<[^>]*>`)

// plainText is a message's Telegram HTML as plain text.
func plainText(s string) string { return html.UnescapeString(tags.ReplaceAllString(s, "")) }
