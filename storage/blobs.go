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
