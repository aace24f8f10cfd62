package reseller_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

const (
	testUser     = "agent"
	testPassword = "pa55-w0rd-SECRET"
)

// fakeAPI is a scripted reseller API: each route answers with a handler;
// login and refresh are built in and count their calls.
type fakeAPI struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	calls  map[string]int
	// token state
	expiresIn  any // what login sends as expires_in (default 3600)
	tokenSeq   atomic.Int64
	valid      map[string]bool
	refreshOK  bool
	logins     atomic.Int64
	refreshes  atomic.Int64
	noToken    atomic.Int64 // calls other than login and refresh sent without Access-Token
	loginDown  atomic.Bool  // login and refresh answer 503
	lastTokens []string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, routes: map[string]http.HandlerFunc{}, calls: map[string]int{}, valid: map[string]bool{}, refreshOK: true, expiresIn: 3600}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) url() string { return f.srv.URL + "/api/v1" }

func (f *fakeAPI) handle(route string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[route] = h
}

func (f *fakeAPI) count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[route]
}

func (f *fakeAPI) newToken(prefix string) string {
	tok := fmt.Sprintf("%s-TOKEN-%d", prefix, f.tokenSeq.Add(1))
	f.mu.Lock()
	f.valid[tok] = true
	f.lastTokens = append(f.lastTokens, tok)
	f.mu.Unlock()
	return tok
}

func (f *fakeAPI) revokeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.valid {
		if strings.HasPrefix(k, "access") {
			f.valid[k] = false
		}
	}
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api/v1")
	route := r.Method + " " + path
	f.mu.Lock()
	f.calls[route]++
	h := f.routes[route]
	f.mu.Unlock()
	if f.loginDown.Load() && (route == "POST /Agent/login" || route == "POST /Token/Refresh") {
		writeJSON(w, 503, map[string]any{"message": "login is down"})
		return
	}
	switch route {
	case "POST /Agent/login":
		f.logins.Add(1)
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body["username"] != testUser || body["password"] != testPassword {
			writeJSON(w, 401, map[string]any{"title": "Unauthorized", "message": "Invalid username or password"})
			return
		}
		writeJSON(w, 200, map[string]any{
			"access_token": f.newToken("access"), "refresh_token": f.newToken("refresh"), "token_type": "Bearer",
			"expires_in": f.expiresIn, "refresh_expires_in": 86400, "reseller_id": 4242, "role": "reseller",
			"show_global_esim_bundles": "true",
		})
		return
	case "POST /Token/Refresh":
		f.refreshes.Add(1)
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		ok := f.refreshOK && f.valid[body["refresh_token"]]
		f.valid[body["refresh_token"]] = false
		f.mu.Unlock()
		if !ok {
			writeJSON(w, 401, map[string]any{"title": "Unauthorized", "message": "Invalid refresh token"})
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": f.newToken("access"), "refresh_token": f.newToken("refresh"), "expires_in": f.expiresIn})
		return
	}
	if r.Header.Get("Access-Token") == "" {
		f.noToken.Add(1)
	}
	f.mu.Lock()
	ok := f.valid[r.Header.Get("Access-Token")]
	f.mu.Unlock()
	if !ok {
		writeJSON(w, 401, map[string]any{"title": "Unauthorized", "message": "Invalid or expired token"})
		return
	}
	if h == nil {
		writeJSON(w, 404, map[string]any{"message": "no route " + route})
		return
	}
	h(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func raw(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

type clientOpt func(*reseller.Config)

func newClient(t *testing.T, f *fakeAPI, opts ...clientOpt) *reseller.Client {
	t.Helper()
	cfg := reseller.Config{
		BaseURL: f.url(), Username: testUser, Password: testPassword,
		Retry: reseller.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := reseller.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewValidatesConfig(t *testing.T) {
	for name, cfg := range map[string]reseller.Config{
		"EmptyURL":   {Username: "u", Password: "p"},
		"BadScheme":  {BaseURL: "ftp://x/api", Username: "u", Password: "p"},
		"NoHost":     {BaseURL: "http:///api", Username: "u", Password: "p"},
		"NoUser":     {BaseURL: "http://x/api", Password: "p"},
		"NoPassword": {BaseURL: "http://x/api", Username: "u"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := reseller.New(cfg); err == nil {
				t.Error("New: no error")
			}
		})
	}
}

func TestLoginAndSession(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Regions", raw(200, `[{"region_code":"EUR","region_name":"Europe"}]`))
	c := newClient(t, f)
	regions, err := c.Regions(context.Background(), reseller.CoverageQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(regions) != 1 || regions[0].Code != "EUR" {
		t.Errorf("Regions = %+v", regions)
	}
	s, err := c.Session(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.ResellerID != "4242" || s.Role != "reseller" || !s.ShowGlobalESIMBundles || s.Expires.IsZero() {
		t.Errorf("Session = %+v", s)
	}
	if got := f.logins.Load(); got != 1 {
		t.Errorf("logins = %d, want 1", got)
	}
	if _, err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.logins.Load(); got != 2 {
		t.Errorf("logins after Login = %d, want 2", got)
	}
}

func TestLoginRefused(t *testing.T) {
	f := newFakeAPI(t)
	c := newClient(t, f, func(c *reseller.Config) { c.Password = "wrong-password" })
	_, err := c.Session(context.Background())
	if !errors.Is(err, reseller.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Regions", raw(200, `[]`))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := newClient(t, f, func(c *reseller.Config) { c.Now = clock })
	ctx := context.Background()
	if _, err := c.Regions(ctx, reseller.CoverageQuery{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(3600*time.Second - 10*time.Second) // inside the refresh window
	mu.Unlock()
	if _, err := c.Regions(ctx, reseller.CoverageQuery{}); err != nil {
		t.Fatal(err)
	}
	if f.logins.Load() != 1 || f.refreshes.Load() != 1 {
		t.Errorf("logins=%d refreshes=%d, want 1 and 1", f.logins.Load(), f.refreshes.Load())
	}
}

func TestExpiresInAsUnixTime(t *testing.T) {
	f := newFakeAPI(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.expiresIn = now.Add(2 * time.Hour).Unix()
	c := newClient(t, f, func(c *reseller.Config) { c.Now = func() time.Time { return now } })
	s, err := c.Session(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(2 * time.Hour); !s.Expires.Equal(want) {
		t.Errorf("Expires = %v, want %v", s.Expires, want)
	}
}

func TestExpiredMidCallRefreshesAndRetries(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Regions", raw(200, `{"regions":[{"region_code":"ASI"}]}`))
	c := newClient(t, f)
	ctx := context.Background()
	if _, err := c.Session(ctx); err != nil {
		t.Fatal(err)
	}
	f.revokeAll() // the server forgets the token although the client thinks it valid
	regions, err := c.Regions(ctx, reseller.CoverageQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(regions) != 1 {
		t.Errorf("Regions = %+v", regions)
	}
	if f.refreshes.Load() != 1 || f.logins.Load() != 1 {
		t.Errorf("refreshes=%d logins=%d, want 1 and 1", f.refreshes.Load(), f.logins.Load())
	}
	if got := f.count("GET /Regions"); got != 2 {
		t.Errorf("GET /Regions calls = %d, want 2", got)
	}
}

func TestRefreshRefusedLogsInAgain(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Regions", raw(200, `[]`))
	c := newClient(t, f)
	ctx := context.Background()
	if _, err := c.Session(ctx); err != nil {
		t.Fatal(err)
	}
	f.revokeAll()
	f.mu.Lock()
	f.refreshOK = false
	f.mu.Unlock()
	if _, err := c.Regions(ctx, reseller.CoverageQuery{}); err != nil {
		t.Fatal(err)
	}
	if f.refreshes.Load() != 1 || f.logins.Load() != 2 {
		t.Errorf("refreshes=%d logins=%d, want 1 and 2", f.refreshes.Load(), f.logins.Load())
	}
}

func TestStillUnauthorizedAfterReauthGivesUp(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Regions", raw(401, `{"title":"Unauthorized"}`))
	c := newClient(t, f)
	_, err := c.Regions(context.Background(), reseller.CoverageQuery{})
	if !errors.Is(err, reseller.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if got := f.count("GET /Regions"); got != 2 {
		t.Errorf("calls = %d, want 2 (one retry after re-authentication)", got)
	}
}

// TestConcurrentCallersShareOneRefresh: 100 callers on a token that was
// refused, has expired, or is inside its early-refresh margin cause exactly
// one refresh, whatever the token's lifetime, and none sends a request
// without a token.
func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lifetime int // expires_in, seconds
		revoke   bool
		advance  time.Duration
	}{
		{"RevokedHourToken", 3600, true, 0},
		{"HourTokenInMargin", 3600, false, 3590 * time.Second},
		{"RevokedFourSecondToken", 4, true, 0},
		{"FourSecondTokenInMargin", 4, false, 3500 * time.Millisecond},
		{"FourSecondTokenExpired", 4, false, 10 * time.Second},
		{"OneSecondTokenExpired", 1, false, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.expiresIn = tc.lifetime
			f.handle("GET /Regions", raw(200, `[]`))
			clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			c := newClient(t, f, func(c *reseller.Config) { c.Now = clk.Now })
			ctx := context.Background()
			if _, err := c.Session(ctx); err != nil {
				t.Fatal(err)
			}
			if tc.revoke {
				f.revokeAll()
			}
			clk.Add(tc.advance)
			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for range 100 {
				wg.Go(func() {
					if _, err := c.Regions(ctx, reseller.CoverageQuery{}); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if got := f.refreshes.Load(); got != 1 {
				t.Errorf("refreshes = %d, want exactly 1", got)
			}
			if got := f.logins.Load(); got != 1 {
				t.Errorf("logins = %d, want 1", got)
			}
			if got := f.noToken.Load(); got != 0 {
				t.Errorf("%d requests sent without Access-Token", got)
			}
		})
	}
}

func TestConcurrentFirstUseLogsInOnce(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Regions", raw(200, `[]`))
	c := newClient(t, f)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := c.Regions(context.Background(), reseller.CoverageQuery{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := f.logins.Load(); got != 1 {
		t.Errorf("logins = %d, want 1", got)
	}
}

func TestWaitForLoginRespectsContext(t *testing.T) {
	f := newFakeAPI(t)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		f.serve(w, r)
	}))
	defer slow.Close()
	defer close(release)
	c, err := reseller.New(reseller.Config{BaseURL: slow.URL + "/api/v1", Username: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	done := make(chan error, 2)
	go func() { _, err := c.Session(ctx); done <- err }()
	go func() { _, err := c.Session(ctx); done <- err }()
	for range 2 {
		if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want deadline exceeded", err)
		}
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := c.Login(ctx2); !errors.Is(err, context.Canceled) {
		t.Errorf("Login(canceled) = %v", err)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Regions", raw(500, `{"message":"boom"}`))
	var logs bytes.Buffer
	cfg := reseller.Config{
		BaseURL: f.url(), Username: testUser, Password: testPassword,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Retry:  reseller.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
	}
	c, err := reseller.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, callErr := c.Regions(context.Background(), reseller.CoverageQuery{})
	if callErr == nil {
		t.Fatal("no error from a 500")
	}
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "cfg", cfg)
	text := strings.Join([]string{
		callErr.Error(), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), logs.String(),
		fmt.Sprintf("%v %+v %#v", c, c, *c),
	}, "\n")
	if strings.Contains(text, testPassword) {
		t.Errorf("password printed:\n%s", text)
	}
	f.mu.Lock()
	tokens := append([]string(nil), f.lastTokens...)
	f.mu.Unlock()
	if len(tokens) == 0 {
		t.Fatal("no token issued")
	}
	for _, tok := range tokens {
		if strings.Contains(text, tok) {
			t.Errorf("token %q printed:\n%s", tok, text)
		}
	}
	if !strings.Contains(logs.String(), "reseller call") {
		t.Errorf("no debug line logged: %s", logs.String())
	}
}
