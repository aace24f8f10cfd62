package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// decodeBody reads a JSON request body into v.
func decodeBody(r *http.Request, v any) *reply {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
		return badRequest("Invalid JSON body")
	}
	return nil
}

// ---- authentication ----

func (s *Server) login(r *http.Request) reply {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if rep := decodeBody(r, &req); rep != nil {
		return *rep
	}
	switch {
	case req.Username == "":
		return *badRequest("username is required")
	case req.Password == "":
		return *badRequest("password is required")
	}
	userOK := subtle.ConstantTimeCompare([]byte(req.Username), []byte(s.opts.Username))
	passOK := subtle.ConstantTimeCompare([]byte(req.Password), []byte(s.opts.Password))
	if userOK&passOK != 1 {
		return errorReply(http.StatusUnauthorized, "Unauthorized", "Invalid username or password")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.issueTokens()
	out.ResellerID = s.resellerID()
	out.Role = "reseller"
	show := s.showGlobal
	out.ShowGlobal = &show
	return reply{http.StatusOK, out}
}

func (s *Server) refreshToken(r *http.Request) reply {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if rep := decodeBody(r, &req); rep != nil {
		return *rep
	}
	if req.RefreshToken == "" {
		return *badRequest("refresh_token is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.refresh[req.RefreshToken]
	if !ok || !s.now().Before(exp) {
		return errorReply(http.StatusUnauthorized, "Unauthorized", "Invalid refresh token")
	}
	delete(s.refresh, req.RefreshToken) // rotation: the old one stops working
	return reply{http.StatusOK, s.issueTokens()}
}

// issueTokens creates an access and a refresh token, forgetting expired
// ones. The caller holds s.mu.
func (s *Server) issueTokens() tokensJSON {
	now := s.now()
	for tok, exp := range s.access {
		if !now.Before(exp) {
			delete(s.access, tok)
		}
	}
	for tok, exp := range s.refresh {
		if !now.Before(exp) {
			delete(s.refresh, tok)
		}
	}
	access, refresh := newToken("at"), newToken("rt")
	s.access[access] = now.Add(s.opts.AccessTTL)
	s.refresh[refresh] = now.Add(s.opts.RefreshTTL)
	return tokensJSON{
		AccessToken:      access,
		RefreshToken:     refresh,
		TokenType:        "Bearer",
		ExpiresIn:        s.lifetime(s.opts.AccessTTL, now),
		RefreshExpiresIn: s.lifetime(s.opts.RefreshTTL, now),
	}
}

// ---- catalog ----

// visible reports whether b may be listed or sold now. The caller holds s.mu.
func (s *Server) visible(b *Bundle) bool {
	return b.Available && (b.ProfileType == ProfileStandard || s.showGlobal)
}

// typeFilter reads profile_type and iccid and returns a predicate over
// profile types. The caller holds s.mu.
func (s *Server) typeFilter(q url.Values) (func(string) bool, *reply) {
	pt := q.Get("profile_type")
	switch pt {
	case "", ProfileStandard:
	case ProfileGlobalESIM:
		if !s.showGlobal {
			return nil, featureNotSupported()
		}
	default:
		return nil, badRequest("profile_type must be STANDARD or GLOBAL_ESIM")
	}
	var fromICCID string
	if iccid := q.Get("iccid"); iccid != "" {
		p, ok := s.profiles[iccid]
		if !ok {
			return nil, profileNotFound()
		}
		fromICCID = p.profileType
	}
	return func(t string) bool {
		return (pt == "" || t == pt) && (fromICCID == "" || t == fromICCID)
	}, nil
}

func (s *Server) listBundles(r *http.Request) reply {
	q := r.URL.Query()
	pg, rep := parsePage(q)
	if rep != nil {
		return *rep
	}
	category := q.Get("bundle_category")
	switch category {
	case "", CategoryCountry, CategoryRegion, CategoryGlobal, CategoryCruise:
	default:
		return *badRequest("bundle_category must be one of global, region, country, cruise")
	}
	countryCode := strings.ToUpper(q.Get("country_code"))
	regionCode := strings.ToUpper(q.Get("region_code"))

	s.mu.Lock()
	defer s.mu.Unlock()
	typeOK, rep := s.typeFilter(q)
	if rep != nil {
		return *rep
	}
	var match []*Bundle
	for _, b := range s.cat.bundles {
		if !s.visible(b) || !typeOK(b.ProfileType) ||
			(category != "" && b.Category != category) ||
			(regionCode != "" && b.RegionCode != regionCode) ||
			(countryCode != "" && !covers(b, countryCode)) {
			continue
		}
		match = append(match, b)
	}
	return s.bundleList(match, pg)
}

func covers(b *Bundle, iso3 string) bool {
	for _, c := range b.Countries {
		if c == iso3 {
			return true
		}
	}
	return false
}

// bundleList answers a page of bundles. The caller holds s.mu.
func (s *Server) bundleList(match []*Bundle, pg page) reply {
	items := make([]bundleJSON, 0, pg.size)
	for _, b := range paginate(match, pg) {
		items = append(items, s.bundleJSON(b))
	}
	return list(s, "bundles", "total_bundles_count", items, len(match))
}

func (s *Server) listNetworks(r *http.Request) reply {
	code := r.URL.Query().Get("bundle_code")
	if code == "" {
		return *badRequest("bundle_code is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.cat.byCode[code]
	if !ok {
		return errorReply(http.StatusNotFound, "Not Found", "Bundle not found")
	}
	var items []networkJSON
	for _, n := range s.cat.networksOf(b) {
		items = append(items, networkJSON{CountryCode: n.CountryCode, CountryName: n.CountryName, NetworkName: n.Name, NetworkSpeed: n.Speed})
	}
	return list(s, "networks", "", items, len(items))
}

// coverageBundles returns the visible country and region bundles whose
// profile type passes typeOK. The caller holds s.mu.
func (s *Server) coverageBundles(typeOK func(string) bool) []*Bundle {
	var out []*Bundle
	for _, b := range s.cat.bundles {
		if s.visible(b) && typeOK(b.ProfileType) && (b.Category == CategoryCountry || b.Category == CategoryRegion) {
			out = append(out, b)
		}
	}
	return out
}

func (s *Server) listCountries(r *http.Request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	typeOK, rep := s.typeFilter(r.URL.Query())
	if rep != nil {
		return *rep
	}
	covered := map[string]bool{}
	for _, b := range s.coverageBundles(typeOK) {
		for _, c := range b.Countries {
			covered[c] = true
		}
	}
	var items []countryJSON
	for _, c := range s.cat.countries {
		if covered[c.iso3] {
			items = append(items, countryJSON{CountryCode: c.iso3, ISO2Code: c.iso2, CountryName: c.name, RegionCode: c.region})
		}
	}
	return list(s, "countries", "", items, len(items))
}

func (s *Server) listRegions(r *http.Request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	typeOK, rep := s.typeFilter(r.URL.Query())
	if rep != nil {
		return *rep
	}
	covered := map[string]bool{}
	for _, b := range s.coverageBundles(typeOK) {
		covered[b.RegionCode] = true
	}
	var items []regionJSON
	for _, rg := range regions {
		if covered[rg.code] {
			items = append(items, regionJSON{RegionCode: rg.code, RegionName: rg.name})
		}
	}
	return list(s, "regions", "", items, len(items))
}

// ---- profiles ----

// findProfile reads exactly one of iccid and order_id. The caller holds s.mu.
func (s *Server) findProfile(q url.Values) (*profile, *reply) {
	iccid, orderID := q.Get("iccid"), q.Get("order_id")
	switch {
	case iccid == "" && orderID == "":
		return nil, badRequest("At least order_id or iccid is required")
	case iccid != "" && orderID != "":
		return nil, badRequest("ICCID and order_id cannot be provided together")
	}
	if orderID != "" {
		o, ok := s.ordersByID[orderID]
		if !ok {
			return nil, profileNotFound()
		}
		iccid = o.ICCID
	}
	p, ok := s.profiles[iccid]
	if !ok {
		return nil, profileNotFound()
	}
	return p, nil
}

// The profile's life after its activation data appears.
const (
	downloadedAfter = 10 * time.Minute
	activeAfter     = time.Hour
)

func (s *Server) consumption(r *http.Request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, rep := s.findProfile(r.URL.Query())
	if rep != nil {
		return *rep
	}
	now := s.now()
	ready := p.orders[0].ReadyAt
	activeAt := ready.Add(activeAfter)
	out := consumptionJSON{ICCID: p.iccid, ProfileStatus: "active"}
	switch {
	case now.Before(ready.Add(downloadedAfter)):
		out.ProfileStatus = "released"
	case now.Before(activeAt):
		out.ProfileStatus = "downloaded"
	}
	var expiry time.Time
	for _, o := range p.orders {
		if o.ExpiresAt.After(expiry) {
			expiry = o.ExpiresAt
		}
		out.OrdersBalances = append(out.OrdersBalances, balance(o, s.cat.byCode[o.BundleCode], activeAt, now))
	}
	out.ProfileExpiryDate = timestamp(expiry)
	return reply{http.StatusOK, out}
}

// balance computes what remains of an order: usage runs from the moment
// the profile is active (or the order is made, if later) until its expiry,
// at a steady rate of 4 to 12 % of the total per day.
func balance(o *Order, b *Bundle, activeAt, now time.Time) balanceJSON {
	start := o.CreatedAt
	if activeAt.After(start) {
		start = activeAt
	}
	end := now
	if o.ExpiresAt.Before(end) {
		end = o.ExpiresAt
	}
	elapsed := max(int64(end.Sub(start)/time.Second), 0)
	rate := consumptionRate(o.ID)
	remaining := func(total int) int64 {
		used := int64(total) * rate * elapsed / (100 * 86400)
		return max(int64(total)-used, 0)
	}
	out := balanceJSON{
		OrderID:    o.ID,
		BundleCode: o.BundleCode,
		ExpiryDate: timestamp(o.ExpiresAt),
		Status:     "active",
	}
	if b.Unlimited {
		out.RemainingData, out.TotalData = -1, -1
	} else {
		out.RemainingData, out.TotalData = remaining(b.DataMB), int64(b.DataMB)
	}
	if b.SupportsCallsSMS {
		calls, sms := remaining(b.CallsMinutes), remaining(b.SMSCount)
		out.RemainingCalls, out.RemainingSMS = &calls, &sms
	}
	switch {
	case !now.Before(o.ExpiresAt):
		out.Status = "expired"
	case !b.Unlimited && out.RemainingData == 0:
		out.Status = "depleted"
	case now.Before(start):
		out.Status = "pending" // not started: the profile is not in use yet
	}
	return out
}

// consumptionRate returns the order's usage in percent of the total per
// day, 4 to 12, derived from its ID.
func consumptionRate(orderID string) int64 {
	n, err := strconv.ParseUint(orderID[:8], 16, 32)
	if err != nil {
		return 8
	}
	return 4 + int64(n%9)
}

// topupBundles returns the visible bundles that can top up p. The caller
// holds s.mu.
func (s *Server) topupBundles(p *profile) []*Bundle {
	var out []*Bundle
	for _, b := range s.cat.bundles {
		if !s.visible(b) || !b.SupportTopup || b.ProfileType != p.profileType {
			continue
		}
		if p.profileType == ProfileGlobalESIM || sameCoverage(b, p.base) {
			out = append(out, b)
		}
	}
	return out
}

func (s *Server) listTopupBundles(r *http.Request) reply {
	q := r.URL.Query()
	pg, rep := parsePage(q)
	if rep != nil {
		return *rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, rep := s.findProfile(q)
	if rep != nil {
		return *rep
	}
	return s.bundleList(s.topupBundles(p), pg)
}

// ---- orders ----

func (s *Server) listOrders(r *http.Request) reply {
	q := r.URL.Query()
	pg, rep := parsePage(q)
	if rep != nil {
		return *rep
	}
	var from, to string
	for _, d := range []struct {
		name string
		v    *string
	}{{"from_date", &from}, {"to_date", &to}} {
		v := q.Get(d.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return *badRequest(d.name + " must be a date (YYYY-MM-DD)")
		}
		*d.v = t.Format(time.DateOnly)
	}
	globalFilter := ""
	if v := q.Get("global_esim"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return *badRequest("global_esim must be true or false")
		}
		globalFilter = strconv.FormatBool(b)
	}
	ref := q.Get("order_reference")
	search := strings.ToLower(q.Get("search"))

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var match []*Order
	for i := len(s.orders) - 1; i >= 0; i-- {
		o := s.orders[i]
		day := o.CreatedAt.UTC().Format(time.DateOnly)
		if (ref != "" && o.Reference != ref) ||
			(from != "" && day < from) ||
			(to != "" && day > to) ||
			(globalFilter != "" && strconv.FormatBool(o.ProfileType == ProfileGlobalESIM) != globalFilter) ||
			(search != "" && !matchesSearch(o, search)) {
			continue
		}
		match = append(match, o)
	}
	sort.SliceStable(match, func(i, j int) bool { return match[i].CreatedAt.After(match[j].CreatedAt) })
	items := make([]orderJSON, 0, pg.size)
	for _, o := range paginate(match, pg) {
		items = append(items, s.orderJSON(o, now))
	}
	return list(s, "orders", "total_orders_count", items, len(match))
}

func matchesSearch(o *Order, lowered string) bool {
	for _, f := range []string{o.Reference, o.ICCID, o.BundleCode, o.BundleMarketingName, o.Email} {
		if strings.Contains(strings.ToLower(f), lowered) {
			return true
		}
	}
	return false
}

// ---- sales ----

var (
	e164     = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	currency = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ratesPerUSD are the sandbox's fixed, fictional exchange rates for the
// currency_code preview of a sale.
var ratesPerUSD = map[string]string{
	"USD": "1", "EUR": "0.92", "GBP": "0.79", "CHF": "0.88", "SAR": "3.75",
	"AED": "3.6725", "QAR": "3.64", "KWD": "0.31", "EGP": "48.50", "MAD": "10.00",
	"TRY": "32.50", "JPY": "150.00", "CAD": "1.36", "AUD": "1.52", "INR": "83.00",
	"XOF": "605.00",
}

// convert returns amount, in the sandbox currency, in currency to.
func (s *Server) convert(amount decimal.Decimal, to string) (decimal.Decimal, bool) {
	if to == s.opts.Currency {
		return amount, true
	}
	from, ok1 := ratesPerUSD[s.opts.Currency]
	dst, ok2 := ratesPerUSD[to]
	if !ok1 || !ok2 {
		return decimal.Decimal{}, false
	}
	return amount.Mul(decimal.RequireFromString(dst)).Div(decimal.RequireFromString(from)).Round(2), true
}

// previewCurrency reads currency_code.
func (s *Server) previewCurrency(q url.Values) (string, *reply) {
	c := strings.ToUpper(q.Get("currency_code"))
	if c == "" {
		return s.opts.Currency, nil
	}
	if !currency.MatchString(c) {
		return "", badRequest("currency_code must be an ISO 4217 code")
	}
	if _, ok := s.convert(decimal.Zero, c); !ok {
		return "", badRequest("currency_code is not supported")
	}
	return c, nil
}

func checkReference(ref, whatsapp string) *reply {
	if len(ref) > 30 {
		return badRequest("order_reference must be at most 30 characters")
	}
	if whatsapp != "" && !e164.MatchString(whatsapp) {
		return badRequest("whatsapp_number must be in E.164 format, e.g. +33600000000")
	}
	return nil
}

func plausibleEmail(e string) bool {
	at := strings.LastIndexByte(e, '@')
	if at < 1 || strings.ContainsAny(e, " \t\r\n<>,;") {
		return false
	}
	domain := e[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && dot < len(domain)-1
}

func (s *Server) assign(r *http.Request) reply {
	var req struct {
		BundleCode     string `json:"bundle_code"`
		Email          string `json:"email"`
		Name           string `json:"name"`
		OrderReference string `json:"order_reference"`
		WhatsAppNumber string `json:"whatsapp_number"`
	}
	if rep := decodeBody(r, &req); rep != nil {
		return *rep
	}
	switch {
	case req.BundleCode == "":
		return *badRequest("bundle_code is required")
	case strings.TrimSpace(req.Email) == "":
		return *badRequest("email is required")
	case !plausibleEmail(req.Email):
		return *badRequest("email is not a valid email address")
	case strings.TrimSpace(req.Name) == "":
		return *badRequest("name is required")
	}
	if rep := checkReference(req.OrderReference, req.WhatsAppNumber); rep != nil {
		return *rep
	}
	cur, rep := s.previewCurrency(r.URL.Query())
	if rep != nil {
		return *rep
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	b, rep := s.saleChecks(req.OrderReference, req.BundleCode)
	if rep != nil {
		return *rep
	}
	if rep := s.checkWallet(b); rep != nil {
		return *rep
	}
	o, undo := s.sell(b, nil, req.OrderReference, req.Email, req.Name, req.WhatsAppNumber)
	if rep := s.changed(undo); rep != nil {
		return *rep
	}
	return s.saleReply(o, cur)
}

// saleChecks checks the order reference, then the bundle. The caller holds
// s.mu.
func (s *Server) saleChecks(ref, code string) (*Bundle, *reply) {
	if _, dup := s.ordersByRef[ref]; ref != "" && dup {
		r := errorReply(http.StatusConflict, "Conflict", "Order reference already exists")
		return nil, &r
	}
	b, ok := s.cat.byCode[code]
	if !ok || !b.Available {
		r := errorReply(http.StatusBadRequest, "Bundle unavailable", "Bundle is not available")
		return nil, &r
	}
	if b.ProfileType == ProfileGlobalESIM && !s.showGlobal {
		return nil, featureNotSupported()
	}
	return b, nil
}

// checkWallet refuses a sale the wallet cannot pay. The caller holds s.mu.
func (s *Server) checkWallet(b *Bundle) *reply {
	if s.wallet.LessThan(b.PriceFinal) {
		r := errorReply(http.StatusBadRequest, "Insufficient balance", "Insufficient wallet balance")
		return &r
	}
	return nil
}

func (s *Server) topup(r *http.Request) reply {
	var req struct {
		BundleCode             string `json:"bundle_code"`
		OrderID                string `json:"order_id"`
		PreviousOrderReference string `json:"previous_order_reference"`
		OrderReference         string `json:"order_reference"`
		WhatsAppNumber         string `json:"whatsapp_number"`
	}
	if rep := decodeBody(r, &req); rep != nil {
		return *rep
	}
	switch {
	case req.BundleCode == "":
		return *badRequest("bundle_code is required")
	case req.OrderID == "" && req.PreviousOrderReference == "":
		return *badRequest("At least order_id or previous_order_reference is required")
	case req.OrderID != "" && req.PreviousOrderReference != "":
		return *badRequest("order_id and previous_order_reference cannot be provided together")
	}
	if rep := checkReference(req.OrderReference, req.WhatsAppNumber); rep != nil {
		return *rep
	}
	cur, rep := s.previewCurrency(r.URL.Query())
	if rep != nil {
		return *rep
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.ordersByRef[req.OrderReference]; req.OrderReference != "" && dup {
		return errorReply(http.StatusConflict, "Conflict", "Order reference already exists")
	}
	prev, ok := s.ordersByID[req.OrderID]
	if req.PreviousOrderReference != "" {
		prev, ok = s.ordersByRef[req.PreviousOrderReference]
	}
	if !ok {
		return *profileNotFound()
	}
	p := s.profiles[prev.ICCID]
	b, rep := s.saleChecks(req.OrderReference, req.BundleCode)
	if rep != nil {
		return *rep
	}
	eligible := false
	for _, t := range s.topupBundles(p) {
		eligible = eligible || t == b
	}
	if !eligible {
		return errorReply(http.StatusBadRequest, "Bundle unavailable", "Bundle is not available for top-up on this profile")
	}
	if rep := s.checkWallet(b); rep != nil {
		return *rep
	}
	o, undo := s.sell(b, p, req.OrderReference, "", "", req.WhatsAppNumber)
	if rep := s.changed(undo); rep != nil {
		return *rep
	}
	return s.saleReply(o, cur)
}

// sell charges the wallet and records an order of b, on a new profile when
// p is nil, and returns the order and a function that undoes the sale
// (sequence included). The caller holds s.mu and has made every check.
func (s *Server) sell(b *Bundle, p *profile, ref, email, name, whatsapp string) (*Order, func()) {
	seq, _ := s.ids.src.MarshalBinary() // never fails
	generatedRefs, newProfile := s.generatedRefs, p == nil
	now := s.now()
	for ref == "" || s.ordersByRef[ref] != nil {
		s.generatedRefs++
		ref = fmt.Sprintf("SBX-%06d", s.generatedRefs)
	}
	id := s.ids.hex24()
	for s.ordersByID[id] != nil {
		id = s.ids.hex24()
	}
	if p == nil {
		digits := 19
		if (len(s.profiles)+1)%5 == 0 {
			digits = 20 // a few deployments issue 20-digit ICCIDs
		}
		iccid := s.ids.iccid(digits)
		for s.profiles[iccid] != nil {
			iccid = s.ids.iccid(digits)
		}
		p = &profile{iccid: iccid, profileType: b.ProfileType, base: b, matchingID: s.ids.matchingID()}
		s.profiles[iccid] = p
	}
	o := &Order{
		ID:                  id,
		Reference:           ref,
		BundleCode:          b.Code,
		BundleMarketingName: b.MarketingName,
		ICCID:               p.iccid,
		ProfileType:         p.profileType,
		Email:               email,
		Name:                name,
		WhatsApp:            whatsapp,
		Amount:              b.PriceFinal,
		Currency:            b.Currency,
		CreatedAt:           now,
		ExpiresAt:           now.Add(time.Duration(b.ValidityDays) * 24 * time.Hour),
		ReadyAt:             now.Add(s.opts.ActivationDelay),
		SMDPAddress:         SMDPAddress,
		MatchingID:          p.matchingID,
		ActivationCode:      "LPA:1$" + SMDPAddress + "$" + p.matchingID,
		PlanUID:             s.ids.uuid(),
	}
	if len(p.orders) > 0 {
		o.TopUpOf = p.orders[0].ID
	}
	p.orders = append(p.orders, o)
	s.orders = append(s.orders, o)
	s.ordersByID[id] = o
	s.ordersByRef[ref] = o
	s.wallet = s.wallet.Sub(b.PriceFinal)
	undo := func() {
		s.wallet = s.wallet.Add(b.PriceFinal)
		delete(s.ordersByRef, ref)
		delete(s.ordersByID, id)
		s.orders = s.orders[:len(s.orders)-1]
		p.orders = p.orders[:len(p.orders)-1]
		if newProfile {
			delete(s.profiles, p.iccid)
		}
		s.generatedRefs = generatedRefs
		_ = s.ids.src.UnmarshalBinary(seq) // the bytes MarshalBinary gave
	}
	return o, undo
}

// saleReply is the answer to a successful sale. The caller holds s.mu.
func (s *Server) saleReply(o *Order, cur string) reply {
	other, _ := s.convert(s.wallet, cur)
	return reply{http.StatusOK, saleJSON{
		Title:                    "Success",
		Message:                  "Bundle Assigned Successfully",
		DeveloperMessage:         "Operation Successful",
		ResponseCode:             s.responseCode(1),
		OrderID:                  o.ID,
		OrderReference:           o.Reference,
		ICCID:                    o.ICCID,
		ResellerID:               s.resellerID(),
		RemainingWalletBalance:   s.money(s.wallet),
		RemainingInOtherCurrency: s.money(other),
		AdditionalCurrencyCode:   cur,
	}}
}
