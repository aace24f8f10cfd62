package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/reseller/sandbox"
)

var matchingID = regexp.MustCompile(`^[A-Z0-9]{5}(-[A-Z0-9]{5}){3}$`)

// luhnValid is an independent Luhn check.
func luhnValid(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return len(s) > 1 && sum%10 == 0
}

func num(t testing.TB, v any) decimal.Decimal {
	t.Helper()
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		t.Fatalf("%#v is not a number", v)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLuhn(t *testing.T) {
	for s, want := range map[string]bool{"79927398713": true, "79927398710": false, "4539578763621486": true, "89": false} {
		if luhnValid(s) != want {
			t.Errorf("luhnValid(%s) != %v", s, want)
		}
	}
}

func TestAssign(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	fr := catalogBundle(t, e.srv, func(b sandbox.Bundle) bool { return b.Code == "FRA_5GB_30D" })
	var login struct {
		ResellerID string `json:"reseller_id"`
	}
	e.post("/Agent/login", map[string]string{"username": "demo", "password": "demo"}).decode(t, &login)

	t.Run("OK", func(t *testing.T) {
		before := e.srv.Wallet()
		body := assignBody("FRA_5GB_30D", "ORDER-10001")
		body["whatsapp_number"] = "+33600000000"
		m := e.post("/Bundle", body).want(t, http.StatusOK).obj(t)
		for k, want := range map[string]any{
			"title": "Success", "message": "Bundle Assigned Successfully", "developer_message": "Operation Successful",
			"response_code": "1", "order_reference": "ORDER-10001", "reseller_id": login.ResellerID, "additional_currency_code": "USD",
		} {
			if m[k] != want {
				t.Errorf("%s = %v, want %v", k, m[k], want)
			}
		}
		iccid, _ := m["iccid"].(string)
		if len(iccid) != 19 || !strings.HasPrefix(iccid, "89") || !luhnValid(iccid) {
			t.Errorf("iccid %q", iccid)
		}
		if id, _ := m["order_id"].(string); !hex24.MatchString(id) {
			t.Errorf("order_id %q", m["order_id"])
		}
		want := before.Sub(fr.PriceFinal)
		if got := num(t, m["remaining_wallet_balance"]); !got.Equal(want) || !e.srv.Wallet().Equal(want) {
			t.Errorf("remaining_wallet_balance %s, Wallet() %s, want %s", got, e.srv.Wallet(), want)
		}
		if got := num(t, m["remaining_wallet_balance_in_additional_currency"]); !got.Equal(want) {
			t.Errorf("in additional currency %s, want %s", got, want)
		}
		o, ok := e.srv.OrderByReference("ORDER-10001")
		if !ok {
			t.Fatal("OrderByReference: no order")
		}
		wantOrder := sandbox.Order{
			ID: m["order_id"].(string), Reference: "ORDER-10001", BundleCode: "FRA_5GB_30D", BundleMarketingName: "France 5 GB · 30 days",
			ICCID: iccid, ProfileType: "STANDARD", Email: "traveller@example.com", Name: "Ada Lovelace", WhatsApp: "+33600000000",
			Amount: fr.PriceFinal, Currency: "USD", CreatedAt: start, ExpiresAt: start.AddDate(0, 0, 30), ReadyAt: start,
			SMDPAddress: sandbox.SMDPAddress, MatchingID: o.MatchingID, ActivationCode: "LPA:1$" + sandbox.SMDPAddress + "$" + o.MatchingID,
			PlanUID: o.PlanUID, Status: "success",
		}
		if diff := cmp.Diff(wantOrder, o, decimalEq); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		if !matchingID.MatchString(o.MatchingID) || o.PlanUID == "" {
			t.Errorf("matching ID %q, plan UID %q", o.MatchingID, o.PlanUID)
		}
	})
	t.Run("Currency", func(t *testing.T) {
		q := url.Values{"currency_code": {"EUR"}, "reseller_id": {"507f191e810c19729de860ea"}, "branch_id": {"x"}}
		m := e.do(http.MethodPost, "/Bundle", q, assignBody("FRA_1GB_7D", "CUR-1")).want(t, http.StatusOK).obj(t)
		remaining := num(t, m["remaining_wallet_balance"])
		if got, want := num(t, m["remaining_wallet_balance_in_additional_currency"]), remaining.Mul(decimal.RequireFromString("0.92")).Round(2); !got.Equal(want) || m["additional_currency_code"] != "EUR" {
			t.Errorf("EUR balance %s %v, want %s EUR", got, m["additional_currency_code"], want)
		}
		e.do(http.MethodPost, "/Bundle", url.Values{"currency_code": {"ZZZ"}}, assignBody("FRA_1GB_7D", "CUR-2")).wantError(t, http.StatusBadRequest, "currency_code is not supported")
		e.do(http.MethodPost, "/Bundle", url.Values{"currency_code": {"EURO"}}, assignBody("FRA_1GB_7D", "CUR-3")).wantError(t, http.StatusBadRequest, "currency_code must be an ISO 4217 code")
	})
	t.Run("GeneratedReference", func(t *testing.T) {
		body := assignBody("FRA_1GB_7D", "")
		delete(body, "order_reference")
		var s1, s2 sale
		e.post("/Bundle", body).want(t, http.StatusOK).decode(t, &s1)
		e.buy("FRA_1GB_7D", "SBX-000002")
		e.post("/Bundle", body).want(t, http.StatusOK).decode(t, &s2)
		if s1.OrderReference != "SBX-000001" || s2.OrderReference != "SBX-000003" {
			t.Errorf("generated references %q, %q", s1.OrderReference, s2.OrderReference)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		orders := len(e.srv.Orders())
		wallet := e.srv.Wallet()
		e.buy("DEU_1GB_7D", "DUP-1")
		orders++
		wallet = wallet.Sub(catalogBundle(t, e.srv, func(b sandbox.Bundle) bool { return b.Code == "DEU_1GB_7D" }).PriceFinal)
		if err := e.srv.SetBundleAvailable("DEU_3GB_15D", false); err != nil {
			t.Fatal(err)
		}
		with := func(k, v string) map[string]string {
			b := assignBody("FRA_1GB_7D", "ERR-1")
			if v == "<delete>" {
				delete(b, k)
			} else {
				b[k] = v
			}
			return b
		}
		for _, tc := range []struct {
			name   string
			body   any
			status int
			title  string
			msg    string
		}{
			{"ErrMalformed", `{"bundle_code":`, 400, "Bad Request", "Invalid JSON body"},
			{"ErrNoBundleCode", with("bundle_code", "<delete>"), 400, "Bad Request", "bundle_code is required"},
			{"ErrNoEmail", with("email", ""), 400, "Bad Request", "email is required"},
			{"ErrEmailInvalid", with("email", "traveller.example.com"), 400, "Bad Request", "email is not a valid email address"},
			{"ErrEmailNoDomain", with("email", "a@b"), 400, "Bad Request", "email is not a valid email address"},
			{"ErrNoName", with("name", "  "), 400, "Bad Request", "name is required"},
			{"ErrReferenceTooLong", with("order_reference", strings.Repeat("R", 31)), 400, "Bad Request", "order_reference must be at most 30 characters"},
			{"ErrWhatsApp", with("whatsapp_number", "0600000000"), 400, "Bad Request", "whatsapp_number must be in E.164 format, e.g. +33600000000"},
			{"ErrUnknownBundle", with("bundle_code", "ATLANTIS_1GB_7D"), 400, "Bundle unavailable", "Bundle is not available"},
			{"ErrWithdrawnBundle", with("bundle_code", "DEU_3GB_15D"), 400, "Bundle unavailable", "Bundle is not available"},
			{"ErrGlobalESIMOff", with("bundle_code", "EUR_5GB_30D_G"), 400, "Feature not supported", "Feature not supported"},
			{"ErrDuplicateReference", with("order_reference", "DUP-1"), 409, "Conflict", "Order reference already exists"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.post("/Bundle", tc.body)
				r.wantError(t, tc.status, tc.msg)
				if m := r.obj(t); m["title"] != tc.title || m["response_code"] != "0" {
					t.Errorf("title %v, response_code %v", m["title"], m["response_code"])
				}
			})
		}
		t.Run("ErrInsufficientBalance", func(t *testing.T) {
			price := catalogBundle(t, e.srv, func(b sandbox.Bundle) bool { return b.Code == "FRA_1GB_7D" }).PriceFinal
			e.srv.SetWallet(price.Sub(decimal.RequireFromString("0.01")))
			r := e.post("/Bundle", assignBody("FRA_1GB_7D", "POOR-1"))
			r.wantError(t, http.StatusBadRequest, "Insufficient wallet balance")
			if r.obj(t)["title"] != "Insufficient balance" {
				t.Errorf("title %v", r.obj(t)["title"])
			}
			if _, ok := e.srv.OrderByReference("POOR-1"); ok {
				t.Error("refused sale recorded")
			}
			e.srv.SetWallet(price)
			e.buy("FRA_1GB_7D", "POOR-1")
			if !e.srv.Wallet().IsZero() {
				t.Errorf("wallet %s after spending it all", e.srv.Wallet())
			}
			orders++
			e.srv.SetWallet(wallet)
		})
		if got := len(e.srv.Orders()); got != orders {
			t.Errorf("%d orders after the refused sales, want %d", got, orders)
		}
	})
}

func TestEmptyWallet(t *testing.T) {
	e := newEnv(t, sandbox.Options{Wallet: decimal.Zero})
	if !e.srv.Wallet().IsZero() {
		t.Fatalf("Wallet() = %s, want 0", e.srv.Wallet())
	}
	e.post("/Bundle", assignBody("FRA_1GB_7D", "E-1")).wantError(t, http.StatusBadRequest, "Insufficient wallet balance")
	if got := sandbox.New(sandbox.Options{Wallet: decimal.NewFromInt(25)}).Wallet(); !got.Equal(decimal.NewFromInt(25)) {
		t.Errorf("Wallet() = %s, want 25", got)
	}
}

type orderItem struct {
	ID             string  `json:"order_id"`
	Reference      string  `json:"order_reference"`
	BundleCode     string  `json:"bundle_code"`
	MarketingName  string  `json:"bundle_marketing_name"`
	ICCID          string  `json:"iccid"`
	Status         string  `json:"status"`
	CreatedAt      string  `json:"created_at"`
	ExpiryDate     string  `json:"expiry_date"`
	GlobalESIM     bool    `json:"global_esim"`
	ProfileType    string  `json:"profile_type"`
	ActivationCode *string `json:"activation_code"`
	SMDPAddress    *string `json:"smdp_address"`
	MatchingID     *string `json:"matching_id"`
	PlanUID        *string `json:"plan_uid"`
	PlanStatus     *string `json:"plan_status"`
}

func (e *env) orders(q url.Values) ([]orderItem, int) {
	e.t.Helper()
	var out struct {
		Orders []orderItem `json:"orders"`
		Total  int         `json:"total_orders_count"`
	}
	e.get("/Orders", q).want(e.t, http.StatusOK).decode(e.t, &out)
	return out.Orders, out.Total
}

func refs(orders []orderItem) []string {
	var out []string
	for _, o := range orders {
		out = append(out, o.Reference)
	}
	return out
}

func TestOrders(t *testing.T) {
	e := newEnv(t, sandbox.Options{ActivationDelay: 30 * time.Second, ShowGlobalESIMBundles: true})
	buy := func(code, ref, email string) sale {
		b := assignBody(code, ref)
		b["email"] = email
		var s sale
		e.post("/Bundle", b).want(t, http.StatusOK).decode(t, &s)
		return s
	}
	a := buy("FRA_5GB_30D", "ORD-A", "alice@example.com")
	e.tick(24 * time.Hour)
	buy("EUR_5GB_30D_G", "ORD-B", "bob@example.org")
	e.tick(24 * time.Hour)
	buy("JPN_1GB_7D", "ORD-C", "carol@example.net")

	t.Run("ActivationDelay", func(t *testing.T) {
		r := e.get("/Orders", url.Values{"order_reference": {"ORD-C"}}).want(t, http.StatusOK)
		m := r.obj(t)["orders"].([]any)[0].(map[string]any)
		for _, k := range []string{"activation_code", "smdp_address", "matching_id", "plan_uid", "plan_status"} {
			if v, ok := m[k]; !ok || v != nil {
				t.Errorf("pending %s = %v (present %v), want null", k, v, ok)
			}
		}
		if m["status"] != "pending" {
			t.Errorf("status %v, want pending", m["status"])
		}
		if o, _ := e.srv.OrderByReference("ORD-C"); o.Status != "pending" {
			t.Errorf("OrderByReference status %q", o.Status)
		}
		e.tick(30 * time.Second)
		got, _ := e.orders(url.Values{"order_reference": {"ORD-C"}})
		o := got[0]
		if o.Status != "success" || o.PlanStatus == nil || *o.PlanStatus != "active" || o.MatchingID == nil || !matchingID.MatchString(*o.MatchingID) ||
			o.SMDPAddress == nil || *o.SMDPAddress != "smdp.sandbox.esimbot.example" || o.PlanUID == nil ||
			o.ActivationCode == nil || *o.ActivationCode != "LPA:1$smdp.sandbox.esimbot.example$"+*o.MatchingID {
			t.Errorf("ready order %+v", o)
		}
	})
	t.Run("Fields", func(t *testing.T) {
		got, _ := e.orders(url.Values{"order_reference": {"ORD-A"}})
		want := orderItem{
			ID: a.OrderID, Reference: "ORD-A", BundleCode: "FRA_5GB_30D", MarketingName: "France 5 GB · 30 days", ICCID: a.ICCID,
			Status: "success", CreatedAt: "2025-03-10T09:30:00Z", ExpiryDate: "2025-04-09T09:30:00Z", ProfileType: "STANDARD",
		}
		got[0].ActivationCode, got[0].SMDPAddress, got[0].MatchingID, got[0].PlanUID, got[0].PlanStatus = nil, nil, nil, nil, nil
		if diff := cmp.Diff([]orderItem{want}, got); diff != "" {
			t.Errorf("ORD-A (-want +got):\n%s", diff)
		}
		m := e.get("/Orders", url.Values{"order_reference": {"ORD-A"}}).obj(t)["orders"].([]any)[0].(map[string]any)
		price := catalogBundle(t, e.srv, func(b sandbox.Bundle) bool { return b.Code == "FRA_5GB_30D" }).PriceFinal
		if !num(t, m["amount_charged"]).Equal(price) {
			t.Errorf("amount_charged %v, want %s", m["amount_charged"], price)
		}
	})
	for _, tc := range []struct {
		name  string
		q     url.Values
		want  []string
		total int
	}{
		{"NewestFirst", nil, []string{"ORD-C", "ORD-B", "ORD-A"}, 3},
		{"Reference", url.Values{"order_reference": {"ORD-B"}}, []string{"ORD-B"}, 1},
		{"ReferenceExact", url.Values{"order_reference": {"ORD"}}, nil, 0},
		{"FromDate", url.Values{"from_date": {"2025-03-11"}}, []string{"ORD-C", "ORD-B"}, 2},
		{"ToDate", url.Values{"to_date": {"2025-03-11"}}, []string{"ORD-B", "ORD-A"}, 2},
		{"OneDay", url.Values{"from_date": {"2025-03-11"}, "to_date": {"2025-03-11"}}, []string{"ORD-B"}, 1},
		{"SearchReference", url.Values{"search": {"ord-b"}}, []string{"ORD-B"}, 1},
		{"SearchMarketingName", url.Values{"search": {"JAPAN"}}, []string{"ORD-C"}, 1},
		{"SearchEmail", url.Values{"search": {"alice@"}}, []string{"ORD-A"}, 1},
		{"SearchICCID", url.Values{"search": {a.ICCID}}, []string{"ORD-A"}, 1},
		{"SearchBundleCode", url.Values{"search": {"fra_5gb"}}, []string{"ORD-A"}, 1},
		{"GlobalESIM", url.Values{"global_esim": {"true"}}, []string{"ORD-B"}, 1},
		{"NotGlobalESIM", url.Values{"global_esim": {"false"}}, []string{"ORD-C", "ORD-A"}, 2},
		{"Page", url.Values{"page_size": {"2"}, "page_number": {"2"}}, []string{"ORD-A"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total := e.orders(tc.q)
			if diff := cmp.Diff(tc.want, refs(got)); diff != "" || total != tc.total {
				t.Errorf("orders (-want +got):\n%s total %d, want %d", diff, total, tc.total)
			}
			for _, o := range got {
				if o.GlobalESIM != (o.ProfileType == "GLOBAL_ESIM") {
					t.Errorf("%s: global_esim %v, profile_type %s", o.Reference, o.GlobalESIM, o.ProfileType)
				}
			}
		})
	}
	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			q    url.Values
			want string
		}{
			{url.Values{"from_date": {"10/03/2025"}}, "from_date must be a date (YYYY-MM-DD)"},
			{url.Values{"to_date": {"2025-13-01"}}, "to_date must be a date (YYYY-MM-DD)"},
			{url.Values{"global_esim": {"maybe"}}, "global_esim must be true or false"},
			{url.Values{"page_size": {"-5"}}, "page_size must be a positive integer"},
		} {
			e.get("/Orders", tc.q).wantError(t, http.StatusBadRequest, tc.want)
		}
	})
	if got := len(e.srv.Orders()); got != 3 {
		t.Errorf("Orders() has %d orders", got)
	}
}

type balanceItem struct {
	OrderID        string `json:"order_id"`
	BundleCode     string `json:"bundle_code"`
	RemainingData  int64  `json:"remaining_data"`
	TotalData      int64  `json:"total_data"`
	RemainingCalls *int64 `json:"remaining_calls"`
	RemainingSMS   *int64 `json:"remaining_sms"`
	ExpiryDate     string `json:"expiry_date"`
	Status         string `json:"status"`
}

type consumptionItem struct {
	ICCID         string        `json:"iccid"`
	ProfileStatus string        `json:"profile_status"`
	ProfileExpiry string        `json:"profile_expiry_date"`
	Balances      []balanceItem `json:"orders_balances"`
}

func (e *env) consumption(q url.Values) consumptionItem {
	e.t.Helper()
	var c consumptionItem
	e.get("/Profile/Consumption", q).want(e.t, http.StatusOK).decode(e.t, &c)
	return c
}

func TestConsumption(t *testing.T) {
	e := newEnv(t, sandbox.Options{ActivationDelay: time.Minute})
	s := e.buy("FRA_5GB_30D", "CONS-1")
	byICCID := url.Values{"iccid": {s.ICCID}}

	c := e.consumption(byICCID)
	want := consumptionItem{
		ICCID: s.ICCID, ProfileStatus: "released", ProfileExpiry: "2025-04-09T09:30:00Z",
		Balances: []balanceItem{{OrderID: s.OrderID, BundleCode: "FRA_5GB_30D", RemainingData: 5120, TotalData: 5120, ExpiryDate: "2025-04-09T09:30:00Z", Status: "pending"}},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("fresh profile (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(c, e.consumption(url.Values{"order_id": {s.OrderID}})); diff != "" {
		t.Errorf("by order_id differs:\n%s", diff)
	}
	raw := e.get("/Profile/Consumption", byICCID).obj(t)["orders_balances"].([]any)[0].(map[string]any)
	if _, ok := raw["remaining_calls"]; ok {
		t.Error("remaining_calls on a data-only bundle")
	}

	e.tick(11 * time.Minute)
	if got := e.consumption(byICCID).ProfileStatus; got != "downloaded" {
		t.Errorf("profile_status %s, want downloaded", got)
	}
	e.tick(50 * time.Minute) // one hour after the activation data
	c = e.consumption(byICCID)
	if c.ProfileStatus != "active" || c.Balances[0].RemainingData != 5120 {
		t.Errorf("just active: %+v", c)
	}
	// 4 to 12 % a day: used up after 9 to 25 days, before the 30-day expiry.
	last, day := int64(5120), 0
	for last > 0 {
		if day++; day > 25 {
			t.Fatalf("still %d MB after 25 days", last)
		}
		e.tick(24 * time.Hour)
		b := e.consumption(byICCID).Balances[0]
		switch {
		case b.RemainingData >= last:
			t.Fatalf("day %d: remaining %d after %d", day, b.RemainingData, last)
		case b.RemainingData > 0 && b.Status != "active", b.RemainingData == 0 && b.Status != "depleted":
			t.Errorf("day %d: remaining %d, status %s", day, b.RemainingData, b.Status)
		}
		last = b.RemainingData
	}
	if day < 9 {
		t.Errorf("used up after %d days, faster than 12 %% a day", day)
	}
	e.tick(time.Duration(30-day) * 24 * time.Hour)
	if b := e.consumption(byICCID).Balances[0]; b.Status != "expired" || b.RemainingData != 0 {
		t.Errorf("after expiry: %+v, want expired", b)
	}

	t.Run("Unlimited", func(t *testing.T) {
		s := e.buy("EUR_UNL_15D", "CONS-UNL")
		e.tick(2 * time.Hour)
		b := e.consumption(url.Values{"iccid": {s.ICCID}}).Balances[0]
		if b.RemainingData != -1 || b.TotalData != -1 || b.Status != "active" {
			t.Errorf("unlimited %+v", b)
		}
		e.tick(15 * 24 * time.Hour)
		if b := e.consumption(url.Values{"iccid": {s.ICCID}}).Balances[0]; b.Status != "expired" {
			t.Errorf("unlimited after 15 days %+v", b)
		}
	})
	t.Run("CallsAndSMS", func(t *testing.T) {
		s := e.buy("GLB_10GB_30D_CS", "CONS-CS")
		b := e.consumption(url.Values{"iccid": {s.ICCID}}).Balances[0]
		if b.RemainingCalls == nil || *b.RemainingCalls != 200 || b.RemainingSMS == nil || *b.RemainingSMS != 200 {
			t.Fatalf("calls bundle %+v", b)
		}
		e.tick(5 * 24 * time.Hour)
		b = e.consumption(url.Values{"iccid": {s.ICCID}}).Balances[0]
		if *b.RemainingCalls >= 200 || *b.RemainingSMS >= 200 || b.RemainingData >= 10240 {
			t.Errorf("calls bundle after 5 days %+v", b)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		e.get("/Profile/Consumption", nil).wantError(t, http.StatusBadRequest, "At least order_id or iccid is required")
		e.get("/Profile/Consumption", url.Values{"iccid": {s.ICCID}, "order_id": {s.OrderID}}).wantError(t, http.StatusBadRequest, "ICCID and order_id cannot be provided together")
		e.get("/Profile/Consumption", url.Values{"iccid": {"8988300000000000000"}}).wantError(t, http.StatusNotFound, "Profile not found")
		e.get("/Profile/Consumption", url.Values{"order_id": {"000000000000000000000000"}}).wantError(t, http.StatusNotFound, "Profile not found")
	})
}

func TestTopupStandard(t *testing.T) {
	e := newEnv(t, sandbox.Options{ShowGlobalESIMBundles: true})
	catalog := e.srv.Bundles()
	base := e.buy("FRA_5GB_30D", "TOP-BASE")

	eligible := func(ok func(sandbox.Bundle) bool) []string {
		var out []string
		for _, b := range catalog {
			if b.SupportTopup && b.ProfileType == "STANDARD" && ok(b) {
				out = append(out, b.Code)
			}
		}
		return out
	}
	wantFR := eligible(func(b sandbox.Bundle) bool { return b.Category == "country" && b.Countries[0] == "FRA" })
	got := codes(e.bundles("/v2/Bundles/Topup", url.Values{"order_id": {base.OrderID}}))
	if diff := cmp.Diff(wantFR, got); diff != "" {
		t.Errorf("top-ups of a France profile (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(got, codes(e.bundles("/v2/Bundles/Topup", url.Values{"iccid": {base.ICCID}}))); diff != "" {
		t.Errorf("by iccid differs:\n%s", diff)
	}
	if !slices.Contains(got, "FRA_3GB_15D") || slices.Contains(got, "FRA_UNL_7D") || slices.Contains(got, "FRA_5GB_30D_G") {
		t.Errorf("France top-ups %v", got)
	}

	t.Run("OK", func(t *testing.T) {
		before := e.srv.Wallet()
		var s sale
		e.topup("FRA_3GB_15D", base.OrderID, "TOP-1").want(t, http.StatusOK).decode(t, &s)
		if s.ICCID != base.ICCID || s.OrderReference != "TOP-1" || s.OrderID == base.OrderID {
			t.Errorf("top-up %+v of %+v", s, base)
		}
		price := catalogBundle(t, e.srv, func(b sandbox.Bundle) bool { return b.Code == "FRA_3GB_15D" }).PriceFinal
		if got := e.srv.Wallet(); !got.Equal(before.Sub(price)) {
			t.Errorf("wallet %s, want %s", got, before.Sub(price))
		}
		o, _ := e.srv.OrderByReference("TOP-1")
		if o.TopUpOf != base.OrderID || o.ICCID != base.ICCID {
			t.Errorf("top-up order %+v", o)
		}
		// By the previous reference, which may be a top-up's.
		e.post("/Bundles/Topup", map[string]string{"bundle_code": "FRA_1GB_7D", "previous_order_reference": "TOP-1", "order_reference": "TOP-2"}).want(t, http.StatusOK).decode(t, &s)
		if s.ICCID != base.ICCID {
			t.Errorf("top-up by reference on %s, want %s", s.ICCID, base.ICCID)
		}
		c := e.consumption(url.Values{"iccid": {base.ICCID}})
		if len(c.Balances) != 3 || c.Balances[0].OrderID != base.OrderID {
			t.Errorf("consumption after two top-ups %+v", c)
		}
		orders, _ := e.orders(url.Values{"search": {base.ICCID}})
		if diff := cmp.Diff([]string{"TOP-2", "TOP-1", "TOP-BASE"}, refs(orders)); diff != "" {
			t.Errorf("orders on the profile (-want +got):\n%s", diff)
		}
		// Without a reference (the spec requires one; the sandbox makes one).
		e.post("/Bundles/Topup", map[string]string{"bundle_code": "FRA_1GB_7D", "order_id": base.OrderID}, lenient).want(t, http.StatusOK).decode(t, &s)
		if !strings.HasPrefix(s.OrderReference, "SBX-") {
			t.Errorf("generated reference %q", s.OrderReference)
		}
	})
	t.Run("OtherCoverage", func(t *testing.T) {
		for _, tc := range []struct{ base, in, out string }{
			{"EUR_10GB_30D", "EUR_3GB_15D", "ASI_3GB_15D"},
			{"GLB_5GB_30D", "GLB_1GB_7D", "EUR_3GB_15D"},
			{"CRU_3GB_15D", "CRU_3GB_15D", "CRU_1GB_7D"},
		} {
			s := e.buy(tc.base, "BASE-"+tc.base)
			b := catalogBundle(t, e.srv, func(b sandbox.Bundle) bool { return b.Code == tc.base })
			want := eligible(func(x sandbox.Bundle) bool {
				return x.Category == b.Category && (x.Category != "region" || x.RegionCode == b.RegionCode)
			})
			if diff := cmp.Diff(want, codes(e.bundles("/v2/Bundles/Topup", url.Values{"iccid": {s.ICCID}}))); diff != "" {
				t.Errorf("top-ups of %s (-want +got):\n%s", tc.base, diff)
			}
			e.topup(tc.in, s.OrderID, "IN-"+tc.base).want(t, http.StatusOK)
			e.topup(tc.out, s.OrderID, "OUT-"+tc.base).wantError(t, http.StatusBadRequest, "Bundle is not available for top-up on this profile")
		}
	})
	t.Run("Errors", func(t *testing.T) {
		orders := len(e.srv.Orders())
		notForProfile := "Bundle is not available for top-up on this profile"
		for _, tc := range []struct {
			name   string
			body   map[string]string
			status int
			msg    string
		}{
			{"ErrOtherCountry", map[string]string{"bundle_code": "DEU_1GB_7D", "order_id": base.OrderID, "order_reference": "E1"}, 400, notForProfile},
			{"ErrRegionOnCountry", map[string]string{"bundle_code": "EUR_10GB_30D", "order_id": base.OrderID, "order_reference": "E2"}, 400, notForProfile},
			{"ErrGlobalESIMOnStandard", map[string]string{"bundle_code": "EUR_5GB_30D_G", "order_id": base.OrderID, "order_reference": "E3"}, 400, notForProfile},
			{"ErrUnknownBundle", map[string]string{"bundle_code": "NOPE", "order_id": base.OrderID, "order_reference": "E4"}, 400, "Bundle is not available"},
			{"ErrUnknownOrder", map[string]string{"bundle_code": "FRA_1GB_7D", "order_id": "000000000000000000000000", "order_reference": "E5"}, 404, "Profile not found"},
			{"ErrUnknownReference", map[string]string{"bundle_code": "FRA_1GB_7D", "previous_order_reference": "NOPE", "order_reference": "E6"}, 404, "Profile not found"},
			{"ErrNoPrevious", map[string]string{"bundle_code": "FRA_1GB_7D", "order_reference": "E7"}, 400, "At least order_id or previous_order_reference is required"},
			{"ErrBothPrevious", map[string]string{"bundle_code": "FRA_1GB_7D", "order_id": base.OrderID, "previous_order_reference": "TOP-BASE", "order_reference": "E8"}, 400, "order_id and previous_order_reference cannot be provided together"},
			{"ErrNoBundleCode", map[string]string{"order_id": base.OrderID, "order_reference": "E9"}, 400, "bundle_code is required"},
			{"ErrDuplicateReference", map[string]string{"bundle_code": "FRA_1GB_7D", "order_id": base.OrderID, "order_reference": "TOP-BASE"}, 409, "Order reference already exists"},
			{"ErrReferenceTooLong", map[string]string{"bundle_code": "FRA_1GB_7D", "order_id": base.OrderID, "order_reference": strings.Repeat("x", 31)}, 400, "order_reference must be at most 30 characters"},
			{"ErrWhatsApp", map[string]string{"bundle_code": "FRA_1GB_7D", "order_id": base.OrderID, "order_reference": "E10", "whatsapp_number": "+0"}, 400, "whatsapp_number must be in E.164 format, e.g. +33600000000"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.post("/Bundles/Topup", tc.body).wantError(t, tc.status, tc.msg)
			})
		}
		e.post("/Bundles/Topup", "{").wantError(t, http.StatusBadRequest, "Invalid JSON body")
		e.do(http.MethodPost, "/Bundles/Topup", url.Values{"currency_code": {"ABC"}}, map[string]string{"bundle_code": "FRA_1GB_7D", "order_id": base.OrderID, "order_reference": "E11"}).
			wantError(t, http.StatusBadRequest, "currency_code is not supported")

		if err := e.srv.SetBundleAvailable("FRA_1GB_7D", false); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(codes(e.bundles("/v2/Bundles/Topup", url.Values{"order_id": {base.OrderID}})), "FRA_1GB_7D") {
			t.Error("withdrawn FRA_1GB_7D offered as a top-up")
		}
		e.topup("FRA_1GB_7D", base.OrderID, "E12").wantError(t, http.StatusBadRequest, "Bundle is not available")
		_ = e.srv.SetBundleAvailable("FRA_1GB_7D", true)

		e.srv.SetWallet(decimal.Zero)
		e.topup("FRA_1GB_7D", base.OrderID, "E13").wantError(t, http.StatusBadRequest, "Insufficient wallet balance")
		e.srv.SetWallet(decimal.NewFromInt(1000))
		if got := len(e.srv.Orders()); got != orders {
			t.Errorf("%d orders after refused top-ups, want %d", got, orders)
		}

		e.get("/v2/Bundles/Topup", nil).wantError(t, http.StatusBadRequest, "At least order_id or iccid is required")
		e.get("/v2/Bundles/Topup", url.Values{"iccid": {base.ICCID}, "order_id": {base.OrderID}}).wantError(t, http.StatusBadRequest, "ICCID and order_id cannot be provided together")
		e.get("/v2/Bundles/Topup", url.Values{"iccid": {"8900"}}).wantError(t, http.StatusNotFound, "Profile not found")
		e.get("/v2/Bundles/Topup", url.Values{"iccid": {base.ICCID}, "page_size": {"x"}}).wantError(t, http.StatusBadRequest, "page_size must be a positive integer")
	})
}

func TestTopupGlobalESIM(t *testing.T) {
	e := newEnv(t, sandbox.Options{ShowGlobalESIMBundles: true})
	var want []string
	for _, b := range e.srv.Bundles() {
		if b.ProfileType == "GLOBAL_ESIM" && b.SupportTopup {
			want = append(want, b.Code)
		}
	}
	g := e.buy("EUR_5GB_30D_G", "G-BASE")
	got := codes(e.bundles("/v2/Bundles/Topup", url.Values{"iccid": {g.ICCID}}))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Global eSIM top-ups (-want +got):\n%s", diff)
	}
	cats := map[string]bool{}
	for _, b := range e.srv.Bundles() {
		if slices.Contains(got, b.Code) {
			cats[b.Category] = true
		}
	}
	if len(cats) != 4 {
		t.Errorf("Global eSIM top-ups span %v, want every category", cats)
	}
	var s sale
	e.topup("ASI_10GB_30D_G", g.OrderID, "G-TOP-1").want(t, http.StatusOK).decode(t, &s)
	if s.ICCID != g.ICCID {
		t.Errorf("Global eSIM top-up on %s, want %s", s.ICCID, g.ICCID)
	}
	e.topup("GLB_3GB_30D_G", g.OrderID, "G-TOP-2").want(t, http.StatusOK)
	e.topup("FRA_5GB_30D", g.OrderID, "G-TOP-3").wantError(t, http.StatusBadRequest, "Bundle is not available for top-up on this profile")
	orders, _ := e.orders(url.Values{"global_esim": {"true"}})
	if len(orders) != 3 {
		t.Errorf("%d Global eSIM orders, want 3", len(orders))
	}

	e.srv.SetShowGlobalESIMBundles(false)
	if got := e.bundles("/v2/Bundles/Topup", url.Values{"iccid": {g.ICCID}}); len(got) != 0 {
		t.Errorf("flag off: %d Global eSIM top-ups offered", len(got))
	}
	e.topup("ASI_10GB_30D_G", g.OrderID, "G-TOP-4").wantError(t, http.StatusBadRequest, "Feature not supported")
}

func TestICCIDs(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	lengths := map[int]int{}
	seen := map[string]bool{}
	for i := range 12 {
		s := e.buy("FRA_1GB_7D", fmt.Sprintf("ICCID-%d", i))
		if seen[s.ICCID] || seen[s.OrderID] {
			t.Errorf("ICCID %s or order %s reused", s.ICCID, s.OrderID)
		}
		seen[s.ICCID], seen[s.OrderID] = true, true
		if !strings.HasPrefix(s.ICCID, "89") || !luhnValid(s.ICCID) {
			t.Errorf("ICCID %s is not a valid ICCID", s.ICCID)
		}
		lengths[len(s.ICCID)]++
	}
	if lengths[19] == 0 || lengths[20] == 0 || len(lengths) != 2 {
		t.Errorf("ICCID lengths %v, want mostly 19 and a few 20", lengths)
	}
}

func TestConcurrentSales(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	price := catalogBundle(t, e.srv, func(b sandbox.Bundle) bool { return b.Code == "FRA_1GB_7D" }).PriceFinal
	e.srv.SetWallet(price.Mul(decimal.NewFromInt(10)))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.try(http.MethodPost, "/Bundle", nil, assignBody("FRA_1GB_7D", fmt.Sprintf("RACE-%d", i)))
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = e.try(http.MethodGet, "/Orders", nil, nil)
			_ = e.srv.Orders()
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[200] != 10 || statuses[400] != 20 {
		t.Errorf("statuses %v, want 10 sales and 20 refusals", statuses)
	}
	if !e.srv.Wallet().IsZero() {
		t.Errorf("wallet %s, want 0", e.srv.Wallet())
	}
	ids := map[string]bool{}
	for _, o := range e.srv.Orders() {
		ids[o.ID], ids[o.ICCID] = true, true
	}
	if len(ids) != 20 {
		t.Errorf("%d distinct IDs and ICCIDs for 10 sales", len(ids))
	}
}

func TestQuirks(t *testing.T) {
	t.Run("NumbersAsStrings", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{Quirks: sandbox.Quirks{NumbersAsStrings: true}})
		var page struct {
			Bundles []map[string]any `json:"bundles"`
		}
		e.get("/Bundles", url.Values{"region_code": {"EUR"}, "bundle_category": {"region"}}).want(t, http.StatusOK).decode(t, &page)
		money := regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`)
		unlimited := 0
		for _, b := range page.Bundles {
			for _, k := range []string{"bundle_price_final", "reseller_retail_price", "subscriber_price"} {
				if s, ok := b[k].(string); !ok || !money.MatchString(s) {
					t.Errorf("%s = %#v, want a string with two decimals", k, b[k])
				}
			}
			if _, ok := b["validity"].(string); !ok {
				t.Errorf("validity %#v", b["validity"])
			}
			switch b["data_quota"] {
			case "unlimited":
				unlimited++
			case "3072", "5120", "10240", "20480":
			default:
				t.Errorf("data_quota %#v", b["data_quota"])
			}
		}
		if unlimited == 0 {
			t.Error("no \"unlimited\" data_quota")
		}
		m := e.post("/Bundle", assignBody("EUR_3GB_15D", "Q-1")).want(t, http.StatusOK).obj(t)
		if _, ok := m["remaining_wallet_balance"].(string); !ok {
			t.Errorf("remaining_wallet_balance %#v", m["remaining_wallet_balance"])
		}
		if _, ok := m["remaining_wallet_balance_in_additional_currency"].(string); !ok {
			t.Errorf("remaining_wallet_balance_in_additional_currency %#v", m["remaining_wallet_balance_in_additional_currency"])
		}
		o := e.get("/Orders", nil).obj(t)["orders"].([]any)[0].(map[string]any)
		if _, ok := o["amount_charged"].(string); !ok {
			t.Errorf("amount_charged %#v", o["amount_charged"])
		}
	})
	t.Run("IDsAsIntegers", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{Quirks: sandbox.Quirks{IDsAsIntegers: true}})
		l := e.post("/Agent/login", map[string]string{"username": "demo", "password": "demo"}).want(t, http.StatusOK).obj(t)
		id, ok := l["reseller_id"].(json.Number)
		if !ok {
			t.Fatalf("reseller_id %#v, want a number", l["reseller_id"])
		}
		m := e.post("/Bundle", assignBody("FRA_1GB_7D", "Q-1")).want(t, http.StatusOK).obj(t)
		if m["reseller_id"] != id || m["response_code"] != json.Number("1") {
			t.Errorf("reseller_id %#v (login %s), response_code %#v", m["reseller_id"], id, m["response_code"])
		}
		if code := e.get("/Nope", nil).obj(t)["response_code"]; code != json.Number("0") {
			t.Errorf("error response_code %#v", code)
		}
	})
	t.Run("ExpiresInUnix", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{Quirks: sandbox.Quirks{ExpiresInUnix: true}})
		var tok struct {
			Refresh   string `json:"refresh_token"`
			ExpiresIn int64  `json:"expires_in"`
			RefreshIn int64  `json:"refresh_expires_in"`
		}
		e.post("/Agent/login", map[string]string{"username": "demo", "password": "demo"}).want(t, http.StatusOK).decode(t, &tok)
		if tok.ExpiresIn != start.Add(time.Hour).Unix() || tok.RefreshIn != start.Add(24*time.Hour).Unix() {
			t.Errorf("expires_in %d, refresh_expires_in %d", tok.ExpiresIn, tok.RefreshIn)
		}
		e.clock.Advance(time.Minute)
		e.post("/Token/Refresh", map[string]string{"refresh_token": tok.Refresh}).want(t, http.StatusOK).decode(t, &tok)
		if tok.ExpiresIn != start.Add(61*time.Minute).Unix() {
			t.Errorf("refreshed expires_in %d", tok.ExpiresIn)
		}
	})
	t.Run("BareActivationCode", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{Quirks: sandbox.Quirks{BareActivationCode: true}})
		e.buy("FRA_1GB_7D", "Q-1")
		orders, _ := e.orders(nil)
		if o := orders[0]; o.ActivationCode == nil || o.MatchingID == nil || *o.ActivationCode != *o.MatchingID {
			t.Errorf("activation_code %v, matching_id %v", o.ActivationCode, o.MatchingID)
		}
	})
	t.Run("Currency", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{Currency: "eur"})
		b := catalogBundle(t, e.srv, func(b sandbox.Bundle) bool { return true })
		if b.Currency != "EUR" {
			t.Errorf("currency %s", b.Currency)
		}
		m := e.do(http.MethodPost, "/Bundle", url.Values{"currency_code": {"USD"}}, assignBody("FRA_1GB_7D", "Q-1")).want(t, http.StatusOK).obj(t)
		if got, want := num(t, m["remaining_wallet_balance_in_additional_currency"]), num(t, m["remaining_wallet_balance"]).Div(decimal.RequireFromString("0.92")).Round(2); !got.Equal(want) {
			t.Errorf("USD balance %s, want %s", got, want)
		}
		x := newEnv(t, sandbox.Options{Currency: "XTS"})
		x.do(http.MethodPost, "/Bundle", url.Values{"currency_code": {"USD"}}, assignBody("FRA_1GB_7D", "Q-1")).wantError(t, http.StatusBadRequest, "currency_code is not supported")
		x.do(http.MethodPost, "/Bundle", url.Values{"currency_code": {"XTS"}}, assignBody("FRA_1GB_7D", "Q-2")).want(t, http.StatusOK)
	})
}
