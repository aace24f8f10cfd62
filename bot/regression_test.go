// Regression tests for defects found in review.
package bot_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/storage"
)

// slowEngine blocks on "slow" (like a sale) past the drain time and records
// whether later events arrived with a cancelled context.
type slowEngine struct {
	mu        sync.Mutex
	cancelled []string
	started   chan struct{}
	release   chan struct{}
}

func (s *slowEngine) Handle(ctx context.Context, ev flows.Event) (flows.Outcome, error) {
	if ev.Text == "slow" {
		close(s.started)
		<-s.release // a purchase that outlasts the drain
		return flows.Outcome{}, nil
	}
	if ctx.Err() != nil {
		s.mu.Lock()
		s.cancelled = append(s.cancelled, ev.Text)
		s.mu.Unlock()
		return flows.Outcome{}, ctx.Err()
	}
	return flows.Outcome{}, nil
}

func TestRegressionShutdownDropsQueuedUpdates(t *testing.T) {
	fake := telegramtest.NewServer(t, token)
	st, err := storage.Open(filepath.Join(t.TempDir(), "bot.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fake.SetUser(81, "L", "", "", "en")
	for _, text := range []string{"slow", "after"} {
		raw := fake.Update(fake.SendText(81, 81, text))
		var upd struct {
			ID int64 `json:"update_id"`
		}
		_ = json.Unmarshal(raw, &upd)
		if _, err := st.PutUpdate(context.Background(), fake.BotID(), upd.ID, raw); err != nil {
			t.Fatal(err)
		}
	}
	b, err := bot.New(bot.Config{Token: token, ServerURL: fake.URL(), PollTimeout: 2 * time.Second}, st, st, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	eng := &slowEngine{started: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, eng, 100*time.Millisecond) }()
	<-eng.started
	cancel() // SIGTERM while "slow" runs
	<-done   // Run gave up after the drain time
	close(eng.release)
	// Run has returned: the slow handler may finish, but "after" must not
	// start, and both stay in the inbox for the next start.
	st2 := st // the store stays open, as runBot keeps it until the end
	pending, _ := st2.PendingUpdates(context.Background(), fake.BotID())
	eng.mu.Lock()
	defer eng.mu.Unlock()
	t.Logf("handled with a cancelled context: %q; left in the inbox: %d", eng.cancelled, len(pending))
	if len(eng.cancelled) > 0 {
		t.Errorf("update %q was handled with a cancelled context", eng.cancelled)
	}
	if len(pending) != 2 {
		t.Errorf("%d updates left in the inbox, want 2 (slow, cut short, and after, never started)", len(pending))
	}
}

// blockingEngine holds button presses until released.
type blockingEngine struct{ release chan struct{} }

func (e *blockingEngine) Handle(ctx context.Context, ev flows.Event) (flows.Outcome, error) {
	if ev.Kind == flows.EventButton {
		<-e.release
		return flows.Outcome{Notice: "too late for this"}, nil
	}
	return flows.Outcome{}, nil
}

// A press whose handling takes long (a sale) is answered early, once.
func TestRegressionSlowButtonIsAnsweredEarly(t *testing.T) {
	fake := telegramtest.NewServer(t, token)
	st, err := storage.Open(filepath.Join(t.TempDir(), "bot.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, err := bot.New(bot.Config{Token: token, ServerURL: fake.URL(), PollTimeout: 2 * time.Second, AnswerWithin: 20 * time.Millisecond}, st, st, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	eng := &blockingEngine{release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, eng, 5*time.Second) }()
	fake.SetUser(91, "A", "", "", "en")
	if err := b.Messenger().Send(ctx, 91, flows.Message{Text: "pick", Buttons: [][]flows.Button{{{Text: "Go", Data: "1.go"}}}}); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages(91)
	_, cb := fake.PressButton(91, 91, msgs[len(msgs)-1].ID, "1.go")
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := fake.WaitUntil(wctx, func() bool { return fake.Answered(cb) }); err != nil {
		t.Fatal("a slow press was not answered while it ran")
	}
	close(eng.release)
	cancel()
	<-done
	n := 0
	for _, a := range fake.Answers() {
		if a.CallbackQueryID == cb {
			n++
		}
	}
	if n != 1 {
		t.Errorf("answered %d times, want once", n)
	}
}

// ackingEngine acknowledges a press with a notice (flows.Event.Ack), then
// holds it, as the engine's write to disk would.
type ackingEngine struct{ release chan struct{} }

func (e *ackingEngine) Handle(ctx context.Context, ev flows.Event) (flows.Outcome, error) {
	if ev.Kind != flows.EventButton {
		return flows.Outcome{}, nil
	}
	out := flows.Outcome{Notice: "done"}
	if ev.Ack != nil {
		ev.Ack(out)
	}
	<-e.release
	return out, nil
}

// A press is answered, with its notice, as soon as the engine acknowledges
// it, not when Handle returns: the answer does not wait for the disk.
func TestPressAnsweredAtTheAck(t *testing.T) {
	fake := telegramtest.NewServer(t, token)
	st := tempStore(t)
	// No early answer within the test's waits.
	b, err := bot.New(bot.Config{Token: token, ServerURL: fake.URL(), PollTimeout: 2 * time.Second, AnswerWithin: time.Minute}, st, st, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	eng := &ackingEngine{release: make(chan struct{})}
	ctx := serve(t, b, eng, 5*time.Second)
	defer close(eng.release)
	fake.SetUser(92, "A", "", "", "en")
	if err := b.Messenger().Send(ctx, 92, flows.Message{Text: "pick", Buttons: [][]flows.Button{{{Text: "Go", Data: "1.go"}}}}); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages(92)
	_, cb := fake.PressButton(92, 92, msgs[len(msgs)-1].ID, "1.go")
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := fake.WaitUntil(wctx, func() bool { return fake.Answered(cb) }); err != nil {
		t.Fatal("the press was not answered at the engine's Ack")
	}
	for _, a := range fake.Answers() {
		if a.CallbackQueryID == cb && a.Text != "done" {
			t.Errorf("answered %q, want the notice %q", a.Text, "done")
		}
	}
}

// tempStore opens a store on a new file, closed at the end of the test.
func tempStore(t *testing.T) *storage.Store {
	t.Helper()
	st, err := storage.Open(filepath.Join(t.TempDir(), "bot.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// serve runs b with eng until the end of the test (stopped before the
// store closes) and returns the context it runs in.
func serve(t *testing.T, b *bot.Bot, eng bot.Engine, drain time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, eng, drain) }()
	t.Cleanup(func() { cancel(); <-done })
	return ctx
}
