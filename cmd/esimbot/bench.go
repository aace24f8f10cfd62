package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
	"github.com/esimbot/esimbot/storage"
)

// benchToken is the bot token of the benchmark's fake Bot API.
const benchToken = "4242:BENCH-token"

// benchChildEnv, set in a child's environment, marks an "esimbot run"
// started by the benchmark (a test binary runs main on it).
const benchChildEnv = "ESIMBOT_BENCH_CHILD"

// benchOptions are the flags of "esimbot bench".
type benchOptions struct {
	settings    []string
	chats       int
	think       time.Duration
	shippedFor  time.Duration
	latency     time.Duration
	slowChats   int
	slowLatency time.Duration
	slowFor     time.Duration
	slowTTL     time.Duration
	startConvs  int
	startSales  int
	dir         string
	timeout     time.Duration
	workers     int
	cpuProfile  string
	memProfile  string
}

// benchUsageNotes end the usage of "bench".
const benchUsageNotes = `
Settings (-settings, comma-separated; all by default):
  capacity  -chats users buy at once, as fast as they can, Telegram pacing
            off (ESIMBOT_SEND_RATE=0, ESIMBOT_CHAT_RATE=0); then a bare
            go-telegram/bot bot answering each update with one sendMessage,
            under the same load on the same fake server.
  shipped   -chats users buy at human pace (a tap every -think), as shipped:
            each starts at a random moment of a purchase's length and buys
            again and again for -shipped-for, so the chats are at every
            step at once rather than in step.
  slow-api  -slow-chats users browse at human pace while every reseller
            call takes -slow-latency, past a catalog expiry (-slow-ttl).
  startup   "esimbot run" started in a child process on a file of
            -startup-conversations conversations and -startup-sales sales
            (built once in -dir): time to the first reply, peak RSS.
A conversation is /start, Buy, a country, a bundle, Choose, the email, the
name, Skip, Confirm (until the delivery's QR code), and Check usage. Latency
is from the update being offered to getUpdates to the bot's last reply to
it. Each figure is also printed as one line "BENCH name=value unit=U".
`

// runBench is the "bench" command.
func (m *Main) runBench(ctx context.Context, args []string) error {
	fs := m.newFlagSet("bench", "bench [flags]")
	flagsUsage := fs.Usage
	fs.Usage = func() {
		flagsUsage()
		fmt.Fprint(fs.Output(), benchUsageNotes)
	}
	var o benchOptions
	settings := fs.String("settings", "capacity,shipped,slow-api,startup", "`list` of settings to run")
	fs.IntVar(&o.chats, "chats", 1000, "simulated users of capacity and shipped, each in its own chat")
	fs.DurationVar(&o.think, "think", 3*time.Second, "shipped and slow-api: time between a user's taps")
	fs.DurationVar(&o.shippedFor, "shipped-for", 60*time.Second, "shipped: how long users start new purchases")
	fs.DurationVar(&o.latency, "api-latency", 20*time.Millisecond, "capacity and shipped: time the reseller API takes per call")
	fs.IntVar(&o.slowChats, "slow-chats", 200, "slow-api: simulated users")
	fs.DurationVar(&o.slowLatency, "slow-latency", time.Second, "slow-api: time the reseller API takes per call")
	fs.DurationVar(&o.slowFor, "slow-for", 40*time.Second, "slow-api: how long users browse")
	fs.DurationVar(&o.slowTTL, "slow-ttl", 15*time.Second, "slow-api: lifetime of a catalog entry")
	fs.IntVar(&o.startConvs, "startup-conversations", 100_000, "startup: conversations in the file")
	fs.IntVar(&o.startSales, "startup-sales", 1_000_000, "startup: sales in the file")
	fs.StringVar(&o.dir, "dir", "", "`directory` of the database files, kept (default: a temporary directory, removed)")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Minute, "longest a setting may run")
	fs.IntVar(&o.workers, "workers", 0, "chats the bot handles at once (0: the bot's default)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to `file`")
	fs.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile of the whole run to `file` at its end")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	var bad string
	if o.settings, bad = benchSettings(*settings); bad != "" {
		fmt.Fprintf(m.Stderr, "esimbot bench: unknown setting %q\n", bad)
		fs.Usage()
		return errUsage
	}
	cleanup, err := o.prepare()
	if err != nil {
		return err
	}
	defer cleanup()
	rep := &benchReport{}
	fmt.Fprintf(m.Stdout, "esimbot bench %s: %d CPUs (GOMAXPROCS %d), %s/%s, fsync on\n",
		Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	for i, s := range o.settings {
		if i > 0 {
			settle()
		}
		var err error
		switch s {
		case "capacity":
			err = m.benchCapacity(ctx, o, rep)
		case "shipped":
			err = m.benchShipped(ctx, o, rep)
		case "slow-api":
			err = m.benchSlowAPI(ctx, o, rep)
		case "startup":
			err = m.benchStartup(ctx, o, rep)
		}
		if err != nil {
			return fmt.Errorf("bench %s: %w", s, err)
		}
	}
	rep.print(m.Stdout)
	return nil
}

// settle lets what a setting left behind wind down before the next one
// starts (goroutines ending, its heap collected and handed back), so a
// setting is measured on its own, as if it ran alone: until the number of
// goroutines holds for 200 ms, at most 3 s, then a collection.
func settle() {
	deadline := time.Now().Add(3 * time.Second)
	for n := runtime.NumGoroutine(); time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond) // polling the count: nothing signals the end of stray goroutines
		m := runtime.NumGoroutine()
		if m == n {
			break
		}
		n = m
	}
	debug.FreeOSMemory() // a collection, and the memory back to the system
}

// benchSettings returns the settings a -settings list names, or the
// first name that is none.
func benchSettings(list string) (settings []string, bad string) {
	for _, s := range strings.Split(list, ",") {
		switch s = strings.TrimSpace(s); s {
		case "capacity", "shipped", "slow-api", "startup":
			settings = append(settings, s)
		case "":
		default:
			return nil, s
		}
	}
	return settings, ""
}

// prepare makes the directory of the database files (a temporary one if
// -dir is not set) and starts the CPU profile of -cpuprofile; cleanup
// stops the profile, writes the allocation profile of -memprofile and
// removes a temporary directory.
func (o *benchOptions) prepare() (cleanup func(), err error) {
	var undo []func()
	cleanup = func() {
		for _, f := range slices.Backward(undo) {
			f()
		}
	}
	if o.dir != "" {
		if err := os.MkdirAll(o.dir, 0o700); err != nil {
			return nil, err
		}
	} else {
		tmp, err := os.MkdirTemp("", "esimbot-bench-")
		if err != nil {
			return nil, err
		}
		undo = append(undo, func() { os.RemoveAll(tmp) })
		o.dir = tmp
	}
	if o.memProfile != "" {
		f, err := os.Create(o.memProfile)
		if err != nil {
			cleanup()
			return nil, err
		}
		undo = append(undo, func() {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		})
	}
	if o.cpuProfile == "" {
		return cleanup, nil
	}
	f, err := os.Create(o.cpuProfile)
	if err != nil {
		cleanup()
		return nil, err
	}
	undo = append(undo, func() { f.Close() })
	if err := pprof.StartCPUProfile(f); err != nil {
		cleanup()
		return nil, err
	}
	undo = append(undo, pprof.StopCPUProfile)
	return cleanup, nil
}

// benchBot is a running esimbot on the fake Bot API.
type benchBot struct {
	api   *benchAPI
	store *storage.Store
	db    string
	stop  func() error
}

// startBenchBot starts "esimbot run" in-process on a fake Bot API, with the
// sandbox in-process (its calls taking latency each), a fresh database in
// dir, and env added to the environment.
func (m *Main) startBenchBot(ctx context.Context, o benchOptions, name string, latency time.Duration, env map[string]string, tune func(*flows.Config)) (*benchBot, error) {
	api, err := newBenchAPI(benchToken)
	if err != nil {
		return nil, err
	}
	db := filepath.Join(o.dir, name+".db")
	_ = os.Remove(db)
	sb := sandbox.New(sandbox.Options{Wallet: decimal.NewFromInt(1_000_000_000)})
	if latency > 0 {
		sb.Inject(sandbox.Fault{Kind: sandbox.FaultLatency, Latency: latency})
	}
	vars := map[string]string{
		"TELEGRAM_BOT_TOKEN": benchToken, "TELEGRAM_API_URL": api.url, "ESIMBOT_DB": db,
		"ESIMBOT_LISTEN": "127.0.0.1:0", "ESIMBOT_LOG_LEVEL": "warn", "ESIMBOT_LOG_FORMAT": "json",
	}
	for _, k := range []string{"GOGC", "GOMEMLIMIT"} { // the operator's collector settings, as "run" would see them
		if v := os.Getenv(k); v != "" {
			vars[k] = v
		}
	}
	for k, v := range env {
		vars[k] = v
	}
	stores := make(chan *storage.Store, 1)
	logs := &countingWriter{}
	child := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Getenv: func(k string) string { return vars[k] },
		sandbox: sb, tuneFlows: tune, onStore: func(st *storage.Store) { stores <- st },
		tuneBot: func(c *bot.Config) {
			if o.workers > 0 {
				c.Workers = o.workers
			}
		}}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan int, 1)
	go func() { done <- child.Run(runCtx, []string{"run"}) }()
	b := &benchBot{api: api, db: db}
	b.stop = sync.OnceValue(func() error {
		cancel()
		code := <-done
		api.close()
		if code != 0 {
			return fmt.Errorf("esimbot run exited %d (%d log lines)", code, logs.lines.Load())
		}
		return nil
	})
	select {
	case b.store = <-stores:
	case code := <-done:
		api.close()
		return nil, fmt.Errorf("esimbot run exited %d before it opened the database: %s", code, logs.first())
	}
	if err := api.waitPolling(ctx, 30*time.Second); err != nil {
		_ = b.stop()
		return nil, err
	}
	return b, nil
}

// countingWriter counts the lines written to it and keeps the first.
type countingWriter struct {
	lines atomic.Int64
	mu    sync.Mutex
	line  string
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.lines.Add(int64(strings.Count(string(p), "\n")))
	c.mu.Lock()
	if c.line == "" {
		c.line, _, _ = strings.Cut(string(p), "\n")
	}
	c.mu.Unlock()
	return len(p), nil
}

// first returns the first line written.
func (c *countingWriter) first() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.line
}
