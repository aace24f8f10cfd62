package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
)

// step returns the chat's current conversation step.
func (c *chat) step() flows.Step {
	c.w.t.Helper()
	conv, err := c.w.store.Conversation(context.Background(), c.id)
	if err != nil {
		c.w.t.Fatal(err)
	}
	return conv.Step
}

// toSummary plays a purchase up to the summary.
func toSummary(c *chat, lang ...string) {
	l := "en"
	if len(lang) > 0 {
		l = lang[0]
	}
	c.command("/start")
	c.tap("🛒")
	c.say("france")
	c.tap(gb(l, 1))
	c.tap("✅")
	c.say("ada@example.com")
	c.tap("Ada")
	c.press(c.button("⬅️")[:strings.Index(c.button("⬅️"), ".")] + ".skip")
}

func TestGoldenTranscripts(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		t.Run("purchase_"+lang, func(t *testing.T) {
			purchase(t, newWorld(t), lang).golden("purchase_" + lang)
		})
		t.Run("usage_"+lang, func(t *testing.T) {
			w := newWorld(t)
			c := purchase(t, w, lang)
			c.log.Reset()
			w.clock.Add(50 * time.Hour)
			c.command("/usage")
			c.tap("🔄")
			c.golden("usage_" + lang)
		})
		t.Run("topup_"+lang, func(t *testing.T) {
			w := newWorld(t)
			c := purchase(t, w, lang)
			c.log.Reset()
			c.command("/esims")
			c.tap("eSIM 1")
			c.tap("➕")
			c.tap(gb(lang, 3))
			c.tap("✅")
			c.golden("topup_" + lang)
			if n := len(w.sb.Orders()); n != 2 {
				t.Errorf("%d orders, want 2", n)
			}
		})
		t.Run("cancel_"+lang, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", lang)
			c.command("/start")
			c.tap("🛒")
			c.tap("🇯🇵")
			c.tap("⬅️")
			c.say("germany")
			c.tap(gb(lang, 1))
			c.tap("✅")
			c.say("ada@example.com")
			c.command("/cancel")
			c.golden("cancel_" + lang)
			if c.step() != "menu" || len(w.sb.Orders()) != 0 {
				t.Errorf("after cancel: step %s, %d orders", c.step(), len(w.sb.Orders()))
			}
		})
		t.Run("stale_"+lang, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", lang)
			c.command("/start")
			old := c.button("🛒")
			c.tap("🛒")
			c.say("spain")
			before := c.step()
			c.press(old)
			c.golden("stale_" + lang)
			if !c.outcome.Stale || c.outcome.Notice == "" || c.step() != before {
				t.Errorf("stale press: outcome %+v, step %s (was %s)", c.outcome, c.step(), before)
			}
		})
		t.Run("price_change_"+lang, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", lang)
			toSummary(c, lang)
			if err := w.sb.SetBundlePrice("FRA_1GB_7D", decimal.RequireFromString("3.50"), decimal.RequireFromString("4.49"), decimal.RequireFromString("4.99")); err != nil {
				t.Fatal(err)
			}
			c.tap("✅")
			if n := len(w.sb.Orders()); n != 0 {
				t.Fatalf("sold at the old price: %d orders", n)
			}
			c.tap("✅")
			c.golden("price_change_" + lang)
			orders := w.sb.Orders()
			if len(orders) != 1 {
				t.Fatalf("%d orders", len(orders))
			}
			s, err := w.store.Sale(t.Context(), orders[0].Reference)
			if err != nil || !s.Price.Equal(decimal.RequireFromString("4.49")) {
				t.Errorf("sale %+v, %v", s, err)
			}
		})
	}
}

func TestBadInputKeepsTheStep(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(c *chat)
		input func(c *chat)
		want  string // in the reply
	}{
		{"ErrEmailInvalid", toEmail, func(c *chat) { c.say("ada@example") }, "doesn't look like an email"},
		{"ErrEmailHTML", toEmail, func(c *chat) { c.say("<b>x</b>@example.com") }, "&lt;b&gt;x&lt;/b&gt;@example.com"},
		{"ErrNameShort", toName, func(c *chat) { c.say("A") }, "2 to 64"},
		{"ErrNameDigits", toName, func(c *chat) { c.say("R2D2 Droid") }, "letters only"},
		{"ErrNameBidi", toName, func(c *chat) { c.say("Ada\u202eecalevoL") }, "letters only"},
		{"ErrPhoneNoCountry", toPhone, func(c *chat) { c.say("06 12 34 56 78") }, "country code"},
		{"ErrPhoneInvalid", toPhone, func(c *chat) { c.say("+33 12") }, "not a valid phone"},
		{"ErrUnknownCountry", toDestination, func(c *chat) { c.say("Atlantis") }, "no destination for “Atlantis”"},
		{"ErrHostileButton", toName, func(c *chat) { c.press("../../../etc/passwd") }, "full name"},
		{"ErrForgedStamp", toName, func(c *chat) { c.press("zz.confirm") }, "full name"},
		{"ErrOverlongButton", toName, func(c *chat) { c.press(strings.Repeat("a", 200)) }, "full name"},
		{"ErrUnknownAction", toName, func(c *chat) { c.press(c.currentStamp() + ".explode") }, "full name"},
		{"ErrBadIndex", toBundles, func(c *chat) { c.press(c.currentStamp() + ".b.99") }, "France"},
		{"ErrUnknownCommand", toName, func(c *chat) { c.command("/frobnicate") }, "don't know that command"},
		{"ErrContactOutOfPlace", toName, func(c *chat) { c.contact("33612345678") }, "didn't expect"},
		{"ErrGlobalQRNotMine", toName, func(c *chat) { c.press("g.qr.EB-NOPE") }, "full name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", "en")
			tc.setup(c)
			before := c.step()
			tc.input(c)
			var all []string
			for _, m := range c.w.rec.messages(c.id)[c.seenAt():] {
				all = append(all, m.Text)
			}
			if got := strings.Join(all, "\n"); !strings.Contains(got, tc.want) {
				t.Errorf("reply %q lacks %q", got, tc.want)
			}
			if c.step() != before {
				t.Errorf("step %s, want %s", c.step(), before)
			}
		})
	}
}

// seenAt is the index of the first message of the last event.
func (c *chat) seenAt() int {
	log := c.log.String()
	i := strings.LastIndex(log, "\n> ")
	return len(c.w.rec.messages(c.id)) - strings.Count(log[i:], "\n< ")
}

func (c *chat) currentStamp() string {
	d := c.button("⬅️")
	stamp, _, _ := strings.Cut(d, ".")
	return stamp
}

func toDestination(c *chat) { c.command("/start"); c.tap("🛒") }
func toBundles(c *chat)     { toDestination(c); c.say("France") }
func toEmail(c *chat)       { toBundles(c); c.tap("1 GB"); c.tap("✅") }
func toName(c *chat)        { toEmail(c); c.say("ada@example.com") }
func toPhone(c *chat)       { toName(c); c.say("Ada Lovelace") }

func TestContactSharesTheNumber(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toPhone(c)
	c.contact("33612345678")
	if c.step() != "summary" || !strings.Contains(c.lastText(), "+33612345678") {
		t.Errorf("step %s, last %q", c.step(), c.lastText())
	}
}

func TestEditFromSummary(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	c.tap("✏️ Email")
	c.say("lovelace@example.org")
	if c.step() != "summary" || !strings.Contains(c.lastText(), "lovelace@example.org") {
		t.Fatalf("after editing the email: step %s, %q", c.step(), c.lastText())
	}
	c.tap("✏️ Name")
	c.say("Augusta Ada King")
	c.tap("✏️ WhatsApp")
	c.say("+44 7911 123456")
	if c.step() != "summary" || !strings.Contains(c.lastText(), "Augusta Ada King") || !strings.Contains(c.lastText(), "+447911123456") {
		t.Fatalf("summary %q", c.lastText())
	}
	c.tap("✅")
	o := w.sb.Orders()
	if len(o) != 1 || o[0].Email != "lovelace@example.org" || o[0].Name != "Augusta Ada King" || o[0].WhatsApp != "+447911123456" {
		t.Errorf("orders %+v", o)
	}
}

func TestBackWalksEveryStep(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	for _, want := range []flows.Step{"whatsapp", "name", "email", "bundle", "bundles", "destination", "menu"} {
		c.tap("⬅️")
		if got := c.step(); got != want {
			t.Fatalf("back: step %s, want %s\n%s", got, want, c.log.String())
		}
	}
}
