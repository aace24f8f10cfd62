package main

// The fault matrix: real purchases through the whole program (the fake Bot
// API, the real go-telegram/bot library, bbolt, the reseller client and
// the sandbox) under one fault each, checked sale by sale against the
// sandbox's orders and what the user received. faults_kill_test.go does
// the same with a built binary killed with SIGKILL.

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
	"github.com/esimbot/esimbot/storage"
)

var (
	faultsLong   = flag.Bool("faults.long", false, "fault suite: the long settings (a one-minute outage, 200 purchases by 50 users with 5 SIGKILL restarts)")
	faultsDebug  = flag.Bool("faults.debug", false, "fault suite: log the chat and the bot's log of every case, and fail to show them")
	faultsOutage = flag.Duration("faults.outage", 0, "fault suite: how long the reseller API refuses connections (default 3s, 1m with -faults.long)")
)

// outageTime is how long the API refuses connections in the outage cases.
func outageTime() time.Duration {
	switch {
	case *faultsOutage > 0:
		return *faultsOutage
	case *faultsLong:
		return time.Minute
	}
	return 3 * time.Second
}

// fastTime is a clock that runs speed times faster than the wall clock
// and can be moved forward: the engine, the reseller client and the
// sandbox share one, so that backoffs of minutes pass in seconds.
type fastTime struct {
	start time.Time
	speed float64

	mu     sync.Mutex
	offset time.Duration
}

func newFastTime(start time.Time, speed float64) *fastTime {
	return &fastTime{start: start, speed: speed}
}

func (c *fastTime) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(time.Duration(float64(time.Since(c.start))*c.speed) + c.offset)
}

// Advance moves the clock forward by d.
func (c *fastTime) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// faultProxy stands between the bot and the sandbox: it forwards
// requests, and can refuse connections for a while (an outage) or run a
// hook once the next GET /Bundles is answered, before the answer leaves.
type faultProxy struct {
	t    testing.TB
	rp   *httputil.ReverseProxy
	addr string

	mu       sync.Mutex
	srv      *http.Server
	down     bool
	restored chan struct{} // closed when the last outage ended
	onList   func()        // run once after the next GET /Bundles
}

func newFaultProxy(t testing.TB, target string) *faultProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{t: t, rp: httputil.NewSingleHostReverseProxy(u), restored: make(chan struct{})}
	close(p.restored)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() {
		p.mu.Lock()
		srv := p.srv
		p.mu.Unlock()
		_ = srv.Close()
	})
	return p
}

// URL is the proxy's base URL, with the sandbox's prefix.
func (p *faultProxy) URL() string { return "http://" + p.addr + "/api/v1" }

func (p *faultProxy) serve(ln net.Listener) {
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// outage refuses connections from now for d: the listener is closed, and
// so is every open connection.
func (p *faultProxy) outage(d time.Duration) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		return
	}
	p.down = true
	p.restored = make(chan struct{})
	srv, restored := p.srv, p.restored
	p.mu.Unlock()
	go func() {
		_ = srv.Close()
		t := time.NewTimer(d)
		defer t.Stop()
		<-t.C
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Errorf("proxy: listen again on %s after the outage: %v", p.addr, err)
			return
		}
		p.mu.Lock()
		p.down = false
		p.mu.Unlock()
		p.serve(ln)
		close(restored)
	}()
}

// waitRestored waits for the end of the current outage.
func (p *faultProxy) waitRestored(ctx context.Context) error {
	p.mu.Lock()
	ch := p.restored
	p.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("the outage did not end: %w", ctx.Err())
	}
}

// afterList runs f once, after the next GET /Bundles is answered by the
// sandbox and before its answer is sent on.
func (p *faultProxy) afterList(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onList = f
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	down := p.down
	var hook func()
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/Bundles") {
		hook, p.onList = p.onList, nil
	}
	p.mu.Unlock()
	if down {
		refuse(w)
		return
	}
	if hook == nil {
		p.rp.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	p.rp.ServeHTTP(rec, r)
	hook()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// refuse closes the connection of a request that arrived during an
// outage on a connection opened before it.
func refuse(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// saleWatch is the engine's Observer in the fault tests: it passes every
// call on to the program's (the metrics) and lets a test wait for sales
// to reach a state.
type saleWatch struct {
	next flows.Observer

	mu      sync.Mutex
	states  map[string]flows.SaleState
	retries map[string]int // failed delivery attempts by part
	changed chan struct{}
}

func newSaleWatch() *saleWatch {
	return &saleWatch{states: map[string]flows.SaleState{}, retries: map[string]int{}, changed: make(chan struct{})}
}

func (w *saleWatch) SaleMoved(s flows.Sale) {
	if w.next != nil {
		w.next.SaleMoved(s)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.states[s.Ref] = s.State
	close(w.changed)
	w.changed = make(chan struct{})
}

func (w *saleWatch) WalletBalance(d decimal.Decimal) {
	if w.next != nil {
		w.next.WalletBalance(d)
	}
}

func (w *saleWatch) DeliveryRetried(part string) {
	if w.next != nil {
		w.next.DeliveryRetried(part)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.retries[part]++
	close(w.changed)
	w.changed = make(chan struct{})
}

// wait blocks until cond holds for the sales' states and the delivery
// retries.
func (w *saleWatch) wait(ctx context.Context, cond func(states map[string]flows.SaleState, retries map[string]int) bool) error {
	for {
		w.mu.Lock()
		ok := cond(w.states, w.retries)
		ch := w.changed
		w.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			w.mu.Lock()
			defer w.mu.Unlock()
			return fmt.Errorf("sales %v, delivery retries %v: %w", w.states, w.retries, ctx.Err())
		}
	}
}

// finished reports whether there are at least n sales and all are
// delivered or failed.
func finished(n int) func(map[string]flows.SaleState, map[string]int) bool {
	return func(states map[string]flows.SaleState, _ map[string]int) bool {
		if len(states) < n {
			return false
		}
		for _, s := range states {
			if !s.Finished() {
				return false
			}
		}
		return true
	}
}

// faultRow is one line of the matrix: what a fault did to the purchases
// it hit.
type faultRow struct {
	fault    string
	confirms int                     // Confirm taps
	states   map[flows.SaleState]int // sales by state
	orders   int                     // orders at the API for these sales
	texts    int                     // installation texts the users received
	photos   int                     // QR code pictures the users received
	dups     int                     // sales with two orders, sales beyond the taps
	copies   int                     // texts or pictures received more than once
	losses   int                     // charged and not delivered, or delivered and not charged
	pending  int                     // not finished, nothing charged (still reconciling)
	took     time.Duration           // from the tap to the outcome (the slowest purchase)
	last     string                  // the user's last message (of the first user)
}

// audit reads the ledger of users' sales in the database file (the bot
// stopped), the sandbox's orders and the users' chats, and counts.
func audit(t testing.TB, db string, sb *sandbox.Server, fake *telegramtest.Server, users []int64, confirms int) (faultRow, []flows.Sale) {
	t.Helper()
	st, err := storage.Open(db, storage.Options{})
	if err != nil {
		t.Fatalf("open the ledger: %v", err)
	}
	defer st.Close()
	row := faultRow{confirms: confirms, states: map[flows.SaleState]int{}}
	var sales []flows.Sale
	refs := map[string]bool{}
	for _, u := range users {
		ss, err := st.SalesByUser(context.Background(), flows.UserID(u))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			sales = append(sales, s)
			refs[s.Ref] = true
			row.states[s.State]++
		}
	}
	emails := map[string]bool{}
	for _, u := range users {
		emails[userEmail(u)] = true
	}
	orders := map[string][]sandbox.Order{}
	for _, o := range sb.Orders() {
		switch {
		case refs[o.Reference]:
			orders[o.Reference] = append(orders[o.Reference], o)
			row.orders++
		case emails[o.Email]:
			row.losses++ // charged for one of these users, and no sale knows of it
			t.Errorf("order %s (%s) has no sale", o.Reference, o.Email)
		}
	}
	texts, photos := map[string]int{}, map[string]int{} // by ICCID (photos: by its last six digits)
	for _, u := range users {
		for _, m := range fake.Messages(u) {
			switch {
			case !m.FromBot:
			case m.Photo != nil && strings.Contains(m.Caption, "QR code of your eSIM"):
				row.photos++
				if i := strings.Index(m.Caption, "ICCID …"); i >= 0 {
					photos[strings.TrimRight(m.Caption[i+len("ICCID …"):], ").")[:6]]++
				}
			case strings.Contains(m.Text, "Your eSIM is ready"):
				row.texts++
				for _, os := range orders {
					if strings.Contains(m.Text, os[0].ICCID) {
						texts[os[0].ICCID]++
					}
				}
			}
		}
	}
	if len(sales) > confirms {
		row.dups += len(sales) - confirms
		t.Errorf("%d sales for %d Confirm taps", len(sales), confirms)
	}
	for _, s := range sales {
		os := orders[s.Ref]
		if len(os) > 1 {
			row.dups += len(os) - 1
			t.Errorf("sale %s has %d orders", s.Ref, len(os))
		}
		switch {
		case len(os) > 0 && texts[os[0].ICCID] == 0:
			row.losses++
			t.Errorf("sale %s (%s) is charged (order %s) and its eSIM was not delivered", s.Ref, s.State, os[0].ID)
		case len(os) > 0 && s.State == flows.SaleFailed:
			row.losses++
			t.Errorf("sale %s is charged and failed (%s)", s.Ref, s.FailReason)
		case len(os) == 0 && (s.State == flows.SaleAssigned || s.State == flows.SaleDelivered):
			row.losses++
			t.Errorf("sale %s is %s without an order at the API", s.Ref, s.State)
		case len(os) == 0 && !s.State.Finished():
			row.pending++
		}
		if len(os) > 0 {
			iccid := os[0].ICCID
			row.copies += max(texts[iccid]-1, 0) + max(photos[iccid[len(iccid)-6:]]-1, 0)
		}
	}
	if len(users) > 0 {
		if msgs := telegramtest.FromBot(fake.Messages(users[0])); len(msgs) > 0 {
			m := msgs[len(msgs)-1]
			row.last = strings.Join(strings.Fields(m.Text+m.Caption), " ")
			if r := []rune(row.last); len(r) > 44 {
				row.last = string(r[:44]) + "…"
			}
		}
	}
	return row, sales
}

func userEmail(user int64) string { return fmt.Sprintf("user%d@example.com", user) }

// matrix prints rows as a table.
func matrix(rows []faultRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-52s %4s  %-30s %6s %5s %6s %4s %6s %4s %7s %8s  %s\n", "fault", "taps", "sales by state", "orders", "texts", "photos", "dup", "copies", "loss", "pending", "outcome", "last message")
	for _, r := range rows {
		if r.fault == "" {
			continue // a case -run left out
		}
		var states []string
		for s, n := range r.states {
			states = append(states, fmt.Sprintf("%s %d", s, n))
		}
		sort.Strings(states)
		fmt.Fprintf(&b, "%-52s %4d  %-30s %6d %5d %6d %4d %6d %4d %7d %8s  %s\n", r.fault, r.confirms, strings.Join(states, ", "),
			r.orders, r.texts, r.photos, r.dups, r.copies, r.losses, r.pending, r.took.Round(10*time.Millisecond), r.last)
	}
	return b.String()
}

// toSummary plays a purchase up to the order's summary.
func (c *tgChat) toSummary() {
	c.t.Helper()
	c.say("/start")
	c.expect("What would you like to do")
	c.tap("Buy an eSIM")
	c.expect("Where are you travelling")
	c.say("france")
	c.expect("heapest first")
	c.tap("1 GB")
	c.expect("Networks")
	c.tap("Choose this bundle")
	c.expect("traveller's email")
	c.say(userEmail(c.id))
	c.expect("full name")
	c.tap("Use ")
	c.expect("WhatsApp number for the traveller")
	c.tap("Skip")
	c.expect("Your order")
}

// faultEnv is one program under one fault: the sandbox behind a proxy,
// the fake Bot API, the clock, the sales watch.
type faultEnv struct {
	t     *testing.T
	fake  *telegramtest.Server
	sb    *sandbox.Server
	proxy *faultProxy
	clock *fastTime // the engine's and the client's
	sbNow *fastTime // the sandbox's
	watch *saleWatch
	run   *running
}

// faultCase is one fault of the matrix.
type faultCase struct {
	name string
	// speed is the clock's speed (default 120: the backoff of five
	// reconciliations, 7.5 minutes, passes in about 4 s).
	speed float64
	// sandbox adjusts the sandbox's options; env adds to the program's.
	sandbox func(*sandbox.Options)
	env     map[string]string
	// arm injects the fault, just before the user taps Confirm.
	arm func(e *faultEnv)
	// then runs after the tap (a second tap after an outage, an unblock).
	then func(e *faultEnv, c *tgChat) (taps int)
	// want is the sale's final state, wantOrders the orders at the API,
	// wantPhotos the QR pictures the user gets (default 1 if delivered),
	// wantLast a part of the user's last message.
	want       flows.SaleState
	wantOrders int
	wantPhotos int
	wantLast   string
}

func startFaultEnv(t *testing.T, fc faultCase) *faultEnv {
	speed := fc.speed
	if speed == 0 {
		speed = 120
	}
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	e := &faultEnv{t: t, fake: telegramtest.NewServer(t, testToken), clock: newFastTime(start, speed),
		sbNow: newFastTime(start, speed), watch: newSaleWatch()}
	opts := sandbox.Options{Now: e.sbNow.Now}
	if fc.sandbox != nil {
		fc.sandbox(&opts)
	}
	e.sb = sandbox.New(opts)
	api := httptest.NewServer(e.sb)
	t.Cleanup(api.Close)
	e.proxy = newFaultProxy(t, api.URL)
	env := map[string]string{"RESELLER_API_URL": e.proxy.URL(), "RESELLER_USERNAME": "demo", "RESELLER_PASSWORD": "demo", "ESIMBOT_LOG_LEVEL": "info", "ESIMBOT_OPEN_SALES": "true"}
	maps.Copy(env, fc.env)
	e.run = startRun(t, e.fake, nil, filepath.Join(t.TempDir(), "bot.db"), env, func(m *Main) {
		lift := m.tuneBot
		m.tuneBot = func(c *bot.Config) { lift(c); c.SendTimeout = time.Second }
		m.tuneReseller = func(c *reseller.Config) { c.HTTPClient = &http.Client{Timeout: 2 * time.Second}; c.Now = e.clock.Now }
		m.tuneFlows = func(c *flows.Config) {
			e.watch.next = c.Observer
			c.Observer, c.Now, c.Sandbox = e.watch, e.clock.Now, true
			c.SaleTimeout, c.DeliveryWait = 2*time.Second, 100*time.Millisecond
		}
		m.reconcileEvery = 250 * time.Millisecond
	})
	return e
}

// afterConfirmList runs f just after the next list of bundles, Confirm's
// fresh look at the bundle, once the catalog's warming at start is over
// (its lists would come first).
func (e *faultEnv) afterConfirmList(f func()) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := poll(ctx, func() bool { return strings.Contains(e.run.stderr.String(), `"msg":"catalog warmed"`) }); err != nil {
		e.t.Fatalf("the catalog is not warmed: %v", err)
	}
	e.proxy.afterList(f)
}

// faultCases are the faults of the matrix, one purchase each.
func faultCases() []faultCase {
	purchase := http.MethodPost
	inject := func(f sandbox.Fault) func(*faultEnv) {
		return func(e *faultEnv) { f.Method, f.Path, f.Count = purchase, "/Bundle", 1; e.sb.Inject(f) }
	}
	token := func(ttl time.Duration, refreshToo bool) faultCase {
		name := fmt.Sprintf("access token of %v expires at Confirm", ttl)
		if refreshToo {
			name = fmt.Sprintf("access token of %v and refresh token expire", ttl)
		}
		return faultCase{
			name: name, speed: 1,
			sandbox: func(o *sandbox.Options) {
				o.AccessTTL = ttl
				if refreshToo {
					o.RefreshTTL = ttl
				}
			},
			// The confirm's fresh read of the bundle gets through; the
			// purchase that follows meets expired tokens (the sandbox's
			// clock jumps; the client's does not know).
			arm:  func(e *faultEnv) { e.afterConfirmList(func() { e.sbNow.Advance(ttl + time.Second) }) },
			want: flows.SaleDelivered, wantOrders: 1,
		}
	}
	return []faultCase{
		{name: "none", want: flows.SaleDelivered, wantOrders: 1},
		{name: "purchase times out before the API commits", arm: inject(sandbox.Fault{Kind: sandbox.FaultLatency, Latency: 3 * time.Second}),
			want: flows.SaleFailed, wantLast: "nothing was charged"},
		{name: "API commits 3 s after the client gave up", speed: 10,
			arm:  inject(sandbox.Fault{Kind: sandbox.FaultCommitLate, Latency: 3 * time.Second}),
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "API commits, the answer is lost (timeout)", arm: inject(sandbox.Fault{Kind: sandbox.FaultCommitThenTimeout}),
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "503 before the API commits", arm: inject(sandbox.Fault{Kind: sandbox.FaultStatus, Status: 503}),
			want: flows.SaleFailed, wantLast: "nothing was charged"},
		{name: "500 after the API commits", arm: inject(sandbox.Fault{Kind: sandbox.FaultCommitThenStatus, Status: 500}),
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "connection dropped before the API commits", arm: inject(sandbox.Fault{Kind: sandbox.FaultDrop}),
			want: flows.SaleFailed, wantLast: "nothing was charged"},
		{name: "connection dropped after the API commits", arm: inject(sandbox.Fault{Kind: sandbox.FaultCommitThenTimeout, Latency: time.Millisecond}),
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "401 after the API commits", arm: inject(sandbox.Fault{Kind: sandbox.FaultCommitThenStatus, Status: 401}),
			want: flows.SaleDelivered, wantOrders: 1},
		{name: fmt.Sprintf("API refuses connections %v from Confirm", outageTime()),
			arm: func(e *faultEnv) { e.proxy.outage(outageTime()) },
			then: func(e *faultEnv, c *tgChat) int {
				c.expect("not answering right now")
				ctx, cancel := context.WithTimeout(context.Background(), outageTime()+10*time.Second)
				defer cancel()
				if err := e.proxy.waitRestored(ctx); err != nil {
					e.t.Fatal(err)
				}
				c.tap("Confirm") // the summary's button still works
				return 1
			},
			want: flows.SaleDelivered, wantOrders: 1},
		{name: fmt.Sprintf("API refuses connections %v right after Confirm", outageTime()),
			// The checks come every 5 to 30 s during the outage, and the five
			// that find no order after it settle it in about a minute. The
			// outage starts after Confirm's fresh look at the bundle; with
			// the fast clock, a catalog entry of 10 min is refreshed in the
			// background every few seconds, and such a refresh before the tap
			// started it too early ("not answering", no sale): the catalog
			// lives a day here, and the warming at start is over first.
			env:  map[string]string{"ESIMBOT_CATALOG_TTL": "24h"},
			arm:  func(e *faultEnv) { e.afterConfirmList(func() { e.proxy.outage(outageTime()) }) },
			want: flows.SaleFailed, wantLast: "nothing was charged"},
		token(5*time.Second, false), token(30*time.Second, false), token(40*time.Second, false), token(40*time.Second, true),
		{name: "activation data 30 s late", sandbox: func(o *sandbox.Options) { o.ActivationDelay = 30 * time.Second },
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "Telegram 429 on the delivery", arm: func(e *faultEnv) { e.fake.FailNext("sendMessage", 1, 429, 1) },
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "Telegram 500 on sendPhoto", arm: func(e *faultEnv) { e.fake.FailNext("sendPhoto", 1, 500, 0) },
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "Telegram 400 on sendPhoto", arm: func(e *faultEnv) { e.fake.FailNext("sendPhoto", 1, 400, 0) },
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "sendPhoto times out, not received", arm: func(e *faultEnv) { e.fake.StallNext("sendPhoto", 1) },
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "sendPhoto times out after Telegram got it", arm: func(e *faultEnv) { e.fake.StallAfterNext("sendPhoto", 1) },
			want: flows.SaleDelivered, wantOrders: 1, wantPhotos: 2},
		{name: "403: the user blocks the bot, unblocks and writes",
			// The sale is held for the user, not retried; the admin hears of
			// it; the user's /start delivers it, then shows the menu.
			env: map[string]string{"ESIMBOT_ADMINS": strconv.Itoa(faultAdmin)},
			arm: func(e *faultEnv) { e.fake.SetUser(faultAdmin, "Admin", "", "", "en"); e.fake.BlockBot(faultUser) },
			then: func(e *faultEnv, c *tgChat) int {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				if err := e.watch.wait(ctx, func(_ map[string]flows.SaleState, r map[string]int) bool { return r["text"] > 0 }); err != nil {
					e.t.Fatalf("no failed delivery to the blocked user: %v", err)
				}
				if _, err := e.fake.WaitFor(ctx, faultAdmin, func(msgs []telegramtest.Message) bool {
					return len(msgs) > 0 && strings.Contains(msgs[len(msgs)-1].Text, "blocked the bot")
				}); err != nil {
					e.t.Fatalf("no alert to the admin of the sale held: %v", err)
				}
				e.fake.UnblockBot(faultUser)
				c.say("/start")
				return 0
			},
			want: flows.SaleDelivered, wantOrders: 1, wantLast: "What would you like to do?"},
	}
}

// checkSecondCopies checks that of the QR code pictures a user got, every
// one after the first says it is the same eSIM again. (The first may say
// so too: a send whose answer was lost may or may not have reached the
// chat, and the bot cannot tell.)
func checkSecondCopies(t testing.TB, fake *telegramtest.Server, user int64) {
	t.Helper()
	n := 0
	for _, m := range telegramtest.FromBot(fake.Messages(user)) {
		if m.Photo == nil {
			continue
		}
		if n > 0 && !strings.Contains(m.Caption, "Here is your eSIM again") {
			t.Errorf("picture %d does not say it is the same eSIM again (caption %q)", n+1, m.Caption)
		}
		n++
	}
}

// checkCopiesPerESIM is checkSecondCopies for a user who bought several
// eSIMs: of the texts and of the pictures of each eSIM (told apart by the
// ICCID's last digits, which both show), every one after the first says
// it is the same eSIM again.
func checkCopiesPerESIM(t testing.TB, fake *telegramtest.Server, user int64) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range telegramtest.FromBot(fake.Messages(user)) {
		body, kind := m.Text, "text"
		if m.Photo != nil {
			body, kind = m.Caption, "picture"
		} else if !strings.Contains(body, "Your eSIM is ready") {
			continue
		}
		i := strings.Index(body, "ICCID")
		if i < 0 {
			continue
		}
		f := strings.Fields(body[i:min(i+40, len(body))])
		if len(f) < 2 {
			continue
		}
		key := kind + " " + f[1]
		if seen[key] > 0 && !strings.Contains(body, "Here is your eSIM again") {
			t.Errorf("user %d: %s %d of the same eSIM does not say it is the same eSIM again (%q)", user, kind, seen[key]+1, body)
		}
		seen[key]++
	}
}

// faultUser is the Telegram user of each case of the matrix; faultAdmin
// the admin of the cases that have one.
const (
	faultUser  = 4242
	faultAdmin = 4343
)

// TestFaultMatrix runs one purchase under each fault, all at once, and
// prints the matrix. It fails on a duplicate order, a loss (charged and
// not delivered, or delivered and not charged), or an outcome other than
// the one expected of the fault.
func TestFaultMatrix(t *testing.T) {
	t.Parallel() // with TestFaultKills: both mostly wait
	cases := faultCases()
	rows := make([]faultRow, len(cases))
	var wg sync.WaitGroup
	for i, fc := range cases {
		wg.Go(func() {
			// Subtests run from goroutines at once, not one per CPU: they
			// mostly wait.
			t.Run(fc.name, func(t *testing.T) { rows[i] = runFaultCase(t, fc) })
		})
	}
	wg.Wait()
	t.Log(matrix(rows))
	if *faultsDebug {
		t.Fail()
	}
}

func runFaultCase(t *testing.T, fc faultCase) faultRow {
	e := startFaultEnv(t, fc)
	c := newChat(t, e.fake, faultUser, "Ada", "en")
	c.toSummary()
	if fc.arm != nil {
		fc.arm(e)
	}
	began := time.Now()
	c.tap("Confirm")
	taps := 1
	if fc.then != nil {
		taps += fc.then(e, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second+outageTime())
	defer cancel()
	if err := e.watch.wait(ctx, finished(1)); err != nil {
		t.Errorf("no outcome: %v\n%s\nlog:\n%s", err, e.fake.Transcript(faultUser), e.run.stderr)
	}
	wantLast := fc.wantLast
	if wantLast == "" {
		wantLast = "QR code of your eSIM"
	}
	c.expect(wantLast) // what the user is told comes just after the sale's last move
	took := time.Since(began)
	if code := e.run.stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
	row, sales := audit(t, e.run.db, e.sb, e.fake, []int64{faultUser}, taps)
	row.fault, row.took = fc.name, took
	if len(sales) != 1 || sales[0].State != fc.want {
		t.Errorf("sales %v, want one %s", row.states, fc.want)
	}
	if row.orders != fc.wantOrders {
		t.Errorf("%d orders at the API, want %d", row.orders, fc.wantOrders)
	}
	wantPhotos := fc.wantPhotos
	if wantPhotos == 0 && fc.want == flows.SaleDelivered {
		wantPhotos = 1
	}
	if row.photos != wantPhotos || row.texts != min(fc.wantOrders, 1) {
		t.Errorf("%d texts and %d pictures delivered, want %d and %d", row.texts, row.photos, min(fc.wantOrders, 1), wantPhotos)
	}
	checkSecondCopies(t, e.fake, faultUser)
	if !strings.Contains(row.last, strings.TrimSuffix(wantLast, "…")) {
		if msgs := telegramtest.FromBot(e.fake.Messages(faultUser)); len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1].Text+msgs[len(msgs)-1].Caption, wantLast) {
			t.Errorf("the user's last message is %q, want one with %q", row.last, wantLast)
		}
	}
	if t.Failed() || *faultsDebug {
		t.Logf("chat:\n%s\nlog:\n%s", e.fake.Transcript(faultUser), e.run.stderr)
	}
	return row
}
