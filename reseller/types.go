package reseller

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ProfileType classifies bundles and eSIM profiles. A profile's type is set
// when it is first provisioned: Standard and Global eSIM bundles never mix
// on one profile.
type ProfileType string

// The profile types of the API.
const (
	ProfileStandard   ProfileType = "STANDARD"
	ProfileGlobalESIM ProfileType = "GLOBAL_ESIM"
)

// Category is the coverage class of a bundle, the bundle_category filter.
type Category string

// The bundle categories of the API.
const (
	CategoryGlobal  Category = "global"
	CategoryRegion  Category = "region"
	CategoryCountry Category = "country"
	CategoryCruise  Category = "cruise"
)

// secret holds a token. It formats as "[redacted]" with every verb and in
// JSON, so a token cannot leak through a log line, an error or %v.
type secret string

// Format implements fmt.Formatter: every verb prints "[redacted]".
func (secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// MarshalJSON keeps the token out of any JSON encoding.
func (secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// Session describes the current login: who the reseller is and what the
// account may do. It holds no token.
type Session struct {
	// ResellerID identifies the reseller account (string or integer on the wire).
	ResellerID string
	// Role is the reseller's role.
	Role string
	// ShowGlobalESIMBundles is the account's Global eSIM feature flag: when
	// false, GLOBAL_ESIM queries are refused with ErrFeatureDisabled.
	ShowGlobalESIMBundles bool
	// Expires is when the access token expires.
	Expires time.Time
}

// loginResponse is the body of POST /Agent/login and POST /Token/Refresh.
type loginResponse struct {
	AccessToken           string     `json:"access_token"`
	RefreshToken          string     `json:"refresh_token"`
	TokenType             string     `json:"token_type"`
	ExpiresIn             *FlexInt   `json:"expires_in"`
	RefreshExpiresIn      *FlexInt   `json:"refresh_expires_in"`
	ResellerID            FlexString `json:"reseller_id"`
	Role                  string     `json:"role"`
	ShowGlobalESIMBundles *FlexBool  `json:"show_global_esim_bundles"`
}

// Bundle is a product of the catalog (GET /Bundles, GET /v2/Bundles/Topup).
type Bundle struct {
	// Code identifies the bundle in a sale.
	Code string `json:"bundle_code"`
	// Name is the internal name.
	Name string `json:"bundle_name"`
	// MarketingName is the name to show customers.
	MarketingName string `json:"bundle_marketing_name"`
	// Category is global, region, country or cruise, when the API says.
	Category Category `json:"bundle_category"`
	// CountryCodes lists the ISO-3 codes covered, when the API says.
	CountryCodes StringList `json:"country_code"`
	// CountryName is the covered country's name, for country bundles.
	CountryName string `json:"country_name"`
	// RegionCode is the covered region's code, when the API says.
	RegionCode string `json:"region_code"`
	// RegionName is the covered region's name.
	RegionName string `json:"region_name"`
	// ValidityDays is how long the bundle lasts once active.
	ValidityDays FlexInt `json:"validity"`
	// Data is the data volume.
	Data DataQuota `json:"data_quota"`
	// UnlimitedFlag is the separate unlimited marker some deployments send;
	// use IsUnlimited.
	UnlimitedFlag FlexBool `json:"unlimited"`
	// PriceFinal is what the reseller pays (bundle_price_final).
	PriceFinal decimal.Decimal `json:"bundle_price_final"`
	// SubscriberPrice is the suggested retail price.
	SubscriberPrice decimal.Decimal `json:"subscriber_price"`
	// ResellerRetailPrice is the reseller's own retail price.
	ResellerRetailPrice decimal.Decimal `json:"reseller_retail_price"`
	// Currency is the ISO 4217 code of the prices, when the API says.
	Currency string `json:"currency_code"`
	// SupportsTopup reports that the bundle can be topped up.
	SupportsTopup FlexBool `json:"support_topup"`
	// SupportsCallsSMS reports that the bundle includes calls and SMS.
	SupportsCallsSMS FlexBool `json:"supports_calls_sms"`
	// CallMinutes is the included call time, when the API says.
	CallMinutes FlexInt `json:"calls_minutes"`
	// SMSCount is the included SMS, when the API says.
	SMSCount FlexInt `json:"sms_count"`
	// ProfileType is STANDARD or GLOBAL_ESIM; empty means STANDARD.
	ProfileType ProfileType `json:"profile_type"`
}

// IsUnlimited reports whether the bundle has unlimited data.
func (b Bundle) IsUnlimited() bool { return b.Data.Unlimited || bool(b.UnlimitedFlag) }

// Profile returns the bundle's profile type, STANDARD when the API left it out.
func (b Bundle) Profile() ProfileType {
	if b.ProfileType == "" {
		return ProfileStandard
	}
	return ProfileType(strings.ToUpper(string(b.ProfileType)))
}

// Network is an operator a bundle roams on (GET /Bundles/Networks).
type Network struct {
	// CountryCode is the ISO-3 code of the network's country.
	CountryCode string `json:"country_code"`
	// CountryName is the country's name.
	CountryName string `json:"country_name"`
	// Name is the operator's name.
	Name string `json:"network_name"`
	// Speeds lists the technologies, such as 4G and 5G.
	Speeds StringList `json:"network_speed"`
}

// AssignRequest is the body of a sale (POST /Bundle).
type AssignRequest struct {
	// BundleCode is the bundle to sell.
	BundleCode string `json:"bundle_code"`
	// Email is the end user's email address.
	Email string `json:"email"`
	// Name is the end user's name.
	Name string `json:"name"`
	// OrderReference is the caller's unique reference, used to reconcile.
	OrderReference string `json:"order_reference"`
	// WhatsAppNumber is the end user's number in E.164, optional.
	WhatsAppNumber string `json:"whatsapp_number,omitempty"`
}

// AssignOptions are the query options of a sale.
type AssignOptions struct {
	// CurrencyCode asks for the remaining balance in another currency too.
	CurrencyCode string
	// ResellerID sells on behalf of a reseller (super admin only).
	ResellerID string
	// BranchID sells on behalf of a branch (super admin only).
	BranchID string
}

// TopupRequest is the body of a top-up purchase on an existing profile.
// Exactly one of OrderID and PreviousOrderReference names the profile.
type TopupRequest struct {
	// BundleCode is the top-up bundle to sell.
	BundleCode string `json:"bundle_code"`
	// OrderID is an earlier order on the profile.
	OrderID string `json:"order_id,omitempty"`
	// PreviousOrderReference is the reference of an earlier order on the profile.
	PreviousOrderReference string `json:"previous_order_reference,omitempty"`
	// OrderReference is the caller's unique reference for this top-up.
	OrderReference string `json:"order_reference"`
	// WhatsAppNumber is the end user's number in E.164, optional.
	WhatsAppNumber string `json:"whatsapp_number,omitempty"`
}

// AssignResult is the answer to a sale or a top-up.
type AssignResult struct {
	// Title, Message and DeveloperMessage are the API's words.
	Title            string `json:"title"`
	Message          string `json:"message"`
	DeveloperMessage string `json:"developer_message"`
	// ResponseCode is "1" on success on most deployments.
	ResponseCode FlexString `json:"response_code"`
	// OrderID identifies the created order.
	OrderID FlexString `json:"order_id"`
	// OrderReference echoes the reference, when the API sends it.
	OrderReference string `json:"order_reference"`
	// ICCID identifies the eSIM profile.
	ICCID FlexString `json:"iccid"`
	// ResellerID is the reseller charged.
	ResellerID FlexString `json:"reseller_id"`
	// RemainingBalance is the wallet after the sale.
	RemainingBalance decimal.Decimal `json:"remaining_wallet_balance"`
	// RemainingBalanceAdditional is the wallet in AdditionalCurrency.
	RemainingBalanceAdditional decimal.Decimal `json:"remaining_wallet_balance_in_additional_currency"`
	// AdditionalCurrency is the currency asked with AssignOptions.CurrencyCode.
	AdditionalCurrency string `json:"additional_currency_code"`
}

// Order is an order as GET /Orders reports it, with the data needed to
// install the eSIM once the platform has it.
type Order struct {
	// ID is the platform's order identifier.
	ID FlexString `json:"order_id"`
	// Reference is the caller's order_reference.
	Reference string `json:"order_reference"`
	// BundleCode is the bundle sold.
	BundleCode string `json:"bundle_code"`
	// MarketingName is the bundle's display name.
	MarketingName string `json:"bundle_marketing_name"`
	// ICCID identifies the eSIM profile.
	ICCID FlexString `json:"iccid"`
	// Status is success, failed or pending (or a plan status on some deployments).
	Status string `json:"status"`
	// CreatedAt is when the order was made.
	CreatedAt Time `json:"created_at"`
	// ExpiryDate is when the order expires.
	ExpiryDate Time `json:"expiry_date"`
	// AmountCharged is what the reseller paid.
	AmountCharged decimal.Decimal `json:"amount_charged"`
	// GlobalESIM reports a Global eSIM order.
	GlobalESIM FlexBool `json:"global_esim"`
	// ProfileType is the order's profile type, when the API says.
	ProfileType ProfileType `json:"profile_type"`
	// ActivationCode is the activation code; it may already be a full LPA string.
	ActivationCode string `json:"activation_code"`
	// SMDPAddress is the SM-DP+ server.
	SMDPAddress string `json:"smdp_address"`
	// MatchingID is the matching ID used with the SM-DP+ address.
	MatchingID string `json:"matching_id"`
	// PlanUID is the platform's plan identifier.
	PlanUID string `json:"plan_uid"`
	// PlanStatus is the plan's status on the profile.
	PlanStatus string `json:"plan_status"`
	// ProfileExpiryDate is the profile-level expiry.
	ProfileExpiryDate Time `json:"profile_expiry_date"`
}

// Order statuses of GET /Orders.
const (
	OrderSuccess = "success"
	OrderFailed  = "failed"
	OrderPending = "pending"
)

// Failed reports whether the platform says the order failed.
func (o Order) Failed() bool { return strings.EqualFold(o.Status, OrderFailed) }

// LPA returns the order's activation string, or an error wrapping
// ErrNoActivationData when the platform has not published it yet.
func (o Order) LPA() (string, error) { return LPA(o.SMDPAddress, o.MatchingID, o.ActivationCode) }

// Consumption is what remains on an eSIM profile (GET /Profile/Consumption).
type Consumption struct {
	// ICCID identifies the profile.
	ICCID FlexString `json:"iccid"`
	// ProfileStatus is active, released, downloaded or deleted.
	ProfileStatus string `json:"profile_status"`
	// ProfileExpiryDate is when the profile expires.
	ProfileExpiryDate Time `json:"profile_expiry_date"`
	// Balances has one entry per bundle on the profile.
	Balances []Balance `json:"orders_balances"`
}

// Balance is what remains of one bundle on a profile.
type Balance struct {
	// OrderID is the order that bought the bundle.
	OrderID FlexString `json:"order_id"`
	// BundleCode is the bundle.
	BundleCode string `json:"bundle_code"`
	// RemainingMB and TotalMB are data in megabytes; negative means unlimited.
	RemainingMB FlexInt `json:"remaining_data"`
	// TotalMB is the bundle's data in megabytes; negative means unlimited.
	TotalMB FlexInt `json:"total_data"`
	// RemainingCalls is call minutes left, nil when the bundle has none.
	RemainingCalls *FlexInt `json:"remaining_calls"`
	// RemainingSMS is SMS left, nil when the bundle has none.
	RemainingSMS *FlexInt `json:"remaining_sms"`
	// ExpiryDate is when the bundle expires.
	ExpiryDate Time `json:"expiry_date"`
	// Status is active, expired or depleted.
	Status string `json:"status"`
}

// Unlimited reports an unlimited-data bundle.
func (b Balance) Unlimited() bool { return b.TotalMB < 0 || b.RemainingMB < 0 }

// Country is a destination with coverage (GET /Countries).
type Country struct {
	// Code is the ISO-3 code.
	Code string `json:"country_code"`
	// ISO2 is the ISO-2 code, when the API says.
	ISO2 string `json:"iso2_code"`
	// Name is the API's (English) name.
	Name string `json:"country_name"`
	// RegionCode is the region the country belongs to, when the API says.
	RegionCode string `json:"region_code"`
}

// Region is a multi-country destination (GET /Regions).
type Region struct {
	// Code identifies the region in the region_code filter.
	Code string `json:"region_code"`
	// Name is the API's (English) name.
	Name string `json:"region_name"`
}

// Page is one page of a list and, when the API says, the total count.
type Page[T any] struct {
	// Items are the entries of this page.
	Items []T
	// Total is the number of entries across all pages, or -1 when unknown.
	Total int
	// read is how many entries the page had before those the client
	// cannot use were left out (see checkItems): a page is short by it.
	read int
}

// BundleQuery filters GET /Bundles. Zero fields are not sent.
type BundleQuery struct {
	// CountryCode is an ISO-3 country code.
	CountryCode string
	// RegionCode is a region code of GET /Regions.
	RegionCode string
	// Category is global, region, country or cruise.
	Category Category
	// ProfileType is STANDARD or GLOBAL_ESIM.
	ProfileType ProfileType
	// ICCID restricts to bundles compatible with that profile.
	ICCID string
	// PageSize and PageNumber (1-based) page the list.
	PageSize, PageNumber int
}

// OrderQuery filters GET /Orders. Zero fields are not sent.
type OrderQuery struct {
	// Reference is an exact order_reference.
	Reference string
	// From and To bound created_at by date, inclusive.
	From, To time.Time
	// Search is free text.
	Search string
	// GlobalESIM, when set, keeps only (or excludes) Global eSIM orders.
	GlobalESIM *bool
	// PageSize and PageNumber (1-based) page the list.
	PageSize, PageNumber int
}

// ProfileRef names an eSIM profile by exactly one of ICCID or OrderID.
type ProfileRef struct {
	// ICCID of the profile.
	ICCID string
	// OrderID of an order on the profile.
	OrderID string
}

// CoverageQuery filters GET /Countries and GET /Regions.
type CoverageQuery struct {
	// ProfileType is STANDARD or GLOBAL_ESIM.
	ProfileType ProfileType
	// ICCID restricts to coverage compatible with that profile.
	ICCID string
}
