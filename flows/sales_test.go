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

func TestDoubleConfirmSellsOnce(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	confirm := c.button("✅")
	c.press(confirm)
	before := c.sent()
	c.press(confirm)
	if n := len(w.sb.Orders()); n != 1 {
		t.Errorf("%d orders after two taps, want 1", n)
	}
	// The eSIM is on screen: the second tap is answered quietly.
	if c.outcome.Stale || c.outcome.Notice != "" || c.sent() != before {
		t.Errorf("second tap: stale %v, notice %q, %d messages", c.outcome.Stale, c.outcome.Notice, c.sent()-before)
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
