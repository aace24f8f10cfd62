package reseller_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

var assignReq = reseller.AssignRequest{BundleCode: "FRA_5GB", Email: "client@example.com", Name: "John Wick", OrderReference: "ORDER-10001", WhatsAppNumber: "+33600000000"}

func TestAssignBundle(t *testing.T) {
	f := newFakeAPI(t)
	var q url.Values
	var body map[string]string
	f.handle("POST /Bundle", func(w http.ResponseWriter, r *http.Request) {
		q = r.URL.Query()
		_ = json.NewDecoder(r.Body).Decode(&body)
		raw(200, `{"title":"Success","message":"Bundle Assigned Successfully","developer_message":"Operation Succcessful",
		"response_code":"1","order_id":"507f191e810c19729de860ea","iccid":"8944000000000000005","reseller_id":"507f",
		"remaining_wallet_balance":30.10,"remaining_wallet_balance_in_additional_currency":"112.9","additional_currency_code":"SAR"}`)(w, r)
	})
	res, err := newClient(t, f).AssignBundle(context.Background(), assignReq, reseller.AssignOptions{CurrencyCode: "sar", ResellerID: "r1", BranchID: "b1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.OrderID != "507f191e810c19729de860ea" || res.ICCID != "8944000000000000005" || res.RemainingBalance.String() != "30.1" ||
		res.RemainingBalanceAdditional.String() != "112.9" || res.AdditionalCurrency != "SAR" {
		t.Errorf("AssignResult = %+v", res)
	}
	if q.Encode() != "branch_id=b1&currency_code=SAR&reseller_id=r1" {
		t.Errorf("query = %s", q.Encode())
	}
	want := map[string]string{"bundle_code": "FRA_5GB", "email": "client@example.com", "name": "John Wick", "order_reference": "ORDER-10001", "whatsapp_number": "+33600000000"}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("body[%s] = %q, want %q", k, body[k], v)
		}
	}
}

func TestAssignBundleRequiresFields(t *testing.T) {
	f := newFakeAPI(t)
	c := newClient(t, f)
	for _, r := range []reseller.AssignRequest{{Email: "a@b.c", Name: "n"}, {BundleCode: "X", Name: "n"}, {BundleCode: "X", Email: "a@b.c"}} {
		if _, err := c.AssignBundle(context.Background(), r, reseller.AssignOptions{}); !errors.Is(err, reseller.ErrInvalidRequest) {
			t.Errorf("AssignBundle(%+v) = %v", r, err)
		}
	}
	for _, r := range []reseller.TopupRequest{
		{OrderID: "o", OrderReference: "R"},
		{BundleCode: "X", OrderReference: "R"},
		{BundleCode: "X", OrderID: "o", PreviousOrderReference: "P", OrderReference: "R"},
	} {
		if _, err := c.TopupBundle(context.Background(), r, reseller.AssignOptions{}); !errors.Is(err, reseller.ErrInvalidRequest) {
			t.Errorf("TopupBundle(%+v) = %v", r, err)
		}
	}
	if f.logins.Load() != 0 {
		t.Error("a request was sent")
	}
}

// TestPurchasesAreNeverRetried checks that every lost answer to a purchase
// is ErrOutcomeUnknown after exactly one request.
func TestPurchasesAreNeverRetried(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
	}{
		{"ServerError", raw(500, `{"message":"internal"}`), 0},
		{"BadGateway", raw(502, `<html>`), 0},
		{"Unavailable503", raw(503, `{}`), 0},
		{"NoContent", raw(204, ``), 0},
		{"UnreadableBody", raw(200, `{"order_id":`), 0},
		{"NoOrderInAnswer", raw(200, `{"title":"Success"}`), 0},
		{"Dropped", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, 0},
		{"Timeout", func(w http.ResponseWriter, r *http.Request) {
			// The server notices the client leaving only once the body is read.
			_, _ = io.ReadAll(r.Body)
			<-r.Context().Done()
		}, 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("POST /Bundle", tc.handler)
			f.handle("POST /Bundles/Topup", tc.handler)
			c := newClient(t, f)
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			_, err := c.AssignBundle(ctx, assignReq, reseller.AssignOptions{})
			if !errors.Is(err, reseller.ErrOutcomeUnknown) {
				t.Errorf("AssignBundle err = %v, want ErrOutcomeUnknown", err)
			}
			if got := f.count("POST /Bundle"); got != 1 {
				t.Errorf("POST /Bundle sent %d times, want 1", got)
			}
			if tc.timeout == 0 {
				_, err = c.TopupBundle(ctx, reseller.TopupRequest{BundleCode: "X", OrderID: "o", OrderReference: "R2"}, reseller.AssignOptions{})
				if !errors.Is(err, reseller.ErrOutcomeUnknown) {
					t.Errorf("TopupBundle err = %v, want ErrOutcomeUnknown", err)
				}
				if got := f.count("POST /Bundles/Topup"); got != 1 {
					t.Errorf("POST /Bundles/Topup sent %d times, want 1", got)
				}
			}
		})
	}
}

func TestPurchaseRefusalsAreNotUnknown(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
		want error
	}{
		{"Insufficient", raw(400, `{"title":"Insufficient balance","message":"Insufficient wallet balance"}`), reseller.ErrInsufficientBalance},
		{"Unavailable", raw(400, `{"title":"Bundle unavailable","message":"Bundle is not available"}`), reseller.ErrBundleUnavailable},
		{"RefusedIn200", raw(200, `{"title":"Error","message":"Bundle is not available","response_code":"0"}`), reseller.ErrBundleUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("POST /Bundle", tc.h)
			_, err := newClient(t, f).AssignBundle(context.Background(), assignReq, reseller.AssignOptions{})
			if !errors.Is(err, tc.want) || errors.Is(err, reseller.ErrOutcomeUnknown) {
				t.Errorf("err = %v, want %v and not ErrOutcomeUnknown", err, tc.want)
			}
		})
	}
}

func TestPurchaseRetriedOnceAfterTokenRefused(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /Bundle", raw(200, `{"order_id":"o1","iccid":"89"}`))
	c := newClient(t, f)
	if _, err := c.Session(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.revokeAll()
	if _, err := c.AssignBundle(context.Background(), assignReq, reseller.AssignOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := f.count("POST /Bundle"); got != 2 {
		t.Errorf("POST /Bundle sent %d times, want 2 (the refused one and the retry)", got)
	}
}

func TestTopupBundles(t *testing.T) {
	f := newFakeAPI(t)
	var q url.Values
	f.handle("GET /v2/Bundles/Topup", func(w http.ResponseWriter, r *http.Request) {
		q = r.URL.Query()
		raw(200, `{"bundles":[{"bundle_code":"T1","profile_type":"GLOBAL_ESIM","support_topup":true}],"total_bundles_count":1}`)(w, r)
	})
	var body map[string]string
	f.handle("POST /Bundles/Topup", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&body)
		raw(200, `{"order_id":"o2","iccid":"8944"}`)(w, r)
	})
	c := newClient(t, f)
	bundles, err := c.TopupBundles(context.Background(), reseller.ProfileRef{ICCID: "8944"})
	if err != nil {
		t.Fatal(err)
	}
	if len(bundles) != 1 || bundles[0].Profile() != reseller.ProfileGlobalESIM {
		t.Errorf("TopupBundles = %+v", bundles)
	}
	if q.Get("iccid") != "8944" || q.Get("page_number") != "1" {
		t.Errorf("query = %s", q.Encode())
	}
	res, err := c.TopupBundle(context.Background(), reseller.TopupRequest{BundleCode: "T1", PreviousOrderReference: "R1", OrderReference: "R2"}, reseller.AssignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.ICCID != "8944" || body["previous_order_reference"] != "R1" || body["order_reference"] != "R2" {
		t.Errorf("result %+v, body %v", res, body)
	}
	if _, ok := body["order_id"]; ok {
		t.Error("empty order_id sent")
	}
}

func TestLPA(t *testing.T) {
	for _, tc := range []struct {
		smdp, matching, code, want string
	}{
		{"smdp.example.com", "ABC-123", "", "LPA:1$smdp.example.com$ABC-123"},
		{"smdp.example.com", "ABC-123", "LPA:1$smdp.example.com$ABC-123", "LPA:1$smdp.example.com$ABC-123"},
		{"", "", "lpa:1$smdp.example.com$X", "LPA:1$smdp.example.com$X"},
		{"", "", "1$smdp.example.com$X", "LPA:1$smdp.example.com$X"},
		{"smdp.example.com", "", "ONLYCODE", "LPA:1$smdp.example.com$ONLYCODE"},
		{" smdp.example.com ", " M ", "", "LPA:1$smdp.example.com$M"},
	} {
		got, err := reseller.LPA(tc.smdp, tc.matching, tc.code)
		if err != nil || got != tc.want {
			t.Errorf("LPA(%q,%q,%q) = %q, %v; want %q", tc.smdp, tc.matching, tc.code, got, err, tc.want)
		}
	}
	for _, tc := range [][3]string{{"", "M", ""}, {"s", "", ""}, {"", "", ""}} {
		if _, err := reseller.LPA(tc[0], tc[1], tc[2]); !errors.Is(err, reseller.ErrNoActivationData) {
			t.Errorf("LPA(%q) = %v, want ErrNoActivationData", tc, err)
		}
	}
	smdp, m, ok := reseller.SplitLPA("LPA:1$smdp.example.com$ABC-123")
	if !ok || smdp != "smdp.example.com" || m != "ABC-123" {
		t.Errorf("SplitLPA = %q %q %v", smdp, m, ok)
	}
	for _, bad := range []string{"1$a$b", "LPA:2$a$b", "LPA:1$$b", "LPA:1$a"} {
		if _, _, ok := reseller.SplitLPA(bad); ok {
			t.Errorf("SplitLPA(%q) ok", bad)
		}
	}
	links := reseller.InstallLinksFor("LPA:1$smdp.example.com$ABC-123")
	if links.IOS != "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24smdp.example.com%24ABC-123" {
		t.Errorf("iOS link = %s", links.IOS)
	}
	if links.Android != "https://esimsetup.android.com/esim_qrcode_provisioning?carddata=LPA%3A1%24smdp.example.com%24ABC-123" {
		t.Errorf("Android link = %s", links.Android)
	}
}
