package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/esimbot/esimbot/reseller/sandbox"
)

// validated counts the responses checked against openapi.yaml.
var validated atomic.Int64

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		n := validated.Load()
		if testing.Verbose() {
			fmt.Printf("validated %d sandbox responses against openapi.yaml\n", n)
		}
		if n < 200 {
			fmt.Printf("only %d responses were validated against openapi.yaml\n", n)
			code = 1
		}
	}
	os.Exit(code)
}

// start is the fake clock's first reading.
var start = time.Date(2025, 3, 10, 9, 30, 0, 0, time.UTC)

// clock is a fake clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a sandbox behind a real HTTP server, with a client whose every
// response is validated against openapi.yaml.
type env struct {
	t      testing.TB
	srv    *sandbox.Server
	ts     *httptest.Server
	clock  *clock
	prefix string
	token  string
	client *http.Client
}

// newEnv starts a sandbox with opts (and the fake clock unless opts.Now is
// set) and logs in.
func newEnv(t testing.TB, opts sandbox.Options) *env {
	t.Helper()
	c := &clock{t: start}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = "/api/v1"
	}
	prefix = "/" + strings.Trim(prefix, "/")
	if prefix == "/" {
		prefix = ""
	}
	e := serve(t, sandbox.New(opts), prefix)
	e.clock = c
	e.token = e.login()
	return e
}

// newEnvFor serves srv, which uses the default prefix, without logging in.
func newEnvFor(t testing.TB, srv *sandbox.Server) *env {
	t.Helper()
	return serve(t, srv, "/api/v1")
}

func serve(t testing.TB, srv *sandbox.Server, prefix string) *env {
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{
		t:      t,
		srv:    srv,
		ts:     ts,
		prefix: prefix,
		client: &http.Client{Transport: &validatingTransport{t: t, base: ts.Client().Transport, prefix: prefix}},
	}
}

// tick advances the clock and logs in again, as a client does once its
// token has expired.
func (e *env) tick(d time.Duration) {
	e.t.Helper()
	e.clock.Advance(d)
	e.token = e.login()
}

// resp is an HTTP response read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// obj decodes the body as an object, numbers kept as json.Number.
func (r resp) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return m
}

// decode decodes the body into v.
func (r resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// want fails the test unless the status is status.
func (r resp) want(t testing.TB, status int) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

// wantError checks an error response: its status and message, and that
// every message field is there.
func (r resp) wantError(t testing.TB, status int, message string) {
	t.Helper()
	r.want(t, status)
	m := r.obj(t)
	if m["message"] != message {
		t.Errorf("message %q, want %q", m["message"], message)
	}
	for _, k := range []string{"title", "developer_message", "detail", "response_code"} {
		if _, ok := m[k]; !ok {
			t.Errorf("error body %s has no %s", r.body, k)
		}
	}
}

type requestOption func(*http.Request)

// withToken sends tok as the Access-Token ("" sends none).
func withToken(tok string) requestOption {
	return func(r *http.Request) {
		if tok == "" {
			r.Header.Del("Access-Token")
		} else {
			r.Header.Set("Access-Token", tok)
		}
	}
}

// lenient marks a request that deliberately leaves openapi.yaml, so that a
// success is not held against it.
func lenient(r *http.Request) {
	*r = *r.WithContext(context.WithValue(r.Context(), lenientKey{}, true))
}

func withContext(ctx context.Context) requestOption {
	return func(r *http.Request) { *r = *r.WithContext(ctx) }
}

// do sends a request to path (under the prefix); body is JSON-encoded
// unless it is a string or []byte.
func (e *env) do(method, path string, q url.Values, body any, opts ...requestOption) resp {
	e.t.Helper()
	r, err := e.try(method, path, q, body, opts...)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (e *env) try(method, path string, q url.Values, body any, opts ...requestOption) (resp, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return resp{}, err
		}
		rd = bytes.NewReader(j)
	}
	u := e.ts.URL + e.prefix + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return resp{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if e.token != "" {
		req.Header.Set("Access-Token", e.token)
	}
	for _, o := range opts {
		o(req)
	}
	res, err := e.client.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	return resp{res.StatusCode, res.Header, b}, nil
}

func (e *env) get(path string, q url.Values, opts ...requestOption) resp {
	e.t.Helper()
	return e.do(http.MethodGet, path, q, nil, opts...)
}

func (e *env) post(path string, body any, opts ...requestOption) resp {
	e.t.Helper()
	return e.do(http.MethodPost, path, nil, body, opts...)
}

// login logs in with the sandbox's credentials and returns the access token.
func (e *env) login() string {
	e.t.Helper()
	user, pass := e.srv.Credentials()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	e.post("/Agent/login", map[string]string{"username": user, "password": pass}, withToken("")).want(e.t, http.StatusOK).decode(e.t, &out)
	return out.AccessToken
}

// sale is the part of a sale's answer the tests read.
type sale struct {
	OrderID        string `json:"order_id"`
	OrderReference string `json:"order_reference"`
	ICCID          string `json:"iccid"`
}

// buy sells code with reference ref and returns the answer.
func (e *env) buy(code, ref string) sale {
	e.t.Helper()
	var s sale
	e.post("/Bundle", assignBody(code, ref)).want(e.t, http.StatusOK).decode(e.t, &s)
	return s
}

func assignBody(code, ref string) map[string]string {
	return map[string]string{"bundle_code": code, "email": "traveller@example.com", "name": "Ada Lovelace", "order_reference": ref}
}

// topup tops up the profile of order orderID with code.
func (e *env) topup(code, orderID, ref string) resp {
	e.t.Helper()
	return e.post("/Bundles/Topup", map[string]string{"bundle_code": code, "order_id": orderID, "order_reference": ref})
}

// bundleItem is the part of a listed bundle the tests read.
type bundleItem struct {
	Code        string          `json:"bundle_code"`
	Category    string          `json:"bundle_category"`
	CountryCode json.RawMessage `json:"country_code"`
	RegionCode  string          `json:"region_code"`
	ProfileType string          `json:"profile_type"`
	Topup       bool            `json:"support_topup"`
}

// bundles lists every bundle matching q, page by page.
func (e *env) bundles(path string, q url.Values) []bundleItem {
	e.t.Helper()
	var all []bundleItem
	for n := 1; ; n++ {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("page_size", "500")
		qq.Set("page_number", fmt.Sprint(n))
		var page struct {
			Bundles []bundleItem `json:"bundles"`
			Total   int          `json:"total_bundles_count"`
		}
		e.get(path, qq).want(e.t, http.StatusOK).decode(e.t, &page)
		all = append(all, page.Bundles...)
		if len(page.Bundles) < 500 {
			if len(all) != page.Total {
				e.t.Fatalf("listed %d bundles, total_bundles_count %d", len(all), page.Total)
			}
			return all
		}
	}
}

func codes(items []bundleItem) []string {
	out := make([]string, len(items))
	for i, b := range items {
		out[i] = b.Code
	}
	return out
}

// catalogBundle returns the first bundle of the catalog that passes ok.
func catalogBundle(t testing.TB, srv *sandbox.Server, ok func(sandbox.Bundle) bool) sandbox.Bundle {
	t.Helper()
	for _, b := range srv.Bundles() {
		if ok(b) {
			return b
		}
	}
	t.Fatal("no such bundle in the catalog")
	return sandbox.Bundle{}
}

// ---- contract validation ----

type lenientKey struct{}

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

func loadSpec() (routers.Router, error) {
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile("../openapi.yaml")
		if err != nil {
			specErr = fmt.Errorf("load openapi.yaml: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			specErr = fmt.Errorf("openapi.yaml is not valid: %w", err)
			return
		}
		specRouter, specErr = gorillamux.NewRouter(doc)
	})
	return specRouter, specErr
}

var validationOptions = &openapi3filter.Options{
	IncludeResponseStatus: true,
	MultiError:            true,
	AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		if in.RequestValidationInput.Request.Header.Get("Access-Token") == "" {
			return errors.New("no Access-Token")
		}
		return nil
	},
}

// validatingTransport checks every response (and the request of every
// success) against openapi.yaml.
type validatingTransport struct {
	t      testing.TB
	base   http.RoundTripper
	prefix string
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err == nil {
			reqBody, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	res, err := v.base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return res, nil
	}
	if err := validateExchange(req, reqBody, v.prefix, res.StatusCode, res.Header, body); err != nil {
		v.t.Errorf("contract: %v", err)
	}
	return res, nil
}

// validateExchange validates a response, and the request of a success
// unless marked lenient, against openapi.yaml. Requests outside the spec's
// paths must get a JSON error.
func validateExchange(req *http.Request, reqBody []byte, prefix string, status int, header http.Header, body []byte) error {
	router, err := loadSpec()
	if err != nil {
		return err
	}
	// Route as if served under the spec's /api/v1.
	r := req.Clone(context.WithoutCancel(req.Context()))
	rel, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		rel = "/outside-prefix"
	}
	if len(rel) > 1 {
		rel = strings.TrimSuffix(rel, "/") // the sandbox accepts one trailing slash
	}
	r.URL.Path = "/api/v1" + rel
	r.URL.RawPath = ""
	r.URL.Host, r.URL.Scheme, r.Host = "", "", ""
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(r)
	if err != nil {
		// Not an endpoint of the API: the sandbox must answer a JSON error.
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			return fmt.Errorf("%s %s: status %d for a request outside the spec", req.Method, req.URL.Path, status)
		}
		var e map[string]any
		if err := json.Unmarshal(body, &e); err != nil || e["message"] == nil {
			return fmt.Errorf("%s %s: %d without a JSON error: %s", req.Method, req.URL.Path, status, body)
		}
		validated.Add(1)
		return nil
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: validationOptions}
	if status/100 == 2 && req.Context().Value(lenientKey{}) == nil {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("%s %s succeeded (%d) for a request outside the spec: %v", req.Method, req.URL.Path, status, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                validationOptions,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("%s %s → %d: %v\nbody: %.600s", req.Method, req.URL.String(), status, err, body)
	}
	validated.Add(1)
	return nil
}

// TestContractValidator checks that the validation above does catch
// responses outside openapi.yaml.
func TestContractValidator(t *testing.T) {
	for _, tc := range []struct {
		name, method, path string
		status             int
		body               string
	}{
		{"ErrLoginWithoutToken", http.MethodPost, "/api/v1/Agent/login", 200, `{"refresh_token":"r","expires_in":1}`},
		{"ErrExpiresInString", http.MethodPost, "/api/v1/Agent/login", 200, `{"access_token":"a","refresh_token":"r","expires_in":"3600"}`},
		{"ErrUndeclaredStatus", http.MethodGet, "/api/v1/Bundles", 409, `{"message":"x"}`},
		{"ErrBadCategory", http.MethodGet, "/api/v1/Bundles", 200, `{"bundles":[{"bundle_code":"X","bundle_category":"moon"}]}`},
		{"ErrOrderWithoutID", http.MethodGet, "/api/v1/Orders", 200, `[{"order_reference":"R"}]`},
		{"ErrOutsideSpecSucceeds", http.MethodGet, "/api/v1/Nope", 200, `{}`},
		{"ErrOutsideSpecNotJSON", http.MethodGet, "/api/v1/Nope", 404, `not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			req.Header.Set("Access-Token", "t")
			h := http.Header{"Content-Type": {"application/json"}}
			if err := validateExchange(req, nil, "/api/v1", tc.status, h, []byte(tc.body)); err == nil {
				t.Error("accepted")
			}
		})
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/Regions", nil)
	req.Header.Set("Access-Token", "t")
	if err := validateExchange(req, nil, "/api/v1", 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"regions":[{"region_code":"EUR"}]}`)); err != nil {
		t.Errorf("valid answer rejected: %v", err)
	}
}
