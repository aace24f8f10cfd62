package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
)

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
