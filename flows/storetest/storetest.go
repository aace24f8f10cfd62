// Package storetest is the contract of flows.Store and flows.Dedup as a
// test suite, so every implementation (package storage on bbolt,
// flows/memstore in memory) is held to the same semantics:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.StoreUnderTest { return memstore.New() })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
)

// StoreUnderTest is what Run tests: a store and its deduplicator.
type StoreUnderTest interface {
	flows.Store
	flows.Dedup
}

// States lists every sale state, for tests that go over all of them.
var States = []flows.SaleState{
	flows.SaleConfirmed, flows.SalePaid, flows.SaleAssigning,
	flows.SaleAssigned, flows.SaleDelivered, flows.SaleFailed,
}

// T0 is the time the suite's fixtures are built around.
var T0 = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC)

// NewSale returns a fully populated sale in state confirmed, created at
// created, for suites and benchmarks that need realistic records.
func NewSale(ref string, user flows.UserID, created time.Time) flows.Sale {
	return flows.Sale{
		Ref:         ref,
		Kind:        flows.KindNew,
		Chat:        flows.ChatID(user),
		User:        user,
		SoldBy:      flows.RoleCustomer,
		Lang:        "fr",
		BundleCode:  "esim_10GB_30D_FR_V2",
		BundleName:  "France 10 GB, 30 days",
		ProfileType: "STANDARD",
		Price:       decimal.RequireFromString("12.90"),
		Currency:    "EUR",
		Cost:        decimal.RequireFromString("8.415"),
		Email:       "ana@example.com",
		Name:        "Ana Lima",
		WhatsApp:    "+33612345678",
		State:       flows.SaleConfirmed,
		History:     []flows.Transition{{State: flows.SaleConfirmed, At: created}},
		Created:     created,
	}
}

// NewConversation returns a conversation of chat at a confirmation step,
// with a draft that uses every kind of field.
func NewConversation(chat flows.ChatID, updated time.Time) flows.Conversation {
	return flows.Conversation{
		Chat:    chat,
		User:    flows.UserID(chat),
		Stamp:   7,
		Step:    "confirm",
		Updated: updated,
		Draft: flows.Draft{
			Kind:     flows.KindNew,
			DestKind: "country",
			DestCode: "FRA",
			Choices:  []string{"FRA", "GUF", "PYF"},
			Page:     1,
			Bundle: &flows.BundleOffer{
				Code: "esim_10GB_30D_FR_V2", Name: "France 10 GB, 30 days",
				Price: decimal.RequireFromString("12.90"), Currency: "EUR",
				Cost: decimal.RequireFromString("8.415"), DataMB: 10240, Days: 30,
				ProfileType: "STANDARD",
			},
			Email: "ana@example.com", Name: "Ana Lima", WhatsApp: "+33612345678",
		},
	}
}

// Run runs the contract suite, each subtest on a fresh store from open.
// open may register cleanups on its t (closing and checking the store).
func Run(t *testing.T, open func(t *testing.T) StoreUnderTest) {
	t.Run("Conversation", func(t *testing.T) { testConversation(t, open) })
	t.Run("Expire", func(t *testing.T) { testExpire(t, open) })
	t.Run("CreateSale", func(t *testing.T) { testCreateSale(t, open) })
	t.Run("UpdateSale", func(t *testing.T) { testUpdateSale(t, open) })
	t.Run("Transitions", func(t *testing.T) { testTransitions(t, open) })
	t.Run("Indexes", func(t *testing.T) { testIndexes(t, open) })
	t.Run("User", func(t *testing.T) { testUser(t, open) })
	t.Run("Forget", func(t *testing.T) { testForget(t, open) })
	t.Run("Dedup", func(t *testing.T) { testDedup(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open) })
}

// must returns a function that returns v or fails the test on err:
// must(st.Sale(ctx, ref))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// wantErr fails the test unless err wraps want.
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want one wrapping %q", err, want)
	}
}

// diff fails the test if got and want differ.
func diff(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// refs returns the references of sales, in order.
func refs(sales []flows.Sale) []string {
	out := []string{}
	for _, s := range sales {
		out = append(out, s.Ref)
	}
	return out
}

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

func testCreateSale(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		st := open(t)
		c := must(st.SaveConversation(ctx, NewConversation(42, T0)))(t)
		c.Step = "assigning"
		c.Draft.SaleRef = "EB-1"
		sale := NewSale("EB-1", 42, T0)
		got := must(st.CreateSale(ctx, sale, c))(t)
		want := c
		want.Version = 2
		diff(t, "returned conversation", got, want)
		diff(t, "stored conversation", must(st.Conversation(ctx, 42))(t), want)
		diff(t, "stored sale", must(st.Sale(ctx, "EB-1"))(t), sale)
	})
	t.Run("NewConversation", func(t *testing.T) {
		st := open(t)
		got := must(st.CreateSale(ctx, NewSale("EB-1", 42, T0), NewConversation(42, T0)))(t)
		if got.Version != 1 {
			t.Errorf("new conversation saved at version %d, want 1", got.Version)
		}
	})
	t.Run("ErrSaleExists", func(t *testing.T) {
		st := open(t)
		first := NewSale("EB-1", 42, T0)
		c := must(st.CreateSale(ctx, first, NewConversation(42, T0)))(t)
		c.Step = "again"
		again := NewSale("EB-1", 43, T0.Add(time.Minute))
		again.Email = "other@example.com"
		_, err := st.CreateSale(ctx, again, c)
		wantErr(t, err, flows.ErrSaleExists)
		if got := must(st.Conversation(ctx, 42))(t); got.Version != 1 || got.Step != "confirm" {
			t.Errorf("conversation at version %d step %q after a refused sale, want 1 confirm", got.Version, got.Step)
		}
		diff(t, "sale", must(st.Sale(ctx, "EB-1"))(t), first)
		if got := refs(must(st.SalesByUser(ctx, 43))(t)); len(got) != 0 {
			t.Errorf("the refused sale is indexed under its user: %v", got)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		st := open(t)
		v1 := must(st.SaveConversation(ctx, NewConversation(42, T0)))(t)
		must(st.SaveConversation(ctx, v1))(t)
		_, err := st.CreateSale(ctx, NewSale("EB-1", 42, T0), v1)
		wantErr(t, err, flows.ErrConflict)
		_, err = st.Sale(ctx, "EB-1")
		wantErr(t, err, flows.ErrNotFound)
		for _, got := range [][]flows.Sale{
			must(st.SalesByUser(ctx, 42))(t),
			must(st.SalesInState(ctx, States...))(t),
		} {
			if len(got) != 0 {
				t.Errorf("the refused sale is indexed: %v", refs(got))
			}
		}
	})
	t.Run("ErrEmptyRef", func(t *testing.T) {
		st := open(t)
		if _, err := st.CreateSale(ctx, NewSale("", 42, T0), NewConversation(42, T0)); err == nil {
			t.Error("a sale without a reference was created")
		}
		if _, err := st.Conversation(ctx, 42); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("conversation saved with a refused sale: %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		st := open(t)
		_, err := st.Sale(ctx, "nope")
		wantErr(t, err, flows.ErrNotFound)
	})
	t.Run("Copied", func(t *testing.T) {
		st := open(t)
		sale := NewSale("EB-1", 42, T0)
		want := NewSale("EB-1", 42, T0)
		must(st.CreateSale(ctx, sale, NewConversation(42, T0)))(t)
		sale.History[0].State = "changed in"
		got := must(st.Sale(ctx, "EB-1"))(t)
		got.History[0].State = "changed out"
		diff(t, "stored", must(st.Sale(ctx, "EB-1"))(t), want)
	})
}

func testUpdateSale(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		st := open(t)
		must(st.CreateSale(ctx, NewSale("EB-1", 42, T0), NewConversation(42, T0)))(t)
		at := T0.Add(time.Second)
		got := must(st.UpdateSale(ctx, "EB-1", func(s *flows.Sale) error {
			s.OrderID = "ord-9"
			s.Attempts++
			s.NextAttempt = at.Add(time.Minute)
			return s.MoveTo(flows.SaleAssigning, at)
		}))(t)
		want := NewSale("EB-1", 42, T0)
		want.OrderID, want.Attempts, want.NextAttempt = "ord-9", 1, at.Add(time.Minute)
		want.State = flows.SaleAssigning
		want.History = append(want.History, flows.Transition{State: flows.SaleAssigning, At: at})
		diff(t, "returned", got, want)
		diff(t, "stored", must(st.Sale(ctx, "EB-1"))(t), want)
	})
	t.Run("History", func(t *testing.T) {
		st := open(t)
		must(st.CreateSale(ctx, NewSale("EB-1", 42, T0), NewConversation(42, T0)))(t)
		path := []flows.SaleState{flows.SalePaid, flows.SaleAssigning, flows.SaleAssigned, flows.SaleDelivered, flows.SaleDelivered}
		want := []flows.Transition{{State: flows.SaleConfirmed, At: T0}}
		for i, state := range path {
			at := T0.Add(time.Duration(i+1) * time.Minute)
			must(st.UpdateSale(ctx, "EB-1", func(s *flows.Sale) error { return s.MoveTo(state, at) }))(t)
			want = append(want, flows.Transition{State: state, At: at})
		}
		diff(t, "history", must(st.Sale(ctx, "EB-1"))(t).History, want)
	})
	t.Run("ErrorWritesNothing", func(t *testing.T) {
		st := open(t)
		must(st.CreateSale(ctx, NewSale("EB-1", 42, T0), NewConversation(42, T0)))(t)
		boom := errors.New("boom")
		var seen *flows.Sale
		_, err := st.UpdateSale(ctx, "EB-1", func(s *flows.Sale) error {
			seen = s
			s.Email, s.ICCID, s.User = "changed@example.com", "8933000000000000001", 7
			if err := s.MoveTo(flows.SaleAssigning, T0); err != nil {
				return err
			}
			return boom
		})
		wantErr(t, err, boom)
		seen.Name = "changed after return"
		diff(t, "stored", must(st.Sale(ctx, "EB-1"))(t), NewSale("EB-1", 42, T0))
		diff(t, "by ICCID", refs(must(st.SalesByICCID(ctx, "8933000000000000001"))(t)), []string{})
		diff(t, "by user 7", refs(must(st.SalesByUser(ctx, 7))(t)), []string{})
		diff(t, "by user 42", refs(must(st.SalesByUser(ctx, 42))(t)), []string{"EB-1"})
		diff(t, "assigning", refs(must(st.SalesInState(ctx, flows.SaleAssigning))(t)), []string{})
		diff(t, "confirmed", refs(must(st.SalesInState(ctx, flows.SaleConfirmed))(t)), []string{"EB-1"})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		st := open(t)
		called := false
		_, err := st.UpdateSale(ctx, "nope", func(*flows.Sale) error { called = true; return nil })
		wantErr(t, err, flows.ErrNotFound)
		if called {
			t.Error("fn called for a missing sale")
		}
	})
	t.Run("ErrRefChanged", func(t *testing.T) {
		st := open(t)
		must(st.CreateSale(ctx, NewSale("EB-1", 42, T0), NewConversation(42, T0)))(t)
		_, err := st.UpdateSale(ctx, "EB-1", func(s *flows.Sale) error { s.Ref = "EB-2"; return nil })
		if err == nil {
			t.Fatal("a sale's reference was changed")
		}
		_, err = st.Sale(ctx, "EB-2")
		wantErr(t, err, flows.ErrNotFound)
		must(st.Sale(ctx, "EB-1"))(t)
	})
	t.Run("Concurrent", func(t *testing.T) {
		st := open(t)
		must(st.CreateSale(ctx, NewSale("EB-1", 42, T0), NewConversation(42, T0)))(t)
		const n = 20
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if _, err := st.UpdateSale(ctx, "EB-1", func(s *flows.Sale) error { s.Attempts++; return nil }); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := must(st.Sale(ctx, "EB-1"))(t).Attempts; got != n {
			t.Errorf("got %d attempts after %d concurrent increments", got, n)
		}
	})
}

func testTransitions(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	chat := flows.ChatID(0)
	for _, from := range States {
		for _, to := range States {
			name := fmt.Sprintf("%s→%s", from, to)
			ref := "T-" + name
			sale := NewSale(ref, 42, T0)
			sale.State = from
			chat++
			must(st.CreateSale(ctx, sale, NewConversation(chat, T0)))(t)
			// The store's own check: set the state directly.
			_, err := st.UpdateSale(ctx, ref, func(s *flows.Sale) error { s.State = to; return nil })
			allowed := from == to || flows.CanMove(from, to)
			got := must(st.Sale(ctx, ref))(t).State
			switch {
			case allowed && err != nil:
				t.Errorf("%s: %v, want it allowed", name, err)
			case !allowed && !errors.Is(err, flows.ErrBadTransition):
				t.Errorf("%s: got error %v, want one wrapping ErrBadTransition", name, err)
			case allowed && got != to:
				t.Errorf("%s: stored state %s after an allowed move", name, got)
			case !allowed && got != from:
				t.Errorf("%s: stored state %s after a refused move", name, got)
			}
			inTo := slices.Contains(refs(must(st.SalesInState(ctx, to))(t)), ref)
			inFrom := slices.Contains(refs(must(st.SalesInState(ctx, from))(t)), ref)
			if allowed && (!inTo || (from != to && inFrom)) || !allowed && (inTo || !inFrom) {
				t.Errorf("%s: state index lists it under %s: %t, under %s: %t", name, from, inFrom, to, inTo)
			}
		}
	}
	// Sale.MoveTo inside fn: the same moves, and the history.
	for _, from := range States {
		for _, to := range States {
			name := fmt.Sprintf("MoveTo %s→%s", from, to)
			ref := "M-" + name
			sale := NewSale(ref, 42, T0)
			sale.State = from
			chat++
			sale.History = []flows.Transition{{State: from, At: T0}}
			must(st.CreateSale(ctx, sale, NewConversation(chat, T0)))(t)
			at := T0.Add(time.Hour)
			_, err := st.UpdateSale(ctx, ref, func(s *flows.Sale) error { return s.MoveTo(to, at) })
			stored := must(st.Sale(ctx, ref))(t)
			if flows.CanMove(from, to) {
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
				diff(t, name+" history", stored.History, []flows.Transition{{State: from, At: T0}, {State: to, At: at}})
			} else {
				expectErr(t, name, err, flows.ErrBadTransition)
				diff(t, name+" history", stored.History, []flows.Transition{{State: from, At: T0}})
			}
		}
	}
}

func expectErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want one wrapping %q", what, err, want)
	}
}

func testIndexes(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	// Created out of order, two users, equal times broken by reference.
	for _, s := range []struct {
		ref     string
		user    flows.UserID
		created time.Duration
	}{
		{"C", 1, 3 * time.Hour}, {"A", 1, time.Hour}, {"E", 2, 2 * time.Hour},
		{"B", 1, 2 * time.Hour}, {"D", 1, 2 * time.Hour}, {"F", 2, 30 * time.Minute},
	} {
		must(st.CreateSale(ctx, NewSale(s.ref, s.user, T0.Add(s.created)), NewConversation(flows.ChatID(s.ref[0]), T0)))(t)
	}
	t.Run("SalesByUser", func(t *testing.T) {
		diff(t, "user 1", refs(must(st.SalesByUser(ctx, 1))(t)), []string{"C", "D", "B", "A"})
		diff(t, "user 2", refs(must(st.SalesByUser(ctx, 2))(t)), []string{"E", "F"})
		diff(t, "user 3", refs(must(st.SalesByUser(ctx, 3))(t)), []string{})
		got := must(st.SalesByUser(ctx, 2))(t)
		diff(t, "user 2 full", got[1], NewSale("F", 2, T0.Add(30*time.Minute)))
	})
	t.Run("SalesByICCID", func(t *testing.T) {
		const p1, p2 = "8933000000000000001", "8933000000000000002"
		setICCID := func(ref, iccid string) {
			t.Helper()
			must(st.UpdateSale(ctx, ref, func(s *flows.Sale) error { s.ICCID = iccid; return nil }))(t)
		}
		diff(t, "before", refs(must(st.SalesByICCID(ctx, p1))(t)), []string{})
		setICCID("C", p1)
		setICCID("F", p1)
		setICCID("A", p1)
		setICCID("E", p2)
		diff(t, p1, refs(must(st.SalesByICCID(ctx, p1))(t)), []string{"F", "A", "C"})
		diff(t, p2, refs(must(st.SalesByICCID(ctx, p2))(t)), []string{"E"})
		setICCID("A", p2) // the API corrected it
		diff(t, p1+" after change", refs(must(st.SalesByICCID(ctx, p1))(t)), []string{"F", "C"})
		diff(t, p2+" after change", refs(must(st.SalesByICCID(ctx, p2))(t)), []string{"A", "E"})
		setICCID("E", "")
		diff(t, p2+" after removal", refs(must(st.SalesByICCID(ctx, p2))(t)), []string{"A"})
		diff(t, "empty ICCID", refs(must(st.SalesByICCID(ctx, ""))(t)), []string{})
		diff(t, "prefix of an ICCID", refs(must(st.SalesByICCID(ctx, p1[:10]))(t)), []string{})
	})
	t.Run("SalesInState", func(t *testing.T) {
		move := func(ref string, states ...flows.SaleState) {
			t.Helper()
			for _, state := range states {
				must(st.UpdateSale(ctx, ref, func(s *flows.Sale) error { return s.MoveTo(state, T0.Add(5*time.Hour)) }))(t)
			}
		}
		diff(t, "confirmed", refs(must(st.SalesInState(ctx, flows.SaleConfirmed))(t)), []string{"F", "A", "B", "D", "E", "C"})
		move("A", flows.SaleAssigning)
		move("C", flows.SaleAssigning, flows.SaleAssigned)
		move("D", flows.SaleFailed)
		move("F", flows.SaleAssigning)
		diff(t, "confirmed", refs(must(st.SalesInState(ctx, flows.SaleConfirmed))(t)), []string{"B", "E"})
		diff(t, "assigning", refs(must(st.SalesInState(ctx, flows.SaleAssigning))(t)), []string{"F", "A"})
		diff(t, "unfinished", refs(must(st.SalesInState(ctx, flows.SaleConfirmed, flows.SalePaid, flows.SaleAssigning, flows.SaleAssigned))(t)),
			[]string{"F", "A", "B", "E", "C"})
		diff(t, "repeated states", refs(must(st.SalesInState(ctx, flows.SaleFailed, flows.SaleFailed))(t)), []string{"D"})
		diff(t, "no state", refs(must(st.SalesInState(ctx))(t)), []string{})
		diff(t, "delivered", refs(must(st.SalesInState(ctx, flows.SaleDelivered))(t)), []string{})
		got := must(st.SalesInState(ctx, flows.SaleAssigned))(t)
		if len(got) != 1 || got[0].State != flows.SaleAssigned || len(got[0].History) != 3 {
			t.Errorf("assigned: got %+v", got)
		}
	})
	t.Run("UserChanged", func(t *testing.T) {
		must(st.UpdateSale(ctx, "B", func(s *flows.Sale) error { s.User = 2; return nil }))(t)
		diff(t, "user 1", refs(must(st.SalesByUser(ctx, 1))(t)), []string{"C", "D", "A"})
		diff(t, "user 2", refs(must(st.SalesByUser(ctx, 2))(t)), []string{"E", "B", "F"})
	})
}

func testUser(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	_, err := st.User(ctx, 7)
	wantErr(t, err, flows.ErrNotFound)
	u := flows.User{ID: 7, Lang: "ar", Role: flows.RoleAgent, Email: "a@example.com", Name: "Amal",
		WhatsApp: "+212600000000", FirstSeen: T0, LastSeen: T0.Add(time.Hour), Blocked: true}
	if err := st.SaveUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	diff(t, "user", must(st.User(ctx, 7))(t), u)
	u.Lang, u.Blocked, u.LastSeen = "fr", false, T0.Add(2*time.Hour)
	if err := st.SaveUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	diff(t, "user after a second save", must(st.User(ctx, 7))(t), u)
	_, err = st.User(ctx, 8)
	wantErr(t, err, flows.ErrNotFound)
}

func testForget(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	u := flows.User{ID: 7, Lang: "fr", Role: flows.RoleCustomer, Email: "a@example.com", Name: "Ana",
		WhatsApp: "+33600000000", FirstSeen: T0, LastSeen: T0.Add(time.Hour)}
	if err := st.SaveUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	other := flows.User{ID: 8, Email: "b@example.com", Name: "Bo", FirstSeen: T0, LastSeen: T0}
	if err := st.SaveUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	s1 := NewSale("EB-1", 7, T0)
	c := must(st.CreateSale(ctx, s1, NewConversation(70, T0)))(t)
	s2 := NewSale("EB-2", 7, T0.Add(time.Hour))
	must(st.CreateSale(ctx, s2, c))(t)
	must(st.UpdateSale(ctx, "EB-2", func(s *flows.Sale) error {
		s.ICCID = "8933000000000000001"
		return s.MoveTo(flows.SaleAssigning, T0.Add(time.Hour))
	}))(t)
	s3 := NewSale("EB-3", 8, T0)
	must(st.CreateSale(ctx, s3, NewConversation(80, T0)))(t)

	if err := st.Forget(ctx, 7, 70); err != nil {
		t.Fatal(err)
	}
	wantUser := u
	wantUser.Email, wantUser.Name, wantUser.WhatsApp = "", "", ""
	diff(t, "user", must(st.User(ctx, 7))(t), wantUser)
	diff(t, "other user", must(st.User(ctx, 8))(t), other)
	_, err := st.Conversation(ctx, 70)
	wantErr(t, err, flows.ErrNotFound)
	must(st.Conversation(ctx, 80))(t)
	for _, ref := range []string{"EB-1", "EB-2"} {
		got := must(st.Sale(ctx, ref))(t)
		if got.Email != "" || got.Name != "" || got.WhatsApp != "" || !got.Redacted {
			t.Errorf("%s not redacted: email %q name %q whatsapp %q redacted %t", ref, got.Email, got.Name, got.WhatsApp, got.Redacted)
		}
		if !got.Price.Equal(s1.Price) || got.Currency != "EUR" || got.Ref != ref || !got.Cost.Equal(s1.Cost) || got.BundleCode != s1.BundleCode {
			t.Errorf("%s lost its accounting fields: %+v", ref, got)
		}
	}
	if got := must(st.Sale(ctx, "EB-2"))(t); got.State != flows.SaleAssigning || got.ICCID != "8933000000000000001" {
		t.Errorf("EB-2 lost its state or ICCID: %s %q", got.State, got.ICCID)
	}
	diff(t, "other user's sale", must(st.Sale(ctx, "EB-3"))(t), s3)
	diff(t, "indexes by user", refs(must(st.SalesByUser(ctx, 7))(t)), []string{"EB-2", "EB-1"})
	diff(t, "index by state", refs(must(st.SalesInState(ctx, flows.SaleAssigning))(t)), []string{"EB-2"})
	diff(t, "index by ICCID", refs(must(st.SalesByICCID(ctx, "8933000000000000001"))(t)), []string{"EB-2"})

	if err := st.Forget(ctx, 99, 99); err != nil {
		t.Errorf("forgetting an unknown user: %v", err)
	}
	if err := st.Forget(ctx, 7, 70); err != nil {
		t.Errorf("forgetting twice: %v", err)
	}
}

func testDedup(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	st := open(t)
	seen := func(ns, key string, at time.Time, want bool) {
		t.Helper()
		if got := must(st.FirstSeen(ctx, ns, key, at))(t); got != want {
			t.Errorf("FirstSeen(%q, %q, %v) = %t, want %t", ns, key, at, got, want)
		}
	}
	seen("update", "1001", T0, true)
	seen("update", "1001", T0, false)
	seen("update", "1001", T0.Add(23*time.Hour), false) // Telegram redelivers within 24 h
	seen("charge", "1001", T0, true)                    // namespaces are separate
	seen("charge", "1001", T0, false)
	seen("update", "1002", T0, true)
	seen("update", "100", T0, true) // a prefix is another key
	seen("updat", "e\x001001", T0, true)
	// Other namespaces are kept: a charge seen a year ago is still known,
	// however many updates came since.
	for i := range 50 {
		seen("update", fmt.Sprint(i), T0.Add(365*24*time.Hour), true)
	}
	seen("charge", "1001", T0.Add(365*24*time.Hour), false)
}

func testConcurrent(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	t.Run("ManyChats", func(t *testing.T) {
		st := open(t)
		const chats, each = 16, 8
		var wg sync.WaitGroup
		for chat := range flows.ChatID(chats) {
			wg.Go(func() {
				c := NewConversation(chat, T0)
				var err error
				for i := range each {
					c.Step = "browse"
					if c, err = st.SaveConversation(ctx, c); err != nil {
						t.Error(err)
						return
					}
					ref := fmt.Sprintf("EB-%d-%d", chat, i)
					c.Draft.SaleRef = ref
					if c, err = st.CreateSale(ctx, NewSale(ref, flows.UserID(chat), T0.Add(time.Duration(i)*time.Second)), c); err != nil {
						t.Error(err)
						return
					}
					if _, err := st.FirstSeen(ctx, "update", ref, T0); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		for chat := range flows.ChatID(chats) {
			c := must(st.Conversation(ctx, chat))(t)
			if c.Version != 2*each || c.Draft.SaleRef != fmt.Sprintf("EB-%d-%d", chat, each-1) {
				t.Errorf("chat %d at version %d with sale %q", chat, c.Version, c.Draft.SaleRef)
			}
			if got := must(st.SalesByUser(ctx, flows.UserID(chat)))(t); len(got) != each {
				t.Errorf("chat %d has %d sales, want %d", chat, len(got), each)
			}
		}
		if got := must(st.SalesInState(ctx, flows.SaleConfirmed))(t); len(got) != chats*each {
			t.Errorf("%d confirmed sales, want %d", len(got), chats*each)
		}
	})
	t.Run("OneChatOneWinner", func(t *testing.T) {
		st := open(t)
		const writers, rounds = 8, 5
		c := must(st.SaveConversation(ctx, NewConversation(42, T0)))(t)
		for round := range rounds {
			start := make(chan struct{})
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				winners []int
			)
			for w := range writers {
				wg.Go(func() {
					mine := c
					mine.Step = flows.Step(fmt.Sprint("writer", w))
					<-start
					var err error
					if w%2 == 0 {
						_, err = st.SaveConversation(ctx, mine)
					} else {
						_, err = st.CreateSale(ctx, NewSale(fmt.Sprintf("R%d-W%d", round, w), 42, T0), mine)
					}
					switch {
					case err == nil:
						mu.Lock()
						winners = append(winners, w)
						mu.Unlock()
					case !errors.Is(err, flows.ErrConflict):
						t.Errorf("writer %d: %v", w, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if len(winners) != 1 {
				t.Fatalf("round %d: writers %v won, want exactly one", round, winners)
			}
			c = must(st.Conversation(ctx, 42))(t)
			if want := flows.Step(fmt.Sprint("writer", winners[0])); c.Version != uint64(round+2) || c.Step != want {
				t.Fatalf("round %d: stored version %d step %q, want %d %q", round, c.Version, c.Step, round+2, want)
			}
			sales := must(st.SalesByUser(ctx, 42))(t)
			wantSales := 0
			if winners[0]%2 == 1 {
				wantSales = 1
			}
			n := 0
			for _, s := range sales {
				if strings.HasPrefix(s.Ref, fmt.Sprintf("R%d-", round)) {
					n++
				}
			}
			if n != wantSales {
				t.Errorf("round %d: %d sales written, want %d (the winner's only)", round, n, wantSales)
			}
		}
	})
	t.Run("OneKeyOneFirst", func(t *testing.T) {
		st := open(t)
		const n = 16
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			first int
		)
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				ok, err := st.FirstSeen(ctx, "update", "777", T0)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					first++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if first != 1 {
			t.Errorf("%d callers saw the key first, want 1", first)
		}
	})
}
