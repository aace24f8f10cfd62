package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// starsEnv turns payments in Stars on, 50 a dollar, with an admin.
var starsEnv = map[string]string{"ESIMBOT_PAYMENTS": "stars", "ESIMBOT_STARS_PER_UNIT": "50", "ESIMBOT_ADMINS": "990"}

// starsClock is a clock a test moves.
type starsClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *starsClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *starsClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// withFlows tunes the engine's configuration.
func withFlows(f func(*flows.Config)) func(*Main) { return func(m *Main) { m.tuneFlows = f } }

// toInvoice plays a customer's purchase up to the invoice and returns it.
func (c *tgChat) toInvoice() telegramtest.Message {
	c.t.Helper()
	c.toSummarySharing("ada@example.com")
	c.tap("Confirm")
	return c.invoiceAfter(0)
}

// invoiceAfter waits for an invoice sent after the message after.
func (c *tgChat) invoiceAfter(after int) telegramtest.Message {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var inv telegramtest.Message
	if _, err := c.fake.WaitFor(ctx, c.id, func(msgs []telegramtest.Message) bool {
		for _, m := range msgs {
			if m.Invoice != nil && m.ID > after {
				inv = m
				return true
			}
		}
		return false
	}); err != nil {
		c.t.Fatalf("no invoice: %v\n%s", err, c.fake.Transcript(c.id))
	}
	return inv
}

// pay taps Pay on the invoice and waits for the bot's answer to the
// pre-checkout query.
func (c *tgChat) pay(inv telegramtest.Message) telegramtest.PreCheckoutAnswer {
	c.t.Helper()
	_, qid, err := c.fake.Pay(c.id, c.id, inv.ID)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got telegramtest.PreCheckoutAnswer
	if err := c.fake.WaitUntil(ctx, func() bool {
		for _, a := range c.fake.PreCheckoutAnswers() {
			if a.PreCheckoutQueryID == qid {
				got = a
				return true
			}
		}
		return false
	}); err != nil {
		c.t.Fatalf("pre-checkout query not answered: %v", err)
	}
	return got
}

// TestRunStarsPurchase: a Stars purchase end to end on the fake Bot API:
// the invoice, no order before payment, the QR code of the sandbox
// order's LPA, and a replayed successful_payment that sells once.
func TestRunStarsPurchase(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	sb := sandbox.New(sandbox.Options{})
	run := startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), starsEnv)
	c := newChat(t, fake, 501, "Ada", "en")
	inv := c.toInvoice()
	if inv.Invoice.Currency != "XTR" || inv.Invoice.TotalAmount != 201 || inv.Invoice.Title == "" {
		t.Errorf("invoice %+v, want 201 XTR ($4.01 × 50 rounded up)", inv.Invoice)
	}
	if n := len(sb.Orders()); n != 0 {
		t.Fatalf("%d orders before payment", n)
	}
	if a := c.pay(inv); !a.OK {
		t.Fatalf("pre-checkout declined: %q", a.ErrorMessage)
	}
	c.expect("Payment received")
	photo := c.expect("QR code of your eSIM")
	orders := sb.Orders()
	if len(orders) != 1 {
		t.Fatalf("%d orders, want 1", len(orders))
	}
	if got := decodeQR(t, photo.Photo.Data); got != orders[0].ActivationCode {
		t.Errorf("QR = %q, want the order's %q", got, orders[0].ActivationCode)
	}
	pays := fake.Payments()
	if len(pays) != 1 {
		t.Fatalf("%d payments", len(pays))
	}
	if _, err := fake.ReplayPayment(pays[0].TelegramPaymentChargeID); err != nil {
		t.Fatal(err)
	}
	c.say("/help") // handled after the replay: one chat's updates go in order
	c.expect("/buy")
	if n := len(sb.Orders()); n != 1 {
		t.Errorf("%d orders after a replayed payment, want 1", n)
	}
	if r := fake.Refunds(); len(r) != 0 {
		t.Errorf("refunds %+v", r)
	}
	_, body := run.get("/metrics")
	for _, want := range []string{"esimbot_invoices_total 1", "esimbot_payments_total 1", "esimbot_stars_received_total 201",
		`esimbot_sales_total{kind="new",state="paid"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestRunStarsInvoiceExpires: an unpaid invoice expires and cannot be
// paid later.
func TestRunStarsInvoiceExpires(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	sb := sandbox.New(sandbox.Options{})
	clk := &starsClock{}
	startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), starsEnv, withFlows(func(c *flows.Config) { c.Now = clk.Now }))
	c := newChat(t, fake, 501, "Ada", "en")
	inv := c.toInvoice()
	clk.Add(31 * time.Minute)
	if a := c.pay(inv); a.OK {
		t.Fatal("an expired invoice was accepted")
	}
	if len(fake.Payments()) != 0 || len(sb.Orders()) != 0 {
		t.Errorf("%d payments, %d orders; want none", len(fake.Payments()), len(sb.Orders()))
	}
}

// TestRunStarsPriceChangeDeclined: a price change between the invoice and
// the pre-checkout is declined.
func TestRunStarsPriceChangeDeclined(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	sb := sandbox.New(sandbox.Options{})
	clk := &starsClock{}
	startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), starsEnv, withFlows(func(c *flows.Config) { c.Now = clk.Now }))
	c := newChat(t, fake, 501, "Ada", "en")
	inv := c.toInvoice()
	if err := sb.SetRetailPrice("FRA_1GB_7D", decimal.RequireFromString("5.99")); err != nil {
		t.Fatal(err)
	}
	clk.Add(11 * time.Minute) // the catalog cache is stale: it is read again
	if a := c.pay(inv); a.OK || a.ErrorMessage == "" {
		t.Fatalf("pre-checkout after a price change: %+v", a)
	}
	if len(sb.Orders()) != 0 {
		t.Error("sold after a declined pre-checkout")
	}
}

// TestRunStarsFailedAssignmentRefunded: a successful_payment whose
// assignment is refused is refunded once, and the customer told; a
// refund that fails is retried (here by the reconciler at the next start).
func TestRunStarsFailedAssignmentRefunded(t *testing.T) {
	for _, tc := range []struct {
		name       string
		failRefund bool
	}{{"Refunded", false}, {"RefundRetried", true}} {
		t.Run(tc.name, func(t *testing.T) {
			fake := telegramtest.NewServer(t, testToken)
			sb := sandbox.New(sandbox.Options{})
			db := filepath.Join(t.TempDir(), "bot.db")
			clk := &starsClock{}
			r := startRun(t, fake, sb, db, starsEnv, withFlows(func(c *flows.Config) { c.Now = clk.Now }))
			c := newChat(t, fake, 501, "Ada", "en")
			admin := newChat(t, fake, 990, "Boss", "en")
			inv := c.toInvoice()
			sb.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "POST", Path: "/Bundle", Status: 400})
			if tc.failRefund {
				fake.FailNext("refundStarPayment", 1, 500, 0)
			}
			if a := c.pay(inv); !a.OK {
				t.Fatalf("pre-checkout declined: %q", a.ErrorMessage)
			}
			if tc.failRefund {
				admin.expect("Refund failed")
				if code := r.stop(); code != 0 {
					t.Fatalf("exit %d", code)
				}
				sb.ClearFaults()
				clk.Add(time.Minute)                                                                          // past the retry's backoff
				r = startRun(t, fake, sb, db, starsEnv, withFlows(func(c *flows.Config) { c.Now = clk.Now })) // its reconciler retries the refund at start
			}
			c.expect("was refunded")
			if refunds := fake.Refunds(); len(refunds) != 1 || refunds[0].TotalAmount != 201 {
				t.Errorf("refunds %+v, want one of 201 Stars", refunds)
			}
			if _, body := r.get("/metrics"); !strings.Contains(body, `esimbot_refunds_total{outcome="done"} 1`) {
				t.Errorf("/metrics lacks the refund done:\n%s", grepLines(body, "refunds"))
			}
			if n := len(sb.Orders()); n != 0 {
				t.Errorf("%d orders", n)
			}
		})
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestRunTermsFile: ESIMBOT_TERMS_FILE replaces the built-in terms of
// /terms, in every language; a file that cannot be read stops the start.
func TestRunTermsFile(t *testing.T) {
	terms := filepath.Join(t.TempDir(), "terms.html")
	if err := os.WriteFile(terms, []byte("\n<b>Our terms</b>: refunds within 14 days.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ESIMBOT_TERMS_FILE": terms}
	for k, v := range starsEnv {
		env[k] = v
	}
	fake := telegramtest.NewServer(t, testToken)
	startRun(t, fake, sandbox.New(sandbox.Options{}), filepath.Join(t.TempDir(), "bot.db"), env)
	for i, lang := range []string{"en", "fr"} {
		c := newChat(t, fake, int64(601+i), "Ada", lang)
		c.say("/terms")
		if m := c.expect("refunds within 14 days"); !strings.Contains(m.Text, "Our terms") {
			t.Errorf("/terms in %s: %q", lang, m.Text)
		}
	}

	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string {
		return map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_TERMS_FILE": terms + ".missing"}[k]
	}}
	if _, err := m.loadConfig(m.newFlagSet("run", "run"), nil); err == nil || !strings.Contains(err.Error(), "ESIMBOT_TERMS_FILE") {
		t.Errorf("a missing terms file: %v, want an error naming ESIMBOT_TERMS_FILE", err)
	}
}
