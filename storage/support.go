package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/flows"
)

// The keys of bucketSupport: one bucket, a byte of prefix per kind of
// entry (see the package comment).
const (
	supThread  = 't' // t <id>            → flows.Thread
	supOpen    = 'o' // o <user>          → <id>: the user's open thread
	supPost    = 'p' // p <post>          → <id>: a staff chat message of the thread
	supPending = 'w' // w <id>            → empty: the thread has something pending
	supByUser  = 'u' // u <user> <id>     → empty: every thread of a user (Forget)
)

// supKey is a key of bucketSupport: the prefix byte and 8-byte parts.
func supKey(prefix byte, parts ...uint64) []byte {
	k := []byte{prefix}
	for _, p := range parts {
		k = binary.BigEndian.AppendUint64(k, p)
	}
	return k
}

// AddSupport appends m to the open thread of th.User, opening one with the
// next ID when there is none, unless the thread has it already (see
// flows.SupportStore).
func (s *Store) AddSupport(_ context.Context, th flows.Thread, m flows.SupportMessage) (flows.Thread, error) {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSupport)
		if id := b.Get(supKey(supOpen, uint64(th.User))); len(id) == 8 {
			if ok, err := get(tx, bucketSupport, supKey(supThread, binary.BigEndian.Uint64(id)), &th); err != nil || !ok {
				return fmt.Errorf("open thread of %d: %w", th.User, flows.ErrNotFound)
			}
			if th.Has(m) {
				return nil // the same update again
			}
		} else {
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			th.ID, th.Created, th.Messages = id, m.At, nil
		}
		th.Messages = append(th.Messages, m)
		return putThread(tx, th)
	})
	if err != nil {
		return flows.Thread{}, fmt.Errorf("add support message of %d: %w", th.User, err)
	}
	return th, nil
}

// UpdateThread applies fn to a thread and stores it with its indexes.
func (s *Store) UpdateThread(_ context.Context, id uint64, fn func(*flows.Thread) error) (flows.Thread, error) {
	var th flows.Thread
	err := s.update(func(tx *bolt.Tx) error {
		ok, err := get(tx, bucketSupport, supKey(supThread, id), &th)
		switch {
		case err != nil:
			return err
		case !ok:
			return flows.ErrNotFound
		}
		if err := fn(&th); err != nil {
			return err
		}
		return putThread(tx, th)
	})
	if err != nil {
		return flows.Thread{}, fmt.Errorf("thread %d: %w", id, err)
	}
	return th, nil
}

// putThread stores a thread and brings its index entries up to date.
func putThread(tx *bolt.Tx, th flows.Thread) error {
	b := tx.Bucket(bucketSupport)
	if err := put(tx, bucketSupport, supKey(supThread, th.ID), th); err != nil {
		return err
	}
	id := u64(th.ID)
	open := supKey(supOpen, uint64(th.User))
	var err error
	switch {
	case th.Open():
		err = b.Put(open, id)
	case bytes.Equal(b.Get(open), id):
		err = b.Delete(open)
	}
	if err != nil {
		return err
	}
	if th.Pending() {
		err = b.Put(supKey(supPending, th.ID), nil)
	} else {
		err = b.Delete(supKey(supPending, th.ID))
	}
	if err != nil {
		return err
	}
	if err := b.Put(supKey(supByUser, uint64(th.User), th.ID), nil); err != nil {
		return err
	}
	for _, post := range th.Posts() {
		if err := b.Put(supKey(supPost, uint64(post)), id); err != nil {
			return err
		}
	}
	return nil
}

// ThreadOfPost returns the thread a staff chat message belongs to.
func (s *Store) ThreadOfPost(_ context.Context, post int64) (flows.Thread, error) {
	var th flows.Thread
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketSupport).Get(supKey(supPost, uint64(post)))
		if len(id) != 8 || post == 0 {
			return flows.ErrNotFound
		}
		ok, err := get(tx, bucketSupport, supKey(supThread, binary.BigEndian.Uint64(id)), &th)
		if err == nil && !ok {
			err = flows.ErrNotFound
		}
		return err
	})
	if err != nil {
		return flows.Thread{}, fmt.Errorf("staff message %d: %w", post, err)
	}
	return th, nil
}

// PendingThreads returns the threads with something pending, oldest first.
func (s *Store) PendingThreads(_ context.Context) ([]flows.Thread, error) {
	var out []flows.Thread
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSupport).Cursor()
		for k, _ := c.Seek([]byte{supPending}); len(k) == 9 && k[0] == supPending; k, _ = c.Next() {
			var th flows.Thread
			if ok, err := get(tx, bucketSupport, supKey(supThread, binary.BigEndian.Uint64(k[1:])), &th); err != nil {
				return err
			} else if ok {
				out = append(out, th)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending support threads: %w", err)
	}
	return out, nil
}

// forgetSupport redacts the user's threads: their names and the texts of
// every message (Forget).
func forgetSupport(tx *bolt.Tx, user flows.UserID) error {
	prefix := supKey(supByUser, uint64(user))
	var ids []uint64
	c := tx.Bucket(bucketSupport).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, binary.BigEndian.Uint64(k[len(prefix):]))
	}
	for _, id := range ids {
		var th flows.Thread
		if ok, err := get(tx, bucketSupport, supKey(supThread, id), &th); err != nil || !ok {
			return err
		}
		flows.RedactThread(&th)
		if err := putThread(tx, th); err != nil {
			return err
		}
	}
	return nil
}
