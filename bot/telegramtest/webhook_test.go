package telegramtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/go-telegram/bot"

	"github.com/esimbot/esimbot/bot/telegramtest"
)

// hookEndpoint is a bot's webhook behind a TLS-terminating proxy: it
// records what reaches it and refuses the first delivery of one update.
type hookEndpoint struct {
	srv *httptest.Server

	mu      sync.Mutex
	got     []int64  // update IDs, in arrival order
	targets []string // path and query of each request
	secrets []string
	refuse  int64 // an update whose first delivery gets 503
}

func newHookEndpoint(t *testing.T, refuse int64) *hookEndpoint {
	e := &hookEndpoint{refuse: refuse}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u struct {
			ID int64 `json:"update_id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&u)
		e.mu.Lock()
		defer e.mu.Unlock()
		e.got = append(e.got, u.ID)
		e.targets = append(e.targets, r.URL.RequestURI())
		e.secrets = append(e.secrets, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if u.ID == e.refuse {
			e.refuse = 0
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *hookEndpoint) seen() (ids []int64, targets, secrets []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.got), slices.Clone(e.targets), slices.Clone(e.secrets)
}

// TestPushWebhook: the pusher waits for a webhook, delivers the pending
// updates in order through WebhookVia's base to the registered path, posts
// again what got no 2xx (a 503, a bot that is down) and moves on only
// then, and lists every delivery; OnWebhookAnswer hears of each before the
// update leaves the pending ones.
func TestPushWebhook(t *testing.T) {
	h := newHarness(t)
	ctx := testContext(t)
	a, b, c := h.fake.SendText(12, 12, "a"), h.fake.SendText(12, 12, "b"), h.fake.SendText(12, 12, "c")
	end := newHookEndpoint(t, b)
	h.fake.WebhookVia(end.srv.URL)
	var mu sync.Mutex
	var answered []int64 // acknowledged updates, still pending when told
	h.fake.OnWebhookAnswer(func(d telegramtest.WebhookDelivery) {
		if d.OK() && slices.Contains(h.fake.Pending(), d.UpdateID) {
			mu.Lock()
			answered = append(answered, d.UpdateID)
			mu.Unlock()
		}
	})
	h.fake.PushWebhook(ctx, 0)
	if ok, err := h.bot.SetWebhook(ctx, &bot.SetWebhookParams{URL: "https://bot.example.test/tg/hook?k=v", SecretToken: "s3cret"}); err != nil || !ok {
		t.Fatalf("setWebhook: %v %v", ok, err)
	}
	if err := h.fake.WaitUntil(ctx, func() bool { return len(h.fake.Pending()) == 0 }); err != nil {
		t.Fatalf("still pending %v: %v", h.fake.Pending(), err)
	}
	ids, targets, secrets := end.seen()
	if want := []int64{a, b, b, c}; !slices.Equal(ids, want) {
		t.Errorf("got updates %v, want %v", ids, want)
	}
	for i := range targets {
		if targets[i] != "/tg/hook?k=v" || secrets[i] != "s3cret" {
			t.Errorf("request %d: got %q with secret %q, want /tg/hook?k=v with s3cret", i, targets[i], secrets[i])
		}
	}
	var ok []bool
	for _, d := range h.fake.WebhookDeliveries() {
		ok = append(ok, d.OK())
	}
	if want := []bool{true, false, true, true}; !slices.Equal(ok, want) {
		t.Errorf("got deliveries acknowledged %v, want %v", ok, want)
	}
	mu.Lock()
	if want := []int64{a, b, c}; !slices.Equal(answered, want) {
		t.Errorf("OnWebhookAnswer told of %v while pending, want %v", answered, want)
	}
	mu.Unlock()
	h.fake.OnWebhookAnswer(nil)

	t.Run("BotDown", func(t *testing.T) {
		end.srv.Close()
		d := h.fake.SendText(12, 12, "d")
		failed := func() bool {
			return slices.ContainsFunc(h.fake.WebhookDeliveries(), func(w telegramtest.WebhookDelivery) bool {
				return w.UpdateID == d && w.Err != nil && w.Status == 0
			})
		}
		if err := h.fake.WaitUntil(ctx, failed); err != nil {
			t.Fatalf("no failed delivery of %d: %v", d, err)
		}
		if p := h.fake.Pending(); !slices.Equal(p, []int64{d}) {
			t.Errorf("got pending %v, want [%d]", p, d)
		}
		back := newHookEndpoint(t, 0)
		h.fake.WebhookVia(back.srv.URL + "/")
		if err := h.fake.WaitUntil(ctx, func() bool { return len(h.fake.Pending()) == 0 }); err != nil {
			t.Fatalf("still pending %v: %v", h.fake.Pending(), err)
		}
		if ids, targets, _ := back.seen(); !slices.Equal(ids, []int64{d}) || targets[0] != "/tg/hook?k=v" {
			t.Errorf("got %v at %v, want [%d] at /tg/hook?k=v", ids, targets, d)
		}
	})
	t.Run("Stopped", func(t *testing.T) {
		stop, cancel := context.WithCancel(ctx)
		h2 := newHarness(t)
		end := newHookEndpoint(t, 0)
		h2.fake.PushWebhook(stop, 0)
		cancel()
		if ok, err := h2.bot.SetWebhook(ctx, &bot.SetWebhookParams{URL: end.srv.URL}); err != nil || !ok {
			t.Fatalf("setWebhook: %v %v", ok, err)
		}
		// PostWebhook, which a stopped pusher would race, goes alone.
		e := h2.fake.SendText(12, 12, "e")
		if status, err := h2.fake.PostWebhook(ctx, e); err != nil || status != http.StatusOK {
			t.Fatalf("got %d, %v", status, err)
		}
		if ids, _, _ := end.seen(); !slices.Equal(ids, []int64{e}) {
			t.Errorf("got %v, want [%d] once", ids, e)
		}
	})
}
