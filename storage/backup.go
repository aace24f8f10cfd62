package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// WriteBackup writes a consistent copy of the database to w while the
// store stays in use (writers wait for nothing) and returns its size. The
// copy is a database file: restore it by copying it over the file of a
// stopped bot.
func (s *Store) WriteBackup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", s.path, err)
	}
	return n, nil
}

// BackupFile writes a consistent copy of the database file at dbPath to
// destPath (mode 0600), atomically: destPath is either the old file or the
// whole copy. It opens dbPath read-only, which bbolt allows only when no
// process has it open for writing: it fails at once with an error wrapping
// ErrInUse if a bot holds it (a running bot is backed up by
// Store.WriteBackup).
func BackupFile(ctx context.Context, dbPath, destPath string) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("backup %s: %w", dbPath, err)
	}
	if a, errA := os.Stat(dbPath); errA == nil {
		if b, errB := os.Stat(destPath); errB == nil && os.SameFile(a, b) {
			return fmt.Errorf("backup %s: the destination is the database itself", dbPath)
		}
	}
	db, err := bolt.Open(dbPath, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("backup: %w", openError(dbPath, err))
	}
	defer db.Close()

	tmp, err := os.CreateTemp(filepath.Dir(destPath), "."+filepath.Base(destPath)+".tmp*")
	if err != nil {
		return fmt.Errorf("backup %s: %w", dbPath, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return errors.New("not an esimbot database")
		}
		_, err := tx.WriteTo(abortableWriter{done: ctx.Err, w: tmp})
		if ctx.Err() != nil {
			return ctx.Err() // bbolt's error does not wrap it
		}
		return err
	})
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), destPath)
	}
	if err != nil {
		return fmt.Errorf("backup %s to %s: %w", dbPath, destPath, err)
	}
	syncDir(filepath.Dir(destPath))
	return nil
}

// syncDir makes a rename in dir durable, where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// abortableWriter is a writer that fails once done returns an error (a
// context's Err), so a long copy can be abandoned.
type abortableWriter struct {
	done func() error
	w    io.Writer
}

// Write writes p to w unless done reports an error.
func (a abortableWriter) Write(p []byte) (int, error) {
	if err := a.done(); err != nil {
		return 0, err
	}
	return a.w.Write(p)
}
