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
// problem until it returns false. The checks run in order and stop at the
// first that reaches the limit.
func checkRecords(tx *bolt.Tx, report func(error) bool) {
	c := checker{tx: tx, problem: func(format string, args ...any) bool { return report(fmt.Errorf(format, args...)) }}
	if c.version() && c.conversations() && c.sales() && c.inbox() && c.dedup() {
		checkPayments(tx, c.problem)
	}
}

// checker runs checkRecords' checks over one transaction; each check
// returns false when problem asked to stop.
type checker struct {
	tx      *bolt.Tx
	problem func(format string, args ...any) bool
}

// version checks the schema version in the meta bucket.
func (c checker) version() bool {
	if v := c.tx.Bucket(bucketMeta).Get(keyVersion); len(v) != 8 || binary.BigEndian.Uint64(v) != SchemaVersion {
		return c.problem("meta: schema version %x, want %d", v, SchemaVersion)
	}
	return true
}

// decodes checks that every value of bucket decodes and sits under the
// key that key derives from it.
func (c checker) decodes(bucket []byte, key func(v []byte) ([]byte, error)) bool {
	return c.tx.Bucket(bucket).ForEach(func(k, v []byte) error {
		want, err := key(v)
		switch {
		case err != nil:
			if !c.problem("%s %x: %v", bucket, k, err) {
				return errChecked
			}
		case !bytes.Equal(k, want):
			if !c.problem("%s %x: holds the value of %x", bucket, k, want) {
				return errChecked
			}
		}
		return nil
	}) == nil
}

// index checks that the index bucket holds exactly the keys of want
// (which it empties), naming an entry no record calls for with stray.
func (c checker) index(bucket []byte, want map[string]bool, stray string) bool {
	if c.tx.Bucket(bucket).ForEach(func(k, _ []byte) error {
		if want[string(k)] {
			delete(want, string(k))
		} else if !c.problem("%s: entry %x "+stray, bucket, k) {
			return errChecked
		}
		return nil
	}) != nil {
		return false
	}
	for k := range want {
		if !c.problem("%s: entry %x missing", bucket, k) {
			return false
		}
	}
	return true
}

// conversations checks the conversations, the users and the expiry index.
func (c checker) conversations() bool {
	expiry := map[string]bool{} // the expiry index entries the conversations call for
	ok := c.decodes(bucketConversations, func(v []byte) ([]byte, error) {
		var conv flows.Conversation
		err := json.Unmarshal(v, &conv)
		expiry[string(expiryKey(conv.Chat, conv.Updated))] = true
		return idKey(conv.Chat), err
	}) && c.decodes(bucketUsers, func(v []byte) ([]byte, error) {
		var u flows.User
		err := json.Unmarshal(v, &u)
		return idKey(u.ID), err
	})
	return ok && c.index(bucketConvByUpdated, expiry, "names no conversation of that time")
}

// sales checks the sales and that every index holds exactly the keys the
// sales call for.
func (c checker) sales() bool {
	want := make([]map[string]bool, len(indexes))
	for i := range want {
		want[i] = map[string]bool{}
	}
	if !c.decodes(bucketSales, func(v []byte) ([]byte, error) {
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
		return false
	}
	for i, ix := range indexes {
		if !c.index(ix.bucket, want[i], "names no sale of these fields") {
			return false
		}
	}
	return true
}

// inbox checks that inbox keys are a bot ID and an update ID.
func (c checker) inbox() bool {
	return c.tx.Bucket(bucketInbox).ForEach(func(k, _ []byte) error {
		if len(k) != 16 || int64(binary.BigEndian.Uint64(k)) < 0 {
			if !c.problem("inbox: key %x is not <bot id><update id>", k) {
				return errChecked
			}
		}
		return nil
	}) == nil
}

// dedup checks that every windowed dedup key has one window entry, and
// the other way round.
func (c checker) dedup() bool {
	inWindow := map[string][]byte{}
	c.tx.Bucket(bucketDedupWindow).ForEach(func(k, _ []byte) error {
		if len(k) < 8 {
			c.problem("dedup_window: short key %x", k)
			return nil
		}
		inWindow[string(k[8:])] = bytes.Clone(k[:8])
		return nil
	})
	c.tx.Bucket(bucketDedup).ForEach(func(k, v []byte) error {
		ns, _, _ := bytes.Cut(k, []byte{0})
		if !windowed[string(ns)] {
			return nil
		}
		at, ok := inWindow[string(k)]
		switch {
		case !ok:
			if !c.problem("dedup %q: not in dedup_window", k) {
				return errChecked
			}
		case !bytes.Equal(at, v):
			if !c.problem("dedup %q: recorded at %x, in dedup_window at %x", k, v, at) {
				return errChecked
			}
		}
		delete(inWindow, string(k))
		return nil
	})
	for k := range inWindow {
		if !c.problem("dedup_window %q: not in dedup", k) {
			return false
		}
	}
	return true
}
