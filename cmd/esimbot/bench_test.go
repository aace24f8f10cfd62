package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain runs the program itself when a benchmark starts this test
// binary as its "esimbot run" child.
func TestMain(m *testing.M) {
	if os.Getenv(benchChildEnv) != "" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestBench runs every setting of "esimbot bench" on a tiny load and
// checks that each reports its figures, for the bot and the bare bot.
func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	var out, errs bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errs, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := m.Run(ctx, []string{"bench", "-chats", "3", "-think", "10ms", "-shipped-for", "50ms", "-api-latency", "1ms",
		"-slow-chats", "2", "-slow-latency", "5ms", "-slow-for", "300ms", "-slow-ttl", "100ms",
		"-startup-conversations", "20", "-startup-sales", "50", "-dir", t.TempDir()})
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errs.String())
	}
	got := out.String()
	for _, want := range []string{
		"BENCH capacity.esimbot.updates_per_s=", "BENCH capacity.bare.updates_per_s=", "BENCH capacity.ratio.updates_per_s=",
		"BENCH capacity.esimbot.confirm+delivery.p99=", "BENCH capacity.esimbot.commits_per_update=",
		"BENCH shipped.esimbot.usage.p50=", "BENCH slow-api.esimbot.browse.p99=",
		"BENCH startup.first_reply=", "BENCH startup.peak_rss=",
		"BENCH capacity.esimbot.failed_users=0 ", "BENCH shipped.esimbot.failed_users=0 ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in the report:\n%s", want, got)
		}
	}
	if t.Failed() {
		io.WriteString(os.Stderr, errs.String())
	}
}
