package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/esimbot/esimbot/reseller/sandbox"
)

// fuzzMethods are the methods the fuzzer picks from by its first byte;
// beyond them it sends its own.
var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodOptions, http.MethodPatch}

// fuzzPaths are the paths the fuzzer starts from: every endpoint, and
// some that are not.
var fuzzPaths = []string{"/api/v1/Agent/login", "/api/v1/Token/Refresh", "/api/v1/Bundles", "/api/v1/Bundles/Networks",
	"/api/v1/Bundle", "/api/v1/Orders", "/api/v1/Profile/Consumption", "/api/v1/Countries", "/api/v1/Regions",
	"/api/v1/v2/Bundles/Topup", "/api/v1/Bundles/Topup", "/api/v1/", "/", "/api/v2/Bundles"}

// FuzzServeHTTP sends the sandbox any request (method, path, query, body,
// with or without a valid token): it never panics, answers a status from
// 200 to 599, and every body is JSON (none for 204 and HEAD).
func FuzzServeHTTP(f *testing.F) {
	for _, seed := range []struct {
		method, path uint8
		extra, query string
		body         string
		auth         bool
	}{
		{1, 0, "", "", `{"username":"demo","password":"demo"}`, false},
		{1, 1, "", "", `{"refresh_token":"x"}`, false},
		{0, 2, "", "country_code=FRA&bundle_category=country&page_size=2&page_number=1", "", true},
		{0, 3, "", "bundle_code=FRA_1GB_7D", "", true},
		{1, 4, "", "currency_code=EUR", `{"bundle_code":"FRA_1GB_7D","email":"a@example.com","name":"Ada","order_reference":"EB-1"}`, true},
		{0, 5, "", "order_reference=EB-1&from_date=2026-01-01&to_date=2026-12-31", "", true},
		{0, 6, "", "iccid=8988&order_id=1", "", true},
		{0, 9, "", "iccid=8988", "", true},
		{1, 10, "", "", `{"bundle_code":"X","previous_order_reference":"EB-1","order_reference":"EB-2"}`, true},
		{3, 2, "", "", "", true},
		{0, 12, "../etc/passwd", "page_size=-1", "", false},
		{1, 4, "/", "", `{"bundle_code":`, true},
	} {
		f.Add(seed.method, seed.path, seed.extra, seed.query, []byte(seed.body), seed.auth)
	}
	sb := sandbox.New(sandbox.Options{})
	rec := httptest.NewRecorder()
	sb.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/Agent/login", strings.NewReader(`{"username":"demo","password":"demo"}`)))
	var login struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &login); err != nil || login.AccessToken == "" {
		f.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	f.Fuzz(func(t *testing.T, method, path uint8, extra, query string, body []byte, auth bool) {
		m := fuzzMethods[int(method)%len(fuzzMethods)]
		if int(method) >= 200 && extra != "" && !strings.ContainsAny(extra, " \t\r\n/") {
			m = strings.ToUpper(extra) // a method of its own
		}
		target := fuzzPaths[int(path)%len(fuzzPaths)] + extra
		req, err := http.NewRequest(m, "http://sandbox.test/", strings.NewReader(string(body)))
		if err != nil {
			return
		}
		req.URL.Path = target
		req.URL.RawQuery = query
		if auth {
			req.Header.Set("Access-Token", login.AccessToken)
		}
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		sb.ServeHTTP(w, req)
		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("%s %s?%s: status %d", m, target, query, w.Code)
		}
		got := w.Body.Bytes()
		if w.Code == http.StatusNoContent || m == http.MethodHead && len(got) == 0 {
			return
		}
		if !json.Valid(got) {
			t.Fatalf("%s %s?%s: %d answered with a body that is not JSON: %q", m, target, query, w.Code, got)
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s %s?%s: %d answered as %q", m, target, query, w.Code, ct)
		}
	})
}
