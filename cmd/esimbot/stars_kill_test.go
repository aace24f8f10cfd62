package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
	"github.com/esimbot/esimbot/storage"
)

// TestFaultKillsStars kills a built "esimbot run" with SIGKILL at the
// states of a Stars purchase, and restarts it on the same file:
//   - after a customer's successful_payment was recorded and before the
//     bundle was assigned: the sale is bought and delivered exactly once
//     (one order at the sandbox, one installation text, one QR code),
//     nothing is refunded;
//   - with the refund of a paid sale the API refused in flight, before or
//     after Telegram carried it out: the payment is refunded exactly once,
//     there is no order, and the customer is told.
//
// No message asks the customer to try again.
func TestFaultKillsStars(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills child processes; skipped with -short")
	}
	// Not in parallel with TestFaultKills and TestFaultMatrix: their
	// timings are tight enough on a loaded machine.
	bin := buildTestBinary(t, t.TempDir())
	refused := func(stall func(*telegramtest.Server)) func(e *killEnv) func(context.Context) error {
		return func(e *killEnv) func(context.Context) error {
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "POST", Path: "/Bundle", Status: 400})
			stall(e.fake)
			return waitCalls(e, "refundStarPayment")
		}
	}
	cases := []struct {
		name string
		// arm prepares the moment, before the tap on Pay, and returns the
		// wait for it.
		arm func(e *killEnv) func(context.Context) error
		// at is the sale's state when the bot is killed; want its state at
		// the end, and last what the customer is told last.
		at, want flows.SaleState
		last     string
	}{
		{"SIGKILL at paid (payment notice in flight)", func(e *killEnv) func(context.Context) error {
			e.fake.StallNext("sendMessage", 1) // "Payment received", sent after the payment is stored
			return waitCalls(e, "sendMessage")
		}, flows.SalePaid, flows.SaleDelivered, "QR code of your eSIM"},
		{"SIGKILL at assigning, the API committed", commitThenTimeout, flows.SaleAssigning, flows.SaleDelivered, "QR code of your eSIM"},
		{"SIGKILL with the refund in flight", refused(func(f *telegramtest.Server) { f.StallNext("refundStarPayment", 1) }),
			flows.SaleFailed, flows.SaleFailed, "was refunded"},
		{"SIGKILL after Telegram refunded, unanswered", refused(func(f *telegramtest.Server) { f.StallAfterNext("refundStarPayment", 1) }),
			flows.SaleFailed, flows.SaleFailed, "was refunded"},
	}
	rows := make([]faultRow, len(cases))
	t.Cleanup(func() { t.Log(matrix(rows)) }) // once the parallel cases are over
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const user = 5252
			// The clock runs 120 times faster: an invoice payable for a day.
			e := newKillEnv(t, bin, sandbox.Options{}, "ESIMBOT_PAYMENTS=stars", "ESIMBOT_STARS_PER_UNIT=50", "ESIMBOT_INVOICE_TTL=24h")
			c := newChat(t, e.fake, user, "Ada", "en")
			inv := c.toInvoice()
			reached := tc.arm(e)
			began := time.Now()
			if a := c.pay(inv); !a.OK {
				t.Fatalf("pre-checkout declined: %q", a.ErrorMessage)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := reached(ctx); err != nil {
				t.Fatalf("the moment to kill the bot did not come: %v\n%s", err, e.fake.Transcript(user))
			}
			e.child.kill()
			if s := storedSale(t, e.db, user); s.State != tc.at {
				t.Errorf("killed at %s, want %s", s.State, tc.at)
			}
			if !e.restart() {
				t.FailNow()
			}
			e.sb.ClearFaults()
			c.expect(tc.last)
			took := time.Since(began)
			if tc.want == flows.SaleDelivered {
				if err := poll(ctx, func() bool { return e.child.metric(`esimbot_sales_total{kind="new",state="delivered"}`) >= 1 }); err != nil {
					t.Errorf("the restarted bot did not move the sale to delivered: %v", err)
				}
			}
			if code := e.child.term(); code != 0 {
				t.Errorf("exit %d after SIGTERM", code)
			}
			rows[i] = checkStarsOutcome(t, e, user, tc.want)
			rows[i].fault, rows[i].took = "Stars: "+tc.name, took
			if t.Failed() {
				t.Logf("chat:\n%s", e.fake.Transcript(user))
			}
		})
	}
}

// checkStarsOutcome checks the end of a Stars purchase of user killed and
// restarted: one payment; delivered once with no refund, or failed with
// one refund and no order; no message asking to try again. It returns the
// case's row of the matrix.
func checkStarsOutcome(t *testing.T, e *killEnv, user int64, want flows.SaleState) faultRow {
	t.Helper()
	row, sales := audit(t, e.db, e.sb, e.fake, []int64{user}, 1)
	wantRefunds, wantRefund, wantOrders := 0, flows.RefundState(""), 1
	if want == flows.SaleFailed {
		wantRefunds, wantRefund, wantOrders = 1, flows.RefundDone, 0
	}
	if len(sales) != 1 || sales[0].State != want || sales[0].ChargeID == "" || sales[0].Refund != wantRefund {
		t.Errorf("sales %+v, want one paid and %s, refund %q", row.states, want, wantRefund)
	}
	if row.orders != wantOrders || row.texts != wantOrders || row.photos != wantOrders || row.copies != 0 {
		t.Errorf("%d orders, %d texts, %d pictures, %d copies; want %d, %[5]d, %[5]d, 0", row.orders, row.texts, row.photos, row.copies, wantOrders)
	}
	if n, r := len(e.fake.Payments()), e.fake.Refunds(); n != 1 || len(r) != wantRefunds {
		t.Errorf("%d payments, refunds %+v; want 1 and %d", n, r, wantRefunds)
	}
	told := 0
	for _, m := range e.fake.Messages(user) {
		text := m.Text + m.Caption
		if m.FromBot && strings.Contains(strings.ToLower(text), "try again") {
			t.Errorf("the customer is told to try again: %q", text)
		}
		if m.FromBot && strings.Contains(text, "was refunded") {
			told++
		}
	}
	if told != wantRefunds {
		t.Errorf("the customer is told %d times of a refund, want %d", told, wantRefunds)
	}
	return row
}

// storedSale reads the only sale of user from the data file of a bot
// that is not running.
func storedSale(t *testing.T, db string, user int64) flows.Sale {
	t.Helper()
	st, err := storage.Open(db, storage.Options{})
	if err != nil {
		t.Fatalf("open the ledger: %v", err)
	}
	defer st.Close()
	sales, err := st.SalesByUser(context.Background(), flows.UserID(user))
	if err != nil || len(sales) != 1 {
		t.Fatalf("sales %+v, %v; want one", sales, err)
	}
	return sales[0]
}
