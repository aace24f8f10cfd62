package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// reply is a handler's answer: a status and a JSON body (nil: no body).
type reply struct {
	status int
	body   any
}

// errorBody is the sandbox's error shape, with every message field the
// document mentions.
type errorBody struct {
	Title            string `json:"title"`
	Message          string `json:"message"`
	DeveloperMessage string `json:"developer_message"`
	Detail           string `json:"detail"`
	ResponseCode     any    `json:"response_code"`
}

func errorReply(status int, title, message string) reply {
	return reply{status, errorBody{Title: title, Message: message, DeveloperMessage: message, Detail: message}}
}

func badRequest(message string) *reply {
	r := errorReply(http.StatusBadRequest, "Bad Request", message)
	return &r
}

func featureNotSupported() *reply {
	r := errorReply(http.StatusBadRequest, "Feature not supported", "Feature not supported")
	return &r
}

func profileNotFound() *reply {
	r := errorReply(http.StatusNotFound, "Not Found", "Profile not found")
	return &r
}

// write sends a reply as JSON.
func (s *Server) write(w http.ResponseWriter, rep reply) {
	if e, ok := rep.body.(errorBody); ok {
		e.ResponseCode = s.responseCode(0)
		rep.body = e
	}
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep.body); err != nil {
		// Only a bug can get here: every body is made of plain types.
		http.Error(w, `{"title":"Internal Server Error","message":"encoding failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(rep.status)
	_, _ = w.Write(buf.Bytes())
}

// money encodes an amount with two decimals, as a JSON number or, with the
// NumbersAsStrings quirk, a string.
func (s *Server) money(d decimal.Decimal) any {
	str := d.StringFixed(2)
	if s.opts.Quirks.NumbersAsStrings {
		return str
	}
	return json.RawMessage(str)
}

// number encodes an integer that openapi.yaml allows as a string.
func (s *Server) number(n int) any {
	if s.opts.Quirks.NumbersAsStrings {
		return strconv.Itoa(n)
	}
	return n
}

func (s *Server) dataQuota(b *Bundle) any {
	if b.Unlimited && s.opts.Quirks.NumbersAsStrings {
		return "unlimited"
	}
	return s.number(b.DataMB)
}

func (s *Server) resellerID() any {
	if s.opts.Quirks.IDsAsIntegers {
		return s.resellerNum
	}
	return s.resellerHex
}

func (s *Server) responseCode(c int) any {
	if s.opts.Quirks.IDsAsIntegers {
		return c
	}
	return strconv.Itoa(c)
}

// lifetime encodes expires_in: seconds, or a Unix time with the quirk.
func (s *Server) lifetime(ttl time.Duration, now time.Time) int64 {
	if s.opts.Quirks.ExpiresInUnix {
		return now.Add(ttl).Unix()
	}
	return int64((ttl + time.Second - 1) / time.Second)
}

func (s *Server) activationCode(o *Order) string {
	if s.opts.Quirks.BareActivationCode {
		return o.MatchingID
	}
	return o.ActivationCode
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// list answers a list: a bare array or an envelope {key: items, countKey:
// total}, or 204 for an empty list with the EmptyAsNoContent quirk.
func list[T any](s *Server, key, countKey string, items []T, total int) reply {
	if len(items) == 0 && s.opts.Quirks.EmptyAsNoContent {
		return reply{http.StatusNoContent, nil}
	}
	if items == nil {
		items = []T{}
	}
	if s.opts.ListShape == ShapeArray {
		return reply{http.StatusOK, items}
	}
	env := map[string]any{key: items}
	if countKey != "" {
		env[countKey] = total
	}
	return reply{http.StatusOK, env}
}

// page is a page_size and page_number.
type page struct{ size, number int }

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

func parsePage(q url.Values) (page, *reply) {
	p := page{size: defaultPageSize, number: 1}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, badRequest("page_size must be a positive integer")
		}
		p.size = min(n, maxPageSize)
	}
	if v := q.Get("page_number"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, badRequest("page_number must be a positive integer")
		}
		p.number = n
	}
	return p, nil
}

// slice returns the page's part of items.
func paginate[T any](items []T, p page) []T {
	start := (p.number - 1) * p.size
	if start >= len(items) || start < 0 {
		return nil
	}
	return items[start:min(start+p.size, len(items))]
}

type bundleJSON struct {
	BundleCode          string `json:"bundle_code"`
	BundleName          string `json:"bundle_name"`
	BundleMarketingName string `json:"bundle_marketing_name"`
	BundleCategory      string `json:"bundle_category"`
	CountryCode         any    `json:"country_code"`
	CountryName         string `json:"country_name"`
	RegionCode          string `json:"region_code"`
	RegionName          string `json:"region_name"`
	Validity            any    `json:"validity"`
	DataQuota           any    `json:"data_quota"`
	Unlimited           bool   `json:"unlimited"`
	BundlePriceFinal    any    `json:"bundle_price_final"`
	ResellerRetailPrice any    `json:"reseller_retail_price"`
	SubscriberPrice     any    `json:"subscriber_price"`
	CurrencyCode        string `json:"currency_code"`
	SupportTopup        bool   `json:"support_topup"`
	SupportsCallsSMS    bool   `json:"supports_calls_sms"`
	CallsMinutes        *int   `json:"calls_minutes,omitempty"`
	SMSCount            *int   `json:"sms_count,omitempty"`
	ProfileType         string `json:"profile_type"`
}

func (s *Server) bundleJSON(b *Bundle) bundleJSON {
	out := bundleJSON{
		BundleCode:          b.Code,
		BundleName:          b.Name,
		BundleMarketingName: b.MarketingName,
		BundleCategory:      b.Category,
		CountryName:         b.CountryName,
		RegionCode:          b.RegionCode,
		RegionName:          b.RegionName,
		Validity:            s.number(b.ValidityDays),
		DataQuota:           s.dataQuota(b),
		Unlimited:           b.Unlimited,
		BundlePriceFinal:    s.money(b.PriceFinal),
		ResellerRetailPrice: s.money(b.RetailPrice),
		SubscriberPrice:     s.money(b.SubscriberPrice),
		CurrencyCode:        b.Currency,
		SupportTopup:        b.SupportTopup,
		SupportsCallsSMS:    b.SupportsCallsSMS,
		ProfileType:         b.ProfileType,
	}
	if b.Category == CategoryCountry {
		out.CountryCode = b.Countries[0]
	} else {
		out.CountryCode = append([]string{}, b.Countries...)
	}
	if b.SupportsCallsSMS {
		calls, sms := b.CallsMinutes, b.SMSCount
		out.CallsMinutes, out.SMSCount = &calls, &sms
	}
	return out
}

type networkJSON struct {
	CountryCode  string `json:"country_code,omitempty"`
	CountryName  string `json:"country_name"`
	NetworkName  string `json:"network_name"`
	NetworkSpeed string `json:"network_speed"`
}

type tokensJSON struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	ResellerID       any    `json:"reseller_id,omitempty"`
	Role             string `json:"role,omitempty"`
	ShowGlobal       *bool  `json:"show_global_esim_bundles,omitempty"`
}

type saleJSON struct {
	Title                    string `json:"title"`
	Message                  string `json:"message"`
	DeveloperMessage         string `json:"developer_message"`
	ResponseCode             any    `json:"response_code"`
	OrderID                  string `json:"order_id"`
	OrderReference           string `json:"order_reference"`
	ICCID                    string `json:"iccid"`
	ResellerID               any    `json:"reseller_id"`
	RemainingWalletBalance   any    `json:"remaining_wallet_balance"`
	RemainingInOtherCurrency any    `json:"remaining_wallet_balance_in_additional_currency"`
	AdditionalCurrencyCode   string `json:"additional_currency_code"`
}

type orderJSON struct {
	OrderID             string  `json:"order_id"`
	OrderReference      string  `json:"order_reference"`
	BundleCode          string  `json:"bundle_code"`
	BundleMarketingName string  `json:"bundle_marketing_name"`
	ICCID               string  `json:"iccid"`
	Status              string  `json:"status"`
	CreatedAt           string  `json:"created_at"`
	ExpiryDate          string  `json:"expiry_date"`
	AmountCharged       any     `json:"amount_charged"`
	CurrencyCode        string  `json:"currency_code"`
	GlobalESIM          bool    `json:"global_esim"`
	ProfileType         string  `json:"profile_type"`
	ActivationCode      *string `json:"activation_code"`
	SMDPAddress         *string `json:"smdp_address"`
	MatchingID          *string `json:"matching_id"`
	PlanUID             *string `json:"plan_uid"`
	PlanStatus          *string `json:"plan_status"`
}

func (s *Server) orderJSON(o *Order, now time.Time) orderJSON {
	out := orderJSON{
		OrderID:             o.ID,
		OrderReference:      o.Reference,
		BundleCode:          o.BundleCode,
		BundleMarketingName: o.BundleMarketingName,
		ICCID:               o.ICCID,
		Status:              orderStatus(o, now),
		CreatedAt:           timestamp(o.CreatedAt),
		ExpiryDate:          timestamp(o.ExpiresAt),
		AmountCharged:       s.money(o.Amount),
		CurrencyCode:        o.Currency,
		GlobalESIM:          o.ProfileType == ProfileGlobalESIM,
		ProfileType:         o.ProfileType,
	}
	if out.Status != "pending" {
		code, smdp, matching, uid, active := s.activationCode(o), o.SMDPAddress, o.MatchingID, o.PlanUID, "active"
		out.ActivationCode, out.SMDPAddress, out.MatchingID, out.PlanUID, out.PlanStatus = &code, &smdp, &matching, &uid, &active
	}
	return out
}

type balanceJSON struct {
	OrderID        string `json:"order_id"`
	BundleCode     string `json:"bundle_code"`
	RemainingData  int64  `json:"remaining_data"`
	TotalData      int64  `json:"total_data"`
	RemainingCalls *int64 `json:"remaining_calls,omitempty"`
	RemainingSMS   *int64 `json:"remaining_sms,omitempty"`
	ExpiryDate     string `json:"expiry_date"`
	Status         string `json:"status"`
}

type consumptionJSON struct {
	ICCID             string        `json:"iccid"`
	ProfileStatus     string        `json:"profile_status"`
	ProfileExpiryDate string        `json:"profile_expiry_date"`
	OrdersBalances    []balanceJSON `json:"orders_balances"`
}

type countryJSON struct {
	CountryCode string `json:"country_code"`
	ISO2Code    string `json:"iso2_code"`
	CountryName string `json:"country_name"`
	RegionCode  string `json:"region_code"`
}

type regionJSON struct {
	RegionCode string `json:"region_code"`
	RegionName string `json:"region_name"`
}
