package storage_test

import (
	"context"
	"fmt"
	"testing"
)

func TestInbox(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t)
	for _, id := range []int64{7, 3, 5} {
		isNew, err := st.PutUpdate(ctx, id, fmt.Appendf(nil, `{"update_id":%d}`, id))
		if err != nil || !isNew {
			t.Fatalf("PutUpdate(%d) = %v, %v", id, isNew, err)
		}
	}
	if isNew, err := st.PutUpdate(ctx, 5, []byte(`{}`)); err != nil || isNew {
		t.Errorf("PutUpdate(5) again = %v, %v; want a duplicate", isNew, err)
	}
	got, err := st.PendingUpdates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || string(got[0]) != `{"update_id":3}` || string(got[2]) != `{"update_id":7}` {
		t.Errorf("PendingUpdates = %q", got)
	}
	if err := st.UpdateDone(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.PendingUpdates(ctx); len(got) != 2 {
		t.Errorf("after done: %q", got)
	}
	// A handled update delivered again is still a duplicate.
	if isNew, err := st.PutUpdate(ctx, 3, []byte(`{}`)); err != nil || isNew {
		t.Errorf("PutUpdate(3) after done = %v, %v", isNew, err)
	}
	if err := st.Check(); err != nil {
		t.Error(err)
	}
}
