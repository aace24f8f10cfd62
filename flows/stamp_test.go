package flows_test

import (
	"strings"
	"testing"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// buttons returns the data of every button whose label contains label,
// oldest message first.
func (c *chat) buttons(label string) []string {
	var out []string
	for _, m := range c.w.rec.messages(c.id) {
		for _, row := range m.Buttons {
			for _, b := range row {
				if strings.Contains(b.Text, label) && b.Data != "" {
					out = append(out, b.Data)
				}
			}
		}
	}
	return out
}

// sent is the number of messages the chat received so far.
func (c *chat) sent() int { return len(c.w.rec.messages(c.id)) }

func TestStampKeptWhenAScreenIsShownAgain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		between func(c *chat)
	}{
		{"Text", func(c *chat) { c.say("ok") }},
		{"Help", func(c *chat) { c.command("/help") }},
		{"StaleTapOnTheFirstMenu", func(c *chat) { c.press(c.buttons("🛒 Buy")[0]) }},
		{"ForgedButton", func(c *chat) { c.press("zz.confirm") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", "en")
			toSummary(c)
			above := c.button("✅ Confirm")
			tc.between(c)
			c.press(above) // the summary the user was looking at
			if c.outcome.Stale {
				t.Fatalf("Confirm on the summary above is stale after %s:\n%s", tc.name, c.log.String())
			}
			if n := len(w.sb.Orders()); n != 1 {
				t.Fatalf("%d orders, want 1:\n%s", n, c.log.String())
			}
			if c.step() != "menu" {
				t.Errorf("step %s after the sale, want menu", c.step())
			}
		})
	}
}

func TestEveryCopyOfTheSummarySellsOnce(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	old := c.buttons("🛒 Buy")[0] // on the first menu, long gone
	c.press(old)
	c.press(old) // a double tap: two copies of the summary arrive
	copies := c.buttons("✅ Confirm")
	if len(copies) != 3 {
		t.Fatalf("%d summaries with Confirm, want 3 (the original and two copies):\n%s", len(copies), c.log.String())
	}
	for i, data := range copies[1:] {
		if data != copies[0] {
			t.Errorf("copy %d has button %q, the original %q: a re-shown summary must keep the stamp", i+1, data, copies[0])
		}
	}
	// Confirm on each copy as it arrives, newest first, then the original.
	for i := len(copies) - 1; i >= 0; i-- {
		before := c.sent()
		c.press(copies[i])
		if got := c.sent() - before; got > 4 {
			t.Errorf("confirm on copy %d sent %d messages: a loop?", i, got)
		}
	}
	if n := len(w.sb.Orders()); n != 1 {
		t.Fatalf("%d orders, want 1:\n%s", n, c.log.String())
	}
	// The later taps are stale and show the menu once each, not another summary.
	if got := len(c.buttons("✅ Confirm")); got != 3 {
		t.Errorf("%d summaries after the taps, want still 3:\n%s", got, c.log.String())
	}
}

func TestRepeatedStartKeepsTheMenuButtons(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	c.command("/start")
	first := c.button("🛒")
	c.command("/start")
	if second := c.button("🛒"); second != first {
		t.Errorf("second /start on the menu: button %q, want %q", second, first)
	}
	c.press(first)
	if c.outcome.Stale || c.step() != "destination" {
		t.Errorf("the first menu's Buy: stale %v, step %s", c.outcome.Stale, c.step())
	}
}

func TestStampChangesWithThePage(t *testing.T) {
	w := newWorld(t, func(_ *sandbox.Options, cfg *flows.Config) { cfg.PageSize = 2 })
	c := w.chat(101, "Ada", "en")
	toBundles(c)
	page1 := c.button("⬅️")
	c.tap("Next")
	if page2 := c.button("⬅️"); page2 == page1 {
		t.Errorf("page 2 kept the stamp of page 1 (%q)", page1)
	}
}

func TestTypedSkipAtWhatsApp(t *testing.T) {
	for _, tc := range []struct{ lang, typed string }{
		{"en", "skip"}, {"en", "SKIP"}, {"en", " Skip "}, {"en", "no"},
		{"fr", "passer"}, {"fr", "Passer"}, {"fr", "skip"},
		{"ar", "تخطي"}, {"ar", "تخطٍّ"}, {"ar", "skip"},
	} {
		t.Run(tc.lang+"_"+tc.typed, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", tc.lang)
			c.command("/start")
			c.tap("🛒")
			c.say("france")
			c.press(c.currentStamp() + ".b.0")
			c.press(c.currentStamp() + ".choose")
			c.say("ada@example.com")
			c.say("Ada Lovelace")
			if c.step() != "whatsapp" {
				t.Fatalf("step %s, want whatsapp:\n%s", c.step(), c.log.String())
			}
			c.say(tc.typed)
			if c.step() != "summary" {
				t.Fatalf("typed %q: step %s, want summary:\n%s", tc.typed, c.step(), c.log.String())
			}
		})
	}
}

// The press that led to the screen shown, pressed again (a double tap, or
// its update replayed after a restart), is answered quietly: no "old
// button" notice and no other copy of the screen. Any other older button
// is still stale, and so is that press once something else moved on.
func TestDoubleTapAnsweredQuietly(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	c.command("/start")
	buy := c.button("🛒")
	c.press(buy)
	before := c.sent()
	c.press(buy)
	if c.outcome.Stale || c.outcome.Notice != "" || c.sent() != before || c.step() != "destination" {
		t.Errorf("Buy again: stale %v, notice %q, %d messages, step %s:\n%s", c.outcome.Stale, c.outcome.Notice, c.sent()-before, c.step(), c.log.String())
	}
	c.say("france")
	c.press(buy) // the text moved the conversation on since
	if !c.outcome.Stale {
		t.Errorf("Buy after a text: not stale:\n%s", c.log.String())
	}
	c.tap("1 GB")
	c.press(buy) // an older press than the last
	if !c.outcome.Stale {
		t.Errorf("Buy two screens back: not stale:\n%s", c.log.String())
	}
}
