package flows_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/flows/memstore"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// consumptionLog records, at the sandbox, when each eSIM's consumption
// was asked for (by the fake clock).
type consumptionLog struct {
	mu    sync.Mutex
	clock *clock
	calls map[string][]time.Time
	all   []time.Time
}

func (l *consumptionLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/Profile/Consumption") {
			l.mu.Lock()
			now := l.clock.Now()
			l.calls[r.URL.Query().Get("iccid")] = append(l.calls[r.URL.Query().Get("iccid")], now)
			l.all = append(l.all, now)
			l.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

// watchWorld is an engine on a memory store and a sandbox whose
// consumption calls are logged, with n eSIMs bought by n customers.
type watchWorld struct {
	eng   *flows.Engine
	store *memstore.Store
	sb    *sandbox.Server
	api   *reseller.Client
	rec   *recorder
	clock *clock
	log   *consumptionLog
	cfg   flows.Config
	refs  []string // the sales, one per eSIM
	iccid []string
}

func newWatchWorld(t *testing.T, n int, tune func(*flows.Config)) *watchWorld {
	t.Helper()
	clk := &clock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	sb := sandbox.New(sandbox.Options{Seed: 1, Now: clk.Now, Wallet: decimal.NewFromInt(1_000_000)})
	log := &consumptionLog{clock: clk, calls: map[string][]time.Time{}}
	srv := httptest.NewServer(log.wrap(sb))
	t.Cleanup(srv.Close)
	user, pass := sb.Credentials()
	api, err := reseller.New(reseller.Config{BaseURL: srv.URL + sb.Prefix(), Username: user, Password: pass, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	w := &watchWorld{store: memstore.New(), sb: sb, api: api, rec: &recorder{}, clock: clk, log: log,
		cfg: flows.Config{Now: clk.Now, Sandbox: true}}
	if tune != nil {
		tune(&w.cfg)
	}
	ctx := context.Background()
	for i := range n {
		ref := fmt.Sprintf("EB-W%05d", i)
		res, err := api.AssignBundle(ctx, reseller.AssignRequest{BundleCode: "FRA_1GB_7D", Email: "a@example.com", Name: "Ada", OrderReference: ref}, reseller.AssignOptions{})
		if err != nil {
			t.Fatal(err)
		}
		id := flows.UserID(10_000 + i)
		s := flows.Sale{Ref: ref, Kind: flows.KindNew, Chat: flows.ChatID(id), User: id, SoldBy: flows.RoleCustomer, Lang: "en",
			BundleCode: "FRA_1GB_7D", BundleName: "France 1 GB 7 days", Days: 7, State: flows.SaleDelivered,
			OrderID: res.OrderID.String(), ICCID: res.ICCID.String(), Created: clk.Now()}
		if _, err := w.store.CreateSale(ctx, s, flows.Conversation{Chat: s.Chat, User: id, Step: "menu"}); err != nil {
			t.Fatal(err)
		}
		w.refs, w.iccid = append(w.refs, ref), append(w.iccid, s.ICCID)
	}
	w.start(t)
	return w
}

// start makes a new engine on the store: a restart.
func (w *watchWorld) start(t *testing.T) {
	t.Helper()
	eng, err := flows.New(w.cfg, w.store, w.api, w.rec, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	w.eng = eng
}

// run polls every step of the fake clock for d.
func (w *watchWorld) run(t *testing.T, d, step time.Duration) {
	t.Helper()
	for end := w.clock.Now().Add(d); w.clock.Now().Before(end); w.clock.Add(step) {
		if err := w.eng.PollUsage(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUsageWatchCallsWithin: with 1,000 eSIMs, over an hour of
// a fake clock polled every second, the watcher reads every eSIM again and
// again, but each at most once per interval, and all of them together
// within the cap of calls a second (counted at the sandbox).
func TestUsageWatchCallsWithin(t *testing.T) {
	w := newWatchWorld(t, 1000, nil)
	w.run(t, time.Hour, time.Second)
	const interval, cap = 15 * time.Minute, 2
	w.log.mu.Lock()
	defer w.log.mu.Unlock()
	for _, iccid := range w.iccid {
		calls := w.log.calls[iccid]
		if len(calls) < 3 {
			t.Errorf("%s read %d times in an hour, want 3 or more", iccid, len(calls))
		}
		for i := 1; i < len(calls); i++ {
			if gap := calls[i].Sub(calls[i-1]); gap < interval {
				t.Fatalf("%s read twice %v apart, within the interval %v", iccid, gap, interval)
			}
		}
	}
	all := append([]time.Time(nil), w.log.all...)
	sort.Slice(all, func(i, j int) bool { return all[i].Before(all[j]) })
	for i := cap; i < len(all); i++ {
		if all[i].Sub(all[i-cap]) < time.Second {
			t.Fatalf("%d calls within %v at %v: over the cap of %d a second", cap+1, all[i].Sub(all[i-cap]), all[i], cap)
		}
	}
	t.Logf("%d consumption calls for %d eSIMs in an hour", len(all), len(w.iccid))
}

// pollAfter moves the clock past the longest wait of an eSIM far from
// its thresholds (the interval and its jitter) and polls.
func (w *watchWorld) pollAfter(t *testing.T, d time.Duration) {
	t.Helper()
	w.clock.Add(d)
	if err := w.eng.PollUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestUsageCacheShared: a user's /usage and the watcher share one cache:
// /usage within the interval of the watcher's read does not call, nor
// does the watcher after a user's /usage.
func TestUsageCacheShared(t *testing.T) {
	w := newWatchWorld(t, 1, nil)
	calls := func() int { return w.sb.Calls(http.MethodGet, "/Profile/Consumption") }
	usage := func() {
		t.Helper()
		id := flows.UserID(10_000)
		ev := flows.Event{Kind: flows.EventCommand, Chat: flows.ChatID(id), User: id, Command: "usage", Args: w.iccid[0]}
		if _, err := w.eng.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	w.pollAfter(t, 0)
	if got := calls(); got != 1 {
		t.Fatalf("%d calls after the watcher's first poll", got)
	}
	w.clock.Add(10 * time.Minute)
	usage()
	if got := calls(); got != 1 {
		t.Errorf("/usage 10 min after the watcher's read called the API (%d calls)", got)
	}
	w.clock.Add(10 * time.Minute)
	usage() // 20 min: the watcher's answer is too old
	if got := calls(); got != 2 {
		t.Fatalf("%d calls after /usage past the interval, want 2", got)
	}
	w.pollAfter(t, time.Minute) // the watcher is due, the user's answer is a minute old
	if got := calls(); got != 2 {
		t.Errorf("the watcher called a minute after the user's /usage (%d calls)", got)
	}
}

// TestUsageAlertsOnce: each threshold of a bundle is told once, as the
// sandbox's consumption moves forward, across a restart between polls;
// a muted eSIM gets nothing; "important only" gets only the floor and
// the end.
func TestUsageAlertsOnce(t *testing.T) {
	w := newWatchWorld(t, 3, func(c *flows.Config) { c.DataFloorMB = 100 })
	ctx := context.Background()
	all, mutedChat, important := flows.ChatID(10_000), flows.ChatID(10_001), flows.ChatID(10_002)
	if err := w.store.SaveUser(ctx, flows.User{ID: 10_001, Lang: "en", Muted: []string{w.iccid[1]}}); err != nil {
		t.Fatal(err)
	}
	if err := w.store.SaveUser(ctx, flows.User{ID: 10_002, Lang: "fr", Alerts: flows.AlertsImportant}); err != nil {
		t.Fatal(err)
	}
	advance := func(by time.Duration, usedMB int64) {
		t.Helper()
		for _, iccid := range w.iccid {
			if err := w.sb.AdvanceProfile(iccid, by, usedMB); err != nil {
				t.Fatal(err)
			}
		}
	}
	const due = 17 * time.Minute // the interval and its jitter
	steps := []struct {
		name          string
		by            time.Duration
		used          int64
		restart       bool
		want, wantImp string // the alert the first and third owners get ("" none)
	}{
		{name: "NotStarted"},
		{name: "Started", by: 2 * time.Hour, want: "Your plan has started"},
		{name: "Used80", used: 830, want: "of your data used"},
		{name: "Used80Again", restart: true},
		{name: "Floor", used: 120, want: "Running low on data", wantImp: "Bientôt plus de données"},
		{name: "FloorAgain", restart: true},
		{name: "Expiring", by: 6*24*time.Hour - 3*time.Hour, want: "Your plan ends soon", wantImp: "se termine bientôt"},
		{name: "Expired", by: 24 * time.Hour, want: "Your plan has ended", wantImp: "Votre forfait est terminé"},
		{name: "AfterTheEnd", by: 24 * time.Hour, restart: true},
	}
	seen := map[flows.ChatID]int{}
	for _, st := range steps {
		advance(st.by, st.used)
		if st.restart {
			w.start(t)
		}
		w.pollAfter(t, due)
		for _, c := range []struct {
			chat flows.ChatID
			want string
		}{{all, st.want}, {mutedChat, ""}, {important, st.wantImp}} {
			msgs := w.rec.messages(c.chat)
			got := msgs[seen[c.chat]:]
			seen[c.chat] = len(msgs)
			switch {
			case c.want == "" && len(got) > 0:
				t.Errorf("%s: chat %d got %q, want nothing", st.name, c.chat, got[0].Text)
			case c.want != "" && (len(got) != 1 || !strings.Contains(got[0].Text, c.want)):
				t.Errorf("%s: chat %d got %d messages %v, want one with %q", st.name, c.chat, len(got), got, c.want)
			}
		}
	}
	// The alert names the eSIM and offers its buttons.
	for _, m := range w.rec.messages(all) {
		if !strings.Contains(m.Text, w.iccid[0][len(w.iccid[0])-6:]) || len(m.Buttons) != 3 {
			t.Errorf("alert %q, buttons %v: want the ICCID's end and Top up, Check usage, Mute", m.Text, m.Buttons)
		}
	}
}

// TestUsageWatchHorizon: an eSIM whose sales are all older than the
// watcher's horizon (400 days) is not read; one bought since is.
func TestUsageWatchHorizon(t *testing.T) {
	w := newWatchWorld(t, 2, nil)
	ctx := context.Background()
	if _, err := w.store.UpdateSale(ctx, w.refs[0], func(s *flows.Sale) error {
		s.Created = w.clock.Now().Add(-401 * 24 * time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w.run(t, time.Minute, time.Second)
	w.log.mu.Lock()
	defer w.log.mu.Unlock()
	if n := len(w.log.calls[w.iccid[0]]); n != 0 {
		t.Errorf("the eSIM of 401 days ago was read %d times", n)
	}
	if n := len(w.log.calls[w.iccid[1]]); n == 0 {
		t.Error("the eSIM of today was not read")
	}
}
