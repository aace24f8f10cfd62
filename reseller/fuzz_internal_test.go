package reseller

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// decodeTwice decodes body as a list of T, then the list it gives once
// encoded, and checks that the second reading is what encoding the first
// gives: decoding is tolerant, and what it keeps is stable.
func decodeTwice[T any](t *testing.T, body []byte, key string) {
	t.Helper()
	p, err := decodeList[T](body, key)
	if err != nil {
		return
	}
	once, err := json.Marshal(p.Items)
	if err != nil {
		t.Fatalf("encode %T list read from %q: %v", p.Items, body, err)
	}
	p2, err := decodeList[T](once, key)
	if err != nil {
		t.Fatalf("the encoding of a list read from %q cannot be read: %v\n%s", body, err, once)
	}
	twice, err := json.Marshal(p2.Items)
	if err != nil {
		t.Fatal(err)
	}
	p3, err := decodeList[T](twice, key)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p2.Items, p3.Items, cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); diff != "" {
		t.Fatalf("a second reading differs (-first +second):\n%s", diff)
	}
}

// FuzzDecodeList reads any body as every list the client reads (bundles,
// orders, countries, regions, networks) and as the objects it reads
// (consumption, a purchase's answer, a login's answer, an error): no
// panic, and what is read encodes to JSON that reads back the same.
func FuzzDecodeList(f *testing.F) {
	for _, seed := range []string{
		`{"bundles":[{"bundle_code":"A","data_quota":"5GB","validity":"30","unlimited":"1","bundle_price_final":"1.10","reseller_retail_price":2.5,"country_code":"FRA/DEU","support_topup":1}],"total_bundles_count":"1"}`,
		`[{"bundle_code":"B","data_quota":-1,"validity":29.6,"subscriber_price":"0.30"}]`,
		`{"data":{"items":[{"order_id":123,"iccid":"8988","created_at":"2026-01-02 03:04:05","expiry_date":1767225600,"amount_charged":"12.50","global_esim":"true","status":"pending","activation_code":null}]},"total":3}`,
		`{"orders":[{"order_reference":"EB-1","created_at":"2026-01-02T03:04:05+02:00","expiry_date":"2026-02-01","profile_expiry_date":1767225600000}]}`,
		`{"countries":[{"country_code":"FRA","iso2_code":"FR","country_name":"France"}],"count":1}`,
		`{"regions":null}`, `null`, ``, `{"total_count":0}`, `{"x":[1],"y":[2]}`,
		`{"networks":[{"network_name":"Orange","network_speed":"4G/5G"},{"network_speed":["3G",4]}]}`,
		`{"iccid":"8988","orders_balances":[{"remaining_data":"-1","total_data":1024.4,"remaining_calls":null,"expiry_date":"2026-02-01T00:00"}]}`,
		`{"access_token":"t","refresh_token":"r","expires_in":"1767225600","reseller_id":42,"show_global_esim_bundles":"0"}`,
		`{"order_id":"66f","iccid":8988,"response_code":1,"remaining_wallet_balance":"987.65"}`,
		`{"title":"Bad","message":"Insufficient balance","developer_message":"x","detail":"y","error":"z","response_code":"0"}`,
	} {
		f.Add([]byte(seed), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		switch which % 8 {
		case 0:
			decodeTwice[Bundle](t, body, "bundles")
		case 1:
			decodeTwice[Order](t, body, "orders")
		case 2:
			decodeTwice[Country](t, body, "countries")
		case 3:
			decodeTwice[Region](t, body, "regions")
		case 4:
			decodeTwice[Network](t, body, "networks")
		case 5:
			var c Consumption
			_ = json.Unmarshal(unwrapObject(body, "iccid", "data", "result", "profile"), &c)
		case 6:
			var r AssignResult
			_ = json.Unmarshal(body, &r)
			var e apiErrorBody
			_ = json.Unmarshal(body, &e)
		case 7:
			var lr loginResponse
			if json.Unmarshal(body, &lr) == nil {
				now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				exp := expiry(now, lr.ExpiresIn, time.Hour)
				if exp.IsZero() {
					t.Fatalf("expires_in %v gives no expiry", lr.ExpiresIn)
				}
				_ = refreshMargin(exp.Sub(now), 30*time.Second)
			}
		}
	})
}

// FuzzFlexFields decodes one JSON value as each flexible field: no panic;
// a number that reads is within range and reads back the same once
// encoded; a quota is megabytes (zero or more) or unlimited.
func FuzzFlexFields(f *testing.F) {
	for _, seed := range []string{`30`, `"30"`, `" 7 "`, `29.6`, `null`, `""`, `-1`, `"1e3"`, `"5GB"`, `"500 MB"`, `"unlimited"`,
		`"1.5T"`, `true`, `"yes"`, `"2026-01-02 03:04:05"`, `"2026-01-02T03:04:05.5Z"`, `1767225600`, `1767225600000`, `"1767225600"`,
		`"4G/5G"`, `["4G",5]`, `9.3e18`, `"1e400"`, `"-9223372036854775808"`, `17e25600000`, `0E-8`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var n FlexInt
		if json.Unmarshal(b, &n) == nil {
			if v, ok, _ := parseFlexNumber(b); ok && math.Abs(math.Round(v)-float64(n)) > math.Abs(v)*1e-9+1 {
				t.Fatalf("%s read as %d", b, n)
			}
			var back FlexInt
			enc, _ := json.Marshal(int64(n))
			if err := json.Unmarshal(enc, &back); err != nil || back != n {
				t.Fatalf("%d encoded %s reads %d, %v", n, enc, back, err)
			}
		}
		var s FlexString
		if json.Unmarshal(b, &s) == nil {
			var back FlexString
			enc, _ := json.Marshal(string(s))
			if err := json.Unmarshal(enc, &back); err != nil || back != s {
				t.Fatalf("%q reads back as %q, %v", s, back, err)
			}
		}
		var fb FlexBool
		_ = json.Unmarshal(b, &fb)
		var q DataQuota
		if json.Unmarshal(b, &q) == nil {
			if q.MB < 0 || q.Unlimited && q.MB != 0 {
				t.Fatalf("%s read as %+v", b, q)
			}
			enc, err := q.MarshalJSON()
			var back DataQuota
			if err != nil || json.Unmarshal(enc, &back) != nil || back != q {
				t.Fatalf("%+v encoded %s reads %+v", q, enc, back)
			}
			_ = q.String()
		}
		var tm Time
		if json.Unmarshal(b, &tm) == nil {
			enc, err := json.Marshal(tm)
			if err != nil {
				t.Fatalf("%s read as %v does not encode: %v", b, tm.Time, err)
			}
			var back Time
			if err := json.Unmarshal(enc, &back); err != nil || !back.Equal(tm.Truncate(time.Second)) {
				t.Fatalf("%s read as %v, encoded %s, reads %v, %v", b, tm.Time, enc, back.Time, err)
			}
		}
		var l StringList
		if json.Unmarshal(b, &l) == nil {
			for _, s := range l {
				if s == "" {
					t.Fatalf("%s gives an empty entry: %q", b, l)
				}
			}
		}
		// An amount is printed only once the client found it sane
		// (17e25600000 decodes at once but takes seconds to print).
		var d decimal.Decimal
		if json.Unmarshal(b, &d) == nil && saneAmount(d) {
			_ = strconv.Quote(d.String())
			if d.Abs().GreaterThan(maxAmount) {
				t.Fatalf("%s is sane at %s", b, d)
			}
		}
	})
}
