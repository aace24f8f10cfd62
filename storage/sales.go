package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/flows"
)

// An index is a sales_by_* bucket: each key is a prefix computed from the
// sale (nil: the sale is not indexed there), the creation time and the
// reference.
type index struct {
	bucket []byte
	prefix func(s *flows.Sale) []byte
}

// indexes lists every index of the sales.
var indexes = []index{
	{bucketSalesByUser, func(s *flows.Sale) []byte { return idKey(s.User) }},
	{bucketSalesByICCID, func(s *flows.Sale) []byte {
		if s.ICCID == "" {
			return nil
		}
		return stringPrefix(s.ICCID)
	}},
	{bucketSalesByState, func(s *flows.Sale) []byte { return stringPrefix(string(s.State)) }},
	{bucketSalesByTime, func(*flows.Sale) []byte { return []byte{} }},
}

// stringPrefix returns the index prefix of a string: its bytes and a 0.
func stringPrefix(v string) []byte { return append([]byte(v), 0) }

// key returns the index key of s, or nil if s is not indexed here.
func (ix index) key(s *flows.Sale) []byte {
	p := ix.prefix(s)
	if p == nil {
		return nil
	}
	return append(append(p, u64(nanos(s.Created))...), s.Ref...)
}

// putSale stores s, whose stored value was old (nil for a new sale), moves
// the index entries that changed, and returns the stored encoding.
func putSale(tx *bolt.Tx, old *flows.Sale, s *flows.Sale) ([]byte, error) {
	// References and creation times grow with time, so these two buckets
	// are appended to: pages filled to 90% instead of half make the used
	// part of the file about a fifth smaller (BenchmarkFileSize).
	tx.Bucket(bucketSales).FillPercent = 0.9
	tx.Bucket(bucketSalesByTime).FillPercent = 0.9
	enc, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode sale %q: %w", s.Ref, err)
	}
	if err := tx.Bucket(bucketSales).Put([]byte(s.Ref), enc); err != nil {
		return nil, err
	}
	for _, ix := range indexes {
		var was []byte
		if old != nil {
			was = ix.key(old)
		}
		is := ix.key(s)
		if bytes.Equal(was, is) {
			continue
		}
		b := tx.Bucket(ix.bucket)
		if was != nil {
			if err := b.Delete(was); err != nil {
				return nil, fmt.Errorf("%s: %w", ix.bucket, err)
			}
		}
		if is != nil {
			if err := b.Put(is, []byte{}); err != nil {
				return nil, fmt.Errorf("%s: %w", ix.bucket, err)
			}
		}
	}
	return enc, nil
}

// CreateSale stores a new sale and saves c, in one transaction: both or
// neither. It fails with an error wrapping flows.ErrSaleExists if the
// reference is taken, or flows.ErrConflict if c is stale. Concurrent
// creations and other writes share a commit.
func (s *Store) CreateSale(_ context.Context, sale flows.Sale, c flows.Conversation) (flows.Conversation, error) {
	switch {
	case sale.Ref == "":
		return flows.Conversation{}, fmt.Errorf("create sale: empty reference")
	case sale.State == "":
		return flows.Conversation{}, fmt.Errorf("create sale %q: empty state", sale.Ref)
	}
	var saved flows.Conversation
	var refused error
	err := s.batch(func(tx *bolt.Tx) error {
		// The group commit may run this more than once: start afresh each time. A
		// refusal writes nothing and must not fail the others' writes.
		saved, refused = flows.Conversation{}, nil
		if tx.Bucket(bucketSales).Get([]byte(sale.Ref)) != nil {
			refused = flows.ErrSaleExists
			return nil
		}
		old, err := s.checkVersion(tx, c)
		if errors.Is(err, flows.ErrConflict) {
			refused = fmt.Errorf("conversation %d: %w", c.Chat, err)
			return nil
		}
		if err != nil {
			return err
		}
		enc, err := putSale(tx, nil, &sale)
		if err != nil {
			return err
		}
		if stored, ok := storedSale(sale, enc); ok { // for the purchase's next step
			s.sales.remember([]byte(sale.Ref), enc, stored)
		}
		saved, err = s.putConversation(tx, c, old)
		return err
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return flows.Conversation{}, fmt.Errorf("create sale %q: %w", sale.Ref, err)
	}
	return saved, nil
}

// Sale returns a sale by reference, or an error wrapping flows.ErrNotFound.
func (s *Store) Sale(_ context.Context, ref string) (flows.Sale, error) {
	var sale flows.Sale
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := getMemo(tx, s.sales, bucketSales, []byte(ref), &sale, true)
		if err == nil && !ok {
			err = flows.ErrNotFound
		}
		return err
	})
	if err != nil {
		return flows.Sale{}, fmt.Errorf("sale %q: %w", ref, err)
	}
	return sale, nil
}

// UpdateSale reads a sale, applies fn to it, checks that the reference is
// unchanged and that a state change is allowed by flows.CanMove (else an
// error wrapping flows.ErrBadTransition), and stores it with its indexes,
// in one transaction. An error from fn is returned as is and writes
// nothing. fn runs inside the write transaction: it must be quick and must
// not call the store. Concurrent updates share a commit, so fn may run
// more than once, each time on a fresh copy of the stored sale: it must
// change only the sale it is given. The stored sale is decoded once, and
// the result once.
func (s *Store) UpdateSale(_ context.Context, ref string, fn func(*flows.Sale) error) (flows.Sale, error) {
	var stored flows.Sale
	var fnErr, refused error
	err := s.batch(func(tx *bolt.Tx) error {
		// The group commit may run this more than once: start afresh each time. A
		// refusal writes nothing and must not fail the others' writes.
		stored, fnErr, refused = flows.Sale{}, nil, nil
		var old flows.Sale
		ok, err := getMemo(tx, s.sales, bucketSales, []byte(ref), &old, true)
		if err != nil {
			return err
		}
		if !ok {
			refused = flows.ErrNotFound
			return nil
		}
		// fn gets a copy that shares nothing it may change with old, the
		// index keys' source: History is the only slice of a Sale.
		sale := old
		sale.History = slices.Clone(old.History)
		if fnErr = fn(&sale); fnErr != nil {
			return nil
		}
		switch {
		case sale.Ref != ref:
			refused = fmt.Errorf("reference changed to %q", sale.Ref)
			return nil
		case sale.State != old.State && !flows.CanMove(old.State, sale.State):
			refused = fmt.Errorf("%s → %s: %w", old.State, sale.State, flows.ErrBadTransition)
			return nil
		}
		enc, err := putSale(tx, &old, &sale)
		if err != nil {
			return err
		}
		// Return what a read would, sharing nothing with what fn may keep; the
		// next read copies it.
		if err := storedMemo(s.sales, []byte(ref), enc, sale, storedSale, &stored); err != nil {
			return fmt.Errorf("decode sale %q: %w", ref, err)
		}
		return nil
	})
	switch {
	case fnErr != nil:
		return flows.Sale{}, fnErr
	case err == nil && refused != nil:
		err = refused
	}
	if err != nil {
		return flows.Sale{}, fmt.Errorf("update sale %q: %w", ref, err)
	}
	return stored, nil
}

// SalesByUser returns a user's sales, newest first.
func (s *Store) SalesByUser(_ context.Context, user flows.UserID) ([]flows.Sale, error) {
	sales, err := s.salesIn(bucketSalesByUser, idKey(user))
	if err != nil {
		return nil, fmt.Errorf("sales of user %d: %w", user, err)
	}
	slices.Reverse(sales)
	return sales, nil
}

// SalesByICCID returns the sales on one eSIM profile, oldest first.
func (s *Store) SalesByICCID(_ context.Context, iccid string) ([]flows.Sale, error) {
	if iccid == "" {
		return nil, nil
	}
	sales, err := s.salesIn(bucketSalesByICCID, stringPrefix(iccid))
	if err != nil {
		return nil, fmt.Errorf("sales of ICCID %s: %w", iccid, err)
	}
	return sales, nil
}

// SalesInState returns the sales in any of the states, oldest first.
func (s *Store) SalesInState(_ context.Context, states ...flows.SaleState) ([]flows.Sale, error) {
	prefixes := make([][]byte, 0, len(states))
	for _, st := range states {
		prefixes = append(prefixes, stringPrefix(string(st)))
	}
	sales, err := s.salesIn(bucketSalesByState, prefixes...)
	if err != nil {
		return nil, fmt.Errorf("sales in states %v: %w", states, err)
	}
	return sales, nil
}

// SalesBetween returns the sales created in [from, to), oldest first: the
// day index, for reports (a day in any time zone is such a range).
func (s *Store) SalesBetween(_ context.Context, from, to time.Time) ([]flows.Sale, error) {
	var sales []flows.Sale
	err := s.db.View(func(tx *bolt.Tx) error {
		end := u64(nanos(to))
		c := tx.Bucket(bucketSalesByTime).Cursor()
		for k, _ := c.Seek(u64(nanos(from))); k != nil && bytes.Compare(k[:8], end) < 0; k, _ = c.Next() {
			sale, err := indexedSale(tx, s.sales, bucketSalesByTime, k, k[8:])
			if err != nil {
				return err
			}
			sales = append(sales, sale)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sales between %v and %v: %w", from, to, err)
	}
	return sales, nil
}

// salesIn returns the sales listed under any of the prefixes of an index,
// oldest first (by creation time, then reference).
func (s *Store) salesIn(bucket []byte, prefixes ...[]byte) ([]flows.Sale, error) {
	var sales []flows.Sale
	err := s.db.View(func(tx *bolt.Tx) error {
		// Each prefix's entries are in order; gather their time-and-ref
		// suffixes, sort them together, and load the sales.
		type entry struct{ key, suffix []byte }
		var entries []entry
		seen := map[string]bool{}
		c := tx.Bucket(bucket).Cursor()
		for _, p := range prefixes {
			if seen[string(p)] {
				continue
			}
			seen[string(p)] = true
			for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
				if len(k) < len(p)+8 {
					return fmt.Errorf("%s: short key %x", bucket, k)
				}
				entries = append(entries, entry{k, k[len(p):]})
			}
		}
		slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.suffix, b.suffix) })
		for _, e := range entries {
			sale, err := indexedSale(tx, s.sales, bucket, e.key, e.suffix[8:])
			if err != nil {
				return err
			}
			sales = append(sales, sale)
		}
		return nil
	})
	return sales, err
}

// indexedSale loads the sale an index entry names (copied from m if it
// remembers it; a list's decodings are not remembered).
func indexedSale(tx *bolt.Tx, m *memo[flows.Sale], bucket, key, ref []byte) (flows.Sale, error) {
	var sale flows.Sale
	ok, err := getMemo(tx, m, bucketSales, ref, &sale, false)
	if err == nil && !ok {
		err = fmt.Errorf("%s entry %x names a missing sale", bucket, key)
	}
	return sale, err
}

// Bulk writes many records in one transaction, for imports and for
// benchmarks that need a large file: new sales with their indexes
// (flows.ErrSaleExists if a reference is taken), and conversations (with
// their expiry entries) and users as given, over what is stored. It skips
// the checks of the per-record writes (a conversation's version is kept as
// given), so it must not run beside a bot that uses the file.
func (s *Store) Bulk(_ context.Context, sales []flows.Sale, convs []flows.Conversation, users []flows.User) error {
	err := s.update(func(tx *bolt.Tx) error {
		for i := range sales {
			if tx.Bucket(bucketSales).Get([]byte(sales[i].Ref)) != nil {
				return fmt.Errorf("sale %q: %w", sales[i].Ref, flows.ErrSaleExists)
			}
			if _, err := putSale(tx, nil, &sales[i]); err != nil {
				return err
			}
		}
		for _, c := range convs {
			old, err := s.storedHead(tx, c.Chat)
			if err != nil {
				return err
			}
			c.Version-- // putConversation stores the next version
			if _, err := s.putConversation(tx, c, old); err != nil {
				return err
			}
		}
		for _, u := range users {
			if err := put(tx, bucketUsers, idKey(u.ID), u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bulk write: %w", err)
	}
	return nil
}
