package storage

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// MarkUsageAlert records a customer's usage alert (flows/usagewatch.go)
// and reports whether it was new.
func (s *Store) MarkUsageAlert(_ context.Context, key string, at time.Time) (bool, error) {
	return s.markKey(bucketUsageAlerts, "mark usage alert", key, at)
}

// UsageAlertMarked reports whether a usage alert is recorded.
func (s *Store) UsageAlertMarked(_ context.Context, key string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketUsageAlerts).Get([]byte(key)) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("read usage alert %q: %w", key, err)
	}
	return ok, nil
}

// ClearUsageAlert forgets a usage alert.
func (s *Store) ClearUsageAlert(_ context.Context, key string) error {
	return s.clearKey(bucketUsageAlerts, "clear usage alert", key)
}
