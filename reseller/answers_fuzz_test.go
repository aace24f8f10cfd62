package reseller_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

// scriptedAnswer is a transport that answers every request but the login
// with one status and body, without a network.
type scriptedAnswer struct {
	status int
	body   []byte
	login  bool // the login is answered the same way too
}

func (s scriptedAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	status, body := s.status, s.body
	if !s.login && (strings.HasSuffix(r.URL.Path, "/Agent/login") || strings.HasSuffix(r.URL.Path, "/Token/Refresh")) {
		status, body = 200, []byte(`{"access_token":"tok","refresh_token":"ref","expires_in":3600}`)
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
}

// FuzzClientAnswers gives every call of the client any answer (status and
// body): no panic; a purchase answered 5xx, 409 or an unreadable 2xx is an
// unknown outcome, never a refusal; a purchase that succeeds names its
// order or ICCID; a 4xx refusal of the first sending is not an unknown
// outcome; reads fail with an error the sentinels classify.
func FuzzClientAnswers(f *testing.F) {
	for _, seed := range []struct {
		status uint16
		body   string
	}{
		{200, `{"order_id":"66f","iccid":"8988","response_code":"1","remaining_wallet_balance":"1.5"}`},
		{200, `{"response_code":"0","message":"Insufficient balance"}`},
		{200, ``}, {204, ``}, {200, `<html>`},
		{400, `{"title":"Bad Request","message":"Bundle not available"}`},
		{402, `{"detail":"insufficient"}`}, {409, `{"message":"order_reference already exists"}`},
		{401, `{"message":"Invalid or expired token"}`}, {500, `oops`}, {503, `<html>down</html>`},
		{200, `{"orders":[{"order_reference":"EB-1","order_id":1,"iccid":"8988","activation_code":"LPA:1$a$b"}]}`},
		{200, `{"iccid":"8988","orders_balances":[{"remaining_data":"1","total_data":2}]}`},
		{404, `{"message":"Profile not found"}`}, {200, `{"bundles":[{"bundle_code":"A"}],"total_bundles_count":1}`},
	} {
		f.Add(seed.status, []byte(seed.body), false)
	}
	f.Fuzz(func(t *testing.T, status uint16, body []byte, login bool) {
		code := 100 + int(status)%500
		if code < 200 {
			code += 100 // 1xx answers are not final: the transport never returns one
		}
		c, err := reseller.New(reseller.Config{BaseURL: "http://reseller.invalid/api/v1", Username: "u", Password: "p",
			HTTPClient: &http.Client{Transport: scriptedAnswer{status: code, body: body, login: login}},
			Retry:      reseller.RetryPolicy{MaxAttempts: 1}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		loginOK := true
		if login {
			_, err := c.Login(ctx)
			loginOK = err == nil
		}

		res, err := c.AssignBundle(ctx, reseller.AssignRequest{BundleCode: "A", Email: "a@example.com", Name: "Ada", OrderReference: "EB-1"}, reseller.AssignOptions{})
		var apiErr *reseller.APIError
		switch {
		case err == nil:
			if res.OrderID == "" && res.ICCID == "" {
				t.Fatalf("%d %q: a sale without order nor ICCID", code, body)
			}
		case !loginOK:
			// No token: nothing was sent.
		case code >= 500 || code == 409 || code/100 == 2 && !errors.As(err, &apiErr):
			if !errors.Is(err, reseller.ErrOutcomeUnknown) {
				t.Fatalf("%d %q: %v, want an unknown outcome", code, body, err)
			}
		case code >= 400 && code != 401 && code != 403:
			if errors.Is(err, reseller.ErrOutcomeUnknown) && !errors.Is(err, reseller.ErrDuplicateReference) {
				t.Fatalf("%d %q: a refusal of the first sending read as %v", code, body, err)
			}
		}
		if _, err := c.Bundles(ctx, reseller.BundleQuery{CountryCode: "FRA"}); err != nil && loginOK && code/100 == 2 && !errors.Is(err, reseller.ErrBadResponse) {
			t.Fatalf("%d %q: bundles: %v", code, body, err)
		}
		if o, err := c.OrderByReference(ctx, "EB-1"); err == nil {
			if o.Reference != "EB-1" {
				t.Fatalf("order %+v for EB-1", o)
			}
			_, _ = o.LPA()
		}
		_, _ = c.Consumption(ctx, reseller.ProfileRef{ICCID: "8988"})
		_, _ = c.Countries(ctx, reseller.CoverageQuery{})
		_, _ = c.Networks(ctx, "A")
		_, _ = c.TopupBundles(ctx, reseller.ProfileRef{ICCID: "8988"})
		_, _ = c.Session(ctx)
	})
}
