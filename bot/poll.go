package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// newHTTPClient returns the client of every Bot API call. Its timeout only
// backs up the calls' own (getUpdates waits up to PollTimeout, a send up to
// SendTimeout). Its transport keeps an idle connection for every call that
// may run at once: one send per worker, a tap's early answer and a chat
// action per worker, the long poll and the reconciler's sends; Go's default
// of two would open (and tear down) a connection for most calls at load.
func newHTTPClient(cfg Config) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	conns := 2*cfg.Workers + 8
	t.MaxIdleConns = max(t.MaxIdleConns, conns)
	t.MaxIdleConnsPerHost = conns
	return &http.Client{Timeout: max(cfg.PollTimeout, cfg.SendTimeout) + 10*time.Second, Transport: t}
}

// pollAnswer is the Bot API's answer to getUpdates.
type pollAnswer struct {
	OK          bool              `json:"ok"`
	Result      []json.RawMessage `json:"result"`
	ErrorCode   int               `json:"error_code"`
	Description string            `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// poll long-polls Telegram until ctx is done. Every answer is stored in the
// inbox in one transaction and its updates queued; only then is its offset
// confirmed, by the next getUpdates. An answer that cannot be stored is
// asked for again (Telegram keeps it until confirmed), after a pause that
// doubles up to 5 s, like a failed getUpdates.
func (b *Bot) poll(ctx context.Context) {
	var offset int64
	var pause time.Duration
	for {
		if pause > 0 {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if ctx.Err() != nil {
			return
		}
		raws, retryAfter, err := b.getUpdates(ctx, offset)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			b.log.Warn("getUpdates", "err", err)
			pause = max(retryAfter, min(2*pause, 5*time.Second), 100*time.Millisecond)
			continue
		}
		if len(raws) == 0 {
			pause = 0
			continue
		}
		next, err := b.acceptAll(ctx, raws)
		if err != nil {
			b.log.Error("store updates", "count", len(raws), "err", err)
			pause = max(min(2*pause, 5*time.Second), 100*time.Millisecond)
			continue
		}
		pause = 0
		offset = max(offset, next)
	}
}

// getUpdates asks for the updates from offset on, waiting up to
// PollTimeout, and returns them undecoded, or the error (without the
// token) and the wait Telegram asked for.
func (b *Bot) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, time.Duration, error) {
	params := struct {
		Offset         int64    `json:"offset,omitempty"`
		Timeout        int      `json:"timeout"`
		AllowedUpdates []string `json:"allowed_updates"`
	}{Offset: offset, Timeout: max(int(b.cfg.PollTimeout/time.Second)-1, 1), AllowedUpdates: allowedUpdates}
	body, err := json.Marshal(params)
	if err != nil {
		return nil, 0, err
	}
	u := strings.TrimRight(b.cfg.ServerURL, "/") + "/bot" + b.cfg.Token + "/getUpdates"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, 0, errors.New(redact(err, b.cfg.Token))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, 0, errors.New(redact(err, b.cfg.Token))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, errors.New(redact(err, b.cfg.Token))
	}
	var a pollAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, 0, fmt.Errorf("unreadable answer (HTTP %d): %v", resp.StatusCode, err)
	}
	if !a.OK {
		return nil, time.Duration(a.Parameters.RetryAfter) * time.Second,
			fmt.Errorf("%d %s", a.ErrorCode, redact(errors.New(a.Description), b.cfg.Token))
	}
	return a.Result, 0, nil
}

// acceptAll stores the updates of one getUpdates answer in one inbox
// write and returns the offset that confirms them once it is on disk. The
// new ones are queued at once, not after the write: they are handled while
// it runs, and each is marked done only after it (writes). A crash before
// the write is through leaves the answer unconfirmed, so Telegram sends
// it again: at least once, as a crash between handling and marking done
// always was. An update that cannot be decoded is logged and skipped
// (confirmed, like Telegram would drop it), since asking again would bring
// it back forever.
func (b *Bot) acceptAll(ctx context.Context, raws []json.RawMessage) (int64, error) {
	next, ups, ids, payloads := b.decodeAll(raws)
	if len(ups) == 0 {
		return next, nil
	}
	unseen, err := b.inbox.UnseenUpdates(ctx, b.id, ids)
	if err != nil {
		return 0, err
	}
	b.mu.Lock()
	d := b.disp
	b.mu.Unlock()
	for i, upd := range ups {
		switch {
		case !unseen[i]:
			b.log.Debug("duplicate update dropped", "update", upd.ID)
		case d != nil && b.writes.queue(upd.ID):
			d.enqueue(upd)
		}
		// Without a dispatcher (shutting down), the update stays in the
		// inbox and is handled at the next start.
	}
	if _, err := b.inbox.PutUpdates(ctx, b.id, ids, payloads); err != nil {
		return 0, err // the queued ones wait for the write of the answer asked for again
	}
	for _, id := range ids {
		b.writes.stored(id)
	}
	return next, nil
}

// decodeAll decodes the updates of one getUpdates answer, with their IDs
// and payloads, and the offset past them all (unreadable ones included).
func (b *Bot) decodeAll(raws []json.RawMessage) (next int64, ups []*models.Update, ids []int64, payloads [][]byte) {
	ups = make([]*models.Update, 0, len(raws))
	ids = make([]int64, 0, len(raws))
	payloads = make([][]byte, 0, len(raws))
	for _, raw := range raws {
		var upd models.Update
		if err := json.Unmarshal(raw, &upd); err != nil || upd.ID == 0 {
			var id struct {
				ID int64 `json:"update_id"`
			}
			_ = json.Unmarshal(raw, &id)
			b.log.Error("unreadable update skipped", "update", id.ID, "err", err)
			next = max(next, id.ID+1)
			continue
		}
		next = max(next, upd.ID+1)
		ups, ids, payloads = append(ups, &upd), append(ids, upd.ID), append(payloads, raw)
	}
	return next, ups, ids, payloads
}
