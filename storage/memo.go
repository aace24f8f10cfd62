package storage

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/flows"
)

// memoSize bounds the records a memo keeps: the chats and users active at
// once, about a megabyte each for conversations and users.
const memoSize = 4096

// A memo remembers the decoded value of the stored bytes of recent
// records of one bucket, so that a read of a record whose bytes are still
// those decoded last time copies the value instead of decoding the JSON
// again (a conversation and a user are read at every update; the sale a
// purchase writes is read again at each of its steps). The stored bytes
// are compared with the remembered ones, so nothing need be told of
// writes, rollbacks or deletions: a memo only ever answers with the
// decoding of the very bytes stored, copied so as to share nothing a
// caller may change (decimals and time zones, which no one changes, are
// shared).
type memo[T any] struct {
	clone func(T) T // a copy that shares nothing a caller may change

	mu sync.Mutex
	m  map[string]memoEntry[T]
}

// memoEntry is a record's stored bytes and their decoding.
type memoEntry[T any] struct {
	enc []byte
	v   T
}

// newMemo returns an empty memo whose values clone copies.
func newMemo[T any](clone func(T) T) *memo[T] {
	return &memo[T]{clone: clone, m: make(map[string]memoEntry[T])}
}

// lookup returns a copy of the decoding of enc, the stored bytes of key,
// if it is remembered.
func (m *memo[T]) lookup(key, enc []byte) (T, bool) {
	m.mu.Lock()
	e, ok := m.m[string(key)]
	m.mu.Unlock()
	if !ok || string(e.enc) != string(enc) {
		var zero T
		return zero, false
	}
	return m.clone(e.v), true
}

// remember keeps v as the decoding of enc, the stored bytes of key, which
// the caller must not change afterwards; v is copied.
func (m *memo[T]) remember(key, enc []byte, v T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[string(key)]; !ok && len(m.m) >= memoSize {
		for k := range m.m { // drop any one
			delete(m.m, k)
			break
		}
	}
	m.m[string(key)] = memoEntry[T]{enc, m.clone(v)}
}

// getMemo is get for a bucket with a memo: it decodes the value of key
// into v, or copies it from m, and reports whether there was one. With
// keep, a decoding is remembered (not for reads of many records, which
// would only churn the memo).
func getMemo[T any](tx *bolt.Tx, m *memo[T], bucket, key []byte, v *T, keep bool) (bool, error) {
	b := tx.Bucket(bucket).Get(key)
	if b == nil {
		return false, nil
	}
	if got, ok := m.lookup(key, b); ok {
		*v = got
		return true, nil
	}
	var fresh T
	if err := json.Unmarshal(b, &fresh); err != nil {
		return true, fmt.Errorf("decode %s %x: %w", bucket, key, err)
	}
	if keep {
		m.remember(key, slices.Clone(b), fresh) // b lives only as long as tx
	}
	*v = fresh
	return true, nil
}

// storedMemo sets v to what a read of enc, the bytes just stored under key
// as the encoding of written, gives (what putConversation and UpdateSale
// return), and remembers it in m for the next read of the record. stored
// computes it from written (asstored.go), or says it cannot, and then enc
// is decoded.
func storedMemo[T any](m *memo[T], key, enc []byte, written T, stored func(T, []byte) (T, bool), v *T) error {
	fresh, ok := stored(written, enc)
	if !ok {
		fresh = *new(T)
		if err := json.Unmarshal(enc, &fresh); err != nil {
			return err
		}
	}
	m.remember(key, enc, fresh)
	*v = fresh
	return nil
}

// The copies of the memos' records.

func cloneUser(u flows.User) flows.User {
	u.Muted = slices.Clone(u.Muted)
	return u
}

func cloneConversation(c flows.Conversation) flows.Conversation {
	c.Draft.Choices = slices.Clone(c.Draft.Choices)
	if b := c.Draft.Bundle; b != nil {
		cb := *b
		cb.Countries = slices.Clone(b.Countries)
		c.Draft.Bundle = &cb
	}
	return c
}

func cloneSale(s flows.Sale) flows.Sale {
	s.History = slices.Clone(s.History)
	if w := s.Wallet; w != nil {
		cw := *w
		s.Wallet = &cw
	}
	return s
}
