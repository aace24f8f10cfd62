package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
)

// eventLog is an Engine that records the events it is given.
type eventLog struct {
	mu     sync.Mutex
	events []flows.Event
}

func (l *eventLog) Handle(_ context.Context, ev flows.Event) (flows.Outcome, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
	return flows.Outcome{}, nil
}

func (l *eventLog) take() []flows.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := l.events
	l.events = nil
	return evs
}

// memInbox is an Inbox in memory.
type memInbox struct {
	mu   sync.Mutex
	seen map[int64]bool
}

func (m *memInbox) PutUpdate(_ context.Context, _, id int64, _ []byte) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[id] {
		return false, nil
	}
	m.seen[id] = true
	return true, nil
}
func (m *memInbox) PutUpdates(ctx context.Context, bot int64, ids []int64, payloads [][]byte) ([]bool, error) {
	out := make([]bool, len(ids))
	for i, id := range ids {
		out[i], _ = m.PutUpdate(ctx, bot, id, payloads[i])
	}
	return out, nil
}

func (m *memInbox) UnseenUpdates(_ context.Context, _ int64, ids []int64) ([]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]bool, len(ids))
	for i, id := range ids {
		out[i] = !m.seen[id]
	}
	return out, nil
}

func (m *memInbox) PendingUpdates(context.Context, int64) ([][]byte, error) { return nil, nil }
func (m *memInbox) UpdateDone(context.Context, int64, int64) error          { return nil }

const fuzzSecret = "fuzz_webhook-SECRET"

// FuzzUpdate feeds any JSON to the bot as a Telegram update, through the
// webhook and through the dispatch of an update: no panic; the webhook
// answers 200 or 400; an event reaches the engine only from a private chat
// whose user sent it, commands have a sane name and trimmed arguments, and
// group chats never reach the engine.
func FuzzUpdate(f *testing.F) {
	for _, seed := range []string{
		`{"update_id":1,"message":{"message_id":5,"date":1,"chat":{"id":42,"type":"private"},"from":{"id":42,"is_bot":false,"first_name":"A"},"text":"/start FRA"}}`,
		`{"update_id":2,"message":{"message_id":5,"chat":{"id":42,"type":"private"},"from":{"id":43,"first_name":"M"},"text":"forged"}}`,
		`{"update_id":3,"callback_query":{"id":"9","from":{"id":42,"first_name":"A"},"message":{"message_id":7,"date":1,"chat":{"id":42,"type":"private"}},"data":"a.buy"}}`,
		`{"update_id":4,"callback_query":{"id":"9","from":{"id":42,"first_name":"A"},"message":{"message_id":7,"date":0,"chat":{"id":42,"type":"private"}},"data":"g.menu"}}`,
		`{"update_id":5,"message":{"message_id":5,"chat":{"id":-100,"type":"group"},"from":{"id":42,"first_name":"A"},"text":"/start@esimbot_test_bot"}}`,
		`{"update_id":6,"message":{"message_id":5,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"A"},"contact":{"phone_number":"33612345678","first_name":"A","user_id":42}}}`,
		`{"update_id":7,"edited_message":{"message_id":5,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"A"},"text":"x"}}`,
		`{"update_id":8,"my_chat_member":{"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"A"},"date":1,"old_chat_member":{"status":"member","user":{"id":1,"is_bot":true,"first_name":"B"}},"new_chat_member":{"status":"kicked","user":{"id":1,"is_bot":true,"first_name":"B"}}}}`,
		`{"update_id":9,"callback_query":{"id":"9","from":{"id":42,"first_name":"A"},"inline_message_id":"x","data":"a.buy"}}`,
	} {
		f.Add([]byte(seed))
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/getMe") {
			_, _ = w.Write([]byte(`{"ok":true,"result":{"id":123456,"is_bot":true,"first_name":"T","username":"esimbot_test_bot"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"ok":true,"result":true}`))
	}))
	f.Cleanup(api.Close)
	b, err := New(Config{Token: "123456:FUZZ", ServerURL: api.URL, WebhookURL: "https://bot.example/hook", WebhookSecret: fuzzSecret,
		SendTimeout: time.Second, AnswerWithin: time.Minute}, &memInbox{seen: map[int64]bool{}}, nil, locales.MustNew())
	if err != nil {
		f.Fatal(err)
	}
	if err := b.Ping(context.Background()); err != nil {
		f.Fatal(err)
	}
	hook := b.WebhookHandler()
	f.Fuzz(func(t *testing.T, raw []byte) {
		req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(raw))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", fuzzSecret)
		rec := httptest.NewRecorder()
		hook.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("webhook answered %d", rec.Code)
		}
		var upd models.Update
		if json.Unmarshal(raw, &upd) != nil {
			return
		}
		_ = chatOf(&upd)
		engine := &eventLog{}
		b.dispatchUpdate(context.Background(), engine, &upd)
		for _, ev := range engine.take() {
			if ev.User != flows.UserID(ev.Chat) {
				t.Fatalf("event from user %d in chat %d: %+v", ev.User, ev.Chat, ev)
			}
			chat := models.Chat{}
			switch {
			case upd.CallbackQuery != nil && upd.CallbackQuery.Message.Message != nil:
				chat = upd.CallbackQuery.Message.Message.Chat
			case upd.CallbackQuery != nil && upd.CallbackQuery.Message.InaccessibleMessage != nil:
				chat = upd.CallbackQuery.Message.InaccessibleMessage.Chat
			case upd.Message != nil:
				chat = upd.Message.Chat
			}
			if chat.Type != "" && chat.Type != models.ChatTypePrivate {
				t.Fatalf("an event from a %s chat: %+v", chat.Type, ev)
			}
			switch ev.Kind {
			case flows.EventCommand:
				if ev.Command == "" || len(ev.Command) > 32 || strings.Trim(ev.Command, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
					t.Fatalf("command %q", ev.Command)
				}
				if ev.Args != strings.TrimSpace(ev.Args) {
					t.Fatalf("arguments %q not trimmed", ev.Args)
				}
			case flows.EventText, flows.EventButton, flows.EventContact, flows.EventMedia:
			default:
				t.Fatalf("event kind %d", ev.Kind)
			}
		}
	})
}
