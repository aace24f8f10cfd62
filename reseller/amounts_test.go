package reseller_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/esimbot/esimbot/reseller"
)

// TestAmountsBeyondReason: an answer with an amount no shop has (found by
// FuzzFlexFields: 17e25600000 decodes at once, but printing it takes
// seconds and megabytes) does not reach the bot: a bundle priced so is left
// out of its list, the others kept; a balance or a charge so reads zero.
func TestAmountsBeyondReason(t *testing.T) {
	client := func(body string) *reseller.Client {
		c, err := reseller.New(reseller.Config{BaseURL: "http://reseller.invalid/api/v1", Username: "u", Password: "p",
			HTTPClient: &http.Client{Transport: scriptedAnswer{status: 200, body: []byte(body)}}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	p, err := client(`{"bundles":[{"bundle_code":"A","bundle_price_final":"17e25600000"},`+
		`{"bundle_code":"B","bundle_price_final":5.5,"subscriber_price":1e-40},`+
		`{"bundle_code":"C","bundle_price_final":"12.50","reseller_retail_price":0E-8}]}`).Bundles(ctx, reseller.BundleQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].Code != "C" || p.Items[0].PriceFinal.String() != "12.5" {
		t.Errorf("bundles %+v, want only C at 12.50", p.Items)
	}

	o, err := client(`{"orders":[{"order_reference":"R","amount_charged":9e999999}]}`).Orders(ctx, reseller.OrderQuery{Reference: "R"})
	if err != nil || len(o.Items) != 1 || !o.Items[0].AmountCharged.IsZero() {
		t.Errorf("orders %+v, %v; want R charged zero", o.Items, err)
	}
	r, err := client(`{"order_id":"1","iccid":"8988","remaining_wallet_balance":"-1e99999","remaining_wallet_balance_in_additional_currency":"42.10"}`).
		AssignBundle(ctx, reseller.AssignRequest{BundleCode: "C", Email: "a@example.com", Name: "A", OrderReference: "R"}, reseller.AssignOptions{})
	if err != nil || !r.RemainingBalance.IsZero() || r.RemainingBalanceAdditional.String() != "42.1" {
		t.Errorf("assign %+v, %v; want balance zero and 42.10 kept", r, err)
	}
}
