package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// control changes a bundle of the sandbox through its run-time control
// (POST /_sandbox/bundles/{code}), as an operator would with curl.
func control(t *testing.T, base, code string, form url.Values) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+sandbox.ControlPrefix+"bundles/"+code, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("demo", "demo")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("control of %s %v: %s", code, form, resp.Status)
	}
}

// toTopupInvoice plays a top-up of the customer's first eSIM up to its
// invoice.
func (c *tgChat) toTopupInvoice(bundle string) telegramtest.Message {
	c.t.Helper()
	c.say("/esims")
	c.expect("My eSIMs")
	c.tap("eSIM 1")
	c.expect("• France")
	c.tap("Top up")
	c.expect("choose a bundle")
	c.tap(bundle)
	c.expect("Top-up")
	msgs := c.fake.Messages(c.id)
	last := msgs[len(msgs)-1].ID
	c.tap("Confirm")
	return c.invoiceAfter(last)
}

// TestRunStarsTopupPriceChecked: the pre-checkout of a top-up checks its
// amount against the top-up catalog of its eSIM (read again once stale),
// as that of a new eSIM is checked against the catalog: a price changed
// or a bundle withdrawn between the invoice and the payment (through the
// sandbox's control) is declined with a reason, and nothing is sold.
func TestRunStarsTopupPriceChecked(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change url.Values
	}{
		{"PriceChanged", url.Values{"price": {"9.99"}}},
		{"Withdrawn", url.Values{"withdraw": {"true"}}},
		{"Unchanged", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := telegramtest.NewServer(t, testToken)
			sb := sandbox.New(sandbox.Options{Control: true})
			srv := httptest.NewServer(sb)
			t.Cleanup(srv.Close)
			clk := &starsClock{}
			startRun(t, fake, sb, filepath.Join(t.TempDir(), "bot.db"), starsEnv, withFlows(func(c *flows.Config) { c.Now = clk.Now }))
			c := newChat(t, fake, 501, "Ada", "en")
			if a := c.pay(c.toInvoice()); !a.OK {
				t.Fatalf("pre-checkout of the eSIM declined: %q", a.ErrorMessage)
			}
			c.expect("QR code of your eSIM")
			inv := c.toTopupInvoice("3 GB")
			if tc.change != nil {
				control(t, srv.URL, "FRA_3GB_15D", tc.change)
			}
			clk.Add(11 * time.Minute) // the top-up catalog is stale: it is read again
			a := c.pay(inv)
			if tc.change == nil {
				if !a.OK {
					t.Fatalf("pre-checkout of an unchanged top-up declined: %q", a.ErrorMessage)
				}
				c.expect("Top-up added")
				return
			}
			if a.OK || !strings.Contains(a.ErrorMessage, "price or availability") {
				t.Fatalf("pre-checkout after the change: %+v", a)
			}
			if n := len(sb.Orders()); n != 1 {
				t.Errorf("%d orders, want the eSIM's only", n)
			}
		})
	}
}
