package sandbox_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/reseller/sandbox"
)

var (
	iso3      = regexp.MustCompile(`^[A-Z]{3}$`)
	decimalEq = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })
)

func TestCatalogInvariants(t *testing.T) {
	srv := sandbox.New(sandbox.Options{})
	bundles := srv.Bundles()
	seen := map[string]bool{}
	perCountry := map[string]int{}
	kinds := map[string]bool{}
	for _, b := range bundles {
		if seen[b.Code] {
			t.Errorf("bundle code %s twice", b.Code)
		}
		seen[b.Code] = true
		if !b.PriceFinal.LessThan(b.RetailPrice) || b.RetailPrice.GreaterThan(b.SubscriberPrice) || !b.PriceFinal.IsPositive() {
			t.Errorf("%s: prices %s < %s <= %s broken", b.Code, b.PriceFinal, b.RetailPrice, b.SubscriberPrice)
		}
		for _, p := range []decimal.Decimal{b.PriceFinal, b.RetailPrice, b.SubscriberPrice} {
			if !p.Equal(p.Round(2)) {
				t.Errorf("%s: price %s has more than 2 decimals", b.Code, p)
			}
		}
		if len(b.Countries) == 0 {
			t.Errorf("%s covers no country", b.Code)
		}
		for _, c := range b.Countries {
			if !iso3.MatchString(c) {
				t.Errorf("%s: country %q is not ISO-3", b.Code, c)
			}
		}
		if b.Unlimited != (b.DataMB == -1) || (!b.Unlimited && b.DataMB <= 0) {
			t.Errorf("%s: data %d MB, unlimited %v", b.Code, b.DataMB, b.Unlimited)
		}
		if b.SupportsCallsSMS != (b.CallsMinutes > 0 && b.SMSCount > 0) {
			t.Errorf("%s: calls/SMS %v, %d min, %d SMS", b.Code, b.SupportsCallsSMS, b.CallsMinutes, b.SMSCount)
		}
		if b.ProfileType == sandbox.ProfileGlobalESIM && !b.SupportTopup {
			t.Errorf("%s: Global eSIM bundle without top-up", b.Code)
		}
		if b.ValidityDays <= 0 || b.Currency != "USD" || !b.Available || b.MarketingName == "" || b.Name == "" || b.RegionCode == "" {
			t.Errorf("bundle %+v", b)
		}
		if b.Category == sandbox.CategoryCountry {
			perCountry[b.Countries[0]]++
			if len(b.Countries) != 1 || !strings.HasPrefix(b.Code, b.Countries[0]+"_") {
				t.Errorf("%s: country bundle covering %v", b.Code, b.Countries)
			}
		}
		kinds[b.Category+" "+b.ProfileType] = true
	}
	if len(perCountry) < 120 {
		t.Errorf("%d countries have bundles, want at least 120", len(perCountry))
	}
	for c, n := range perCountry {
		if n < 3 || n > 7 {
			t.Errorf("%s has %d country bundles, want 3 to 7", c, n)
		}
	}
	for _, cat := range []string{"country", "region", "global", "cruise"} {
		for _, pt := range []string{"STANDARD", "GLOBAL_ESIM"} {
			if !kinds[cat+" "+pt] {
				t.Errorf("no %s bundle of profile type %s", cat, pt)
			}
		}
	}
	for _, code := range []string{"FRA_5GB_30D", "FRA_1GB_7D", "USA_3GB_15D", "EUR_10GB_30D", "EUR_10GB_30D_G", "GLB_10GB_30D"} {
		if !seen[code] {
			t.Errorf("no bundle %s", code)
		}
	}
	fr := catalogBundle(t, srv, func(b sandbox.Bundle) bool { return b.Code == "FRA_5GB_30D" })
	if fr.MarketingName != "France 5 GB · 30 days" || fr.RegionCode != "EUR" || fr.CountryName != "France" || fr.DataMB != 5120 || fr.ValidityDays != 30 {
		t.Errorf("FRA_5GB_30D = %+v", fr)
	}
}

// fingerprint prints a catalog, one line a bundle, for fast comparison.
func fingerprint(bundles []sandbox.Bundle) []string {
	out := make([]string, len(bundles))
	for i, b := range bundles {
		out[i] = fmt.Sprintf("%+v", b)
	}
	return out
}

func TestDeterminism(t *testing.T) {
	a := fingerprint(sandbox.New(sandbox.Options{Seed: 42}).Bundles())
	if diff := cmp.Diff(a, fingerprint(sandbox.New(sandbox.Options{Seed: 42}).Bundles())); diff != "" {
		t.Errorf("same seed, different catalogs (-a +b):\n%s", diff)
	}
	if diff := cmp.Diff(fingerprint(sandbox.New(sandbox.Options{}).Bundles()), fingerprint(sandbox.New(sandbox.Options{Seed: 1}).Bundles())); diff != "" {
		t.Errorf("seed 0 is not seed 1:\n%s", diff)
	}
	if slices.Equal(a, fingerprint(sandbox.New(sandbox.Options{Seed: 43}).Bundles())) {
		t.Error("seeds 42 and 43 give the same catalog")
	}

	// Sales and networks: the same requests give the same answers on the
	// same seed.
	run := func(seed int64) ([]sale, string) {
		e := newEnv(t, sandbox.Options{Seed: seed})
		var out []sale
		for i, code := range []string{"FRA_5GB_30D", "DEU_1GB_7D", "GLB_1GB_7D", "JPN_3GB_15D", "USA_5GB_30D", "ITA_1GB_7D"} {
			out = append(out, e.buy(code, "DET-"+string(rune('A'+i))))
		}
		return out, string(e.get("/Bundles/Networks", url.Values{"bundle_code": {"GLB_1GB_7D"}}).want(t, http.StatusOK).body)
	}
	s1, n1 := run(42)
	s2, n2 := run(42)
	s3, n3 := run(43)
	if diff := cmp.Diff(s1, s2); diff != "" {
		t.Errorf("same seed, different sales:\n%s", diff)
	}
	if n1 != n2 {
		t.Error("same seed, different networks")
	}
	if s1[0].OrderID == s3[0].OrderID || s1[0].ICCID == s3[0].ICCID || n1 == n3 {
		t.Errorf("seeds 42 and 43 gave the same first sale %+v or the same networks", s1[0])
	}
}

func TestBundles(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	all := e.bundles("/Bundles", nil)
	for _, b := range all {
		if b.ProfileType != "STANDARD" {
			t.Fatalf("%s (%s) listed with the feature flag off", b.Code, b.ProfileType)
		}
	}

	t.Run("DefaultPage", func(t *testing.T) {
		var page struct {
			Bundles []json.RawMessage `json:"bundles"`
			Total   int               `json:"total_bundles_count"`
		}
		e.get("/Bundles", nil).want(t, http.StatusOK).decode(t, &page)
		if len(page.Bundles) != 50 || page.Total != len(all) {
			t.Errorf("first page: %d bundles of %d, want 50 of %d", len(page.Bundles), page.Total, len(all))
		}
		e.get("/Bundles", url.Values{"page_size": {"100000"}}).want(t, http.StatusOK).decode(t, &page)
		if len(page.Bundles) != 500 {
			t.Errorf("page_size 100000 gave %d bundles, want the maximum 500", len(page.Bundles))
		}
		e.get("/Bundles", url.Values{"page_number": {"1000"}}).want(t, http.StatusOK).decode(t, &page)
		if len(page.Bundles) != 0 || page.Total != len(all) {
			t.Errorf("page 1000: %d bundles, total %d", len(page.Bundles), page.Total)
		}
	})
	t.Run("Fields", func(t *testing.T) {
		var page struct {
			Bundles []map[string]any `json:"bundles"`
		}
		e.get("/Bundles", url.Values{"country_code": {"FRA"}, "bundle_category": {"country"}}).want(t, http.StatusOK).decode(t, &page)
		var fr map[string]any
		for _, b := range page.Bundles {
			if b["bundle_code"] == "FRA_5GB_30D" {
				fr = b
			}
		}
		want := map[string]any{
			"bundle_code": "FRA_5GB_30D", "bundle_name": "fra-5gb-30d", "bundle_marketing_name": "France 5 GB · 30 days",
			"bundle_category": "country", "country_code": "FRA", "country_name": "France", "region_code": "EUR",
			"region_name": "Europe", "validity": 30.0, "data_quota": 5120.0, "unlimited": false, "currency_code": "USD",
			"support_topup": true, "supports_calls_sms": false, "profile_type": "STANDARD",
		}
		for k, v := range want {
			if fr[k] != v {
				t.Errorf("%s = %#v, want %#v", k, fr[k], v)
			}
		}
		for _, k := range []string{"bundle_price_final", "reseller_retail_price", "subscriber_price"} {
			if _, ok := fr[k].(float64); !ok {
				t.Errorf("%s = %#v, want a number", k, fr[k])
			}
		}
		for _, k := range []string{"calls_minutes", "sms_count"} {
			if _, ok := fr[k]; ok {
				t.Errorf("%s present on a data-only bundle", k)
			}
		}
	})
	t.Run("CallsAndUnlimited", func(t *testing.T) {
		var page struct {
			Bundles []map[string]any `json:"bundles"`
		}
		e.get("/Bundles", url.Values{"bundle_category": {"global"}}).want(t, http.StatusOK).decode(t, &page)
		var calls, unl int
		for _, b := range page.Bundles {
			if b["supports_calls_sms"] == true {
				calls++
				if b["calls_minutes"] == nil || b["sms_count"] == nil {
					t.Errorf("%v: calls bundle without minutes or SMS", b["bundle_code"])
				}
			}
			if _, ok := b["country_code"].([]any); !ok {
				t.Errorf("global bundle country_code %T, want an array", b["country_code"])
			}
		}
		e.get("/Bundles", url.Values{"region_code": {"EUR"}, "bundle_category": {"region"}}).want(t, http.StatusOK).decode(t, &page)
		for _, b := range page.Bundles {
			if b["unlimited"] == true {
				unl++
				if b["data_quota"] != -1.0 {
					t.Errorf("unlimited data_quota %v, want -1", b["data_quota"])
				}
			}
		}
		if calls == 0 || unl == 0 {
			t.Errorf("%d calls bundles, %d unlimited ones", calls, unl)
		}
	})
	t.Run("CountryFilter", func(t *testing.T) {
		got := e.bundles("/Bundles", url.Values{"country_code": {"FRA"}})
		cats := map[string]bool{}
		for _, b := range got {
			cats[b.Category] = true
			var one string
			var many []string
			if json.Unmarshal(b.CountryCode, &one) == nil {
				many = []string{one}
			} else if err := json.Unmarshal(b.CountryCode, &many); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(many, "FRA") {
				t.Errorf("%s does not cover FRA: %s", b.Code, b.CountryCode)
			}
		}
		if !cats["country"] || !cats["region"] || !cats["global"] {
			t.Errorf("FRA categories %v", cats)
		}
		if cruise := e.bundles("/Bundles", url.Values{"country_code": {"ITA"}, "bundle_category": {"cruise"}}); len(cruise) == 0 {
			t.Error("no cruise bundle covers Italy")
		}
		if got := e.bundles("/Bundles", url.Values{"country_code": {"XXX"}}); len(got) != 0 {
			t.Errorf("XXX: %v", codes(got))
		}
	})
	t.Run("RegionAndCategory", func(t *testing.T) {
		for _, cat := range []string{"country", "region", "global", "cruise"} {
			got := e.bundles("/Bundles", url.Values{"bundle_category": {cat}})
			if len(got) == 0 {
				t.Errorf("no %s bundle", cat)
			}
			for _, b := range got {
				if b.Category != cat {
					t.Errorf("%s listed under %s", b.Code, cat)
				}
			}
		}
		for _, b := range e.bundles("/Bundles", url.Values{"region_code": {"ASI"}}) {
			if b.RegionCode != "ASI" {
				t.Errorf("%s (%s) listed under ASI", b.Code, b.RegionCode)
			}
		}
	})
	t.Run("Paging", func(t *testing.T) {
		var joined []string
		for n := 1; n <= 3; n++ {
			var page struct {
				Bundles []bundleItem `json:"bundles"`
			}
			e.get("/Bundles", url.Values{"page_size": {"7"}, "page_number": {string(rune('0' + n))}}).want(t, http.StatusOK).decode(t, &page)
			joined = append(joined, codes(page.Bundles)...)
		}
		if diff := cmp.Diff(codes(all[:21]), joined); diff != "" {
			t.Errorf("pages of 7 (-want +got):\n%s", diff)
		}
	})
	t.Run("Unavailable", func(t *testing.T) {
		if err := e.srv.SetBundleAvailable("FRA_1GB_7D", false); err != nil {
			t.Fatal(err)
		}
		defer e.srv.SetBundleAvailable("FRA_1GB_7D", true)
		if got := codes(e.bundles("/Bundles", url.Values{"country_code": {"FRA"}})); slices.Contains(got, "FRA_1GB_7D") {
			t.Error("withdrawn FRA_1GB_7D listed")
		}
		if err := e.srv.SetBundleAvailable("NOPE", false); !errors.Is(err, sandbox.ErrBundleNotFound) {
			t.Errorf("SetBundleAvailable(NOPE) = %v", err)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			q    url.Values
			want string
		}{
			{url.Values{"bundle_category": {"local"}}, "bundle_category must be one of global, region, country, cruise"},
			{url.Values{"bundle_category": {"Country"}}, "bundle_category must be one of global, region, country, cruise"},
			{url.Values{"profile_type": {"standard"}}, "profile_type must be STANDARD or GLOBAL_ESIM"},
			{url.Values{"profile_type": {"GLOBAL_ESIM"}}, "Feature not supported"},
			{url.Values{"page_size": {"0"}}, "page_size must be a positive integer"},
			{url.Values{"page_size": {"ten"}}, "page_size must be a positive integer"},
			{url.Values{"page_number": {"0"}}, "page_number must be a positive integer"},
			{url.Values{"page_number": {"-1"}}, "page_number must be a positive integer"},
			{url.Values{"page_number": {"1.5"}}, "page_number must be a positive integer"},
		} {
			e.get("/Bundles", tc.q).wantError(t, http.StatusBadRequest, tc.want)
		}
		m := e.get("/Bundles", url.Values{"profile_type": {"GLOBAL_ESIM"}}).obj(t)
		if m["detail"] != "Feature not supported" {
			t.Errorf("detail %v", m["detail"])
		}
		e.get("/Bundles", url.Values{"iccid": {"8900000000000000000"}}).wantError(t, http.StatusNotFound, "Profile not found")
	})
}

func TestBundlesGlobalESIM(t *testing.T) {
	e := newEnv(t, sandbox.Options{ShowGlobalESIMBundles: true})
	all := e.bundles("/Bundles", nil)
	types := map[string]int{}
	for _, b := range all {
		types[b.ProfileType]++
	}
	if types["STANDARD"] == 0 || types["GLOBAL_ESIM"] == 0 {
		t.Errorf("profile types %v with the flag on", types)
	}
	for _, pt := range []string{"STANDARD", "GLOBAL_ESIM"} {
		got := e.bundles("/Bundles", url.Values{"profile_type": {pt}})
		if len(got) != types[pt] {
			t.Errorf("profile_type=%s: %d bundles, want %d", pt, len(got), types[pt])
		}
	}

	// The iccid filter keeps the bundles of the profile's type.
	g := e.buy("EUR_5GB_30D_G", "G-1")
	s := e.buy("FRA_1GB_7D", "S-1")
	for iccid, pt := range map[string]string{g.ICCID: "GLOBAL_ESIM", s.ICCID: "STANDARD"} {
		got := e.bundles("/Bundles", url.Values{"iccid": {iccid}})
		if len(got) != types[pt] {
			t.Errorf("iccid of a %s profile: %d bundles, want %d", pt, len(got), types[pt])
		}
	}

	// Turning the flag off hides them again.
	e.srv.SetShowGlobalESIMBundles(false)
	if got := e.bundles("/Bundles", nil); len(got) != types["STANDARD"] {
		t.Errorf("flag off: %d bundles, want %d", len(got), types["STANDARD"])
	}
	e.get("/Bundles", url.Values{"profile_type": {"GLOBAL_ESIM"}}).wantError(t, http.StatusBadRequest, "Feature not supported")
}

func TestNetworks(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	type network struct {
		CountryCode string `json:"country_code"`
		CountryName string `json:"country_name"`
		Name        string `json:"network_name"`
		Speed       string `json:"network_speed"`
	}
	networks := func(code string) []network {
		var out struct {
			Networks []network `json:"networks"`
		}
		e.get("/Bundles/Networks", url.Values{"bundle_code": {code}}).want(t, http.StatusOK).decode(t, &out)
		return out.Networks
	}
	fr := networks("FRA_5GB_30D")
	if len(fr) < 1 || len(fr) > 3 {
		t.Errorf("France has %d networks, want 1 to 3", len(fr))
	}
	for _, n := range fr {
		if n.CountryCode != "FRA" || n.CountryName != "France" || n.Name == "" || (n.Speed != "4G" && n.Speed != "5G") {
			t.Errorf("network %+v", n)
		}
	}
	countries := map[string]bool{}
	for _, n := range networks("EUR_10GB_30D") {
		countries[n.CountryCode] = true
	}
	if len(countries) < 30 || !countries["FRA"] || countries["JPN"] {
		t.Errorf("Europe networks cover %d countries", len(countries))
	}
	maritime := 0
	for _, n := range networks("CRU_1GB_7D") {
		if n.CountryCode == "" {
			maritime++
		}
	}
	if maritime == 0 {
		t.Error("cruise bundle without maritime networks")
	}
	e.get("/Bundles/Networks", nil).wantError(t, http.StatusBadRequest, "bundle_code is required")
	e.get("/Bundles/Networks", url.Values{"bundle_code": {"NOPE"}}).wantError(t, http.StatusNotFound, "Bundle not found")
}

func TestCountriesAndRegions(t *testing.T) {
	e := newEnv(t, sandbox.Options{ShowGlobalESIMBundles: true})
	type country struct {
		Code   string `json:"country_code"`
		ISO2   string `json:"iso2_code"`
		Name   string `json:"country_name"`
		Region string `json:"region_code"`
	}
	countries := func(q url.Values) []country {
		var out struct {
			Countries []country `json:"countries"`
		}
		e.get("/Countries", q).want(t, http.StatusOK).decode(t, &out)
		return out.Countries
	}
	regions := func(q url.Values) []string {
		var out struct {
			Regions []struct {
				Code string `json:"region_code"`
				Name string `json:"region_name"`
			} `json:"regions"`
		}
		e.get("/Regions", q).want(t, http.StatusOK).decode(t, &out)
		var codes []string
		for _, r := range out.Regions {
			if r.Name == "" {
				t.Errorf("region %s without a name", r.Code)
			}
			codes = append(codes, r.Code)
		}
		return codes
	}

	all := countries(nil)
	if len(all) < 120 {
		t.Errorf("%d countries, want at least 120", len(all))
	}
	byCode := map[string]country{}
	for _, c := range all {
		byCode[c.Code] = c
		if !iso3.MatchString(c.Code) || len(c.ISO2) != 2 || c.Name == "" || c.Region == "" {
			t.Errorf("country %+v", c)
		}
	}
	for code, want := range map[string]country{
		"FRA": {"FRA", "FR", "France", "EUR"},
		"JPN": {"JPN", "JP", "Japan", "ASI"},
		"EGY": {"EGY", "EG", "Egypt", "MEA"},
		"ARE": {"ARE", "AE", "United Arab Emirates", "MEA"},
		"BRA": {"BRA", "BR", "Brazil", "AMR"},
		"KEN": {"KEN", "KE", "Kenya", "AFR"},
		"AUS": {"AUS", "AU", "Australia", "OCE"},
	} {
		if byCode[code] != want {
			t.Errorf("%s = %+v, want %+v", code, byCode[code], want)
		}
	}
	if diff := cmp.Diff([]string{"EUR", "ASI", "MEA", "AFR", "AMR", "OCE"}, regions(nil)); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}

	t.Run("GlobalESIM", func(t *testing.T) {
		g := countries(url.Values{"profile_type": {"GLOBAL_ESIM"}})
		if len(g) == 0 || len(g) > len(all) {
			t.Errorf("%d Global eSIM countries of %d", len(g), len(all))
		}
		sale := e.buy("ASI_5GB_30D_G", "CR-G")
		if got := countries(url.Values{"iccid": {sale.ICCID}}); len(got) != len(g) {
			t.Errorf("iccid of a Global eSIM profile: %d countries, want %d", len(got), len(g))
		}
		if got := regions(url.Values{"profile_type": {"GLOBAL_ESIM"}}); len(got) != 6 {
			t.Errorf("Global eSIM regions %v", got)
		}
	})
	t.Run("OnlyListedBundles", func(t *testing.T) {
		withdrawn := 0
		for _, b := range e.srv.Bundles() {
			if b.RegionCode == "OCE" && b.ProfileType == sandbox.ProfileStandard {
				if err := e.srv.SetBundleAvailable(b.Code, false); err != nil {
					t.Fatal(err)
				}
				withdrawn++
			}
		}
		q := url.Values{"profile_type": {"STANDARD"}}
		for _, c := range countries(q) {
			if c.Region == "OCE" {
				t.Errorf("%s listed though every Oceania bundle is withdrawn", c.Code)
			}
		}
		if slices.Contains(regions(q), "OCE") {
			t.Error("OCE listed though every Oceania bundle is withdrawn")
		}
		if withdrawn == 0 {
			t.Fatal("no Oceania bundle")
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for _, p := range []string{"/Countries", "/Regions"} {
			e.get(p, url.Values{"profile_type": {"ESIM"}}).wantError(t, http.StatusBadRequest, "profile_type must be STANDARD or GLOBAL_ESIM")
			e.get(p, url.Values{"iccid": {"890000"}}).wantError(t, http.StatusNotFound, "Profile not found")
		}
		e.srv.SetShowGlobalESIMBundles(false)
		defer e.srv.SetShowGlobalESIMBundles(true)
		e.get("/Countries", url.Values{"profile_type": {"GLOBAL_ESIM"}}).wantError(t, http.StatusBadRequest, "Feature not supported")
		e.get("/Regions", url.Values{"profile_type": {"GLOBAL_ESIM"}}).wantError(t, http.StatusBadRequest, "Feature not supported")
	})
}

func TestListShapes(t *testing.T) {
	t.Run("Array", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{ListShape: sandbox.ShapeArray})
		sale := e.buy("FRA_5GB_30D", "ARR-1")
		for _, tc := range []struct {
			path string
			q    url.Values
		}{
			{"/Bundles", url.Values{"page_size": {"3"}}},
			{"/Bundles/Networks", url.Values{"bundle_code": {"FRA_5GB_30D"}}},
			{"/Orders", nil},
			{"/Countries", nil},
			{"/Regions", nil},
			{"/v2/Bundles/Topup", url.Values{"order_id": {sale.OrderID}}},
		} {
			var items []map[string]any
			e.get(tc.path, tc.q).want(t, http.StatusOK).decode(t, &items)
			if len(items) == 0 {
				t.Errorf("%s: empty array", tc.path)
			}
		}
		var empty []any
		r := e.get("/Orders", url.Values{"order_reference": {"none"}}).want(t, http.StatusOK)
		r.decode(t, &empty)
		if string(r.body) != "[]\n" {
			t.Errorf("empty array body %q", r.body)
		}
	})
	t.Run("EnvelopeEmpty", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{})
		m := e.get("/Orders", nil).want(t, http.StatusOK).obj(t)
		if orders, ok := m["orders"].([]any); !ok || len(orders) != 0 || m["total_orders_count"] != json.Number("0") {
			t.Errorf("empty envelope %v", m)
		}
	})
	t.Run("EmptyAsNoContent", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{Quirks: sandbox.Quirks{EmptyAsNoContent: true}})
		for _, tc := range []struct {
			path string
			q    url.Values
		}{
			{"/Orders", nil},
			{"/Bundles", url.Values{"country_code": {"XXX"}}},
		} {
			r := e.get(tc.path, tc.q).want(t, http.StatusNoContent)
			if len(r.body) != 0 {
				t.Errorf("%s: 204 with body %q", tc.path, r.body)
			}
		}
		e.get("/Bundles", url.Values{"country_code": {"FRA"}}).want(t, http.StatusOK)
	})
}

func TestSetBundlePrice(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	d := decimal.RequireFromString
	if err := e.srv.SetBundlePrice("FRA_5GB_30D", d("4.20"), d("6.00"), d("6.00")); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Bundles []map[string]any `json:"bundles"`
	}
	e.get("/Bundles", url.Values{"country_code": {"FRA"}, "bundle_category": {"country"}}).want(t, http.StatusOK).decode(t, &page)
	for _, b := range page.Bundles {
		if b["bundle_code"] == "FRA_5GB_30D" && (b["bundle_price_final"] != 4.2 || b["reseller_retail_price"] != 6.0 || b["subscriber_price"] != 6.0) {
			t.Errorf("prices %v %v %v", b["bundle_price_final"], b["reseller_retail_price"], b["subscriber_price"])
		}
	}
	before := e.srv.Wallet()
	e.buy("FRA_5GB_30D", "PRICE-1")
	if got, want := e.srv.Wallet(), before.Sub(d("4.20")); !got.Equal(want) {
		t.Errorf("wallet %s, want %s", got, want)
	}
	for _, bad := range [][3]string{{"6", "6", "7"}, {"5", "4", "7"}, {"5", "7", "6"}, {"-1", "2", "3"}} {
		if err := e.srv.SetBundlePrice("FRA_5GB_30D", d(bad[0]), d(bad[1]), d(bad[2])); err == nil {
			t.Errorf("SetBundlePrice(%v) accepted", bad)
		}
	}
	if err := e.srv.SetBundlePrice("NOPE", d("1"), d("2"), d("3")); !errors.Is(err, sandbox.ErrBundleNotFound) {
		t.Errorf("SetBundlePrice(NOPE) = %v", err)
	}
}
