package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/esimbot/esimbot/flows"
)

// CreateInvite stores a new invite under its hash.
func (s *Store) CreateInvite(_ context.Context, inv flows.Invite) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invites[inv.Hash] = clone(inv)
	return nil
}

// RedeemInvite binds an invite to g.User and stores the grant (see
// flows.StaffStore).
func (s *Store) RedeemInvite(_ context.Context, hash string, g flows.Grant, at time.Time) (flows.Invite, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.invites[hash]
	if !ok {
		return flows.Invite{}, fmt.Errorf("redeem invite: %w", flows.ErrNotFound)
	}
	if err := flows.RedeemCheck(inv, g.User, at); err != nil {
		return flows.Invite{}, fmt.Errorf("redeem invite: %w", err)
	}
	if inv.UsedBy == 0 {
		inv.UsedBy, inv.UsedAt = g.User, at
		s.invites[hash] = clone(inv)
	}
	if _, ok := s.grants[g.User]; !ok {
		g.Invite, g.By = hash, inv.By
		s.grants[g.User] = clone(g)
	}
	return clone(inv), nil
}

// Grant returns a user's grant, or an error wrapping flows.ErrNotFound.
func (s *Store) Grant(_ context.Context, user flows.UserID) (flows.Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[user]
	if !ok {
		return flows.Grant{}, fmt.Errorf("grant of %d: %w", user, flows.ErrNotFound)
	}
	return clone(g), nil
}

// Grants returns every grant, oldest first.
func (s *Store) Grants(_ context.Context) ([]flows.Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flows.Grant
	for _, g := range s.grants {
		out = append(out, clone(g))
	}
	slices.SortFunc(out, func(a, b flows.Grant) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return int(a.User - b.User)
	})
	return out, nil
}

// RevokeGrant drops a user's grant and marks its invite revoked.
func (s *Store) RevokeGrant(_ context.Context, user flows.UserID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[user]
	if !ok {
		return fmt.Errorf("revoke grant of %d: %w", user, flows.ErrNotFound)
	}
	delete(s.grants, user)
	if inv, ok := s.invites[g.Invite]; ok {
		inv.Revoked = true
		s.invites[g.Invite] = inv
	}
	return nil
}

// SalesBetween returns the sales created in [from, to), oldest first.
func (s *Store) SalesBetween(_ context.Context, from, to time.Time) ([]flows.Sale, error) {
	return s.salesWhere(func(sale flows.Sale) bool { return !sale.Created.Before(from) && sale.Created.Before(to) }), nil
}

// MarkAlert records an alert's key and reports whether it was new.
func (s *Store) MarkAlert(_ context.Context, key string, at time.Time) (bool, error) {
	return s.mark(s.alerts, key, at), nil
}

// ClearAlert forgets an alert's key.
func (s *Store) ClearAlert(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.alerts, key)
	return nil
}

// mark records key in m at time at and reports whether it was new.
func (s *Store) mark(m map[string]time.Time, key string, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := m[key]; ok {
		return false
	}
	m[key] = at
	return true
}
