package reseller_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// TestTokensOfAnyLifetime calls the API once a second for 40 s with tokens
// of several lifetimes: every call carries a token, and a token is renewed
// RefreshBefore (30 s) or a quarter of its lifetime before it expires,
// whichever is shorter.
func TestTokensOfAnyLifetime(t *testing.T) {
	for _, tc := range []struct {
		name          string
		lifetime      int // expires_in, seconds
		wantRefreshes int64
	}{
		{"OneSecond", 1, 39},     // after 0.75 s: at every call
		{"TwoSeconds", 2, 19},    // after 1.5 s: at 2, 4, …, 38
		{"FourSeconds", 4, 13},   // after 3 s: at 3, 6, …, 39
		{"ThirtySeconds", 30, 1}, // as long as RefreshBefore: after 22.5 s, at 23
		{"FortySeconds", 40, 1},  // 10 s before expiry: at 30
		{"TwoMinutes", 120, 0},   // 30 s before expiry: at 90
		{"OneHour", 3600, 0},     // 30 s before expiry
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.expiresIn = tc.lifetime
			f.handle("GET /Regions", raw(200, `[]`))
			clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			c := newClient(t, f, func(c *reseller.Config) { c.Now = clk.Now })
			ctx := context.Background()
			for i := range 40 {
				if _, err := c.Regions(ctx, reseller.CoverageQuery{}); err != nil {
					t.Fatalf("call %d at +%ds: %v", i+1, i, err)
				}
				clk.Add(time.Second)
			}
			if got := f.noToken.Load(); got != 0 {
				t.Errorf("%d requests sent without Access-Token", got)
			}
			if got := f.logins.Load(); got != 1 {
				t.Errorf("logins = %d, want 1", got)
			}
			if got := f.refreshes.Load(); got != tc.wantRefreshes {
				t.Errorf("refreshes = %d, want %d", got, tc.wantRefreshes)
			}
			if got := f.count("GET /Regions"); got != 40 {
				t.Errorf("GET /Regions sent %d times, want 40 (none refused)", got)
			}
		})
	}
}

// TestTokenExpiredOnArrival: a token whose expires_in is already past by
// the client's clock (an absolute time, clocks apart) is still sent; each
// call renews it first.
func TestTokenExpiredOnArrival(t *testing.T) {
	f := newFakeAPI(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.expiresIn = now.Add(-time.Minute).Unix()
	f.handle("GET /Regions", raw(200, `[]`))
	c := newClient(t, f, func(c *reseller.Config) { c.Now = func() time.Time { return now } })
	for range 3 {
		if _, err := c.Regions(context.Background(), reseller.CoverageQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.noToken.Load(); got != 0 {
		t.Errorf("%d requests sent without Access-Token", got)
	}
}

// TestNoTokenNothingSent: a login answer without an access token fails the
// call with ErrUnauthorized and nothing is sent without Access-Token.
func TestNoTokenNothingSent(t *testing.T) {
	for name, login := range map[string]string{
		"Missing": `{"refresh_token":"r","expires_in":3600}`,
		"Empty":   `{"access_token":"","expires_in":3600}`,
		"Blank":   `{"access_token":"  ","expires_in":3600}`,
		"Null":    `{"access_token":null}`,
	} {
		t.Run(name, func(t *testing.T) {
			var bare atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/v1/Agent/login" {
					raw(200, login)(w, r)
					return
				}
				if r.Header.Get("Access-Token") == "" {
					bare.Add(1)
				}
				raw(200, `[]`)(w, r)
			}))
			t.Cleanup(srv.Close)
			c, err := reseller.New(reseller.Config{BaseURL: srv.URL + "/api/v1", Username: testUser, Password: testPassword})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Regions(context.Background(), reseller.CoverageQuery{})
			if !errors.Is(err, reseller.ErrUnauthorized) {
				t.Errorf("Regions err = %v, want ErrUnauthorized", err)
			}
			_, err = c.AssignBundle(context.Background(), assignReq, reseller.AssignOptions{})
			if !errors.Is(err, reseller.ErrUnauthorized) || errors.Is(err, reseller.ErrOutcomeUnknown) {
				t.Errorf("AssignBundle err = %v, want ErrUnauthorized and not ErrOutcomeUnknown (nothing was sent)", err)
			}
			if _, err := c.Session(context.Background()); !errors.Is(err, reseller.ErrUnauthorized) {
				t.Errorf("Session err = %v, want ErrUnauthorized", err)
			}
			if n := bare.Load(); n != 0 {
				t.Errorf("%d requests sent without Access-Token", n)
			}
		})
	}
}

// TestSandboxFourSecondTokens: a purchase, its usage and a top-up against
// the sandbox issuing 4 s access tokens, 2 s apart on a shared clock: every
// request carries a valid token (the contract checker fails on one
// without), none is refused and sent again, and the token is refreshed,
// never logged in again.
func TestSandboxFourSecondTokens(t *testing.T) {
	for name, opts := range map[string]sandbox.Options{
		"Document":      {},
		"ExpiresInUnix": {Quirks: sandbox.Quirks{ExpiresInUnix: true}},
	} {
		t.Run(name, func(t *testing.T) {
			opts.AccessTTL, opts.RefreshTTL = 4*time.Second, time.Minute
			w := newWorld(t, opts)
			ctx := context.Background()
			c := w.client
			later := func() { w.clock.Add(2 * time.Second) }

			p, err := c.Bundles(ctx, reseller.BundleQuery{CountryCode: "FRA", PageSize: 1})
			if err != nil || len(p.Items) == 0 {
				t.Fatalf("Bundles: %v, %+v", err, p)
			}
			later()
			res, err := c.AssignBundle(ctx, reseller.AssignRequest{BundleCode: p.Items[0].Code, Email: "s@example.com", Name: "S", OrderReference: "SHORT-1"}, reseller.AssignOptions{})
			if err != nil {
				t.Fatalf("AssignBundle: %v", err)
			}
			later()
			if _, err := c.OrderByReference(ctx, "SHORT-1"); err != nil {
				t.Fatalf("OrderByReference: %v", err)
			}
			later()
			profile := reseller.ProfileRef{ICCID: res.ICCID.String()}
			if _, err := c.Consumption(ctx, profile); err != nil {
				t.Fatalf("Consumption: %v", err)
			}
			later()
			tops, err := c.TopupBundles(ctx, profile)
			if err != nil || len(tops) == 0 {
				t.Fatalf("TopupBundles: %v, %d bundles", err, len(tops))
			}
			later()
			if _, err := c.TopupBundle(ctx, reseller.TopupRequest{BundleCode: tops[0].Code, PreviousOrderReference: "SHORT-1", OrderReference: "SHORT-2"}, reseller.AssignOptions{}); err != nil {
				t.Fatalf("TopupBundle: %v", err)
			}
			later()
			if _, err := c.Consumption(ctx, profile); err != nil {
				t.Fatalf("Consumption after the top-up: %v", err)
			}

			if n := len(w.sb.Orders()); n != 2 {
				t.Errorf("%d orders, want 2", n)
			}
			for _, call := range [][2]string{{"POST", "/Bundle"}, {"POST", "/Bundles/Topup"}, {"GET", "/Orders"}, {"GET", "/v2/Bundles/Topup"}, {"POST", "/Agent/login"}} {
				if n := w.sb.Calls(call[0], call[1]); n != 1 {
					t.Errorf("%s %s sent %d times, want 1", call[0], call[1], n)
				}
			}
			if n := w.sb.Calls("POST", "/Token/Refresh"); n < 3 {
				t.Errorf("%d refreshes over 12 s of 4 s tokens, want at least 3", n)
			}
		})
	}
}
