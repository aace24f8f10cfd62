package flows_test

import (
	"strings"
	"testing"
)

// TestHelpPagesGolden walks the help centre in each language: the menu,
// every page, and searches of the device list (found, with odd spacing
// and case, and not found).
func TestHelpPagesGolden(t *testing.T) {
	for _, lang := range []string{"en", "fr", "ar"} {
		t.Run(lang, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", lang)
			c.command("/help")
			for _, page := range []string{"iphone", "android", "nodata", "validity", "terms", "device"} {
				c.press("g.help." + page)
			}
			for _, q := range []string{"iPhone 13", "  galaxy   S23ULTRA ", "pixel", "Nokia 3310"} {
				c.say(q)
			}
			c.press("g.help")
			c.golden("help_" + lang)
		})
	}
}

// TestHelpPagesEndWithTheJourney: every page ends with Buy, My eSIMs and
// the help menu, and its Buy starts a purchase.
func TestHelpPagesEndWithTheJourney(t *testing.T) {
	for _, page := range []string{"iphone", "android", "nodata", "device", "validity", "terms"} {
		w := newWorld(t)
		c := w.chat(101, "Ada", "en")
		c.press("g.help." + page)
		if string(c.step()) != "help_"+page {
			t.Fatalf("%s: step %s", page, c.step())
		}
		var labels []string
		for _, row := range c.last().Buttons {
			for _, b := range row {
				labels = append(labels, b.Text)
			}
		}
		for _, want := range []string{"🛒 Buy", "📱 My eSIMs", "❓ Help topics", "💬 Contact support"} {
			if !strings.Contains(strings.Join(labels, "|"), want) {
				t.Errorf("%s: buttons %v lack %q", page, labels, want)
			}
		}
		c.tap("🛒 Buy")
		if c.step() != "destination" {
			t.Errorf("%s: Buy led to %s", page, c.step())
		}
	}
}

// TestESIMQuestionAskedOnce: a customer's first purchase asks once whether
// the phone supports eSIM, the check is one tap away and leads back to the
// summary, whose Confirm sells; the next purchase does not ask again, and
// agents are never asked.
func TestESIMQuestionAskedOnce(t *testing.T) {
	const question = "does your phone support eSIM?"
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	if n := strings.Count(c.log.String(), question); n != 1 {
		t.Fatalf("asked %d times, want 1:\n%s", n, c.log.String())
	}
	if !strings.Contains(c.lastText(), "Your order") {
		t.Fatalf("the summary does not follow the question: %q", c.lastText())
	}
	c.tap("How do I check?")
	if c.step() != "help_device" || !strings.Contains(c.lastText(), "*#06#") {
		t.Fatalf("check: step %s, %q", c.step(), c.lastText())
	}
	c.say("iphone 15")
	c.tap("⬅️")
	if c.step() != "summary" {
		t.Fatalf("back from the check: step %s", c.step())
	}
	c.tap("✅ Confirm")
	if n := len(w.sb.Orders()); n != 1 {
		t.Fatalf("%d orders after Confirm, want 1:\n%s", n, c.log.String())
	}
	c.log.Reset()
	toSummary(c)
	if strings.Contains(c.log.String(), question) {
		t.Errorf("asked again on the second purchase:\n%s", c.log.String())
	}

	// A customer who tapped Yes is not asked either, even before buying.
	b := w.chat(102, "Ada", "en")
	toSummary(b)
	b.tap("Yes, it does")
	if b.outcome.Notice == "" || b.step() != "summary" {
		t.Errorf("yes: notice %q, step %s", b.outcome.Notice, b.step())
	}
	b.command("/cancel")
	b.log.Reset()
	toSummary(b)
	if strings.Contains(b.log.String(), question) {
		t.Errorf("asked twice before a purchase:\n%s", b.log.String())
	}

	agent := w.chat(900, "Agent", "en")
	agent.command("/start")
	agent.tap("🛒")
	agent.say("france")
	agent.tap("1 GB")
	agent.tap("✅")
	agent.say("walk@example.com")
	agent.say("Walk In")
	agent.say("skip")
	if strings.Contains(agent.log.String(), question) {
		t.Errorf("an agent was asked:\n%s", agent.log.String())
	}
}
