package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// errNotABot is returned for a bot ID that is not positive: Telegram's
// are, and 0 holds the updates of a version-2 file until a bot adopts them.
var errNotABot = errors.New("not a bot ID")

// unowned is the bot ID of the updates a version-2 file kept (it did not
// know its bot); PendingUpdates gives them to the first bot that asks.
const unowned = 0

// inboxKey returns the inbox key of an update: the bot ID and the update
// ID, 8 big-endian bytes each.
func inboxKey(bot, id int64) []byte { return append(u64(uint64(bot)), u64(uint64(id))...) }

// updatePrefix returns the start of the "update" dedup keys of a bot.
func updatePrefix(bot int64) []byte {
	return append(stringPrefix("update"), strconv.FormatInt(bot, 10)+":"...)
}

// PutUpdate stores a received update of a bot (its JSON) in the inbox
// unless the bot received an update with that ID before (it is in the
// inbox, or in the "update" dedup window), and reports whether it was new.
// It returns only once the update is on disk, so a webhook may then answer
// Telegram. Concurrent calls share a commit.
func (s *Store) PutUpdate(ctx context.Context, bot, id int64, payload []byte) (bool, error) {
	fresh, err := s.PutUpdates(ctx, bot, []int64{id}, [][]byte{payload})
	if err != nil {
		return false, err
	}
	return fresh[0], nil
}

// PutUpdates stores received updates of a bot, ids[i] with the JSON
// payloads[i] (one getUpdates answer), in one transaction, each as
// PutUpdate would, and reports which were new. It returns only once they
// are on disk, so their offset may then be confirmed to Telegram.
// Concurrent calls share a commit.
func (s *Store) PutUpdates(_ context.Context, bot int64, ids []int64, payloads [][]byte) ([]bool, error) {
	if bot <= 0 {
		return nil, fmt.Errorf("put updates of bot %d: %w", bot, errNotABot)
	}
	if len(ids) != len(payloads) {
		return nil, fmt.Errorf("put updates of bot %d: %d IDs for %d payloads", bot, len(ids), len(payloads))
	}
	now := time.Now()
	fresh := make([]bool, len(ids))
	err := s.batch(func(tx *bolt.Tx) error {
		clear(fresh) // The group commit may run this more than once
		inbox, dedup, w := tx.Bucket(bucketInbox), tx.Bucket(bucketDedup), tx.Bucket(bucketDedupWindow)
		stamp := u64(nanos(now))
		for i, id := range ids {
			key := inboxKey(bot, id)
			dkey := strconv.AppendInt(updatePrefix(bot), id, 10)
			if inbox.Get(key) != nil || dedup.Get(dkey) != nil {
				continue
			}
			if err := dedup.Put(dkey, stamp); err != nil {
				return err
			}
			if err := w.Put(append(bytes.Clone(stamp), dkey...), []byte{}); err != nil {
				return err
			}
			if err := inbox.Put(key, bytes.Clone(payloads[i])); err != nil {
				return err
			}
			fresh[i] = true
		}
		return prune(dedup, w, nanos(now.Add(-s.opts.DedupWindow)))
	})
	if err != nil {
		if len(ids) == 1 {
			return nil, fmt.Errorf("put update %d of bot %d: %w", ids[0], bot, err)
		}
		return nil, fmt.Errorf("put %d updates of bot %d: %w", len(ids), bot, err)
	}
	return fresh, nil
}

// UnseenUpdates reports which of a bot's update IDs PutUpdates would find
// new: neither pending in the inbox nor handled within the dedup window.
// It writes nothing.
func (s *Store) UnseenUpdates(_ context.Context, bot int64, ids []int64) ([]bool, error) {
	if bot <= 0 {
		return nil, fmt.Errorf("unseen updates of bot %d: %w", bot, errNotABot)
	}
	unseen := make([]bool, len(ids))
	err := s.db.View(func(tx *bolt.Tx) error {
		inbox, dedup := tx.Bucket(bucketInbox), tx.Bucket(bucketDedup)
		for i, id := range ids {
			unseen[i] = inbox.Get(inboxKey(bot, id)) == nil && dedup.Get(strconv.AppendInt(updatePrefix(bot), id, 10)) == nil
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("unseen updates of bot %d: %w", bot, err)
	}
	return unseen, nil
}

// PendingUpdates returns the updates of a bot that the inbox holds, not
// yet handled, in update ID order (the order Telegram sent them). The
// first bot to call it on a file migrated from version 2 adopts the
// updates that file kept, pending and handled, in the same transaction.
func (s *Store) PendingUpdates(_ context.Context, bot int64) ([][]byte, error) {
	if bot <= 0 {
		return nil, fmt.Errorf("pending updates of bot %d: %w", bot, errNotABot)
	}
	var out [][]byte
	err := s.update(func(tx *bolt.Tx) error {
		out = nil
		if err := adopt(tx, bot); err != nil {
			return err
		}
		prefix := u64(uint64(bot))
		c := tx.Bucket(bucketInbox).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			out = append(out, bytes.Clone(v))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending updates of bot %d: %w", bot, err)
	}
	return out, nil
}

// adopt gives bot the updates of the unowned bot: the inbox entries and
// the dedup keys (with their window entries). An update the bot already
// has keeps the bot's own entry.
func adopt(tx *bolt.Tx, bot int64) error {
	inbox := tx.Bucket(bucketInbox)
	var keys, values [][]byte
	from := u64(unowned)
	c := inbox.Cursor()
	for k, v := c.Seek(from); k != nil && bytes.HasPrefix(k, from); k, v = c.Next() {
		keys, values = append(keys, bytes.Clone(k)), append(values, bytes.Clone(v))
	}
	for i, k := range keys {
		if err := inbox.Delete(k); err != nil {
			return err
		}
		to := append(u64(uint64(bot)), k[8:]...)
		if inbox.Get(to) == nil {
			if err := inbox.Put(to, values[i]); err != nil {
				return err
			}
		}
	}
	return renameUpdateKeys(tx, updatePrefix(unowned), updatePrefix(bot))
}

// renameUpdateKeys moves the "update" dedup keys that start with from to
// start with to instead, window entries included; a key that exists under
// its new name keeps the existing one.
func renameUpdateKeys(tx *bolt.Tx, from, to []byte) error {
	return renameDedupKeys(tx, from, func(k []byte) []byte {
		return append(bytes.Clone(to), k[len(from):]...)
	})
}

// renameDedupKeys renames the windowed dedup keys that start with prefix
// (and for which rename returns a name), moving their window entries.
func renameDedupKeys(tx *bolt.Tx, prefix []byte, rename func(k []byte) []byte) error {
	dedup, window := tx.Bucket(bucketDedup), tx.Bucket(bucketDedupWindow)
	var keys, stamps [][]byte
	c := dedup.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		keys, stamps = append(keys, bytes.Clone(k)), append(stamps, bytes.Clone(v))
	}
	for i, k := range keys {
		to := rename(k)
		if to == nil {
			continue
		}
		at := stamps[i]
		if err := dedup.Delete(k); err != nil {
			return err
		}
		if err := window.Delete(append(bytes.Clone(at), k...)); err != nil {
			return err
		}
		if dedup.Get(to) != nil {
			continue
		}
		if err := dedup.Put(to, at); err != nil {
			return err
		}
		if err := window.Put(append(bytes.Clone(at), to...), []byte{}); err != nil {
			return err
		}
	}
	return nil
}

// UpdateDone removes a handled update of a bot from the inbox. Its ID stays
// in the dedup window, so a redelivery is still recognized.
func (s *Store) UpdateDone(_ context.Context, bot, id int64) error {
	if bot <= 0 {
		return fmt.Errorf("update %d of bot %d done: %w", id, bot, errNotABot)
	}
	err := s.batch(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInbox).Delete(inboxKey(bot, id))
	})
	if err != nil {
		return fmt.Errorf("update %d of bot %d done: %w", id, bot, err)
	}
	return nil
}

// migrateUpdatesToBots is migration 2 → 3: the inbox keys (update IDs) and
// the "update" dedup keys that version 2's PutUpdate wrote (update IDs in
// decimal) get the unowned bot ID in front, for the first bot to adopt.
// Other "update" keys (of FirstSeen) are left as they are.
func migrateUpdatesToBots(tx *bolt.Tx) error {
	inbox := tx.Bucket(bucketInbox)
	var keys, values [][]byte
	if err := inbox.ForEach(func(k, v []byte) error {
		keys, values = append(keys, bytes.Clone(k)), append(values, bytes.Clone(v))
		return nil
	}); err != nil {
		return err
	}
	for i, k := range keys {
		if len(k) != 8 {
			return fmt.Errorf("inbox key %x: want a version-2 update ID of 8 bytes", k)
		}
		if err := inbox.Delete(k); err != nil {
			return err
		}
		if err := inbox.Put(append(u64(unowned), k...), values[i]); err != nil {
			return err
		}
	}
	ns := stringPrefix("update")
	return renameDedupKeys(tx, ns, func(k []byte) []byte {
		id := k[len(ns):]
		if _, err := strconv.ParseInt(string(id), 10, 64); err != nil {
			return nil // not an update ID: a FirstSeen key
		}
		return append(bytes.Clone(updatePrefix(unowned)), id...)
	})
}
