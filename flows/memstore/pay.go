package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/esimbot/esimbot/flows"
)

// RecordPayment stores p under its charge ID, once, and moves the sale it
// names as fn says, atomically (see flows.Store).
func (s *Store) RecordPayment(_ context.Context, p flows.Payment, fn func(*flows.Payment, *flows.Sale) bool) (flows.Sale, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ChargeID == "" {
		return flows.Sale{}, false, fmt.Errorf("record payment: no charge ID")
	}
	if old, ok := s.pays[p.ChargeID]; ok {
		return clone(s.sales[old.Ref]), false, nil
	}
	var sale *flows.Sale
	old, found := s.sales[p.Ref]
	if found {
		c := clone(old)
		sale = &c
	}
	if fn(&p, sale) && sale != nil {
		if sale.Ref != old.Ref {
			return flows.Sale{}, false, fmt.Errorf("record payment %s: reference changed", p.ChargeID)
		}
		if sale.State != old.State && !flows.CanMove(old.State, sale.State) {
			return flows.Sale{}, false, fmt.Errorf("record payment %s: sale %q: %s → %s: %w", p.ChargeID, old.Ref, old.State, sale.State, flows.ErrBadTransition)
		}
		s.sales[old.Ref] = clone(*sale)
	}
	s.pays[p.ChargeID] = clone(p)
	if sale == nil {
		return flows.Sale{}, true, nil
	}
	return clone(s.sales[old.Ref]), true, nil
}

// PaymentsByUser returns a user's payments, newest first.
func (s *Store) PaymentsByUser(_ context.Context, user flows.UserID) ([]flows.Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Payment
	for _, p := range s.pays {
		if p.User == user {
			out = append(out, clone(p))
		}
	}
	slices.SortFunc(out, func(a, b flows.Payment) int {
		return cmp.Or(b.At.Compare(a.At), cmp.Compare(b.ChargeID, a.ChargeID))
	})
	return out, nil
}
