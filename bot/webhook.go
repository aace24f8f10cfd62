package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/go-telegram/bot/models"
)

// queueLeftovers queues the updates the inbox kept (stored, not handled:
// the bot stopped or died first), then the webhook updates that arrived
// meanwhile and are not among them. The webhook is served before Run, so
// Telegram's deliveries may come at any moment of the start: one stored
// before the inbox is read is a leftover too, and queued once, in order.
func (b *Bot) queueLeftovers(ctx context.Context, d *dispatcher) error {
	pending, err := b.inbox.PendingUpdates(ctx, b.id)
	if err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	leftovers := make(map[int64]bool, len(pending))
	for _, raw := range pending {
		var upd models.Update
		if err := json.Unmarshal(raw, &upd); err != nil {
			b.log.Error("unreadable update in the inbox", "err", err)
			continue
		}
		leftovers[upd.ID] = true
		d.enqueue(&upd)
	}
	if len(pending) > 0 {
		b.log.Info("handling updates left in the inbox", "count", len(pending))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.leftovers = leftovers
	for _, upd := range b.held {
		if !leftovers[upd.ID] {
			d.enqueue(upd)
		}
	}
	b.holding, b.held = false, nil
	return nil
}

// accept writes an update, raw as received, to the inbox and queues it if
// it is new.
func (b *Bot) accept(ctx context.Context, upd *models.Update, raw []byte) error {
	isNew, err := b.inbox.PutUpdate(ctx, b.id, upd.ID, raw)
	if err != nil {
		return err
	}
	if !isNew {
		b.log.Debug("duplicate update dropped", "update", upd.ID)
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.disp == nil:
		// Not running (starting or shutting down): the update stays in the
		// inbox and is handled at the next start.
	case b.holding:
		b.held = append(b.held, upd) // queued after the inbox's leftovers
	case b.leftovers[upd.ID]:
		// Stored before Run read the inbox: queued from there.
	default:
		b.disp.enqueue(upd)
	}
	return nil
}

// WebhookHandler receives updates from Telegram in webhook mode. A request
// without the right secret gets 401 and is not handled; an update is
// answered 200 only once it is in the inbox, so Telegram delivers again
// what could not be stored.
func (b *Bot) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if b.cfg.WebhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(b.cfg.WebhookSecret)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var upd models.Update
		if err := json.Unmarshal(body, &upd); err != nil || upd.ID == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		// The body as Telegram sent it is stored: the library cannot write
		// every update it reads back to JSON.
		if err := b.accept(r.Context(), &upd, body); err != nil {
			b.log.Error("store webhook update", "update", upd.ID, "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
