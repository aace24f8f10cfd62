package reseller_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// contract checks every exchange that passes through it against
// openapi.yaml: the client's requests and the server's responses.
type contract struct {
	next   http.Handler
	router routers.Router

	mu       sync.Mutex
	problems []string
	checked  map[string]int // operation → responses checked
}

var (
	specOnce sync.Once
	specDoc  *openapi3.T
	specErr  error
)

func loadSpec(tb testing.TB) *openapi3.T {
	tb.Helper()
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		specDoc, specErr = loader.LoadFromFile("openapi.yaml")
		if specErr == nil {
			specErr = specDoc.Validate(loader.Context)
		}
	})
	if specErr != nil {
		tb.Fatalf("openapi.yaml: %v", specErr)
	}
	return specDoc
}

func newContract(tb testing.TB, next http.Handler) *contract {
	tb.Helper()
	router, err := gorillamux.NewRouter(loadSpec(tb))
	if err != nil {
		tb.Fatal(err)
	}
	c := &contract{next: next, router: router, checked: map[string]int{}}
	tb.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, p := range c.problems {
			tb.Errorf("contract: %s", p)
		}
	})
	return c
}

func (c *contract) fail(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

var contractOptions = &openapi3filter.Options{
	AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		if in.RequestValidationInput.Request.Header.Get("Access-Token") == "" {
			return fmt.Errorf("no Access-Token header")
		}
		return nil
	},
	IncludeResponseStatus: true,
	MultiError:            true,
}

func (c *contract) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := c.router.FindRoute(r)
	if err != nil {
		c.fail("%s %s: no route in openapi.yaml: %v", r.Method, r.URL.Path, err)
		c.next.ServeHTTP(w, r)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: contractOptions}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		c.fail("request %s %s?%s: %v", r.Method, r.URL.Path, r.URL.RawQuery, err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	c.next.ServeHTTP(rec, r)
	if r.Context().Err() != nil {
		return // the client left; nothing was answered
	}
	res := rec.Result()
	resBody := rec.Body.Bytes()
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: contractOptions,
	}
	out.SetBodyBytes(resBody)
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		c.fail("response %d to %s %s: %v\n%s", res.StatusCode, r.Method, r.URL.Path, err, truncateForLog(resBody))
	}
	c.mu.Lock()
	c.checked[route.Operation.OperationID]++
	c.mu.Unlock()
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(resBody)
}

// operations returns the operations that were exercised.
func (c *contract) operations() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.checked {
		out[k] = v
	}
	return out
}

func truncateForLog(b []byte) string {
	s := string(b)
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return strings.TrimSpace(s)
}
