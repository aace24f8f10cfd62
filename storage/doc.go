// Package storage keeps everything of esimbot that must survive a restart
// in one bbolt file (go.etcd.io/bbolt): conversations, the sale ledger and
// its indexes, users, and the idempotency records of updates and payments.
// It implements flows.Store and flows.Dedup.
//
// # Layout, schema version 5
//
// This drawing is the schema: change it with every change of layout, bump
// SchemaVersion and add a migration (see below). Only a new bucket that
// older versions can ignore needs no bump (blobs, below).
//
//	meta/
//	  "version"                          → uint64: the schema version
//	conversations/
//	  <chat>                             → flows.Conversation
//	conversations_by_updated/            (since version 4)
//	  <updated><chat>                    → empty (the expiry index)
//	sales/
//	  <ref>                              → flows.Sale (never deleted)
//	sales_by_user/
//	  <user><created><ref>               → empty
//	sales_by_iccid/
//	  <iccid> 0x00 <created><ref>        → empty (sales with an ICCID)
//	sales_by_state/
//	  <state> 0x00 <created><ref>        → empty
//	sales_by_time/
//	  <created><ref>                     → empty (reports by day)
//	users/
//	  <user>                             → flows.User
//	dedup/
//	  <namespace> 0x00 <key>             → <at>
//	  "update" 0x00 <bot>:<update>       → <at> (PutUpdate's keys; since version 3)
//	dedup_window/
//	  <at><namespace> 0x00 <key>         → empty ("update" keys only)
//	inbox/                               (since version 2)
//	  <bot id><update id>                → the update's JSON, until handled (<bot id> since version 3)
//	blobs/                               (created at open, see below)
//	  <name>                             → opaque bytes (Blob, PutBlob)
//	invites/                             (created at open, like blobs)
//	  <hash>                             → flows.Invite (hex SHA-256 of the link's token)
//	grants/                              (created at open, like blobs)
//	  <user>                             → flows.Grant (a role given by an invite)
//	alerts/                              (created at open, like blobs)
//	  <key>                              → <at>: an event the admins were told of
//	usage_alerts/                        (created at open, like blobs)
//	  <iccid>|<bundle>|<kind>            → <at>: a usage alert a customer was sent (flows/usagewatch.go)
//	payments/                            (since version 5)
//	  <charge>                           → flows.Payment (never deleted)
//	payments_by_user/                    (since version 5)
//	  <user><at><charge>                 → empty
//	support/                             (created at open, like blobs)
//	  "t" <thread>                       → flows.Thread (the support desk's threads)
//	  "o" <user>                         → <thread>: the user's open thread
//	  "p" <post>                         → <thread>: a staff chat message of the thread (flows.Thread.Posts)
//	  "w" <thread>                       → empty: the thread has something pending
//	  "u" <user><thread>                 → empty: every thread of a user (Forget)
//
// <thread> is a thread's ID (the bucket's sequence) and <post> a staff
// chat message's ID, as 8 big-endian bytes.
// <chat>, <user>, <bot id> and <update id> are the int64 IDs as 8
// big-endian bytes (two's complement: lookups and prefixes only, no
// ranges); <bot>:<update> are the bot and update IDs in decimal. <bot id>
// is the bot's Telegram user ID, the number before the colon of its token:
// Telegram numbers updates per bot, so the updates of two bots that use the
// file in turn (a new token) do not collide. Bot ID 0 holds what a
// version-2 file kept, until a bot adopts it (below). <created> and <at>
// are Unix nanoseconds as 8 big-endian bytes, so byte order is time order;
// times before 1970 count as 0. <ref>, <iccid>, <state>, <namespace> and
// <key> are the strings' bytes (a reference is at most 30 bytes). Every
// sales_by_* key is a prefix, the creation time and the reference, so one
// Seek and a prefix scan list an index oldest first, ties broken by
// reference. sales_by_time answers "sales of a day" in any time zone, which
// a yyyymmdd key could not.
//
// Values are JSON, the encoding of the flows types' tags: a dump of the
// file is readable (bbolt's own tools print it), a value written by an
// older version decodes in a newer one that added fields (and the other
// way round), and no second description of the types is kept in sync.
// The cost, a few hundred bytes per sale, is small for a ledger of
// human-paced sales.
//
// Version history: 1, the first layout; 2 adds inbox, the durable queue of
// Telegram updates received but not yet handled (PutUpdate, PendingUpdates,
// UpdateDone); 3 keys the inbox and PutUpdate's "update" dedup keys by the
// bot's ID as well. Version 2 did not know its bot: migration 2 → 3 gives
// what it kept (inbox entries, and "update" keys that are update IDs) to
// bot 0, and the first bot whose PendingUpdates runs, at its start, adopts
// them in that transaction. 4 adds conversations_by_updated, the expiry
// index (migration 3 → 4 builds it from every conversation), so a sweep of
// idle conversations reads only what expires. 5 adds payments, each
// Telegram payment under its telegram_payment_charge_id (<charge>), recorded
// once in the transaction that moves its sale to paid (RecordPayment), and
// payments_by_user; migration 4 → 5 creates the two buckets. The bump is
// what matters: an esimbot of version 4 would sell a sale that awaits
// payment, and it refuses a file of version 5.
//
// blobs holds the state of components that keep it in the data file in a
// form of their own, under a name each: "sandbox" is the embedded reseller
// sandbox's (its orders, wallet and ID sequence). storage neither reads nor
// checks them. The bucket came without a version bump: Open creates every
// bucket of the drawing in any file it opens, whatever its version, and an
// esimbot that does not know blobs ignores it, so files stay readable both
// ways. invites, grants, alerts and support came the same way: an older esimbot ignores
// them, and its invited agents are customers there (the safe direction).
//
// # Writes
//
// A conversation is saved only over the version it was read at (else
// flows.ErrConflict), moving its expiry index entry; a sale is created in
// the same transaction that saves the conversation. UpdateSale checks state
// changes with flows.CanMove and rewrites every index entry the change
// touches. Every write a chat makes while it is handled (SaveConversation,
// CreateSale, UpdateSale, SaveUser, FirstSeen, PutUpdate, PutUpdates,
// UpdateDone) goes through the Store's group commit (group.go): the writes
// that arrive while a commit runs share the next transaction and its
// fsync, and a lone write waits Options.MaxBatchDelay (1 ms) for company.
// bbolt's own Batch closes each batch after its delay, so at load many
// small batches queue for the write lock, each paying an fsync. The write
// functions may run more than once and are idempotent, a refusal (a conflict, a bad
// transition, an error of UpdateSale's fn) writes nothing without failing
// the others' writes, and they report only after the commit. A write decodes the
// stored record once (a conversation: only its version and time) and the
// record it returns once.
//
// ExpireConversations (the sweep) seeks the start of the expiry index and
// drops what is older than its cutoff, at most 256 conversations per
// transaction, so writers never wait for more than one such chunk. The flows.Store methods ignore their context: they are
// short and local, and a write begun at shutdown is better finished.
//
// The "update" namespace of dedup keeps a bounded window (Options.DedupWindow,
// 48 hours by default): each new key drops up to a few hundred keys older
// than the window, found with one Seek in dedup_window. Other namespaces
// ("charge") are kept.
//
// # Schema versions
//
// Open creates every bucket of a new file and writes SchemaVersion. A file
// of a newer version is refused, naming both versions. A file of an older
// version is migrated, in the one transaction that opens it, by the
// functions of migrations in order: to change the layout, append a function
// taking version N to N+1, bump SchemaVersion and this drawing, and test it
// on testdata/schema-vN.db (the fixture of the version before). A file that
// holds buckets but no version was not written by esimbot (every version
// writes one) and is refused rather than guessed at.
//
// # Backups
//
// WriteBackup copies the file from a read transaction (tx.WriteTo) while
// the bot runs: a consistent snapshot that needs no pause. BackupFile
// copies a file that no process holds (bbolt locks the file of an open
// Store), for "esimbot backup" on a stopped bot. To restore, stop the bot,
// copy the backup over the file and start the bot.
package storage
