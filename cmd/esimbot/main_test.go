package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed at the next write, for waitFor
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

// waitFor waits until the buffer holds want, or ctx is done.
func (s *syncBuffer) waitFor(ctx context.Context, want string) error {
	for {
		s.mu.Lock()
		if strings.Contains(s.b.String(), want) {
			s.mu.Unlock()
			return nil
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %q: %w", want, ctx.Err())
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runMain starts the program with args and returns the address it listens
// on, its output, and a function that stops it and returns its exit code.
func runMain(t *testing.T, args ...string) (addr string, stdout *syncBuffer, stop func() int) {
	t.Helper()
	stdout = &syncBuffer{}
	stderr := &syncBuffer{}
	addrc := make(chan string, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr,
		OnListen: func(_, a string) { addrc <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, args) }()
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("exited with %d before listening:\n%s%s", code, stdout, stderr)
	case <-time.After(10 * time.Second):
		t.Fatal("not listening after 10 s")
	}
	var once sync.Once
	code := 0
	stop = func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
	t.Cleanup(func() { stop() })
	return addr, stdout, stop
}

func TestSandboxServesFrenchBundles(t *testing.T) {
	addr, stdout, stop := runMain(t, "sandbox", "-listen", "127.0.0.1:0")
	base := "http://" + addr + "/api/v1"
	if out := stdout.String(); !strings.Contains(out, base) || !strings.Contains(out, "username: demo") || !strings.Contains(out, "password: demo") {
		t.Errorf("start banner lacks the base URL or the credentials:\n%s", out)
	}
	resp, err := http.Post(base+"/Agent/login", "application/json", strings.NewReader(`{"username":"demo","password":"demo"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&login); err != nil || login.AccessToken == "" {
		t.Fatalf("login: %v %+v", err, login)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/Bundles?country_code=FRA", nil)
	req.Header.Set("Access-Token", login.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var list struct {
		Bundles []struct {
			Code        string `json:"bundle_code"`
			CountryName string `json:"country_name"`
			Category    string `json:"bundle_category"`
		} `json:"bundles"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	french := 0
	for _, b := range list.Bundles {
		if b.Category == "country" && b.CountryName == "France" {
			french++
		}
	}
	if french == 0 {
		t.Errorf("no French country bundle in %s", body)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d after interrupt", code)
	}
}

func TestSandboxFlagsAndFaults(t *testing.T) {
	addr, _, _ := runMain(t, "sandbox", "-listen", "127.0.0.1:0", "-username", "shop", "-password", "s3cret", "-fault-5xx-rate", "1")
	resp, err := http.Post("http://"+addr+"/api/v1/Agent/login", "application/json", strings.NewReader(`{"username":"shop","password":"s3cret"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 500 {
		t.Errorf("status %d with -fault-5xx-rate 1, want 5xx", resp.StatusCode)
	}
}

func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"Version", []string{"version"}, 0, "esimbot ", ""},
		{"Help", []string{"help"}, 0, "Commands:", ""},
		{"NoArgsRunsTheBot", nil, 2, "", "esimbot: configuration: TELEGRAM_BOT_TOKEN: required"},
		{"Unknown", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"BadFlag", []string{"sandbox", "-nope"}, 2, "", "flag provided but not defined"},
		{"StrayArg", []string{"sandbox", "extra"}, 2, "", `unexpected argument "extra"`},
		{"BadListShape", []string{"sandbox", "-list-shape", "cube"}, 1, "", "cube"},
		{"BadListen", []string{"sandbox", "-listen", "256.0.0.1:-1"}, 1, "", "listen"},
		{"HealthcheckBadPort", []string{"healthcheck", "-listen", "localhost:99999"}, 2, "", `esimbot: configuration: ESIMBOT_LISTEN: port "99999" is not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
			if code := m.Run(context.Background(), tc.args); code != tc.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tc.out) {
				t.Errorf("stdout %q lacks %q", &stdout, tc.out)
			}
			if !strings.Contains(stderr.String(), tc.err) {
				t.Errorf("stderr %q lacks %q", &stderr, tc.err)
			}
		})
	}
}

// runCmd runs the program with args and returns its output and exit code.
func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }}
	code = m.Run(context.Background(), args)
	return out.String(), errOut.String(), code
}

func TestHelpAndVersion(t *testing.T) {
	t.Run("Help", func(t *testing.T) {
		for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"help"}} {
			stdout, stderr, code := runCmd(t, nil, args...)
			if code != 0 || stderr != "" {
				t.Errorf("%q: exit code %d, stderr %q; want 0 and nothing", args, code, stderr)
			}
			if !strings.HasPrefix(stdout, "Usage: esimbot") || !strings.Contains(stdout, "Commands:") {
				t.Errorf("%q: stdout %q, want the usage", args, stdout)
			}
		}
	})
	t.Run("CommandsAligned", func(t *testing.T) {
		stdout, _, _ := runCmd(t, nil, "help")
		_, list, _ := strings.Cut(stdout, "Commands:\n")
		list, _, _ = strings.Cut(list, "\n\n")
		col, n := -1, 0
		for line := range strings.Lines(list) {
			name := strings.Fields(line)[0]
			at := strings.Index(line, name) + len(name)
			at += len(line[at:]) - len(strings.TrimLeft(line[at:], " "))
			if col == -1 {
				col = at
			}
			if at != col || line[at-2:at] != "  " {
				t.Errorf("description of %q at column %d, want %d after two spaces at least:\n%s", name, at, col, list)
			}
			n++
		}
		if n < 7 {
			t.Errorf("%d commands listed:\n%s", n, list)
		}
	})
	t.Run("Version", func(t *testing.T) {
		for _, args := range [][]string{{"version"}, {"-version"}, {"--version"}} {
			stdout, stderr, code := runCmd(t, nil, args...)
			if code != 0 || stderr != "" || stdout != "esimbot "+Version()+"\n" {
				t.Errorf("%q: exit code %d, stdout %q, stderr %q; want 0 and the version", args, code, stdout, stderr)
			}
		}
	})
	t.Run("CommandHelp", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"run", "-h"}, "Usage: esimbot run"},
			{[]string{"run", "--help"}, "Usage: esimbot run"},
			{[]string{"demo", "-h"}, "Usage: esimbot demo"},
			{[]string{"backup", "-h"}, "Usage: esimbot backup"},
			{[]string{"sandbox", "-h"}, "Usage: esimbot sandbox"},
			{[]string{"healthcheck", "-h"}, "Usage: esimbot healthcheck"},
		} {
			// The token is missing: help comes before the configuration.
			stdout, stderr, code := runCmd(t, nil, tc.args...)
			if code != 0 || stderr != "" {
				t.Errorf("%q: exit code %d, stderr %q; want 0 and nothing", tc.args, code, stderr)
			}
			if !strings.HasPrefix(stdout, tc.want) || !strings.Contains(stdout, "  -") {
				t.Errorf("%q: stdout %q, want %q and the flags", tc.args, stdout, tc.want)
			}
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			line string
		}{
			{[]string{"frobnicate"}, `esimbot: unknown command "frobnicate"`},
			{[]string{"-nope"}, "esimbot run: flag provided but not defined: -nope"},
			{[]string{"run", "-nope"}, "esimbot run: flag provided but not defined: -nope"},
			{[]string{"sandbox", "-listen"}, "esimbot sandbox: flag needs an argument: -listen"},
			{[]string{"backup", "-nope", "x.db"}, "esimbot backup: flag provided but not defined: -nope"},
		} {
			stdout, stderr, code := runCmd(t, nil, tc.args...)
			if code != 2 || stdout != "" {
				t.Errorf("%q: exit code %d, stdout %q; want 2 and nothing", tc.args, code, stdout)
			}
			first, rest, _ := strings.Cut(stderr, "\n")
			if first != tc.line || !strings.HasPrefix(rest, "Usage: esimbot") {
				t.Errorf("%q: stderr %q, want the line %q and the usage", tc.args, stderr, tc.line)
			}
		}
	})
}
