package flows

import (
	"context"
	"time"

	"github.com/esimbot/esimbot/locales"
)

// A sale whose delivery met a user who blocked the bot (Telegram's 403)
// is held for them: retrying cannot reach them, so the reconciler leaves
// it, the admins hear of it once, and it is delivered, before anything
// else, as soon as the user writes to the bot again.

// hold tells of a sale just held for its user: the log, the metrics, the
// admins (once), and the user's record (Blocked, which their next event
// clears and which makes that event deliver the held sales first).
func (e *Engine) hold(ctx context.Context, s Sale, part string, cause error) {
	e.log.WarnContext(ctx, "delivery held: the user blocked the bot; it goes when they write again",
		"ref", s.Ref, "part", part, "user", s.User, "err", cause)
	if e.cfg.Observer != nil {
		e.cfg.Observer.DeliveryRetried(part)
	}
	e.markBlocked(ctx, s.User)
	// The mark comes first: once the admins hear of the held sale, the
	// user's next event delivers it.
	e.alertAdmins(ctx, "held:"+s.Ref, func(loc *locales.Localizer) string {
		return loc.T("alert_held", "Ref", s.Ref, "Bundle", s.BundleName)
	})
}

// markBlocked marks a user who blocked the bot (Telegram's 403): their
// next event clears the mark and delivers what waited for them first.
func (e *Engine) markBlocked(ctx context.Context, id UserID) {
	u, err := e.store.User(ctx, id)
	if err == nil && !u.Blocked {
		u.Blocked = true
		err = e.store.SaveUser(ctx, u)
	}
	if err != nil {
		e.log.WarnContext(ctx, "mark user blocked", "user", id, "err", err)
	}
}

// deliverHeld delivers the sales held for the turn's user, who blocked the
// bot and writes again: before their event is handled, whose answer then
// comes as a new message below them.
func (t *turn) deliverHeld(ctx context.Context) {
	sales, err := t.e.store.SalesInState(ctx, SaleAssigned)
	if err != nil {
		t.e.log.WarnContext(ctx, "sales held for a user", "user", t.user.ID, "err", err)
		return
	}
	for _, s := range sales {
		if !s.Held || s.User != t.user.ID {
			continue
		}
		t.e.log.InfoContext(ctx, "the user writes again: delivering the sale held for them", "ref", s.Ref)
		t.onScreen = false
		err := t.deliverOneHeld(ctx, s.Ref)
		if again, gerr := t.e.store.Sale(ctx, s.Ref); gerr == nil && again.Held {
			t.reblocked = true // blocked again: the mark must stay for the next event
		}
		if err != nil {
			t.e.log.WarnContext(ctx, "deliver a held sale", "ref", s.Ref, "err", err)
		}
	}
}

// deliverOneHeld releases a held sale and delivers it, under the sale's
// lock from the release on: the reconciler, which sees a released sale as
// due at once, must not deliver it after the answer to the user's event.
func (t *turn) deliverOneHeld(ctx context.Context, ref string) error {
	unlock, err := t.e.sales.lock(ctx, ref)
	if err != nil {
		return err
	}
	defer unlock()
	_, err = t.e.updateSale(ctx, ref, func(s *Sale) error {
		s.Held, s.Attempts, s.NextAttempt = false, 0, time.Time{}
		return nil
	})
	if err != nil {
		return err
	}
	return t.e.processLocked(ctx, ref, true)
}
