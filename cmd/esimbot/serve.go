package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
	"github.com/esimbot/esimbot/storage"
)

// drainTime is how long in-flight updates (and sales) may run after a
// shutdown signal.
const drainTime = 30 * time.Second

// runUsageNotes end the usage of "run".
const runUsageNotes = `
Each flag has an environment variable, named in parentheses; a flag wins
over its variable. Secrets have no flag: they come only from the
environment or from files (TELEGRAM_BOT_TOKEN or TELEGRAM_BOT_TOKEN_FILE,
required; RESELLER_PASSWORD or RESELLER_PASSWORD_FILE; ESIMBOT_WEBHOOK_SECRET
or ESIMBOT_WEBHOOK_SECRET_FILE).
`

// runBot is the "run" command: the bot on Telegram until ctx is done.
func (m *Main) runBot(ctx context.Context, args []string) error {
	fs := m.newFlagSet("run", "run [flags]")
	flagsUsage := fs.Usage
	fs.Usage = func() {
		flagsUsage()
		fmt.Fprint(fs.Output(), runUsageNotes)
	}
	cfg, err := m.loadConfig(fs, args)
	if err != nil {
		return err
	}
	log := m.logger(cfg)
	defer tuneGC(m.Getenv, log)()
	met := newMetrics()

	store, err := storage.Open(cfg.DB, storage.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	if m.onStore != nil {
		m.onStore(store)
	}

	sandboxed := cfg.ResellerURL == ""
	if sandboxed {
		base, stop, err := m.startSandbox(ctx, store, log)
		if err != nil {
			return err
		}
		defer stop()
		cfg.ResellerURL, cfg.ResellerUser, cfg.ResellerPass = base, "demo", "demo"
		log.Warn("RESELLER_API_URL is not set: selling on the built-in SANDBOX – not real eSIMs", "sandbox", base)
	}
	p, err := m.wire(cfg, sandboxed, store, log, met)
	if err != nil {
		return err
	}
	stopAdmin, err := serveAdmin(store, log)
	if err != nil {
		return err
	}
	defer stopAdmin()
	srv, err := m.serveHTTP(cfg, p, store, met, log)
	if err != nil {
		return err
	}
	return p.run(ctx, srv, log)
}

// program is the bot wired for "run": the reseller client, the bot on
// Telegram and the engine, with how often the engine reconciles and how
// often the usage watcher runs a round.
type program struct {
	api        *reseller.Client
	bot        *bot.Bot
	eng        *flows.Engine
	every      time.Duration
	usageEvery time.Duration
}

// wire builds the reseller client, the bot and the engine from cfg, with
// the hooks of a test applied.
func (m *Main) wire(cfg config, sandboxed bool, store *storage.Store, log *slog.Logger, met *metrics) (program, error) {
	rc := reseller.Config{
		BaseURL: cfg.ResellerURL, Username: cfg.ResellerUser, Password: cfg.ResellerPass, Paths: cfg.ResellerPaths,
		Logger: log.With("component", "reseller"), Observe: met.resellerCall, HTTPClient: resellerClient(),
	}
	if m.tuneReseller != nil {
		m.tuneReseller(&rc)
	}
	api, err := reseller.New(rc)
	if err != nil {
		return program{}, err
	}
	cat, err := locales.New()
	if err != nil {
		return program{}, err
	}
	botCfg := bot.Config{
		Token: cfg.Token, ServerURL: cfg.TelegramURL, WebhookURL: cfg.WebhookURL, WebhookSecret: cfg.WebhookSecret,
		Payments: cfg.Payments == flows.PaymentsStars,
		Logger:   log.With("component", "bot"), Metrics: met, PollTimeout: m.pollTimeout,
		GlobalRate: botRate(cfg.SendRate), ChatRate: botRate(cfg.ChatRate), Workers: cfg.Workers,
		SupportChat: int64(cfg.SupportChat),
	}
	if m.tuneBot != nil {
		m.tuneBot(&botCfg)
	}
	b, err := bot.New(botCfg, store, store, cat)
	if err != nil {
		return program{}, err
	}
	fc, every := m.flowsConfig(cfg, sandboxed, b, log, met)
	eng, err := flows.New(fc, store, api, b.Messenger(), cat)
	if err != nil {
		return program{}, err
	}
	return program{api: api, bot: b, eng: eng, every: every, usageEvery: cmp.Or(m.usageEvery, time.Second)}, nil
}

// flowsConfig is the engine's configuration, and how often it reconciles.
func (m *Main) flowsConfig(cfg config, sandboxed bool, b *bot.Bot, log *slog.Logger, met *metrics) (flows.Config, time.Duration) {
	fc := flows.Config{
		Price: cfg.Price, Currency: cfg.Currency, OrderPrefix: cfg.OrderPrefix, Agents: cfg.Agents, Admins: cfg.Admins,
		Sandbox: sandboxed, Logger: log.With("component", "flows"), Observer: met, CatalogTTL: cfg.CatalogTTL,
		InviteTTL: cfg.InviteTTL, LowBalance: cfg.LowBalance, DeliveryAlert: cfg.DeliveryAlert, BotLink: func(payload string) string { return "https://t.me/" + b.Username() + "?start=" + payload },
		Payments: cfg.Payments, ClosedSales: !cfg.OpenSales, Support: cfg.Support,
		StarsPerUnit: cfg.StarsPerUnit, InvoiceTTL: cfg.InvoiceTTL, Refunder: b.Refunder(), Terms: cfg.Terms,
		UsageInterval: cfg.Usage.Interval, DataFloorMB: cfg.Usage.FloorMB, UsageRate: cfg.Usage.Rate,
		SupportChat: cfg.SupportChat, StaffLang: cfg.SupportLang,
	}
	every := cmp.Or(m.reconcileEvery, 30*time.Second)
	if speed, err := strconv.ParseFloat(testClock, 64); err == nil && speed > 0 {
		fc.Now, every = fastClock(speed), 250*time.Millisecond
		log.Warn("test build: the engine's clock runs fast", "speed", speed)
	}
	if m.tuneFlows != nil {
		m.tuneFlows(&fc)
	}
	return fc, every
}

// serveHTTP serves /healthz, /readyz, /metrics and the webhook on
// ESIMBOT_LISTEN, and logs that the bot started.
func (m *Main) serveHTTP(cfg config, p program, store *storage.Store, met *metrics, log *slog.Logger) (*http.Server, error) {
	ready := &readiness{store: store, api: p.api, bot: p.bot, every: cmp.Or(m.readyEvery, 5*time.Second)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.Handle("GET /readyz", ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(met.reg, promhttp.HandlerOpts{}))
	if cfg.WebhookURL != "" {
		u, _ := url.Parse(cfg.WebhookURL)
		path := u.Path
		if path == "" {
			path = "/"
		}
		mux.Handle("POST "+path, p.bot.WebhookHandler())
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, &configError{"ESIMBOT_LISTEN", err.Error()}
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	}()
	if m.OnListen != nil {
		m.OnListen("http", ln.Addr().String())
	}
	who, pay := cfg.policy()
	log.Info("selling policy", "who_can_buy", who, "payments", pay, "support", cfg.Support, "support_chat", int64(cfg.SupportChat))
	log.Info("esimbot started", "version", Version(), "db", cfg.DB, "listen", ln.Addr().String(),
		"mode", map[bool]string{true: "webhook", false: "polling"}[cfg.WebhookURL != ""])
	return srv, nil
}

// run runs the engine's reconciler and sweeper, and the bot, until ctx is
// done (or the bot cannot run), then stops srv.
func (p program) run(ctx context.Context, srv *http.Server, log *slog.Logger) error {
	var wg sync.WaitGroup
	engCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() { p.eng.Run(engCtx, p.every) })
	wg.Go(func() { p.eng.RunUsageWatch(engCtx, p.usageEvery) })
	wg.Go(func() { watchLogin(engCtx, p.api, log, 5*time.Second, 5*time.Minute) })
	runErr := p.bot.Run(ctx, p.eng, drainTime)
	stopEngine()
	wg.Wait()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	if runErr != nil && ctx.Err() == nil {
		// Logged here, before "stopped", so the log tells the whole story.
		log.Error("esimbot cannot run on Telegram", "err", runErr)
		log.Info("esimbot stopped")
		return errLogged
	}
	log.Info("esimbot stopped")
	return nil
}

// resellerClient is the reseller API's HTTP client: a 30 s timeout, and
// idle connections for the calls many chats make at once (Go's default
// keeps two, and opens a connection for most calls at load).
func resellerClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
	return &http.Client{Timeout: 30 * time.Second, Transport: t}
}

// fastClock returns a clock that starts now and runs speed times faster
// than the wall clock (see testClock).
func fastClock(speed float64) func() time.Time {
	start := time.Now()
	return func() time.Time { return start.Add(time.Duration(float64(time.Since(start)) * speed)) }
}

// logger builds the program's logger: text on a terminal, JSON otherwise,
// with the secrets removed from every record.
func (m *Main) logger(cfg config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler
	if cfg.LogFormat == "json" || (cfg.LogFormat == "auto" && !isTerminal(m.Stderr)) {
		h = slog.NewJSONHandler(m.Stderr, opts)
	} else {
		h = slog.NewTextHandler(m.Stderr, opts)
	}
	return slog.New(bot.RedactSecrets(h, cfg.Token, cfg.ResellerPass, cfg.WebhookSecret))
}

// startSandbox serves the reseller sandbox on a loopback port: the one a
// test gave, or one that keeps its state in store.
func (m *Main) startSandbox(ctx context.Context, store *storage.Store, log *slog.Logger) (base string, stop func(), err error) {
	sb := m.sandbox
	if sb == nil {
		if sb, err = embeddedSandbox(ctx, store, sandbox.Options{}, log); err != nil {
			return "", nil, err
		}
	}
	return serveSandbox(sb)
}

// serveSandbox serves sb on a loopback port; base is the URL of its API.
func serveSandbox(sb *sandbox.Server) (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + sb.Prefix(), func() { _ = srv.Close() }, nil
}

// watchLogin logs in to the reseller API at start. A failure (a wrong
// password, the API unreachable) is logged once, as an error; the bot runs
// on (every call tries to log in again, customers are told the service is
// unavailable, /readyz answers not ready) and watchLogin tries again, after
// first, doubling up to longest, until a login succeeds, which it logs too.
// The error names the call and the status, never a secret.
func watchLogin(ctx context.Context, api *reseller.Client, log *slog.Logger, first, longest time.Duration) {
	wait, failed := first, false
	for {
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := api.Session(lctx)
		cancel()
		switch {
		case err == nil:
			if failed {
				log.Info("reseller login succeeded")
			}
			return
		case ctx.Err() != nil:
			return
		case !failed:
			log.Error("reseller login failed", "err", err)
			failed = true
		default:
			log.Debug("reseller login failed again", "err", err, "next_in", wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, longest)
	}
}

// readiness answers /readyz: the database, the reseller login and
// Telegram's getMe, each checked at most every few seconds. The reseller
// check asks the client for a session, which logs in or refreshes when the
// token is missing, refused or about to expire: not ready means no token
// can be had now.
type readiness struct {
	store *storage.Store
	api   *reseller.Client
	bot   *bot.Bot
	every time.Duration // how long a result is kept

	mu      sync.Mutex
	checked time.Time
	problem string
}

func (r *readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) > r.every {
		ctx, cancel := context.WithTimeout(req.Context(), 10*time.Second)
		defer cancel()
		r.problem = ""
		if _, err := r.store.User(ctx, 0); err != nil && !errors.Is(err, flows.ErrNotFound) {
			r.problem = "database: " + err.Error()
		} else if _, err := r.api.Session(ctx); err != nil {
			r.problem = "reseller login: " + err.Error()
		} else if err := r.bot.Ping(ctx); err != nil {
			r.problem = "telegram: " + err.Error()
		}
		r.checked = time.Now()
	}
	if r.problem != "" {
		http.Error(w, r.problem, http.StatusServiceUnavailable)
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

// adminSocket is the unix socket of a running bot's admin endpoints (the
// hot backup), beside the database file: only the bot's user may open it,
// and no TCP proxy can forward to it.
func adminSocket(db string) string { return db + ".sock" }

// serveAdmin serves GET /backup, a consistent copy of the database taken in
// one read transaction while the bot runs, on the admin socket (mode 0600).
func serveAdmin(store *storage.Store, log *slog.Logger) (stop func(), err error) {
	path := adminSocket(store.Path())
	_ = os.Remove(path) // left by a bot that died: we hold the database, so it is ours
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+filepath.Base(store.Path())+`"`)
		if _, err := store.WriteBackup(w); err != nil {
			log.Error("backup over the admin socket", "err", err)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close(); _ = os.Remove(path) }, nil
}
