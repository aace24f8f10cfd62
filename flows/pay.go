package flows

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"time"

	"github.com/esimbot/esimbot/locales"
	"github.com/shopspring/decimal"
)

// Payments says how customers pay for a sale.
type Payments string

// The payment methods.
const (
	// PaymentsNone: nobody pays through the bot; with Config.ClosedSales,
	// only agents and admins complete sales.
	PaymentsNone Payments = "none"
	// PaymentsStars: customers pay in Telegram Stars before the bundle is
	// bought; agents and admins sell without paying.
	PaymentsStars Payments = "stars"
)

// StarsCurrency is the currency code of Telegram Stars.
const StarsCurrency = "XTR"

// paymentGrace is how long past its expiry an invoice's sale waits before
// it is failed: a payment whose pre-checkout was accepted just before the
// expiry still finds its sale.
const paymentGrace = 2 * time.Minute

// payKeys are the locale keys of selling and payments: the refusal of a
// customer's Confirm when they may not buy here.
var payKeys = []string{"minutes", "hours", "sale_closed", "sale_closed_support", "invoice_description", "invoice_label",
	"payment_declined_expired", "payment_declined_changed", "payment_declined_unknown", "payment_declined_retry",
	"payment_received", "sale_failed_unpaid", "sale_failed_paid", "terms", "paysupport", "paysupport_contact",
	"paysupport_none", "paysupport_line", "pay_state_paid", "pay_state_problem", "pay_label", "pay_refunded", "pay_refund_due", "pay_awaiting", "esims_orders", "esims_order_line", "payment_refunded", "admin_payment_problem", "admin_refund_failed"}

// mayBuy reports whether u may complete a sale without paying through the
// bot: agents and admins always, customers only while sales are open.
func mayBuy(cfg *Config, u User) bool {
	return u.Role != RoleCustomer || !cfg.ClosedSales || cfg.Payments == PaymentsStars
}

// paying reports whether u pays for what they confirm: customers, when
// payments are on.
func paying(cfg *Config, u User) bool {
	return cfg.Payments == PaymentsStars && u.Role == RoleCustomer
}

// starsOf converts a price to Stars, rounded up (at least 1).
func starsOf(price decimal.Decimal, perUnit decimal.Decimal) int64 {
	return max(price.Mul(perUnit).Ceil().IntPart(), 1)
}

// payloadOf is the invoice payload of a sale: its reference and its
// secret nonce, so it names that sale only and cannot be guessed.
func payloadOf(s Sale) string { return s.Ref + "." + s.InvoiceNonce }

// newNonce returns 80 random bits in base 32.
func newNonce() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand does not fail on supported platforms
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// bill creates the sale of a customer who pays, awaiting payment, with the
// conversation's move to the menu, then sends its invoice: nothing is
// sent to the API before the payment is stored (DESIGN.md invariant 7).
type bill struct {
	sale     Sale
	remember bool
}

func (x bill) String() string { return "bill " + x.sale.BundleCode }

func (x bill) apply(ctx context.Context, t *turn) error {
	e, now := t.e, t.e.cfg.Now()
	s := x.sale
	s.State, s.History, s.Created = SaleConfirmed, []Transition{{State: SaleConfirmed, At: now}}, now
	s.Stars, s.InvoiceNonce = starsOf(s.Price, e.cfg.StarsPerUnit), newNonce()
	s.InvoiceExpires = now.Add(e.cfg.InvoiceTTL)
	s.NextAttempt = s.InvoiceExpires.Add(paymentGrace) // the reconciler fails it then, if unpaid
	t.nextStamp()
	t.conv.Step = stepMenu
	if err := t.createSale(ctx, &s); err != nil {
		return err
	}
	t.conv.Draft = Draft{}
	if e.cfg.Observer != nil {
		e.cfg.Observer.SaleMoved(s)
	}
	if x.remember {
		t.user.Email, t.user.Name, t.user.WhatsApp = s.Email, s.Name, s.WhatsApp
		t.dirty = true
	}
	loc := t.loc
	inv := &Invoice{
		Title:       clip(s.BundleName, 32),
		Description: clip(loc.T("invoice_description", "Bundle", s.BundleName, "Price", loc.Price(s.Price, s.Currency), "Within", within(loc, e.cfg.InvoiceTTL)), 255),
		Payload:     payloadOf(s),
		Label:       clip(loc.T("invoice_label"), 32),
		Stars:       s.Stars,
	}
	if err := t.send(ctx, Message{Invoice: inv}, false); err != nil {
		e.log.WarnContext(ctx, "send invoice", "ref", s.Ref, "err", err)
		return err
	}
	e.log.InfoContext(ctx, "invoice sent", "ref", s.Ref, "stars", s.Stars)
	if o, ok := e.cfg.Observer.(PaymentObserver); ok {
		o.InvoiceSent()
	}
	return nil
}

// PaymentObserver is an Observer that also counts payments, for metrics.
type PaymentObserver interface {
	// InvoiceSent is called after an invoice was sent.
	InvoiceSent()
	// PaymentReceived is called for each new payment, with its amount.
	PaymentReceived(stars int64)
	// Refunded is called after a refund call: outcome is "done" or "failed".
	Refunded(outcome string)
}

// closedSale answers a customer's Confirm while they may not buy here: it
// sells nothing, says how to buy (the shop's contact when there is one),
// and shows the summary again.
func closedSale(c Conversation, u User, in input) (Conversation, []effect) {
	refusal := in.say("sale_closed")
	if in.cfg.Support != "" {
		refusal = in.say("sale_closed_support", "Support", in.cfg.Support)
	}
	return c, []effect{refusal, showScreen{}}
}

// within says a lapse of time as a wait is said in the language: whole
// hours in hours ("24 hours"), anything else in minutes, rounded up.
func within(loc *locales.Localizer, d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return loc.N("hours", int(d/time.Hour))
	}
	return loc.N("minutes", max(int((d+time.Minute-1)/time.Minute), 1))
}
