package storage

import (
	"bytes"
	"context"
	"encoding/json"
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
		ok, err := get(tx, bucketConversations, idKey(chat), &c)
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
	err := s.db.Batch(func(tx *bolt.Tx) error {
		// Batch may run this more than once: start afresh each time.
		saved, conflict = flows.Conversation{}, nil
		if conflict = checkVersion(tx, c); conflict != nil {
			return nil // a refusal writes nothing and must not fail the batch
		}
		var err error
		saved, err = putConversation(tx, c)
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

// checkVersion returns an error wrapping flows.ErrConflict if c was not
// read at the stored version (0 when there is none).
func checkVersion(tx *bolt.Tx, c flows.Conversation) error {
	var stored struct {
		Version uint64 `json:"version"`
	}
	if _, err := get(tx, bucketConversations, idKey(c.Chat), &stored); err != nil {
		return err
	}
	if stored.Version != c.Version {
		return fmt.Errorf("read at version %d, stored %d: %w", c.Version, stored.Version, flows.ErrConflict)
	}
	return nil
}

// putConversation stores c at its next version and returns it.
func putConversation(tx *bolt.Tx, c flows.Conversation) (flows.Conversation, error) {
	c.Version++
	if err := put(tx, bucketConversations, idKey(c.Chat), c); err != nil {
		return flows.Conversation{}, err
	}
	// Return what a read would: the decoded value, with no alias of c.
	var out flows.Conversation
	_, err := get(tx, bucketConversations, idKey(c.Chat), &out)
	return out, err
}

// DeleteConversation drops a chat's conversation, if any.
func (s *Store) DeleteConversation(_ context.Context, chat flows.ChatID) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketConversations).Delete(idKey(chat))
	})
	if err != nil {
		return fmt.Errorf("delete conversation %d: %w", chat, err)
	}
	return nil
}

// ExpireConversations drops the conversations last updated before before
// and returns how many. Sales stay.
func (s *Store) ExpireConversations(_ context.Context, before time.Time) (int, error) {
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketConversations)
		var idle [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var c struct {
				Updated time.Time `json:"updated"`
			}
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode conversation %x: %w", k, err)
			}
			if c.Updated.Before(before) {
				idle = append(idle, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range idle {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(idle)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire conversations: %w", err)
	}
	return n, nil
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
