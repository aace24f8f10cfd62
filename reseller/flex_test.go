package reseller_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

func TestFlexString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"abc"`, "abc"}, {`123`, "123"}, {`12.5`, "12.5"}, {`null`, ""}, {`"0"`, "0"},
	} {
		var got reseller.FlexString
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", tc.in, err)
		}
		if got.String() != tc.want {
			t.Errorf("Unmarshal(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	var s reseller.FlexString
	for _, bad := range []string{`{}`, `[1]`, `"unterminated`} {
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("Unmarshal(%s): no error", bad)
		}
	}
}

func TestFlexInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{`30`, 30}, {`"30"`, 30}, {`" 7 "`, 7}, {`29.6`, 30}, {`null`, 0}, {`""`, 0}, {`-1`, -1}, {`"1e3"`, 1000},
	} {
		var got reseller.FlexInt
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", tc.in, err)
		}
		if int64(got) != tc.want {
			t.Errorf("Unmarshal(%s) = %d, want %d", tc.in, got, tc.want)
		}
	}
	var n reseller.FlexInt
	for _, bad := range []string{`"ten"`, `true`, `{}`, `"NaN"`, `"Inf"`} {
		if err := json.Unmarshal([]byte(bad), &n); err == nil {
			t.Errorf("Unmarshal(%s): no error", bad)
		}
	}
}

func TestFlexBool(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`true`, true}, {`false`, false}, {`"true"`, true}, {`"False"`, false}, {`1`, true}, {`0`, false},
		{`"1"`, true}, {`null`, false}, {`""`, false},
	} {
		var got reseller.FlexBool
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", tc.in, err)
		}
		if bool(got) != tc.want {
			t.Errorf("Unmarshal(%s) = %v, want %v", tc.in, got, tc.want)
		}
	}
	var b reseller.FlexBool
	if err := json.Unmarshal([]byte(`"maybe"`), &b); err == nil {
		t.Error(`Unmarshal("maybe"): no error`)
	}
}

func TestDataQuota(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   reseller.DataQuota
		String string
	}{
		{`5120`, reseller.DataQuota{MB: 5120}, "5 GB"},
		{`"5120"`, reseller.DataQuota{MB: 5120}, "5 GB"},
		{`"500"`, reseller.DataQuota{MB: 500}, "500 MB"},
		{`"5GB"`, reseller.DataQuota{MB: 5120}, "5 GB"},
		{`"1.5 GB"`, reseller.DataQuota{MB: 1536}, "1536 MB"},
		{`"500 MB"`, reseller.DataQuota{MB: 500}, "500 MB"},
		{`"1TB"`, reseller.DataQuota{MB: 1 << 20}, "1024 GB"},
		{`"unlimited"`, reseller.DataQuota{Unlimited: true}, "unlimited"},
		{`"Unlimited"`, reseller.DataQuota{Unlimited: true}, "unlimited"},
		{`-1`, reseller.DataQuota{Unlimited: true}, "unlimited"},
		{`"-1"`, reseller.DataQuota{Unlimited: true}, "unlimited"},
		{`null`, reseller.DataQuota{}, "0 MB"},
		{`""`, reseller.DataQuota{}, "0 MB"},
	} {
		var got reseller.DataQuota
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", tc.in, err)
		}
		if got != tc.want {
			t.Errorf("Unmarshal(%s) = %+v, want %+v", tc.in, got, tc.want)
		}
		if got.String() != tc.String {
			t.Errorf("Unmarshal(%s).String() = %q, want %q", tc.in, got.String(), tc.String)
		}
	}
	var q reseller.DataQuota
	for _, bad := range []string{`"lots"`, `true`, `"5XB"`} {
		if err := json.Unmarshal([]byte(bad), &q); err == nil {
			t.Errorf("Unmarshal(%s): no error", bad)
		}
	}
	for _, tc := range []struct {
		q    reseller.DataQuota
		want string
	}{{reseller.DataQuota{MB: 1024}, "1024"}, {reseller.DataQuota{Unlimited: true}, "-1"}} {
		b, err := json.Marshal(tc.q)
		if err != nil || string(b) != tc.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tc.q, b, err, tc.want)
		}
	}
}

func TestTime(t *testing.T) {
	want := time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
	for _, in := range []string{
		`"2026-11-26T10:30:00Z"`, `"2026-11-26T11:30:00+01:00"`, `"2026-11-26T10:30:00"`,
		`"2026-11-26 10:30:00"`, `"2026-11-26T10:30"`, `1795689000`, `"1795689000"`, `1795689000000`,
	} {
		var got reseller.Time
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", in, err)
		}
		if !got.Equal(want) {
			t.Errorf("Unmarshal(%s) = %v, want %v", in, got.Time, want)
		}
	}
	var d reseller.Time
	if err := json.Unmarshal([]byte(`"2026-11-26"`), &d); err != nil || !d.Equal(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date only: %v, %v", d.Time, err)
	}
	for _, empty := range []string{`null`, `""`} {
		if err := json.Unmarshal([]byte(empty), &d); err != nil || !d.IsZero() {
			t.Errorf("Unmarshal(%s) = %v, %v; want zero", empty, d.Time, err)
		}
	}
	for _, bad := range []string{`"yesterday"`, `true`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("Unmarshal(%s): no error", bad)
		}
	}
	if b, _ := json.Marshal(reseller.Time{Time: want}); string(b) != `"2026-11-26T10:30:00Z"` {
		t.Errorf("Marshal = %s", b)
	}
	if b, _ := json.Marshal(reseller.Time{}); string(b) != `null` {
		t.Errorf("Marshal(zero) = %s", b)
	}
}

func TestStringList(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`["4G","5G"]`, "4G/5G"}, {`"4G"`, "4G"}, {`"4G, 5G"`, "4G/5G"}, {`"4G/5G"`, "4G/5G"},
		{`null`, ""}, {`[]`, ""}, {`["FRA", 5, ""]`, "FRA/5"},
	} {
		var got reseller.StringList
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", tc.in, err)
		}
		if got.String() != tc.want {
			t.Errorf("Unmarshal(%s) = %q, want %q", tc.in, got.String(), tc.want)
		}
	}
	var l reseller.StringList
	for _, bad := range []string{`{}`, `[{}]`} {
		if err := json.Unmarshal([]byte(bad), &l); err == nil {
			t.Errorf("Unmarshal(%s): no error", bad)
		}
	}
}

func TestBundleDecodesEveryWireForm(t *testing.T) {
	in := `{"bundle_code":"FRA_5GB","bundle_marketing_name":"France 5 GB","country_code":"FRA",
	"validity":"30","data_quota":"5120","bundle_price_final":"4.10","subscriber_price":9.99,
	"reseller_retail_price":"7.5","support_topup":"true","supports_calls_sms":0,"profile_type":"global_esim",
	"unknown_field":{"nested":[1,2]}}`
	var b reseller.Bundle
	if err := json.Unmarshal([]byte(in), &b); err != nil {
		t.Fatal(err)
	}
	if b.Code != "FRA_5GB" || b.ValidityDays != 30 || b.Data.MB != 5120 || !bool(b.SupportsTopup) || bool(b.SupportsCallsSMS) {
		t.Errorf("decoded %+v", b)
	}
	if b.PriceFinal.String() != "4.1" || b.SubscriberPrice.String() != "9.99" || b.ResellerRetailPrice.String() != "7.5" {
		t.Errorf("prices %s %s %s", b.PriceFinal, b.SubscriberPrice, b.ResellerRetailPrice)
	}
	if b.Profile() != reseller.ProfileGlobalESIM {
		t.Errorf("Profile() = %s", b.Profile())
	}
	if (reseller.Bundle{}).Profile() != reseller.ProfileStandard {
		t.Error("empty profile_type is not STANDARD")
	}
	if b.IsUnlimited() {
		t.Error("IsUnlimited on 5 GB")
	}
	if !(reseller.Bundle{UnlimitedFlag: true}).IsUnlimited() || !(reseller.Bundle{Data: reseller.DataQuota{Unlimited: true}}).IsUnlimited() {
		t.Error("IsUnlimited misses a marker")
	}
	// Prices keep their decimal digits exactly: 0.1 + 0.2 == 0.3.
	var p struct{ A, B, C reseller.Bundle }
	_ = json.Unmarshal([]byte(`{"A":{"bundle_price_final":0.1},"B":{"bundle_price_final":"0.2"},"C":{"bundle_price_final":0.3}}`), &p)
	if !p.A.PriceFinal.Add(p.B.PriceFinal).Equal(p.C.PriceFinal) {
		t.Error("decimal prices lost precision")
	}
}
