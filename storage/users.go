package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/flows"
)

// User returns a user, or an error wrapping flows.ErrNotFound.
func (s *Store) User(_ context.Context, id flows.UserID) (flows.User, error) {
	var u flows.User
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := getMemo(tx, s.users, bucketUsers, idKey(id), &u, true)
		if err == nil && !ok {
			err = flows.ErrNotFound
		}
		return err
	})
	if err != nil {
		return flows.User{}, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// SaveUser stores a user. Concurrent saves share a commit.
func (s *Store) SaveUser(_ context.Context, u flows.User) error {
	err := s.batch(func(tx *bolt.Tx) error { return put(tx, bucketUsers, idKey(u.ID), u) })
	if err != nil {
		return fmt.Errorf("save user %d: %w", u.ID, err)
	}
	return nil
}

// Forget erases a user's remembered email, name and WhatsApp, drops the
// chat's conversation, and redacts the same fields of the user's sales
// (setting Redacted), keeping references, amounts and states, and the
// names and texts of their support threads: in one transaction.
func (s *Store) Forget(_ context.Context, user flows.UserID, chat flows.ChatID) error {
	err := s.update(func(tx *bolt.Tx) error {
		var u flows.User
		ok, err := get(tx, bucketUsers, idKey(user), &u)
		if err != nil {
			return err
		}
		if ok {
			u.Email, u.Name, u.WhatsApp = "", "", ""
			if err := put(tx, bucketUsers, idKey(user), u); err != nil {
				return err
			}
		}
		if err := s.deleteConversation(tx, chat); err != nil {
			return err
		}
		var refs [][]byte
		prefix := idKey(user)
		c := tx.Bucket(bucketSalesByUser).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			refs = append(refs, bytes.Clone(k[len(prefix)+8:]))
		}
		for _, ref := range refs {
			var old, sale flows.Sale
			if _, err := get(tx, bucketSales, ref, &old); err != nil {
				return err
			}
			sale = old
			sale.Email, sale.Name, sale.WhatsApp, sale.Redacted = "", "", "", true
			if _, err := putSale(tx, &old, &sale); err != nil {
				return err
			}
		}
		return forgetSupport(tx, user)
	})
	if err != nil {
		return fmt.Errorf("forget user %d: %w", user, err)
	}
	return nil
}

// windowed lists the FirstSeen namespaces kept for Options.DedupWindow only.
var windowed = map[string]bool{"update": true}

// pruneMax bounds how many expired keys one FirstSeen drops.
const pruneMax = 256

// FirstSeen records key under namespace at time at and reports whether it
// was new. Keys of the "update" namespace are dropped once older than
// Options.DedupWindow (measured on at); other namespaces are kept.
// Concurrent calls share a commit.
func (s *Store) FirstSeen(_ context.Context, namespace, key string, at time.Time) (bool, error) {
	k := append(stringPrefix(namespace), key...)
	var isNew bool
	err := s.batch(func(tx *bolt.Tx) error {
		// The group commit may run this more than once: start afresh each time.
		isNew = false
		b := tx.Bucket(bucketDedup)
		if b.Get(k) != nil {
			return nil
		}
		stamp := u64(nanos(at))
		if err := b.Put(k, stamp); err != nil {
			return err
		}
		isNew = true
		if !windowed[namespace] {
			return nil
		}
		w := tx.Bucket(bucketDedupWindow)
		if err := w.Put(append(stamp, k...), []byte{}); err != nil {
			return err
		}
		return prune(b, w, nanos(at.Add(-s.opts.DedupWindow)))
	})
	if err != nil {
		return false, fmt.Errorf("first seen %s %q: %w", namespace, key, err)
	}
	return isNew, nil
}

// prune drops up to pruneMax keys recorded before cutoff (Unix nanos) from
// the window and from dedup. The oldest key is one Seek away, so a call
// with nothing to drop costs next to nothing.
func prune(dedup, window *bolt.Bucket, cutoff uint64) error {
	var old [][]byte
	c := window.Cursor()
	for k, _ := c.First(); k != nil && len(old) < pruneMax && binary.BigEndian.Uint64(k) < cutoff; k, _ = c.Next() {
		old = append(old, bytes.Clone(k))
	}
	for _, k := range old {
		if err := window.Delete(k); err != nil {
			return err
		}
		if err := dedup.Delete(k[8:]); err != nil {
			return err
		}
	}
	return nil
}
