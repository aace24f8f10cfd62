package reseller_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/reseller"
	"github.com/esimbot/esimbot/reseller/sandbox"
)

// fakeClock is a clock shared by the sandbox and the client.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// world is a sandbox behind the contract checker and a client of it.
type world struct {
	sb       *sandbox.Server
	contract *contract
	client   *reseller.Client
	clock    *fakeClock
}

func newWorld(t *testing.T, opts sandbox.Options, cfg ...func(*reseller.Config)) *world {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	opts.Now = clock.Now
	sb := sandbox.New(opts)
	ct := newContract(t, sb)
	srv := httptest.NewServer(ct)
	t.Cleanup(srv.Close)
	user, pass := sb.Credentials()
	c := reseller.Config{
		BaseURL: srv.URL + "/api/v1", Username: user, Password: pass, Now: clock.Now,
		Retry: reseller.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond},
	}
	for _, f := range cfg {
		f(&c)
	}
	client, err := reseller.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return &world{sb: sb, contract: ct, client: client, clock: clock}
}

var quirkSets = map[string]sandbox.Options{
	"Document": {},
	"Array":    {ListShape: sandbox.ShapeArray},
	"Quirks": {ListShape: sandbox.ShapeArray, Quirks: sandbox.Quirks{
		NumbersAsStrings: true, IDsAsIntegers: true, ExpiresInUnix: true, BareActivationCode: true, EmptyAsNoContent: true,
	}},
}

// TestSandboxJourney drives every endpoint through the client against the
// sandbox in each wire form, and checks both sides against openapi.yaml.
func TestSandboxJourney(t *testing.T) {
	for name, opts := range quirkSets {
		t.Run(name, func(t *testing.T) {
			opts.ActivationDelay = 30 * time.Second
			w := newWorld(t, opts)
			ctx := context.Background()
			c := w.client

			s, err := c.Session(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.ShowGlobalESIMBundles || s.ResellerID == "" || !s.Expires.After(w.clock.Now()) {
				t.Errorf("Session = %+v", s)
			}

			countries, err := c.Countries(ctx, reseller.CoverageQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(countries) < 120 {
				t.Errorf("%d countries, want at least 120", len(countries))
			}
			regions, err := c.Regions(ctx, reseller.CoverageQuery{ProfileType: reseller.ProfileStandard})
			if err != nil {
				t.Fatal(err)
			}
			if !hasRegion(regions, "EUR") {
				t.Errorf("no Europe in %+v", regions)
			}

			fra, err := c.AllBundles(ctx, reseller.BundleQuery{CountryCode: "FRA", Category: reseller.CategoryCountry, PageSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(fra) < 3 {
				t.Fatalf("%d French bundles", len(fra))
			}
			for _, b := range fra {
				if b.CountryCodes.String() != "FRA" || b.Profile() != reseller.ProfileStandard || b.ValidityDays <= 0 ||
					(!b.IsUnlimited() && b.Data.MB <= 0) {
					t.Errorf("bundle %+v", b)
				}
				if !b.PriceFinal.LessThan(b.ResellerRetailPrice) || b.ResellerRetailPrice.GreaterThan(b.SubscriberPrice) {
					t.Errorf("%s prices %s < %s <= %s broken", b.Code, b.PriceFinal, b.ResellerRetailPrice, b.SubscriberPrice)
				}
			}
			sb, ok := sandboxBundle(w.sb, fra[0].Code)
			if !ok || !sb.PriceFinal.Equal(fra[0].PriceFinal) || sb.ValidityDays != int(fra[0].ValidityDays) {
				t.Errorf("client read %+v, sandbox has %+v", fra[0], sb)
			}

			nets, err := c.Networks(ctx, fra[0].Code)
			if err != nil || len(nets) == 0 || nets[0].Name == "" || len(nets[0].Speeds) == 0 {
				t.Errorf("Networks = %+v, %v", nets, err)
			}
			if _, err := c.Networks(ctx, "NO_SUCH_BUNDLE"); !errors.Is(err, reseller.ErrNotFound) {
				t.Errorf("unknown bundle networks: %v", err)
			}
			if _, err := c.Bundles(ctx, reseller.BundleQuery{ProfileType: reseller.ProfileGlobalESIM}); !errors.Is(err, reseller.ErrFeatureDisabled) {
				t.Errorf("GLOBAL_ESIM while off: %v, want ErrFeatureDisabled", err)
			}
			empty, err := c.Bundles(ctx, reseller.BundleQuery{CountryCode: "FRA", Category: reseller.CategoryCruise, RegionCode: "NOPE"})
			if err != nil || len(empty.Items) != 0 {
				t.Errorf("empty list = %+v, %v", empty, err)
			}

			// Sell the cheapest bundle that supports top-ups.
			var pick reseller.Bundle
			for _, b := range fra {
				if b.SupportsTopup {
					pick = b
					break
				}
			}
			before := w.sb.Wallet()
			res, err := c.AssignBundle(ctx, reseller.AssignRequest{BundleCode: pick.Code, Email: "client@example.com",
				Name: "John Wick", OrderReference: "T-" + name + "-1", WhatsAppNumber: "+33612345678"}, reseller.AssignOptions{CurrencyCode: "EUR"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.ICCID) < 19 || !strings.HasPrefix(res.ICCID.String(), "89") || len(res.OrderID) != 24 {
				t.Errorf("AssignResult = %+v", res)
			}
			if want := before.Sub(pick.PriceFinal); !w.sb.Wallet().Equal(want) || !res.RemainingBalance.Equal(want) {
				t.Errorf("wallet %s (answer %s), want %s", w.sb.Wallet(), res.RemainingBalance, want)
			}

			// The order is pending until its activation data is ready.
			o, err := c.OrderByReference(ctx, "T-"+name+"-1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := o.LPA(); !errors.Is(err, reseller.ErrNoActivationData) || o.Status != reseller.OrderPending {
				t.Errorf("pending order %+v: LPA err %v", o, err)
			}
			w.clock.Add(time.Minute)
			o, err = c.OrderByReference(ctx, "T-"+name+"-1")
			if err != nil {
				t.Fatal(err)
			}
			lpa, err := o.LPA()
			if err != nil {
				t.Fatal(err)
			}
			so, _ := w.sb.OrderByReference("T-" + name + "-1")
			if lpa != so.ActivationCode || lpa != "LPA:1$"+sandbox.SMDPAddress+"$"+so.MatchingID {
				t.Errorf("LPA = %q, sandbox %q", lpa, so.ActivationCode)
			}
			if o.ICCID != res.ICCID || o.ID != res.OrderID || !o.AmountCharged.Equal(pick.PriceFinal) || o.CreatedAt.IsZero() {
				t.Errorf("order %+v vs result %+v", o, res)
			}

			// Consumption, by either identifier, decreasing over time.
			c1, err := c.Consumption(ctx, reseller.ProfileRef{ICCID: res.ICCID.String()})
			if err != nil {
				t.Fatal(err)
			}
			w.clock.Add(48 * time.Hour)
			c2, err := c.Consumption(ctx, reseller.ProfileRef{OrderID: res.OrderID.String()})
			if err != nil {
				t.Fatal(err)
			}
			if len(c1.Balances) != 1 || len(c2.Balances) != 1 || c2.ICCID != res.ICCID {
				t.Fatalf("consumption %+v then %+v", c1, c2)
			}
			if !pick.IsUnlimited() && c2.Balances[0].RemainingMB >= c1.Balances[0].RemainingMB {
				t.Errorf("remaining did not decrease: %d then %d", c1.Balances[0].RemainingMB, c2.Balances[0].RemainingMB)
			}
			if _, err := c.Consumption(ctx, reseller.ProfileRef{ICCID: "8900000000000000000"}); !errors.Is(err, reseller.ErrNotFound) {
				t.Errorf("unknown ICCID: %v", err)
			}

			// Top-up on the same ICCID.
			tops, err := c.TopupBundles(ctx, reseller.ProfileRef{ICCID: res.ICCID.String()})
			if err != nil || len(tops) == 0 {
				t.Fatalf("TopupBundles = %v, %v", tops, err)
			}
			for _, b := range tops {
				if b.Profile() != reseller.ProfileStandard || !bool(b.SupportsTopup) {
					t.Errorf("top-up bundle %+v", b)
				}
			}
			tr, err := c.TopupBundle(ctx, reseller.TopupRequest{BundleCode: tops[0].Code, OrderID: res.OrderID.String(), OrderReference: "T-" + name + "-2"}, reseller.AssignOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tr.ICCID != res.ICCID {
				t.Errorf("top-up ICCID %s, want %s", tr.ICCID, res.ICCID)
			}
			c3, err := c.Consumption(ctx, reseller.ProfileRef{ICCID: res.ICCID.String()})
			if err != nil || len(c3.Balances) != 2 {
				t.Errorf("after top-up: %+v, %v", c3, err)
			}

			// Refusals.
			_, err = c.AssignBundle(ctx, reseller.AssignRequest{BundleCode: pick.Code, Email: "a@example.com", Name: "A", OrderReference: "T-" + name + "-1"}, reseller.AssignOptions{})
			if !errors.Is(err, reseller.ErrDuplicateReference) {
				t.Errorf("reused reference: %v", err)
			}
			if err := w.sb.SetBundleAvailable(pick.Code, false); err != nil {
				t.Fatal(err)
			}
			_, err = c.AssignBundle(ctx, reseller.AssignRequest{BundleCode: pick.Code, Email: "a@example.com", Name: "A", OrderReference: "T-" + name + "-3"}, reseller.AssignOptions{})
			if !errors.Is(err, reseller.ErrBundleUnavailable) {
				t.Errorf("withdrawn bundle: %v", err)
			}
			w.sb.SetWallet(decimal.Zero)
			_, err = c.AssignBundle(ctx, reseller.AssignRequest{BundleCode: fra[1].Code, Email: "a@example.com", Name: "A", OrderReference: "T-" + name + "-4"}, reseller.AssignOptions{})
			if !errors.Is(err, reseller.ErrInsufficientBalance) {
				t.Errorf("empty wallet: %v", err)
			}
			_, err = c.AssignBundle(ctx, reseller.AssignRequest{BundleCode: fra[1].Code, Email: "not-an-email", Name: "A", OrderReference: "T-" + name + "-5"}, reseller.AssignOptions{})
			if !errors.Is(err, reseller.ErrInvalidRequest) {
				t.Errorf("bad email: %v", err)
			}

			// Order history filters.
			page, err := c.Orders(ctx, reseller.OrderQuery{Search: "CLIENT@example", From: w.clock.Now().AddDate(0, 0, -7), To: w.clock.Now()})
			if err != nil || len(page.Items) == 0 {
				t.Errorf("search = %+v, %v", page, err)
			}
			no := false
			page, err = c.Orders(ctx, reseller.OrderQuery{GlobalESIM: &no, PageSize: 1, PageNumber: 1})
			if err != nil || len(page.Items) != 1 {
				t.Errorf("paged = %+v, %v", page, err)
			}

			for _, op := range []string{"login", "listBundles", "listNetworks", "assignBundle", "listOrders", "profileConsumption",
				"listCountries", "listRegions", "listTopupBundles", "topupBundle"} {
				if w.contract.operations()[op] == 0 {
					t.Errorf("operation %s not exercised", op)
				}
			}
		})
	}
}

func TestSandboxGlobalESIM(t *testing.T) {
	w := newWorld(t, sandbox.Options{ShowGlobalESIMBundles: true})
	ctx := context.Background()
	s, err := w.client.Session(ctx)
	if err != nil || !s.ShowGlobalESIMBundles {
		t.Fatalf("Session = %+v, %v", s, err)
	}
	global, err := w.client.AllBundles(ctx, reseller.BundleQuery{ProfileType: reseller.ProfileGlobalESIM, PageSize: 500})
	if err != nil || len(global) == 0 {
		t.Fatalf("GLOBAL_ESIM bundles = %d, %v", len(global), err)
	}
	res, err := w.client.AssignBundle(ctx, reseller.AssignRequest{BundleCode: global[0].Code, Email: "g@example.com", Name: "G", OrderReference: "G-1"}, reseller.AssignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tops, err := w.client.TopupBundles(ctx, reseller.ProfileRef{ICCID: res.ICCID.String()})
	if err != nil || len(tops) == 0 {
		t.Fatalf("top-ups = %v, %v", tops, err)
	}
	for _, b := range tops {
		if b.Profile() != reseller.ProfileGlobalESIM {
			t.Errorf("a %s bundle offered as top-up of a Global eSIM profile", b.Profile())
		}
	}
	// A Standard bundle cannot go on a Global eSIM profile.
	std, err := w.client.Bundles(ctx, reseller.BundleQuery{CountryCode: "DEU", ProfileType: reseller.ProfileStandard})
	if err != nil || len(std.Items) == 0 {
		t.Fatal(err)
	}
	_, err = w.client.TopupBundle(ctx, reseller.TopupRequest{BundleCode: std.Items[0].Code, PreviousOrderReference: "G-1", OrderReference: "G-2"}, reseller.AssignOptions{})
	if !errors.Is(err, reseller.ErrBundleUnavailable) {
		t.Errorf("Standard top-up on Global profile: %v", err)
	}
}

// TestSandboxCommitThenTimeoutIsReconciled is the reason for the never-retry
// rule: the sale happened, the answer was lost, and the order is found by
// its reference instead of being sold twice.
func TestSandboxCommitThenTimeoutIsReconciled(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	ctx := context.Background()
	p, err := w.client.Bundles(ctx, reseller.BundleQuery{CountryCode: "ITA", PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultCommitThenTimeout, Method: "POST", Path: "/Bundle", Count: 1})
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = w.client.AssignBundle(tctx, reseller.AssignRequest{BundleCode: p.Items[0].Code, Email: "r@example.com", Name: "R", OrderReference: "REC-1"}, reseller.AssignOptions{})
	if !errors.Is(err, reseller.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if n := w.sb.Calls("POST", "/Bundle"); n != 1 {
		t.Errorf("POST /Bundle called %d times, want 1", n)
	}
	o, err := w.client.OrderByReference(ctx, "REC-1")
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	if o.BundleCode != p.Items[0].Code || o.Failed() {
		t.Errorf("reconciled order %+v", o)
	}
}

func TestSandboxFaults(t *testing.T) {
	ctx := context.Background()
	t.Run("ReadRetriedThrough5xx", func(t *testing.T) {
		w := newWorld(t, sandbox.Options{})
		w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "GET", Path: "/Regions", Count: 2, Status: 503})
		if _, err := w.client.Regions(ctx, reseller.CoverageQuery{}); err != nil {
			t.Fatal(err)
		}
		if n := w.sb.Calls("GET", "/Regions"); n != 3 {
			t.Errorf("GET /Regions called %d times, want 3", n)
		}
	})
	t.Run("ReadRetriedThroughDrop", func(t *testing.T) {
		w := newWorld(t, sandbox.Options{})
		w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultDrop, Method: "GET", Path: "/Countries", Count: 1})
		if _, err := w.client.Countries(ctx, reseller.CoverageQuery{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("PurchaseDroppedIsUnknownAndNotRetried", func(t *testing.T) {
		w := newWorld(t, sandbox.Options{})
		w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultStatus, Method: "POST", Path: "/Bundle", Status: 500})
		p, err := w.client.Bundles(ctx, reseller.BundleQuery{CountryCode: "ESP", PageSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.client.AssignBundle(ctx, reseller.AssignRequest{BundleCode: p.Items[0].Code, Email: "d@example.com", Name: "D", OrderReference: "DROP-1"}, reseller.AssignOptions{})
		if !errors.Is(err, reseller.ErrOutcomeUnknown) {
			t.Fatalf("err = %v", err)
		}
		if n := w.sb.Calls("POST", "/Bundle"); n != 1 {
			t.Errorf("POST /Bundle called %d times", n)
		}
		if _, err := w.client.OrderByReference(ctx, "DROP-1"); !errors.Is(err, reseller.ErrNotFound) {
			t.Errorf("reconcile: %v, want ErrNotFound (nothing was sold)", err)
		}
	})
	t.Run("UnauthorizedOnValidToken", func(t *testing.T) {
		w := newWorld(t, sandbox.Options{})
		if _, err := w.client.Session(ctx); err != nil {
			t.Fatal(err)
		}
		w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultUnauthorized, Path: "/Regions", Count: 1})
		if _, err := w.client.Regions(ctx, reseller.CoverageQuery{}); err != nil {
			t.Fatal(err)
		}
		if n := w.sb.Calls("POST", "/Token/Refresh"); n != 1 {
			t.Errorf("refreshes = %d, want 1", n)
		}
	})
	t.Run("TokensExpireAndRotate", func(t *testing.T) {
		w := newWorld(t, sandbox.Options{AccessTTL: 2 * time.Minute, RefreshTTL: 10 * time.Minute})
		for range 4 {
			if _, err := w.client.Regions(ctx, reseller.CoverageQuery{}); err != nil {
				t.Fatal(err)
			}
			w.clock.Add(2 * time.Minute)
		}
		if n := w.sb.Calls("POST", "/Token/Refresh"); n != 3 {
			t.Errorf("refreshes = %d, want 3", n)
		}
		w.clock.Add(time.Hour) // the refresh token has expired too: log in again
		if _, err := w.client.Regions(ctx, reseller.CoverageQuery{}); err != nil {
			t.Fatal(err)
		}
		if n := w.sb.Calls("POST", "/Agent/login"); n != 2 {
			t.Errorf("logins = %d, want 2", n)
		}
	})
	t.Run("ServerSideExpiry", func(t *testing.T) {
		w := newWorld(t, sandbox.Options{})
		if _, err := w.client.Session(ctx); err != nil {
			t.Fatal(err)
		}
		w.sb.ExpireAccessTokens()
		if _, err := w.client.Regions(ctx, reseller.CoverageQuery{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Latency", func(t *testing.T) {
		w := newWorld(t, sandbox.Options{})
		if _, err := w.client.Session(ctx); err != nil {
			t.Fatal(err)
		}
		w.sb.Inject(sandbox.Fault{Kind: sandbox.FaultLatency, Latency: time.Hour})
		tctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		if _, err := w.client.Regions(tctx, reseller.CoverageQuery{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want deadline exceeded", err)
		}
	})
}

func TestSandboxConcurrentSales(t *testing.T) {
	w := newWorld(t, sandbox.Options{})
	ctx := context.Background()
	p, err := w.client.Bundles(ctx, reseller.BundleQuery{CountryCode: "JPN", PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	iccids := make([]string, 40)
	for i := range iccids {
		wg.Go(func() {
			res, err := w.client.AssignBundle(ctx, reseller.AssignRequest{BundleCode: p.Items[0].Code, Email: "c@example.com",
				Name: "C", OrderReference: fmt.Sprintf("CONC-%d", i)}, reseller.AssignOptions{})
			if err != nil {
				t.Error(err)
				return
			}
			iccids[i] = res.ICCID.String()
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range iccids {
		if seen[id] {
			t.Errorf("ICCID %s sold twice", id)
		}
		seen[id] = true
	}
	if n := len(w.sb.Orders()); n != 40 {
		t.Errorf("%d orders, want 40", n)
	}
}

func TestSandboxDeterministicCatalog(t *testing.T) {
	a := sandbox.New(sandbox.Options{Seed: 7}).Bundles()
	b := sandbox.New(sandbox.Options{Seed: 7}).Bundles()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different catalogs (-a +b):\n%s", diff)
	}
}

func hasRegion(rs []reseller.Region, code string) bool {
	for _, r := range rs {
		if r.Code == code {
			return true
		}
	}
	return false
}

func sandboxBundle(sb *sandbox.Server, code string) (sandbox.Bundle, bool) {
	for _, b := range sb.Bundles() {
		if b.Code == code {
			return b, true
		}
	}
	return sandbox.Bundle{}, false
}
