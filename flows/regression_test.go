// Regression tests for defects found in review.
package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// Button labels are plain text: an apostrophe must not show as &#39;.
func TestRegressionButtonLabelEscaping(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "D'Angelo", "en")
	toEmail(c)
	c.say("o'brien@example.com")
	for _, row := range c.last().Buttons {
		for _, b := range row {
			if strings.Contains(b.Text, "&#39;") {
				t.Errorf("button label %q is HTML-escaped", b.Text)
			}
		}
	}
}

// Back from "edit email" (reached from the summary) should return to the summary.
func TestRegressionBackFromEditEmail(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	c.tap("✏️ Email")
	c.tap("⬅️")
	if got := c.step(); got != "summary" {
		t.Errorf("back from editing the email: step %s, want summary", got)
	}
}

// After Sweep drops an idle conversation, stamps restart at 0 and buttons of
// the old conversation become valid again: an old Confirm buys the new draft.
func TestRegressionSweptStampsRevive(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c) // France 1 GB
	oldConfirm := c.button("✅")
	oldLabel := ""
	for _, row := range c.last().Buttons {
		for _, b := range row {
			if b.Data == oldConfirm {
				oldLabel = b.Text
			}
		}
	}
	w.clock.Add(25 * time.Hour)
	if _, err := w.eng.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A new purchase, another bundle: 3 GB.
	c.command("/start")
	c.tap("🛒")
	c.say("france")
	c.tap("3 GB")
	c.tap("✅")
	c.say("ada@example.com")
	c.tap("Ada")
	c.press(c.button("⬅️")[:strings.Index(c.button("⬅️"), ".")] + ".skip")
	newConfirm := c.button("✅")
	t.Logf("old confirm %q (%s), new confirm %q", oldConfirm, oldLabel, newConfirm)
	c.press(oldConfirm) // the two-day-old button
	if n := len(w.sb.Orders()); n != 0 {
		t.Errorf("old Confirm button %q (label %q) bought %s", oldConfirm, oldLabel, w.sb.Orders()[0].BundleCode)
	}
}

// After a crash between CreateSale and the end of confirm, the conversation
// stays in step "selling" even once the reconciler delivered the sale.
func TestRegressionStuckSelling(t *testing.T) {
	w := newWorld(t)
	c := purchase(t, w, "en")
	ref := w.sb.Orders()[0].Reference
	conv, err := w.store.Conversation(context.Background(), c.id)
	if err != nil {
		t.Fatal(err)
	}
	conv.Step = "selling"
	conv.Draft = flows.Draft{SaleRef: ref}
	if _, err := w.store.SaveConversation(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	s, _ := w.store.Sale(context.Background(), ref)
	t.Logf("sale state %s", s.State)
	c.say("spain")
	if strings.Contains(c.lastText(), "moment") || c.step() == "selling" {
		t.Errorf("text after a finished sale: step %s, reply %q", c.step(), c.lastText())
	}
}

type noICCID struct{ *reseller.Client }

func (n noICCID) AssignBundle(ctx context.Context, r reseller.AssignRequest, o reseller.AssignOptions) (reseller.AssignResult, error) {
	res, err := n.Client.AssignBundle(ctx, r, o)
	res.ICCID = ""
	return res, err
}

// The POST answer carries only order_id (allowed by purchase); GET /Orders
// has the ICCID, but the sale never records it.
func TestRegressionICCIDFromOrderNeverStored(t *testing.T) {
	w := newWorld(t)
	eng, err := flows.New(w.cfg, w.store, noICCID{mustClient(t, w)}, w.rec, mustCatalog())
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng
	c := purchase(t, w, "en")
	sales, _ := w.store.SalesByUser(t.Context(), c.user)
	t.Logf("state %s iccid %q, order has %q", sales[0].State, sales[0].ICCID, w.sb.Orders()[0].ICCID)
	if sales[0].ICCID == "" {
		t.Errorf("delivered sale has no ICCID")
	}
	c.command("/esims")
	if !strings.Contains(c.lastText(), sales[0].ICCID) {
		t.Errorf("the eSIM is not listed: %q", c.lastText())
	}
}

// Usage opened from an eSIM's screen goes Back to that screen.
func TestRegressionBackFromUsageToESIM(t *testing.T) {
	w := newWorld(t)
	c := purchase(t, w, "en")
	c.command("/esims")
	c.tap("eSIM 1")
	c.tap("📊")
	c.tap("⬅️")
	if c.step() != "esim" {
		t.Errorf("step %s, want esim", c.step())
	}
}

// A platform that fails an accepted order: the sale fails and the user is told.
func TestRegressionOrderFailedAfterAssignment(t *testing.T) {
	w := newWorld(t)
	eng, err := flows.New(w.cfg, w.store, failedOrders{mustClient(t, w)}, w.rec, mustCatalog())
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	c.tap("✅")
	sales, _ := w.store.SalesByUser(t.Context(), c.user)
	if len(sales) != 1 || sales[0].State != flows.SaleFailed || !strings.Contains(c.lastText(), "could not complete this order") {
		t.Errorf("sales %+v, last %q", sales, c.lastText())
	}
}

type failedOrders struct{ *reseller.Client }

func (f failedOrders) OrderByReference(ctx context.Context, ref string) (reseller.Order, error) {
	o, err := f.Client.OrderByReference(ctx, ref)
	o.Status = reseller.OrderFailed
	return o, err
}

// Outages while reconciling do not count toward "never charged".
func TestRegressionOutagesDoNotDeclareNotCharged(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "POST", Path: "/Bundle", Status: 502, Count: 1})
	w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "GET", Path: "/Orders", Status: 503, Count: 40})
	c.tap("✅")
	for range 6 {
		w.clock.Add(time.Hour)
		_ = w.eng.Reconcile(t.Context())
	}
	sales, _ := w.store.SalesByUser(t.Context(), c.user)
	if len(sales) != 1 || sales[0].State != flows.SaleAssigning || sales[0].Unseen != 0 {
		t.Errorf("after an outage: %+v", sales)
	}
}
