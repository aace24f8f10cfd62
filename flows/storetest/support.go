package storetest

import (
	"errors"
	"testing"

	"github.com/esimbot/esimbot/flows"
)

// testSupport holds the support desk's threads to their contract: one
// open thread per user, a closed one replaced by a new one, staff chat
// messages indexed to their thread only, and pending threads listed until
// all is delivered.
func testSupport(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := t.Context()
	msg := func(text string) flows.SupportMessage { return flows.SupportMessage{Text: text, At: T0} }
	t.Run("OneOpenThreadPerUser", func(t *testing.T) {
		st := open(t)
		a := must(st.AddSupport(ctx, flows.Thread{User: 1, Chat: 1, Lang: "fr"}, msg("hello")))(t)
		b := must(st.AddSupport(ctx, flows.Thread{User: 2, Chat: 2}, msg("hi")))(t)
		a2 := must(st.AddSupport(ctx, flows.Thread{User: 1, Chat: 1}, msg("again")))(t)
		if a.ID == b.ID || a2.ID != a.ID || len(a2.Messages) != 2 || a2.Lang != "fr" || !a2.Created.Equal(T0) {
			t.Fatalf("threads %+v %+v %+v", a, b, a2)
		}
		if th := must(st.UpdateThread(ctx, b.ID, func(*flows.Thread) error { return nil }))(t); len(th.Messages) != 1 || th.User != 2 {
			t.Errorf("the other user's thread %+v", th)
		}
	})
	t.Run("ClosedThenNew", func(t *testing.T) {
		st := open(t)
		a := must(st.AddSupport(ctx, flows.Thread{User: 1, Chat: 1}, msg("hello")))(t)
		must(st.UpdateThread(ctx, a.ID, func(th *flows.Thread) error { th.Closed = T0; return nil }))(t)
		b := must(st.AddSupport(ctx, flows.Thread{User: 1, Chat: 1}, msg("new question")))(t)
		if b.ID == a.ID || len(b.Messages) != 1 {
			t.Fatalf("after closing %d: %+v", a.ID, b)
		}
	})
	t.Run("Posts", func(t *testing.T) {
		st := open(t)
		a := must(st.AddSupport(ctx, flows.Thread{User: 1, Chat: 1}, msg("hello")))(t)
		b := must(st.AddSupport(ctx, flows.Thread{User: 2, Chat: 2}, msg("hi")))(t)
		must(st.UpdateThread(ctx, a.ID, func(th *flows.Thread) error { th.Messages[0].Post = 10; return nil }))(t)
		must(st.UpdateThread(ctx, b.ID, func(th *flows.Thread) error { th.Messages[0].Post = 11; return nil }))(t)
		if th := must(st.ThreadOfPost(ctx, 10))(t); th.ID != a.ID {
			t.Errorf("post 10 in thread %d, want %d", th.ID, a.ID)
		}
		if th := must(st.ThreadOfPost(ctx, 11))(t); th.ID != b.ID {
			t.Errorf("post 11 in thread %d, want %d", th.ID, b.ID)
		}
		for _, post := range []int64{0, 12} {
			_, err := st.ThreadOfPost(ctx, post)
			wantErr(t, err, flows.ErrNotFound)
		}
		_, err := st.UpdateThread(ctx, 999, func(*flows.Thread) error { return nil })
		wantErr(t, err, flows.ErrNotFound)
	})
	t.Run("MediaCopies", func(t *testing.T) {
		st := open(t)
		photo := flows.SupportMessage{Text: "the error", At: T0, Media: 55}
		a := must(st.AddSupport(ctx, flows.Thread{User: 1, Chat: 1}, photo))(t)
		if again := must(st.AddSupport(ctx, flows.Thread{User: 1, Chat: 1}, photo))(t); len(again.Messages) != 1 {
			t.Errorf("the same media message twice: %d messages, want 1", len(again.Messages))
		}
		staff := flows.SupportMessage{Staff: true, Text: "try this", At: T0, Media: 20, Post: 20}
		must(st.UpdateThread(ctx, a.ID, func(th *flows.Thread) error {
			th.Messages[0].Post, th.Messages[0].Copy = 10, 11
			th.Messages = append(th.Messages, staff)
			th.Messages[1].Copy = 12 // the copy in the customer's chat: no staff chat message
			return nil
		}))(t)
		for _, post := range []int64{10, 11, 20} {
			if th := must(st.ThreadOfPost(ctx, post))(t); th.ID != a.ID {
				t.Errorf("post %d in thread %d, want %d", post, th.ID, a.ID)
			}
		}
		_, err := st.ThreadOfPost(ctx, 12)
		wantErr(t, err, flows.ErrNotFound)
	})
	t.Run("Pending", func(t *testing.T) {
		st := open(t)
		a := must(st.AddSupport(ctx, flows.Thread{User: 1, Chat: 1}, msg("hello")))(t)
		b := must(st.AddSupport(ctx, flows.Thread{User: 2, Chat: 2}, msg("hi")))(t)
		if p := must(st.PendingThreads(ctx))(t); len(p) != 2 || p[0].ID != a.ID || p[1].ID != b.ID {
			t.Fatalf("pending %+v", p)
		}
		must(st.UpdateThread(ctx, a.ID, func(th *flows.Thread) error { th.Messages[0].Done = true; return nil }))(t)
		if p := must(st.PendingThreads(ctx))(t); len(p) != 1 || p[0].ID != b.ID {
			t.Fatalf("pending after delivery %+v", p)
		}
		must(st.UpdateThread(ctx, a.ID, func(th *flows.Thread) error { th.Closed = T0; return nil }))(t)
		if p := must(st.PendingThreads(ctx))(t); len(p) != 2 {
			t.Fatalf("a closing not told is pending: %+v", p)
		}
		boom := errors.New("boom")
		_, err := st.UpdateThread(ctx, b.ID, func(th *flows.Thread) error { th.Messages[0].Done = true; return boom })
		wantErr(t, err, boom)
		if p := must(st.PendingThreads(ctx))(t); len(p) != 2 {
			t.Fatalf("a failed update wrote: %+v", p)
		}
	})
	t.Run("Forget", func(t *testing.T) {
		st := open(t)
		a := must(st.AddSupport(ctx, flows.Thread{User: 1, Chat: 1, Name: "Ada"}, msg("my secret trip")))(t)
		must(st.AddSupport(ctx, flows.Thread{User: 1, Chat: 1}, flows.SupportMessage{Text: "my passport", At: T0, Media: 7}))(t)
		if err := st.Forget(ctx, 1, 1); err != nil {
			t.Fatal(err)
		}
		th := must(st.UpdateThread(ctx, a.ID, func(*flows.Thread) error { return nil }))(t)
		if th.Name != "" || th.Messages[0].Text != "" || th.Messages[1].Text != "" || th.Messages[1].Media != 7 {
			t.Errorf("after Forget %+v", th)
		}
	})
}
