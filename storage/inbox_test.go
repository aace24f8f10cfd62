package storage_test

import (
	"context"
	"fmt"
	"testing"
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
