package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/esimbot/esimbot/locales"
)

// Sales that end without their eSIM: an invoice that expired unpaid, and
// the refund of a paid sale that failed.

// Refunder gives a payment back: the channel (Telegram's refundStarPayment).
type Refunder interface {
	// RefundStars refunds the payment chargeID of user. An error wrapping
	// ErrAlreadyRefunded means it was refunded before.
	RefundStars(ctx context.Context, user UserID, chargeID string) error
}

// ErrAlreadyRefunded: the payment was refunded already (a retry of a
// refund whose answer was lost).
var ErrAlreadyRefunded = errors.New("payment already refunded")

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
		e.reportAdmins(ctx, "refund_failed|"+s.Ref, "admin_refund_failed", "Ref", s.Ref, "User", int64(s.User), "Stars", amount(s.Stars), "Tries", amount(s.RefundTries))
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
	e.notify(ctx, s, Message{Text: e.cat.For(s.Lang).T("payment_refunded", "Stars", e.cat.For(s.Lang).Number(int64(s.Stars)), "Ref", s.Ref)})
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
// key is the message, args its arguments: an amount is written in each
// admin's digits; anything else (an ID) as given.
func (e *Engine) reportAdmins(ctx context.Context, event, key string, args ...any) {
	e.log.WarnContext(ctx, "admin report", append([]any{"event", event, "key", key}, args...)...)
	e.alertAdmins(ctx, event, func(loc *locales.Localizer) string {
		local := slices.Clone(args)
		for i, v := range local {
			if n, ok := v.(amount); ok && i%2 == 1 {
				local[i] = loc.Number(int64(n))
			}
		}
		return loc.T(key, local...)
	})
}

// amount is a number of an admin report (Stars, tries), written in each
// admin's digits.
type amount int64
