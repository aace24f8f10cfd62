package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/flows"
)

// maxProblems bounds how many problems Check reports.
const maxProblems = 20

// errChecked rolls back the transaction Check runs in.
var errChecked = errors.New("checked")

// Check verifies the database: bbolt's page-level consistency (tx.Check)
// and esimbot's own, that every value decodes, every sale and
// conversation has exactly the index entries its fields call for and every
// index entry names such a record, every inbox key names a bot and an update, and every windowed
// dedup key has its window entry. It returns nil
// or an error listing the first problems found. It runs in a write
// transaction (bbolt's check is unsafe beside writers otherwise), so
// writes wait while it runs.
func (s *Store) Check() error {
	var problems []error
	report := func(err error) bool {
		problems = append(problems, err)
		return len(problems) < maxProblems
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			if !report(err) {
				break
			}
		}
		if len(problems) == 0 {
			checkRecords(tx, report)
		}
		return errChecked
	})
	if err != nil && !errors.Is(err, errChecked) {
		return fmt.Errorf("check %s: %w", s.path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("check %s: %w", s.path, errors.Join(problems...))
	}
	return nil
}

// checkRecords checks esimbot's invariants in tx, telling report each
// problem until it returns false.
func checkRecords(tx *bolt.Tx, report func(error) bool) {
	problem := func(format string, args ...any) bool { return report(fmt.Errorf(format, args...)) }
	if v := tx.Bucket(bucketMeta).Get(keyVersion); len(v) != 8 || binary.BigEndian.Uint64(v) != SchemaVersion {
		if !problem("meta: schema version %x, want %d", v, SchemaVersion) {
			return
		}
	}
	decodes := func(bucket []byte, key func(v []byte) ([]byte, error)) bool {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			want, err := key(v)
			switch {
			case err != nil:
				if !problem("%s %x: %v", bucket, k, err) {
					return errChecked
				}
			case !bytes.Equal(k, want):
				if !problem("%s %x: holds the value of %x", bucket, k, want) {
					return errChecked
				}
			}
			return nil
		}) == nil
	}
	expiry := map[string]bool{} // the expiry index entries the conversations call for
	ok := decodes(bucketConversations, func(v []byte) ([]byte, error) {
		var c flows.Conversation
		err := json.Unmarshal(v, &c)
		expiry[string(expiryKey(c.Chat, c.Updated))] = true
		return idKey(c.Chat), err
	}) && decodes(bucketUsers, func(v []byte) ([]byte, error) {
		var u flows.User
		err := json.Unmarshal(v, &u)
		return idKey(u.ID), err
	})
	if !ok {
		return
	}
	if tx.Bucket(bucketConvByUpdated).ForEach(func(k, _ []byte) error {
		if expiry[string(k)] {
			delete(expiry, string(k))
		} else if !problem("%s: entry %x names no conversation of that time", bucketConvByUpdated, k) {
			return errChecked
		}
		return nil
	}) != nil {
		return
	}
	for k := range expiry {
		if !problem("%s: entry %x missing", bucketConvByUpdated, k) {
			return
		}
	}

	// Every index holds exactly the keys the sales call for.
	want := make([]map[string]bool, len(indexes))
	for i := range want {
		want[i] = map[string]bool{}
	}
	if !decodes(bucketSales, func(v []byte) ([]byte, error) {
		var s flows.Sale
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, err
		}
		for i, ix := range indexes {
			if k := ix.key(&s); k != nil {
				want[i][string(k)] = true
			}
		}
		return []byte(s.Ref), nil
	}) {
		return
	}
	for i, ix := range indexes {
		err := tx.Bucket(ix.bucket).ForEach(func(k, _ []byte) error {
			if want[i][string(k)] {
				delete(want[i], string(k))
			} else if !problem("%s: entry %x names no sale of these fields", ix.bucket, k) {
				return errChecked
			}
			return nil
		})
		if err != nil {
			return
		}
		for k := range want[i] {
			if !problem("%s: entry %x missing", ix.bucket, k) {
				return
			}
		}
	}

	// Inbox keys are a bot ID and an update ID.
	if tx.Bucket(bucketInbox).ForEach(func(k, _ []byte) error {
		if len(k) != 16 || int64(binary.BigEndian.Uint64(k)) < 0 {
			if !problem("inbox: key %x is not <bot id><update id>", k) {
				return errChecked
			}
		}
		return nil
	}) != nil {
		return
	}

	// Every windowed dedup key has one window entry, and the other way round.
	inWindow := map[string][]byte{}
	tx.Bucket(bucketDedupWindow).ForEach(func(k, _ []byte) error {
		if len(k) < 8 {
			problem("dedup_window: short key %x", k)
			return nil
		}
		inWindow[string(k[8:])] = bytes.Clone(k[:8])
		return nil
	})
	tx.Bucket(bucketDedup).ForEach(func(k, v []byte) error {
		ns, _, _ := bytes.Cut(k, []byte{0})
		if !windowed[string(ns)] {
			return nil
		}
		at, ok := inWindow[string(k)]
		switch {
		case !ok:
			if !problem("dedup %q: not in dedup_window", k) {
				return errChecked
			}
		case !bytes.Equal(at, v):
			if !problem("dedup %q: recorded at %x, in dedup_window at %x", k, v, at) {
				return errChecked
			}
		}
		delete(inWindow, string(k))
		return nil
	})
	for k := range inWindow {
		if !problem("dedup_window %q: not in dedup", k) {
			return
		}
	}
	checkPayments(tx, problem)
}
