package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/storage"
)

// watchedInbox is the store, with each PutUpdates call recorded along with
// the offset Telegram had been given when it ran; the first failures calls
// fail.
type watchedInbox struct {
	*storage.Store
	fake *telegramtest.Server

	mu        sync.Mutex
	failures  int
	batches   [][]int64
	confirmed []int64 // fake.Confirmed() during each call
}

func (w *watchedInbox) PutUpdates(ctx context.Context, bot int64, ids []int64, payloads [][]byte) ([]bool, error) {
	w.mu.Lock()
	w.batches = append(w.batches, append([]int64(nil), ids...))
	w.confirmed = append(w.confirmed, w.fake.Confirmed())
	fail := w.failures > 0
	w.failures--
	w.mu.Unlock()
	if fail {
		return nil, errors.New("disk full")
	}
	return w.Store.PutUpdates(ctx, bot, ids, payloads)
}

// One getUpdates answer is stored in one inbox write, and its offset is
// confirmed only after it; an answer that could not be stored is asked for
// again, and handled once.
func TestPollStoresAnAnswerThenConfirms(t *testing.T) {
	fake := telegramtest.NewServer(t, token)
	st, err := storage.Open(filepath.Join(t.TempDir(), "bot.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inbox := &watchedInbox{Store: st, fake: fake, failures: 1}
	const chats = 5
	var ids []int64
	for c := int64(1); c <= chats; c++ {
		fake.SetUser(c, "U", "", "", "en")
		ids = append(ids, fake.SendText(c, c, fmt.Sprint("hello ", c)))
	}
	b, err := bot.New(bot.Config{Token: token, ServerURL: fake.URL(), PollTimeout: 2 * time.Second}, inbox, st, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	eng := &scripted{msg: b.Messenger()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, eng, time.Second) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := fake.WaitUntil(wctx, func() bool { return len(eng.seen()) == chats && fake.Confirmed() == ids[chats-1] }); err != nil {
		t.Fatalf("%d updates handled, %d confirmed: %v", len(eng.seen()), fake.Confirmed(), err)
	}
	cancel()
	<-done
	inbox.mu.Lock()
	defer inbox.mu.Unlock()
	if len(inbox.batches) != 2 {
		t.Fatalf("inbox writes %v, want two (one failed, one stored)", inbox.batches)
	}
	for i, batch := range inbox.batches {
		if len(batch) != chats {
			t.Errorf("write %d held updates %v, want the whole answer %v", i, batch, ids)
		}
		if inbox.confirmed[i] >= ids[0] {
			t.Errorf("write %d ran with update %d confirmed already", i, inbox.confirmed[i])
		}
	}
}

// slowInbox is the store with its PutUpdates held until released, and the
// updates marked done recorded along with whether the write was through.
type slowInbox struct {
	*storage.Store
	release chan struct{}

	mu      sync.Mutex
	written bool
	done    []string // "id after the write" or "id before the write"
}

func (s *slowInbox) PutUpdates(ctx context.Context, bot int64, ids []int64, payloads [][]byte) ([]bool, error) {
	<-s.release
	fresh, err := s.Store.PutUpdates(ctx, bot, ids, payloads)
	s.mu.Lock()
	s.written = true
	s.mu.Unlock()
	return fresh, err
}

func (s *slowInbox) UpdateDone(ctx context.Context, bot, id int64) error {
	s.mu.Lock()
	when := "before"
	if s.written {
		when = "after"
	}
	s.mu.Unlock()
	err := s.Store.UpdateDone(ctx, bot, id)
	s.mu.Lock()
	s.done = append(s.done, fmt.Sprintf("%d %s the write", id, when))
	s.mu.Unlock()
	return err
}

// A polled update is handled while its answer's inbox write runs (the
// write is no longer in the reply's way), yet it is marked done, and its
// offset confirmed, only once that write is through.
func TestPolledUpdateHandledDuringItsWrite(t *testing.T) {
	fake := telegramtest.NewServer(t, token)
	st := tempStore(t)
	inbox := &slowInbox{Store: st, release: make(chan struct{})}
	b, err := bot.New(bot.Config{Token: token, ServerURL: fake.URL(), PollTimeout: 2 * time.Second}, inbox, st, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	serve(t, b, &scripted{msg: b.Messenger()}, time.Second)
	fake.SetUser(61, "U", "", "", "en")
	id := fake.SendText(61, 61, "hello")
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := fake.WaitUntil(wctx, func() bool { return len(fake.Messages(61)) >= 2 }); err != nil {
		close(inbox.release)
		t.Fatalf("no reply while the inbox write was held: %v\n%s", err, fake.Transcript(61))
	}
	inbox.mu.Lock()
	early := slices.Clone(inbox.done)
	inbox.mu.Unlock()
	if len(early) > 0 || fake.Confirmed() >= id {
		t.Errorf("before the write: marked done %q, offset confirmed past %d (update %d)", early, fake.Confirmed(), id)
	}
	close(inbox.release)
	if err := fake.WaitUntil(wctx, func() bool {
		inbox.mu.Lock()
		defer inbox.mu.Unlock()
		return len(inbox.done) > 0 && fake.Confirmed() >= id
	}); err != nil {
		t.Fatalf("not marked done and confirmed after the write: %v", err)
	}
	inbox.mu.Lock()
	defer inbox.mu.Unlock()
	if want := fmt.Sprintf("%d after the write", id); len(inbox.done) != 1 || inbox.done[0] != want {
		t.Errorf("marked done %q, want [%q]", inbox.done, want)
	}
	if pending, _ := st.PendingUpdates(context.Background(), fake.BotID()); len(pending) != 0 {
		t.Errorf("%d updates left pending", len(pending))
	}
}
