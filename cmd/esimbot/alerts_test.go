package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// alertsEnv is esimbot on the fake Bot API with the usage watcher on a
// clock the test moves (shared with the sandbox), polling every 20 ms.
type alertsEnv struct {
	t     *testing.T
	fake  *telegramtest.Server
	sb    *sandbox.Server
	clock *starsClock
	db    string
	run   *running
}

func newAlertsEnv(t *testing.T) *alertsEnv {
	e := &alertsEnv{t: t, fake: telegramtest.NewServer(t, testToken), clock: &starsClock{}, db: filepath.Join(t.TempDir(), "bot.db")}
	e.sb = sandbox.New(sandbox.Options{Now: e.clock.Now})
	e.start()
	return e
}

// start runs esimbot (again, on the same database and sandbox: a restart).
func (e *alertsEnv) start() {
	e.run = startRun(e.t, e.fake, e.sb, e.db, map[string]string{"ESIMBOT_DATA_FLOOR": "100MB"}, func(m *Main) {
		m.usageEvery = 20 * time.Millisecond
		m.tuneFlows = func(c *flows.Config) { c.Now = e.clock.Now }
		m.tuneReseller = func(c *reseller.Config) { c.Now = e.clock.Now }
	})
}

// calls is the number of consumption calls the sandbox has answered.
func (e *alertsEnv) calls() int { return e.sb.Calls(http.MethodGet, "/Profile/Consumption") }

// step moves every eSIM's consumption forward by by and usedMB, then the
// clock past the watcher's interval and jitter, and waits for the
// watcher's next reads (want more calls than before). A read it misses (a
// sale delivered just after the watcher listed the eSIMs, a backoff after
// a failed call) comes after a few more minutes of the clock.
func (e *alertsEnv) step(iccids []string, by time.Duration, usedMB int64, want int) {
	e.t.Helper()
	for _, iccid := range iccids {
		if err := e.sb.AdvanceProfile(iccid, by, usedMB); err != nil {
			e.t.Fatal(err)
		}
	}
	before := e.calls()
	e.clock.Add(17 * time.Minute)
	for nudge := 0; e.calls() < before+want; nudge++ {
		if nudge == 50 {
			e.t.Fatalf("the watcher made %d calls, want %d more:\n%s", e.calls()-before, want, e.run.stderr)
		}
		if nudge%10 == 9 {
			e.clock.Add(6 * time.Minute)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// count is the number of bot messages in the chat containing s.
func count(fake *telegramtest.Server, chat int64, s string) int {
	n := 0
	for _, m := range fake.Messages(chat) {
		if m.FromBot && strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

// press taps the button of m whose label contains label.
func (c *tgChat) press(m telegramtest.Message, label string) {
	c.t.Helper()
	for _, row := range m.Buttons() {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				c.fake.PressButton(c.id, c.id, m.ID, b.CallbackData)
				return
			}
		}
	}
	c.t.Fatalf("no button %q on %q", label, m.Text)
}

// TestRunUsageAlerts: on Telegram through the real library, as the
// sandbox's consumption moves forward: the "started" and 80 % alerts
// arrive once each, a restart between two polls sends nothing again, the
// expiry alert arrives once, the 80 % alert's Top up button sells a top-up
// once, a muted eSIM gets nothing more, and /alerts set to None stops the
// alerts.
func TestRunUsageAlerts(t *testing.T) {
	e := newAlertsEnv(t)
	ada, bob := newChat(t, e.fake, 801, "Ada", "en"), newChat(t, e.fake, 802, "Bob", "en")
	ada.buy("ada@example.com", nil)
	bob.buy("bob@example.com", nil)
	var iccids []string
	for _, o := range e.sb.Orders() {
		iccids = append(iccids, o.ICCID)
	}
	e.step(iccids, 0, 0, 2) // not started yet: nothing to tell

	e.step(iccids, 2*time.Hour, 0, 2)
	ada.expect("Your plan has started")
	started := bob.expect("Your plan has started")
	bob.press(started, "Mute alerts")
	bob.expect("No more alerts for eSIM")

	e.step(iccids, 0, 830, 1) // Bob is muted: one call
	used := ada.expect("of your data used")
	if !strings.Contains(used.Text, iccids[0][len(iccids[0])-6:]) {
		t.Errorf("the alert does not name the eSIM: %q", used.Text)
	}

	e.run.stop() // a restart between two polls
	e.start()
	e.step(iccids, 0, 0, 1)
	e.step(iccids, 6*24*time.Hour-3*time.Hour, 0, 1)
	ada.expect("Your plan ends soon")

	// The 80 % alert's Top up, still valid, goes into the top-up journey.
	ada.press(used, "Top up")
	list := ada.expect("choose a bundle")
	ada.fake.PressButton(ada.id, ada.id, list.ID, list.Buttons()[0][0].CallbackData)
	summary := ada.expect("Confirm?")
	ada.press(summary, "Confirm")
	ada.expect("Top-up added")
	ada.press(summary, "Confirm") // again: nothing more is sold
	if n := len(e.sb.Orders()); n != 3 {
		t.Errorf("%d orders, want the two eSIMs and one top-up", n)
	}

	ada.say("/alerts")
	settings := ada.expect("Usage alerts")
	ada.press(settings, "None")
	ada.expect("no alerts") // the settings, edited
	// The edit goes out before the turn stores the choice; the chat's next
	// update is handled only once it is stored.
	ada.say("/alerts")
	if m := ada.expect("Usage alerts"); !strings.Contains(m.Text, "no alerts") {
		t.Errorf("/alerts after None: %q", m.Text)
	}
	before := e.calls()
	for _, iccid := range iccids {
		if err := e.sb.AdvanceProfile(iccid, 2*24*time.Hour, 0); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(17 * time.Minute)
	time.Sleep(300 * time.Millisecond) // 15 rounds of the watcher
	if got := e.calls(); got != before {
		t.Errorf("%d consumption calls for eSIMs whose owners want no alerts", got-before)
	}

	for _, c := range []struct {
		chat *tgChat
		text string
		want int
	}{
		{ada, "Your plan has started", 1}, {ada, "of your data used", 1}, {ada, "Your plan ends soon", 1},
		{ada, "Your plan has ended", 0}, {bob, "Your plan has started", 1}, {bob, "of your data used", 0},
		{bob, "Your plan ends soon", 0}, {bob, "Your plan has ended", 0},
	} {
		if got := count(e.fake, c.chat.id, c.text); got != c.want {
			t.Errorf("chat %d: %d messages %q, want %d:\n%s", c.chat.id, got, c.text, c.want, e.fake.Transcript(c.chat.id))
		}
	}
}
