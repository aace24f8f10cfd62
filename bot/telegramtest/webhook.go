package telegramtest

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
)

// WebhookTimeout is how long a delivery of PushWebhook waits for the
// bot's answer before it counts as not answered (Telegram waits longer).
const WebhookTimeout = 10 * time.Second

// WebhookDelivery is one POST of an update to the webhook (PostWebhook,
// DeliverWebhook or PushWebhook) and how it ended.
type WebhookDelivery struct {
	UpdateID int64
	Status   int   // the HTTP status of the answer; 0 when none came
	Err      error // why no answer came (refused, cut, timed out)
}

// OK reports whether the delivery was acknowledged with a 2xx, which
// removed the update from the pending ones.
func (d WebhookDelivery) OK() bool { return d.Err == nil && d.Status/100 == 2 }

// WebhookVia makes every later delivery to the webhook go to base (a URL
// such as "http://127.0.0.1:8080") followed by the path and query of the
// URL registered with setWebhook, instead of to that URL itself: the fake
// stands for Telegram in front of a TLS-terminating reverse proxy, so the
// bot may register its public https URL and serve plain http on loopback.
// The request's Host stays that of base. An empty base sends deliveries to
// the registered URL again. It may be called at any time, for example
// whenever the bot restarts on another port.
func (s *Server) WebhookVia(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookVia = strings.TrimRight(base, "/")
}

// webhookTarget is where a delivery goes now: the registered URL, or its
// path and query under WebhookVia's base; s.mu must be held.
func (s *Server) webhookTarget() string {
	if s.webhookVia == "" || s.webhook.url == "" {
		return s.webhook.url
	}
	u, err := url.Parse(s.webhook.url)
	if err != nil {
		return s.webhook.url // setWebhook accepted it: not reached
	}
	target := s.webhookVia + u.EscapedPath()
	if u.RawQuery != "" {
		target += "?" + u.RawQuery
	}
	return target
}

// OnWebhookAnswer makes f be called with every later delivery to the
// webhook the moment its status (or failure) is known, before the update
// leaves the pending ones and before the answer's body is read: a test
// may kill the bot the instant it acknowledged an update. nil removes it.
func (s *Server) OnWebhookAnswer(f func(WebhookDelivery)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onAnswer = f
}

// delivered records a delivery's outcome: f of OnWebhookAnswer first,
// then a 2xx takes the update out of the pending ones.
func (s *Server) delivered(d WebhookDelivery) {
	s.mu.Lock()
	f := s.onAnswer
	s.mu.Unlock()
	if f != nil {
		f(d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.OK() {
		s.pending = slices.DeleteFunc(s.pending, func(u pendingUpdate) bool { return u.id == d.UpdateID })
	}
	s.deliveries = append(s.deliveries, d)
	s.notify()
}

// WebhookDeliveries returns every delivery to the webhook so far, in the
// order they ended.
func (s *Server) WebhookDeliveries() []WebhookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WebhookDelivery(nil), s.deliveries...)
}

// PushWebhook delivers the pending updates to the webhook as Telegram does
// once one is set, until ctx ends or the server closes: in update order,
// one request at a time, each as soon as it is pending. An update that
// gets no 2xx (another status, a connection refused or cut, no answer
// within WebhookTimeout) is posted again after retry, and the updates
// behind it wait for it; while no webhook is set, updates wait. It returns
// at once. Updates that allowed_updates leaves out are dropped, as
// getUpdates drops them. WebhookDeliveries lists what it did.
func (s *Server) PushWebhook(ctx context.Context, retry time.Duration) {
	go func() {
		for {
			id, ok := s.nextPush(ctx)
			if !ok {
				return
			}
			pctx, cancel := context.WithTimeout(ctx, WebhookTimeout)
			status, err := s.PostWebhook(pctx, id)
			cancel()
			if err == nil && status/100 == 2 {
				continue
			}
			t := time.NewTimer(retry)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			case <-s.closing:
				t.Stop()
				return
			}
		}
	}()
}

// nextPush waits for a webhook and a pending update, and returns the
// first pending update's ID; false once ctx ended or the server closed.
func (s *Server) nextPush(ctx context.Context) (int64, bool) {
	for ctx.Err() == nil {
		s.mu.Lock()
		if s.webhook.url != "" {
			s.deliverable(0) // drops what allowed_updates leaves out
			if len(s.pending) > 0 {
				id := s.pending[0].id
				s.mu.Unlock()
				return id, true
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, false
		case <-s.closing:
			return 0, false
		}
	}
	return 0, false
}
