package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/esimbot/esimbot/flows"
)

// SchemaVersion is the layout version this package reads and writes (the
// drawing in the package comment). Files of older versions are migrated
// when opened.
const SchemaVersion = 5

// The buckets. Every one is created when a file is opened.
var (
	bucketMeta          = []byte("meta")                     // "version" → schema version
	bucketConversations = []byte("conversations")            // chat → conversation
	bucketConvByUpdated = []byte("conversations_by_updated") // updated, chat → empty (since version 4)
	bucketSales         = []byte("sales")                    // ref → sale
	bucketSalesByUser   = []byte("sales_by_user")            // user, created, ref
	bucketSalesByICCID  = []byte("sales_by_iccid")           // iccid, 0, created, ref
	bucketSalesByState  = []byte("sales_by_state")           // state, 0, created, ref
	bucketSalesByTime   = []byte("sales_by_time")            // created, ref
	bucketUsers         = []byte("users")                    // user → user
	bucketDedup         = []byte("dedup")                    // namespace, 0, key → at
	bucketDedupWindow   = []byte("dedup_window")             // at, namespace, 0, key ("update" only)
	bucketInbox         = []byte("inbox")                    // bot ID, update ID → update not yet handled (since version 2; bot ID since 3)
	bucketBlobs         = []byte("blobs")                    // name → opaque bytes of another component (created at open, no version bump)
	bucketInvites       = []byte("invites")                  // invite hash → invite (created at open, no version bump)
	bucketGrants        = []byte("grants")                   // user → role given by an invite (created at open, no version bump)
	bucketAlerts        = []byte("alerts")                   // event key → when admins were told (created at open, no version bump)
	bucketUsageAlerts   = []byte("usage_alerts")             // alert key → when a customer's usage alert was sent (created at open, no version bump)
	bucketSupport       = []byte("support")                  // the support desk's threads and indexes (support.go; created at open, no version bump)

	bucketPayments       = []byte("payments")         // charge ID → payment (since version 5)
	bucketPaymentsByUser = []byte("payments_by_user") // user, at, charge ID → empty (since version 5)
)

// buckets lists the top-level buckets of the current schema.
var buckets = [][]byte{
	bucketMeta, bucketConversations, bucketConvByUpdated, bucketSales, bucketSalesByUser,
	bucketSalesByICCID, bucketSalesByState, bucketSalesByTime, bucketUsers,
	bucketDedup, bucketDedupWindow, bucketInbox, bucketBlobs,
	bucketInvites, bucketGrants, bucketAlerts, bucketUsageAlerts,
	bucketPayments, bucketPaymentsByUser,
	bucketSupport,
}

// keyVersion is the key of the schema version in bucketMeta.
var keyVersion = []byte("version")

// migrations upgrade a file one schema version at a time: migrations[i]
// takes a file of version i+1 to version i+2, inside the transaction that
// opens it, and sees the layout that version left. Its length is
// SchemaVersion-1 (a test checks it).
var migrations = []func(tx *bolt.Tx) error{
	// 1 → 2: the inbox of received Telegram updates.
	func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketInbox)
		return err
	},
	// 2 → 3: updates keyed by the bot's ID as well.
	migrateUpdatesToBots,
	// 3 → 4: the expiry index of the conversations.
	migrateExpiryIndex,
	// 4 → 5: payments. The bump keeps an older esimbot, which would sell a
	// sale that awaits payment, from opening the file.
	func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketPayments, bucketPaymentsByUser} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
}

// ErrInUse is returned (wrapped, with the path) when another process, or
// another Store of this one, holds the database file.
var ErrInUse = errors.New("database is in use by another esimbot")

// Options tune a Store. The zero value is the default.
type Options struct {
	// Timeout is how long Open waits for a file another process holds
	// before it fails with ErrInUse (default 1 s).
	Timeout time.Duration
	// DedupWindow is how long keys of the "update" namespace of FirstSeen
	// are remembered (default 48 h; Telegram keeps updates for 24 h).
	DedupWindow time.Duration
	// MaxBatchDelay and MaxBatchSize tune the group commit of concurrent
	// writes: how long a write that finds no commit under way waits for
	// others (default 1 ms; negative: none; the writes that arrive while a
	// commit runs share the next one anyway), and the most writes in one
	// transaction (default 1000). See BenchmarkSaveConversation.
	MaxBatchDelay time.Duration
	MaxBatchSize  int
	// OnSweep, if set, is told the outcome of each sweep of RunSweeper,
	// to log or count it.
	OnSweep func(expired int, err error)
}

// Store is esimbot's state in one bbolt file, safe for concurrent use.
// It implements flows.Store and flows.Dedup.
type Store struct {
	db   *bolt.DB
	path string
	opts Options

	group   *groupCommit            // shares write transactions among concurrent writes
	commits atomic.Uint64           // write transactions committed
	lastTx  atomic.Pointer[bolt.Tx] // the last write transaction counted

	// The decodings of recent records, which reads copy while the stored
	// bytes are unchanged (memo.go).
	users *memo[flows.User]
	convs *memo[flows.Conversation]
	sales *memo[flows.Sale]
}

var (
	_ flows.Store = (*Store)(nil)
	_ flows.Dedup = (*Store)(nil)
)

// Open opens (creating it with mode 0600 if need be) the database file at
// path, migrates it to SchemaVersion if it is older, and refuses it if it
// is newer. It fails with an error wrapping ErrInUse if another process
// holds the file.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if opts.DedupWindow <= 0 {
		opts.DedupWindow = 48 * time.Hour
	}
	if opts.MaxBatchSize <= 0 {
		opts.MaxBatchSize = 1000
	}
	if opts.MaxBatchDelay == 0 {
		opts.MaxBatchDelay = time.Millisecond
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout})
	if err != nil {
		return nil, openError(path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return prepare(tx, SchemaVersion, migrations) }); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, opts: opts,
		users: newMemo(cloneUser), convs: newMemo(cloneConversation), sales: newMemo(cloneSale)}
	s.group = &groupCommit{db: db, delay: opts.MaxBatchDelay, size: opts.MaxBatchSize, count: s.count}
	return s, nil
}

// openError translates an error of bolt.Open.
func openError(path string, err error) error {
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("%w (%s)", ErrInUse, path)
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Path == path {
		return err // "open PATH: ..." already
	}
	return fmt.Errorf("open %s: %w", path, err)
}

// prepare brings the file of tx to version current with steps (steps[i]
// goes from version i+1 to i+2) and creates every bucket.
func prepare(tx *bolt.Tx, current uint64, steps []func(*bolt.Tx) error) error {
	var version uint64
	if meta := tx.Bucket(bucketMeta); meta != nil {
		v := meta.Get(keyVersion)
		if len(v) != 8 || binary.BigEndian.Uint64(v) == 0 {
			return fmt.Errorf("schema version %x unreadable: the file is damaged", v)
		}
		version = binary.BigEndian.Uint64(v)
	} else if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		return fmt.Errorf("bucket %q but no schema version: not an esimbot database", name)
	}); err != nil {
		return err
	}
	if version > current {
		return fmt.Errorf("schema version %d is newer than this esimbot's %d: run a newer esimbot", version, current)
	}
	if version > 0 {
		if int(current-1) > len(steps) {
			return fmt.Errorf("no migration from schema version %d to %d", len(steps)+1, current)
		}
		for v := version; v < current; v++ {
			if err := steps[v-1](tx); err != nil {
				return fmt.Errorf("migrate schema version %d to %d: %w", v, v+1, err)
			}
		}
	}
	for _, name := range buckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if version == current {
		return nil
	}
	return tx.Bucket(bucketMeta).Put(keyVersion, u64(current))
}

// update runs fn in a write transaction of its own (bbolt's Update),
// counted by Commits.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		s.count(tx)
		return fn(tx)
	})
}

// batch runs fn in a write transaction shared with concurrent calls (the
// group commit: fn may run more than once), counted by Commits.
func (s *Store) batch(fn func(tx *bolt.Tx) error) error { return s.group.run(fn) }

// count has the commit of tx counted once, however many functions of a
// batch run in it (they run one after another, in one goroutine).
func (s *Store) count(tx *bolt.Tx) {
	if s.lastTx.Swap(tx) != tx {
		tx.OnCommit(func() { s.commits.Add(1) })
	}
}

// Commits returns how many write transactions the Store committed since it
// was opened (each is two fsyncs with bbolt), for benchmarks and metrics:
// concurrent writes that shared a commit count once.
func (s *Store) Commits() uint64 { return s.commits.Load() }

// Close closes the database file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// u64 returns v as 8 big-endian bytes.
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// nanos returns t as Unix nanoseconds for a key, clamped to [0, MaxUint64].
func nanos(t time.Time) uint64 {
	switch {
	case t.Before(time.Unix(0, 0)):
		return 0
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxUint64
	}
	return uint64(t.UnixNano())
}

// idKey returns a chat or user ID as a key.
func idKey[ID ~int64](id ID) []byte { return u64(uint64(id)) }

// get decodes the value of key in bucket into v, and reports whether there
// was one. Decoding copies the bytes out of the transaction.
func get(tx *bolt.Tx, bucket, key []byte, v any) (bool, error) {
	b := tx.Bucket(bucket).Get(key)
	if b == nil {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return true, fmt.Errorf("decode %s %x: %w", bucket, key, err)
	}
	return true, nil
}

// put encodes v as the value of key in bucket.
func put(tx *bolt.Tx, bucket, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %x: %w", bucket, key, err)
	}
	return tx.Bucket(bucket).Put(key, b)
}
