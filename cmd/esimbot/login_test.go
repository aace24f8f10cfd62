package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// gate is a reseller API that can be switched off: while off it drops
// every connection, as an unreachable API does. It keeps the access
// tokens it sees.
type gate struct {
	on     atomic.Bool
	next   http.Handler
	mu     sync.Mutex
	tokens map[string]bool
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if tok := r.Header.Get("Access-Token"); tok != "" {
		g.mu.Lock()
		if g.tokens == nil {
			g.tokens = map[string]bool{}
		}
		g.tokens[tok] = true
		g.mu.Unlock()
	}
	if !g.on.Load() {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	g.next.ServeHTTP(w, r)
}

// serveGate serves sb behind a gate, open or not, and returns the gate and
// the base URL.
func serveGate(t *testing.T, sb *sandbox.Server, open bool) (*gate, string) {
	t.Helper()
	g := &gate{next: sb}
	g.on.Store(open)
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv.URL + sb.Prefix()
}

// records returns the JSON log records whose msg is msg.
func records(t *testing.T, logs, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func (r *running) get(path string) (int, string) {
	r.t.Helper()
	resp, err := http.Get("http://" + r.http + path)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRunResellerLoginFails: with a wrong password or an unreachable API
// the bot starts all the same, logs one error line saying the reseller
// login failed and why, tells customers the service is unavailable, and
// /readyz answers 503 with the reason until a login succeeds. Neither the
// password nor a token is logged.
func TestRunResellerLoginFails(t *testing.T) {
	for _, tc := range []struct {
		name, password string
		open           bool // the API answers
		wantErr        string
	}{
		{"WrongPassword", "wr0ng-Pa55-SECRET", true, "401 Unauthorized"},
		{"Unreachable", "demo", false, "service unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := telegramtest.NewServer(t, testToken)
			sb := sandbox.New(sandbox.Options{})
			g, base := serveGate(t, sb, tc.open)
			m := func(m *Main) { m.readyEvery = time.Nanosecond }
			r := startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), map[string]string{
				"RESELLER_API_URL": base, "RESELLER_USERNAME": "demo", "RESELLER_PASSWORD": tc.password,
			}, m)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := r.stderr.waitFor(ctx, `"msg":"reseller login failed"`); err != nil {
				t.Fatalf("%v\n%s", err, r.stderr)
			}
			recs := records(t, r.stderr.String(), "reseller login failed")
			if len(recs) != 1 || recs[0]["level"] != "ERROR" || !strings.Contains(fmt.Sprint(recs[0]["err"]), tc.wantErr) {
				t.Errorf("login failure logged as %v, want one ERROR record with an err naming %q", recs, tc.wantErr)
			}
			if code, body := r.get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "reseller login") || !strings.Contains(body, tc.wantErr) {
				t.Errorf("/readyz = %d %q, want 503 naming the reseller login and %q", code, body, tc.wantErr)
			}

			// The bot runs on; a customer hears that the service is down.
			c := newChat(t, fake, 801, "Ada", "en")
			c.say("/start")
			c.expect("What would you like to do")
			c.tap("Buy an eSIM")
			c.expect("not answering right now")
			if code, _ := r.get("/readyz"); code != http.StatusServiceUnavailable {
				t.Errorf("/readyz = %d while the login still fails, want 503", code)
			}
			if code, _ := r.get("/healthz"); code != http.StatusOK {
				t.Errorf("/healthz = %d, want 200: the process is alive", code)
			}

			if !tc.open { // the API comes back: ready again, without a restart
				g.on.Store(true)
				if code, body := r.get("/readyz"); code != http.StatusOK {
					t.Errorf("/readyz = %d %q once the API answers, want 200", code, body)
				}
				c.say("/buy")
				c.expect("Where are you travelling")
			}
			if code := r.stop(); code != 0 {
				t.Errorf("exit %d:\n%s", code, r.stderr)
			}
			logs := r.stderr.String()
			if strings.Contains(logs, tc.password) && tc.password != "demo" {
				t.Error("the reseller password is in the logs")
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if !tc.open && len(g.tokens) == 0 {
				t.Error("no token was sent once the API answered")
			}
			for tok := range g.tokens {
				if strings.Contains(logs, tok) {
					t.Error("a reseller token is in the logs")
				}
			}
		})
	}
}

// TestRunTokensExpiredOnArrival: the platform's clock is an hour behind
// and its expires_in is an absolute time, so every 4 s token is already
// expired by the bot's clock. /readyz is ready and a whole purchase works:
// every call renews the token and sends it (before, calls after the first
// renewal went out without a token while /readyz said ready).
func TestRunTokensExpiredOnArrival(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	sb := sandbox.New(sandbox.Options{AccessTTL: 4 * time.Second, Quirks: sandbox.Quirks{ExpiresInUnix: true},
		Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	_, base := serveGate(t, sb, true)
	user, pass := sb.Credentials()
	r := startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), map[string]string{
		"RESELLER_API_URL": base, "RESELLER_USERNAME": user, "RESELLER_PASSWORD": pass,
		"ESIMBOT_OPEN_SALES": "true", // a real reseller URL closes customer sales by default
	}, func(m *Main) { m.readyEvery = time.Nanosecond })
	for range 2 {
		if code, body := r.get("/readyz"); code != http.StatusOK {
			t.Fatalf("/readyz = %d %q", code, body)
		}
	}
	c := newChat(t, fake, 802, "Ada", "en")
	if photo := c.buy("ada@example.com", nil); photo.Photo == nil {
		t.Fatal("no eSIM delivered")
	}
	if n := len(sb.Orders()); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
	if code, body := r.get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %q after the purchase", code, body)
	}
}

// TestWatchLogin: a failed login is logged once as an error, retried with
// backoff, and its recovery logged.
func TestWatchLogin(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	g, base := serveGate(t, sb, false)
	user, pass := sb.Credentials()
	api, err := reseller.New(reseller.Config{BaseURL: base, Username: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	done := make(chan struct{})
	go func() { watchLogin(context.Background(), api, log, time.Millisecond, 2*time.Millisecond); close(done) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := logs.waitFor(ctx, `"msg":"reseller login failed again"`); err != nil {
		t.Fatal(err)
	}
	g.on.Store(true)
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("watchLogin did not return once the login succeeded")
	}
	if recs := records(t, logs.String(), "reseller login failed"); len(recs) != 1 || recs[0]["level"] != "ERROR" {
		t.Errorf("failure records %v, want one ERROR", recs)
	}
	if recs := records(t, logs.String(), "reseller login succeeded"); len(recs) != 1 || recs[0]["level"] != "INFO" {
		t.Errorf("success records %v, want one INFO", recs)
	}
	if _, err := api.Session(context.Background()); err != nil {
		t.Errorf("Session after the watched login: %v", err)
	}

	t.Run("StopsWithContext", func(t *testing.T) {
		g.on.Store(false)
		api, _ := reseller.New(reseller.Config{BaseURL: base, Username: user, Password: pass})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { watchLogin(ctx, api, slog.New(slog.DiscardHandler), time.Hour, time.Hour); close(done) }()
		cancel()
		<-done
	})
}
