package flows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

// reconcile asks the API what became of a sale in state assigning
// (DESIGN.md invariant 3) and continues from its answer.
func (e *Engine) reconcile(ctx context.Context, s Sale, interactive bool) error {
	o, err := e.api.OrderByReference(ctx, s.Ref)
	switch {
	case err == nil && o.Failed():
		return e.fail(ctx, s, "sale_failed_api", fmt.Errorf("order %s failed on the platform", s.Ref))
	case err == nil:
		s, err = e.assigned(ctx, s.Ref, o.ID.String(), o.ICCID.String(), nil)
		if err != nil {
			return err
		}
		return e.deliver(ctx, s, interactive)
	case errors.Is(err, reseller.ErrNotFound) && s.Unseen+1 >= maxReconcile:
		// Asked again and again (see schedule): the platform never took the order.
		return e.fail(ctx, s, "sale_not_charged", err)
	}
	first := s.Attempts == 0
	notFound := errors.Is(err, reseller.ErrNotFound) // only these count toward "never charged"; outages do not
	s, uerr := e.updateSale(ctx, s.Ref, func(s *Sale) error {
		if notFound {
			s.Unseen++
		}
		e.schedule(s, notFound)
		return nil
	})
	if uerr != nil {
		return uerr
	}
	if first {
		e.notify(ctx, s, Message{Text: e.cat.For(s.Lang).T(agentKey("sale_pending", s.SoldBy))})
	}
	e.log.WarnContext(ctx, "sale not reconciled yet", "ref", s.Ref, "attempt", s.Attempts, "err", err)
	return nil
}

// Reconcile moves every unfinished sale forward whose next attempt is due:
// sales confirmed but never sent, sales whose outcome is unknown, and paid
// sales not yet delivered (DESIGN.md invariants 3 and 4). Call it at start
// and periodically; Run does.
func (e *Engine) Reconcile(ctx context.Context) error {
	_, err := e.reconcileDue(ctx)
	return err
}

// reconcileDue is Reconcile that also returns when the next unfinished
// sale is due (the zero time when none is waiting).
func (e *Engine) reconcileDue(ctx context.Context) (time.Time, error) {
	sales, err := e.store.SalesInState(ctx, SaleConfirmed, SalePaid, SaleAssigning, SaleAssigned)
	if err != nil {
		return time.Time{}, fmt.Errorf("reconcile: %w", err)
	}
	now := e.cfg.Now()
	var errs []error
	var next time.Time
	for _, s := range sales {
		if ctx.Err() != nil {
			break
		}
		if s.Held { // for the user's next event (held.go)
			continue
		}
		if !s.NextAttempt.IsZero() && now.Before(s.NextAttempt) {
			next = earlier(next, s.NextAttempt)
			continue
		}
		if err := e.process(ctx, s.Ref, false); err != nil {
			errs = append(errs, err)
		}
		if s, err := e.store.Sale(ctx, s.Ref); err == nil && !s.State.Finished() {
			next = earlier(next, s.NextAttempt)
		}
	}
	if due, err := e.retryRefunds(ctx); err != nil {
		errs = append(errs, err)
	} else {
		next = earlier(next, due)
	}
	return next, errors.Join(errs...)
}

// earlier returns the earlier of two times, a zero time being none.
func earlier(a, b time.Time) time.Time {
	if b.IsZero() || !a.IsZero() && a.Before(b) {
		return a
	}
	return b
}

// wakeUp tells Run that a sale was scheduled, so it looks again sooner
// than its interval.
func (e *Engine) wakeUp() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run reconciles sales and sweeps idle conversations until ctx is done:
// sales at start, then as soon as the next one is due (a failed delivery
// is retried within seconds) and at least every interval; conversations
// every interval.
func (e *Engine) Run(ctx context.Context, every time.Duration) {
	go e.Warm(ctx)
	var swept time.Time
	for {
		next, err := e.reconcileDue(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.ErrorContext(ctx, "reconcile", "err", err)
		}
		if err := e.Watch(ctx); err != nil && ctx.Err() == nil {
			e.log.ErrorContext(ctx, "watch stuck sales", "err", err)
		}
		if err := e.retrySupport(ctx); err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "support desk", "err", err)
		}
		if time.Since(swept) >= every {
			if _, err := e.Sweep(ctx); err != nil && ctx.Err() == nil {
				e.log.ErrorContext(ctx, "sweep conversations", "err", err)
			}
			swept = time.Now()
		}
		wait := every
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(e.cfg.Now()), 100*time.Millisecond))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-e.wake:
			timer.Stop()
		}
	}
}
