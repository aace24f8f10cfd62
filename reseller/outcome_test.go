package reseller_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// purchases are the two calls that sell, for tests that run on both.
var purchases = []struct {
	name, route string
	buy         func(*reseller.Client) error
}{
	{"Assign", "POST /Bundle", func(c *reseller.Client) error {
		_, err := c.AssignBundle(context.Background(), assignReq, reseller.AssignOptions{})
		return err
	}},
	{"Topup", "POST /Bundles/Topup", func(c *reseller.Client) error {
		_, err := c.TopupBundle(context.Background(), reseller.TopupRequest{BundleCode: "X", OrderID: "o", OrderReference: "R2"}, reseller.AssignOptions{})
		return err
	}},
}

// TestPurchaseDuplicateReferenceIsUnknown: "reference already used" may
// mean this very sale went through before (a re-sent purchase, a crash
// after sending): the outcome is unknown, the cause still reachable.
func TestPurchaseDuplicateReferenceIsUnknown(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
	}{
		{"Conflict", raw(409, `{"message":"Order reference already exists"}`)},
		{"WordsIn400", raw(400, `{"title":"Bad Request","message":"order_reference already used"}`)},
		{"RefusedIn200", raw(200, `{"title":"Error","message":"Duplicate order reference","response_code":"0"}`)},
	} {
		for _, p := range purchases {
			t.Run(tc.name+"/"+p.name, func(t *testing.T) {
				f := newFakeAPI(t)
				f.handle(p.route, tc.h)
				err := p.buy(newClient(t, f))
				var apiErr *reseller.APIError
				if !errors.Is(err, reseller.ErrOutcomeUnknown) || !errors.Is(err, reseller.ErrDuplicateReference) || !errors.As(err, &apiErr) {
					t.Errorf("err = %v, want ErrOutcomeUnknown wrapping ErrDuplicateReference and an *APIError", err)
				}
				if got := f.count(p.route); got != 1 {
					t.Errorf("%s sent %d times, want 1", p.route, got)
				}
			})
		}
	}
}

// TestPurchaseFailingAfterTokenRefusedIsUnknown: the API may commit a sale
// and still answer 401/403; the client renews the token and sends the
// purchase once more, and whatever then goes wrong, the outcome is unknown.
func TestPurchaseFailingAfterTokenRefusedIsUnknown(t *testing.T) {
	seconds := []struct {
		name  string
		h     http.HandlerFunc
		cause error
	}{
		{"Conflict", raw(409, `{"message":"Order reference already exists"}`), reseller.ErrDuplicateReference},
		{"Insufficient", raw(400, `{"message":"Insufficient wallet balance"}`), reseller.ErrInsufficientBalance},
		{"Unavailable", raw(400, `{"message":"Bundle is not available"}`), reseller.ErrBundleUnavailable},
		{"RefusedIn200", raw(200, `{"title":"Error","message":"Bundle is not available","response_code":"0"}`), reseller.ErrBundleUnavailable},
		{"Unauthorized", raw(401, `{"title":"Unauthorized"}`), reseller.ErrUnauthorized},
		{"Forbidden", raw(403, `{"title":"Forbidden"}`), reseller.ErrForbidden},
		{"ServerError", raw(500, `{"message":"internal"}`), reseller.ErrUnavailable},
	}
	for _, first := range []int{401, 403} {
		for _, second := range seconds {
			for _, p := range purchases {
				t.Run(http.StatusText(first)+"/"+second.name+"/"+p.name, func(t *testing.T) {
					f := newFakeAPI(t)
					var n atomic.Int64
					f.handle(p.route, func(w http.ResponseWriter, r *http.Request) {
						if n.Add(1) == 1 {
							raw(first, `{"title":"refused"}`)(w, r)
							return
						}
						second.h(w, r)
					})
					err := p.buy(newClient(t, f))
					var apiErr *reseller.APIError
					if !errors.Is(err, reseller.ErrOutcomeUnknown) || !errors.Is(err, second.cause) || !errors.As(err, &apiErr) {
						t.Errorf("err = %v, want ErrOutcomeUnknown wrapping %v and an *APIError", err, second.cause)
					}
					if got := f.count(p.route); got != 2 {
						t.Errorf("%s sent %d times, want 2 (the refused one and one re-send)", p.route, got)
					}
				})
			}
		}
	}
	t.Run("RenewalFails", func(t *testing.T) {
		for _, p := range purchases {
			t.Run(p.name, func(t *testing.T) {
				f := newFakeAPI(t)
				f.handle(p.route, func(w http.ResponseWriter, r *http.Request) {
					f.loginDown.Store(true)
					raw(401, `{"title":"Unauthorized"}`)(w, r)
				})
				err := p.buy(newClient(t, f))
				if !errors.Is(err, reseller.ErrOutcomeUnknown) || !errors.Is(err, reseller.ErrUnavailable) {
					t.Errorf("err = %v, want ErrOutcomeUnknown wrapping the renewal's ErrUnavailable", err)
				}
				if got := f.count(p.route); got != 1 {
					t.Errorf("%s sent %d times, want 1", p.route, got)
				}
			})
		}
	})
}

// TestSandboxCommittedRefusalIsReconciled: the sandbox commits a purchase
// and answers 401 (or 403); the client's re-send gets 409, the error is
// ErrOutcomeUnknown, and OrderByReference finds the one order.
func TestSandboxCommittedRefusalIsReconciled(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			w := newWorld(t, sandbox.Options{})
			ctx := context.Background()
			p, err := w.client.Bundles(ctx, reseller.BundleQuery{CountryCode: "ITA", PageSize: 1})
			if err != nil {
				t.Fatal(err)
			}
			code := p.Items[0].Code
			w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenStatus, Status: status, Count: 1})
			_, err = w.client.AssignBundle(ctx, reseller.AssignRequest{BundleCode: code, Email: "r@example.com", Name: "R", OrderReference: "C401-1"}, reseller.AssignOptions{})
			if !errors.Is(err, reseller.ErrOutcomeUnknown) || !errors.Is(err, reseller.ErrDuplicateReference) {
				t.Fatalf("AssignBundle err = %v, want ErrOutcomeUnknown (re-send answered 409)", err)
			}
			if n := w.sb.Calls("POST", "/Bundle"); n != 2 {
				t.Errorf("POST /Bundle sent %d times, want 2", n)
			}
			o, err := w.client.OrderByReference(ctx, "C401-1")
			if err != nil {
				t.Fatalf("reconcile: %v", err)
			}
			if o.BundleCode != code || o.Failed() {
				t.Errorf("reconciled order %+v", o)
			}

			w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenStatus, Status: status, Count: 1})
			_, err = w.client.TopupBundle(ctx, reseller.TopupRequest{BundleCode: code, PreviousOrderReference: "C401-1", OrderReference: "C401-2"}, reseller.AssignOptions{})
			if !errors.Is(err, reseller.ErrOutcomeUnknown) {
				t.Fatalf("TopupBundle err = %v, want ErrOutcomeUnknown", err)
			}
			if _, err := w.client.OrderByReference(ctx, "C401-2"); err != nil {
				t.Fatalf("reconcile the top-up: %v", err)
			}
			if n := len(w.sb.Orders()); n != 2 {
				t.Errorf("%d orders, want 2 (one sale, one top-up)", n)
			}
		})
	}
}
