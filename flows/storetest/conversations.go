package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
)

func testConversation(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	t.Run("ErrNotFound", func(t *testing.T) {
		st := open(t)
		_, err := st.Conversation(ctx, 42)
		wantErr(t, err, flows.ErrNotFound)
	})
	t.Run("NewSavedAtVersion1", func(t *testing.T) {
		st := open(t)
		c := NewConversation(42, T0)
		saved := must(st.SaveConversation(ctx, c))(t)
		if saved.Version != 1 {
			t.Fatalf("new conversation saved at version %d, want 1", saved.Version)
		}
		want := c
		want.Version = 1
		diff(t, "saved", saved, want)
		diff(t, "read", must(st.Conversation(ctx, 42))(t), want)
	})
	t.Run("VersionsIncrease", func(t *testing.T) {
		st := open(t)
		c := NewConversation(42, T0)
		for want := uint64(1); want <= 5; want++ {
			c.Step = flows.Step(fmt.Sprint("step", want))
			c = must(st.SaveConversation(ctx, c))(t)
			if c.Version != want {
				t.Fatalf("got version %d, want %d", c.Version, want)
			}
		}
		if got := must(st.Conversation(ctx, 42))(t); got.Version != 5 || got.Step != "step5" {
			t.Errorf("read version %d step %q, want 5 step5", got.Version, got.Step)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		st := open(t)
		v1 := must(st.SaveConversation(ctx, NewConversation(42, T0)))(t)
		v2 := v1
		v2.Step = "email"
		v2 = must(st.SaveConversation(ctx, v2))(t)
		stale := v1
		stale.Step = "stale"
		_, err := st.SaveConversation(ctx, stale)
		wantErr(t, err, flows.ErrConflict)
		_, err = st.SaveConversation(ctx, NewConversation(42, T0)) // version 0 over an existing one
		wantErr(t, err, flows.ErrConflict)
		ahead := v2
		ahead.Version = 9
		_, err = st.SaveConversation(ctx, ahead)
		wantErr(t, err, flows.ErrConflict)
		diff(t, "stored after refusals", must(st.Conversation(ctx, 42))(t), v2)
	})
	t.Run("ErrConflictAfterDelete", func(t *testing.T) {
		st := open(t)
		v1 := must(st.SaveConversation(ctx, NewConversation(42, T0)))(t)
		if err := st.DeleteConversation(ctx, 42); err != nil {
			t.Fatal(err)
		}
		_, err := st.Conversation(ctx, 42)
		wantErr(t, err, flows.ErrNotFound)
		_, err = st.SaveConversation(ctx, v1)
		wantErr(t, err, flows.ErrConflict)
		if c := must(st.SaveConversation(ctx, NewConversation(42, T0)))(t); c.Version != 1 {
			t.Errorf("conversation started again at version %d, want 1", c.Version)
		}
	})
	t.Run("DeleteMissing", func(t *testing.T) {
		st := open(t)
		if err := st.DeleteConversation(ctx, 42); err != nil {
			t.Errorf("deleting a missing conversation: %v", err)
		}
	})
	t.Run("Separate", func(t *testing.T) {
		st := open(t)
		a := must(st.SaveConversation(ctx, NewConversation(1, T0)))(t)
		group := NewConversation(-1001234567890, T0) // group chats are negative
		group.Step = "group"
		group = must(st.SaveConversation(ctx, group))(t)
		b := NewConversation(2, T0)
		b.Step = "other"
		must(st.SaveConversation(ctx, b))(t)
		if err := st.DeleteConversation(ctx, 2); err != nil {
			t.Fatal(err)
		}
		diff(t, "chat 1", must(st.Conversation(ctx, 1))(t), a)
		diff(t, "group chat", must(st.Conversation(ctx, -1001234567890))(t), group)
	})
	t.Run("Copied", func(t *testing.T) {
		st := open(t)
		c := NewConversation(42, T0)
		saved := must(st.SaveConversation(ctx, c))(t)
		want := saved
		want.Draft.Choices = slices.Clone(saved.Draft.Choices)
		b := *saved.Draft.Bundle
		want.Draft.Bundle = &b
		c.Draft.Choices[0] = "changed in"
		c.Draft.Bundle.Name = "changed in"
		saved.Draft.Choices[1] = "changed out"
		saved.Draft.Bundle.Code = "changed out"
		read := must(st.Conversation(ctx, 42))(t)
		diff(t, "stored", read, want)
		read.Draft.Choices[2] = "changed after read"
		read.Draft.Bundle.Days = 1
		diff(t, "stored", must(st.Conversation(ctx, 42))(t), want)
	})
}

func testExpire(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	for chat, age := range map[flows.ChatID]time.Duration{1: 3 * time.Hour, 2: 2*time.Hour + time.Nanosecond, 3: 2 * time.Hour, 4: time.Hour, 5: 0} {
		must(st.SaveConversation(ctx, NewConversation(chat, T0.Add(-age))))(t)
	}
	old := NewSale("old-sale", 1, T0.Add(-240*time.Hour))
	must(st.CreateSale(ctx, old, NewConversation(6, T0.Add(-240*time.Hour))))(t)

	n := must(st.ExpireConversations(ctx, T0.Add(-2*time.Hour)))(t)
	if n != 3 {
		t.Errorf("expired %d conversations, want 3 (chats 1, 2 and 6)", n)
	}
	for chat, kept := range map[flows.ChatID]bool{1: false, 2: false, 3: true, 4: true, 5: true, 6: false} {
		_, err := st.Conversation(ctx, chat)
		if kept && err != nil {
			t.Errorf("chat %d: %v, want it kept", chat, err)
		}
		if !kept && !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("chat %d: got %v, want it expired", chat, err)
		}
	}
	if _, err := st.Sale(ctx, "old-sale"); err != nil {
		t.Errorf("sale after expiry: %v", err)
	}
	if n := must(st.ExpireConversations(ctx, T0.Add(-2*time.Hour)))(t); n != 0 {
		t.Errorf("second expiry dropped %d, want 0", n)
	}
}
