package reseller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// auth holds the tokens. One goroutine at a time logs in or refreshes
// (the others wait for it, within their context); reading a valid token
// takes only a mutex.
type auth struct {
	c        *Client
	username string
	password secret
	before   time.Duration // Config.RefreshBefore: the longest early-refresh margin

	sem chan struct{} // held by the goroutine that logs in or refreshes

	mu         sync.Mutex
	access     secret
	refresh    secret
	accessExp  time.Time
	renewAt    time.Time // from then on the access token is renewed before use
	refreshExp time.Time
	gen        uint64 // bumped with every new access token
	session    Session
}

func newAuth(c *Client, username string, password secret, before time.Duration) *auth {
	return &auth{c: c, username: username, password: password, before: before, sem: make(chan struct{}, 1)}
}

// refreshMargin is how long before its expiry a token of this lifetime is
// renewed: Config.RefreshBefore, but never more than a quarter of the
// lifetime, so a short-lived token is still used for three quarters of its
// life (a 4 s token is renewed after 3 s, a 1 h token 30 s before expiry).
// A token that arrives already expired by our clock gets no margin.
func refreshMargin(lifetime, before time.Duration) time.Duration {
	if lifetime <= 0 {
		return 0
	}
	return min(before, lifetime/4)
}

// current returns the access token and its generation, and whether it is
// still outside its early-refresh margin.
func (a *auth) current() (secret, uint64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.access, a.gen, a.access != "" && a.c.now().Before(a.renewAt)
}

// token returns an access token and its generation, logging in or
// refreshing first when needed. It never returns an empty token without an
// error: a token just obtained is used even if its lifetime is shorter
// than the early-refresh margin.
func (a *auth) token(ctx context.Context) (secret, uint64, error) {
	tok, seen, ok := a.current()
	if ok {
		return tok, seen, nil
	}
	select {
	case a.sem <- struct{}{}:
	case <-ctx.Done():
		return "", 0, fmt.Errorf("reseller: wait for login: %w", ctx.Err())
	}
	defer func() { <-a.sem }()
	// Another caller renewed the token while we waited: use its token, even
	// if (very short-lived) it is already inside its margin, so that many
	// callers waiting on one expired token cause one renewal.
	if tok, gen, ok := a.current(); ok || (tok != "" && gen != seen) {
		return tok, gen, nil
	}
	a.mu.Lock()
	refresh, refreshExp := a.refresh, a.refreshExp
	a.mu.Unlock()
	if refresh != "" && (refreshExp.IsZero() || a.c.now().Before(refreshExp)) {
		tok, gen, err := a.renew(ctx, request{method: http.MethodPost, path: a.c.paths.Refresh, noAuth: true,
			body: map[string]string{"refresh_token": string(refresh)}})
		if err == nil {
			return tok, gen, nil
		}
		// A refused refresh token means logging in again; anything else
		// (the API is down) is the caller's error.
		if !errors.Is(err, ErrUnauthorized) && !errors.Is(err, ErrForbidden) && !errors.Is(err, ErrInvalidRequest) && !errors.Is(err, ErrNotFound) {
			return "", 0, err
		}
	}
	return a.login(ctx)
}

// login logs in with the username and password.
func (a *auth) login(ctx context.Context) (secret, uint64, error) {
	return a.renew(ctx, request{method: http.MethodPost, path: a.c.paths.Login, noAuth: true,
		body: map[string]string{"username": a.username, "password": string(a.password)}})
}

// renew sends a login or refresh request, stores the tokens it returns,
// and returns the new access token and its generation.
func (a *auth) renew(ctx context.Context, req request) (secret, uint64, error) {
	resp, err := a.c.do(ctx, req)
	if err != nil {
		return "", 0, err
	}
	var lr loginResponse
	if err := decode(req, resp, &lr); err != nil {
		return "", 0, err
	}
	if strings.TrimSpace(lr.AccessToken) == "" {
		return "", 0, fmt.Errorf("reseller: %s %s: %w: %w: no access_token in the answer", req.method, req.path, ErrUnauthorized, ErrBadResponse)
	}
	now := a.c.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.access = secret(lr.AccessToken)
	a.accessExp = expiry(now, lr.ExpiresIn, time.Hour)
	a.renewAt = a.accessExp.Add(-refreshMargin(a.accessExp.Sub(now), a.before))
	if lr.RefreshToken != "" {
		a.refresh = secret(lr.RefreshToken)
		a.refreshExp = expiry(now, lr.RefreshExpiresIn, 0)
	}
	a.gen++
	a.session.Expires = a.accessExp
	if lr.ResellerID != "" {
		a.session.ResellerID = string(lr.ResellerID)
	}
	if lr.Role != "" {
		a.session.Role = lr.Role
	}
	if lr.ShowGlobalESIMBundles != nil {
		a.session.ShowGlobalESIMBundles = bool(*lr.ShowGlobalESIMBundles)
	}
	return a.access, a.gen, nil
}

// invalidate marks the access token of generation gen as expired, so the
// next caller renews it; a newer token is left alone, so many callers
// refused with the same old token cause one renewal.
func (a *auth) invalidate(gen uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen == gen {
		a.renewAt = time.Time{}
	}
}

// expiry reads expires_in, which is seconds on most deployments and an
// absolute Unix time (seconds or milliseconds) on some. A missing value
// gives now+fallback, or the zero time (no known expiry) for a zero fallback.
func expiry(now time.Time, v *FlexInt, fallback time.Duration) time.Time {
	switch {
	case v == nil || *v <= 0:
		if fallback == 0 {
			return time.Time{}
		}
		return now.Add(fallback)
	case *v > 1e9: // later than 2001 as a Unix time: an absolute time
		if t := unixish(float64(*v)); !t.IsZero() {
			return t
		}
		// Beyond the year 9999: nonsense, taken as missing.
		if fallback == 0 {
			return time.Time{}
		}
		return now.Add(fallback)
	default:
		return now.Add(time.Duration(*v) * time.Second)
	}
}
