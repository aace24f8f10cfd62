package flows_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/flows/memstore"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// block makes every message to a chat fail as Telegram's 403 does (nil
// err: unblocked).
func (w *world) block(chat flows.ChatID, blocked bool) {
	w.rec.mu.Lock()
	defer w.rec.mu.Unlock()
	if w.rec.failChat == nil {
		w.rec.failChat = map[flows.ChatID]error{}
	}
	w.rec.failChat[chat] = nil
	if blocked {
		w.rec.failChat[chat] = fmt.Errorf("sendMessage: 403 Forbidden: bot was blocked by the user: %w", flows.ErrBlocked)
	}
}

// TestBlockedUserGetsTheSaleWhenBack: the user blocks the bot between
// paying (the sale is sold, activation data late) and the delivery. The
// delivery is not retried again and again: the sale is held for the
// user, the admin hears of it once, and when the user writes again the
// eSIM comes first, then the answer to what they wrote.
func TestBlockedUserGetsTheSaleWhenBack(t *testing.T) {
	const admin = 7
	w := newWorld(t, func(o *sandbox.Options, cfg *flows.Config) {
		o.ActivationDelay = time.Minute
		cfg.DeliveryWait = time.Millisecond
		cfg.Admins = []flows.UserID{admin}
	})
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	c.tap("✅")
	if s := c.onlySale(); s.State != flows.SaleAssigned {
		t.Fatalf("sale %s, want assigned awaiting its activation data", s.State)
	}
	w.block(c.id, true)
	w.clock.Add(time.Minute)
	var attempts int
	for i := range 20 {
		if err := w.eng.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
		s := c.onlySale()
		if i == 0 {
			attempts = s.Attempts
		}
		if s.State != flows.SaleAssigned || s.Attempts != attempts {
			t.Fatalf("round %d: sale %s after %d attempts (first %d): delivery retried to a user who blocked the bot", i, s.State, s.Attempts, attempts)
		}
		w.clock.Add(time.Hour)
	}
	if s := c.onlySale(); !s.Held {
		t.Errorf("sale not held for the user: %+v", s)
	}
	alerts := w.rec.messages(admin)
	if len(alerts) != 1 || !strings.Contains(alerts[0].Text, c.onlySale().Ref) || !strings.Contains(alerts[0].Text, "blocked") {
		t.Errorf("admin alerts %+v, want one naming the held sale", alerts)
	}

	w.block(c.id, false)
	before := len(w.rec.messages(c.id))
	c.command("/start")
	got := w.rec.messages(c.id)[before:]
	if len(got) < 3 || !strings.Contains(got[0].Text, "Your eSIM is ready") || got[1].Photo == nil {
		t.Fatalf("after /start the user gets %d messages, want the eSIM first:\n%s", len(got), c.log.String())
	}
	if last := got[len(got)-1]; len(last.Buttons) == 0 || last.Photo != nil {
		t.Errorf("the last message after /start is %q, want the menu", last.Text)
	}
	if s := c.onlySale(); s.State != flows.SaleDelivered || s.Held {
		t.Errorf("sale %s held %v after the user came back", s.State, s.Held)
	}
	if n := len(w.rec.messages(admin)); n != 1 {
		t.Errorf("%d admin alerts, want 1", n)
	}
}

// confirmBlocked plays Ada's purchase (chat 101) to the tap on Confirm,
// with the bot blocked, and returns her chat: the sale is sold and held
// for her.
func confirmBlocked(t *testing.T, w *world) *chat {
	t.Helper()
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	w.block(c.id, true)
	c.tap("✅")
	if s := c.onlySale(); s.State != flows.SaleAssigned || !s.Held {
		t.Fatalf("sale %s held %v, want held for the user", s.State, s.Held)
	}
	return c
}

// TestBlockedDuringTheConfirm: the user blocks the bot right after the
// tap on Confirm, so the delivery in that same turn meets the block; the
// turn's end (which saves the user) keeps them marked, and their next
// message delivers the sale.
func TestBlockedDuringTheConfirm(t *testing.T) {
	w := newWorld(t)
	c := confirmBlocked(t, w)
	w.block(c.id, false)
	c.say("hello")
	if s := c.onlySale(); s.State != flows.SaleDelivered {
		t.Errorf("sale %s after the user wrote again, want delivered:\n%s", s.State, c.log.String())
	}
}

// releaseHook is a store that calls onRelease when a sale held for its
// user is released for delivery.
type releaseHook struct {
	*memstore.Store
	onRelease func()
}

func (h releaseHook) UpdateSale(ctx context.Context, ref string, fn func(*flows.Sale) error) (flows.Sale, error) {
	var released bool
	s, err := h.Store.UpdateSale(ctx, ref, func(s *flows.Sale) error {
		was := s.Held
		err := fn(s)
		released = was && !s.Held
		return err
	})
	if err == nil && released {
		h.onRelease()
	}
	return s, err
}

// reconcilerKey marks the context of the reconciler's run in
// TestHeldSaleNotTakenByTheReconciler.
type reconcilerKey struct{}

// TestHeldSaleNotTakenByTheReconciler: the reconciler runs just as the
// user's /start releases the sale held for them. A released sale is due
// at once, so the reconciler could take it and deliver it while the turn
// goes on to show the menu: the eSIM then came below the menu. The turn
// keeps the sale from its release to its delivery.
func TestHeldSaleNotTakenByTheReconciler(t *testing.T) {
	var w *world
	var reconciled sync.WaitGroup
	inSend, letGo := make(chan struct{}, 1), make(chan struct{})
	w = newWorldWrapped(t, func(m *memstore.Store) flows.Store {
		return releaseHook{Store: m, onRelease: func() {
			done := make(chan struct{})
			reconciled.Add(1)
			go func() {
				defer reconciled.Done()
				defer close(done)
				_ = w.eng.Reconcile(context.WithValue(context.Background(), reconcilerKey{}, true))
			}()
			select { // the reconciler is delivering, or found nothing to do
			case <-inSend:
			case <-done:
			}
		}}
	})
	c := confirmBlocked(t, w)
	w.block(c.id, false)
	w.rec.beforeSend = func(ctx context.Context, _ flows.ChatID, _ flows.Message) {
		if ctx.Value(reconcilerKey{}) != nil {
			inSend <- struct{}{}
			<-letGo // until the user's /start is answered
		}
	}
	before := len(w.rec.messages(c.id))
	c.command("/start")
	close(letGo)
	reconciled.Wait()
	got := w.rec.messages(c.id)[before:]
	if len(got) < 3 || !strings.Contains(got[0].Text, "Your eSIM is ready") || got[1].Photo == nil {
		t.Fatalf("after /start the user gets %d messages, want the eSIM first:\n%s", len(got), c.log.String())
	}
	if last := got[len(got)-1]; !strings.Contains(last.Text, "What would you like to do?") {
		t.Errorf("the last message after /start is %q, want the menu", last.Text)
	}
}

// TestBlockedAgainWhileBack: the user writes to the bot and blocks it
// again before the held sale's delivery in that turn goes out (it meets a
// 403 again). The sale stays held, and the user stays marked, so their
// next event delivers it; before, the turn's end cleared the mark and the
// sale waited for good.
func TestBlockedAgainWhileBack(t *testing.T) {
	w := newWorld(t)
	c := confirmBlocked(t, w)
	// Still blocked: the delivery meets the 403 again, and so does the
	// answer to the message (Handle's error, which the channel logs).
	_, _ = w.eng.Handle(t.Context(), flows.Event{Kind: flows.EventText, Chat: c.id, User: c.user, From: c.from, Text: "hello"})
	if s := c.onlySale(); s.State != flows.SaleAssigned || !s.Held {
		t.Fatalf("sale %s held %v after a second 403", s.State, s.Held)
	}
	if u, err := w.store.User(t.Context(), c.user); err != nil || !u.Blocked {
		t.Errorf("the user is not marked as having blocked the bot after the second 403 (%v)", err)
	}
	w.block(c.id, false)
	c.say("hello again")
	if s := c.onlySale(); s.State != flows.SaleDelivered {
		t.Errorf("sale %s after the user wrote once more, want delivered:\n%s", s.State, c.log.String())
	}
}
