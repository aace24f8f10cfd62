package main

import (
	"bufio"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller"
)

// secretVars are the variables of the run configuration that only the
// environment (or a file) may give: they have no flag.
var secretVars = []string{
	"TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN_FILE", "RESELLER_PASSWORD", "RESELLER_PASSWORD_FILE",
	"ESIMBOT_WEBHOOK_SECRET", "ESIMBOT_WEBHOOK_SECRET_FILE",
}

var varRE = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b`)

// readmeVars returns the variables of the configuration table in the
// README's "Run it on Telegram" section ("`X` / `_FILE`" names X_FILE),
// and the flags its paragraph on flags lists.
func readmeVars(t *testing.T) (vars, flags []string) {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, table, para := false, false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## Run it on Telegram"
		case in && strings.HasPrefix(line, "| variable |"):
			table = true
		case in && strings.HasPrefix(line, "Every variable of the table"):
			para = true
			fallthrough
		case para && line != "":
			for _, m := range regexp.MustCompile("`-([a-z][a-z-]*)`").FindAllStringSubmatch(line, -1) {
				flags = append(flags, m[1])
			}
		case para:
			return vars, flags
		case table && !strings.HasPrefix(line, "|"):
			table = false
		case table && !strings.HasPrefix(line, "| ---"):
			cell := strings.Split(line, "|")[1]
			prev := ""
			for _, name := range regexp.MustCompile("`([A-Z_][A-Z0-9_]*)`").FindAllStringSubmatch(cell, -1) {
				v := name[1]
				if strings.HasPrefix(v, "_") {
					v = prev + v
				}
				vars, prev = append(vars, v), v
			}
		}
	}
	t.Fatal("no configuration table and paragraph on flags in the README's \"Run it on Telegram\"")
	return nil, nil
}

// runFlags returns the flags "esimbot run -h" lists, with their usage text.
func runFlags(t *testing.T) map[string]string {
	t.Helper()
	stdout, stderr, code := runCmd(t, nil, "run", "-h")
	if code != 0 {
		t.Fatalf("run -h: exit code %d: %s", code, stderr)
	}
	flags := map[string]string{}
	name := ""
	for line := range strings.Lines(stdout) {
		switch {
		case strings.HasPrefix(line, "  -"):
			name = strings.Fields(line)[0][1:]
			flags[name] = ""
		case strings.HasPrefix(line, "    \t") && name != "":
			flags[name] += strings.TrimSpace(line)
		default:
			name = ""
		}
	}
	return flags
}

// TestRunFlagsMatchREADME: every variable of the README's table that is not
// a secret has a flag of "run" naming it, and every variable a flag names
// is in the table.
func TestRunFlagsMatchREADME(t *testing.T) {
	vars, listed := readmeVars(t)
	flags := runFlags(t)
	if d := cmp.Diff(slices.Sorted(maps.Keys(flags)), slices.Sorted(slices.Values(listed))); d != "" {
		t.Errorf("flags of run -h (-) and of the README's paragraph (+):\n%s", d)
	}
	named := map[string]string{} // variable → flag
	for f, usage := range flags {
		for _, v := range varRE.FindAllString(usage, -1) {
			if prev, ok := named[v]; ok {
				t.Errorf("flags -%s and -%s both name %s", prev, f, v)
			}
			named[v] = f
			if slices.Contains(secretVars, v) {
				t.Errorf("flag -%s names the secret %s", f, v)
			}
			if !slices.Contains(vars, v) {
				t.Errorf("flag -%s names %s, which the README's table lacks", f, v)
			}
		}
		if len(varRE.FindAllString(usage, -1)) != 1 {
			t.Errorf("flag -%s names %q, want one variable", f, varRE.FindAllString(usage, -1))
		}
	}
	for _, v := range vars {
		if _, ok := named[v]; !ok && !slices.Contains(secretVars, v) {
			t.Errorf("the README's %s has no flag in run -h", v)
		}
	}
	for _, v := range secretVars {
		if !slices.Contains(vars, v) {
			t.Errorf("secret %s is not in the README's table", v)
		}
	}
}

// TestRunFlagsWin: each setting is read from its variable, and its flag
// wins.
func TestRunFlagsWin(t *testing.T) {
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_API_URL": "http://env.example", "RESELLER_API_URL": "http://env.example/api/v1",
		"RESELLER_USERNAME": "env-user", "RESELLER_PASSWORD": "pw", "RESELLER_PATHS": "legacy", "ESIMBOT_DB": "env.db",
		"ESIMBOT_LISTEN": "127.0.0.1:1", "ESIMBOT_WEBHOOK_URL": "https://env.example/hook", "ESIMBOT_WEBHOOK_SECRET": "0123456789abcdef",
		"ESIMBOT_AGENTS": "1,2", "ESIMBOT_ADMINS": "3", "ESIMBOT_PRICE": "subscriber_price", "ESIMBOT_CURRENCY": "EUR",
		"ESIMBOT_ORDER_PREFIX": "ENV", "ESIMBOT_LOG_LEVEL": "warn", "ESIMBOT_LOG_FORMAT": "json",
		"ESIMBOT_SEND_RATE": "20", "ESIMBOT_CHAT_RATE": "0.5", "ESIMBOT_WORKERS": "32",
		"ESIMBOT_INVITE_TTL": "2h", "ESIMBOT_LOW_BALANCE": "25.5", "ESIMBOT_DELIVERY_ALERT": "15m",
	}
	load := func(t *testing.T, args ...string) config {
		t.Helper()
		m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return env[k] }}
		c, err := m.loadConfig(m.newFlagSet("run", "run"), args)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	fromEnv := load(t)
	fromFlags := load(t, "-telegram-api-url", "http://flag.example", "-reseller-api-url", "http://flag.example/api/v1",
		"-reseller-username", "flag-user", "-reseller-paths", "default", "-db", "flag.db", "-listen", "127.0.0.1:2",
		"-webhook-url", "", "-agents", "4", "-admins", "", "-price", "reseller_retail_price", "-currency", "GBP",
		"-order-prefix", "FLAG", "-log-level", "debug", "-log-format", "text", "-send-rate", "0", "-chat-rate", "2", "-workers", "8",
		"-invite-ttl", "30m", "-low-balance", "0", "-delivery-alert", "5m")
	for _, tc := range []struct {
		name           string
		gotEnv, gotFlg any
		wantEnv, want  any
	}{
		{"TELEGRAM_API_URL", fromEnv.TelegramURL, fromFlags.TelegramURL, "http://env.example", "http://flag.example"},
		{"RESELLER_API_URL", fromEnv.ResellerURL, fromFlags.ResellerURL, "http://env.example/api/v1", "http://flag.example/api/v1"},
		{"RESELLER_USERNAME", fromEnv.ResellerUser, fromFlags.ResellerUser, "env-user", "flag-user"},
		{"RESELLER_PATHS", fromEnv.ResellerPaths, fromFlags.ResellerPaths, reseller.LegacyPaths(), reseller.DefaultPaths()},
		{"ESIMBOT_DB", fromEnv.DB, fromFlags.DB, "env.db", "flag.db"},
		{"ESIMBOT_LISTEN", fromEnv.Listen, fromFlags.Listen, "127.0.0.1:1", "127.0.0.1:2"},
		{"ESIMBOT_WEBHOOK_URL", fromEnv.WebhookURL, fromFlags.WebhookURL, "https://env.example/hook", ""},
		{"ESIMBOT_AGENTS", fromEnv.Agents, fromFlags.Agents, []flows.UserID{1, 2}, []flows.UserID{4}},
		{"ESIMBOT_ADMINS", fromEnv.Admins, fromFlags.Admins, []flows.UserID{3}, []flows.UserID(nil)},
		{"ESIMBOT_PRICE", fromEnv.Price, fromFlags.Price, flows.PriceSubscriber, flows.PriceRetail},
		{"ESIMBOT_CURRENCY", fromEnv.Currency, fromFlags.Currency, "EUR", "GBP"},
		{"ESIMBOT_ORDER_PREFIX", fromEnv.OrderPrefix, fromFlags.OrderPrefix, "ENV", "FLAG"},
		{"ESIMBOT_LOG_LEVEL", fromEnv.LogLevel.String(), fromFlags.LogLevel.String(), "WARN", "DEBUG"},
		{"ESIMBOT_LOG_FORMAT", fromEnv.LogFormat, fromFlags.LogFormat, "json", "text"},
		{"ESIMBOT_SEND_RATE", fromEnv.SendRate, fromFlags.SendRate, 20.0, 0.0},
		{"ESIMBOT_CHAT_RATE", fromEnv.ChatRate, fromFlags.ChatRate, 0.5, 2.0},
		{"ESIMBOT_WORKERS", fromEnv.Workers, fromFlags.Workers, 32, 8},
		{"ESIMBOT_INVITE_TTL", fromEnv.InviteTTL, fromFlags.InviteTTL, 2 * time.Hour, 30 * time.Minute},
		{"ESIMBOT_LOW_BALANCE", fromEnv.LowBalance.String(), fromFlags.LowBalance.String(), "25.5", "0"},
		{"ESIMBOT_DELIVERY_ALERT", fromEnv.DeliveryAlert, fromFlags.DeliveryAlert, 15 * time.Minute, 5 * time.Minute},
	} {
		if d := cmp.Diff(tc.wantEnv, tc.gotEnv); d != "" {
			t.Errorf("%s from the environment (-want +got):\n%s", tc.name, d)
		}
		if d := cmp.Diff(tc.want, tc.gotFlg); d != "" {
			t.Errorf("%s from its flag (-want +got):\n%s", tc.name, d)
		}
	}
}

func TestCatalogTTL(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Duration
		err  bool
	}{{"", 10 * time.Minute, false}, {"90s", 90 * time.Second, false}, {"10", 0, true}, {"0s", 0, true}, {"48h", 0, true}} {
		m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string {
			return map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "ESIMBOT_CATALOG_TTL": tc.v}[k]
		}}
		c, err := m.loadConfig(m.newFlagSet("run", "run"), nil)
		if (err != nil) != tc.err || (!tc.err && c.CatalogTTL != tc.want) {
			t.Errorf("ESIMBOT_CATALOG_TTL=%q: %v, %v", tc.v, c.CatalogTTL, err)
		}
	}
}
