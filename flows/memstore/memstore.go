// Package memstore keeps esimbot's state in memory: a flows.Store and a
// flows.Dedup for tests, fakes and the terminal demo. It has the semantics
// of package storage (the bbolt store) without the durability, and the
// contract tests of package flows/storetest run against both.
//
// Values are copied in and out through their JSON encoding, as the bbolt
// store does, so a caller never aliases stored data and gets back exactly
// what the durable store would give (times without monotonic readings,
// for example). Like the bbolt store, it ignores the contexts it is given.
package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/esimbot/esimbot/flows"
)

// DedupWindow is how long keys of the "update" namespace are remembered.
const DedupWindow = 48 * time.Hour

// pruneEvery is how many "update" keys are recorded between two prunings.
const pruneEvery = 1024

// Store is an in-memory flows.Store and flows.Dedup, safe for concurrent
// use. The zero value is not usable: call New.
type Store struct {
	mu      sync.Mutex
	convs   map[flows.ChatID]flows.Conversation
	sales   map[string]flows.Sale
	users   map[flows.UserID]flows.User
	seen    map[string]time.Time // namespace "\x00" key → first seen
	updates int                  // "update" keys recorded since the last pruning
	invites map[string]flows.Invite
	grants  map[flows.UserID]flows.Grant
	alerts  map[string]time.Time
	ualerts map[string]time.Time     // usage alerts sent (usage.go)
	pays    map[string]flows.Payment // charge ID → payment (checkout.go)
	support supportState             // the support desk's threads (support.go)
}

var (
	_ flows.Store = (*Store)(nil)
	_ flows.Dedup = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{
		convs: map[flows.ChatID]flows.Conversation{},
		sales: map[string]flows.Sale{},
		users: map[flows.UserID]flows.User{},
		seen:  map[string]time.Time{},

		invites: map[string]flows.Invite{},
		grants:  map[flows.UserID]flows.Grant{},
		alerts:  map[string]time.Time{},
		ualerts: map[string]time.Time{},
		pays:    map[string]flows.Payment{},
	}
}

// clone returns a deep copy of v made through its JSON encoding, the
// encoding package storage keeps.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("memstore: encode %T: %v", v, err))
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("memstore: decode %T: %v", v, err))
	}
	return out
}

// Conversation returns a chat's conversation, or an error wrapping
// flows.ErrNotFound.
func (s *Store) Conversation(_ context.Context, chat flows.ChatID) (flows.Conversation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[chat]
	if !ok {
		return flows.Conversation{}, fmt.Errorf("conversation %d: %w", chat, flows.ErrNotFound)
	}
	return clone(c), nil
}

// SaveConversation stores c if the stored version is still c.Version and
// returns it with its new Version.
func (s *Store) SaveConversation(_ context.Context, c flows.Conversation) (flows.Conversation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkVersion(c); err != nil {
		return flows.Conversation{}, fmt.Errorf("save conversation %d: %w", c.Chat, err)
	}
	return s.putConversation(c), nil
}

// checkVersion returns an error wrapping flows.ErrConflict if c was not
// read at the stored version.
func (s *Store) checkVersion(c flows.Conversation) error {
	stored := s.convs[c.Chat].Version // 0 when there is none
	if stored != c.Version {
		return fmt.Errorf("read at version %d, stored %d: %w", c.Version, stored, flows.ErrConflict)
	}
	return nil
}

func (s *Store) putConversation(c flows.Conversation) flows.Conversation {
	c.Version++
	c = clone(c)
	s.convs[c.Chat] = c
	return clone(c)
}

// DeleteConversation drops a chat's conversation, if any.
func (s *Store) DeleteConversation(_ context.Context, chat flows.ChatID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.convs, chat)
	return nil
}

// ExpireConversations drops the conversations last updated before before
// and returns how many.
func (s *Store) ExpireConversations(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for chat, c := range s.convs {
		if c.Updated.Before(before) {
			delete(s.convs, chat)
			n++
		}
	}
	return n, nil
}

// CreateSale stores a new sale and saves c, both or neither.
func (s *Store) CreateSale(_ context.Context, sale flows.Sale, c flows.Conversation) (flows.Conversation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkNewSale(sale); err != nil {
		return flows.Conversation{}, err
	}
	if _, ok := s.sales[sale.Ref]; ok {
		return flows.Conversation{}, fmt.Errorf("create sale %q: %w", sale.Ref, flows.ErrSaleExists)
	}
	if err := s.checkVersion(c); err != nil {
		return flows.Conversation{}, fmt.Errorf("create sale %q: conversation %d: %w", sale.Ref, c.Chat, err)
	}
	s.sales[sale.Ref] = clone(sale)
	return s.putConversation(c), nil
}

// checkNewSale refuses a sale without a reference or a state.
func checkNewSale(s flows.Sale) error {
	switch {
	case s.Ref == "":
		return fmt.Errorf("create sale: empty reference")
	case s.State == "":
		return fmt.Errorf("create sale %q: empty state", s.Ref)
	}
	return nil
}

// Sale returns a sale by reference, or an error wrapping flows.ErrNotFound.
func (s *Store) Sale(_ context.Context, ref string) (flows.Sale, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sale, ok := s.sales[ref]
	if !ok {
		return flows.Sale{}, fmt.Errorf("sale %q: %w", ref, flows.ErrNotFound)
	}
	return clone(sale), nil
}

// UpdateSale applies fn to a copy of a sale and stores the result if fn
// succeeds, the reference is unchanged and the state change, if any, is
// allowed by flows.CanMove. An error from fn is returned as is. fn runs
// under the store's lock: it must not call the store.
func (s *Store) UpdateSale(_ context.Context, ref string, fn func(*flows.Sale) error) (flows.Sale, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.sales[ref]
	if !ok {
		return flows.Sale{}, fmt.Errorf("update sale %q: %w", ref, flows.ErrNotFound)
	}
	sale := clone(old)
	if err := fn(&sale); err != nil {
		return flows.Sale{}, err
	}
	if sale.Ref != ref {
		return flows.Sale{}, fmt.Errorf("update sale %q: reference changed to %q", ref, sale.Ref)
	}
	if sale.State != old.State && !flows.CanMove(old.State, sale.State) {
		return flows.Sale{}, fmt.Errorf("update sale %q: %s → %s: %w", ref, old.State, sale.State, flows.ErrBadTransition)
	}
	s.sales[ref] = clone(sale)
	return clone(sale), nil
}

// SalesByUser returns a user's sales, newest first.
func (s *Store) SalesByUser(_ context.Context, user flows.UserID) ([]flows.Sale, error) {
	out := s.salesWhere(func(sale flows.Sale) bool { return sale.User == user })
	slices.Reverse(out)
	return out, nil
}

// SalesByICCID returns the sales on one eSIM profile, oldest first.
func (s *Store) SalesByICCID(_ context.Context, iccid string) ([]flows.Sale, error) {
	if iccid == "" {
		return nil, nil
	}
	return s.salesWhere(func(sale flows.Sale) bool { return sale.ICCID == iccid }), nil
}

// SalesInState returns the sales in any of the states, oldest first.
func (s *Store) SalesInState(_ context.Context, states ...flows.SaleState) ([]flows.Sale, error) {
	return s.salesWhere(func(sale flows.Sale) bool { return slices.Contains(states, sale.State) }), nil
}

// salesWhere returns copies of the sales that match, oldest first (by
// creation time, then reference), as the indexes of package storage list them.
func (s *Store) salesWhere(match func(flows.Sale) bool) []flows.Sale {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Sale
	for _, sale := range s.sales {
		if match(sale) {
			out = append(out, clone(sale))
		}
	}
	slices.SortFunc(out, func(a, b flows.Sale) int {
		if c := compareNanos(a.Created, b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Ref, b.Ref)
	})
	return out
}

// compareNanos compares two times as package storage's keys do: as Unix
// nanoseconds clamped to [0, MaxUint64] (times before 1970 are equal).
func compareNanos(a, b time.Time) int {
	epoch := time.Unix(0, 0)
	if a.Before(epoch) {
		a = epoch
	}
	if b.Before(epoch) {
		b = epoch
	}
	return a.Compare(b)
}

// User returns a user, or an error wrapping flows.ErrNotFound.
func (s *Store) User(_ context.Context, id flows.UserID) (flows.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return flows.User{}, fmt.Errorf("user %d: %w", id, flows.ErrNotFound)
	}
	return clone(u), nil
}

// SaveUser stores a user.
func (s *Store) SaveUser(_ context.Context, u flows.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = clone(u)
	return nil
}

// Forget erases a user's remembered email, name and WhatsApp, drops the
// chat's conversation and redacts the personal fields of the user's sales
// and their support threads.
func (s *Store) Forget(_ context.Context, user flows.UserID, chat flows.ChatID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[user]; ok {
		u.Email, u.Name, u.WhatsApp = "", "", ""
		s.users[user] = u
	}
	delete(s.convs, chat)
	for ref, sale := range s.sales {
		if sale.User == user {
			sale.Email, sale.Name, sale.WhatsApp, sale.Redacted = "", "", "", true
			s.sales[ref] = sale
		}
	}
	s.support.forget(user)
	return nil
}

// FirstSeen records key under namespace at time at and reports whether it
// was new. Keys of the "update" namespace are forgotten after DedupWindow.
func (s *Store) FirstSeen(_ context.Context, namespace, key string, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := namespace + "\x00" + key
	if _, ok := s.seen[k]; ok {
		return false, nil
	}
	s.seen[k] = at
	if namespace == "update" {
		if s.updates++; s.updates >= pruneEvery {
			s.updates = 0
			for k, t := range s.seen {
				if strings.HasPrefix(k, "update\x00") && t.Before(at.Add(-DedupWindow)) {
					delete(s.seen, k)
				}
			}
		}
	}
	return true, nil
}
