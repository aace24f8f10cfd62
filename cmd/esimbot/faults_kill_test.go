package main

// The fault matrix with a real process: "esimbot run", built once, is
// killed with SIGKILL at each state of a sale and restarted on the same
// data file, stopped with SIGTERM during a purchase, and put through a
// randomized run of many users, faults and kills. The fake Bot API and the
// reseller sandbox (behind a thin hook) run in the test process, so they
// outlive the bot like the real ones.

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
	"github.com/esimbot/esimbot/storage"
)

var faultsSeed = flag.Uint64("faults.seed", 0, "fault suite: seed of the randomized run (0: from the time)")

// buildTestBinary builds esimbot into dir with the engine's clock 120
// times faster than the wall clock (see testClock).
func buildTestBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "esimbot")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.testClock=120", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	return bin
}

// watchBuffer keeps a child's standard error and lets a test wait for a
// line.
type watchBuffer struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{}
}

func newWatchBuffer() *watchBuffer { return &watchBuffer{changed: make(chan struct{})} }

func (w *watchBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	close(w.changed)
	w.changed = make(chan struct{})
	return len(p), nil
}

func (w *watchBuffer) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.b.String() }

// waitLine waits for a line containing s and returns it.
func (w *watchBuffer) waitLine(ctx context.Context, s string) (string, error) {
	for {
		w.mu.Lock()
		text, ch := w.b.String(), w.changed
		w.mu.Unlock()
		sc := bufio.NewScanner(strings.NewReader(text))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), s) {
				return sc.Text(), nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return "", fmt.Errorf("no line with %q: %w", s, ctx.Err())
		}
	}
}

// child is an "esimbot run" process.
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *watchBuffer
	exited chan struct{}
	code   int
	http   string // address of /healthz, /metrics
}

// startChild starts bin run with env and waits until it polls the fake
// or, in webhook mode (ESIMBOT_WEBHOOK_URL in env), until it registered
// its webhook; the fake's deliveries then go to its listen address.
func startChild(t *testing.T, bin string, fake *telegramtest.Server, env []string) *child {
	t.Helper()
	c, err := startChildErr(t, bin, fake, env)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startChildErr is startChild for any goroutine: it returns its failure.
func startChildErr(t *testing.T, bin string, fake *telegramtest.Server, env []string) (*child, error) {
	c := &child{t: t, stderr: newWatchBuffer(), exited: make(chan struct{})}
	c.cmd = exec.Command(bin, "run")
	c.cmd.Env = env
	c.cmd.Stderr = c.stderr
	c.cmd.Stdout = io.Discard
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = c.cmd.Wait()
		c.code = c.cmd.ProcessState.ExitCode()
		close(c.exited)
	}()
	t.Cleanup(func() { c.kill() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	line, err := c.stderr.waitLine(ctx, `"msg":"esimbot started"`)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, c.stderr)
	}
	if _, rest, ok := strings.Cut(line, `"listen":"`); ok {
		c.http, _, _ = strings.Cut(rest, `"`)
	}
	if slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "ESIMBOT_WEBHOOK_URL=") }) {
		// Telegram's requests reach the new process (through the TLS
		// proxy) as soon as it listens; it is ready once registered.
		fake.WebhookVia("http://" + c.http)
		if _, err := c.stderr.waitLine(ctx, `"msg":"webhook registered"`); err != nil {
			return nil, fmt.Errorf("the child registers no webhook: %w\n%s", err, c.stderr)
		}
		return c, nil
	}
	if err := fake.WaitUntil(ctx, fake.Polling); err != nil {
		return nil, fmt.Errorf("the child does not poll: %w\n%s", err, c.stderr)
	}
	return c, nil
}

// kill sends SIGKILL and waits for the end; the fake is told when the
// child's long poll is gone.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
}

// term sends SIGTERM and returns the exit code.
func (c *child) term() int {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(45 * time.Second):
		c.t.Errorf("no exit 45 s after SIGTERM")
		c.kill()
	}
	return c.code
}

// metric reads one sample of the child's /metrics, or -1.
func (c *child) metric(sample string) float64 {
	resp, err := http.Get("http://" + c.http + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}

// poll checks cond every 20 ms until it holds (for what only the child's
// /metrics can tell).
func poll(ctx context.Context, cond func() bool) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// hookedAPI is the sandbox as the child sees it: it calls onPurchase when
// a purchase arrives, before the sandbox has it.
type hookedAPI struct {
	sb *sandbox.Server

	mu         sync.Mutex
	onPurchase func()
}

func (h *hookedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Bundle") {
		h.mu.Lock()
		f := h.onPurchase
		h.onPurchase = nil
		h.mu.Unlock()
		if f != nil {
			f()
		}
	}
	h.sb.ServeHTTP(w, r)
}

func (h *hookedAPI) whenPurchase(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onPurchase = f
}

// killEnv is a sandbox, a fake Bot API and a data file that outlive the
// bot's processes.
type killEnv struct {
	t         *testing.T
	bin       string
	fake      *telegramtest.Server
	sb        *sandbox.Server
	api       *hookedAPI
	db        string
	committed chan string // a sale the sandbox recorded (its reference)
	child     *child
	extra     []string     // more of the bot's environment (KEY=value)
	restarts  atomic.Int32 // how many times restart started the bot again
}

// newKillEnv starts the bot on a new sandbox, fake and data file, with
// the variables extra (KEY=value) added to its environment.
func newKillEnv(t *testing.T, bin string, opts sandbox.Options, extra ...string) *killEnv {
	e := &killEnv{t: t, bin: bin, fake: telegramtest.NewServer(t, testToken), db: filepath.Join(t.TempDir(), "bot.db"),
		committed: make(chan string, 1000), extra: extra}
	opts.OnChange = func(sandbox.Change) error {
		select {
		case e.committed <- "":
		default:
		}
		return nil
	}
	e.sb = sandbox.New(opts)
	e.api = &hookedAPI{sb: e.sb}
	srv := httptest.NewServer(e.api)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() && e.child != nil {
			t.Logf("the last child's log:\n%s", e.child.stderr)
		}
	})
	e.start(srv.URL + e.sb.Prefix())
	return e
}

func (e *killEnv) env(api string) []string {
	return append([]string{"TELEGRAM_BOT_TOKEN=" + testToken, "TELEGRAM_API_URL=" + e.fake.URL(), "RESELLER_API_URL=" + api,
		"RESELLER_USERNAME=demo", "RESELLER_PASSWORD=demo", "ESIMBOT_DB=" + e.db, "ESIMBOT_LISTEN=127.0.0.1:0",
		"ESIMBOT_LOG_FORMAT=json", "ESIMBOT_LOG_LEVEL=info", "ESIMBOT_OPEN_SALES=true"}, e.extra...)
}

func (e *killEnv) start(api string) {
	if api == "" {
		api = e.apiURL()
	}
	e.child = startChild(e.t, e.bin, e.fake, e.env(api))
}

func (e *killEnv) apiURL() string {
	for _, kv := range e.child.cmd.Env {
		if v, ok := strings.CutPrefix(kv, "RESELLER_API_URL="); ok {
			return v
		}
	}
	return ""
}

// restart kills the bot with SIGKILL and starts it again on the same
// file. It may be called from any goroutine; a failure is reported.
func (e *killEnv) restart() bool {
	api := e.apiURL()
	e.child.kill()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.fake.WaitUntil(ctx, func() bool { return !e.fake.Polling() }); err != nil {
		e.t.Errorf("the killed bot still polls: %v", err)
		return false
	}
	c, err := startChildErr(e.t, e.bin, e.fake, e.env(api))
	if err != nil {
		e.t.Errorf("restart: %v", err)
		return false
	}
	e.child = c
	e.restarts.Add(1)
	return true
}

// settle runs the stopped bot again until no sale of users is left
// unfinished (an outcome still being checked when the purchases ended),
// for at most a minute, and stops it.
func (e *killEnv) settle(users []int64) {
	for end := time.Now().Add(time.Minute); ; {
		if unfinished(e.t, e.db, users) == 0 || time.Now().After(end) {
			return
		}
		e.start("")
		time.Sleep(2 * time.Second) // the fast clock's reconciler checks several times a second
		if code := e.child.term(); code != 0 {
			e.t.Errorf("exit %d after SIGTERM", code)
		}
	}
}

// unfinished counts the sales of users that are not finished.
func unfinished(t *testing.T, db string, users []int64) int {
	st, err := storage.Open(db, storage.Options{})
	if err != nil {
		t.Fatalf("open the ledger: %v", err)
	}
	defer st.Close()
	n := 0
	for _, u := range users {
		ss, err := st.SalesByUser(context.Background(), flows.UserID(u))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if !s.State.Finished() {
				n++
			}
		}
	}
	return n
}

// killCase is a moment at which the bot is killed during a sale.
type killCase struct {
	name string
	// arm prepares the moment, just before the tap on Confirm, and returns
	// the wait for it.
	arm func(e *killEnv, user int64) (reached func(ctx context.Context) error)
	// term stops the bot with SIGTERM instead of SIGKILL, and does not
	// restart it.
	term bool
	// settled: the sale is finished before the kill; the restarted bot
	// has nothing to do.
	settled    bool
	want       flows.SaleState
	wantOrders int
	wantPhotos int
	wantLast   string
}

// waitCalls waits for n more calls of method to the fake.
func waitCalls(e *killEnv, method string) func(ctx context.Context) error {
	n := e.fake.Calls(method) + 1
	return func(ctx context.Context) error { return e.fake.WaitCalls(ctx, method, n) }
}

// commitThenTimeout makes the next purchase commit at the sandbox and its
// answer time out, and returns the wait for the commit.
func commitThenTimeout(e *killEnv) func(ctx context.Context) error {
	e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenTimeout, Method: "POST", Path: "/Bundle", Count: 1})
	for len(e.committed) > 0 {
		<-e.committed
	}
	return func(ctx context.Context) error {
		select {
		case <-e.committed:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitChan waits for the channel.
func waitChan(ch <-chan struct{}) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func killCases() []killCase {
	purchase := func(e *killEnv) <-chan struct{} {
		ch := make(chan struct{})
		e.api.whenPurchase(func() { close(ch) })
		return ch
	}
	return []killCase{
		{name: "SIGKILL at confirmed (progress message in flight)",
			arm: func(e *killEnv, _ int64) func(context.Context) error {
				e.fake.StallNext("editMessageText", 1)
				return waitCalls(e, "editMessageText")
			},
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "SIGKILL at assigning, before the API commits",
			arm: func(e *killEnv, _ int64) func(context.Context) error {
				e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultLatency, Method: "POST", Path: "/Bundle", Latency: time.Hour, Count: 1})
				return waitChan(purchase(e))
			},
			want: flows.SaleFailed, wantLast: "nothing was charged"},
		{name: "SIGKILL at assigning, the API committed",
			arm: func(e *killEnv, _ int64) func(context.Context) error {
				return commitThenTimeout(e)
			},
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "SIGKILL at assigned (installation text in flight)",
			arm: func(e *killEnv, _ int64) func(context.Context) error {
				e.fake.StallNext("sendMessage", 1)
				return waitCalls(e, "sendMessage")
			},
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "SIGKILL while sendPhoto is in flight",
			arm: func(e *killEnv, _ int64) func(context.Context) error {
				e.fake.StallNext("sendPhoto", 1)
				return waitCalls(e, "sendPhoto")
			},
			want: flows.SaleDelivered, wantOrders: 1},
		{name: "SIGKILL after Telegram got the photo, unanswered",
			arm: func(e *killEnv, user int64) func(context.Context) error {
				e.fake.StallAfterNext("sendPhoto", 1)
				return func(ctx context.Context) error {
					_, err := e.fake.WaitFor(ctx, user, func(msgs []telegramtest.Message) bool {
						return slices.ContainsFunc(msgs, func(m telegramtest.Message) bool { return m.Photo != nil })
					})
					return err
				}
			},
			want: flows.SaleDelivered, wantOrders: 1, wantPhotos: 2},
		{name: "SIGKILL at delivered",
			arm: func(e *killEnv, _ int64) func(context.Context) error {
				c := e.child
				return func(ctx context.Context) error {
					return poll(ctx, func() bool { return c.metric(`esimbot_sales_total{kind="new",state="delivered"}`) >= 1 })
				}
			},
			settled: true, want: flows.SaleDelivered, wantOrders: 1},
		{name: "SIGTERM during the purchase (API takes 2 s)", term: true,
			arm: func(e *killEnv, _ int64) func(context.Context) error {
				e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultLatency, Method: "POST", Path: "/Bundle", Latency: 2 * time.Second, Count: 1})
				return waitChan(purchase(e))
			},
			want: flows.SaleDelivered, wantOrders: 1},
	}
}

// TestFaultKills kills a built "esimbot run" at each state of a sale (one
// process per case, all at once), restarts it on the same file, and
// checks each sale; then the randomized run. It prints the matrix.
func TestFaultKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills child processes; skipped with -short")
	}
	t.Parallel() // with TestFaultMatrix: both mostly wait
	bin := buildTestBinary(t, t.TempDir())
	cases := killCases()
	rows := make([]faultRow, len(cases)+1)
	var wg sync.WaitGroup
	for i, kc := range cases {
		wg.Go(func() {
			t.Run(kc.name, func(t *testing.T) { rows[i] = runKillCase(t, bin, kc) })
		})
	}
	wg.Go(func() {
		t.Run("Random", func(t *testing.T) { rows[len(cases)] = runRandomFaults(t, bin) })
	})
	wg.Wait()
	t.Log(matrix(rows))
}

func runKillCase(t *testing.T, bin string, kc killCase) faultRow {
	const user = 5151
	e := newKillEnv(t, bin, sandbox.Options{})
	c := newChat(t, e.fake, user, "Ada", "en")
	c.toSummary()
	reached := kc.arm(e, user)
	began := time.Now()
	c.tap("Confirm")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := reached(ctx); err != nil {
		t.Fatalf("the moment to stop the bot did not come: %v\n%s\n%s", err, e.fake.Transcript(user), e.child.stderr)
	}
	if kc.term {
		if code := e.child.term(); code != 0 {
			t.Errorf("exit %d after SIGTERM", code)
		}
	} else {
		if !e.restart() {
			t.FailNow()
		}
		e.sb.ClearFaults()
	}
	wantLast := kc.wantLast
	if wantLast == "" {
		wantLast = "QR code of your eSIM"
	}
	c.expect(wantLast)
	took := time.Since(began)
	if !kc.term && !kc.settled {
		// The sale's last move comes just after the user's last message;
		// a SIGTERM before it would cut the delivery short.
		state := fmt.Sprintf(`esimbot_sales_total{kind="new",state=%q}`, kc.want)
		if err := poll(ctx, func() bool { return e.child.metric(state) >= 1 }); err != nil {
			t.Errorf("the restarted bot did not move the sale to %s: %v", kc.want, err)
		}
	}
	if !kc.term {
		if code := e.child.term(); code != 0 {
			t.Errorf("exit %d after SIGTERM", code)
		}
	}
	row, sales := audit(t, e.db, e.sb, e.fake, []int64{user}, 1)
	row.fault, row.took = kc.name, took
	checkOneSale(t, row, sales, kc.want, kc.wantOrders)
	wantPhotos := kc.wantPhotos
	if wantPhotos == 0 && kc.want == flows.SaleDelivered {
		wantPhotos = 1
	}
	if row.photos != wantPhotos || row.texts != min(kc.wantOrders, 1) {
		t.Errorf("%d texts and %d pictures delivered, want %d and %d", row.texts, row.photos, min(kc.wantOrders, 1), wantPhotos)
	}
	checkCopiesPerESIM(t, e.fake, user)
	if t.Failed() {
		t.Logf("chat:\n%s", e.fake.Transcript(user))
	}
	return row
}

// checkOneSale checks the audit of a user who confirmed one sale: the
// sale in state want, with wantOrders orders at the API.
func checkOneSale(t *testing.T, row faultRow, sales []flows.Sale, want flows.SaleState, wantOrders int) {
	t.Helper()
	if len(sales) != 1 || sales[0].State != want {
		t.Errorf("sales %v, want one %s", row.states, want)
	}
	if row.orders != wantOrders {
		t.Errorf("%d orders at the API, want %d", row.orders, wantOrders)
	}
}

// driver is one user of the randomized run: it buys, and gives up a
// purchase (starting again) when an answer does not come, as a person
// would after a restart swallowed it.
type driver struct {
	t    *testing.T
	fake *telegramtest.Server
	id   int64
	seen map[[2]int]bool
	// The last press: its message, update and callback query.
	pressedOn int
	update    int64
	query     string
}

// wait waits up to d for a new bot message containing one of want and
// returns its index in want, or -1.
func (d *driver) wait(dur time.Duration, want ...string) int {
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	found := -1
	_, _ = d.fake.WaitFor(ctx, d.id, func(msgs []telegramtest.Message) bool {
		for _, m := range msgs {
			key := [2]int{m.ID, m.Edited}
			if !m.FromBot || d.seen[key] {
				continue
			}
			for i, w := range want {
				if strings.Contains(m.Text, w) || strings.Contains(m.Caption, w) {
					d.seen[key], found = true, i
					return true
				}
			}
		}
		return false
	})
	return found
}

// markSeen marks every message shown so far as seen, before an action, so
// that the waits after it match only what answers it: a screen shown again
// (a replay after a restart answered as a stale tap) would otherwise stay
// unseen and answer the next wait, and the tap after it would press that
// old screen's button, which is stale again, and so on for good.
func (d *driver) markSeen() {
	for _, m := range d.fake.Messages(d.id) {
		if m.FromBot {
			d.seen[[2]int{m.ID, m.Edited}] = true
		}
	}
}

// say sends text as the user.
func (d *driver) say(text string) {
	d.markSeen()
	d.fake.SendText(d.id, d.id, text)
}

// tap presses the newest button with label; false if there is none.
func (d *driver) tap(label string) bool {
	d.markSeen()
	msgs := d.fake.Messages(d.id)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons() {
			for _, b := range row {
				if strings.Contains(b.Text, label) && b.CallbackData != "" {
					d.pressedOn = msgs[i].ID
					d.update, d.query = d.fake.PressButton(d.id, d.id, msgs[i].ID, b.CallbackData)
					return true
				}
			}
		}
	}
	return false
}

// newerConfirm reports whether a Confirm button came after the last press.
func (d *driver) newerConfirm(msgs []telegramtest.Message) bool {
	for _, m := range msgs {
		if m.ID > d.pressedOn && m.FromBot {
			for _, row := range m.Buttons() {
				for _, b := range row {
					if strings.Contains(b.Text, "Confirm") {
						return true
					}
				}
			}
		}
	}
	return false
}

// toSummary plays a purchase up to the summary, or reports false.
func (d *driver) toSummary() bool {
	step := 15 * time.Second
	d.say("/start")
	if d.wait(step, "What would you like to do") < 0 || !d.tap("Buy an eSIM") || d.wait(step, "Where are you travelling") < 0 {
		return false
	}
	d.say("france")
	if d.wait(step, "heapest first") < 0 || !d.tap("1 GB") || d.wait(step, "Networks") < 0 || !d.tap("Choose this bundle") || d.wait(step, "traveller's email") < 0 {
		return false
	}
	d.say(userEmail(d.id))
	return d.wait(step, "full name") >= 0 && d.tap("Use ") && d.wait(step, "WhatsApp number for the traveller") >= 0 && d.tap("Skip") && d.wait(step, "Your order") >= 0
}

// runRandomFaults: purchases by users at once, each under a random fault
// of the API or of Telegram, while the bot is killed with SIGKILL and
// restarted at random moments; then every sale is checked.
func runRandomFaults(t *testing.T, bin string) faultRow {
	purchases, users, kills := 20, 10, 1
	if *faultsLong {
		purchases, users, kills = 200, 50, 5
	}
	seed := *faultsSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (-faults.seed to replay the faults' choice; timing varies)", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	var rngMu sync.Mutex
	intn := func(n int) int { rngMu.Lock(); defer rngMu.Unlock(); return rng.IntN(n) }
	e := newKillEnv(t, bin, sandbox.Options{Wallet: decimal.NewFromInt(100000)})
	faults := []func(){
		func() {},
		func() {},
		func() {
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "POST", Path: "/Bundle", Status: 503, Count: 1})
		},
		func() { e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultDrop, Method: "POST", Path: "/Bundle", Count: 1}) },
		func() {
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenTimeout, Method: "POST", Path: "/Bundle", Latency: 200 * time.Millisecond, Count: 1})
		},
		func() {
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenStatus, Method: "POST", Path: "/Bundle", Status: 500, Count: 1})
		},
		func() {
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenStatus, Method: "POST", Path: "/Bundle", Status: 401, Count: 1})
		},
		func() {
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultCommitLate, Method: "POST", Path: "/Bundle", Latency: time.Second, Count: 1})
		},
		func() {
			e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultLatency, Path: "/Orders", Latency: 500 * time.Millisecond, Count: 2})
		},
		func() { e.fake.FailNext("sendPhoto", 1, 500, 0) },
		func() { e.fake.FailNext("sendPhoto", 1, 400, 0) },
		func() { e.fake.FailNext("sendMessage", 1, 429, 1) },
	}

	deadline := time.Now().Add(2 * time.Minute)
	if *faultsLong {
		deadline = time.Now().Add(15 * time.Minute) // within go test's default timeout, with the checks after
	}
	var mu sync.Mutex
	taps, aborted, outcomes := 0, 0, []time.Duration{}
	confirmed := make(chan struct{}, purchases)
	var wg sync.WaitGroup
	for u := range users {
		wg.Go(func() {
			id := int64(6000 + u)
			e.fake.SetUser(id, fmt.Sprintf("User %c", 'A'+u%26), "", "", "en")
			d := &driver{t: t, fake: e.fake, id: id, seen: map[[2]int]bool{}}
			mine := purchases / users
			if u < purchases%users {
				mine++
			}
			// A purchase given up is explained by a restart during it (an
			// update swallowed) or just before (a replay of the previous
			// screen): two in a row with no restart since the first began
			// mean the user cannot buy.
			prevAbandon := int32(-1) // restarts when the last purchase given up began
			for done := 0; done < mine && time.Now().Before(deadline); {
				restarts := e.restarts.Load()
				if start := time.Now(); !d.toSummary() {
					t.Logf("user %d: abandoned before Confirm after %v", id, time.Since(start).Round(time.Millisecond))
					mu.Lock()
					aborted++
					mu.Unlock()
					if prevAbandon == e.restarts.Load() {
						t.Errorf("user %d gave up twice in a row with no restart since: they cannot reach the summary\n%s", id, lastLines(e.fake.Transcript(id), 40))
						return
					}
					prevAbandon = restarts
					continue
				}
				prevAbandon = -1
				fault := intn(len(faults))
				faults[fault]()
				began := time.Now()
				if !d.tap("Confirm") {
					continue
				}
				mu.Lock()
				taps++
				mu.Unlock()
				confirmed <- struct{}{}
				done++
				// The outcome, or the word that it is pending and then the
				// outcome. A tap may find a stale summary (a restart showed
				// it again): then the user taps the newest Confirm.
				outcome := -1
				for try := 0; try < 4; try++ {
					if outcome = d.wait(10*time.Second, "QR code of your eSIM", "nothing was charged", "could not complete", "couldn't confirm"); outcome >= 0 && outcome < 3 {
						break
					}
					if outcome < 0 {
						t.Logf("user %d: no outcome 10 s after the tap on message %d (update %d answered %v, pending %v)",
							id, d.pressedOn, d.update, e.fake.Answered(d.query), slices.Contains(e.fake.Pending(), d.update))
						if msgs := e.fake.Messages(id); d.newerConfirm(msgs) && d.tap("Confirm") {
							mu.Lock()
							taps++
							mu.Unlock()
						}
					}
				}
				if outcome >= 0 && outcome < 3 {
					mu.Lock()
					outcomes = append(outcomes, time.Since(began))
					mu.Unlock()
				}
				t.Logf("user %d: fault %d, outcome %d after %v", id, fault, outcome, time.Since(began).Round(time.Millisecond))
				if outcome < 0 {
					t.Logf("user %d: no outcome:\n%s", id, e.fake.Transcript(id))
				}
			}
		})
	}
	// The killer: after random numbers of confirmed purchases.
	killed, drivenOut := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(killed)
		at := make([]int, kills)
		for i := range at {
			at[i] = 1 + intn(max(purchases-1, 1))
		}
		slices.Sort(at)
		n := 0
		for _, k := range at {
			for n < k {
				select {
				case <-confirmed:
					n++
				case <-drivenOut:
					return // no more purchases to kill in
				}
			}
			// Somewhere in the purchase that follows the k-th tap.
			time.Sleep(time.Duration(intn(1500)) * time.Millisecond) // the random moment, not a wait for something
			if !e.restart() {
				return
			}
		}
	}()
	wg.Wait()
	close(drivenOut)
	<-killed
	// Every order delivered, every sale told.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ids := make([]int64, users)
	for u := range ids {
		ids[u] = int64(6000 + u)
	}
	err := e.fake.WaitUntil(ctx, func() bool {
		for _, o := range e.sb.Orders() {
			var u int64
			fmt.Sscanf(o.Email, "user%d@", &u)
			if !slices.ContainsFunc(e.fake.Messages(u), func(m telegramtest.Message) bool {
				return m.FromBot && strings.Contains(m.Text, o.ICCID)
			}) {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Errorf("orders not delivered: %v", err)
	}
	if code := e.child.term(); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
	e.settle(ids)
	row, _ := audit(t, e.db, e.sb, e.fake, ids, taps)
	for _, id := range ids {
		checkCopiesPerESIM(t, e.fake, id)
	}
	if row.pending > 0 {
		t.Errorf("%d sales still pending at the end", row.pending)
	}
	row.fault = fmt.Sprintf("random: %d purchases, %d users, %d SIGKILL", purchases, users, kills)
	slices.Sort(outcomes)
	if len(outcomes) > 0 {
		row.took = outcomes[len(outcomes)-1]
		row.last = fmt.Sprintf("outcome p50 %v; %d of %d told; %d abandoned before Confirm", outcomes[len(outcomes)/2].Round(10*time.Millisecond), len(outcomes), purchases, aborted)
	}
	return row
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
