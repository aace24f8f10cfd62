package flows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// allText is everything the chat received since message from.
func (c *chat) allText(from int) string {
	var b strings.Builder
	for _, m := range c.w.rec.messages(c.id)[from:] {
		b.WriteString(m.Text)
		b.WriteString("\n")
		for _, row := range m.Buttons {
			for _, btn := range row {
				b.WriteString("[" + btn.Text + "]")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestEmailLocalPartMustBeASCII(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Zoë", "fr")
	toDestination(c)
	c.say("France")
	c.tap("1 Go")
	c.tap("✅")
	c.say("zoë@example.fr")
	if c.step() != "email" || !strings.Contains(c.lastText(), "sans accents") {
		t.Errorf("step %s, reply %q: want the email refused for its accent", c.step(), c.lastText())
	}
	c.say("zoe@example.fr")
	if c.step() != "name" {
		t.Errorf("step %s after an ASCII address, want name", c.step())
	}
}

func TestCancelAfterAPurchaseSaysNothingWasBought(t *testing.T) {
	w := newWorld(t)
	c := purchase(t, w, "en")
	from := c.sent()
	c.command("/cancel")
	if got := c.allText(from); strings.Contains(got, "Nothing was bought") {
		t.Errorf("/cancel after a purchase says %q", got)
	}
	c.command("/buy")
	c.say("spain")
	from = c.sent()
	c.command("/cancel")
	if got := c.allText(from); !strings.Contains(got, "Nothing was bought") {
		t.Errorf("/cancel while buying says %q", got)
	}
}

func TestTextAtTheMenu(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	c.command("/start")
	menu := c.button("🛒")
	from := c.sent()
	c.say("hello there")
	got := c.allText(from)
	if !strings.Contains(got, "“hello there” is not a destination") || !strings.Contains(got, "Buy an eSIM") {
		t.Errorf("text at the menu got %q, want a hint and the menu", got)
	}
	if c.step() != "menu" || c.button("🛒") != menu {
		t.Errorf("step %s, buttons changed: the menu must stay as it was", c.step())
	}
	c.say("japan")
	if c.step() != "bundles" {
		t.Errorf("a country typed at the menu: step %s, want bundles", c.step())
	}
}

func TestDeepLinks(t *testing.T) {
	for _, tc := range []struct {
		payload string
		step    flows.Step
		want    string
	}{
		{"FRA", "bundles", "France"},
		{"jp", "bundles", "Japan"},
		{"EUR", "bundles", "Europe"},
		{"region_EUR", "bundles", "Europe"},
		{"global", "bundles", "Global"},
		{"FRA_1GB_7D", "bundle", "France · 1 GB · 7 days"},
		{"nonsense", "menu", "doesn't lead anywhere"},
	} {
		t.Run(tc.payload, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", "en")
			c.command("/start " + tc.payload)
			if c.step() != tc.step || !strings.Contains(c.allText(0), tc.want) {
				t.Errorf("/start %s: step %s, want %s with %q:\n%s", tc.payload, c.step(), tc.step, tc.want, c.log.String())
			}
		})
	}
	t.Run("BundleSells", func(t *testing.T) {
		w := newWorld(t)
		c := w.chat(101, "Ada", "en")
		c.command("/start FRA_1GB_7D")
		c.tap("✅ Choose")
		c.say("ada@example.com")
		c.tap("Use Ada")
		c.say("skip")
		c.tap("✅ Confirm")
		if o := w.sb.Orders(); len(o) != 1 || o[0].BundleCode != "FRA_1GB_7D" {
			t.Errorf("orders %+v:\n%s", o, c.log.String())
		}
	})
}

func TestUsageWithoutESIMOffersBuy(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	c.command("/usage")
	c.tap("🛒 Buy")
	if c.step() != "destination" {
		t.Errorf("Buy from /usage: step %s", c.step())
	}
}

func TestHelpEndsWithButtons(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	c.command("/help")
	if m := c.last(); !strings.Contains(m.Text, "How it works") || len(m.Buttons) == 0 {
		t.Fatalf("help %+v: want buttons under it", m)
	}
	c.tap("🛒 Buy")
	if c.step() != "destination" {
		t.Errorf("Buy from /help: step %s", c.step())
	}
}

func TestUserTextIsQuotedClean(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada\u202e\u0007", "en")
	c.command("/start")
	c.tap("🛒")
	c.say("Atl\u202eantis\u200f" + strings.Repeat("<", 4000))
	got := c.allText(0)
	if strings.ContainsAny(got, "\u202e\u200f\u0007") {
		t.Errorf("control or bidi characters quoted back: %q", got)
	}
	if len(c.lastText()) > 1000 {
		t.Errorf("a 4000-character query echoed in %d bytes", len(c.lastText()))
	}
}

func TestBundleNamesInTheUsersLanguage(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "fr")
	toDestination(c)
	c.say("allemagne")
	c.tap("1 Go")
	if got := c.lastText(); !strings.Contains(got, "<b>Allemagne · 1 Go · 7 jours</b>") || !strings.Contains(got, "Forfait : ") {
		t.Errorf("details %q: want the French name and the plan's name", got)
	}
}

func TestBundleListMarksAndLegend(t *testing.T) {
	w := newWorld(t, func(_ *sandbox.Options, cfg *flows.Config) { cfg.PageSize = 20 })
	c := w.chat(101, "Ada", "en")
	toDestination(c)
	c.say("spain")
	m := c.last()
	if strings.Contains(m.Text, "Page 1 of 1") {
		t.Errorf("a single page says %q", m.Text)
	}
	if strings.Contains(m.Text, "Global eSIM") {
		t.Errorf("the legend explains 🌐, which no bundle of the page has:\n%s", m.Text)
	}
	var lines, buttons []string
	for _, l := range strings.Split(m.Text, "\n") {
		if strings.Contains(l, ". <b>") {
			lines = append(lines, l)
		}
	}
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.Contains(b.Text, " · ") {
				buttons = append(buttons, b.Text)
			}
		}
	}
	if len(lines) == 0 || len(lines) != len(buttons) {
		t.Fatalf("%d lines, %d bundle buttons:\n%s", len(lines), len(buttons), c.log.String())
	}
	for i := range lines {
		for _, mark := range []string{"📞", "🔄", "🌐"} {
			if strings.Contains(lines[i], mark) != strings.Contains(buttons[i], mark) {
				t.Errorf("button %q and line %q disagree on %s", buttons[i], lines[i], mark)
			}
		}
	}
}

func TestUsageRightAfterThePurchase(t *testing.T) {
	w := newWorld(t)
	c := purchase(t, w, "en")
	c.command("/usage")
	got := c.lastText()
	if !strings.Contains(got, "not started yet") || !strings.Contains(got, "lasts 7 days") {
		t.Errorf("usage of a new eSIM %q: want the plan not started, lasting 7 days", got)
	}
	if strings.Contains(got, "active") || strings.Contains(got, "Expires") || strings.Contains(got, "Valid until") {
		t.Errorf("usage of an eSIM not installed yet says it is active or expires:\n%s", got)
	}
	w.clock.Add(50 * time.Hour)
	c.command("/usage")
	got = c.lastText()
	if strings.Count(got, "Expires")+strings.Count(got, "Valid until") != 1 || !strings.Contains(got, "left of") {
		t.Errorf("usage of an eSIM in use: want one expiry line and the data left:\n%s", got)
	}
}

// TestTopupClearsTheUsageCache: /usage right after a top-up shows both
// bundles, the top-up's marked as one.
func TestTopupClearsTheUsageCache(t *testing.T) {
	w := newWorld(t)
	c := purchase(t, w, "en")
	w.clock.Add(50 * time.Hour)
	c.command("/usage")
	if n := strings.Count(c.lastText(), "<b>France"); n != 1 {
		t.Fatalf("%d bundles before the top-up:\n%s", n, c.lastText())
	}
	c.command("/esims")
	c.tap("eSIM 1")
	c.tap("➕")
	c.tap("3 GB")
	c.tap("✅")
	c.command("/usage")
	if n := strings.Count(c.lastText(), "<b>France"); n != 2 {
		t.Errorf("%d bundles in /usage right after a top-up, want 2 (the cache must be cleared):\n%s", n, c.lastText())
	}
	// The top-up's block says it is one (the same bundle twice looked alike).
	if n := strings.Count(c.lastText(), "(top-up)</b>"); n != 1 {
		t.Errorf("%d blocks marked as the top-up, want 1:\n%s", n, c.lastText())
	}
}

func TestRegionBundleCoverage(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "fr")
	c.command("/start EUR")
	c.press(c.currentStamp() + ".b.0")
	details := c.lastText()
	if !strings.Contains(details, "Couvre ") {
		t.Fatalf("region bundle details without the countries covered:\n%s", details)
	}
	// The example of a country to ask about is one the bundle covers.
	if !strings.Contains(details, "par exemple <i>Royaume-Uni</i>") {
		t.Errorf("the example of a country to ask about is not the first popular one covered (Royaume-Uni):\n%s", details)
	}
	// Names in French, sorted as French sorts them (Allemagne before Autriche, Espagne before Estonie).
	for _, pair := range [][2]string{{"Allemagne", "Autriche"}, {"Espagne", "Estonie"}} {
		i, j := strings.Index(details, pair[0]), strings.Index(details, pair[1])
		if i < 0 || j < 0 || i > j {
			t.Errorf("%s and %s: missing or out of order in %q", pair[0], pair[1], details)
		}
	}
	for _, tc := range []struct{ ask, want string }{
		{"La France est-elle couverte ?", "✅ 🇫🇷 France : couvert"},
		{"japon ?", "❌ 🇯🇵 Japon : pas couvert"},
		{"et l'Atlantide ?", "Quel pays ?"},
	} {
		c.say(tc.ask)
		if got := c.lastText(); !strings.Contains(got, tc.want) {
			t.Errorf("%q: answer %q, want %q", tc.ask, got, tc.want)
		}
		if c.step() != "bundle" {
			t.Errorf("%q: step %s, want to stay on the bundle", tc.ask, c.step())
		}
	}
	c.say("La France est-elle couverte ?")
	if got := c.lastText(); !strings.Contains(got, "•") {
		t.Errorf("no networks of France listed: %q", got)
	}
}
