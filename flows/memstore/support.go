package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/esimbot/esimbot/flows"
)

// supportState is the support desk's threads; its maps are made on first
// use.
type supportState struct {
	threads map[uint64]flows.Thread
	open    map[flows.UserID]uint64 // user → open thread
	posts   map[int64]uint64        // staff chat message → thread
	last    uint64                  // the last thread ID given
}

func (st *supportState) init() {
	if st.threads == nil {
		st.threads, st.open, st.posts = map[uint64]flows.Thread{}, map[flows.UserID]uint64{}, map[int64]uint64{}
	}
}

// put stores a thread and its indexes.
func (st *supportState) put(t flows.Thread) {
	st.threads[t.ID] = clone(t)
	if t.Open() {
		st.open[t.User] = t.ID
	} else if st.open[t.User] == t.ID {
		delete(st.open, t.User)
	}
	for _, post := range t.Posts() {
		st.posts[post] = t.ID
	}
}

// AddSupport appends m to the user's open thread, opening one if need be,
// unless the thread has it already.
func (s *Store) AddSupport(_ context.Context, th flows.Thread, m flows.SupportMessage) (flows.Thread, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.support
	st.init()
	if id, ok := st.open[th.User]; ok {
		th = st.threads[id]
		if th.Has(m) {
			return clone(th), nil // the same update again
		}
	} else {
		st.last++
		th.ID, th.Created, th.Messages = st.last, m.At, nil
	}
	th.Messages = append(th.Messages, m)
	st.put(th)
	return clone(th), nil
}

// UpdateThread applies fn to a thread and stores it.
func (s *Store) UpdateThread(_ context.Context, id uint64, fn func(*flows.Thread) error) (flows.Thread, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.support
	st.init()
	t, ok := st.threads[id]
	if !ok {
		return flows.Thread{}, fmt.Errorf("thread %d: %w", id, flows.ErrNotFound)
	}
	t = clone(t)
	if err := fn(&t); err != nil {
		return flows.Thread{}, err
	}
	st.put(t)
	return clone(t), nil
}

// ThreadOfPost returns the thread a staff chat message belongs to.
func (s *Store) ThreadOfPost(_ context.Context, post int64) (flows.Thread, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.support.init()
	id, ok := s.support.posts[post]
	if !ok || post == 0 {
		return flows.Thread{}, fmt.Errorf("staff message %d: %w", post, flows.ErrNotFound)
	}
	return clone(s.support.threads[id]), nil
}

// PendingThreads returns the threads with something pending, oldest first.
func (s *Store) PendingThreads(_ context.Context) ([]flows.Thread, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Thread
	for _, t := range s.support.threads {
		if t.Pending() {
			out = append(out, clone(t))
		}
	}
	slices.SortFunc(out, func(a, b flows.Thread) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// forget redacts a user's threads (Forget).
func (st *supportState) forget(user flows.UserID) {
	for id, t := range st.threads {
		if t.User == user {
			flows.RedactThread(&t)
			st.threads[id] = t
		}
	}
}
