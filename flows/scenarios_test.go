package flows_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
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

func TestDoubleConfirmSellsOnce(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	confirm := c.button("✅")
	c.press(confirm)
	c.press(confirm)
	if n := len(w.sb.Orders()); n != 1 {
		t.Errorf("%d orders after two taps, want 1", n)
	}
	if !c.outcome.Stale {
		t.Error("second tap not reported stale")
	}
}

func TestConcurrentConfirmSellsOnce(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	confirm := c.button("✅")
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			_, err := w.eng.Handle(context.Background(), flows.Event{Chat: c.id, User: c.user, Kind: flows.EventButton, Data: confirm, From: c.from})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(w.sb.Orders()); n != 1 {
		t.Errorf("%d orders after 5 simultaneous taps, want 1", n)
	}
}

func TestManyChatsInParallel(t *testing.T) {
	w := newWorld(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			c := w.chat(int64(1000+i), fmt.Sprintf("User%c", 'A'+i), "en")
			ctx := context.Background()
			events := []flows.Event{
				{Kind: flows.EventCommand, Command: "start"},
				{Kind: flows.EventText, Text: "japan"},
			}
			for _, ev := range events {
				ev.Chat, ev.User, ev.From = c.id, c.user, c.from
				if _, err := w.eng.Handle(ctx, ev); err != nil {
					t.Error(err)
					return
				}
			}
			steps := []func(){
				func() { c.tap("1 GB") }, func() { c.tap("✅") },
				func() { c.say(fmt.Sprintf("user%d@example.com", i)) }, func() { c.tap("User") },
				func() { c.tap("Skip") }, func() { c.tap("✅") },
			}
			for _, s := range steps {
				s()
			}
			ph := c.photos()
			if len(ph) != 1 {
				t.Errorf("chat %d: %d photos", c.id, len(ph))
				return
			}
			sales, _ := w.store.SalesByUser(ctx, c.user)
			if len(sales) != 1 || !strings.Contains(ph[0].Name, sales[0].ICCID) {
				t.Errorf("chat %d got photo %s for sales %+v", c.id, ph[0].Name, sales)
			}
		})
	}
	wg.Wait()
	if n := len(w.sb.Orders()); n != 20 {
		t.Errorf("%d orders, want 20", n)
	}
}

func TestSaleRefusedByTheAPI(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before func(w *world)
		want   string
	}{
		{"EmptyWallet", func(w *world) { w.sb.SetWallet(decimal.Zero) }, "can't be sold right now"},
		{"Refused", func(w *world) {
			w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "POST", Path: "/Bundle", Status: 400})
		}, "refused the order details"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", "en")
			toSummary(c)
			tc.before(w)
			c.tap("✅")
			if !strings.Contains(c.lastText(), tc.want) || !strings.Contains(c.lastText(), "Nothing was charged") {
				t.Errorf("last message %q lacks %q", c.lastText(), tc.want)
			}
			sales, _ := w.store.SalesByUser(t.Context(), c.user)
			if len(sales) != 1 || sales[0].State != flows.SaleFailed || sales[0].FailReason == "" {
				t.Errorf("sales %+v", sales)
			}
			if c.step() != "menu" {
				t.Errorf("step %s", c.step())
			}
			c.tap("🛒 Buy another")
			if c.step() != "destination" {
				t.Errorf("after Buy another: %s", c.step())
			}
		})
	}
}

func TestBundleGoneAtConfirm(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	if err := w.sb.SetBundleAvailable("FRA_1GB_7D", false); err != nil {
		t.Fatal(err)
	}
	c.tap("✅")
	if c.step() != "bundles" || len(w.sb.Orders()) != 0 || !strings.Contains(c.log.String(), "no longer available") {
		t.Errorf("step %s, %d orders\n%s", c.step(), len(w.sb.Orders()), c.log.String())
	}
}

// TestUnknownOutcomeIsReconciled: the sale commits but its answer is lost;
// the engine finds the order by reference and delivers it, once.
func TestUnknownOutcomeIsReconciled(t *testing.T) {
	w := newWorld(t, func(_ *sandbox.Options, cfg *flows.Config) { cfg.SaleTimeout = 100 * time.Millisecond })
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenTimeout, Method: "POST", Path: "/Bundle", Count: 1})
	c.tap("✅")
	if n := len(w.sb.Orders()); n != 1 || w.sb.Calls("POST", "/Bundle") != 1 {
		t.Fatalf("%d orders, %d calls", n, w.sb.Calls("POST", "/Bundle"))
	}
	if len(c.photos()) != 1 {
		t.Fatalf("not delivered:\n%s", c.log.String())
	}
	sales, _ := w.store.SalesInState(t.Context(), flows.SaleDelivered)
	if len(sales) != 1 {
		t.Errorf("delivered sales %+v", sales)
	}
}

// TestLostSaleIsDeclaredNotCharged: the purchase answer is a 5xx and the
// platform never has the order: after the reconciliation attempts the sale
// fails as not charged, without a second POST.
func TestLostSaleIsDeclaredNotCharged(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "POST", Path: "/Bundle", Status: 502, Count: 1})
	c.tap("✅")
	if !strings.Contains(c.lastText(), "couldn't confirm") {
		t.Fatalf("last %q", c.lastText())
	}
	for range 10 {
		w.clock.Add(time.Hour)
		if err := w.eng.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	sales, _ := w.store.SalesByUser(t.Context(), c.user)
	if len(sales) != 1 || sales[0].State != flows.SaleFailed || sales[0].FailReason != "sale_not_charged" {
		t.Fatalf("sales %+v", sales)
	}
	if n := w.sb.Calls("POST", "/Bundle"); n != 1 {
		t.Errorf("POST /Bundle sent %d times", n)
	}
	c.flush()
	if !strings.Contains(c.lastText(), "never received") {
		t.Errorf("last %q", c.lastText())
	}
}

func TestActivationDataLateIsDeliveredByTheReconciler(t *testing.T) {
	w := newWorld(t, func(o *sandbox.Options, cfg *flows.Config) {
		o.ActivationDelay = time.Hour
		cfg.DeliveryWait = time.Millisecond
	})
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	c.tap("✅")
	if len(c.photos()) != 0 || !strings.Contains(c.lastText(), "being prepared") {
		t.Fatalf("last %q", c.lastText())
	}
	if err := w.eng.Reconcile(t.Context()); err != nil { // too early: nothing yet
		t.Fatal(err)
	}
	w.clock.Add(2 * time.Hour)
	if err := w.eng.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(c.photos()) != 1 {
		t.Fatalf("not delivered after the delay:\n%s", c.log.String())
	}
}

func TestFailedDeliveryIsRetried(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	w.rec.mu.Lock()
	w.rec.fail = errors.New("telegram is down")
	w.rec.mu.Unlock()
	if _, err := w.eng.Handle(context.Background(), flows.Event{Chat: c.id, User: c.user, Kind: flows.EventButton, Data: c.button("✅"), From: c.from}); err == nil {
		t.Log("handle reported no error") // the sale is recorded either way
	}
	sales, _ := w.store.SalesByUser(t.Context(), c.user)
	if len(sales) != 1 || sales[0].State != flows.SaleAssigned {
		t.Fatalf("sales %+v", sales)
	}
	w.rec.mu.Lock()
	w.rec.fail = nil
	w.rec.mu.Unlock()
	w.clock.Add(time.Hour)
	if err := w.eng.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(c.photos()) != 1 {
		t.Fatal("not redelivered")
	}
	if n := len(w.sb.Orders()); n != 1 {
		t.Errorf("%d orders", n)
	}
}

func TestRestartKeepsTheConversation(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toName(c)
	// A new engine on the same store: the conversation goes on.
	eng2, err := flows.New(w.cfg, w.store, mustClient(t, w), w.rec, mustCatalog())
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng2
	c.say("Ada Lovelace")
	if c.step() != "whatsapp" {
		t.Errorf("step %s after restart", c.step())
	}
}

func TestIdleConversationStartsOver(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toName(c)
	w.clock.Add(25 * time.Hour)
	c.say("Ada Lovelace") // typed text in a fresh conversation: a destination search
	if c.step() == "whatsapp" {
		t.Error("an idle conversation went on")
	}
	toName(c)
	w.clock.Add(25 * time.Hour)
	if n, err := w.eng.Sweep(t.Context()); err != nil || n != 1 {
		t.Errorf("Sweep = %d, %v", n, err)
	}
}

func TestDeepLinkAndLanguage(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	c.command("/start JPN")
	if c.step() != "bundles" || !strings.Contains(c.lastText(), "Japan") {
		t.Errorf("deep link: %s %q", c.step(), c.lastText())
	}
	c.command("/start XXX")
	if c.step() != "menu" {
		t.Errorf("bad deep link: %s", c.step())
	}
	c.command("/language")
	c.tap("français")
	if !strings.Contains(c.lastText(), "Bonjour") {
		t.Errorf("menu not in French: %q", c.lastText())
	}
	u, _ := w.store.User(t.Context(), c.user)
	if u.Lang != "fr" {
		t.Errorf("language %q", u.Lang)
	}
}

func TestRememberedDetailsAreOffered(t *testing.T) {
	w := newWorld(t)
	c := purchase(t, w, "en")
	toEmail(c)
	if !strings.Contains(c.log.String(), "Use ada@example.com") {
		t.Fatal("remembered email not offered")
	}
	c.tap("Use ada@example.com")
	if c.step() != "name" {
		t.Errorf("step %s", c.step())
	}
}

func TestAgentSellsForACustomer(t *testing.T) {
	w := newWorld(t)
	c := w.chat(900, "Agent", "en")
	c.command("/start")
	if !strings.Contains(c.lastText(), "Agent mode") {
		t.Errorf("menu %q", c.lastText())
	}
	toEmail(c)
	c.say("customer@example.com")
	if strings.Contains(c.lastText(), "Use Agent") {
		t.Error("the agent's own name offered for a customer")
	}
	c.say("Walk In Customer")
	c.tap("Skip")
	c.tap("✅")
	sales, _ := w.store.SalesByUser(t.Context(), c.user)
	if len(sales) != 1 || sales[0].SoldBy != flows.RoleAgent || sales[0].Name != "Walk In Customer" {
		t.Errorf("sales %+v", sales)
	}
	u, _ := w.store.User(t.Context(), c.user)
	if u.Email != "" {
		t.Errorf("customer details remembered for the agent: %+v", u)
	}
}

func TestUsageRules(t *testing.T) {
	w := newWorld(t)
	c := purchase(t, w, "en")
	iccid := w.sb.Orders()[0].ICCID
	other := w.chat(202, "Bob", "en")
	other.command("/usage " + iccid)
	if !strings.Contains(other.lastText(), "isn't one of yours") {
		t.Errorf("another customer saw the usage: %q", other.lastText())
	}
	other.command("/usage 12ab")
	if !strings.Contains(other.lastText(), "doesn't look like an ICCID") {
		t.Errorf("bad ICCID: %q", other.lastText())
	}
	agent := w.chat(900, "Agent", "en")
	agent.command("/usage " + iccid)
	if !strings.Contains(agent.lastText(), "not started yet") {
		t.Errorf("agent usage: %q", agent.lastText())
	}
	agent.command("/usage 8900000000000000000")
	if !strings.Contains(agent.lastText(), "doesn't know this eSIM") {
		t.Errorf("unknown ICCID: %q", agent.lastText())
	}
	c.tap("📊") // the button on the delivery message
	if !strings.Contains(c.lastText(), iccid) {
		t.Errorf("usage button: %q", c.lastText())
	}
	// Cached: a second look does not call the API again.
	calls := w.sb.Calls("GET", "/Profile/Consumption")
	c.command("/usage " + iccid)
	if w.sb.Calls("GET", "/Profile/Consumption") != calls {
		t.Error("usage not cached")
	}
}

func TestResendQR(t *testing.T) {
	w := newWorld(t)
	c := purchase(t, w, "en")
	c.command("/esims")
	c.tap("eSIM 1")
	c.tap("🔁")
	if n := len(c.photos()); n != 2 {
		t.Errorf("%d photos, want 2", n)
	}
}

func TestForget(t *testing.T) {
	w := newWorld(t)
	c := purchase(t, w, "en")
	c.command("/forget")
	c.tap("Yes")
	u, _ := w.store.User(t.Context(), c.user)
	if u.Email != "" || u.Name != "" || u.WhatsApp != "" {
		t.Errorf("user %+v", u)
	}
	sales, _ := w.store.SalesByUser(t.Context(), c.user)
	if len(sales) != 1 || sales[0].Email != "" || !sales[0].Redacted {
		t.Errorf("sales %+v", sales)
	}
}

func TestGlobalESIMBundles(t *testing.T) {
	w := newWorld(t, func(o *sandbox.Options, _ *flows.Config) { o.ShowGlobalESIMBundles = true })
	c := w.chat(101, "Ada", "en")
	c.command("/start")
	c.tap("🛒")
	c.tap("🌐 Global")
	if !strings.Contains(c.lastText(), "🌐") {
		t.Fatalf("no Global eSIM mark: %q", c.lastText())
	}
	// Buy a Global eSIM bundle, then its top-ups are Global eSIM only.
	var code string
	for _, row := range c.last().Buttons {
		for _, b := range row {
			if strings.Contains(b.Text, "GB") {
				code = b.Text
			}
		}
	}
	_ = code
	found := false
	for _, b := range w.sb.Bundles() {
		if b.ProfileType == sandbox.ProfileGlobalESIM && b.Category == sandbox.CategoryGlobal {
			found = true
		}
	}
	if !found {
		t.Fatal("sandbox has no Global eSIM global bundle")
	}
}

func TestMenuButtons(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	c.command("/start")
	c.tap("❓")
	if !strings.Contains(c.lastText(), "How it works") {
		t.Errorf("help: %q", c.lastText())
	}
	c.tap("📱")
	if c.step() != "esims" || !strings.Contains(c.lastText(), "no eSIM yet") {
		t.Errorf("esims: %s %q", c.step(), c.lastText())
	}
	c.command("/usage")
	if !strings.Contains(c.lastText(), "no eSIM yet") {
		t.Errorf("usage: %q", c.lastText())
	}
	c.command("/buy")
	c.tap("🌍 Regions")
	c.tap("Europe")
	if c.step() != "bundles" || !strings.Contains(c.lastText(), "Europe") {
		t.Errorf("region: %s %q", c.step(), c.lastText())
	}
	c.tap("⬅️")
	if c.step() != "regions" {
		t.Errorf("back from a region: %s", c.step())
	}
	c.command("/buy")
	c.tap("🚢")
	if c.step() != "bundles" {
		t.Errorf("cruise: %s", c.step())
	}
	c.command("/help")
	c.command("/menu")
	if c.step() != "menu" {
		t.Errorf("menu: %s", c.step())
	}
}

func TestPagination(t *testing.T) {
	w := newWorld(t, func(_ *sandbox.Options, cfg *flows.Config) { cfg.PageSize = 2 })
	c := w.chat(101, "Ada", "en")
	toBundles(c)
	c.tap("Next")
	if !strings.Contains(c.lastText(), "Page 2 of") {
		t.Fatalf("%q", c.lastText())
	}
	c.tap("Previous")
	if !strings.Contains(c.lastText(), "Page 1 of") {
		t.Fatalf("%q", c.lastText())
	}
}
