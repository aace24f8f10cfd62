package storage_test

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/storage"
)

func TestBlobs(t *testing.T) {
	ctx := context.Background()
	t.Run("RoundTrip", func(t *testing.T) {
		st := MustOpen(t)
		if _, ok, err := st.Blob(ctx, "sandbox"); ok || err != nil {
			t.Fatalf("blob of a new file: %t, %v; want none", ok, err)
		}
		for _, v := range []string{`{"orders":[]}`, `{"orders":[1]}`, ""} {
			if err := st.PutBlob(ctx, "sandbox", []byte(v)); err != nil {
				t.Fatal(err)
			}
			got, ok, err := st.Blob(ctx, "sandbox")
			if err != nil || !ok || string(got) != v {
				t.Errorf("blob after putting %q: %q, %t, %v", v, got, ok, err)
			}
		}
		if _, ok, _ := st.Blob(ctx, "other"); ok {
			t.Error("a blob under another name")
		}
	})
	t.Run("SurvivesReopen", func(t *testing.T) {
		path := newFile(t, func(st *storage.Store) {
			if err := st.PutBlob(ctx, "sandbox", []byte("state 1")); err != nil {
				t.Fatal(err)
			}
		})
		st := MustOpenPath(t, path, storage.Options{})
		if got, ok, err := st.Blob(ctx, "sandbox"); err != nil || !ok || string(got) != "state 1" {
			t.Errorf("blob after reopening: %q, %t, %v", got, ok, err)
		}
	})
	t.Run("OlderFileGetsTheBucket", func(t *testing.T) {
		// A file of this schema version written before blobs existed.
		path := newFile(t, nil)
		rawUpdate(t, path, func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("blobs")) })
		st, err := storage.Open(path, storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutBlob(ctx, "sandbox", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := st.Check(); err != nil {
			t.Error(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		rawView(t, path, func(tx *bolt.Tx) error {
			if v := tx.Bucket([]byte("meta")).Get([]byte("version")); binary.BigEndian.Uint64(v) != storage.SchemaVersion {
				t.Errorf("version %x, want %d unchanged", v, storage.SchemaVersion)
			}
			return nil
		})
		MustOpenPath(t, path, storage.Options{}) // checked on cleanup
	})
	t.Run("ErrName", func(t *testing.T) {
		st := MustOpen(t)
		for _, name := range []string{"", strings.Repeat("n", 257)} {
			if err := st.PutBlob(ctx, name, []byte("x")); err == nil {
				t.Errorf("put blob %.10q: no error", name)
			}
			if _, _, err := st.Blob(ctx, name); err == nil {
				t.Errorf("blob %.10q: no error", name)
			}
		}
	})
}

func TestBlobsUnderAPrefix(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t)
	put := []storage.NamedBlob{{Name: "s/o/2", Data: []byte("two")}, {Name: "s/o/1", Data: []byte("one")}, {Name: "s/head", Data: []byte("h")}, {Name: "t", Data: []byte("other")}}
	if err := st.PutBlobs(ctx, put); err != nil {
		t.Fatal(err)
	}
	got, err := st.Blobs(ctx, "s/o/")
	if err != nil || len(got) != 2 || got[0].Name != "s/o/1" || string(got[1].Data) != "two" {
		t.Fatalf("blobs under s/o/: %+v, %v; want s/o/1 and s/o/2 in order", got, err)
	}
	// Puts and removals are one transaction: a bad name refuses all.
	if err := st.PutBlobs(ctx, []storage.NamedBlob{{Name: "s/o/3"}, {Name: ""}}, "t"); err == nil {
		t.Error("a blob without a name was stored")
	}
	if _, ok, _ := st.Blob(ctx, "t"); !ok {
		t.Error("a refused PutBlobs removed a blob")
	}
	if err := st.PutBlobs(ctx, []storage.NamedBlob{{Name: "s/o/3", Data: []byte("3")}}, "t", "s/o/1"); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Blobs(ctx, "s/")
	var names []string
	for _, b := range got {
		names = append(names, b.Name)
	}
	if strings.Join(names, " ") != "s/head s/o/2 s/o/3" {
		t.Errorf("blobs under s/ after the change: %v", names)
	}
	if _, ok, _ := st.Blob(ctx, "t"); ok {
		t.Error("a removed blob is still there")
	}
}
