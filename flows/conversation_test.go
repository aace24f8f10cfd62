package flows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

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
	c.tap("Français")
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
	c.tap("🏠") // the help menu replaced the menu
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
