package flows

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

// Taking a payment: the pre-checkout question and the payment received.

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
// sold at its price (from the catalog cache, refreshed when stale: the
// top-up catalog of its eSIM for a top-up);
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
	if key, why := e.unpayable(q, s, mine, err); key != "" {
		return decline(key, why)
	}
	if lang == "" {
		lang = s.Lang
	}
	o, found, err := e.currentOffer(ctx, s)
	if ctx.Err() != nil || err != nil {
		return decline("payment_declined_retry", fmt.Sprintf("catalog not loaded in time: %v", errors.Join(ctx.Err(), err)))
	}
	if !found || !o.Price.Equal(s.Price) || o.Currency != s.Currency || starsOf(o.Price, e.cfg.StarsPerUnit) != s.Stars {
		return decline("payment_declined_changed", "bundle gone or price changed")
	}
	return true, ""
}

// unpayable says why the pre-checkout q cannot pay sale s, read from its
// payload (mine and err as saleOfPayload returned them): the locale key of
// the reason and the reason for the log, or "" when the sale awaits this
// payment.
func (e *Engine) unpayable(q PreCheckout, s Sale, mine bool, err error) (key, why string) {
	switch {
	case err != nil:
		return "payment_declined_retry", err.Error()
	case !mine || s.User != q.User:
		return "payment_declined_unknown", "no such sale of this user"
	case !s.AwaitingPayment():
		return "payment_declined_unknown", "sale " + string(s.State)
	case !e.cfg.Now().Before(s.InvoiceExpires):
		return "payment_declined_expired", "invoice expired"
	case q.Currency != StarsCurrency || q.Stars != s.Stars:
		return "payment_declined_changed", "amount changed"
	}
	return "", ""
}

// currentOffer is the bundle of a sale as it is sold now, from a catalog
// no older than its TTL: the catalog for a new eSIM, the top-up catalog of
// its profile (GET /v2/Bundles/Topup) for a top-up. The error is the top-up
// catalog's: it could not be read.
func (e *Engine) currentOffer(ctx context.Context, s Sale) (BundleOffer, bool, error) {
	if s.Kind != KindTopup {
		o, found := e.findBundleStrict(ctx, s.BundleCode)
		return o, found, nil
	}
	offers, err := e.topupOffersIn(ctx, s.ICCID, cachedStrict[[]reseller.Bundle])
	if err != nil {
		return BundleOffer{}, false, err
	}
	o, found := offerOf(offers, s.BundleCode)
	return o, found, nil
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
		e.reportAdmins(ctx, "payment_problem|"+p.ChargeID, "admin_payment_problem", "Ref", p.Ref, "User", int64(p.User), "Stars", amount(p.Stars), "Problem", problemOf(p, s))
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
