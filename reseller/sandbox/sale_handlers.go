package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Handlers of sales: assigning a bundle and topping up.

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
	if rep := s.changed(o, undo); rep != nil {
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

// topupRequest is the body of a top-up.
type topupRequest struct {
	BundleCode             string `json:"bundle_code"`
	OrderID                string `json:"order_id"`
	PreviousOrderReference string `json:"previous_order_reference"`
	OrderReference         string `json:"order_reference"`
	WhatsAppNumber         string `json:"whatsapp_number"`
}

// check refuses a top-up request that lacks a field or names the profile
// twice, or whose reference or WhatsApp number is malformed.
func (req *topupRequest) check() *reply {
	switch {
	case req.BundleCode == "":
		return badRequest("bundle_code is required")
	case req.OrderID == "" && req.PreviousOrderReference == "":
		return badRequest("At least order_id or previous_order_reference is required")
	case req.OrderID != "" && req.PreviousOrderReference != "":
		return badRequest("order_id and previous_order_reference cannot be provided together")
	}
	return checkReference(req.OrderReference, req.WhatsAppNumber)
}

func (s *Server) topup(r *http.Request) reply {
	var req topupRequest
	if rep := decodeBody(r, &req); rep != nil {
		return *rep
	}
	if rep := req.check(); rep != nil {
		return *rep
	}
	cur, rep := s.previewCurrency(r.URL.Query())
	if rep != nil {
		return *rep
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	p, rep := s.topupProfile(&req)
	if rep != nil {
		return *rep
	}
	b, rep := s.saleChecks(req.OrderReference, req.BundleCode)
	if rep != nil {
		return *rep
	}
	if !slices.Contains(s.topupBundles(p), b) {
		return errorReply(http.StatusBadRequest, "Bundle unavailable", "Bundle is not available for top-up on this profile")
	}
	if rep := s.checkWallet(b); rep != nil {
		return *rep
	}
	o, undo := s.sell(b, p, req.OrderReference, "", "", req.WhatsAppNumber)
	if rep := s.changed(o, undo); rep != nil {
		return *rep
	}
	return s.saleReply(o, cur)
}

// topupProfile returns the profile req tops up, refusing a reference
// already used. The caller holds s.mu.
func (s *Server) topupProfile(req *topupRequest) (*profile, *reply) {
	if _, dup := s.ordersByRef[req.OrderReference]; req.OrderReference != "" && dup {
		r := errorReply(http.StatusConflict, "Conflict", "Order reference already exists")
		return nil, &r
	}
	prev, ok := s.ordersByID[req.OrderID]
	if req.PreviousOrderReference != "" {
		prev, ok = s.ordersByRef[req.PreviousOrderReference]
	}
	if !ok {
		return nil, profileNotFound()
	}
	return s.profiles[prev.ICCID], nil
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
