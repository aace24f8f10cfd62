package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/flows/storetest"
	"github.com/esimbot/esimbot/storage"
)

// allSales returns every sale of st, oldest first.
func allSales(t *testing.T, st *storage.Store) []flows.Sale {
	t.Helper()
	sales, err := st.SalesBetween(context.Background(), time.Unix(0, 0), time.Unix(1<<40, 0))
	if err != nil {
		t.Fatal(err)
	}
	return sales
}

// fillSales creates n sales in st.
func fillSales(t *testing.T, st *storage.Store, n int) {
	t.Helper()
	for i := range n {
		at := storetest.T0.Add(time.Duration(i) * time.Minute)
		if _, err := st.CreateSale(context.Background(), storetest.NewSale(fmt.Sprint("EB-", i), flows.UserID(i%3), at),
			storetest.NewConversation(flows.ChatID(i), at)); err != nil {
			t.Fatal(err)
		}
	}
}

// files returns the names in dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteBackup(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		st := MustOpen(t)
		fillSales(t, st, 10)
		var buf bytes.Buffer
		n, err := st.WriteBackup(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(buf.Len()) {
			t.Errorf("reported %d bytes, wrote %d", n, buf.Len())
		}
		path := filepath.Join(t.TempDir(), "copy.db")
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		cp := MustOpenPath(t, path, storage.Options{})
		if d := cmp.Diff(allSales(t, st), allSales(t, cp)); d != "" {
			t.Errorf("sales of the copy (-want +got):\n%s", d)
		}
	})
	t.Run("WhileWriting", func(t *testing.T) {
		ctx := context.Background()
		st := MustOpen(t)
		var (
			mu        sync.Mutex
			committed []string
			wg        sync.WaitGroup
		)
		stop := make(chan struct{})
		wrote := make(chan struct{}, 1) // a sale was committed since the last round
		for w := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					ref := fmt.Sprintf("W%d-%d", w, i)
					chat := flows.ChatID(w)
					c, err := st.Conversation(ctx, chat)
					if errors.Is(err, flows.ErrNotFound) {
						c = storetest.NewConversation(chat, storetest.T0)
					} else if err != nil {
						t.Error(err)
						return
					}
					if _, err := st.CreateSale(ctx, storetest.NewSale(ref, flows.UserID(w), storetest.T0), c); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					committed = append(committed, ref)
					mu.Unlock()
					select {
					case wrote <- struct{}{}:
					default:
					}
				}
			})
		}
		for round := range 5 {
			<-wrote // each backup runs among writes
			mu.Lock()
			before := append([]string(nil), committed...)
			mu.Unlock()
			var buf bytes.Buffer
			if _, err := st.WriteBackup(&buf); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "copy.db")
			if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			cp := MustOpenPath(t, path, storage.Options{}) // checked on cleanup
			if err := cp.Check(); err != nil {
				t.Fatalf("backup %d: %v", round, err)
			}
			for _, ref := range before {
				if _, err := cp.Sale(ctx, ref); err != nil {
					t.Fatalf("backup %d lacks a sale committed before it: %v", round, err)
				}
			}
		}
		close(stop)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(committed) == 0 {
			t.Error("the writers wrote nothing")
		}
	})
}

func TestBackupFile(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		path := newFile(t, func(st *storage.Store) { fillSales(t, st, 10) })
		dir := t.TempDir()
		dest := filepath.Join(dir, "backup.db")
		if err := storage.BackupFile(ctx, path, dest); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(dest)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("backup mode %v, want 0600", got)
		}
		if d := cmp.Diff([]string{"backup.db"}, files(t, dir)); d != "" {
			t.Errorf("files beside the backup (-want +got):\n%s", d)
		}
		want := allSales(t, MustOpenPath(t, path, storage.Options{}))
		if d := cmp.Diff(want, allSales(t, MustOpenPath(t, dest, storage.Options{}))); d != "" || len(want) != 10 {
			t.Errorf("sales of the backup (-want +got):\n%s", d)
		}
	})
	t.Run("Replaces", func(t *testing.T) {
		path := newFile(t, func(st *storage.Store) { fillSales(t, st, 3) })
		dest := filepath.Join(t.TempDir(), "backup.db")
		if err := os.WriteFile(dest, []byte("yesterday's backup"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := storage.BackupFile(ctx, path, dest); err != nil {
			t.Fatal(err)
		}
		if got := allSales(t, MustOpenPath(t, dest, storage.Options{})); len(got) != 3 {
			t.Errorf("the backup holds %d sales, want 3", len(got))
		}
	})
	t.Run("ErrInUse", func(t *testing.T) {
		st := MustOpen(t)
		dir := t.TempDir()
		start := time.Now()
		err := storage.BackupFile(ctx, st.Path(), filepath.Join(dir, "backup.db"))
		if !errors.Is(err, storage.ErrInUse) {
			t.Fatalf("got %v, want ErrInUse", err)
		}
		if want := "backup: database is in use by another esimbot (" + st.Path() + ")"; err.Error() != want {
			t.Errorf("got %q, want %q", err, want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
		if got := files(t, dir); len(got) != 0 {
			t.Errorf("files left: %v", got)
		}
	})
	t.Run("ErrMissing", func(t *testing.T) {
		dir := t.TempDir()
		if err := storage.BackupFile(ctx, filepath.Join(dir, "esimbot.db"), filepath.Join(dir, "backup.db")); err == nil {
			t.Error("backed up a missing file")
		}
		if got := files(t, dir); len(got) != 0 {
			t.Errorf("files left: %v", got)
		}
	})
	t.Run("ErrSameFile", func(t *testing.T) {
		path := newFile(t, nil)
		if err := storage.BackupFile(ctx, path, path); err == nil {
			t.Error("backed up a file over itself")
		}
	})
	t.Run("ErrNotEsimbot", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "other.db")
		rawUpdate(t, path, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
		dir := t.TempDir()
		if err := storage.BackupFile(ctx, path, filepath.Join(dir, "backup.db")); err == nil {
			t.Error("backed up a file that is not esimbot's")
		}
		if got := files(t, dir); len(got) != 0 {
			t.Errorf("files left: %v", got)
		}
	})
	t.Run("ErrCancelled", func(t *testing.T) {
		path := newFile(t, nil)
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := storage.BackupFile(ctx, path, filepath.Join(dir, "backup.db")); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		if got := files(t, dir); len(got) != 0 {
			t.Errorf("files left: %v", got)
		}
	})
}
