package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/esimbot/esimbot/flows"
)

// awaiting is a sale in state confirmed that awaits a payment of 200 Stars.
func awaiting(ref string, user flows.UserID) flows.Sale {
	s := NewSale(ref, user, T0)
	s.Stars, s.InvoiceNonce, s.InvoiceExpires = 200, "nonce", T0.Add(30*time.Minute)
	return s
}

// payOf is a payment of the sale ref by user.
func payOf(charge, ref string, user flows.UserID, at time.Time) flows.Payment {
	return flows.Payment{ChargeID: charge, Chat: flows.ChatID(user), User: user, Stars: 200, Currency: "XTR",
		Payload: ref + ".nonce", Ref: ref, At: at}
}

// markPaid is the fn of RecordPayment that moves an awaiting sale to paid.
func markPaid(p *flows.Payment, s *flows.Sale) bool {
	if s == nil || !s.AwaitingPayment() {
		p.Problem = "no sale awaits it"
		return false
	}
	s.ChargeID = p.ChargeID
	return s.MoveTo(flows.SalePaid, p.At) == nil
}

func testRecordPayment(t *testing.T, open func(*testing.T) StoreUnderTest) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		st := open(t)
		must(st.CreateSale(ctx, awaiting("EB-1", 42), NewConversation(42, T0)))(t)
		got, isNew, err := st.RecordPayment(ctx, payOf("ch-1", "EB-1", 42, T0.Add(time.Minute)), markPaid)
		if err != nil || !isNew || got.State != flows.SalePaid || got.ChargeID != "ch-1" {
			t.Fatalf("record: %s %q new %t, %v; want paid ch-1 new", got.State, got.ChargeID, isNew, err)
		}
		diff(t, "stored sale", must(st.Sale(ctx, "EB-1"))(t), got)
		if paid := must(st.SalesInState(ctx, flows.SalePaid))(t); len(paid) != 1 {
			t.Errorf("%d sales indexed as paid, want 1", len(paid))
		}
		pays := must(st.PaymentsByUser(ctx, 42))(t)
		diff(t, "payments", pays, []flows.Payment{payOf("ch-1", "EB-1", 42, T0.Add(time.Minute))})
	})
	t.Run("Duplicate", func(t *testing.T) {
		st := open(t)
		must(st.CreateSale(ctx, awaiting("EB-1", 42), NewConversation(42, T0)))(t)
		must3(st.RecordPayment(ctx, payOf("ch-1", "EB-1", 42, T0), markPaid))(t)
		calls := 0
		got, isNew, err := st.RecordPayment(ctx, payOf("ch-1", "EB-1", 42, T0.Add(time.Hour)), func(p *flows.Payment, s *flows.Sale) bool {
			calls++
			return markPaid(p, s)
		})
		if err != nil || isNew || calls != 0 || got.State != flows.SalePaid {
			t.Errorf("again: %s new %t, fn called %d times, %v; want paid, not new, not called", got.State, isNew, calls, err)
		}
		if pays := must(st.PaymentsByUser(ctx, 42))(t); len(pays) != 1 || !pays[0].At.Equal(T0) {
			t.Errorf("payments %+v, want the first one only", pays)
		}
	})
	t.Run("UnknownSale", func(t *testing.T) {
		st := open(t)
		got, isNew, err := st.RecordPayment(ctx, payOf("ch-9", "EB-404", 42, T0), markPaid)
		if err != nil || !isNew || got.Ref != "" {
			t.Errorf("record: %+v new %t, %v; want a new payment and no sale", got, isNew, err)
		}
		pays := must(st.PaymentsByUser(ctx, 42))(t)
		if len(pays) != 1 || pays[0].Problem == "" {
			t.Errorf("payments %+v, want one with its problem", pays)
		}
	})
	t.Run("BadTransition", func(t *testing.T) {
		st := open(t)
		must(st.CreateSale(ctx, awaiting("EB-1", 42), NewConversation(42, T0)))(t)
		_, _, err := st.RecordPayment(ctx, payOf("ch-1", "EB-1", 42, T0), func(_ *flows.Payment, s *flows.Sale) bool {
			s.State = flows.SaleDelivered
			return true
		})
		if !errors.Is(err, flows.ErrBadTransition) {
			t.Errorf("got %v, want ErrBadTransition", err)
		}
		if pays := must(st.PaymentsByUser(ctx, 42))(t); len(pays) != 0 {
			t.Errorf("a refused write stored payments %+v", pays)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		st := open(t)
		must(st.CreateSale(ctx, awaiting("EB-1", 42), NewConversation(42, T0)))(t)
		var mu sync.Mutex
		news := 0
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				_, isNew, err := st.RecordPayment(ctx, payOf("ch-1", "EB-1", 42, T0), markPaid)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if isNew {
					news++
				}
			})
		}
		wg.Wait()
		if news != 1 {
			t.Errorf("%d records were new, want 1", news)
		}
	})
}

// must3 is must for a call of three results.
func must3[A, B any](a A, b B, err error) func(*testing.T) A {
	return func(t *testing.T) A {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
}
