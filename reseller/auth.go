package reseller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	skew     time.Duration

	sem chan struct{} // held by the goroutine that logs in or refreshes

	mu         sync.Mutex
	access     secret
	refresh    secret
	accessExp  time.Time
	refreshExp time.Time
	gen        uint64 // bumped with every new access token
	session    Session
}

func newAuth(c *Client, username string, password secret, skew time.Duration) *auth {
	return &auth{c: c, username: username, password: password, skew: skew, sem: make(chan struct{}, 1)}
}

// current returns a token that is not about to expire, if there is one.
func (a *auth) current() (secret, uint64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.access != "" && a.c.now().Before(a.accessExp.Add(-a.skew)) {
		return a.access, a.gen, true
	}
	return "", 0, false
}

// token returns a valid access token and its generation, logging in or
// refreshing first when needed.
func (a *auth) token(ctx context.Context) (secret, uint64, error) {
	if tok, gen, ok := a.current(); ok {
		return tok, gen, nil
	}
	select {
	case a.sem <- struct{}{}:
	case <-ctx.Done():
		return "", 0, fmt.Errorf("reseller: wait for login: %w", ctx.Err())
	}
	defer func() { <-a.sem }()
	if tok, gen, ok := a.current(); ok { // another caller renewed it meanwhile
		return tok, gen, nil
	}
	a.mu.Lock()
	refresh, refreshExp := a.refresh, a.refreshExp
	a.mu.Unlock()
	if refresh != "" && (refreshExp.IsZero() || a.c.now().Before(refreshExp)) {
		err := a.renew(ctx, request{method: http.MethodPost, path: a.c.paths.Refresh, noAuth: true,
			body: map[string]string{"refresh_token": string(refresh)}})
		if err == nil {
			tok, gen, _ := a.current()
			return tok, gen, nil
		}
		// A refused refresh token means logging in again; anything else
		// (the API is down) is the caller's error.
		if !errors.Is(err, ErrUnauthorized) && !errors.Is(err, ErrForbidden) && !errors.Is(err, ErrInvalidRequest) && !errors.Is(err, ErrNotFound) {
			return "", 0, err
		}
	}
	if err := a.login(ctx); err != nil {
		return "", 0, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.access, a.gen, nil
}

// login logs in with the username and password.
func (a *auth) login(ctx context.Context) error {
	return a.renew(ctx, request{method: http.MethodPost, path: a.c.paths.Login, noAuth: true,
		body: map[string]string{"username": a.username, "password": string(a.password)}})
}

// renew sends a login or refresh request and stores the tokens it returns.
func (a *auth) renew(ctx context.Context, req request) error {
	resp, err := a.c.do(ctx, req)
	if err != nil {
		return err
	}
	var lr loginResponse
	if err := decode(req, resp, &lr); err != nil {
		return err
	}
	if lr.AccessToken == "" {
		return fmt.Errorf("reseller: %s %s: %w: no access_token", req.method, req.path, ErrBadResponse)
	}
	now := a.c.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.access = secret(lr.AccessToken)
	a.accessExp = expiry(now, lr.ExpiresIn, time.Hour)
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
	return nil
}

// invalidate marks the access token of generation gen as expired, so the
// next caller renews it; a newer token is left alone, so many callers
// refused with the same old token cause one renewal.
func (a *auth) invalidate(gen uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen == gen {
		a.accessExp = time.Time{}
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
		return unixish(float64(*v))
	default:
		return now.Add(time.Duration(*v) * time.Second)
	}
}
