package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// errBlobName refuses a blob name bbolt cannot use as a key.
var errBlobName = errors.New("blob name must be 1 to 256 bytes")

// Blob returns the bytes last stored under name by PutBlob, and false when
// there are none. It is for a component that keeps its own state in the
// data file without storage knowing its form, such as the embedded
// reseller sandbox.
func (s *Store) Blob(_ context.Context, name string) ([]byte, bool, error) {
	if len(name) == 0 || len(name) > 256 {
		return nil, false, fmt.Errorf("blob %q: %w", name, errBlobName)
	}
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketBlobs).Get([]byte(name)); v != nil {
			out = bytes.Clone(v) // non-nil, even when empty
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("blob %q: %w", name, err)
	}
	return out, out != nil, nil
}

// PutBlob stores data under name, replacing what was there, and returns
// once it is on disk.
func (s *Store) PutBlob(_ context.Context, name string, data []byte) error {
	if len(name) == 0 || len(name) > 256 {
		return fmt.Errorf("put blob %q: %w", name, errBlobName)
	}
	err := s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlobs).Put([]byte(name), data)
	})
	if err != nil {
		return fmt.Errorf("put blob %q: %w", name, err)
	}
	return nil
}

// NamedBlob is a blob and its name, as Blobs returns them and PutBlobs
// takes them.
type NamedBlob struct {
	Name string
	Data []byte
}

// Blobs returns the blobs whose names start with prefix, in the order of
// their names (bytewise), for a component that keeps its state as many
// blobs, one per record, so that a change rewrites only what it changed.
func (s *Store) Blobs(_ context.Context, prefix string) ([]NamedBlob, error) {
	if len(prefix) == 0 || len(prefix) > 256 {
		return nil, fmt.Errorf("blobs %q: %w", prefix, errBlobName)
	}
	var out []NamedBlob
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketBlobs).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			out = append(out, NamedBlob{Name: string(k), Data: bytes.Clone(v)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blobs %q: %w", prefix, err)
	}
	return out, nil
}

// PutBlobs stores blobs and deletes the blobs named in remove, all in one
// transaction, and returns once that is on disk: either all of it
// happened or none.
func (s *Store) PutBlobs(_ context.Context, blobs []NamedBlob, remove ...string) error {
	for _, b := range blobs {
		if len(b.Name) == 0 || len(b.Name) > 256 {
			return fmt.Errorf("put blob %q: %w", b.Name, errBlobName)
		}
	}
	err := s.update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketBlobs)
		for _, name := range remove {
			if err := bk.Delete([]byte(name)); err != nil {
				return err
			}
		}
		for _, b := range blobs {
			if err := bk.Put([]byte(b.Name), b.Data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put blobs: %w", err)
	}
	return nil
}
