package storage

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// PutUpdate stores a received update (its JSON) in the inbox unless an
// update with that ID was received before (it is in the inbox, or in the
// "update" dedup window), and reports whether it was new. It returns only
// once the update is on disk, so a webhook may then answer Telegram.
func (s *Store) PutUpdate(_ context.Context, id int64, payload []byte) (bool, error) {
	key := u64(uint64(id))
	dkey := append(stringPrefix("update"), strconv.FormatInt(id, 10)...)
	now := time.Now()
	var isNew bool
	err := s.db.Batch(func(tx *bolt.Tx) error {
		isNew = false // Batch may run this more than once
		inbox, dedup := tx.Bucket(bucketInbox), tx.Bucket(bucketDedup)
		if inbox.Get(key) != nil || dedup.Get(dkey) != nil {
			return nil
		}
		stamp := u64(nanos(now))
		if err := dedup.Put(dkey, stamp); err != nil {
			return err
		}
		w := tx.Bucket(bucketDedupWindow)
		if err := w.Put(append(bytes.Clone(stamp), dkey...), []byte{}); err != nil {
			return err
		}
		if err := prune(dedup, w, nanos(now.Add(-s.opts.DedupWindow))); err != nil {
			return err
		}
		isNew = true
		return inbox.Put(key, bytes.Clone(payload))
	})
	if err != nil {
		return false, fmt.Errorf("put update %d: %w", id, err)
	}
	return isNew, nil
}

// PendingUpdates returns the updates of the inbox not yet handled, in
// update ID order (the order Telegram sent them).
func (s *Store) PendingUpdates(_ context.Context) ([][]byte, error) {
	var out [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInbox).ForEach(func(_, v []byte) error {
			out = append(out, bytes.Clone(v))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("pending updates: %w", err)
	}
	return out, nil
}

// UpdateDone removes a handled update from the inbox. Its ID stays in the
// dedup window, so a redelivery is still recognized.
func (s *Store) UpdateDone(_ context.Context, id int64) error {
	err := s.db.Batch(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInbox).Delete(u64(uint64(id)))
	})
	if err != nil {
		return fmt.Errorf("update %d done: %w", id, err)
	}
	return nil
}
