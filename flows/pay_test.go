package flows_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// closedSales is a world where customers may not buy without paying.
func closedSales(support string) worldOption {
	return func(_ *sandbox.Options, c *flows.Config) {
		c.ClosedSales, c.Payments, c.Support = true, flows.PaymentsNone, support
	}
}

func TestClosedSalesCustomerConfirm(t *testing.T) {
	for _, tc := range []struct{ name, support, want string }{
		{"WithSupport", "@my_shop", "contact @my_shop"},
		{"NoSupport", "", "contact the shop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, closedSales(tc.support))
			c := w.chat(101, "Ada", "en")
			toSummary(c)
			c.tap("✅")
			if n := len(w.sb.Orders()); n != 0 {
				t.Errorf("%d orders, want none", n)
			}
			if sales, _ := w.store.SalesByUser(t.Context(), 101); len(sales) != 0 {
				t.Errorf("%d sale records, want none", len(sales))
			}
			msgs := w.rec.messages(c.id)
			var said bool
			for _, m := range msgs {
				said = said || strings.Contains(m.Text, tc.want)
			}
			if !said {
				t.Errorf("no message says %q:\n%s", tc.want, c.log.String())
			}
			if !strings.Contains(c.lastText(), "Your order") {
				t.Errorf("the summary is not shown again: %q", c.lastText())
			}
		})
	}
}

// refunder is a fake Refunder: it records refunds and fails while fail is set.
type refunder struct {
	mu    sync.Mutex
	fail  error
	calls []string // charge IDs of every call
	done  map[string]bool
}

func (r *refunder) RefundStars(_ context.Context, _ flows.UserID, charge string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, charge)
	if r.fail != nil {
		return r.fail
	}
	if r.done[charge] {
		return flows.ErrAlreadyRefunded
	}
	if r.done == nil {
		r.done = map[string]bool{}
	}
	r.done[charge] = true
	return nil
}

func (r *refunder) refunded() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.done)
}

// stars is a world where customers pay in Stars, 50 a dollar.
func stars(r *refunder) worldOption {
	return func(_ *sandbox.Options, c *flows.Config) {
		c.Payments, c.ClosedSales, c.StarsPerUnit, c.Refunder = flows.PaymentsStars, true, decimal.NewFromInt(50), r
		c.Admins = []flows.UserID{990}
	}
}

// invoiced plays a customer's purchase up to the invoice and returns it.
func invoiced(t *testing.T, w *world, c *chat) flows.Invoice {
	t.Helper()
	toSummary(c)
	c.tap("✅")
	for _, m := range slices.Backward(w.rec.messages(c.id)) {
		if m.Invoice != nil {
			return *m.Invoice
		}
	}
	t.Fatalf("no invoice sent:\n%s", c.log.String())
	return flows.Invoice{}
}

// pay plays Telegram's pre-checkout and payment of an invoice.
func pay(t *testing.T, w *world, c *chat, inv flows.Invoice, charge string) {
	t.Helper()
	ok, reason := w.eng.CheckPayment(t.Context(), flows.PreCheckout{User: c.user, Stars: inv.Stars, Currency: "XTR", Payload: inv.Payload})
	if !ok {
		t.Fatalf("pre-checkout declined: %s", reason)
	}
	paid(t, w, c, inv, charge)
}

func paid(t *testing.T, w *world, c *chat, inv flows.Invoice, charge string) {
	t.Helper()
	if err := w.eng.Paid(t.Context(), flows.Payment{ChargeID: charge, Chat: c.id, User: c.user, Stars: inv.Stars, Currency: "XTR", Payload: inv.Payload}); err != nil {
		t.Fatal(err)
	}
}

func TestStarsPurchase(t *testing.T) {
	w := newWorld(t, stars(&refunder{}))
	c := w.chat(101, "Ada", "en")
	inv := invoiced(t, w, c)
	if inv.Stars != 201 { // $4.01 × 50, rounded up
		t.Errorf("invoice of %d Stars, want 201", inv.Stars)
	}
	if inv.Title == "" || inv.Description == "" || len(inv.Title) > 64 {
		t.Errorf("invoice %+v", inv)
	}
	if n := len(w.sb.Orders()); n != 0 {
		t.Fatalf("%d orders before payment, want none", n)
	}
	sales, _ := w.store.SalesByUser(t.Context(), 101)
	if len(sales) != 1 || !sales[0].AwaitingPayment() || sales[0].Stars != 201 {
		t.Fatalf("sales %+v, want one awaiting 201 Stars", sales)
	}
	// The reconciler leaves an unpaid sale alone.
	if err := w.eng.Reconcile(t.Context()); err != nil || len(w.sb.Orders()) != 0 {
		t.Fatalf("reconcile sold an unpaid sale: %d orders, %v", len(w.sb.Orders()), err)
	}
	// Another user cannot pay it, nor a forged payload.
	if ok, _ := w.eng.CheckPayment(t.Context(), flows.PreCheckout{User: 102, Stars: inv.Stars, Currency: "XTR", Payload: inv.Payload}); ok {
		t.Error("another user's pre-checkout accepted")
	}
	ref, _, _ := strings.Cut(inv.Payload, ".")
	if ok, _ := w.eng.CheckPayment(t.Context(), flows.PreCheckout{User: 101, Stars: inv.Stars, Currency: "XTR", Payload: ref + ".guess"}); ok {
		t.Error("a guessed payload accepted")
	}
	pay(t, w, c, inv, "ch-1")
	c.flush()
	if n := len(w.sb.Orders()); n != 1 {
		t.Fatalf("%d orders after payment, want 1", n)
	}
	if s, _ := w.store.Sale(t.Context(), ref); s.State != flows.SaleDelivered || s.ChargeID != "ch-1" {
		t.Errorf("sale %s charge %q, want delivered ch-1", s.State, s.ChargeID)
	}
	if len(c.photos()) != 1 {
		t.Errorf("%d QR codes, want 1", len(c.photos()))
	}
}

func TestStarsDuplicatePaymentSellsOnce(t *testing.T) {
	w := newWorld(t, stars(&refunder{}))
	c := w.chat(101, "Ada", "en")
	inv := invoiced(t, w, c)
	pay(t, w, c, inv, "ch-1")
	paid(t, w, c, inv, "ch-1")
	paid(t, w, c, inv, "ch-2") // a second charge for the same invoice: recorded, reported
	if n := len(w.sb.Orders()); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
	if pays, _ := w.store.PaymentsByUser(t.Context(), 101); len(pays) != 2 {
		t.Errorf("%d payments recorded, want 2", len(pays))
	}
	if msgs := w.rec.messages(990); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Payment to check") {
		t.Errorf("admin reports %+v, want one about the second charge", msgs)
	}
}

func TestStarsInvoiceExpires(t *testing.T) {
	w := newWorld(t, stars(&refunder{}))
	c := w.chat(101, "Ada", "en")
	inv := invoiced(t, w, c)
	w.clock.Add(31 * time.Minute)
	if ok, reason := w.eng.CheckPayment(t.Context(), flows.PreCheckout{User: 101, Stars: inv.Stars, Currency: "XTR", Payload: inv.Payload}); ok || !strings.Contains(reason, "expired") {
		t.Errorf("pre-checkout of an expired invoice: %t %q", ok, reason)
	}
	w.clock.Add(5 * time.Minute)
	if err := w.eng.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	sales, _ := w.store.SalesByUser(t.Context(), 101)
	if len(sales) != 1 || sales[0].State != flows.SaleFailed || sales[0].FailReason != "sale_failed_unpaid" {
		t.Errorf("sale %+v, want failed unpaid", sales)
	}
	paid(t, w, c, inv, "ch-late") // Telegram would not, but if it did: recorded, reported, not sold
	if n := len(w.sb.Orders()); n != 0 {
		t.Errorf("%d orders, want none", n)
	}
	if msgs := w.rec.messages(990); len(msgs) != 1 {
		t.Errorf("%d admin reports, want 1", len(msgs))
	}
}

func TestStarsPriceChangeDeclined(t *testing.T) {
	w := newWorld(t, stars(&refunder{}))
	c := w.chat(101, "Ada", "en")
	inv := invoiced(t, w, c)
	if err := w.sb.SetBundlePrice("FRA_1GB_7D", decimal.RequireFromString("3.50"), decimal.RequireFromString("4.49"), decimal.RequireFromString("4.99")); err != nil {
		t.Fatal(err)
	}
	w.clock.Add(11 * time.Minute) // past the catalog cache's lifetime: it is read again
	if ok, reason := w.eng.CheckPayment(t.Context(), flows.PreCheckout{User: 101, Stars: inv.Stars, Currency: "XTR", Payload: inv.Payload}); ok || !strings.Contains(reason, "price") {
		t.Errorf("pre-checkout after a price change: %t %q", ok, reason)
	}
}

func TestStarsFailedAssignmentRefundedOnce(t *testing.T) {
	r := &refunder{}
	w := newWorld(t, stars(r))
	c := w.chat(101, "Ada", "en")
	inv := invoiced(t, w, c)
	ok, _ := w.eng.CheckPayment(t.Context(), flows.PreCheckout{User: 101, Stars: inv.Stars, Currency: "XTR", Payload: inv.Payload})
	if !ok {
		t.Fatal("pre-checkout declined")
	}
	if err := w.sb.SetBundleAvailable("FRA_1GB_7D", false); err != nil {
		t.Fatal(err)
	}
	paid(t, w, c, inv, "ch-1")
	paid(t, w, c, inv, "ch-1")
	if err := w.eng.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r.refunded() != 1 || len(r.calls) != 1 {
		t.Errorf("refunds %v, want one call", r.calls)
	}
	ref, _, _ := strings.Cut(inv.Payload, ".")
	if s, _ := w.store.Sale(t.Context(), ref); s.State != flows.SaleFailed || s.Refund != flows.RefundDone {
		t.Errorf("sale %s refund %q, want failed, refunded", s.State, s.Refund)
	}
	c.flush()
	if !strings.Contains(c.log.String(), "refunded") {
		t.Errorf("the customer is not told of the refund:\n%s", c.log.String())
	}
}

func TestStarsFailedRefundRetried(t *testing.T) {
	r := &refunder{fail: errors.New("telegram unreachable")}
	w := newWorld(t, stars(r))
	c := w.chat(101, "Ada", "en")
	inv := invoiced(t, w, c)
	if err := w.sb.SetBundleAvailable("FRA_1GB_7D", false); err != nil {
		t.Fatal(err)
	}
	paid(t, w, c, inv, "ch-1")
	if r.refunded() != 0 || len(r.calls) != 1 {
		t.Fatalf("refund calls %v", r.calls)
	}
	if msgs := w.rec.messages(990); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Refund failed") {
		t.Errorf("admin reports %+v", msgs)
	}
	if err := w.eng.Reconcile(t.Context()); err != nil || len(r.calls) != 1 {
		t.Errorf("retried before its time: %v, %v", r.calls, err)
	}
	r.mu.Lock()
	r.fail = nil
	r.mu.Unlock()
	w.clock.Add(time.Minute)
	if err := w.eng.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	w.clock.Add(time.Hour)
	if err := w.eng.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r.refunded() != 1 || len(r.calls) != 2 {
		t.Errorf("refund calls %v, want a failed one and one retry", r.calls)
	}
}

// TestStarsPaidThenCrash: the process dies right after the payment was
// stored, before the bundle was bought: after a restart, the reconciler
// buys and delivers it, once.
func TestStarsPaidThenCrash(t *testing.T) {
	w := newWorld(t, stars(&refunder{}))
	c := w.chat(101, "Ada", "en")
	inv := invoiced(t, w, c)
	ref, _, _ := strings.Cut(inv.Payload, ".")
	// What Paid stores first, and nothing after it.
	_, isNew, err := w.store.RecordPayment(t.Context(), flows.Payment{ChargeID: "ch-1", Chat: c.id, User: c.user, Stars: inv.Stars,
		Currency: "XTR", Payload: inv.Payload, Ref: ref, At: w.clock.Now()}, func(_ *flows.Payment, s *flows.Sale) bool {
		s.ChargeID, s.NextAttempt = "ch-1", time.Time{}
		return s.MoveTo(flows.SalePaid, w.clock.Now()) == nil
	})
	if err != nil || !isNew {
		t.Fatal(isNew, err)
	}
	restarted, err := flows.New(w.cfg, w.store, mustClient(t, w), w.rec, mustCatalog())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := restarted.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.sb.Orders()); n != 1 {
		t.Errorf("%d orders after the restart, want 1", n)
	}
	if s, _ := w.store.Sale(t.Context(), ref); s.State != flows.SaleDelivered {
		t.Errorf("sale %s, want delivered", s.State)
	}
	if len(c.photos()) != 1 {
		t.Errorf("%d QR codes, want 1", len(c.photos()))
	}
}

func TestPaySupportListsPayments(t *testing.T) {
	w := newWorld(t, stars(&refunder{}), func(_ *sandbox.Options, c *flows.Config) { c.Support = "@my_shop" })
	c := w.chat(101, "Ada", "en")
	c.command("/paysupport")
	if !strings.Contains(c.lastText(), "@my_shop") || !strings.Contains(c.lastText(), "no payment") {
		t.Errorf("/paysupport before paying: %q", c.lastText())
	}
	inv := invoiced(t, w, c)
	pay(t, w, c, inv, "ch-1")
	c.command("/paysupport")
	if ref, _, _ := strings.Cut(inv.Payload, "."); !strings.Contains(c.lastText(), ref) || !strings.Contains(c.lastText(), "201") {
		t.Errorf("/paysupport after paying: %q", c.lastText())
	}
	c.command("/terms")
	if !strings.Contains(c.lastText(), "Terms of sale") {
		t.Errorf("/terms: %q", c.lastText())
	}
}

// TestHelpListsPaymentCommands: /help lists /paysupport and /terms, in
// every language, when customers pay through the bot, and not otherwise.
func TestHelpListsPaymentCommands(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []worldOption
		want bool
	}{
		{"Stars", []worldOption{stars(&refunder{})}, true},
		{"NoPayments", nil, false},
	} {
		for _, lang := range []string{"en", "fr", "ar"} {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				w := newWorld(t, tc.opts...)
				c := w.chat(101, "Ada", lang)
				c.command("/help")
				text := c.lastText()
				for _, cmd := range []string{"/paysupport", "/terms"} {
					if got := strings.Contains(text, cmd); got != tc.want {
						t.Errorf("/help lists %s: %v, want %v:\n%s", cmd, got, tc.want, text)
					}
				}
				if !strings.Contains(text, "/help") {
					t.Errorf("/help lost its command list:\n%s", text)
				}
			})
		}
	}
}

// TestMyESIMsShowsPayment: My eSIMs shows a paid sale's payment apart
// from its delivery, while the bundle is bought and once delivered, and
// lists the sales that were paid and refunded (they have no eSIM).
func TestMyESIMsShowsPayment(t *testing.T) {
	t.Run("Refunded", func(t *testing.T) {
		w := newWorld(t, stars(&refunder{}))
		c := w.chat(101, "Ada", "en")
		inv := invoiced(t, w, c)
		if err := w.sb.SetBundleAvailable("FRA_1GB_7D", false); err != nil {
			t.Fatal(err)
		}
		paid(t, w, c, inv, "ch-1")
		c.command("/esims")
		ref, _, _ := strings.Cut(inv.Payload, ".")
		if text := c.lastText(); !strings.Contains(text, ref) || !strings.Contains(text, "· refunded") {
			t.Errorf("My eSIMs does not list the refunded sale %s:\n%s", ref, text)
		}
	})
	t.Run("PaidBeingProcessedThenDelivered", func(t *testing.T) {
		w := newWorld(t, stars(&refunder{}))
		c := w.chat(101, "Ada", "en")
		inv := invoiced(t, w, c)
		ref, _, _ := strings.Cut(inv.Payload, ".")
		// The payment stored, the bundle not bought yet (a crash in between).
		if _, _, err := w.store.RecordPayment(t.Context(), flows.Payment{ChargeID: "ch-1", Chat: c.id, User: c.user, Stars: inv.Stars,
			Currency: "XTR", Payload: inv.Payload, Ref: ref, At: w.clock.Now()}, func(_ *flows.Payment, s *flows.Sale) bool {
			s.ChargeID, s.NextAttempt = "ch-1", time.Time{} // as Paid stores it
			return s.MoveTo(flows.SalePaid, w.clock.Now()) == nil
		}); err != nil {
			t.Fatal(err)
		}
		c.command("/esims")
		if text := c.lastText(); !strings.Contains(text, ref) || !strings.Contains(text, "paid · processing") {
			t.Errorf("My eSIMs does not show the paid sale %s being processed:\n%s", ref, text)
		}
		if err := w.eng.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
		c.flush()
		c.command("/esims")
		if text := c.lastText(); !strings.Contains(text, "paid · delivered") || strings.Contains(text, ref) {
			t.Errorf("My eSIMs after delivery (the eSIM only, paid · delivered):\n%s", text)
		}
	})
}

// TestHelpListsEveryMenuCommand: /help names every command of the
// command menu, in each language (it lacked /alerts).
func TestHelpListsEveryMenuCommand(t *testing.T) {
	w := newWorld(t, stars(&refunder{}))
	for i, lang := range []string{"en", "fr", "ar"} {
		c := w.chat(int64(301+i), "Ada", lang)
		c.command("/help")
		text := c.log.String()
		for _, cmd := range flows.Commands(true) {
			if !strings.Contains(text, "/"+cmd.Name+" ") {
				t.Errorf("/help in %s lacks /%s", lang, cmd.Name)
			}
		}
	}
}

// TestPaymentTextsInTheLanguage: the Stars, the invoice's lapse and the
// payment's date read in the customer's language and digits (they were
// Western digits and an ISO date in Arabic).
func TestPaymentTextsInTheLanguage(t *testing.T) {
	w := newWorld(t, stars(&refunder{}))
	c := w.chat(101, "Ada", "ar")
	toSummary(c, "ar")
	c.tap("✅")
	var inv flows.Invoice
	for _, m := range w.rec.messages(c.id) {
		if m.Invoice != nil {
			inv = *m.Invoice
		}
	}
	if !strings.Contains(inv.Description, "٣٠ دقيقة") {
		t.Errorf("invoice description %q, want the lapse in Arabic", inv.Description)
	}
	pay(t, w, c, inv, "ch-1")
	c.command("/paysupport")
	got := c.lastText()
	for _, want := range []string{"٢٠١ ⭐", "٢٦ نوفمبر ٢٠٢٦", "٠٩:٠٠ UTC"} {
		if !strings.Contains(got, want) {
			t.Errorf("/paysupport lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "2026") {
		t.Errorf("/paysupport shows Western digits:\n%s", got)
	}
}

// TestAdminReportInTheAdminsDigits: a payment report to an admin who
// speaks Arabic writes the Stars and the tries in Arabic digits, and the
// customer's ID as Telegram shows it.
func TestAdminReportInTheAdminsDigits(t *testing.T) {
	r := &refunder{fail: errors.New("telegram unreachable")}
	w := newWorld(t, stars(r))
	w.chat(990, "Boss", "ar").command("/start")
	c := w.chat(101, "Ada", "en")
	inv := invoiced(t, w, c)
	if err := w.sb.SetBundleAvailable("FRA_1GB_7D", false); err != nil {
		t.Fatal(err)
	}
	paid(t, w, c, inv, "ch-1")
	msgs := w.rec.messages(990)
	if len(msgs) < 2 {
		t.Fatalf("no report to the admin: %+v", msgs)
	}
	report := msgs[len(msgs)-1].Text
	for _, want := range []string{"٢٠١ ⭐", "(المحاولة ١)", "101"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q: %s", want, report)
		}
	}
}
