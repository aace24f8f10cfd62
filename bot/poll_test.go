package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
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
