package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/storage"
)

// gatedInbox is the store whose PendingUpdates, at start, waits for the
// test: a webhook request comes in while the bot reads what the inbox
// kept.
type gatedInbox struct {
	*storage.Store
	reading, proceed chan struct{}
}

func (g *gatedInbox) PendingUpdates(ctx context.Context, bot int64) ([][]byte, error) {
	close(g.reading)
	<-g.proceed
	return g.Store.PendingUpdates(ctx, bot)
}

// TestWebhookDuringStart: updates left in the inbox by a killed bot are
// handled before, and not again after, those Telegram delivers to the
// webhook while the restarted bot reads them (the webhook is served as
// soon as the program listens, before Run queues the inbox). They used to
// be queued before the leftovers, so a user's last message was handled
// first (a "skip" taken for the email typed before it), and handled twice.
func TestWebhookDuringStart(t *testing.T) {
	const secret = "s3cret_webhook-TOKEN"
	fake := telegramtest.NewServer(t, token)
	st, err := storage.Open(filepath.Join(t.TempDir(), "bot.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fake.SetUser(91, "S", "", "", "en")
	updateID := func(raw []byte) int64 {
		var u struct {
			ID int64 `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &u); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	// Acknowledged before the kill, never handled.
	left := fake.Update(fake.SendText(91, 91, "first"))
	if _, err := st.PutUpdate(ctx, fake.BotID(), updateID(left), left); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewServer(nil)
	defer srv.Close()
	inbox := &gatedInbox{Store: st, reading: make(chan struct{}), proceed: make(chan struct{})}
	logs := &syncBuffer{}
	b, err := bot.New(bot.Config{Token: token, ServerURL: fake.URL(), WebhookURL: srv.URL + "/hook", WebhookSecret: secret,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}, inbox, st, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = b.WebhookHandler()
	eng := &scripted{msg: b.Messenger()}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(runCtx, eng, 5*time.Second) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	post := func(text string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/hook", bytes.NewReader(fake.Update(fake.SendText(91, 91, text))))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook: %d", resp.StatusCode)
		}
	}
	select {
	case <-inbox.reading:
	case <-ctx.Done():
		t.Fatal("the bot does not read its inbox")
	}
	post("second") // stored: the inbox read below finds it too
	close(inbox.proceed)
	if err := fake.WaitUntil(ctx, func() bool { _, _, set := fake.Webhook(); return set }); err != nil {
		t.Fatal("webhook not registered")
	}
	post("third")
	if _, err := fake.WaitFor(ctx, 91, func(msgs []telegramtest.Message) bool {
		return slices.ContainsFunc(msgs, func(m telegramtest.Message) bool {
			return m.FromBot && strings.Contains(m.Text, `"third"`)
		})
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range eng.seen() {
		got = append(got, ev.Text)
	}
	if want := []string{"first", "second", "third"}; !slices.Equal(got, want) {
		t.Errorf("handled %q, want %q\n%s", got, want, logs)
	}
}
