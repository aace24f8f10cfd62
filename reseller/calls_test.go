package reseller_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

func TestListShapes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		handler   http.HandlerFunc
		wantCodes string
		wantTotal int
	}{
		{"BareArray", raw(200, `[{"bundle_code":"A"},{"bundle_code":"B"}]`), "A,B", -1},
		{"Envelope", raw(200, `{"bundles":[{"bundle_code":"A"}],"total_bundles_count":"7"}`), "A", 7},
		{"EnvelopeCaseInsensitive", raw(200, `{"Bundles":[{"bundle_code":"A"}],"total":3}`), "A", 3},
		{"GenericData", raw(200, `{"data":[{"bundle_code":"A"}],"count":1}`), "A", 1},
		{"NestedEnvelope", raw(200, `{"data":{"bundles":[{"bundle_code":"N"}],"total_bundles_count":1}}`), "N", 1},
		{"NestedTotalOutside", raw(200, `{"total_count":9,"data":{"bundles":[{"bundle_code":"N"}]}}`), "N", 9},
		{"OnlyArrayUnknownKey", raw(200, `{"status":"ok","products":[{"bundle_code":"P"}]}`), "P", -1},
		{"NoContent", raw(204, ``), "", 0},
		{"Null", raw(200, `null`), "", 0},
		{"EmptyBody", raw(200, ``), "", 0},
		{"NullList", raw(200, `{"bundles":null,"total_bundles_count":0}`), "", 0},
		{"EmptyEnvelope", raw(200, `{"total_bundles_count":0}`), "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("GET /Bundles", tc.handler)
			p, err := newClient(t, f).Bundles(context.Background(), reseller.BundleQuery{})
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, b := range p.Items {
				codes = append(codes, b.Code)
			}
			if got := strings.Join(codes, ","); got != tc.wantCodes {
				t.Errorf("codes = %q, want %q", got, tc.wantCodes)
			}
			if p.Total != tc.wantTotal {
				t.Errorf("Total = %d, want %d", p.Total, tc.wantTotal)
			}
		})
	}
}

func TestListUnreadable(t *testing.T) {
	for name, body := range map[string]string{
		"String":        `"bundles"`,
		"TwoArrays":     `{"a":[],"b":[]}`,
		"BadItems":      `{"bundles":[{"bundle_code":{"x":1}}]}`,
		"BadJSON":       `{"bundles":[`,
		"WrongItemType": `[1,2]`,
		"ObjectNoList":  `{"message":"ok"}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("GET /Bundles", raw(200, body))
			_, err := newClient(t, f).Bundles(context.Background(), reseller.BundleQuery{})
			if !errors.Is(err, reseller.ErrBadResponse) {
				t.Errorf("err = %v, want ErrBadResponse", err)
			}
		})
	}
}

func TestBundlesSendsEveryFilter(t *testing.T) {
	f := newFakeAPI(t)
	var got url.Values
	f.handle("GET /Bundles", func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		raw(200, `[]`)(w, r)
	})
	_, err := newClient(t, f).Bundles(context.Background(), reseller.BundleQuery{
		CountryCode: "fra", RegionCode: "EUR", Category: reseller.CategoryCountry, ProfileType: reseller.ProfileStandard,
		ICCID: "8900000000000000001", PageSize: 25, PageNumber: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "bundle_category=country&country_code=FRA&iccid=8900000000000000001&page_number=2&page_size=25&profile_type=STANDARD&region_code=EUR"
	if got.Encode() != want {
		t.Errorf("query = %s\nwant    %s", got.Encode(), want)
	}
}

func TestAllBundlesFollowsPages(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Bundles", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("page_number") {
		case "1":
			raw(200, `{"bundles":[{"bundle_code":"A"},{"bundle_code":"B"}],"total_bundles_count":3}`)(w, r)
		case "2":
			raw(200, `{"bundles":[{"bundle_code":"C"}],"total_bundles_count":3}`)(w, r)
		default:
			t.Errorf("page %s asked", r.URL.Query().Get("page_number"))
			raw(204, ``)(w, r)
		}
	})
	all, err := newClient(t, f).AllBundles(context.Background(), reseller.BundleQuery{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[2].Code != "C" {
		t.Errorf("AllBundles = %+v", all)
	}
}

func TestErrorCatalog(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		is     []error
		isNot  []error
	}{
		{"FeatureDisabled", 400, `{"title":"Bad Request","detail":"Feature not supported"}`,
			[]error{reseller.ErrFeatureDisabled, reseller.ErrInvalidRequest}, []error{reseller.ErrNotFound}},
		{"NeitherID", 400, `{"message":"At least order_id or iccid is required"}`,
			[]error{reseller.ErrInvalidRequest}, []error{reseller.ErrFeatureDisabled}},
		{"BothIDs", 400, `{"developer_message":"ICCID and order_id cannot be provided together"}`,
			[]error{reseller.ErrInvalidRequest}, nil},
		{"ProfileNotFound", 404, `{"title":"Not Found","detail":"Profile not found"}`,
			[]error{reseller.ErrNotFound}, []error{reseller.ErrInvalidRequest}},
		{"Unauthorized", 401, `{"title":"Unauthorized"}`, []error{reseller.ErrUnauthorized}, nil},
		{"Forbidden", 403, `{"error":"forbidden"}`, []error{reseller.ErrForbidden}, []error{reseller.ErrUnauthorized}},
		{"Insufficient", 400, `{"title":"Insufficient balance","message":"Insufficient wallet balance"}`,
			[]error{reseller.ErrInsufficientBalance, reseller.ErrInvalidRequest}, []error{reseller.ErrBundleUnavailable}},
		{"PaymentRequired", 402, `{}`, []error{reseller.ErrInsufficientBalance}, nil},
		{"Unavailable", 400, `{"title":"Bundle unavailable","message":"Bundle is not available"}`,
			[]error{reseller.ErrBundleUnavailable}, []error{reseller.ErrInsufficientBalance}},
		{"Duplicate", 409, `{"message":"Order reference already exists"}`, []error{reseller.ErrDuplicateReference}, nil},
		{"Unprocessable", 422, `not json at all`, []error{reseller.ErrInvalidRequest}, nil},
		{"ServerError", 500, `<html>oops</html>`, []error{reseller.ErrUnavailable}, []error{reseller.ErrInvalidRequest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("GET /Profile/Consumption", raw(tc.status, tc.body))
			c := newClient(t, f, func(c *reseller.Config) { c.Retry.MaxAttempts = 1 })
			_, err := c.Consumption(context.Background(), reseller.ProfileRef{ICCID: "8944"})
			var apiErr *reseller.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if apiErr.Status != tc.status || apiErr.Endpoint != "/Profile/Consumption" || apiErr.Method != "GET" {
				t.Errorf("APIError = %+v", apiErr)
			}
			for _, want := range tc.is {
				if !errors.Is(err, want) {
					t.Errorf("errors.Is(%v, %v) = false", err, want)
				}
			}
			for _, not := range tc.isNot {
				if errors.Is(err, not) {
					t.Errorf("errors.Is(%v, %v) = true", err, not)
				}
			}
		})
	}
}

func TestAPIErrorKeepsEveryField(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Orders", raw(400, `{"title":"T","message":"M","developer_message":"D","detail":"X","response_code":7}`))
	_, err := newClient(t, f).Orders(context.Background(), reseller.OrderQuery{})
	var e *reseller.APIError
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	if e.Title != "T" || e.Message != "M" || e.DeveloperMessage != "D" || e.Detail != "X" || e.ResponseCode != "7" {
		t.Errorf("APIError = %+v", e)
	}
	if got, want := e.Error(), "reseller: GET /Orders: 400 Bad Request: X; M; D; T"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestConsumptionChecksIDsBeforeSending(t *testing.T) {
	f := newFakeAPI(t)
	c := newClient(t, f)
	for name, ref := range map[string]reseller.ProfileRef{
		"Neither": {}, "Both": {ICCID: "89", OrderID: "abc"}, "Blank": {ICCID: "  "},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.Consumption(context.Background(), ref); !errors.Is(err, reseller.ErrInvalidRequest) {
				t.Errorf("Consumption: %v, want ErrInvalidRequest", err)
			}
			if _, err := c.TopupBundles(context.Background(), ref); !errors.Is(err, reseller.ErrInvalidRequest) {
				t.Errorf("TopupBundles: %v, want ErrInvalidRequest", err)
			}
		})
	}
	if n := f.logins.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestConsumptionShapes(t *testing.T) {
	for name, body := range map[string]string{
		"Plain":   `{"iccid":"8912","profile_status":"active","orders_balances":[{"order_id":1,"remaining_data":"512","total_data":1024,"remaining_calls":null,"remaining_sms":"10"}]}`,
		"Wrapped": `{"data":{"iccid":8912,"profile_status":"active","orders_balances":[{"order_id":"1","remaining_data":512.2,"total_data":"1024","remaining_sms":10}]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeAPI(t)
			var q url.Values
			f.handle("GET /Profile/Consumption", func(w http.ResponseWriter, r *http.Request) {
				q = r.URL.Query()
				raw(200, body)(w, r)
			})
			got, err := newClient(t, f).Consumption(context.Background(), reseller.ProfileRef{OrderID: "1"})
			if err != nil {
				t.Fatal(err)
			}
			if q.Encode() != "order_id=1" {
				t.Errorf("query = %s", q.Encode())
			}
			b := got.Balances[0]
			if got.ICCID != "8912" || b.OrderID != "1" || b.RemainingMB != 512 || b.TotalMB != 1024 || b.RemainingCalls != nil ||
				b.RemainingSMS == nil || *b.RemainingSMS != 10 || b.Unlimited() {
				t.Errorf("Consumption = %+v", got)
			}
		})
	}
	f := newFakeAPI(t)
	f.handle("GET /Profile/Consumption", raw(204, ``))
	if _, err := newClient(t, f).Consumption(context.Background(), reseller.ProfileRef{ICCID: "1"}); !errors.Is(err, reseller.ErrNotFound) {
		t.Errorf("204: %v, want ErrNotFound", err)
	}
	f.handle("GET /Profile/Consumption", raw(200, `{"iccid":`))
	if _, err := newClient(t, f).Consumption(context.Background(), reseller.ProfileRef{ICCID: "1"}); !errors.Is(err, reseller.ErrBadResponse) {
		t.Errorf("bad JSON: %v, want ErrBadResponse", err)
	}
}

func TestReadsRetryWithBackoff(t *testing.T) {
	f := newFakeAPI(t)
	var n atomic.Int64
	f.handle("GET /Countries", func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			raw(503, `{"message":"busy"}`)(w, r)
		case 2:
			w.Header().Set("Retry-After", "0")
			raw(429, `{}`)(w, r)
		default:
			raw(200, `{"countries":[{"country_code":"FRA","country_name":"France"}]}`)(w, r)
		}
	})
	var observed atomic.Int64
	c := newClient(t, f, func(c *reseller.Config) { c.Observe = func(reseller.CallInfo) { observed.Add(1) } })
	got, err := c.Countries(context.Background(), reseller.CoverageQuery{ProfileType: reseller.ProfileStandard, ICCID: "89"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Code != "FRA" {
		t.Errorf("Countries = %+v", got)
	}
	if n.Load() != 3 {
		t.Errorf("tries = %d, want 3", n.Load())
	}
	if observed.Load() != 4 { // login + 3 tries
		t.Errorf("observed %d exchanges, want 4", observed.Load())
	}
}

func TestReadsGiveUpAfterMaxAttempts(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Regions", raw(502, `{}`))
	c := newClient(t, f, func(c *reseller.Config) { c.Retry.MaxAttempts = 3 })
	_, err := c.Regions(context.Background(), reseller.CoverageQuery{})
	if !errors.Is(err, reseller.ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
	if got := f.count("GET /Regions"); got != 3 {
		t.Errorf("tries = %d, want 3", got)
	}
}

func TestReadsRetryBoundedByContext(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Regions", raw(503, `{}`))
	c := newClient(t, f, func(c *reseller.Config) {
		c.Retry = reseller.RetryPolicy{MaxAttempts: 100, BaseDelay: 20 * time.Millisecond, MaxDelay: 20 * time.Millisecond}
	})
	if _, err := c.Session(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := c.Regions(ctx, reseller.CoverageQuery{})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, reseller.ErrUnavailable) {
		t.Errorf("err = %v, want the 503 and the deadline", err)
	}
	if got := f.count("GET /Regions"); got >= 100 || got < 1 {
		t.Errorf("tries = %d", got)
	}
}

func TestTransportErrorIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, err := reseller.New(reseller.Config{BaseURL: "http://" + addr + "/api/v1", Username: "u", Password: "p",
		Retry: reseller.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Regions(context.Background(), reseller.CoverageQuery{})
	if !errors.Is(err, reseller.ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
}

func TestNetworks(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /Bundles/Networks", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("bundle_code") != "FRA_1" {
			raw(400, `{}`)(w, r)
			return
		}
		raw(200, `{"networks":[{"country_code":"FRA","network_name":"Orange","network_speed":["4G","5G"]},{"network_name":"SFR","network_speed":"4G"}]}`)(w, r)
	})
	c := newClient(t, f)
	nets, err := c.Networks(context.Background(), "FRA_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(nets) != 2 || nets[0].Name != "Orange" || nets[0].Speeds.String() != "4G/5G" || nets[1].Speeds.String() != "4G" {
		t.Errorf("Networks = %+v", nets)
	}
	if _, err := c.Networks(context.Background(), " "); !errors.Is(err, reseller.ErrInvalidRequest) {
		t.Errorf("empty code: %v", err)
	}
}

func TestOrdersQueryAndReference(t *testing.T) {
	f := newFakeAPI(t)
	var got url.Values
	f.handle("GET /Orders", func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		raw(200, `{"orders":[{"order_id":"a","order_reference":"REF-10"},{"order_id":"b","order_reference":"REF-1","status":"failed",
		"activation_code":"LPA:1$smdp.example$MATCH","created_at":"2026-01-02 03:04:05"}],"total_orders_count":2}`)(w, r)
	})
	c := newClient(t, f)
	yes := true
	_, err := c.Orders(context.Background(), reseller.OrderQuery{
		Search: "x", GlobalESIM: &yes, PageSize: 10, PageNumber: 1,
		From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "from_date=2026-01-01&global_esim=true&page_number=1&page_size=10&search=x&to_date=2026-01-31"; got.Encode() != want {
		t.Errorf("query = %s, want %s", got.Encode(), want)
	}
	o, err := c.OrderByReference(context.Background(), "REF-1")
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != "b" || !o.Failed() || o.CreatedAt.Year() != 2026 {
		t.Errorf("OrderByReference = %+v", o)
	}
	if lpa, err := o.LPA(); err != nil || lpa != "LPA:1$smdp.example$MATCH" {
		t.Errorf("LPA = %q, %v", lpa, err)
	}
	if got.Get("order_reference") != "REF-1" {
		t.Errorf("order_reference not sent: %s", got.Encode())
	}
	if _, err := c.OrderByReference(context.Background(), "REF-2"); !errors.Is(err, reseller.ErrNotFound) {
		t.Errorf("missing reference: %v, want ErrNotFound", err)
	}
	if _, err := c.OrderByReference(context.Background(), ""); !errors.Is(err, reseller.ErrInvalidRequest) {
		t.Errorf("empty reference: %v", err)
	}
}

func TestLegacyPaths(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /Bundles", raw(200, `{"order_id":"o1","iccid":"89"}`))
	f.handle("GET /Orders/Consumption", raw(200, `{"iccid":"89"}`))
	f.handle("GET /AvailableCountries", raw(200, `[]`))
	f.handle("GET /AvailableRegions", raw(200, `[]`))
	var q url.Values
	f.handle("GET /Orders", func(w http.ResponseWriter, r *http.Request) { q = r.URL.Query(); raw(204, ``)(w, r) })
	paths, err := reseller.PathsPreset("legacy")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, f, func(c *reseller.Config) { c.Paths = paths })
	ctx := context.Background()
	if _, err := c.AssignBundle(ctx, reseller.AssignRequest{BundleCode: "X", Email: "a@b.co", Name: "N", OrderReference: "R"}, reseller.AssignOptions{}); err != nil {
		t.Error(err)
	}
	if _, err := c.Consumption(ctx, reseller.ProfileRef{ICCID: "89"}); err != nil {
		t.Error(err)
	}
	if _, err := c.Countries(ctx, reseller.CoverageQuery{}); err != nil {
		t.Error(err)
	}
	if _, err := c.Regions(ctx, reseller.CoverageQuery{}); err != nil {
		t.Error(err)
	}
	if _, err := c.Orders(ctx, reseller.OrderQuery{From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Error(err)
	}
	if q.Get("startDate") != "2026-02-01" {
		t.Errorf("legacy date param not used: %s", q.Encode())
	}
	if _, err := reseller.PathsPreset("nope"); err == nil {
		t.Error("unknown preset accepted")
	}
	if p, _ := reseller.PathsPreset(""); p != reseller.DefaultPaths() {
		t.Error("empty preset is not the default")
	}
}

func TestPartialPathsTakeDefaults(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /custom/regions", raw(200, `[]`))
	f.handle("GET /Countries", raw(200, `[]`))
	c := newClient(t, f, func(c *reseller.Config) { c.Paths = reseller.Paths{Regions: "custom/regions"} })
	if _, err := c.Regions(context.Background(), reseller.CoverageQuery{}); err != nil {
		t.Error(err)
	}
	if _, err := c.Countries(context.Background(), reseller.CoverageQuery{}); err != nil {
		t.Error(err)
	}
}
