package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/esimbot/esimbot/flows"
)

// CreateInvite stores a new invite under its hash.
func (s *Store) CreateInvite(_ context.Context, inv flows.Invite) error {
	err := s.update(func(tx *bolt.Tx) error { return put(tx, bucketInvites, []byte(inv.Hash), inv) })
	if err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	return nil
}

// RedeemInvite binds an invite to g.User and stores the grant, in one
// transaction (see flows.StaffStore).
func (s *Store) RedeemInvite(_ context.Context, hash string, g flows.Grant, at time.Time) (flows.Invite, error) {
	var inv flows.Invite
	err := s.update(func(tx *bolt.Tx) error {
		ok, err := get(tx, bucketInvites, []byte(hash), &inv)
		switch {
		case err != nil:
			return err
		case !ok:
			return flows.ErrNotFound
		}
		if err := flows.RedeemCheck(inv, g.User, at); err != nil {
			return err
		}
		if inv.UsedBy == 0 {
			inv.UsedBy, inv.UsedAt = g.User, at
			if err := put(tx, bucketInvites, []byte(hash), inv); err != nil {
				return err
			}
		}
		var old flows.Grant
		if ok, err := get(tx, bucketGrants, idKey(g.User), &old); err != nil || ok {
			return err // granted already: keep the first grant
		}
		g.Invite, g.By = hash, inv.By
		return put(tx, bucketGrants, idKey(g.User), g)
	})
	if err != nil {
		return flows.Invite{}, fmt.Errorf("redeem invite: %w", err)
	}
	return inv, nil
}

// Grant returns a user's grant, or an error wrapping flows.ErrNotFound.
func (s *Store) Grant(_ context.Context, user flows.UserID) (flows.Grant, error) {
	var g flows.Grant
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := get(tx, bucketGrants, idKey(user), &g)
		if err == nil && !ok {
			err = flows.ErrNotFound
		}
		return err
	})
	if err != nil {
		return flows.Grant{}, fmt.Errorf("grant of %d: %w", user, err)
	}
	return g, nil
}

// Grants returns every grant, oldest first.
func (s *Store) Grants(_ context.Context) ([]flows.Grant, error) {
	var out []flows.Grant
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketGrants).ForEach(func(k, _ []byte) error {
			var g flows.Grant
			if _, err := get(tx, bucketGrants, k, &g); err != nil {
				return err
			}
			out = append(out, g)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	slices.SortStableFunc(out, func(a, b flows.Grant) int { return a.Since.Compare(b.Since) })
	return out, nil
}

// RevokeGrant drops a user's grant and marks its invite revoked.
func (s *Store) RevokeGrant(_ context.Context, user flows.UserID) error {
	err := s.update(func(tx *bolt.Tx) error {
		var g flows.Grant
		ok, err := get(tx, bucketGrants, idKey(user), &g)
		switch {
		case err != nil:
			return err
		case !ok:
			return flows.ErrNotFound
		}
		if err := tx.Bucket(bucketGrants).Delete(idKey(user)); err != nil {
			return err
		}
		var inv flows.Invite
		if ok, err := get(tx, bucketInvites, []byte(cmp.Or(g.Invite, "-")), &inv); err != nil || !ok {
			return err
		}
		inv.Revoked = true
		return put(tx, bucketInvites, []byte(g.Invite), inv)
	})
	if err != nil {
		return fmt.Errorf("revoke grant of %d: %w", user, err)
	}
	return nil
}

// MarkAlert records an alert's key and reports whether it was new.
func (s *Store) MarkAlert(_ context.Context, key string, at time.Time) (bool, error) {
	return s.markKey(bucketAlerts, "mark alert", key, at)
}

// ClearAlert forgets an alert's key.
func (s *Store) ClearAlert(_ context.Context, key string) error {
	return s.clearKey(bucketAlerts, "clear alert", key)
}

// markKey records key in bucket at time at and reports whether it was new;
// op names the operation in errors.
func (s *Store) markKey(bucket []byte, op, key string, at time.Time) (bool, error) {
	if len(key) == 0 || len(key) > 256 {
		return false, fmt.Errorf("%s %q: want 1 to 256 bytes", op, key)
	}
	var fresh bool
	err := s.batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		fresh = b.Get([]byte(key)) == nil
		if !fresh {
			return nil
		}
		return b.Put([]byte(key), u64(nanos(at)))
	})
	if err != nil {
		return false, fmt.Errorf("%s %q: %w", op, key, err)
	}
	return fresh, nil
}

// clearKey deletes key from bucket; op names the operation in errors.
func (s *Store) clearKey(bucket []byte, op, key string) error {
	if len(key) == 0 || len(key) > 256 {
		return fmt.Errorf("%s %q: want 1 to 256 bytes", op, key)
	}
	err := s.batch(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete([]byte(key)) })
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, key, err)
	}
	return nil
}
