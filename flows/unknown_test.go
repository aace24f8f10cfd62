package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// reconcileUntil runs the reconciler each time the sale is due, the clock
// jumping to its next attempt (never past until), until done says so or
// the clock reaches until; it returns the sale as it was left.
func reconcileUntil(t *testing.T, c *chat, until time.Time, done func(flows.Sale) bool) flows.Sale {
	t.Helper()
	w := c.w
	for range 200 {
		s := c.onlySale()
		if done(s) || !w.clock.Now().Before(until) {
			return s
		}
		next := s.NextAttempt
		if next.IsZero() || next.After(until) {
			next = until
		}
		w.clock.Add(max(next.Sub(w.clock.Now()), 0))
		if err := w.eng.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("the reconciler never settled")
	return flows.Sale{}
}

// TestOutageAtConfirmAnsweredSoon: the purchase meets a connection dropped
// and the API then refuses every check for a minute. The user hears at
// once that the purchase is being checked (not "try again"), and the final
// answer comes within two minutes of the API answering again: "nothing
// was charged" when it never took the order, the eSIM when it did.
func TestOutageAtConfirmAnsweredSoon(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   sandbox.Fault
		want    flows.SaleState
		wantEnd string
	}{
		{name: "NotCharged", fault: sandbox.Fault{Kind: sandbox.FaultDrop}, want: flows.SaleFailed, wantEnd: "never received"},
		{name: "Delivered", fault: sandbox.Fault{Kind: sandbox.FaultCommitThenTimeout, Latency: time.Millisecond},
			want: flows.SaleDelivered, wantEnd: "QR code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", "en")
			toSummary(c)
			tc.fault.Method, tc.fault.Path, tc.fault.Count = "POST", "/Bundle", 1
			w.sb.Inject(tc.fault)
			w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultDrop, Method: "GET", Path: "/Orders"})
			c.tap("✅")
			if last := c.lastText(); !strings.Contains(last, "couldn't confirm") ||
				strings.Contains(strings.ToLower(c.log.String()), "try again") || saidNotCharged(c) {
				t.Fatalf("at Confirm the user hears %q, want that the purchase is being checked:\n%s", last, c.log.String())
			}
			back := w.clock.Now().Add(time.Minute)
			reconcileUntil(t, c, back, func(s flows.Sale) bool { return s.State.Finished() })
			w.sb.ClearFaults()
			s := reconcileUntil(t, c, back.Add(time.Hour), func(s flows.Sale) bool { return s.State.Finished() })
			took := w.clock.Now().Sub(back)
			c.flush()
			if s.State != tc.want || !strings.Contains(c.log.String(), tc.wantEnd) {
				t.Fatalf("sale %s, want %s with %q:\n%s", s.State, tc.want, tc.wantEnd, c.log.String())
			}
			if took > 2*time.Minute {
				t.Errorf("the answer came %v after the API was back, want within 2 minutes", took)
			}
			if n := len(w.sb.Orders()); n != map[bool]int{true: 1}[tc.want == flows.SaleDelivered] {
				t.Errorf("%d orders at the API", n)
			}
		})
	}
}

// cancelOnFail is an Observer that cancels a context when a sale fails:
// the program stopping while the reconciler tells the user.
type cancelOnFail struct{ cancel context.CancelFunc }

func (o cancelOnFail) SaleMoved(s flows.Sale) {
	if s.State == flows.SaleFailed {
		o.cancel()
	}
}
func (cancelOnFail) WalletBalance(decimal.Decimal) {}
func (cancelOnFail) DeliveryRetried(string)        {}

// TestShutdownLetsTheNoticeFinish: the program stops (its context is
// cancelled) just as the reconciler settled a sale as not charged; the
// notice of that outcome, the only one the user will get (the sale is
// finished), still goes out.
func TestShutdownLetsTheNoticeFinish(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	w := newWorld(t, withObserver(cancelOnFail{cancel}))
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultDrop, Method: "POST", Path: "/Bundle", Count: 1})
	c.tap("✅")
	for range 20 {
		s := c.onlySale()
		if s.State.Finished() || ctx.Err() != nil {
			break
		}
		w.clock.Add(s.NextAttempt.Sub(w.clock.Now()))
		_ = w.eng.Reconcile(ctx)
	}
	c.flush()
	if s := c.onlySale(); s.State != flows.SaleFailed {
		t.Fatalf("sale %s, want failed as not charged", s.State)
	}
	if !strings.Contains(c.lastText(), "never received") {
		t.Errorf("the user's last message is %q, want the notice that nothing was charged:\n%s", c.lastText(), c.log.String())
	}
}
