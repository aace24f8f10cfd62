package flows_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// alerts returns the admin's messages that contain s.
func alerts(w *world, s string) []string {
	var out []string
	for _, m := range w.rec.messages(admin) {
		if strings.Contains(m.Text, s) {
			out = append(out, m.Text)
		}
	}
	return out
}

// sell has agent 900 sell one bundle.
func sell(t *testing.T, c *chat) {
	t.Helper()
	toEmail(c)
	c.say("walkin@example.com")
	c.say("Walk In")
	c.tap("Skip")
	c.tap("✅")
	if !strings.Contains(c.log.String(), "Sale done") {
		t.Fatalf("no sale:\n%s", c.log.String())
	}
}

// TestLowBalanceAlertOncePerCrossing: the wallet dropping under the
// threshold alerts the admin once, in the admin's language; after it rose
// above, the next drop alerts again.
func TestLowBalanceAlertOncePerCrossing(t *testing.T) {
	w := newWorld(t, withAdmin, func(_ *sandbox.Options, cfg *flows.Config) { cfg.LowBalance = decimal.NewFromInt(50) })
	a := w.chat(admin, "Propriétaire", "fr")
	a.command("/start")
	c := w.chat(900, "Agent", "en")
	w.sb.SetWallet(decimal.RequireFromString("50.01"))
	sell(t, c)
	if got := alerts(w, "Portefeuille bas"); len(got) != 1 {
		t.Fatalf("%d alerts after the drop, want 1 in French: %+v", len(got), w.rec.messages(admin))
	}
	sell(t, c) // still under: no second alert
	if got := alerts(w, "Portefeuille bas"); len(got) != 1 {
		t.Errorf("%d alerts while still low, want 1", len(got))
	}
	w.sb.SetWallet(decimal.NewFromInt(1000))
	sell(t, c) // above again
	w.sb.SetWallet(decimal.RequireFromString("50.01"))
	sell(t, c) // a new crossing
	got := alerts(w, "Portefeuille bas")
	if len(got) != 2 {
		t.Fatalf("%d alerts after a second crossing, want 2", len(got))
	}
	for _, s := range got {
		if strings.Contains(s, "Walk In") || strings.Contains(s, "walkin@") || strings.Contains(s, "demo") {
			t.Errorf("an alert carries a customer's details or a secret: %q", s)
		}
	}
}

// TestStuckSaleAlertsOnce: a sale not delivered within DeliveryAlert is
// reported to the admin once, with its reference, even across a restart.
func TestStuckSaleAlertsOnce(t *testing.T) {
	w := newWorld(t, withAdmin)
	ctx := context.Background()
	now := w.clock.Now()
	s := flows.Sale{Ref: "EB-STUCK1", Kind: flows.KindNew, Chat: 900, User: 900, SoldBy: flows.RoleAgent, BundleCode: "x",
		State: flows.SaleAssigning, History: []flows.Transition{{State: flows.SaleAssigning, At: now}}, Created: now,
		NextAttempt: now.Add(time.Hour)}
	if _, err := w.store.CreateSale(ctx, s, flows.Conversation{Chat: 900, User: 900, Step: "menu"}); err != nil {
		t.Fatal(err)
	}
	if err := w.eng.Watch(ctx); err != nil {
		t.Fatal(err)
	}
	if got := alerts(w, "EB-STUCK1"); len(got) != 0 {
		t.Fatalf("alerted before DeliveryAlert: %q", got)
	}
	w.clock.Add(10 * time.Minute)
	for range 2 {
		if err := w.eng.Watch(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := alerts(w, "EB-STUCK1")
	if len(got) != 1 || !strings.Contains(got[0], "not delivered") {
		t.Fatalf("alerts %q, want one", got)
	}
	// A restart: a new engine on the same store tells it no more.
	srv := httptest.NewServer(w.sb)
	t.Cleanup(srv.Close)
	user, pass := w.sb.Credentials()
	api, err := reseller.New(reseller.Config{BaseURL: srv.URL + w.sb.Prefix(), Username: user, Password: pass, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	again, err := flows.New(w.cfg, w.store, api, w.rec, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Watch(ctx); err != nil {
		t.Fatal(err)
	}
	if got := alerts(w, "EB-STUCK1"); len(got) != 1 {
		t.Errorf("%d alerts after a restart, want 1", len(got))
	}
}

// directClient is a client of the world's sandbox of its own (sales the
// bot does not make), and the sandbox's bundles.
func directClient(t *testing.T, w *world) (*reseller.Client, []reseller.Bundle) {
	t.Helper()
	srv := httptest.NewServer(w.sb)
	t.Cleanup(srv.Close)
	user, pass := w.sb.Credentials()
	api, err := reseller.New(reseller.Config{BaseURL: srv.URL + w.sb.Prefix(), Username: user, Password: pass, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	bundles, err := api.AllBundles(context.Background(), reseller.BundleQuery{})
	if err != nil || len(bundles) == 0 {
		t.Fatalf("bundles: %v", err)
	}
	return api, bundles
}

// TestOrphanOrderAlertsOnce: an order the API has under the bot's prefix
// that the ledger lacks is reported to the admin once.
func TestOrphanOrderAlertsOnce(t *testing.T) {
	w := newWorld(t, withAdmin)
	ctx := context.Background()
	api, bundles := directClient(t, w)
	if _, err := api.AssignBundle(ctx, reseller.AssignRequest{BundleCode: bundles[0].Code, Email: "x@example.com", Name: "X",
		OrderReference: "EB-ORPHAN1"}, reseller.AssignOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.AssignBundle(ctx, reseller.AssignRequest{BundleCode: bundles[0].Code, Email: "y@example.com", Name: "Y",
		OrderReference: "OTHER-1"}, reseller.AssignOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := w.eng.Watch(ctx); err != nil {
			t.Fatal(err)
		}
		w.clock.Add(6 * time.Minute)
	}
	if got := alerts(w, "EB-ORPHAN1"); len(got) != 1 || !strings.Contains(got[0], "missing from the ledger") {
		t.Errorf("alerts %q, want one", got)
	}
	if got := alerts(w, "OTHER-1"); len(got) != 0 {
		t.Errorf("an order of another prefix was reported: %q", got)
	}
	_, s := agentSale(t, w)
	if err := w.eng.Watch(ctx); err != nil {
		t.Fatal(err)
	}
	if got := alerts(w, s.Ref); len(got) != 0 {
		t.Errorf("a sale of the ledger was reported: %q", got)
	}
}

// TestLateOrderAlerts: an order the platform committed after the bot had
// settled, from its absence, that it was never charged is reported to the
// admin once: the customer was told nothing was charged.
func TestLateOrderAlerts(t *testing.T) {
	w := newWorld(t, withAdmin)
	ctx := context.Background()
	api, bundles := directClient(t, w)
	now := w.clock.Now()
	for i, s := range []flows.Sale{
		{Ref: "EB-LATE1", User: 101, Chat: 101, BundleCode: bundles[0].Code, BundleName: "Late bundle", State: flows.SaleFailed, FailReason: "sale_not_charged", Created: now},
		{Ref: "EB-REFUSED1", User: 102, Chat: 102, BundleCode: bundles[0].Code, State: flows.SaleFailed, FailReason: "sale_failed", Created: now},
	} {
		if _, err := w.store.CreateSale(ctx, s, flows.Conversation{Chat: flows.ChatID(101 + i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := api.AssignBundle(ctx, reseller.AssignRequest{BundleCode: s.BundleCode, Email: "x@example.com", Name: "X",
			OrderReference: s.Ref}, reseller.AssignOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := w.eng.Watch(ctx); err != nil {
			t.Fatal(err)
		}
		w.clock.Add(6 * time.Minute)
	}
	if got := alerts(w, "EB-LATE1"); len(got) != 1 || !strings.Contains(got[0], "committed late") || !strings.Contains(got[0], "Late bundle") {
		t.Errorf("alerts %q, want one of the late order", got)
	}
	if got := alerts(w, "EB-REFUSED1"); len(got) != 0 {
		t.Errorf("a sale failed for another reason was reported: %q", got)
	}
}

// TestAlertNoAdminGotIsToldAgain: an alert that reached no admin because
// Telegram failed for a passing reason is told at the event's next
// sighting, not lost as told; one an admin got is not told twice.
func TestAlertNoAdminGotIsToldAgain(t *testing.T) {
	w := newWorld(t, withAdmin, func(_ *sandbox.Options, cfg *flows.Config) { cfg.LowBalance = decimal.NewFromInt(50) })
	w.chat(admin, "Owner", "en").command("/start")
	c := w.chat(900, "Agent", "en")
	w.sb.SetWallet(decimal.RequireFromString("50.01"))
	w.rec.mu.Lock()
	w.rec.failChat = map[flows.ChatID]error{admin: errors.New("sendMessage: 502 Bad Gateway")}
	w.rec.mu.Unlock()
	sell(t, c) // the wallet drops under; the alert fails
	w.rec.mu.Lock()
	w.rec.failChat = nil
	w.rec.mu.Unlock()
	sell(t, c) // still under: seen again
	sell(t, c)
	if got := alerts(w, "Low wallet"); len(got) != 1 {
		t.Errorf("%d low-wallet alerts, want 1 (told at the second sighting, once): %+v", len(got), w.rec.messages(admin))
	}
}
