package main

import (
	"errors"
	"io"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// TestRunClosedSales: with payments off and open sales off, a customer's
// Confirm sells nothing and says how to buy; an agent's sale in the same
// configuration goes through, without an invoice.
func TestRunClosedSales(t *testing.T) {
	fake := telegramtest.NewServer(t, testToken)
	sb := sandbox.New(sandbox.Options{})
	r := startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), map[string]string{
		"ESIMBOT_PAYMENTS": "none", "ESIMBOT_OPEN_SALES": "false", "ESIMBOT_SUPPORT": "@my_shop", "ESIMBOT_AGENTS": "777",
	})
	if logs := r.stderr.String(); !strings.Contains(logs, `"msg":"selling policy","who_can_buy":"agents and admins only`) ||
		!strings.Contains(logs, `"payments":"none"`) {
		t.Errorf("no start-up line of the selling policy:\n%s", logs)
	}

	c := newChat(t, fake, 501, "Ada", "en")
	c.toSummarySharing("ada@example.com")
	c.tap("Confirm")
	c.expect("contact @my_shop")
	if n := len(sb.Orders()); n != 0 {
		t.Fatalf("%d orders after a customer's Confirm, want none", n)
	}

	a := newChat(t, fake, 777, "Sam", "en")
	a.say("/start")
	a.expect("Agent mode")
	a.tap("Buy an eSIM")
	a.expect("Where are you travelling")
	a.say("france")
	a.expect("heapest first")
	a.tap("1 GB")
	a.expect("Networks")
	a.tap("Choose this bundle")
	a.expect("customer's email")
	a.say("walkin@example.com")
	a.expect("customer's full name")
	a.say("Walk In")
	a.expect("WhatsApp number")
	a.tap("Skip")
	a.expect("customer's order")
	a.tap("Confirm")
	a.expect("customer's eSIM is ready")
	if n := len(sb.Orders()); n != 1 {
		t.Errorf("%d orders after the agent's sale, want 1", n)
	}
	for _, id := range []int64{501, 777} {
		for _, m := range fake.Messages(id) {
			if m.Invoice != nil {
				t.Errorf("chat %d got an invoice: %+v", id, m.Invoice)
			}
		}
	}
}

// TestRunSellingPolicyConfig: open sales default to on with the embedded
// sandbox and off with a real reseller API; bad values stop the program
// naming their variable.
func TestRunSellingPolicyConfig(t *testing.T) {
	load := func(env map[string]string) (config, error) {
		vars := map[string]string{"TELEGRAM_BOT_TOKEN": testToken}
		maps.Copy(vars, env)
		m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return vars[k] }}
		return m.loadConfig(m.newFlagSet("run", "run"), nil)
	}
	real := map[string]string{"RESELLER_API_URL": "https://reseller.example/api/v1", "RESELLER_USERNAME": "shop", "RESELLER_PASSWORD": "pw"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		open bool
	}{
		{"SandboxOpen", nil, true},
		{"SandboxClosed", map[string]string{"ESIMBOT_OPEN_SALES": "false"}, false},
		{"RealClosed", real, false},
		{"RealOpened", map[string]string{"ESIMBOT_OPEN_SALES": "true", "RESELLER_API_URL": real["RESELLER_API_URL"],
			"RESELLER_USERNAME": "shop", "RESELLER_PASSWORD": "pw"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.OpenSales != tc.open || c.Payments != flows.PaymentsNone {
				t.Errorf("open sales %v, payments %q; want %v, none", c.OpenSales, c.Payments, tc.open)
			}
		})
	}
	for _, tc := range []struct{ name, value string }{
		{"ESIMBOT_PAYMENTS", "paypal"}, {"ESIMBOT_OPEN_SALES", "yes"}, {"ESIMBOT_SUPPORT", strings.Repeat("x", 201)},
	} {
		t.Run("Err"+tc.name, func(t *testing.T) {
			_, err := load(map[string]string{tc.name: tc.value})
			var ce *configError
			if !errors.As(err, &ce) || ce.name != tc.name {
				t.Errorf("got %v, want an error naming %s", err, tc.name)
			}
		})
	}
}
