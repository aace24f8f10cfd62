package flows_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// saidNotCharged reports whether any message to the chat says nothing was
// charged.
func saidNotCharged(c *chat) bool {
	for _, m := range c.w.rec.messages(c.id) {
		if strings.Contains(strings.ToLower(m.Text), "charged") {
			return true
		}
	}
	return false
}

// TestCommittedRefusalIsDelivered: the platform commits the purchase and
// answers 401 (or 403); the client's re-send gets 409, the engine
// reconciles and delivers the one order, and never tells the user that
// nothing was charged.
func TestCommittedRefusalIsDelivered(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", "en")
			toSummary(c)
			w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenStatus, Status: status, Method: "POST", Path: "/Bundle", Count: 1})
			c.tap("✅")
			if n := len(w.sb.Orders()); n != 1 {
				t.Fatalf("%d orders at the sandbox, want 1", n)
			}
			if n := w.sb.Calls("POST", "/Bundle"); n != 2 {
				t.Errorf("POST /Bundle sent %d times, want 2 (the refused one and the re-send)", n)
			}
			if len(c.photos()) != 1 {
				t.Fatalf("not delivered:\n%s", c.log.String())
			}
			sales, _ := w.store.SalesByUser(t.Context(), c.user)
			if len(sales) != 1 || sales[0].State != flows.SaleDelivered || sales[0].ICCID != w.sb.Orders()[0].ICCID {
				t.Errorf("sales %+v", sales)
			}
			if saidNotCharged(c) {
				t.Errorf("the user was told nothing was charged:\n%s", c.log.String())
			}
		})
	}
	t.Run("Topup", func(t *testing.T) {
		w := newWorld(t)
		c := purchase(t, w, "en")
		c.command("/esims")
		c.tap("eSIM 1")
		c.tap("➕")
		c.tap(gb("en", 3))
		w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenStatus, Method: "POST", Path: "/Bundles/Topup", Count: 1})
		c.tap("✅")
		if n := len(w.sb.Orders()); n != 2 {
			t.Fatalf("%d orders at the sandbox, want 2", n)
		}
		sales, _ := w.store.SalesInState(t.Context(), flows.SaleDelivered)
		if len(sales) != 2 {
			t.Errorf("%d delivered sales, want 2:\n%s", len(sales), c.log.String())
		}
		if saidNotCharged(c) {
			t.Errorf("the user was told nothing was charged:\n%s", c.log.String())
		}
	})
}

// TestForbiddenPurchaseIsReconciled: a purchase refused 403 even after a
// renewed token may have been committed, so it is reconciled rather than
// failed at once; when the platform never shows the order, the sale fails
// as not charged, without a third POST.
func TestForbiddenPurchaseIsReconciled(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "POST", Path: "/Bundle", Status: http.StatusForbidden})
	c.tap("✅")
	if !strings.Contains(c.lastText(), "couldn't confirm") || saidNotCharged(c) {
		t.Fatalf("last %q, want the pending notice and no word of a charge", c.lastText())
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
	if n := w.sb.Calls("POST", "/Bundle"); n != 2 {
		t.Errorf("POST /Bundle sent %d times, want 2", n)
	}
	c.flush()
	if !strings.Contains(c.lastText(), "never received") {
		t.Errorf("last %q", c.lastText())
	}
}
