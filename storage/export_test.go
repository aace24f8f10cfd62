package storage

import bolt "go.etcd.io/bbolt"

// Prepare runs Open's schema preparation on db as if the current version
// were current and steps were the migrations, so tests can try the
// migration mechanism before a real migration exists.
func Prepare(db *bolt.DB, current uint64, steps []func(*bolt.Tx) error) error {
	return db.Update(func(tx *bolt.Tx) error { return prepare(tx, current, steps) })
}

// Migrations is the number of migrations.
var Migrations = len(migrations)
