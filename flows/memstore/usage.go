package memstore

import (
	"context"
	"time"
)

// MarkUsageAlert records a usage alert's key and reports whether it was new.
func (s *Store) MarkUsageAlert(_ context.Context, key string, at time.Time) (bool, error) {
	return s.mark(s.ualerts, key, at), nil
}

// UsageAlertMarked reports whether a usage alert's key is recorded.
func (s *Store) UsageAlertMarked(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.ualerts[key]
	return ok, nil
}

// ClearUsageAlert forgets a usage alert's key.
func (s *Store) ClearUsageAlert(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ualerts, key)
	return nil
}
