package flows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Invite is a one-time link an admin made for a new agent (/invite). The
// token of the link is never stored: Hash is its SHA-256.
type Invite struct {
	// Hash is the hex SHA-256 of the link's token, the invite's key.
	Hash string `json:"hash"`
	// By is the admin who made it.
	By UserID `json:"by"`
	// Created and Expires bound its validity.
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// UsedBy and UsedAt are the Telegram user it is bound to (the first
	// who opened it) and when.
	UsedBy UserID    `json:"used_by,omitempty"`
	UsedAt time.Time `json:"used_at,omitzero"`
	// Revoked is set when the agent it made was revoked: it grants
	// nothing any more.
	Revoked bool `json:"revoked,omitempty"`
}

// Grant is a role given in the bot (by an invite) rather than by
// configuration (ESIMBOT_AGENTS, ESIMBOT_ADMINS).
type Grant struct {
	// User is who has the role.
	User UserID `json:"user"`
	// Role is the role given (agent).
	Role Role `json:"role"`
	// Invite is the Hash of the invite that gave it.
	Invite string `json:"invite,omitempty"`
	// By is the admin who made the invite.
	By UserID `json:"by,omitempty"`
	// Since is when the role was given.
	Since time.Time `json:"since"`
	// Name and Username are how the agent is shown in /agents.
	Name     string `json:"name,omitempty"`
	Username string `json:"username,omitempty"`
}

// Errors of RedeemInvite, besides ErrNotFound (no such invite).
var (
	// ErrInviteExpired: the invite was not used before it expired.
	ErrInviteExpired = errors.New("invite expired")
	// ErrInviteUsed: another user opened the invite first.
	ErrInviteUsed = errors.New("invite used by another user")
	// ErrInviteRevoked: the agent the invite made was revoked.
	ErrInviteRevoked = errors.New("invite revoked")
)

// StaffStore keeps the invites and the roles given in the bot. It is part
// of Store.
type StaffStore interface {
	// CreateInvite stores a new invite.
	CreateInvite(ctx context.Context, inv Invite) error
	// RedeemInvite binds the invite of hash to g.User at time at and stores
	// the grant g (with g.Invite set to hash and g.By to the invite's maker), in one transaction. Opening it
	// again as the same user succeeds again. ErrNotFound, ErrInviteExpired,
	// ErrInviteUsed or ErrInviteRevoked say why not.
	RedeemInvite(ctx context.Context, hash string, g Grant, at time.Time) (Invite, error)
	// Grant returns a user's grant, or ErrNotFound.
	Grant(ctx context.Context, user UserID) (Grant, error)
	// Grants returns every grant, oldest first.
	Grants(ctx context.Context) ([]Grant, error)
	// RevokeGrant drops a user's grant and marks the invite that gave it
	// revoked, in one transaction; ErrNotFound if there is none.
	RevokeGrant(ctx context.Context, user UserID) error
	// SalesBetween returns the sales created in [from, to), oldest first
	// (reports, exports, lookups by email).
	SalesBetween(ctx context.Context, from, to time.Time) ([]Sale, error)
	// MarkAlert records that the admins were told of the event key at
	// time at, and reports whether it was new (alerts.go); ClearAlert
	// forgets it, so the next one is told again.
	MarkAlert(ctx context.Context, key string, at time.Time) (bool, error)
	ClearAlert(ctx context.Context, key string) error
}

// InviteHash is the key an invite's token is stored under: its hex SHA-256.
func InviteHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RedeemCheck is RedeemInvite's decision, for stores: whether user may
// take inv at time at.
func RedeemCheck(inv Invite, user UserID, at time.Time) error {
	switch {
	case inv.Revoked:
		return ErrInviteRevoked
	case inv.UsedBy != 0 && inv.UsedBy != user:
		return ErrInviteUsed
	case inv.UsedBy == 0 && !at.Before(inv.Expires):
		return ErrInviteExpired
	}
	return nil
}
