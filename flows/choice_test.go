package flows_test

import (
	"strings"
	"testing"
)

// buyFirst buys the first bundle of a country, typed in the user's
// language, pressing buttons by their data (labels differ per language).
func buyFirst(c *chat, country string) {
	c.w.t.Helper()
	c.command("/buy")
	c.say(country)
	c.press(c.currentStamp() + ".b.0")
	c.press(c.currentStamp() + ".choose")
	c.say("ada@example.com")
	c.say("Ada Lovelace")
	c.press(c.currentStamp() + ".skip")
	c.press(c.currentStamp() + ".confirm")
}

// TestTypedNumberPicksABundle: the bundle list numbers its lines; typing a
// line's number (in any digits) opens that bundle, as its button does.
func TestTypedNumberPicksABundle(t *testing.T) {
	for _, tc := range []struct{ lang, country, typed, want string }{
		{"en", "France", "2", "3 GB"},
		{"en", "France", "2.", "3 GB"},
		{"fr", "France", "3", "5 Go"},
		{"ar", "فرنسا", "٢", "٣ غيغابايت"},
	} {
		t.Run(tc.lang+"/"+tc.typed, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", tc.lang)
			c.command("/buy")
			c.say(tc.country)
			c.say(tc.typed)
			if c.step() != "bundle" || !strings.Contains(c.lastText(), tc.want) {
				t.Errorf("typed %q at the bundles: step %s, screen %q; want the bundle of %s", tc.typed, c.step(), c.lastText(), tc.want)
			}
		})
	}
	t.Run("NotInTheList", func(t *testing.T) {
		w := newWorld(t)
		c := w.chat(101, "Ada", "en")
		c.command("/buy")
		c.say("France")
		c.say("9")
		if c.step() != "bundles" || !strings.Contains(c.allText(c.sent()-2), "didn't expect") {
			t.Errorf("typed 9 at a list of 4: step %s, reply %q; want the hint and the list again", c.step(), c.lastText())
		}
	})
}

// TestTypedNumberPicksAnESIM: My eSIMs, the top-up list and the usage pick
// take the number of a line too.
func TestTypedNumberPicksAnESIM(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "ar")
	buyFirst(c, "فرنسا")
	buyFirst(c, "اليابان")
	c.command("/esims")
	second := lineOf(t, c.lastText(), "٢. ") // the bundle listed second
	c.say("٢")
	if c.step() != "esim" || !strings.Contains(c.lastText(), second) {
		t.Fatalf("typed ٢ at My eSIMs: step %s, screen %q; want the second eSIM (%s)", c.step(), c.lastText(), second)
	}
	c.press(c.currentStamp() + ".topup")
	c.say("١")
	if c.step() != "topup_summary" {
		t.Errorf("typed ١ at the top-ups: step %s, want topup_summary", c.step())
	}
	c.command("/usage")
	pick := c.lastText()
	if !strings.Contains(pick, "فرنسا") || !strings.Contains(pick, "اليابان") {
		t.Errorf("the usage pick does not say which eSIM is which:\n%s", pick)
	}
	second = lineOf(t, pick, "٢. ")
	c.say("٢")
	if c.step() != "usage" || !strings.Contains(c.lastText(), second) {
		t.Errorf("typed ٢ at the usage pick: step %s, screen %q; want the usage of the second eSIM", c.step(), c.lastText())
	}
}

// lineOf is the rest of the line of text that starts with prefix: the
// bundle of a numbered eSIM.
func lineOf(t *testing.T, text, prefix string) string {
	t.Helper()
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("no line %q in:\n%s", prefix, text)
	return ""
}

// TestTypedICCIDInArabicDigits: an ICCID typed in Arabic-Indic digits is
// the same ICCID.
func TestTypedICCIDInArabicDigits(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "ar")
	buyFirst(c, "فرنسا")
	buyFirst(c, "اليابان")
	iccid := w.sb.Orders()[0].ICCID
	arabic := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '٠' + r - '0'
		}
		return r
	}, iccid)
	c.command("/usage " + arabic)
	if c.step() != "usage" || !strings.Contains(c.lastText(), iccid) {
		t.Errorf("/usage %s: step %s, reply %q; want the usage of %s", arabic, c.step(), c.lastText(), iccid)
	}
}
