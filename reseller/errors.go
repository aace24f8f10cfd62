package reseller

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is against the errors this package
// returns (an [*APIError] matches the sentinels its status and body imply).
var (
	// ErrUnauthorized: the credentials or the token were refused (401), or
	// no access token could be had (a login or refresh answer without one),
	// in which case the call was not sent.
	ErrUnauthorized = errors.New("reseller: unauthorized")
	// ErrForbidden: the account may not do this (403).
	ErrForbidden = errors.New("reseller: forbidden")
	// ErrNotFound: the profile, order or bundle does not exist (404).
	ErrNotFound = errors.New("reseller: not found")
	// ErrFeatureDisabled: a GLOBAL_ESIM query or sale while the account's
	// show_global_esim_bundles is false (400 "Feature not supported").
	ErrFeatureDisabled = errors.New("reseller: feature not supported")
	// ErrInvalidRequest: the API refused the request as malformed (400, 422),
	// or the client refused to send it (for example both iccid and order_id).
	ErrInvalidRequest = errors.New("reseller: invalid request")
	// ErrInsufficientBalance: the reseller wallet cannot fund the sale.
	ErrInsufficientBalance = errors.New("reseller: insufficient wallet balance")
	// ErrBundleUnavailable: the bundle cannot be sold (unknown, withdrawn,
	// or not a valid top-up for the profile).
	ErrBundleUnavailable = errors.New("reseller: bundle unavailable")
	// ErrDuplicateReference: the order_reference was used before (409). A
	// purchase returns it wrapped in an ErrOutcomeUnknown error: the order
	// with that reference may be this very sale.
	ErrDuplicateReference = errors.New("reseller: order reference already used")
	// ErrOutcomeUnknown: a purchase was sent but whether it sold is not
	// known: its answer was lost (a timeout, a reset connection, a 5xx, an
	// empty answer), the reference already exists (409), or it was answered
	// 401/403 and the sending that followed failed in any way (the API may
	// commit a sale and still refuse the token). The sale may or may not
	// exist: reconcile with OrderByReference, never resend blindly. The
	// cause stays reachable with errors.Is and errors.As.
	ErrOutcomeUnknown = errors.New("reseller: purchase outcome unknown")
	// ErrUnavailable: the API could not be reached or answered 5xx to a read.
	ErrUnavailable = errors.New("reseller: service unavailable")
	// ErrNoActivationData: the order has no activation data yet.
	ErrNoActivationData = errors.New("reseller: no activation data yet")
	// ErrBadResponse: the API answered with a body this client cannot read.
	ErrBadResponse = errors.New("reseller: unreadable response")
)

// APIError is an error answer of the API: the HTTP status and every message
// field the body carried.
type APIError struct {
	// Method and Endpoint name the call, for example POST /Bundle.
	Method, Endpoint string
	// Status is the HTTP status code.
	Status int
	// Title, Message, DeveloperMessage and Detail are the body's words.
	Title, Message, DeveloperMessage, Detail string
	// ResponseCode is the body's response_code, if any.
	ResponseCode string

	retryAfter time.Duration
}

// apiErrorBody is the union of the error body shapes seen on the platform.
type apiErrorBody struct {
	Title            string     `json:"title"`
	Message          string     `json:"message"`
	DeveloperMessage string     `json:"developer_message"`
	Detail           string     `json:"detail"`
	Error            string     `json:"error"`
	ResponseCode     FlexString `json:"response_code"`
}

// Error summarizes the call, the status and the API's words.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "reseller: %s %s: %d %s", e.Method, e.Endpoint, e.Status, http.StatusText(e.Status))
	if t := e.Text(); t != "" {
		b.WriteString(": ")
		b.WriteString(t)
	}
	return b.String()
}

// Text joins the distinct message fields, most specific first.
func (e *APIError) Text() string {
	var parts []string
	seen := map[string]bool{}
	for _, s := range []string{e.Detail, e.Message, e.DeveloperMessage, e.Title} {
		s = strings.TrimSpace(s)
		if s != "" && !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// Is matches the sentinel errors implied by the status and the body, as
// apiErrorRules says.
func (e *APIError) Is(target error) bool {
	for _, r := range apiErrorRules {
		if target == r.target {
			return r.matches(e)
		}
	}
	return false
}

// apiErrorRule says when an APIError is target: when its status passes
// status, or when it passes wordStatus and its text holds one of words.
type apiErrorRule struct {
	target     error
	status     func(int) bool
	wordStatus func(int) bool
	words      []string
}

// matches reports whether e is r.target.
func (r apiErrorRule) matches(e *APIError) bool {
	if r.status != nil && r.status(e.Status) {
		return true
	}
	if r.wordStatus == nil || !r.wordStatus(e.Status) {
		return false
	}
	text := strings.ToLower(e.Text())
	for _, w := range r.words {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

// statusIn returns a predicate true of the statuses given.
func statusIn(statuses ...int) func(int) bool {
	return func(s int) bool { return slices.Contains(statuses, s) }
}

// clientError reports whether status is a 4xx.
func clientError(status int) bool { return status >= 400 && status < 500 }

// apiErrorRules are the sentinels an APIError can be, by status and words
// of its text.
var apiErrorRules = []apiErrorRule{
	{target: ErrUnauthorized, status: statusIn(http.StatusUnauthorized)},
	{target: ErrForbidden, status: statusIn(http.StatusForbidden)},
	{target: ErrNotFound, status: statusIn(http.StatusNotFound)},
	{target: ErrFeatureDisabled, wordStatus: statusIn(http.StatusBadRequest),
		words: []string{"feature not supported", "feature is not supported", "feature disabled"}},
	{target: ErrInvalidRequest, status: statusIn(http.StatusBadRequest, http.StatusUnprocessableEntity)},
	{target: ErrInsufficientBalance, status: statusIn(http.StatusPaymentRequired), wordStatus: clientError,
		words: []string{"insufficient", "not enough balance", "low balance"}},
	{target: ErrBundleUnavailable, wordStatus: clientError,
		words: []string{"bundle unavailable", "not available", "bundle not found", "no longer available", "out of stock"}},
	{target: ErrDuplicateReference, status: statusIn(http.StatusConflict), wordStatus: clientError,
		words: []string{"already exists", "already used", "duplicate"}},
	{target: ErrUnavailable, status: func(s int) bool { return s >= 500 || s == http.StatusTooManyRequests }},
}

// outcomeError marks a purchase whose result is unknown; it wraps the cause.
type outcomeError struct {
	op    string
	cause error
}

func (e *outcomeError) Error() string {
	return fmt.Sprintf("reseller: %s: purchase outcome unknown: %v", e.op, e.cause)
}

func (e *outcomeError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.cause} }
