package sandbox_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/reseller/sandbox"
)

func TestFaultLatency(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	t.Run("OK", func(t *testing.T) {
		e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultLatency, Path: "/Regions", Latency: 3 * time.Millisecond, Count: 1})
		e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultLatency, Path: "/api/v1/Regions", Latency: 2 * time.Millisecond, Count: 1})
		t0 := time.Now()
		e.get("/Regions", nil).want(t, http.StatusOK)
		if d := time.Since(t0); d < 5*time.Millisecond {
			t.Errorf("answered in %s, want at least 5ms", d)
		}
	})
	t.Run("ClientGivesUp", func(t *testing.T) {
		e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultLatency, Method: "GET", Path: "/Countries", Latency: time.Hour})
		defer e.srv.ClearFaults()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := e.try(http.MethodGet, "/Countries", nil, nil, withContext(ctx)); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v, want a deadline", err)
		}
		e.get("/Regions", nil).want(t, http.StatusOK)
	})
	// A delayed purchase whose client gave up is not handled: no sale. (The
	// server notices a client gone only once the body is read; it used to
	// handle the sale after the delay.)
	t.Run("PurchaseClientGivesUp", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{})
		e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultLatency, Method: "POST", Path: "/Bundle", Latency: 5 * time.Second, Count: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := e.try(http.MethodPost, "/Bundle", nil, assignBody("FRA_1GB_7D", "L-1"), withContext(ctx)); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v, want a deadline", err)
		}
		began := time.Now()
		e.ts.Close() // waits for the handler
		if took := time.Since(began); took > 4*time.Second {
			t.Errorf("the handler ran on %v after its client had gone", took)
		}
		if n := len(e.srv.Orders()); n != 0 {
			t.Errorf("%d orders after the client gave up on the purchase", n)
		}
	})
}

// TestFaultCommitLate: the purchase is handled after the delay although
// its client gave up; others are not delayed.
func TestFaultCommitLate(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultCommitLate, Latency: 50 * time.Millisecond, Count: 1})
	e.get("/Regions", nil).want(t, http.StatusOK) // not a purchase: not delayed, Count kept
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := e.try(http.MethodPost, "/Bundle", nil, assignBody("FRA_1GB_7D", "L-2"), withContext(ctx)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want a deadline", err)
	}
	e.ts.Close() // waits for the handler
	if _, ok := e.srv.OrderByReference("L-2"); !ok {
		t.Error("no order: the late commit did not happen")
	}
	if got := sandbox.FaultCommitLate.String(); got != "commit-late" {
		t.Errorf("String() = %q", got)
	}
}

func TestFaultStatus(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "POST", Path: "/Bundle", Count: 2})
	wallet := e.srv.Wallet()
	for range 2 {
		e.post("/Bundle", assignBody("FRA_1GB_7D", "F-1")).wantError(t, http.StatusServiceUnavailable, "Injected fault")
	}
	if !e.srv.Wallet().Equal(wallet) || len(e.srv.Orders()) != 0 {
		t.Errorf("state changed by a 503: wallet %s, %d orders", e.srv.Wallet(), len(e.srv.Orders()))
	}
	e.buy("FRA_1GB_7D", "F-1")
	if got := e.srv.Calls("POST", "/Bundle"); got != 3 {
		t.Errorf("Calls = %d, want 3", got)
	}

	e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultLatency, Latency: time.Millisecond, Count: 1})
	e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Status: 500, Path: "/Bundles"})
	e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultUnauthorized, Path: "/Bundles"}) // shadowed by the 500
	r := e.get("/Bundles", nil)
	r.wantError(t, http.StatusInternalServerError, "Injected fault")
	if r.obj(t)["title"] != "Internal Server Error" {
		t.Errorf("title %v", r.obj(t)["title"])
	}
	e.get("/Regions", nil).want(t, http.StatusOK)
	e.srv.ClearFaults()
	e.get("/Bundles", nil).want(t, http.StatusOK)

	t.Run("Method", func(t *testing.T) {
		e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "post"})
		defer e.srv.ClearFaults()
		e.get("/Regions", nil).want(t, http.StatusOK)
		e.post("/Agent/login", map[string]string{"username": "demo", "password": "demo"}).wantError(t, http.StatusServiceUnavailable, "Injected fault")
	})
}

func TestFaultRate(t *testing.T) {
	pattern := func() []int {
		e := newEnv(t, sandbox.Options{Seed: 9})
		e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Path: "/Regions", Rate: 0.5})
		var out []int
		for range 40 {
			out = append(out, e.get("/Regions", nil).status)
		}
		return out
	}
	a, b := pattern(), pattern()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different faults:\n%s", diff)
	}
	n := map[int]int{}
	for _, s := range a {
		n[s]++
	}
	if n[200] < 5 || n[503] < 5 || len(n) != 2 {
		t.Errorf("statuses %v at rate 0.5", n)
	}
}

func TestFaultDrop(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultDrop, Path: "/Regions"})
	if _, err := e.try(http.MethodGet, "/Regions", nil, nil); err == nil {
		t.Error("dropped request succeeded")
	}
	e.get("/Countries", nil).want(t, http.StatusOK)
	e.srv.ClearFaults()
	e.get("/Regions", nil).want(t, http.StatusOK)

	t.Run("NotHijackable", func(t *testing.T) {
		e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultDrop})
		defer e.srv.ClearFaults()
		defer func() {
			if r := recover(); r != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", r)
			}
		}()
		e.srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/v1/Regions", nil))
	})
}

func TestFaultUnauthorized(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultUnauthorized, Path: "/Regions", Count: 1})
	e.get("/Regions", nil).wantError(t, http.StatusUnauthorized, "Invalid or expired token")
	e.get("/Regions", nil).want(t, http.StatusOK)
}

func TestFaultCommitThenTimeout(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenTimeout, Count: 2})

	// Other endpoints are not affected, and do not use up the count.
	e.get("/Regions", nil).want(t, http.StatusOK)

	wallet := e.srv.Wallet()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := e.try(http.MethodPost, "/Bundle", nil, assignBody("FRA_1GB_7D", "CTT-1"), withContext(ctx))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want a timeout", err)
	}
	o, ok := e.srv.OrderByReference("CTT-1")
	if !ok {
		t.Fatal("the sale did not commit")
	}
	if !e.srv.Wallet().Equal(wallet.Sub(o.Amount)) {
		t.Errorf("wallet %s, want %s", e.srv.Wallet(), wallet.Sub(o.Amount))
	}
	orders, _ := e.orders(url.Values{"order_reference": {"CTT-1"}})
	if len(orders) != 1 || orders[0].ID != o.ID {
		t.Errorf("GET /Orders found %+v", orders)
	}

	// With a Latency, the connection is dropped after it.
	e.srv.ClearFaults()
	e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenTimeout, Path: "/Bundles/Topup", Latency: 5 * time.Millisecond})
	e.buy("FRA_1GB_7D", "CTT-1B") // POST /Bundle is not hit
	if _, err := e.try(http.MethodPost, "/Bundles/Topup", nil, map[string]string{"bundle_code": "FRA_1GB_7D", "order_id": o.ID, "order_reference": "CTT-2"}); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want a dropped connection", err)
	}
	top, ok := e.srv.OrderByReference("CTT-2")
	if !ok || top.ICCID != o.ICCID {
		t.Errorf("top-up %+v committed %v", top, ok)
	}
	e.srv.ClearFaults()
	e.post("/Bundle", assignBody("FRA_1GB_7D", "CTT-1")).wantError(t, http.StatusConflict, "Order reference already exists")
}

func TestFaultCommitThenStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int // injected; 0 takes the default
		want    int
		message string
	}{
		{"Unauthorized", 0, http.StatusUnauthorized, "Invalid or expired token"},
		{"Forbidden", http.StatusForbidden, http.StatusForbidden, "Injected fault"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenStatus, Status: tc.status, Count: 2})

			// Other endpoints are not affected, and do not use up the count.
			e.get("/Regions", nil).want(t, http.StatusOK)

			wallet := e.srv.Wallet()
			e.post("/Bundle", assignBody("FRA_1GB_7D", "CTS-1")).wantError(t, tc.want, tc.message)
			o, ok := e.srv.OrderByReference("CTS-1")
			if !ok {
				t.Fatal("the sale did not commit")
			}
			if !e.srv.Wallet().Equal(wallet.Sub(o.Amount)) {
				t.Errorf("wallet %s, want %s", e.srv.Wallet(), wallet.Sub(o.Amount))
			}
			orders, _ := e.orders(url.Values{"order_reference": {"CTS-1"}})
			if len(orders) != 1 || orders[0].ID != o.ID {
				t.Errorf("GET /Orders found %+v", orders)
			}

			// A top-up commits too.
			e.post("/Bundles/Topup", map[string]string{"bundle_code": "FRA_1GB_7D", "order_id": o.ID, "order_reference": "CTS-2"}).wantError(t, tc.want, tc.message)
			if top, ok := e.srv.OrderByReference("CTS-2"); !ok || top.ICCID != o.ICCID {
				t.Errorf("top-up %+v committed %v", top, ok)
			}

			// Used up: the same reference again is the plain 409.
			e.post("/Bundle", assignBody("FRA_1GB_7D", "CTS-1")).wantError(t, http.StatusConflict, "Order reference already exists")
			if n := len(e.srv.Orders()); n != 2 {
				t.Errorf("%d orders, want 2", n)
			}
		})
	}
	t.Run("RefusedSaleStillRefusedWithTheStatus", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{})
		e.srv.SetWallet(decimal.Zero)
		e.srv.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenStatus, Count: 1})
		e.post("/Bundle", assignBody("FRA_1GB_7D", "CTS-3")).wantError(t, http.StatusUnauthorized, "Invalid or expired token")
		if _, ok := e.srv.OrderByReference("CTS-3"); ok {
			t.Error("a sale the wallet cannot fund committed")
		}
	})
}

func TestFaultKindString(t *testing.T) {
	for k, want := range map[sandbox.FaultKind]string{
		sandbox.FaultLatency: "latency", sandbox.FaultStatus: "status", sandbox.FaultDrop: "drop",
		sandbox.FaultCommitThenTimeout: "commit-then-timeout", sandbox.FaultUnauthorized: "unauthorized",
		sandbox.FaultCommitThenStatus: "commit-then-status", 0: "unknown",
	} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
}
