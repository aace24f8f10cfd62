package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInbox(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t)
	const bot = 123456
	for _, id := range []int64{7, 3, 5} {
		isNew, err := st.PutUpdate(ctx, bot, id, fmt.Appendf(nil, `{"update_id":%d}`, id))
		if err != nil || !isNew {
			t.Fatalf("PutUpdate(%d) = %v, %v", id, isNew, err)
		}
	}
	if isNew, err := st.PutUpdate(ctx, bot, 5, []byte(`{}`)); err != nil || isNew {
		t.Errorf("PutUpdate(5) again = %v, %v; want a duplicate", isNew, err)
	}
	got, err := st.PendingUpdates(ctx, bot)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got[0]) != `{"update_id":3}` || string(got[2]) != `{"update_id":7}` {
		t.Errorf("PendingUpdates = %q", got)
	}
	if err := st.UpdateDone(ctx, bot, 3); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.PendingUpdates(ctx, bot); len(got) != 2 {
		t.Errorf("after done: %q", got)
	}
	// A handled update delivered again is still a duplicate.
	if isNew, err := st.PutUpdate(ctx, bot, 3, []byte(`{}`)); err != nil || isNew {
		t.Errorf("PutUpdate(3) after done = %v, %v", isNew, err)
	}
	if err := st.Check(); err != nil {
		t.Error(err)
	}
}

// TestInboxPerBot: update IDs are numbered per bot, so two bots on one
// file (the token changed) have updates of the same ID, each its own.
func TestInboxPerBot(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t)
	for _, bot := range []int64{111, 222} {
		if isNew, err := st.PutUpdate(ctx, bot, 1, fmt.Appendf(nil, `{"bot":%d}`, bot)); err != nil || !isNew {
			t.Errorf("bot %d: PutUpdate(1) = %v, %v; want a new update", bot, isNew, err)
		}
	}
	if isNew, err := st.PutUpdate(ctx, 111, 1, []byte(`{}`)); err != nil || isNew {
		t.Errorf("bot 111: PutUpdate(1) again = %v, %v; want a duplicate", isNew, err)
	}
	for _, bot := range []int64{111, 222} {
		got, err := st.PendingUpdates(ctx, bot)
		if err != nil || len(got) != 1 || string(got[0]) != fmt.Sprintf(`{"bot":%d}`, bot) {
			t.Errorf("bot %d: PendingUpdates = %q, %v", bot, got, err)
		}
	}
	if err := st.UpdateDone(ctx, 111, 1); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.PendingUpdates(ctx, 222); len(got) != 1 {
		t.Errorf("bot 111's done removed bot 222's update: %q", got)
	}
	if got, _ := st.PendingUpdates(ctx, 333); len(got) != 0 {
		t.Errorf("bot 333 has pending updates: %q", got)
	}
	t.Run("ErrNotABot", func(t *testing.T) {
		if _, err := st.PutUpdate(ctx, 0, 1, []byte(`{}`)); err == nil {
			t.Error("PutUpdate of bot 0 accepted")
		}
		if _, err := st.PendingUpdates(ctx, -1); err == nil {
			t.Error("PendingUpdates of bot -1 accepted")
		}
		if err := st.UpdateDone(ctx, 0, 1); err == nil {
			t.Error("UpdateDone of bot 0 accepted")
		}
	})
}

// TestPutUpdates: one getUpdates answer is stored in one call, duplicates
// (in the answer itself, or seen before) reported as not new.
func TestPutUpdates(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t)
	const bot = 123456
	if _, err := st.PutUpdate(ctx, bot, 2, []byte(`{"update_id":2}`)); err != nil {
		t.Fatal(err)
	}
	ids := []int64{1, 2, 3, 3}
	payloads := make([][]byte, len(ids))
	for i, id := range ids {
		payloads[i] = fmt.Appendf(nil, `{"update_id":%d}`, id)
	}
	fresh, err := st.PutUpdates(ctx, bot, ids, payloads)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]bool{true, false, true, false}, fresh); d != "" {
		t.Errorf("new updates (-want +got):\n%s", d)
	}
	got, err := st.PendingUpdates(ctx, bot)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{`{"update_id":1}`, `{"update_id":2}`, `{"update_id":3}`}, toStrings(got)); d != "" {
		t.Errorf("pending updates (-want +got):\n%s", d)
	}
	t.Run("ErrMismatch", func(t *testing.T) {
		if _, err := st.PutUpdates(ctx, bot, []int64{4}, nil); err == nil {
			t.Error("PutUpdates with fewer payloads than IDs accepted")
		}
	})
}

// TestUnseenUpdates: what PutUpdates would find new, pending or handled
// updates (within the dedup window) not, and nothing written.
func TestUnseenUpdates(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t)
	const bot = 123456
	for _, id := range []int64{1, 2} {
		if _, err := st.PutUpdate(ctx, bot, id, fmt.Appendf(nil, `{"update_id":%d}`, id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.UpdateDone(ctx, bot, 2); err != nil {
		t.Fatal(err)
	}
	commits := st.Commits()
	unseen, err := st.UnseenUpdates(ctx, bot, []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]bool{false, false, true}, unseen); d != "" {
		t.Errorf("unseen (-want +got):\n%s", d)
	}
	if other, _ := st.UnseenUpdates(ctx, bot+1, []int64{1}); !other[0] {
		t.Error("another bot's update 1 reported seen")
	}
	if st.Commits() != commits {
		t.Error("UnseenUpdates wrote")
	}
	if _, err := st.UnseenUpdates(ctx, 0, []int64{1}); err == nil {
		t.Error("bot 0 accepted")
	}
}

// TestConcurrentUpdatesShareCommits: updates stored at once (webhook
// requests arriving together) share commits through Batch.
func TestConcurrentUpdatesShareCommits(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t)
	const n = 50
	before := st.Commits()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			if _, err := st.PutUpdate(ctx, 123456, int64(i+1), []byte(`{}`)); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := st.Commits() - before; got >= n || got == 0 {
		t.Errorf("%d concurrent updates took %d commits, want fewer, and some", n, got)
	}
	before = st.Commits()
	if _, err := st.PutUpdates(ctx, 123456, []int64{100, 101, 102}, [][]byte{{'1'}, {'2'}, {'3'}}); err != nil {
		t.Fatal(err)
	}
	if got := st.Commits() - before; got != 1 {
		t.Errorf("a batch of updates took %d commits, want 1", got)
	}
}
