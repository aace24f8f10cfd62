package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/flows"
)

// paymentByUserKey is the key of a payment in payments_by_user.
func paymentByUserKey(p *flows.Payment) []byte {
	k := idKey(p.User)
	k = append(k, u64(nanos(p.At))...)
	return append(k, p.ChargeID...)
}

// RecordPayment stores p under its charge ID, once, and in the same
// transaction moves the sale it names as fn says (see flows.Store). Like
// UpdateSale's, fn may run more than once, each time on fresh copies.
func (s *Store) RecordPayment(_ context.Context, p flows.Payment, fn func(*flows.Payment, *flows.Sale) bool) (flows.Sale, bool, error) {
	if p.ChargeID == "" {
		return flows.Sale{}, false, fmt.Errorf("record payment: no charge ID")
	}
	var stored flows.Sale
	var isNew bool
	var refused error
	err := s.batch(func(tx *bolt.Tx) error {
		var err error
		stored, isNew, refused, err = recordPayment(tx, p, fn)
		return err
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return flows.Sale{}, false, fmt.Errorf("record payment %s: %w", p.ChargeID, err)
	}
	return stored, isNew, nil
}

// recordPayment is RecordPayment's transaction: it returns the sale as
// stored, whether p is new, and refused when fn moved the sale in a way
// it must not (nothing is then written).
func recordPayment(tx *bolt.Tx, p flows.Payment, fn func(*flows.Payment, *flows.Sale) bool) (stored flows.Sale, isNew bool, refused, err error) {
	pay := p
	var old flows.Sale
	found, err := get(tx, bucketSales, []byte(p.Ref), &old)
	if err != nil {
		return flows.Sale{}, false, nil, err
	}
	if tx.Bucket(bucketPayments).Get([]byte(p.ChargeID)) != nil {
		if found {
			stored = old
		}
		return stored, false, nil, nil
	}
	var sale *flows.Sale
	if found {
		c := old
		c.History = slices.Clone(old.History)
		sale = &c
	}
	if fn(&pay, sale) && sale != nil {
		if stored, refused, err = movePaidSale(tx, &old, sale); refused != nil || err != nil {
			return flows.Sale{}, false, refused, err
		}
	} else if found {
		stored = old
	}
	if err := put(tx, bucketPayments, []byte(pay.ChargeID), pay); err != nil {
		return flows.Sale{}, false, nil, err
	}
	if err := tx.Bucket(bucketPaymentsByUser).Put(paymentByUserKey(&pay), nil); err != nil {
		return flows.Sale{}, false, nil, err
	}
	return stored, true, nil, nil
}

// movePaidSale writes sale, which RecordPayment's fn moved from old, and
// returns it as stored, or refused when the move is not allowed.
func movePaidSale(tx *bolt.Tx, old, sale *flows.Sale) (stored flows.Sale, refused, err error) {
	switch {
	case sale.Ref != old.Ref:
		return flows.Sale{}, fmt.Errorf("reference changed to %q", sale.Ref), nil
	case sale.State != old.State && !flows.CanMove(old.State, sale.State):
		return flows.Sale{}, fmt.Errorf("sale %q: %s → %s: %w", old.Ref, old.State, sale.State, flows.ErrBadTransition), nil
	}
	enc, err := putSale(tx, old, sale)
	if err != nil {
		return flows.Sale{}, nil, err
	}
	if err := json.Unmarshal(enc, &stored); err != nil {
		return flows.Sale{}, nil, fmt.Errorf("decode sale %q: %w", old.Ref, err)
	}
	return stored, nil, nil
}

// PaymentsByUser returns a user's payments, newest first.
func (s *Store) PaymentsByUser(_ context.Context, user flows.UserID) ([]flows.Payment, error) {
	var out []flows.Payment
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := idKey(user)
		c := tx.Bucket(bucketPaymentsByUser).Cursor()
		for k, _ := c.Seek(prefix); len(k) > 16 && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var p flows.Payment
			ok, err := get(tx, bucketPayments, k[16:], &p)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("payments_by_user: entry %x names no payment", k)
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("payments of user %d: %w", user, err)
	}
	slices.Reverse(out)
	return out, nil
}

// checkPayments checks that every payment decodes under its charge ID and
// has its payments_by_user entry, and the other way round.
func checkPayments(tx *bolt.Tx, problem func(format string, args ...any) bool) {
	want := map[string]bool{}
	tx.Bucket(bucketPayments).ForEach(func(k, v []byte) error {
		var p flows.Payment
		if err := json.Unmarshal(v, &p); err != nil || p.ChargeID != string(k) {
			problem("payments %q: %v", k, err)
			return nil
		}
		want[string(paymentByUserKey(&p))] = true
		return nil
	})
	tx.Bucket(bucketPaymentsByUser).ForEach(func(k, _ []byte) error {
		if !want[string(k)] {
			problem("payments_by_user: entry %x names no payment", k)
		}
		delete(want, string(k))
		return nil
	})
	for k := range want {
		problem("payments_by_user: entry %x missing", k)
	}
}
