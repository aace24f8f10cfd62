package flows_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// retries is an Observer that counts delivery retries by part.
type retries struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *retries) SaleMoved(flows.Sale)          {}
func (r *retries) WalletBalance(decimal.Decimal) {}
func (r *retries) DeliveryRetried(part string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[part]++
}

func (r *retries) count(part string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[part]
}

func withObserver(o flows.Observer) worldOption {
	return func(_ *sandbox.Options, cfg *flows.Config) { cfg.Observer = o }
}

// texts counts the messages whose text contains s.
func (c *chat) texts(s string) int {
	n := 0
	for _, m := range c.w.rec.messages(c.id) {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

func (c *chat) onlySale() flows.Sale {
	c.w.t.Helper()
	sales, err := c.w.store.SalesByUser(c.w.t.Context(), c.user)
	if err != nil || len(sales) != 1 {
		c.w.t.Fatalf("sales %+v, %v", sales, err)
	}
	return sales[0]
}

func (w *world) setPhotoFailure(err error) {
	w.rec.mu.Lock()
	defer w.rec.mu.Unlock()
	w.rec.failPhoto = err
}

func TestPhotoFailureDeliversTheTextAtOnce(t *testing.T) {
	obs := &retries{}
	w := newWorld(t, withObserver(obs))
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	w.setPhotoFailure(errors.New("sendPhoto: 500 Internal Server Error"))
	c.tap("✅")
	order := w.sb.Orders()[0]
	smdp, code, _ := strings.Cut(strings.TrimPrefix(order.ActivationCode, "LPA:1$"), "$")
	for _, want := range []string{order.ICCID, smdp, code, "esimsetup.apple.com", "esimsetup.android.com"} {
		if !strings.Contains(c.log.String(), want) {
			t.Errorf("the text delivered without the photo lacks %q:\n%s", want, c.log.String())
		}
	}
	s := c.onlySale()
	if s.State != flows.SaleAssigned || !s.TextSent || s.PhotoSent {
		t.Fatalf("sale %s text %v photo %v, want assigned with the text sent", s.State, s.TextSent, s.PhotoSent)
	}
	if wait := s.NextAttempt.Sub(w.clock.Now()); wait <= 0 || wait > 5*time.Second {
		t.Errorf("photo retried in %v, want within seconds", wait)
	}
	if obs.count("photo") != 1 {
		t.Errorf("photo retries counted %d, want 1", obs.count("photo"))
	}
	if strings.Contains(strings.ToLower(c.log.String()), "try again") {
		t.Errorf("a charged buyer is told to try again:\n%s", c.log.String())
	}

	// Telegram recovers: the photo alone is sent, the text not again.
	w.setPhotoFailure(nil)
	w.clock.Add(3 * time.Second)
	if err := w.eng.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(c.photos()); n != 1 {
		t.Errorf("%d photos after the retry, want 1", n)
	}
	if n := c.texts("Your eSIM is ready"); n != 1 {
		t.Errorf("the installation text was sent %d times, want once", n)
	}
	if s := c.onlySale(); s.State != flows.SaleDelivered || !s.PhotoSent {
		t.Errorf("sale %s photo %v after the retry", s.State, s.PhotoSent)
	}
}

func TestPhotoRefusedForGoodStillDelivers(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	w.setPhotoFailure(errors.New("sendPhoto: 400 Bad Request: IMAGE_PROCESS_FAILED"))
	c.tap("✅")
	var waits []time.Duration
	for i := 0; i < 20 && c.onlySale().State == flows.SaleAssigned; i++ {
		s := c.onlySale()
		waits = append(waits, s.NextAttempt.Sub(w.clock.Now()))
		w.clock.Add(s.NextAttempt.Sub(w.clock.Now()))
		if err := w.eng.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	s := c.onlySale()
	if s.State != flows.SaleDelivered || s.PhotoSent || !s.TextSent {
		t.Fatalf("sale %s text %v photo %v after %d photo attempts", s.State, s.TextSent, s.PhotoSent, len(waits)+1)
	}
	if n := c.texts("Your eSIM is ready"); n != 1 {
		t.Errorf("the installation text was sent %d times, want once", n)
	}
	for i := 1; i < len(waits); i++ {
		if waits[i] < waits[i-1] {
			t.Errorf("backoff shrank: %v", waits)
		}
	}
	if len(waits) < 3 || waits[0] > 5*time.Second {
		t.Errorf("backoff %v: want a first retry within seconds and several tries", waits)
	}
}

func TestDeliveryBackoffIsCapped(t *testing.T) {
	w := newWorld(t)
	c := w.chat(101, "Ada", "en")
	toSummary(c)
	w.rec.mu.Lock()
	w.rec.fail = errors.New("telegram is down")
	w.rec.mu.Unlock()
	c.handle(flows.Event{Kind: flows.EventButton, Data: c.button("✅")}, "[tap ✅ while Telegram is down]")
	var last time.Duration
	for range 30 {
		s := c.onlySale()
		last = s.NextAttempt.Sub(w.clock.Now())
		w.clock.Add(last)
		if err := w.eng.Reconcile(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if s := c.onlySale(); s.State != flows.SaleAssigned {
		t.Fatalf("sale %s while Telegram is down, want assigned (kept for delivery)", s.State)
	}
	if last > 10*time.Minute || last < time.Minute {
		t.Errorf("backoff after 30 attempts %v, want capped at 10 minutes", last)
	}
	w.rec.mu.Lock()
	w.rec.fail = nil
	w.rec.mu.Unlock()
	w.clock.Add(last)
	if err := w.eng.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := c.onlySale(); s.State != flows.SaleDelivered {
		t.Errorf("sale %s once Telegram is back", s.State)
	}
	if n := len(c.photos()); n != 1 {
		t.Errorf("%d photos, want 1", n)
	}
}
