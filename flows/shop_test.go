package flows_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// admin is the configured admin of the shop worlds.
const admin = 800

func withAdmin(_ *sandbox.Options, cfg *flows.Config) { cfg.Admins = []flows.UserID{admin} }

var inviteLink = regexp.MustCompile(`inv_[A-Za-z0-9_-]{22}`)

// invite has the admin make an invite and returns its /start payload.
func invite(t *testing.T, a *chat) string {
	t.Helper()
	a.command("/invite")
	payload := inviteLink.FindString(a.lastText())
	if payload == "" {
		t.Fatalf("no invite link in %q", a.lastText())
	}
	return payload
}

// isAgent reports whether the chat's menu greets an agent.
func isAgent(t *testing.T, c *chat) bool {
	t.Helper()
	c.command("/start")
	return strings.Contains(c.lastText(), "Agent mode")
}

// TestInvites: an invite makes its first user an agent, once, before it
// expires; reused, expired, forged and revoked invites give nothing; the
// agent revoked is a customer again.
func TestInvites(t *testing.T) {
	w := newWorld(t, withAdmin)
	a := w.chat(admin, "Owner", "en")
	payload := invite(t, a)
	if !strings.Contains(a.lastText(), "/start "+payload) || !strings.Contains(a.lastText(), "24 h") {
		t.Errorf("invite message %q", a.lastText())
	}

	t.Run("Valid", func(t *testing.T) {
		ag := w.chat(101, "Sam", "en")
		ag.command("/start " + payload)
		if !strings.Contains(ag.log.String(), "You are now an agent") {
			t.Fatalf("no welcome:\n%s", ag.log.String())
		}
		if !isAgent(t, ag) {
			t.Error("the invited user is not an agent")
		}
		ag.command("/start " + payload) // again, by the same user: no harm
		if !strings.Contains(ag.lastText(), "Agent mode") {
			t.Errorf("reopened by its agent: %q", ag.lastText())
		}
	})
	t.Run("Reused", func(t *testing.T) {
		other := w.chat(102, "Eve", "en")
		other.command("/start " + payload)
		if !strings.Contains(other.log.String(), "not valid") || isAgent(t, other) {
			t.Errorf("a second user took the invite:\n%s", other.log.String())
		}
	})
	t.Run("Expired", func(t *testing.T) {
		late := invite(t, a)
		w.clock.Add(24*time.Hour + time.Second)
		c := w.chat(103, "Lea", "en")
		c.command("/start " + late)
		if !strings.Contains(c.log.String(), "not valid") || isAgent(t, c) {
			t.Errorf("an expired invite worked:\n%s", c.log.String())
		}
	})
	t.Run("Forged", func(t *testing.T) {
		c := w.chat(104, "Max", "en")
		for _, p := range []string{"inv_AAAAAAAAAAAAAAAAAAAAAA", "inv_x", "inv_" + strings.Repeat("A", 40), payload + "A"} {
			c.command("/start " + p)
			if isAgent(t, c) {
				t.Fatalf("forged invite %q made an agent", p)
			}
		}
		if n := strings.Count(c.log.String(), "not valid"); n != 4 {
			t.Errorf("%d refusals, want 4:\n%s", n, c.log.String())
		}
	})
	t.Run("CustomerForgesAdmin", func(t *testing.T) {
		c := w.chat(105, "Ivy", "en")
		for _, cmd := range []string{"/invite", "/agents"} {
			c.command(cmd)
			if !strings.Contains(c.lastText(), "I don't know that command") {
				t.Errorf("%s by a customer: %q", cmd, c.lastText())
			}
		}
		c.press("g.revoke.101")
		if !c.outcome.Stale {
			t.Errorf("a customer's revoke was not stale: %+v", c.outcome)
		}
		ag := w.chat(101, "Sam", "en")
		ag.command("/agents") // agents are not admins
		if !strings.Contains(ag.lastText(), "I don't know that command") {
			t.Errorf("/agents by an agent: %q", ag.lastText())
		}
		ag.press("g.revoke.101")
		if !isAgent(t, ag) {
			t.Error("a forged revoke revoked the agent")
		}
		if strings.Contains(c.log.String(), "inv_") || strings.Contains(c.log.String(), "Sam") {
			t.Errorf("a customer saw shop data:\n%s", c.log.String())
		}
	})
	t.Run("Revoked", func(t *testing.T) {
		a.command("/agents")
		if txt := a.lastText(); !strings.Contains(txt, "Sam") || !strings.Contains(txt, "101") || !strings.Contains(txt, "ID 900 (set in ESIMBOT_AGENTS)") {
			t.Fatalf("agents list: %q", txt)
		}
		a.tap("Revoke Sam")
		if a.outcome.Notice != "Agent revoked." || strings.Contains(a.lastText(), "Sam") {
			t.Errorf("after revoking: notice %q, list %q", a.outcome.Notice, a.lastText())
		}
		ag := w.chat(101, "Sam", "en")
		if isAgent(t, ag) {
			t.Error("the revoked agent is still an agent")
		}
		ag.command("/start " + payload)
		if !strings.Contains(ag.log.String(), "not valid") || isAgent(t, ag) {
			t.Errorf("a revoked invite worked again:\n%s", ag.log.String())
		}
		a.press("g.revoke.101")
		if a.outcome.Notice != "That agent was already revoked." {
			t.Errorf("revoking twice: %q", a.outcome.Notice)
		}
	})
}

// TestAgentSaleHandOff: an agent sees their cost beside the retail price,
// sells with the customer's WhatsApp number, and gets the order
// reference, the wallet left, a receipt, and a WhatsApp button carrying
// the install links and codes; the QR code is still sent.
func TestAgentSaleHandOff(t *testing.T) {
	w := newWorld(t)
	c := w.chat(900, "Agent", "en")
	toBundles(c)
	if !strings.Contains(c.lastText(), "your cost") {
		t.Errorf("bundles without the agent's cost:\n%s", c.lastText())
	}
	c.tap("1 GB")
	c.tap("✅")
	c.say("walkin@example.com")
	c.say("Walk In")
	c.say("+33 6 12 34 56 78")
	if txt := c.lastText(); !strings.Contains(txt, "Retail") || !strings.Contains(txt, "your cost") || !strings.Contains(txt, "margin") {
		t.Errorf("summary without cost and margin:\n%s", txt)
	}
	c.tap("✅")
	sales, _ := w.store.SalesByUser(t.Context(), c.user)
	if len(sales) != 1 || sales[0].State != flows.SaleDelivered || sales[0].Wallet == nil {
		t.Fatalf("sales %+v\n%s", sales, c.log.String())
	}
	s := sales[0]
	msgs := w.rec.messages(c.id)
	var install, done, receipt *flows.Message
	photo := false
	for i := range msgs {
		m := &msgs[i]
		switch {
		case m.Photo != nil:
			photo = true
		case strings.Contains(m.Text, "eSIM is ready"):
			install = m
		case strings.Contains(m.Text, "Sale done"):
			done = m
		case strings.Contains(m.Text, "Receipt"):
			receipt = m
		}
	}
	if install == nil || done == nil || receipt == nil || !photo {
		t.Fatalf("install %v, done %v, receipt %v, QR %v:\n%s", install != nil, done != nil, receipt != nil, photo, c.log.String())
	}
	if msgs[len(msgs)-1].Text != receipt.Text {
		t.Error("the receipt is not the last message (to forward)")
	}
	balance := w.sb.Wallet()
	if !strings.Contains(done.Text, s.Ref) || !strings.Contains(done.Text, "Wallet left") ||
		!strings.Contains(done.Text, balance.StringFixed(2)) {
		t.Errorf("sale done %q: want ref %s and wallet %s", done.Text, s.Ref, balance.StringFixed(2))
	}
	for _, want := range []string{s.Ref, "Walk In", "walkin@example.com"} {
		if !strings.Contains(receipt.Text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, receipt.Text)
		}
	}
	if strings.Contains(receipt.Text, "cost") || strings.Contains(receipt.Text, "Wallet") {
		t.Errorf("the receipt for the customer shows the shop's cost or wallet:\n%s", receipt.Text)
	}
	var wa string
	for _, row := range install.Buttons {
		for _, b := range row {
			if strings.Contains(b.Text, "WhatsApp") {
				wa = b.URL
			}
		}
	}
	u, err := url.Parse(wa)
	if err != nil || u.Host != "wa.me" || u.Path != "/33612345678" {
		t.Fatalf("WhatsApp button %q", wa)
	}
	text := u.Query().Get("text")
	smdp, code, _ := reseller.SplitLPA(s.LPA)
	links := reseller.InstallLinksFor(s.LPA)
	for _, want := range []string{links.IOS, links.Android, smdp, code} {
		if want == "" || !strings.Contains(text, want) {
			t.Errorf("WhatsApp text lacks %q:\n%s", want, text)
		}
	}
}

// TestCustomerSeesNoShopData: a customer's sale has no cost, no receipt
// and no WhatsApp hand-off.
func TestCustomerSeesNoShopData(t *testing.T) {
	w := newWorld(t)
	c := purchase(t, w, "en")
	for _, bad := range []string{"your cost", "Sale done", "Receipt", "Wallet", "wa.me"} {
		if strings.Contains(c.log.String(), bad) {
			t.Errorf("a customer saw %q", bad)
		}
	}
	for _, m := range w.rec.messages(c.id) {
		for _, row := range m.Buttons {
			for _, b := range row {
				if strings.Contains(b.URL, "wa.me") {
					t.Errorf("a customer got a WhatsApp hand-off: %q", b.URL)
				}
			}
		}
	}
}

// agentSale has agent 900 sell a bundle to a walk-in customer and
// returns the chat and the sale.
func agentSale(t *testing.T, w *world) (*chat, flows.Sale) {
	t.Helper()
	c := w.chat(900, "Agent", "en")
	toEmail(c)
	c.say("walkin@example.com")
	c.say("Walk In")
	c.tap("Skip")
	c.tap("✅")
	sales, _ := w.store.SalesByUser(t.Context(), c.user)
	if len(sales) != 1 || sales[0].State != flows.SaleDelivered {
		t.Fatalf("sales %+v", sales)
	}
	return c, sales[0]
}

// TestFindSale: staff find an order by reference, ICCID or email, see its
// state and send its QR code again; agents find only their own, customers
// nothing.
func TestFindSale(t *testing.T) {
	w := newWorld(t, withAdmin, func(_ *sandbox.Options, cfg *flows.Config) { cfg.Agents = append(cfg.Agents, 901) })
	c, s := agentSale(t, w)
	for _, q := range []string{s.Ref, strings.ToLower(s.Ref), s.ICCID, "WalkIn@Example.com"} {
		c.command("/find " + q)
		if txt := c.lastText(); !strings.Contains(txt, s.Ref) || !strings.Contains(txt, "delivered") {
			t.Errorf("/find %s: %q", q, txt)
		}
	}
	photos := len(c.photos())
	c.tap("Send the QR again")
	if len(c.photos()) != photos+1 {
		t.Errorf("no QR code sent again:\n%s", c.log.String())
	}
	a := w.chat(admin, "Owner", "en")
	a.command("/find " + s.ICCID)
	if !strings.Contains(a.lastText(), s.Ref) {
		t.Errorf("the admin did not find it: %q", a.lastText())
	}
	other := w.chat(901, "Other", "en")
	other.command("/find " + s.Ref)
	if !strings.Contains(other.lastText(), "No order of yours") {
		t.Errorf("another agent found it: %q", other.lastText())
	}
	other.press("g.qr." + s.Ref)
	if !other.outcome.Stale || len(other.photos()) != 0 {
		t.Error("another agent got the QR code")
	}
	cust := w.chat(105, "Ivy", "en")
	cust.command("/find " + s.Ref)
	if !strings.Contains(cust.lastText(), "I don't know that command") {
		t.Errorf("a customer's /find: %q", cust.lastText())
	}
}

// TestSalesReport: an agent sees their own totals today and this week;
// the admin sees every agent's; failed sales do not count; a CSV export
// lists the period's sales with a field that a spreadsheet would run
// defused.
func TestSalesReport(t *testing.T) {
	w := newWorld(t, withAdmin, func(_ *sandbox.Options, cfg *flows.Config) { cfg.Agents = append(cfg.Agents, 901) })
	ctx := context.Background()
	now := w.clock.Now() // a Thursday
	var refsPut []string
	put := func(ref string, user flows.UserID, at time.Time, price, cost string, state flows.SaleState, name string) {
		t.Helper()
		s := flows.Sale{Ref: ref, Kind: flows.KindNew, Chat: flows.ChatID(user), User: user, SoldBy: flows.RoleAgent, BundleCode: "b",
			BundleName: "France · 1 GB", Price: decimal.RequireFromString(price), Currency: "USD", Cost: decimal.RequireFromString(cost),
			Name: name, Email: "c@example.com", State: state, Created: at}
		if _, err := w.store.CreateSale(ctx, s, flows.Conversation{Chat: flows.ChatID(5000 + len(refsPut)), Step: "menu"}); err != nil {
			t.Fatal(err)
		}
		refsPut = append(refsPut, ref)
	}
	put("EB-A1", 900, now.Add(-time.Hour), "10.00", "7.00", flows.SaleDelivered, "=HYPERLINK(\"x\")")
	put("EB-A2", 900, now.Add(-48*time.Hour), "20.00", "15.00", flows.SaleDelivered, "Bo")
	put("EB-A3", 900, now.Add(-2*time.Hour), "99.00", "90.00", flows.SaleFailed, "Cy")
	put("EB-B1", 901, now.Add(-time.Hour), "5.00", "4.50", flows.SaleDelivered, "Di")
	put("EB-OLD", 900, now.AddDate(0, 0, -10), "1.00", "0.50", flows.SaleDelivered, "Ed")

	ag := w.chat(900, "Agent", "en")
	ag.command("/sales")
	txt := ag.lastText()
	for _, want := range []string{"Today: 1 sale · retail $10.00 · cost $7.00 · margin $3.00",
		"This week: 2 sales · retail $30.00 · cost $22.00 · margin $8.00"} {
		if !strings.Contains(txt, want) {
			t.Errorf("agent's report lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "$5.00") {
		t.Errorf("an agent sees another's sales:\n%s", txt)
	}
	a := w.chat(admin, "Owner", "en")
	a.command("/sales")
	txt = a.lastText()
	for _, want := range []string{"<b>900</b>", "<b>901</b>", "Today: 1 sale · retail $5.00 · cost $4.50 · margin $0.50"} {
		if !strings.Contains(txt, want) {
			t.Errorf("admin's report lacks %q:\n%s", want, txt)
		}
	}
	a.command("/sales csv 2026-11-23 2026-11-26")
	m := a.last()
	if m.Document == nil || m.Document.Name != "sales-20261123-20261126.csv" {
		t.Fatalf("export %+v", m)
	}
	rows, err := csv.NewReader(bytes.NewReader(m.Document.Data)).ReadAll()
	if err != nil || len(rows) != 5 {
		t.Fatalf("CSV %v:\n%s", err, m.Document.Data)
	}
	col := func(row []string, name string) string { return row[slices.Index(flows.CSVColumns, name)] }
	var refs []string
	for _, r := range rows[1:] {
		refs = append(refs, col(r, "order_reference"))
	}
	if strings.Join(refs, " ") != "EB-A2 EB-A3 EB-A1 EB-B1" {
		t.Errorf("exported %v", refs)
	}
	a1 := rows[3]
	for name, want := range map[string]string{"customer_name": `'=HYPERLINK("x")`, "retail_price": "10.00", "cost": "7.00",
		"margin": "3.00", "state": "delivered", "agent_id": "900", "currency": "USD"} {
		if got := col(a1, name); got != want {
			t.Errorf("EB-A1 %s = %q, want %q", name, got, want)
		}
	}
	if got := col(rows[2], "state"); got != "failed" {
		t.Errorf("EB-A3 state %q", got)
	}
}
