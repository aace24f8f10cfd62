package sandbox_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/reseller/sandbox"
)

// controlled is the bundle the control tests change.
const controlled = "FRA_5GB_30D"

// prices returns a bundle's three prices as strings with two decimals.
func prices(t testing.TB, srv *sandbox.Server, code string) [3]string {
	t.Helper()
	b := catalogBundle(t, srv, func(b sandbox.Bundle) bool { return b.Code == code })
	return [3]string{b.PriceFinal.StringFixed(2), b.RetailPrice.StringFixed(2), b.SubscriberPrice.StringFixed(2)}
}

// listed returns the bundle as GET /Bundles lists it, and whether it is
// listed.
func (e *env) listed(code string) (map[string]any, bool) {
	e.t.Helper()
	var page struct {
		Bundles []map[string]any `json:"bundles"`
	}
	e.get("/Bundles", url.Values{"country_code": {"FRA"}, "page_size": {"500"}}).want(e.t, http.StatusOK).decode(e.t, &page)
	for _, b := range page.Bundles {
		if b["bundle_code"] == code {
			return b, true
		}
	}
	return nil, false
}

func TestSetRetailPrice(t *testing.T) {
	d := decimal.RequireFromString
	for _, tc := range []struct {
		name   string
		code   string
		retail string
		want   [3]string // final, retail, subscriber; zero for an error
		err    error     // wanted with errors.Is, or any error when want is zero
	}{
		{"OKDouble", controlled, "double", [3]string{}, nil},
		{"OKLowest", controlled, "0.01", [3]string{"0.00", "0.01", "0.01"}, nil},
		{"ErrZero", controlled, "0", [3]string{}, nil},
		{"ErrNegative", controlled, "-3", [3]string{}, nil},
		{"ErrThreeDecimals", controlled, "9.999", [3]string{}, nil},
		{"ErrBundleNotFound", "NOPE", "9.99", [3]string{}, sandbox.ErrBundleNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			old := prices(t, e.srv, controlled)
			retail, want := tc.retail, tc.want
			if retail == "double" {
				retail = d(old[1]).Mul(decimal.NewFromInt(2)).StringFixed(2)
				for i := range want {
					want[i] = d(old[i]).Mul(decimal.NewFromInt(2)).StringFixed(2)
				}
			}
			err := e.srv.SetRetailPrice(tc.code, d(retail))
			if want == ([3]string{}) {
				if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) {
					t.Fatalf("got %v, want an error (%v)", err, tc.err)
				}
				if got := prices(t, e.srv, controlled); got != old {
					t.Errorf("prices %v after a refusal, want %v", got, old)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := prices(t, e.srv, controlled); got != want {
				t.Errorf("prices %v, want %v", got, want)
			}
			// The listing shows the new prices, and a sale is charged the
			// new final price.
			b, ok := e.listed(controlled)
			if !ok {
				t.Fatalf("%s not listed", controlled)
			}
			for i, k := range []string{"bundle_price_final", "reseller_retail_price", "subscriber_price"} {
				if got := decimal.NewFromFloat(b[k].(float64)); !got.Equal(d(want[i])) {
					t.Errorf("listed %s %s, want %s", k, got, want[i])
				}
			}
			before := e.srv.Wallet()
			e.buy(controlled, "RETAIL-1")
			if got, wantW := e.srv.Wallet(), before.Sub(d(want[0])); !got.Equal(wantW) {
				t.Errorf("wallet %s after the sale, want %s", got, wantW)
			}
			if o, _ := e.srv.OrderByReference("RETAIL-1"); !o.Amount.Equal(d(want[0])) {
				t.Errorf("amount charged %s, want %s", o.Amount, want[0])
			}
		})
	}
}

// controlResp is a control answer.
type controlResp struct {
	status int
	header http.Header
	body   map[string]any
}

// control sends a request to the control endpoint path with form values;
// user "" sends no credentials.
func (e *env) control(method, path, user, pass string, form url.Values) controlResp {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	data, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(data, &m); err != nil {
		e.t.Fatalf("%s %s: %d %q: %v", method, path, res.StatusCode, data, err)
	}
	return controlResp{res.StatusCode, res.Header, m}
}

func TestControl(t *testing.T) {
	bundlePath := sandbox.ControlPrefix + "bundles/" + controlled
	for _, tc := range []struct {
		name      string
		method    string
		path      string // default bundlePath
		user      string // default the sandbox's credentials; "-" none
		pass      string
		form      url.Values
		status    int
		message   string // of an error
		retail    string // of the answer, for a 200; "" unchanged
		available bool   // of the answer, for a 200
	}{
		{name: "OKGet", method: "GET", status: 200, available: true},
		{name: "OKPrice", method: "POST", form: url.Values{"price": {"12.34"}}, status: 200, retail: "12.34", available: true},
		{name: "OKPriceInQuery", method: "POST", path: bundlePath + "?price=7.5", status: 200, retail: "7.50", available: true},
		{name: "OKWithdraw", method: "POST", form: url.Values{"withdraw": {"true"}}, status: 200},
		{name: "OKWithdrawAndPrice", method: "POST", form: url.Values{"withdraw": {"1"}, "price": {"3"}}, status: 200, retail: "3.00"},
		{name: "OKBringBack", method: "POST", form: url.Values{"withdraw": {"false"}}, status: 200, available: true},
		{name: "ErrNoCredentials", method: "GET", user: "-", status: 401, message: "The control needs the sandbox's username and password (basic auth)"},
		{name: "ErrWrongPassword", method: "POST", user: "demo", pass: "nope", form: url.Values{"withdraw": {"true"}}, status: 401, message: "The control needs the sandbox's username and password (basic auth)"},
		{name: "ErrBadPrice", method: "POST", form: url.Values{"price": {"cheap"}}, status: 400, message: `price "cheap": want a positive amount with at most two decimals`},
		{name: "ErrZeroPrice", method: "POST", form: url.Values{"price": {"0"}}, status: 400, message: `price "0": want a positive amount with at most two decimals`},
		{name: "ErrBadPriceWithWithdraw", method: "POST", form: url.Values{"price": {"1.001"}, "withdraw": {"true"}}, status: 400, message: `price "1.001": want a positive amount with at most two decimals`},
		{name: "ErrBadWithdraw", method: "POST", form: url.Values{"withdraw": {"maybe"}}, status: 400, message: `withdraw "maybe": want true or false`},
		{name: "ErrUnknownParameter", method: "POST", form: url.Values{"prize": {"1"}}, status: 400, message: `unknown parameter "prize": want price or withdraw`},
		{name: "ErrNothing", method: "POST", form: url.Values{}, status: 400, message: "nothing to change: give price=AMOUNT or withdraw=true|false"},
		{name: "ErrBundleNotFound", method: "POST", path: sandbox.ControlPrefix + "bundles/NOPE", form: url.Values{"price": {"1"}}, status: 404, message: "Bundle not found"},
		{name: "ErrGetBundleNotFound", method: "GET", path: sandbox.ControlPrefix + "bundles/NOPE", status: 404, message: "Bundle not found"},
		{name: "ErrNoCode", method: "GET", path: sandbox.ControlPrefix + "bundles/", status: 404, message: "Resource not found"},
		{name: "ErrOtherResource", method: "GET", path: sandbox.ControlPrefix + "wallet", status: 404, message: "Resource not found"},
		{name: "ErrMethod", method: "DELETE", status: 405, message: "Method not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{Control: true})
			before := catalogBundle(t, e.srv, func(b sandbox.Bundle) bool { return b.Code == controlled })
			path, user, pass := tc.path, tc.user, tc.pass
			if path == "" {
				path = bundlePath
			}
			if user == "" {
				user, pass = e.srv.Credentials()
			} else if user == "-" {
				user = ""
			}
			if strings.HasPrefix(tc.name, "OKBringBack") {
				if err := e.srv.SetBundleAvailable(controlled, false); err != nil {
					t.Fatal(err)
				}
				before.Available = false
			}
			r := e.control(tc.method, path, user, pass, tc.form)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %v", r.status, tc.status, r.body)
			}
			after := catalogBundle(t, e.srv, func(b sandbox.Bundle) bool { return b.Code == controlled })
			if tc.status != http.StatusOK {
				if r.body["message"] != tc.message {
					t.Errorf("message %q, want %q", r.body["message"], tc.message)
				}
				if tc.status == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
					t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
				}
				if tc.status == http.StatusMethodNotAllowed && r.header.Get("Allow") != "GET, POST" {
					t.Errorf("Allow %q", r.header.Get("Allow"))
				}
				if diff := cmp.Diff(before, after, decimalEq); diff != "" {
					t.Errorf("a refused request changed the bundle (-before +after):\n%s", diff)
				}
				return
			}
			retail := tc.retail
			if retail == "" {
				retail = before.RetailPrice.StringFixed(2)
			}
			want := map[string]any{
				"bundle_code": controlled, "currency": "USD", "available": tc.available,
				"bundle_price_final": json.Number(after.PriceFinal.StringFixed(2)), "reseller_retail_price": json.Number(retail),
				"subscriber_price": json.Number(after.SubscriberPrice.StringFixed(2)),
			}
			got := map[string]any{}
			for k, v := range r.body {
				if f, ok := v.(float64); ok {
					v = json.Number(decimal.NewFromFloat(f).StringFixed(2))
				}
				got[k] = v
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if after.Available != tc.available || after.RetailPrice.StringFixed(2) != retail {
				t.Errorf("bundle after: available %v retail %s", after.Available, after.RetailPrice)
			}
			// The API sees the change: listed with the new price, or not
			// listed and not sold.
			b, listed := e.listed(controlled)
			if listed != tc.available {
				t.Errorf("listed %v, want %v", listed, tc.available)
			}
			if listed && decimal.NewFromFloat(b["reseller_retail_price"].(float64)).StringFixed(2) != retail {
				t.Errorf("listed retail %v, want %s", b["reseller_retail_price"], retail)
			}
			if !tc.available {
				e.post("/Bundle", assignBody(controlled, "CTL-1")).wantError(t, http.StatusBadRequest, "Bundle is not available")
			}
		})
	}
}

func TestControlOff(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   sandbox.Options
		status int
	}{
		{"NotFoundByDefault", sandbox.Options{}, http.StatusNotFound},
		{"NotFoundAtTheRoot", sandbox.Options{Prefix: "/"}, http.StatusNotFound},
		{"OnAtTheRoot", sandbox.Options{Prefix: "/", Control: true}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			user, pass := e.srv.Credentials()
			r := e.control("POST", sandbox.ControlPrefix+"bundles/"+controlled, user, pass, url.Values{"withdraw": {"true"}})
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %v", r.status, tc.status, r.body)
			}
			withdrawn := !catalogBundle(t, e.srv, func(b sandbox.Bundle) bool { return b.Code == controlled }).Available
			if withdrawn != (tc.status == http.StatusOK) {
				t.Errorf("withdrawn %v after status %d", withdrawn, r.status)
			}
		})
	}
}

// TestControlBeyondFaults checks that the control works when every API
// request fails, and that it is not counted as an API call.
func TestControlBeyondFaults(t *testing.T) {
	e := newEnv(t, sandbox.Options{Control: true})
	e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Status: http.StatusServiceUnavailable})
	user, pass := e.srv.Credentials()
	if r := e.control("POST", sandbox.ControlPrefix+"bundles/"+controlled, user, pass, url.Values{"price": {"9.99"}}); r.status != http.StatusOK {
		t.Fatalf("status %d under a 503 fault: %v", r.status, r.body)
	}
	e.srv.ClearFaults()
	if got := prices(t, e.srv, controlled)[1]; got != "9.99" {
		t.Errorf("retail %s, want 9.99", got)
	}
	for _, path := range []string{"/_sandbox/bundles/" + controlled, "/bundles/" + controlled} {
		if n := e.srv.Calls("POST", path); n != 0 {
			t.Errorf("Calls(POST, %s) = %d, want 0", path, n)
		}
	}
	if _, ok := e.listed(controlled); !ok || !slices.Contains(codes(e.bundles("/Bundles", url.Values{"country_code": {"FRA"}})), controlled) {
		t.Errorf("%s not listed", controlled)
	}
}
