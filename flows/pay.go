package flows

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/locales"
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

// Refunder gives a payment back: the channel (Telegram's refundStarPayment).
type Refunder interface {
	// RefundStars refunds the payment chargeID of user. An error wrapping
	// ErrAlreadyRefunded means it was refunded before.
	RefundStars(ctx context.Context, user UserID, chargeID string) error
}

// ErrAlreadyRefunded: the payment was refunded already (a retry of a
// refund whose answer was lost).
var ErrAlreadyRefunded = errors.New("payment already refunded")

// PreCheckout is the question a channel asks before the user's payment is
// taken (Telegram's pre_checkout_query): may this payment go ahead?
type PreCheckout struct {
	// User is who pays.
	User UserID
	// Stars and Currency are the amount asked.
	Stars    int64
	Currency string
	// Payload is the invoice's payload.
	Payload string
}

// payKeys are the locale keys of selling and payments: the refusal of a
// customer's Confirm when they may not buy here.
var payKeys = []string{"sale_closed", "sale_closed_support", "invoice_description", "invoice_label",
	"payment_declined_expired", "payment_declined_changed", "payment_declined_unknown", "payment_declined_retry",
	"payment_received", "sale_failed_unpaid", "sale_failed_paid", "terms", "paysupport", "paysupport_contact",
	"paysupport_none", "paysupport_line", "pay_state_paid", "pay_state_problem", "pay_label", "pay_refunded", "pay_refund_due", "payment_refunded", "admin_payment_problem", "admin_refund_failed"}

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
		Description: clip(loc.T("invoice_description", "Bundle", s.BundleName, "Price", loc.Price(s.Price, s.Currency), "Minutes", int(e.cfg.InvoiceTTL/time.Minute)), 255),
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

// saleOfPayload returns the sale an invoice payload names, if the payload
// is that sale's.
func (e *Engine) saleOfPayload(ctx context.Context, payload string) (Sale, bool, error) {
	ref, nonce, ok := strings.Cut(payload, ".")
	if !ok || ref == "" || nonce == "" {
		return Sale{}, false, nil
	}
	s, err := e.store.Sale(ctx, ref)
	switch {
	case errors.Is(err, ErrNotFound):
		return Sale{}, false, nil
	case err != nil:
		return Sale{}, false, err
	}
	return s, subtle.ConstantTimeCompare([]byte(s.InvoiceNonce), []byte(nonce)) == 1, nil
}

// CheckPayment answers a pre-checkout: ok when the sale the payload names
// still awaits this user's payment of this amount and its bundle is still
// sold at its price (from the catalog cache, refreshed when stale);
// otherwise a reason in the user's language. Call it with a deadline well
// within the channel's (Telegram gives 10 s).
func (e *Engine) CheckPayment(ctx context.Context, q PreCheckout) (ok bool, reason string) {
	lang := ""
	if u, err := e.store.User(ctx, q.User); err == nil {
		lang = u.Lang
	}
	decline := func(key string, why string) (bool, string) {
		e.log.WarnContext(ctx, "payment declined", "user", q.User, "why", why)
		return false, e.cat.For(lang).T(key)
	}
	s, mine, err := e.saleOfPayload(ctx, q.Payload)
	switch {
	case err != nil:
		return decline("payment_declined_retry", err.Error())
	case !mine || s.User != q.User:
		return decline("payment_declined_unknown", "no such sale of this user")
	case !s.AwaitingPayment():
		return decline("payment_declined_unknown", "sale "+string(s.State))
	case !e.cfg.Now().Before(s.InvoiceExpires):
		return decline("payment_declined_expired", "invoice expired")
	case q.Currency != StarsCurrency || q.Stars != s.Stars:
		return decline("payment_declined_changed", "amount changed")
	}
	if lang == "" {
		lang = s.Lang
	}
	if s.Kind == KindNew {
		o, found := e.findBundleStrict(ctx, s.BundleCode)
		if ctx.Err() != nil {
			return decline("payment_declined_retry", "catalog not loaded in time")
		}
		if !found || !o.Price.Equal(s.Price) || o.Currency != s.Currency || starsOf(o.Price, e.cfg.StarsPerUnit) != s.Stars {
			return decline("payment_declined_changed", "bundle gone or price changed")
		}
	}
	return true, ""
}

// Paid takes a payment the channel received (Telegram's
// successful_payment): it is recorded by its charge ID in the transaction
// that moves its sale to paid, before anything else; only then is the
// bundle bought. A payment received again changes nothing; one for an
// unknown or finished sale is recorded and reported to the admins.
func (e *Engine) Paid(ctx context.Context, p Payment) error {
	p.At = e.cfg.Now()
	if ref, _, ok := strings.Cut(p.Payload, "."); ok {
		p.Ref = ref
	}
	s, isNew, err := e.store.RecordPayment(ctx, p, func(p *Payment, s *Sale) bool {
		switch {
		case s == nil:
			p.Problem = "no sale has this reference"
		case payloadOf(*s) != p.Payload || s.User != p.User:
			p.Problem = "the payload is not this sale's"
		case !s.AwaitingPayment():
			p.Problem = "the sale is " + string(s.State) + ", not awaiting payment"
		case p.Stars != s.Stars:
			p.Problem = fmt.Sprintf("paid %d Stars, the sale costs %d", p.Stars, s.Stars)
		default:
			s.ChargeID, s.NextAttempt = p.ChargeID, time.Time{}
			return s.MoveTo(SalePaid, p.At) == nil
		}
		return false
	})
	if err != nil {
		return fmt.Errorf("payment %s: %w", p.ChargeID, err)
	}
	if !isNew {
		e.log.InfoContext(ctx, "payment received again, ignored", "ref", p.Ref)
		return nil
	}
	if o, ok := e.cfg.Observer.(PaymentObserver); ok {
		o.PaymentReceived(p.Stars)
	}
	if s.ChargeID != p.ChargeID {
		e.reportAdmins(ctx, "payment_problem|"+p.ChargeID, "admin_payment_problem", "Ref", p.Ref, "User", int64(p.User), "Stars", p.Stars, "Problem", problemOf(p, s))
		return nil
	}
	if e.cfg.Observer != nil {
		e.cfg.Observer.SaleMoved(s)
	}
	e.log.InfoContext(ctx, "payment received", "ref", s.Ref, "stars", p.Stars)
	e.notify(ctx, s, Message{Text: e.cat.For(s.Lang).T("payment_received")})
	if err := e.process(ctx, s.Ref, true); err != nil {
		e.log.ErrorContext(ctx, "paid sale not finished; the reconciler takes over", "ref", s.Ref, "err", err)
		e.wakeUp()
	}
	return nil
}

// problemOf says why a recorded payment took no sale.
func problemOf(p Payment, s Sale) string {
	if s.Ref == "" {
		return "no sale has this reference"
	}
	return "the sale is " + string(s.State) + ", not awaiting payment"
}

// unpaid handles a sale that awaits payment: once its invoice expired (and
// the grace for a payment under way), it fails, having never been paid.
func (e *Engine) unpaid(ctx context.Context, s Sale) error {
	if e.cfg.Now().Before(s.InvoiceExpires.Add(paymentGrace)) {
		return nil
	}
	return e.fail(ctx, s, "sale_failed_unpaid", errors.New("invoice expired unpaid"))
}

// refund refunds a failed paid sale whose refund is due, once: a success
// (or an answer that it was refunded already) is recorded; a failure is
// reported to the admins and retried by the reconciler with backoff.
func (e *Engine) refund(ctx context.Context, s Sale) error {
	if s.Refund != RefundDue {
		return nil
	}
	if e.cfg.Refunder == nil {
		e.log.ErrorContext(ctx, "refund due but no refunder configured", "ref", s.Ref)
		return nil
	}
	err := e.cfg.Refunder.RefundStars(ctx, s.User, s.ChargeID)
	obs, _ := e.cfg.Observer.(PaymentObserver)
	if err != nil && !errors.Is(err, ErrAlreadyRefunded) {
		e.log.WarnContext(ctx, "refund failed, will retry", "ref", s.Ref, "err", err)
		if obs != nil {
			obs.Refunded("failed")
		}
		s, uerr := e.updateSale(ctx, s.Ref, func(s *Sale) error {
			s.RefundTries++
			s.NextAttempt = e.cfg.Now().Add(min(time.Duration(1<<min(s.RefundTries, 10))*15*time.Second, 30*time.Minute))
			return nil
		})
		if uerr != nil {
			return uerr
		}
		e.reportAdmins(ctx, "refund_failed|"+s.Ref, "admin_refund_failed", "Ref", s.Ref, "User", int64(s.User), "Stars", s.Stars, "Tries", s.RefundTries)
		return nil
	}
	s, err = e.updateSale(ctx, s.Ref, func(s *Sale) error {
		s.Refund, s.NextAttempt = RefundDone, time.Time{}
		return nil
	})
	if err != nil {
		return err
	}
	if obs != nil {
		obs.Refunded("done")
	}
	e.log.InfoContext(ctx, "payment refunded", "ref", s.Ref, "stars", s.Stars)
	e.notify(ctx, s, Message{Text: e.cat.For(s.Lang).T("payment_refunded", "Stars", s.Stars, "Ref", s.Ref)})
	return nil
}

// retryRefunds retries the refunds that are due and returns when the next
// one is. It reads every failed sale: few, at human pace.
func (e *Engine) retryRefunds(ctx context.Context) (time.Time, error) {
	sales, err := e.store.SalesInState(ctx, SaleFailed)
	if err != nil {
		return time.Time{}, fmt.Errorf("refunds: %w", err)
	}
	var next time.Time
	var errs []error
	for _, s := range sales {
		if s.Refund != RefundDue || ctx.Err() != nil {
			continue
		}
		if e.cfg.Now().Before(s.NextAttempt) {
			if next.IsZero() || s.NextAttempt.Before(next) {
				next = s.NextAttempt
			}
			continue
		}
		unlock, ok := e.sales.tryLock(s.Ref)
		if !ok {
			continue
		}
		if s, err = e.store.Sale(ctx, s.Ref); err == nil {
			err = e.refund(ctx, s)
		}
		unlock()
		if err != nil {
			errs = append(errs, err)
		}
	}
	return next, errors.Join(errs...)
}

// reportAdmins logs a payment problem and tells the admins of it once per
// event (alertAdmins: in each admin's language, kept across restarts);
// key is the message, args its arguments.
func (e *Engine) reportAdmins(ctx context.Context, event, key string, args ...any) {
	e.log.WarnContext(ctx, "admin report", append([]any{"event", event, "key", key}, args...)...)
	e.alertAdmins(ctx, event, func(loc *locales.Localizer) string { return loc.T(key, args...) })
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

// srcPayments is the source of a user's payments (key: none).
const srcPayments source = 1000

func init() {
	loaders[srcPayments] = loader{name: "payments", store: true, load: func(ctx context.Context, e *Engine, u User, _ string) (any, error) {
		return e.store.PaymentsByUser(ctx, u.ID)
	}}
}

// maxPaySupport is how many recent payments /paysupport lists.
const maxPaySupport = 5

// paySupport is /paysupport, which Telegram requires of bots that take
// payments: the shop's contact and the user's recent payments.
func paySupport(c Conversation, u User, in input) (Conversation, []effect) {
	pays, wait := want[[]Payment](in, need{src: srcPayments})
	if wait != nil {
		return c, wait
	}
	text := in.loc.T("paysupport")
	if in.cfg.Support != "" {
		text += "\n" + in.loc.T("paysupport_contact", "Support", in.cfg.Support)
	}
	if len(pays) == 0 {
		text += "\n\n" + in.loc.T("paysupport_none")
	}
	for i, p := range pays {
		if i == maxPaySupport {
			break
		}
		text += "\n\n" + in.loc.T("paysupport_line", "Ref", p.Ref, "Stars", p.Stars, "When", p.At.UTC().Format("2006-01-02 15:04 UTC"),
			"Charge", p.ChargeID, "State", in.loc.T(payStateKey(p)))
	}
	return c, []effect{say{key: "paysupport", m: Message{Text: text}}}
}

// payStateKey is the locale key of what became of a payment.
func payStateKey(p Payment) string {
	if p.Problem != "" {
		return "pay_state_problem"
	}
	return "pay_state_paid"
}

// terms is /terms: the operator's terms, or the catalog's.
func terms(c Conversation, _ User, in input) (Conversation, []effect) {
	if in.cfg.Terms != "" {
		return c, []effect{say{key: "terms", m: Message{Text: in.cfg.Terms}}}
	}
	return c, []effect{in.say("terms", "Support", in.cfg.Support)}
}

// saleLabel is a sale's state as the user's lists show it, with its
// payment apart from its delivery: "paid · being delivered", "refunded".
func saleLabel(loc *locales.Localizer, s Sale) string {
	switch {
	case s.Refund == RefundDone:
		return loc.T("pay_refunded")
	case s.Refund == RefundDue:
		return loc.T("pay_refund_due")
	case s.ChargeID != "" && s.State != SaleDelivered:
		return loc.T("pay_label", "State", locales.Raw(stateLabel(loc, s.State)))
	}
	return stateLabel(loc, s.State)
}
