package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
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
	if err := m.parse(fs, args); err != nil {
		return err
	}
	for _, s := range strings.Split(*settings, ",") {
		switch s = strings.TrimSpace(s); s {
		case "capacity", "shipped", "slow-api", "startup":
			o.settings = append(o.settings, s)
		case "":
		default:
			fmt.Fprintf(m.Stderr, "esimbot bench: unknown setting %q\n", s)
			fs.Usage()
			return errUsage
		}
	}
	if o.dir != "" {
		if err := os.MkdirAll(o.dir, 0o700); err != nil {
			return err
		}
	} else {
		tmp, err := os.MkdirTemp("", "esimbot-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		o.dir = tmp
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep := &benchReport{}
	fmt.Fprintf(m.Stdout, "esimbot bench %s: %d CPUs (GOMAXPROCS %d), %s/%s, fsync on\n",
		Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	for _, s := range o.settings {
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

// benchResult is what one bot measured under one load.
type benchResult struct {
	setting, bot string
	users        int
	updates      int           // updates offered
	failed       int           // users who did not finish
	wall         time.Duration // first offer to last reply
	steps        map[string][]time.Duration
	order        []string        // step names in the order first seen
	notes        map[string]bool // steps that are not updates (a first reply), left out of "all"
	cpu          time.Duration
	allocs       uint64
	allocBytes   uint64
	commits      uint64 // store commits (the bot only)
	peakRSS      int64  // bytes, the whole process (bot, fake and users)
	dbBytes      int64
	replies      int // messages, edits, photos and answers from the bot
	actions      int // chat actions
}

func (r *benchResult) record(step string, d time.Duration) {
	if _, ok := r.steps[step]; !ok {
		r.order = append(r.order, step)
	}
	r.steps[step] = append(r.steps[step], d)
}

// rate is updates handled per second.
func (r *benchResult) rate() float64 {
	if r.wall <= 0 {
		return 0
	}
	return float64(r.updates) / r.wall.Seconds()
}

// benchReport collects the results and the lone figures of every setting.
type benchReport struct {
	mu      sync.Mutex
	results []*benchResult
	figures []benchFigure
}

// benchFigure is one machine-readable figure.
type benchFigure struct {
	name, unit string
	value      float64
}

func (rep *benchReport) add(r *benchResult) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	rep.results = append(rep.results, r)
}

func (rep *benchReport) figure(name string, value float64, unit string) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	rep.figures = append(rep.figures, benchFigure{name, unit, value})
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// print writes the tables, then one BENCH line per figure.
func (rep *benchReport) print(w io.Writer) {
	var lines []benchFigure
	line := func(name string, v float64, unit string) { lines = append(lines, benchFigure{name, unit, v}) }
	for _, r := range rep.results {
		fmt.Fprintf(w, "\n%s, %s: %d users, %d updates in %.1f s", r.setting, r.bot, r.users, r.updates, r.wall.Seconds())
		if r.failed > 0 {
			fmt.Fprintf(w, ", %d users did not finish", r.failed)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "step\tupdates\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
		prefix := r.setting + "." + r.bot
		var all []time.Duration
		for _, name := range r.order {
			d := slices.Clone(r.steps[name])
			slices.Sort(d)
			if !r.notes[name] {
				all = append(all, d...)
			}
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", name, len(d), ms(percentile(d, 50)), ms(percentile(d, 95)), ms(percentile(d, 99)), ms(d[len(d)-1]))
			for _, p := range []float64{50, 95, 99} {
				line(fmt.Sprintf("%s.%s.p%.0f", prefix, name, p), ms(percentile(d, p)), "ms")
			}
		}
		slices.Sort(all)
		if len(all) > 0 {
			fmt.Fprintf(tw, "all\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", len(all), ms(percentile(all, 50)), ms(percentile(all, 95)), ms(percentile(all, 99)), ms(all[len(all)-1]))
			for _, p := range []float64{50, 95, 99} {
				line(fmt.Sprintf("%s.all.p%.0f", prefix, p), ms(percentile(all, p)), "ms")
			}
		}
		tw.Flush()
		n := float64(max(r.updates, 1))
		cpu := float64(r.cpu.Microseconds()) / 1000 / n
		fmt.Fprintf(w, "%.0f updates/s · CPU %.2f ms/update · %.0f allocs, %.0f KB/update · %d replies, %d chat actions",
			r.rate(), cpu, float64(r.allocs)/n, float64(r.allocBytes)/n/1024, r.replies, r.actions)
		if r.bot == "esimbot" {
			fmt.Fprintf(w, " · %.3f commits/update (%d)", float64(r.commits)/n, r.commits)
		}
		fmt.Fprintf(w, " · peak RSS %.0f MB", float64(r.peakRSS)/(1<<20))
		if r.dbBytes > 0 {
			fmt.Fprintf(w, " · database %.1f MB", float64(r.dbBytes)/(1<<20))
		}
		fmt.Fprintln(w)
		line(prefix+".updates_per_s", r.rate(), "updates/s")
		line(prefix+".cpu_per_update", cpu, "ms")
		line(prefix+".allocs_per_update", float64(r.allocs)/n, "allocs")
		line(prefix+".alloc_bytes_per_update", float64(r.allocBytes)/n, "bytes")
		line(prefix+".peak_rss", float64(r.peakRSS)/(1<<20), "MB")
		line(prefix+".failed_users", float64(r.failed), "users")
		if r.bot == "esimbot" {
			line(prefix+".commits_per_update", float64(r.commits)/n, "commits")
			line(prefix+".db_size", float64(r.dbBytes)/(1<<20), "MB")
		}
	}
	// The ratios of each setting measured against the bare bot.
	for _, r := range rep.results {
		if r.bot != "esimbot" {
			continue
		}
		for _, bare := range rep.results {
			if bare.setting == r.setting && bare.bot == "bare" && bare.rate() > 0 && bare.cpu > 0 {
				rate := r.rate() / bare.rate()
				cpu := (float64(r.cpu) / float64(max(r.updates, 1))) / (float64(bare.cpu) / float64(max(bare.updates, 1)))
				fmt.Fprintf(w, "\n%s: esimbot handles %.0f%% of the bare bot's updates/s, with %.1f× its CPU per update\n", r.setting, 100*rate, cpu)
				line(r.setting+".ratio.updates_per_s", rate, "ratio")
				line(r.setting+".ratio.cpu_per_update", cpu, "ratio")
			}
		}
	}
	for _, f := range rep.figures {
		fmt.Fprintf(w, "%s: %.1f %s\n", f.name, f.value, f.unit)
	}
	lines = append(lines, rep.figures...)
	fmt.Fprintln(w)
	for _, f := range lines {
		fmt.Fprintf(w, "BENCH %s=%s unit=%s\n", f.name, strconv.FormatFloat(f.value, 'f', -1, 64), f.unit)
	}
}

// benchMeter samples the process before and after a run.
type benchMeter struct {
	rusage syscall.Rusage
	mem    runtime.MemStats
}

func startMeter() benchMeter {
	var m benchMeter
	resetPeakRSS()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &m.rusage)
	runtime.ReadMemStats(&m.mem)
	return m
}

// stop fills r's CPU, allocations and peak RSS since start.
func (m benchMeter) stop(r *benchResult) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	tv := func(t syscall.Timeval) time.Duration {
		return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
	}
	r.cpu = tv(ru.Utime) + tv(ru.Stime) - tv(m.rusage.Utime) - tv(m.rusage.Stime)
	r.allocs = mem.Mallocs - m.mem.Mallocs
	r.allocBytes = mem.TotalAlloc - m.mem.TotalAlloc
	r.peakRSS = peakRSS()
}

// resetPeakRSS resets the kernel's peak RSS of the process (Linux), so each
// run reports its own.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the process's peak RSS in bytes (VmHWM on Linux, else
// getrusage's, which never resets).
func peakRSS() int64 { return procPeakRSS("self") }

func procPeakRSS(pid string) int64 {
	if b, err := os.ReadFile("/proc/" + pid + "/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				return kb << 10
			}
		}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss << 10
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

// benchLoad runs users users, each through journey in its own chat
// (chats 1000001 on), started within spread, and fills r's latencies,
// counts and wall time.
func benchLoad(ctx context.Context, api *benchAPI, r *benchResult, users int, spread time.Duration, journey func(ctx context.Context, u *benchUser) error) {
	var mu sync.Mutex
	var first, last time.Time
	var wg sync.WaitGroup
	var failed atomic.Int64
	r.users = users
	r.steps, r.notes = map[string][]time.Duration{}, map[string]bool{}
	for i := range users {
		u := &benchUser{api: api, chat: int64(1_000_001 + i), index: i}
		u.record = func(step string, offered time.Time, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			r.updates++
			if d >= 0 {
				r.record(step, d)
			}
			if first.IsZero() || offered.Before(first) {
				first = offered
			}
			if end := offered.Add(d); end.After(last) {
				last = end
			}
		}
		u.note = func(step string, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			r.notes[step] = true
			r.record(step, d)
		}
		wg.Go(func() {
			if spread > 0 {
				t := time.NewTimer(rand.N(spread))
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			if err := journey(ctx, u); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	r.failed = int(failed.Load())
	r.wall = last.Sub(first)
	r.replies, r.actions, _ = api.counts()
}

// benchUser is one simulated user in one chat.
type benchUser struct {
	api    *benchAPI
	chat   int64
	index  int
	think  time.Duration // the least time between two of the user's updates
	last   time.Time     // when the user last offered an update
	record func(step string, offered time.Time, d time.Duration)
	// note records a latency that is not an update's (a first reply).
	note func(step string, d time.Duration)
}

// pace waits until the user's next update may go.
func (u *benchUser) pace(ctx context.Context) error {
	if u.think <= 0 || u.last.IsZero() {
		return ctx.Err()
	}
	t := time.NewTimer(time.Until(u.last.Add(u.think)))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// screenAfter is the chat's latest screen (a bot message with inline
// buttons) if it was sent or edited after t.
func screenAfter(c *benchChat, t time.Time) *benchMsg {
	if m := c.msgs[c.screen]; m != nil && m.at.After(t) {
		return m
	}
	return nil
}

// text sends text and waits for a new screen: the step's latency is to the
// bot's last reply then.
func (u *benchUser) text(ctx context.Context, step, text string) error {
	if err := u.pace(ctx); err != nil {
		return err
	}
	at := u.api.sendText(u.chat, text)
	u.last = at
	var took time.Duration = -1
	err := u.api.wait(ctx, u.chat, func(c *benchChat) bool {
		if screenAfter(c, at) == nil {
			return false
		}
		took = c.last.Sub(at)
		return true
	})
	u.record(step, at, took)
	return err
}

// tap presses the button of the current screen that pick chooses, and
// waits for the answer and a new or edited screen (or, when until is set,
// for until to hold): the step's latency is to the bot's last reply then.
func (u *benchUser) tap(ctx context.Context, step string, pick func([]benchButton) int, until func(c *benchChat, at time.Time) bool) error {
	if err := u.pace(ctx); err != nil {
		return err
	}
	u.api.mu.Lock()
	c := u.api.chat(u.chat)
	m := c.msgs[c.screen]
	var msg int
	var data string
	if m != nil {
		if i := pick(m.buttons); i >= 0 && i < len(m.buttons) {
			msg, data = m.id, m.buttons[i].Data
		}
	}
	u.api.mu.Unlock()
	if data == "" {
		u.record(step, time.Now(), -1)
		return fmt.Errorf("chat %d, %s: no such button on the screen", u.chat, step)
	}
	at, q := u.api.press(u.chat, msg, data)
	u.last = at
	var took time.Duration = -1
	err := u.api.wait(ctx, u.chat, func(c *benchChat) bool {
		if _, ok := c.answers[q]; !ok {
			return false
		}
		if until != nil && !until(c, at) || until == nil && screenAfter(c, at) == nil {
			return false
		}
		took = c.last.Sub(at)
		return true
	})
	u.record(step, at, took)
	return err
}

// nth picks the i-th button (from the end when negative).
func nth(i int) func([]benchButton) int {
	return func(b []benchButton) int {
		if i < 0 {
			return len(b) + i
		}
		return i
	}
}

// labelled picks the button with the label.
func labelled(label string) func([]benchButton) int {
	return func(b []benchButton) int {
		return slices.IndexFunc(b, func(b benchButton) bool { return b.Text == label })
	}
}

// buyJourney is the journey of a buyer: a whole conversation, from /start to
// the delivery and a usage check.
func buyJourney(usage string) func(ctx context.Context, u *benchUser) error {
	return func(ctx context.Context, u *benchUser) error {
		if err := u.text(ctx, "start", "/start"); err != nil {
			return err
		}
		for _, s := range []struct {
			step string
			pick func([]benchButton) int
		}{{"browse", nth(0)}, {"browse", nth(u.index % 10)}, {"details", nth(0)}, {"choose", nth(0)}} {
			if err := u.tap(ctx, s.step, s.pick, nil); err != nil {
				return err
			}
		}
		if err := u.text(ctx, "email", "ada@example.com"); err != nil {
			return err
		}
		for _, step := range []string{"name", "skip"} {
			if err := u.tap(ctx, step, nth(0), nil); err != nil {
				return err
			}
		}
		// Confirm: the delivery ends with the QR code picture.
		var summary int
		u.api.mu.Lock()
		summary = u.api.chat(u.chat).screen
		u.api.mu.Unlock()
		var shown time.Duration = -1
		err := u.tap(ctx, "confirm+delivery", nth(0), func(c *benchChat, at time.Time) bool {
			if m := c.msgs[summary]; m != nil && m.at.After(at) && shown < 0 {
				shown = m.at.Sub(at)
			}
			for id := c.nextMsg; id > 0 && id > c.nextMsg-6; id-- {
				if m := c.msgs[id]; m != nil && m.photo && m.at.After(at) {
					return true
				}
			}
			return false
		})
		if shown >= 0 {
			u.note("confirm (first reply)", shown)
		}
		if err != nil {
			return err
		}
		return u.tap(ctx, "usage", labelled(usage), nil)
	}
}

// browsing is the journey of a user who browses screens until ctx is done:
// Buy, a country, a bundle's details, and Back three times.
func browsing(ctx context.Context, u *benchUser) error {
	if err := u.text(ctx, "start", "/start"); err != nil {
		return err
	}
	for ctx.Err() == nil {
		for _, pick := range []func([]benchButton) int{nth(0), nth(u.index % 10), nth(u.index % 3), nth(-1), nth(-1), nth(-1)} {
			if err := u.tap(ctx, "browse", pick, nil); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
	return nil
}

// bareJourney makes the same updates as buyJourney, each answered by one
// message of the bare bot.
func bareJourney(ctx context.Context, u *benchUser) error {
	for i, step := range []string{"start", "browse", "browse", "details", "choose", "email", "name", "skip", "confirm+delivery", "usage"} {
		if err := u.pace(ctx); err != nil {
			return err
		}
		var at time.Time
		if i == 0 || step == "email" {
			at = u.api.sendText(u.chat, "text")
		} else {
			u.api.mu.Lock()
			msg := u.api.chat(u.chat).nextMsg
			u.api.mu.Unlock()
			at, _ = u.api.press(u.chat, msg, "x")
		}
		u.last = at
		var took time.Duration = -1
		err := u.api.wait(ctx, u.chat, func(c *benchChat) bool {
			for id := c.nextMsg; id > 0 && id > c.nextMsg-3; id-- {
				if m := c.msgs[id]; m != nil && m.at.After(at) {
					took = c.last.Sub(at)
					return true
				}
			}
			return false
		})
		u.record(step, at, took)
		if err != nil {
			return err
		}
	}
	return nil
}

// runBare runs a bare go-telegram/bot bot on api until ctx is done: each
// update answered with one sendMessage, the library's defaults otherwise.
func runBare(ctx context.Context, api *benchAPI) error {
	b, err := tg.New(benchToken, tg.WithServerURL(api.url), tg.WithSkipGetMe(), tg.WithErrorsHandler(func(error) {}),
		tg.WithDefaultHandler(func(ctx context.Context, b *tg.Bot, upd *models.Update) {
			var chat int64
			switch {
			case upd.Message != nil:
				chat = upd.Message.Chat.ID
			case upd.CallbackQuery != nil && upd.CallbackQuery.Message.Message != nil:
				chat = upd.CallbackQuery.Message.Message.Chat.ID
			default:
				return
			}
			_, _ = b.SendMessage(ctx, &tg.SendMessageParams{ChatID: chat, Text: "ok"})
		}))
	if err != nil {
		return err
	}
	b.Start(ctx)
	return nil
}

// benchCapacity: users buy at once with pacing off, then the bare bot.
func (m *Main) benchCapacity(ctx context.Context, o benchOptions, rep *benchReport) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	fmt.Fprintf(m.Stderr, "bench capacity: %d users buying at once, pacing off, API %v a call…\n", o.chats, o.latency)
	b, err := m.startBenchBot(ctx, o, "capacity", o.latency, map[string]string{"ESIMBOT_SEND_RATE": "0", "ESIMBOT_CHAT_RATE": "0"}, nil)
	if err != nil {
		return err
	}
	usage := locales.MustNew().For("en").T("btn_usage")
	r := &benchResult{setting: "capacity", bot: "esimbot"}
	meter := startMeter()
	commits := b.store.Commits()
	benchLoad(ctx, b.api, r, o.chats, 0, buyJourney(usage))
	meter.stop(r)
	r.commits = b.store.Commits() - commits
	if err := b.stop(); err != nil {
		return err
	}
	r.dbBytes = fileSize(b.db)
	rep.add(r)

	fmt.Fprintf(m.Stderr, "bench capacity: the bare bot…\n")
	api, err := newBenchAPI(benchToken)
	if err != nil {
		return err
	}
	defer api.close()
	bctx, stopBare := context.WithCancel(ctx)
	bareDone := make(chan error, 1)
	go func() { bareDone <- runBare(bctx, api) }()
	if err := api.waitPolling(ctx, 30*time.Second); err != nil {
		stopBare()
		return err
	}
	bare := &benchResult{setting: "capacity", bot: "bare"}
	meter = startMeter()
	benchLoad(ctx, api, bare, o.chats, 0, bareJourney)
	meter.stop(bare)
	stopBare()
	if err := <-bareDone; err != nil {
		return err
	}
	rep.add(bare)
	return ctx.Err()
}

// benchShipped: users buy at human pace, as shipped.
func (m *Main) benchShipped(ctx context.Context, o benchOptions, rep *benchReport) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	fmt.Fprintf(m.Stderr, "bench shipped: %d users buying for %v, a tap every %v, API %v a call…\n", o.chats, o.shippedFor, o.think, o.latency)
	b, err := m.startBenchBot(ctx, o, "shipped", o.latency, nil, nil)
	if err != nil {
		return err
	}
	usage := locales.MustNew().For("en").T("btn_usage")
	r := &benchResult{setting: "shipped", bot: "esimbot"}
	meter := startMeter()
	commits := b.store.Commits()
	journey := buyJourney(usage)
	// A purchase is ten updates: starting within one purchase's length
	// puts the chats at every step at once.
	until := time.Now().Add(o.shippedFor)
	benchLoad(ctx, b.api, r, o.chats, 10*o.think, func(ctx context.Context, u *benchUser) error {
		u.think = o.think
		for {
			if err := journey(ctx, u); err != nil {
				return err
			}
			if time.Now().After(until) {
				return nil
			}
		}
	})
	meter.stop(r)
	r.commits = b.store.Commits() - commits
	if err := b.stop(); err != nil {
		return err
	}
	r.dbBytes = fileSize(b.db)
	rep.add(r)
	return ctx.Err()
}

// benchSlowAPI: users browse at human pace while the API is slow, past a
// catalog expiry.
func (m *Main) benchSlowAPI(ctx context.Context, o benchOptions, rep *benchReport) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	fmt.Fprintf(m.Stderr, "bench slow-api: %d users browsing for %v, a tap every %v, API %v a call, catalog entries live %v…\n",
		o.slowChats, o.slowFor, o.think, o.slowLatency, o.slowTTL)
	b, err := m.startBenchBot(ctx, o, "slow-api", o.slowLatency, nil, func(c *flows.Config) { c.CatalogTTL = o.slowTTL })
	if err != nil {
		return err
	}
	r := &benchResult{setting: "slow-api", bot: "esimbot"}
	meter := startMeter()
	commits := b.store.Commits()
	browse, stopBrowsing := context.WithTimeout(ctx, o.slowFor)
	defer stopBrowsing()
	benchLoad(browse, b.api, r, o.slowChats, o.think, func(ctx context.Context, u *benchUser) error {
		u.think = o.think
		return browsing(ctx, u)
	})
	meter.stop(r)
	r.commits = b.store.Commits() - commits
	if err := b.stop(); err != nil {
		return err
	}
	r.dbBytes = fileSize(b.db)
	rep.add(r)
	return ctx.Err()
}

// benchStartup builds (once) a file of many conversations and sales, then
// starts "esimbot run" on it in a child process with a /start waiting, and
// measures the time to its reply and the child's peak RSS.
func (m *Main) benchStartup(ctx context.Context, o benchOptions, rep *benchReport) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	path := filepath.Join(o.dir, fmt.Sprintf("startup-%d-%d.db", o.startConvs, o.startSales))
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(m.Stderr, "bench startup: building %s (%d conversations, %d sales)…\n", filepath.Base(path), o.startConvs, o.startSales)
		t0 := time.Now()
		if err := buildStartupFile(ctx, path, o.startConvs, o.startSales); err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "bench startup: built in %.1f s\n", time.Since(t0).Seconds())
	}
	size := fileSize(path)
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	api, err := newBenchAPI(benchToken)
	if err != nil {
		return err
	}
	defer api.close()
	const chat = 42
	api.sendText(chat, "/start")
	var stderr strings.Builder
	cmd := newChild(exe, []string{"run"}, []string{
		benchChildEnv + "=1", "TELEGRAM_BOT_TOKEN=" + benchToken, "TELEGRAM_API_URL=" + api.url, "ESIMBOT_DB=" + path,
		"ESIMBOT_LISTEN=127.0.0.1:0", "ESIMBOT_LOG_LEVEL=warn", "ESIMBOT_LOG_FORMAT=json", "HOME=" + os.Getenv("HOME"),
	}, &stderr)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	var took time.Duration
	werr := api.wait(ctx, chat, func(c *benchChat) bool {
		if screenAfter(c, t0) == nil {
			return false
		}
		took = c.last.Sub(t0)
		return true
	})
	// Let the start-up work that follows the first reply (the reconciler's
	// first pass, the sweep) run, then read the child's peak RSS (VmHWM).
	settle := time.NewTimer(2 * time.Second)
	select {
	case <-ctx.Done():
	case <-settle.C:
	}
	rss := procPeakRSS(strconv.Itoa(cmd.Process.Pid))
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if werr != nil {
		return fmt.Errorf("no reply from the child: %w\n%s", werr, stderr.String())
	}
	// Not the child's rusage: Linux starts a forked child's peak RSS at its
	// parent's, which has just built the file.
	rep.figure("startup.conversations", float64(o.startConvs), "conversations")
	rep.figure("startup.sales", float64(o.startSales), "sales")
	rep.figure("startup.first_reply", ms(took), "ms")
	rep.figure("startup.peak_rss", float64(rss)/(1<<20), "MB")
	rep.figure("startup.db_size", float64(size)/(1<<20), "MB")
	return nil
}

// buildStartupFile writes a file of convs conversations (and their users)
// and sales delivered sales over the past year, in large transactions.
func buildStartupFile(ctx context.Context, path string, convs, sales int) error {
	tmp := path + ".building"
	_ = os.Remove(tmp)
	st, err := storage.Open(tmp, storage.Options{})
	if err != nil {
		return err
	}
	now := time.Now()
	const chunk = 20_000
	customers := max(convs, 1)
	for lo := 0; lo < max(convs, sales); lo += chunk {
		if err := ctx.Err(); err != nil {
			st.Close()
			return err
		}
		var ss []flows.Sale
		var cs []flows.Conversation
		var us []flows.User
		for i := lo; i < lo+chunk; i++ {
			if i < sales {
				at := now.Add(-365 * 24 * time.Hour).Add(time.Duration(i) * (365 * 24 * time.Hour / time.Duration(max(sales, 1))))
				user := flows.UserID(i%customers + 1)
				s := flows.Sale{Ref: fmt.Sprintf("EB-%s%08X", strings.ToUpper(strconv.FormatInt(at.Unix(), 36)), uint32(i)*2654435761),
					Kind: flows.KindNew, Chat: flows.ChatID(user), User: user, SoldBy: flows.RoleCustomer, Lang: "en",
					BundleCode: "esim_10GB_30D_FR_V2", BundleName: "France · 10 GB · 30 days", Plan: "France 10 GB", ProfileType: "STANDARD", Days: 30,
					Price: decimal.RequireFromString("12.90"), Currency: "USD", Cost: decimal.RequireFromString("8.41"),
					Email: "traveller@example.com", Name: "Ada Lovelace", OrderID: strconv.Itoa(4_000_000 + i),
					ICCID: fmt.Sprintf("8933%015d", i), LPA: fmt.Sprintf("LPA:1$smdp.example.com$%032X", i),
					State: flows.SaleConfirmed, History: []flows.Transition{{State: flows.SaleConfirmed, At: at}}, Created: at,
					TextSent: true, PhotoSent: true}
				for j, state := range []flows.SaleState{flows.SaleAssigning, flows.SaleAssigned, flows.SaleDelivered} {
					_ = s.MoveTo(state, at.Add(time.Duration(j+1)*time.Second))
				}
				ss = append(ss, s)
			}
			if i < convs {
				at := now.Add(-time.Duration(i%(12*3600)) * time.Second) // active within 12 hours: none expires
				cs = append(cs, flows.Conversation{Chat: flows.ChatID(i + 1), User: flows.UserID(i + 1), Version: 3, Stamp: 7, Step: "menu", Updated: at})
				us = append(us, flows.User{ID: flows.UserID(i + 1), Lang: "en", Role: flows.RoleCustomer, Email: "traveller@example.com",
					Name: "Ada Lovelace", FirstSeen: at.Add(-30 * 24 * time.Hour), LastSeen: at})
			}
		}
		if err := st.Bulk(ctx, ss, cs, us); err != nil {
			st.Close()
			return err
		}
	}
	if err := st.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// fileSize returns the size of a file, 0 if it cannot be read.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// waitPolling waits for the first getUpdates.
func (a *benchAPI) waitPolling(ctx context.Context, within time.Duration) error {
	t := time.NewTimer(within)
	defer t.Stop()
	select {
	case <-a.polled:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errors.New("the bot never polled for updates")
	}
}

// newChild returns the command of a child process with exactly env, its
// standard error into stderr.
func newChild(exe string, args, env []string, stderr io.Writer) *exec.Cmd {
	cmd := exec.Command(exe, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	return cmd
}
