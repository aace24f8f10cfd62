package storage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/storage"
)

// TestUsageAlertsBucketAtOpen: a file of this schema version written
// before the usage_alerts bucket existed gets it at open, without a
// version bump (older versions ignore it), and the alerts recorded in it
// survive a reopen (a restart).
func TestUsageAlertsBucketAtOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v5.db")
	st := open(t, path)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("usage_alerts")) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	st = open(t, path)
	key := "8900000000000000001|O1|expired"
	if fresh, err := st.MarkUsageAlert(ctx, key, time.Unix(1e9, 0)); err != nil || !fresh {
		t.Fatalf("mark on the reopened file: %v, %v", fresh, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = open(t, path)
	if ok, err := st.UsageAlertMarked(ctx, key); err != nil || !ok {
		t.Errorf("after a restart: marked %v, %v", ok, err)
	}
	if fresh, _ := st.MarkUsageAlert(ctx, key, time.Unix(1e9, 0)); fresh {
		t.Error("the alert is new again after a restart")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	rawView(t, path, func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("version")); len(v) != 8 || v[7] != storage.SchemaVersion {
			t.Errorf("schema version %x, want %d", v, storage.SchemaVersion)
		}
		return nil
	})
}

// open opens the store at path, checked; the caller closes it.
func open(t *testing.T, path string) *storage.Store {
	t.Helper()
	st, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
	return st
}
