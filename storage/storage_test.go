package storage_test

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/flows/storetest"
	"github.com/esimbot/esimbot/storage"
)

var update = flag.Bool("update", false, "rewrite testdata/schema-v1.db")

// MustOpen opens a new store in a temporary directory; cleanup checks it
// (tx.Check and the indexes) and closes it, failing the test on any error.
func MustOpen(tb testing.TB) *storage.Store {
	tb.Helper()
	return MustOpenPath(tb, filepath.Join(tb.TempDir(), "esimbot.db"), storage.Options{})
}

// MustOpenPath opens the store at path with opts, checked and closed on cleanup.
func MustOpenPath(tb testing.TB, path string, opts storage.Options) *storage.Store {
	tb.Helper()
	st, err := storage.Open(path, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := st.Check(); err != nil {
			tb.Error(err)
		}
		if err := st.Close(); err != nil {
			tb.Error(err)
		}
	})
	return st
}

// rawUpdate changes the file at path with bbolt directly, as an older or
// newer esimbot, or a damaged disk, might have left it.
func rawUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// rawView reads the file at path with bbolt directly.
func rawView(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(fn); err != nil {
		t.Fatal(err)
	}
}

// newFile creates a store at a new path, lets fill write to it, closes it
// and returns the path.
func newFile(t *testing.T, fill func(st *storage.Store)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "esimbot.db")
	st, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fill != nil {
		fill(st)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func setVersion(v []byte) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("version"), v) }
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.StoreUnderTest { return MustOpen(t) })
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("FileMode0600", func(t *testing.T) {
		st := MustOpen(t)
		fi, err := os.Stat(st.Path())
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("file mode %v, want 0600", got)
		}
	})
	t.Run("ErrInUse", func(t *testing.T) {
		st := MustOpen(t)
		start := time.Now()
		_, err := storage.Open(st.Path(), storage.Options{Timeout: 100 * time.Millisecond})
		if !errors.Is(err, storage.ErrInUse) {
			t.Fatalf("second open: got %v, want ErrInUse", err)
		}
		if want := "database is in use by another esimbot (" + st.Path() + ")"; err.Error() != want {
			t.Errorf("got %q, want %q", err, want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("second open took %v", d)
		}
	})
	t.Run("DefaultTimeout", func(t *testing.T) {
		st := MustOpen(t)
		start := time.Now()
		_, err := storage.Open(st.Path(), storage.Options{})
		if !errors.Is(err, storage.ErrInUse) {
			t.Fatalf("second open: got %v, want ErrInUse", err)
		}
		if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
			t.Errorf("second open failed after %v, want about 1 s", d)
		}
	})
	t.Run("Reopen", func(t *testing.T) {
		path := newFile(t, func(st *storage.Store) {
			if _, err := st.CreateSale(ctx, storetest.NewSale("EB-1", 7, storetest.T0), storetest.NewConversation(7, storetest.T0)); err != nil {
				t.Fatal(err)
			}
		})
		st := MustOpenPath(t, path, storage.Options{})
		got, err := st.Sale(ctx, "EB-1")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(storetest.NewSale("EB-1", 7, storetest.T0), got); d != "" {
			t.Errorf("sale after reopening (-want +got):\n%s", d)
		}
	})
	t.Run("NewFileGetsSchemaVersion", func(t *testing.T) {
		path := newFile(t, nil)
		rawView(t, path, func(tx *bolt.Tx) error {
			v := tx.Bucket([]byte("meta")).Get([]byte("version"))
			if len(v) != 8 || binary.BigEndian.Uint64(v) != storage.SchemaVersion {
				t.Errorf("version %x, want %d", v, storage.SchemaVersion)
			}
			var names []string
			tx.ForEach(func(name []byte, _ *bolt.Bucket) error { names = append(names, string(name)); return nil })
			want := []string{"alerts", "blobs", "conversations", "conversations_by_updated", "dedup", "dedup_window", "grants", "inbox", "invites", "meta", "payments", "payments_by_user", "sales", "sales_by_iccid",
				"sales_by_state", "sales_by_time", "sales_by_user", "support", "usage_alerts", "users"}
			if d := cmp.Diff(want, names); d != "" {
				t.Errorf("buckets (-want +got):\n%s", d)
			}
			return nil
		})
	})
	t.Run("ErrNewerSchema", func(t *testing.T) {
		path := newFile(t, nil)
		rawUpdate(t, path, setVersion(u64(storage.SchemaVersion+1)))
		_, err := storage.Open(path, storage.Options{})
		if err == nil {
			t.Fatal("opened a file of a newer schema")
		}
		want := fmt.Sprintf("open %s: schema version %d is newer than this esimbot's %d: run a newer esimbot", path, storage.SchemaVersion+1, storage.SchemaVersion)
		if err.Error() != want {
			t.Errorf("got %q, want %q", err, want)
		}
		rawView(t, path, func(tx *bolt.Tx) error { // untouched
			if v := tx.Bucket([]byte("meta")).Get([]byte("version")); binary.BigEndian.Uint64(v) != storage.SchemaVersion+1 {
				t.Errorf("version changed to %x", v)
			}
			return nil
		})
	})
	t.Run("ErrDamagedVersion", func(t *testing.T) {
		for _, v := range [][]byte{{1}, u64(0), {}} {
			path := newFile(t, nil)
			rawUpdate(t, path, setVersion(v))
			if _, err := storage.Open(path, storage.Options{}); err == nil || !strings.Contains(err.Error(), "damaged") {
				t.Errorf("version %x: got %v, want a damaged-file error", v, err)
			}
		}
	})
	t.Run("ErrNoVersionWithData", func(t *testing.T) {
		// Every esimbot writes a version: a file with buckets and none is
		// someone else's (or esimbot's meta was lost) and is left alone.
		path := filepath.Join(t.TempDir(), "other.db")
		rawUpdate(t, path, func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte("sales"))
			if err != nil {
				return err
			}
			return b.Put([]byte("x"), []byte("{}"))
		})
		_, err := storage.Open(path, storage.Options{})
		if err == nil || !strings.Contains(err.Error(), `bucket "sales" but no schema version: not an esimbot database`) {
			t.Fatalf("got %v, want a refusal", err)
		}
		rawView(t, path, func(tx *bolt.Tx) error {
			if tx.Bucket([]byte("meta")) != nil {
				t.Error("the refused file was changed")
			}
			return nil
		})
	})
	t.Run("ErrNotADatabase", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notes.txt")
		if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := storage.Open(path, storage.Options{}); err == nil || !strings.HasPrefix(err.Error(), "open "+path+": ") {
			t.Errorf("got %v, want an open error", err)
		}
	})
	t.Run("ErrNoDirectory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing", "esimbot.db")
		if _, err := storage.Open(path, storage.Options{}); err == nil || errors.Is(err, storage.ErrInUse) {
			t.Errorf("got %v, want an open error", err)
		}
	})
}

// TestMigrations tries the migration mechanism with migrations of the
// test's own, on a file set back to version 1.
func TestMigrations(t *testing.T) {
	if storage.Migrations != storage.SchemaVersion-1 {
		t.Fatalf("%d migrations for schema version %d: add the migration with the version bump", storage.Migrations, storage.SchemaVersion)
	}
	note := func(v string) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("meta"))
			return b.Put([]byte("trail"), append(b.Get([]byte("trail")), v...))
		}
	}
	open := func(t *testing.T) *bolt.DB {
		path := newFile(t, nil)
		rawUpdate(t, path, setVersion(u64(1)))
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	read := func(t *testing.T, db *bolt.DB) (version uint64, trail string) {
		db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("meta"))
			version, trail = binary.BigEndian.Uint64(b.Get([]byte("version"))), string(b.Get([]byte("trail")))
			return nil
		})
		return version, trail
	}
	t.Run("InOrder", func(t *testing.T) {
		db := open(t)
		if err := storage.Prepare(db, 3, []func(*bolt.Tx) error{note("a"), note("b")}); err != nil {
			t.Fatal(err)
		}
		if v, trail := read(t, db); v != 3 || trail != "ab" {
			t.Errorf("got version %d after %q, want 3 after \"ab\"", v, trail)
		}
		if err := storage.Prepare(db, 3, []func(*bolt.Tx) error{note("a"), note("b")}); err != nil {
			t.Fatal(err)
		}
		if v, trail := read(t, db); v != 3 || trail != "ab" {
			t.Errorf("opening again: version %d after %q, want 3 after \"ab\"", v, trail)
		}
	})
	t.Run("OneTransaction", func(t *testing.T) {
		db := open(t)
		boom := func(*bolt.Tx) error { return errors.New("boom") }
		err := storage.Prepare(db, 3, []func(*bolt.Tx) error{note("a"), boom})
		if err == nil || err.Error() != "migrate schema version 2 to 3: boom" {
			t.Errorf("got %v, want the failed migration named", err)
		}
		if v, trail := read(t, db); v != 1 || trail != "" {
			t.Errorf("after a failed migration: version %d after %q, want 1 untouched", v, trail)
		}
	})
	t.Run("ErrMissingMigration", func(t *testing.T) {
		db := open(t)
		if err := storage.Prepare(db, 3, []func(*bolt.Tx) error{note("a")}); err == nil {
			t.Error("migrated to 3 with one migration")
		}
	})
}

// TestSchemaV1File opens testdata/schema-v1.db, a file written by schema
// version 1, the input of the first migration's test. go test -update
// writes it again (only while SchemaVersion is 1).
func TestSchemaV1File(t *testing.T) {
	ctx := context.Background()
	const fixture = "testdata/schema-v1.db"
	fill := func(st *storage.Store) {
		for i, ref := range []string{"EB-1", "EB-2", "EB-3"} {
			at := storetest.T0.Add(time.Duration(i) * time.Hour)
			user := flows.UserID(100 + i%2)
			if _, err := st.CreateSale(ctx, storetest.NewSale(ref, user, at), storetest.NewConversation(flows.ChatID(i), at)); err != nil {
				t.Fatal(err)
			}
			if err := st.SaveUser(ctx, flows.User{ID: user, Lang: "fr", FirstSeen: at, LastSeen: at}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.FirstSeen(ctx, "update", ref, at); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.UpdateSale(ctx, "EB-2", func(s *flows.Sale) error {
			s.ICCID, s.OrderID = "8933000000000000002", "ord-2"
			return s.MoveTo(flows.SaleAssigning, storetest.T0.Add(5*time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if *update && storage.SchemaVersion == 1 {
		path := newFile(t, fill)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixture, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "esimbot.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	st := MustOpenPath(t, path, storage.Options{})
	got, err := st.SalesByUser(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Ref != "EB-3" || got[1].Ref != "EB-1" {
		t.Errorf("sales of user 100: %+v", got)
	}
	if got, err := st.SalesByICCID(ctx, "8933000000000000002"); err != nil || len(got) != 1 || got[0].State != flows.SaleAssigning {
		t.Errorf("sales of the ICCID: %+v, %v", got, err)
	}
	if u, err := st.User(ctx, 101); err != nil || u.Lang != "fr" {
		t.Errorf("user 101: %+v, %v", u, err)
	}
	if c, err := st.Conversation(ctx, 2); err != nil || c.Version != 1 || c.Draft.Bundle == nil {
		t.Errorf("conversation 2: %+v, %v", c, err)
	}
	if first, err := st.FirstSeen(ctx, "update", "EB-1", storetest.T0); err != nil || first {
		t.Errorf("update EB-1 seen first again: %t, %v", first, err)
	}
	// Migration 1 → 2 added the inbox (after the dedup checks: a new update
	// prunes the window of old keys).
	if isNew, err := st.PutUpdate(ctx, 123456, 42, []byte(`{"update_id":42}`)); err != nil || !isNew {
		t.Errorf("inbox after migration: %v, %v", isNew, err)
	}
	if isNew, err := st.PutUpdate(ctx, 123456, 0, nil); err != nil || !isNew {
		t.Errorf("update 0: %v, %v", isNew, err)
	}
}

// TestSchemaV2File opens testdata/schema-v2.db, a file written by schema
// version 2 (with version 2's PutUpdate, which took no bot ID: the file
// cannot be written again), and checks migration 2 → 3: the updates it
// kept, pending or handled, belong to no bot until the first bot to ask
// for its pending updates adopts them.
func TestSchemaV2File(t *testing.T) {
	ctx := context.Background()
	const fixture = "testdata/schema-v2.db"
	upd := func(id int64) []byte {
		return fmt.Appendf(nil, `{"update_id":%d,"message":{"message_id":%d,"date":1773446400,"chat":{"id":501,"type":"private"},"from":{"id":501,"is_bot":false,"first_name":"Ada"},"text":"m%d"}}`, id, id, id)
	}
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "esimbot.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// A window of a century: the fixture's update keys must not expire.
	opts := storage.Options{DedupWindow: 100 * 365 * 24 * time.Hour}
	st, err := storage.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(st.Check(), st.Close()); err != nil {
		t.Fatal(err)
	}
	// The migrated layout: what the file kept is bot 0's.
	rawView(t, path, func(tx *bolt.Tx) error {
		var inbox, dedup []string
		tx.Bucket([]byte("inbox")).ForEach(func(k, _ []byte) error { inbox = append(inbox, fmt.Sprintf("%x", k)); return nil })
		tx.Bucket([]byte("dedup")).ForEach(func(k, _ []byte) error { dedup = append(dedup, string(k)); return nil })
		if d := cmp.Diff([]string{fmt.Sprintf("%016x%016x", 0, 7), fmt.Sprintf("%016x%016x", 0, 9)}, inbox); d != "" {
			t.Errorf("inbox keys (-want +got):\n%s", d)
		}
		want := []string{"charge\x00ch-1", "update\x000:5", "update\x000:7", "update\x000:9", "update\x00EB-1"}
		if d := cmp.Diff(want, dedup); d != "" {
			t.Errorf("dedup keys (-want +got):\n%s", d)
		}
		return nil
	})

	st = MustOpenPath(t, path, opts)
	if s, err := st.Sale(ctx, "EB-1"); err != nil || s.User != 501 {
		t.Errorf("sale EB-1: %+v, %v", s, err)
	}
	// The first bot to ask adopts them; another bot has none.
	const bot, other = 123456, 654321
	got, err := st.PendingUpdates(ctx, bot)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{string(upd(7)), string(upd(9))}, toStrings(got)); d != "" {
		t.Errorf("pending updates (-want +got):\n%s", d)
	}
	if got, err := st.PendingUpdates(ctx, other); err != nil || len(got) != 0 {
		t.Errorf("pending updates of another bot: %q, %v", got, err)
	}
	for _, id := range []int64{5, 7} {
		if isNew, err := st.PutUpdate(ctx, bot, id, upd(id)); err != nil || isNew {
			t.Errorf("update %d again: %v, %v; want a duplicate", id, isNew, err)
		}
	}
	if isNew, err := st.PutUpdate(ctx, other, 5, upd(5)); err != nil || !isNew {
		t.Errorf("update 5 of another bot: %v, %v; want a new update", isNew, err)
	}
	if err := st.UpdateDone(ctx, bot, 7); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.PendingUpdates(ctx, bot); len(got) != 1 || string(got[0]) != string(upd(9)) {
		t.Errorf("pending after done: %q", got)
	}
	if first, err := st.FirstSeen(ctx, "update", "EB-1", storetest.T0); err != nil || first {
		t.Errorf("update key EB-1 seen first again: %t, %v", first, err)
	}
	if first, err := st.FirstSeen(ctx, "charge", "ch-1", storetest.T0); err != nil || first {
		t.Errorf("charge ch-1 seen first again: %t, %v", first, err)
	}
}

func toStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func TestSalesBetween(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, paris)
	for i, at := range []time.Time{
		day.Add(-time.Nanosecond), day, day.Add(12 * time.Hour), day.Add(24*time.Hour - time.Nanosecond), day.Add(24 * time.Hour),
	} {
		ref := string(rune('A' + i))
		if _, err := st.CreateSale(ctx, storetest.NewSale(ref, 1, at), storetest.NewConversation(flows.ChatID(i), at)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.SalesBetween(ctx, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, s := range got {
		refs = append(refs, s.Ref)
	}
	if d := cmp.Diff([]string{"B", "C", "D"}, refs); d != "" {
		t.Errorf("sales of the day (-want +got):\n%s", d)
	}
	if got, _ := st.SalesBetween(ctx, day.AddDate(0, 0, 1), day); len(got) != 0 {
		t.Errorf("an empty range holds %d sales", len(got))
	}
}

func TestDedupWindow(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "esimbot.db")
	opts := storage.Options{DedupWindow: time.Hour}
	st, err := storage.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t0 := storetest.T0
	seen := func(ns, key string, at time.Time, want bool) {
		t.Helper()
		if got, err := st.FirstSeen(ctx, ns, key, at); err != nil || got != want {
			t.Errorf("FirstSeen(%q, %q, %v) = %t, %v; want %t", ns, key, at, got, err, want)
		}
	}
	seen("charge", "ch-1", t0, true)
	for i := range 300 {
		seen("update", string(rune(1000+i)), t0.Add(time.Duration(i)*time.Millisecond), true)
	}
	seen("update", "late", t0.Add(time.Hour), true) // nothing older than the window yet
	seen("update", string(rune(1000)), t0.Add(time.Hour), false)
	seen("update", "later", t0.Add(3*time.Hour), true) // drops the 256 oldest
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	count := func(bucket string) (n int) {
		rawView(t, path, func(tx *bolt.Tx) error { n = tx.Bucket([]byte(bucket)).Stats().KeyN; return nil })
		return n
	}
	if got, want := count("dedup_window"), 300+2-256; got != want {
		t.Errorf("dedup_window holds %d keys after one pruning, want %d", got, want)
	}
	st, err = storage.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	seen("update", string(rune(1000)), t0.Add(3*time.Hour), true) // forgotten
	seen("update", string(rune(1299)), t0.Add(3*time.Hour), true) // forgotten by this call's pruning
	seen("update", "later", t0.Add(3*time.Hour), false)           // within the window
	seen("charge", "ch-1", t0.Add(1000*time.Hour), false)         // kept
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if got, want := count("dedup_window"), 3; got != want {
		t.Errorf("dedup_window holds %d keys, want %d (later and the two seen again)", got, want)
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	path := newFile(t, func(st *storage.Store) {
		if _, err := st.CreateSale(ctx, storetest.NewSale("EB-1", 7, storetest.T0), storetest.NewConversation(7, storetest.T0)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.FirstSeen(ctx, "update", "1", storetest.T0); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct {
		name, want string
		damage     func(tx *bolt.Tx) error
	}{
		{"MissingIndexEntry", "sales_by_state: entry", func(tx *bolt.Tx) error {
			c := tx.Bucket([]byte("sales_by_state")).Cursor()
			k, _ := c.First()
			return tx.Bucket([]byte("sales_by_state")).Delete(k)
		}},
		{"StaleIndexEntry", "sales_by_user: entry", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("sales_by_user")).Put(append(u64(8), append(u64(1), "EB-1"...)...), []byte{})
		}},
		{"BadValue", "sales 45422d31: unexpected end of JSON input", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("sales")).Put([]byte("EB-1"), []byte("{"))
		}},
		{"WrongKey", "holds the value of", func(tx *bolt.Tx) error {
			v := tx.Bucket([]byte("conversations")).Get(u64(7))
			return tx.Bucket([]byte("conversations")).Put(u64(8), append([]byte(nil), v...))
		}},
		{"MissingExpiryEntry", "conversations_by_updated: entry", func(tx *bolt.Tx) error {
			c := tx.Bucket([]byte("conversations_by_updated")).Cursor()
			k, _ := c.First()
			return tx.Bucket([]byte("conversations_by_updated")).Delete(k)
		}},
		{"StaleExpiryEntry", "conversations_by_updated: entry", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("conversations_by_updated")).Put(append(u64(1), u64(7)...), []byte{})
		}},
		{"DedupWithoutWindow", "not in dedup_window", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("dedup")).Put([]byte("update\x002"), u64(1))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			damaged := filepath.Join(t.TempDir(), "damaged.db")
			if err := os.WriteFile(damaged, b, 0o600); err != nil {
				t.Fatal(err)
			}
			rawUpdate(t, damaged, tc.damage)
			st, err := storage.Open(damaged, storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want a problem with %q", err, tc.want)
			}
		})
	}
}

func TestSweep(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	fill := func(t *testing.T, st *storage.Store) {
		for chat, updated := range map[flows.ChatID]time.Time{1: now.Add(-2 * time.Hour), 2: now.Add(-time.Minute)} {
			if _, err := st.SaveConversation(ctx, storetest.NewConversation(chat, updated)); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("Sweep", func(t *testing.T) {
		st := MustOpen(t)
		fill(t, st)
		if n, err := st.Sweep(ctx, time.Hour); err != nil || n != 1 {
			t.Errorf("swept %d, %v; want 1", n, err)
		}
		if _, err := st.Conversation(ctx, 2); err != nil {
			t.Errorf("the active conversation: %v", err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := st.Sweep(cancelled, time.Hour); !errors.Is(err, context.Canceled) {
			t.Errorf("sweep with a cancelled context: %v", err)
		}
	})
	t.Run("RunSweeper", func(t *testing.T) {
		swept := make(chan int)
		st := MustOpenPath(t, filepath.Join(t.TempDir(), "esimbot.db"), storage.Options{
			OnSweep: func(n int, err error) {
				if err != nil {
					t.Error(err)
				}
				swept <- n
			},
		})
		fill(t, st)
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { st.RunSweeper(ctx, time.Millisecond, time.Hour); close(done) }()
		if n := <-swept; n != 1 {
			t.Errorf("first sweep dropped %d, want 1", n)
		}
		if _, err := st.SaveConversation(ctx, storetest.NewConversation(3, now.Add(-3*time.Hour))); err != nil {
			t.Fatal(err)
		}
		for n := 0; n == 0; { // a later sweep drops the new idle one
			n = <-swept
		}
		if _, err := st.Conversation(ctx, 3); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("conversation 3 after sweeps: %v", err)
		}
		cancel()
		for {
			select {
			case <-swept:
				continue
			case <-done:
			}
			break
		}
	})
}

// fillV3 writes what testdata/schema-v3.db holds: conversations of
// several ages, a sale with its conversation, a user and a pending update.
func fillV3(t *testing.T, st *storage.Store) {
	ctx := context.Background()
	for chat, age := range map[flows.ChatID]time.Duration{1: 30 * time.Hour, 2: 25 * time.Hour, 3: time.Hour, 4: 0} {
		if _, err := st.SaveConversation(ctx, storetest.NewConversation(chat, storetest.T0.Add(-age))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.CreateSale(ctx, storetest.NewSale("EB-1", 5, storetest.T0), storetest.NewConversation(5, storetest.T0.Add(-48*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveUser(ctx, flows.User{ID: 5, Lang: "fr", FirstSeen: storetest.T0, LastSeen: storetest.T0}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutUpdate(ctx, 123456, 9, []byte(`{"update_id":9}`)); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaV3File opens testdata/schema-v3.db, a file written by schema
// version 3, and checks migration 3 → 4: the expiry index of the
// conversations is built, so a sweep finds the idle ones. go test -update
// writes the file again (only while SchemaVersion is 3).
func TestSchemaV3File(t *testing.T) {
	ctx := context.Background()
	const fixture = "testdata/schema-v3.db"
	if *update && storage.SchemaVersion == 3 {
		path := newFile(t, func(st *storage.Store) { fillV3(t, st) })
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixture, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "esimbot.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	st := MustOpenPath(t, path, storage.Options{DedupWindow: 100 * 365 * 24 * time.Hour})
	// Chats 1, 2 and 5 are idle for more than a day.
	if n, err := st.ExpireConversations(ctx, storetest.T0.Add(-24*time.Hour)); err != nil || n != 3 {
		t.Errorf("expired %d, %v; want 3", n, err)
	}
	for chat, kept := range map[flows.ChatID]bool{1: false, 2: false, 3: true, 4: true, 5: false} {
		if _, err := st.Conversation(ctx, chat); (err == nil) != kept {
			t.Errorf("conversation %d: %v, want kept %t", chat, err, kept)
		}
	}
	if s, err := st.Sale(ctx, "EB-1"); err != nil || s.User != 5 {
		t.Errorf("sale EB-1: %+v, %v", s, err)
	}
	if got, err := st.PendingUpdates(ctx, 123456); err != nil || len(got) != 1 {
		t.Errorf("pending updates: %q, %v", got, err)
	}
}

func TestBulk(t *testing.T) {
	ctx := context.Background()
	st := MustOpen(t) // checked on cleanup: indexes and expiry entries
	var sales []flows.Sale
	var convs []flows.Conversation
	for i := range 10 {
		sales = append(sales, storetest.NewSale(fmt.Sprintf("EB-%d", i), flows.UserID(i%3), storetest.T0.Add(time.Duration(i)*time.Minute)))
		c := storetest.NewConversation(flows.ChatID(i), storetest.T0)
		c.Version = 4
		convs = append(convs, c)
	}
	users := []flows.User{{ID: 1, Lang: "fr", FirstSeen: storetest.T0, LastSeen: storetest.T0}}
	if err := st.Bulk(ctx, sales, convs, users); err != nil {
		t.Fatal(err)
	}
	if got, err := st.SalesByUser(ctx, 1); err != nil || len(got) != 3 {
		t.Errorf("sales of user 1: %d, %v; want 3", len(got), err)
	}
	if c, err := st.Conversation(ctx, 3); err != nil || c.Version != 4 {
		t.Errorf("conversation 3: version %d, %v; want 4", c.Version, err)
	}
	if n, err := st.ExpireConversations(ctx, storetest.T0.Add(time.Second)); err != nil || n != 10 {
		t.Errorf("expired %d, %v; want 10", n, err)
	}
	if err := st.Bulk(ctx, sales[:1], nil, nil); !errors.Is(err, flows.ErrSaleExists) {
		t.Errorf("a sale written twice: %v", err)
	}
}
