package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/storage"
)

// benchCapacity: users buy at once with pacing off, then the bare bot.
func (m *Main) benchCapacity(ctx context.Context, o benchOptions, rep *benchReport) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	fmt.Fprintf(m.Stderr, "bench capacity: %d users buying at once, pacing off, API %v a call…\n", o.chats, o.latency)
	// The CPU profile's samples carry bot=esimbot or bot=bare (goroutines
	// inherit the labels), so that -tagfocus can tell the two runs apart.
	ctx = pprof.WithLabels(ctx, pprof.Labels("bot", "esimbot"))
	pprof.SetGoroutineLabels(ctx)
	defer pprof.SetGoroutineLabels(context.Background())
	b, err := m.startBenchBot(ctx, o, "capacity", o.latency, map[string]string{"ESIMBOT_SEND_RATE": "0", "ESIMBOT_CHAT_RATE": "0"}, nil)
	if err != nil {
		return err
	}
	usage := locales.MustNew().For("en").T("btn_usage")
	r := &benchResult{setting: "capacity", bot: "esimbot"}
	if err := measure(b, r, rep, func() { benchLoad(ctx, b.api, r, o.chats, 0, buyJourney(usage)) }); err != nil {
		return err
	}

	fmt.Fprintf(m.Stderr, "bench capacity: the bare bot…\n")
	ctx = pprof.WithLabels(ctx, pprof.Labels("bot", "bare"))
	pprof.SetGoroutineLabels(ctx)
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
	meter := startMeter()
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
	journey := buyJourney(usage)
	// A purchase is ten updates: starting within one purchase's length
	// puts the chats at every step at once.
	until := time.Now().Add(o.shippedFor)
	err = measure(b, r, rep, func() {
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
	})
	if err != nil {
		return err
	}
	return ctx.Err()
}

// measure runs load on the bench bot b, fills r with its figures (CPU,
// allocations, commits, database size), stops b and adds r to rep.
func measure(b *benchBot, r *benchResult, rep *benchReport, load func()) error {
	meter := startMeter()
	commits := b.store.Commits()
	load()
	meter.stop(r)
	r.commits = b.store.Commits() - commits
	if err := b.stop(); err != nil {
		return err
	}
	r.dbBytes = fileSize(b.db)
	rep.add(r)
	return nil
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
	browse, stopBrowsing := context.WithTimeout(ctx, o.slowFor)
	defer stopBrowsing()
	err = measure(b, r, rep, func() {
		benchLoad(browse, b.api, r, o.slowChats, o.think, func(ctx context.Context, u *benchUser) error {
			u.think = o.think
			return browsing(ctx, u)
		})
	})
	if err != nil {
		return err
	}
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
