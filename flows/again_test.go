package flows_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/flows/memstore"
)

// killedStore is a memory store whose next write that crash matches is
// refused, as if the program were killed just before it: the message sent
// before the write is out, and the record does not say so.
type killedStore struct {
	*memstore.Store
	mu    sync.Mutex
	crash func(before, after flows.Sale) bool
}

var errKilled = errors.New("killed before the write")

func (k *killedStore) UpdateSale(ctx context.Context, ref string, fn func(*flows.Sale) error) (flows.Sale, error) {
	return k.Store.UpdateSale(ctx, ref, func(s *flows.Sale) error {
		before := *s
		if err := fn(s); err != nil {
			return err
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.crash != nil && k.crash(before, *s) {
			k.crash = nil
			return errKilled
		}
		return nil
	})
}

// killBefore gives the world an engine on a store whose write that crash
// matches is lost once.
func killBefore(t *testing.T, w *world, crash func(before, after flows.Sale) bool) {
	t.Helper()
	eng, err := flows.New(w.cfg, &killedStore{Store: w.store, crash: crash}, mustClient(t, w), w.rec, mustCatalog())
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng
}

// TestSecondCopySaysAgain: the program dies after the installation text
// (or the QR code picture) went out and before the sale recorded it, so
// the reconciler sends that part again: the second copy says it is the
// same eSIM again, and the other part is not sent twice.
func TestSecondCopySaysAgain(t *testing.T) {
	for _, tc := range []struct {
		name  string
		crash func(before, after flows.Sale) bool
		texts int // installation texts the user gets
	}{
		{name: "Text", crash: func(b, a flows.Sale) bool { return !b.TextSent && a.TextSent }, texts: 2},
		{name: "Photo", crash: func(b, a flows.Sale) bool { return !b.PhotoSent && a.PhotoSent }, texts: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			killBefore(t, w, tc.crash)
			c := w.chat(101, "Ada", "en")
			toSummary(c)
			c.tap("✅")
			if err := w.eng.Reconcile(t.Context()); err != nil {
				t.Fatal(err)
			}
			c.flush()
			if s := c.onlySale(); s.State != flows.SaleDelivered {
				t.Fatalf("sale %s, want delivered:\n%s", s.State, c.log.String())
			}
			var texts, photos, again []string
			for _, m := range w.rec.messages(c.id) {
				switch {
				case m.Photo != nil:
					photos = append(photos, m.Text)
				case strings.Contains(m.Text, "Your eSIM is ready"):
					texts = append(texts, m.Text)
				default:
					continue
				}
				if strings.Contains(m.Text, "Here is your eSIM again") {
					again = append(again, m.Text)
				}
			}
			if len(texts) != tc.texts || len(photos) != 3-tc.texts {
				t.Fatalf("%d texts and %d pictures, want %d and %d:\n%s", len(texts), len(photos), tc.texts, 3-tc.texts, c.log.String())
			}
			if len(again) != 1 {
				t.Errorf("%d messages say the eSIM comes again, want the second copy only:\n%s", len(again), c.log.String())
			}
			if strings.Contains(texts[0], "again") || strings.Contains(photos[0], "again") {
				t.Errorf("the first copy says again:\n%s", c.log.String())
			}
		})
	}
}

// TestRetryAfterRefusalIsNotAgain: a picture the channel refused did not
// reach the chat, so its retry is the first copy; one whose send failed
// without a word (a timeout: Telegram may have it) comes again saying so.
func TestRetryAfterRefusalIsNotAgain(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		again bool
	}{
		{name: "Refused", err: fmt.Errorf("sendPhoto: 400 Bad Request: %w", flows.ErrRefused)},
		{name: "Unknown", err: errors.New("sendPhoto: context deadline exceeded"), again: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			c := w.chat(101, "Ada", "en")
			toSummary(c)
			w.setPhotoFailure(tc.err)
			c.tap("✅")
			w.setPhotoFailure(nil)
			w.clock.Add(c.onlySale().NextAttempt.Sub(w.clock.Now()))
			if err := w.eng.Reconcile(t.Context()); err != nil {
				t.Fatal(err)
			}
			p := c.photos()
			msgs := w.rec.messages(c.id)
			if len(p) != 1 || c.onlySale().State != flows.SaleDelivered {
				t.Fatalf("%d pictures, sale %s", len(p), c.onlySale().State)
			}
			for _, m := range msgs {
				if m.Photo != nil && strings.Contains(m.Text, "again") != tc.again {
					t.Errorf("the picture after %v says %q, want again %v", tc.err, m.Text, tc.again)
				}
			}
		})
	}
}

// TestReplayedConfirmAfterDelivery: the program dies once the eSIM went
// out (text and picture recorded) and before the sale and the
// conversation recorded the end; after the restart the Confirm tap is
// handled again (replayed from the inbox). It finishes the sale and says
// nothing misleading: no "being processed", no second eSIM, a pointer to
// the eSIM above.
func TestReplayedConfirmAfterDelivery(t *testing.T) {
	w := newWorld(t)
	killBefore(t, w, func(b, a flows.Sale) bool { return a.State == flows.SaleDelivered })
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	confirm := c.button("✅")
	c.tap("✅")
	s := c.onlySale()
	if s.State != flows.SaleAssigned || !s.TextSent || !s.PhotoSent {
		t.Fatalf("sale %s text %v photo %v, want both parts out and the end lost", s.State, s.TextSent, s.PhotoSent)
	}
	// The conversation as the kill left it: waiting for the sale.
	conv, err := w.store.Conversation(t.Context(), c.id)
	if err != nil {
		t.Fatal(err)
	}
	conv.Step, conv.Draft = flows.Step("selling"), flows.Draft{SaleRef: s.Ref}
	if _, err := w.store.SaveConversation(t.Context(), conv); err != nil {
		t.Fatal(err)
	}
	before := len(w.rec.messages(c.id))
	c.handle(flows.Event{Kind: flows.EventButton, Data: confirm}, "[the Confirm tap, replayed]")
	if got := w.rec.messages(c.id)[before:]; len(got) != 0 {
		t.Errorf("the replayed Confirm sent %d messages, want none:\n%s", len(got), c.log.String())
	}
	if !strings.Contains(c.outcome.Notice, "above") {
		t.Errorf("the replayed Confirm's notice is %q, want one pointing at the eSIM above", c.outcome.Notice)
	}
	if s := c.onlySale(); s.State != flows.SaleDelivered {
		t.Errorf("sale %s after the replay, want delivered", s.State)
	}
	if n := len(c.photos()); n != 1 {
		t.Errorf("%d pictures, want 1", n)
	}
}
