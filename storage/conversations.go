package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/flows"
)

// Conversation returns a chat's conversation, or an error wrapping
// flows.ErrNotFound.
func (s *Store) Conversation(_ context.Context, chat flows.ChatID) (flows.Conversation, error) {
	var c flows.Conversation
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := getMemo(tx, s.convs, bucketConversations, idKey(chat), &c, true)
		if err == nil && !ok {
			err = flows.ErrNotFound
		}
		return err
	})
	if err != nil {
		return flows.Conversation{}, fmt.Errorf("conversation %d: %w", chat, err)
	}
	return c, nil
}

// SaveConversation stores c if the stored version is still c.Version (an
// error wrapping flows.ErrConflict otherwise) and returns it with its new
// Version. Concurrent saves of different chats share a commit.
func (s *Store) SaveConversation(_ context.Context, c flows.Conversation) (flows.Conversation, error) {
	var saved flows.Conversation
	var conflict error
	err := s.batch(func(tx *bolt.Tx) error {
		// The group commit may run this more than once: start afresh each time.
		saved, conflict = flows.Conversation{}, nil
		old, err := s.checkVersion(tx, c)
		if errors.Is(err, flows.ErrConflict) {
			conflict = err
			return nil // a refusal writes nothing and must not fail the batch
		}
		if err != nil {
			return err
		}
		saved, err = s.putConversation(tx, c, old)
		return err
	})
	if err == nil {
		err = conflict
	}
	if err != nil {
		return flows.Conversation{}, fmt.Errorf("save conversation %d: %w", c.Chat, err)
	}
	return saved, nil
}

// convHead is what a write needs of a stored conversation: its version,
// and its time for the expiry index.
type convHead struct {
	Version uint64    `json:"version"`
	Updated time.Time `json:"updated"`
}

// storedHead returns the head of the stored conversation of chat, or nil
// when there is none.
func (s *Store) storedHead(tx *bolt.Tx, chat flows.ChatID) (*convHead, error) {
	key := idKey(chat)
	b := tx.Bucket(bucketConversations).Get(key)
	if b == nil {
		return nil, nil
	}
	if c, ok := s.convs.lookup(key, b); ok {
		return &convHead{Version: c.Version, Updated: c.Updated}, nil
	}
	var h convHead
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("decode %s %x: %w", bucketConversations, key, err)
	}
	return &h, nil
}

// checkVersion returns the head of the stored conversation of c.Chat (nil
// when there is none), or an error wrapping flows.ErrConflict if c was not
// read at the stored version (0 when there is none).
func (s *Store) checkVersion(tx *bolt.Tx, c flows.Conversation) (*convHead, error) {
	old, err := s.storedHead(tx, c.Chat)
	if err != nil {
		return nil, err
	}
	var stored uint64
	if old != nil {
		stored = old.Version
	}
	if stored != c.Version {
		return nil, fmt.Errorf("read at version %d, stored %d: %w", c.Version, stored, flows.ErrConflict)
	}
	return old, nil
}

// expiryKey returns the conversations_by_updated key of a conversation.
func expiryKey(chat flows.ChatID, updated time.Time) []byte {
	return append(u64(nanos(updated)), idKey(chat)...)
}

// putConversation stores c at its next version over the stored one whose
// head is old (nil: none), moves its expiry index entry, and returns it.
func (s *Store) putConversation(tx *bolt.Tx, c flows.Conversation, old *convHead) (flows.Conversation, error) {
	c.Version++
	b, err := json.Marshal(c)
	if err != nil {
		return flows.Conversation{}, fmt.Errorf("encode conversation %d: %w", c.Chat, err)
	}
	if err := tx.Bucket(bucketConversations).Put(idKey(c.Chat), b); err != nil {
		return flows.Conversation{}, err
	}
	idx := tx.Bucket(bucketConvByUpdated)
	if old != nil {
		if err := idx.Delete(expiryKey(c.Chat, old.Updated)); err != nil {
			return flows.Conversation{}, err
		}
	}
	if err := idx.Put(expiryKey(c.Chat, c.Updated), []byte{}); err != nil {
		return flows.Conversation{}, err
	}
	// Return what a read would: the decoded value, with no alias of c; the
	// next read copies it.
	var out flows.Conversation
	if err := storedMemo(s.convs, idKey(c.Chat), b, c, storedConversation, &out); err != nil {
		return flows.Conversation{}, fmt.Errorf("decode conversation %d: %w", c.Chat, err)
	}
	return out, nil
}

// deleteConversation drops a chat's conversation and its expiry index
// entry, if any.
func (s *Store) deleteConversation(tx *bolt.Tx, chat flows.ChatID) error {
	old, err := s.storedHead(tx, chat)
	if old == nil || err != nil {
		return err
	}
	if err := tx.Bucket(bucketConvByUpdated).Delete(expiryKey(chat, old.Updated)); err != nil {
		return err
	}
	return tx.Bucket(bucketConversations).Delete(idKey(chat))
}

// DeleteConversation drops a chat's conversation, if any.
func (s *Store) DeleteConversation(_ context.Context, chat flows.ChatID) error {
	err := s.update(func(tx *bolt.Tx) error { return s.deleteConversation(tx, chat) })
	if err != nil {
		return fmt.Errorf("delete conversation %d: %w", chat, err)
	}
	return nil
}

// sweepChunk bounds the conversations one transaction of
// ExpireConversations drops, so that it holds the write lock for a few
// milliseconds at most (BenchmarkSweep).
const sweepChunk = 256

// ExpireConversations drops the conversations last updated before before
// and returns how many. Sales stay. It reads only the expiring part of the
// expiry index, and drops them a chunk per transaction, so writers wait
// for one chunk at most.
func (s *Store) ExpireConversations(_ context.Context, before time.Time) (int, error) {
	cutoff := nanos(before)
	total := 0
	for {
		var n int
		// Through the group commit, writes that arrive meanwhile share the chunk's
		// commit rather than wait for it and then make their own.
		err := s.batch(func(tx *bolt.Tx) error {
			n = 0 // The group commit may run this more than once
			idx, convs := tx.Bucket(bucketConvByUpdated), tx.Bucket(bucketConversations)
			var keys [][]byte
			c := idx.Cursor()
			for k, _ := c.First(); k != nil && len(keys) < sweepChunk && binary.BigEndian.Uint64(k) < cutoff; k, _ = c.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			for _, k := range keys {
				if err := idx.Delete(k); err != nil {
					return err
				}
				if err := convs.Delete(k[8:]); err != nil {
					return err
				}
			}
			n = len(keys)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("expire conversations: %w", err)
		}
		total += n
		if n < sweepChunk {
			return total, nil
		}
	}
}

// migrateExpiryIndex is migration 3 → 4: the expiry index of every
// conversation.
func migrateExpiryIndex(tx *bolt.Tx) error {
	idx, err := tx.CreateBucketIfNotExists(bucketConvByUpdated)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketConversations).ForEach(func(k, v []byte) error {
		var h convHead
		if err := json.Unmarshal(v, &h); err != nil {
			return fmt.Errorf("decode conversation %x: %w", k, err)
		}
		if len(k) != 8 {
			return fmt.Errorf("conversation key %x: want 8 bytes", k)
		}
		return idx.Put(append(u64(nanos(h.Updated)), k...), []byte{})
	})
}

// Sweep drops the conversations idle for longer than idle and returns how
// many: the periodic retention job, see RunSweeper.
func (s *Store) Sweep(ctx context.Context, idle time.Duration) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	n, err := s.ExpireConversations(ctx, time.Now().Add(-idle))
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	return n, nil
}

// RunSweeper sweeps conversations idle for longer than idle now and every
// every (which must be positive), until ctx is done. Options.OnSweep is
// told each outcome.
func (s *Store) RunSweeper(ctx context.Context, every, idle time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		n, err := s.Sweep(ctx, idle)
		if ctx.Err() != nil {
			return
		}
		if s.opts.OnSweep != nil {
			s.opts.OnSweep(n, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
