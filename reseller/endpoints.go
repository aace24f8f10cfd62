package reseller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Login logs in now, replacing any token, and returns the session.
func (c *Client) Login(ctx context.Context) (Session, error) {
	select {
	case c.auth.sem <- struct{}{}:
	case <-ctx.Done():
		return Session{}, fmt.Errorf("reseller: wait for login: %w", ctx.Err())
	}
	_, _, err := c.auth.login(ctx)
	<-c.auth.sem
	if err != nil {
		return Session{}, err
	}
	return c.auth.currentSession(), nil
}

// Session returns the current session, logging in or refreshing first when
// the token is missing, refused since, or inside its early-refresh margin;
// an error means no token can be had now. Its ShowGlobalESIMBundles says
// whether Global eSIM bundles may be offered.
func (c *Client) Session(ctx context.Context) (Session, error) {
	if _, _, err := c.auth.token(ctx); err != nil {
		return Session{}, err
	}
	return c.auth.currentSession(), nil
}

func (a *auth) currentSession() Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.session
}

// Bundles returns one page of the catalog (GET /Bundles).
func (c *Client) Bundles(ctx context.Context, q BundleQuery) (Page[Bundle], error) {
	v := url.Values{}
	set(v, "country_code", strings.ToUpper(q.CountryCode))
	set(v, "region_code", q.RegionCode)
	set(v, "bundle_category", string(q.Category))
	set(v, "profile_type", string(q.ProfileType))
	set(v, "iccid", q.ICCID)
	setInt(v, "page_size", q.PageSize)
	setInt(v, "page_number", q.PageNumber)
	return getList[Bundle](ctx, c, c.paths.Bundles, v, "bundles")
}

// AllBundles returns every bundle matching q, following the pages.
func (c *Client) AllBundles(ctx context.Context, q BundleQuery) ([]Bundle, error) {
	return allPages(func(n, size int) (Page[Bundle], error) {
		q.PageNumber, q.PageSize = n, size
		return c.Bundles(ctx, q)
	}, q.PageSize)
}

// Networks returns the operators a bundle roams on (GET /Bundles/Networks).
func (c *Client) Networks(ctx context.Context, bundleCode string) ([]Network, error) {
	if strings.TrimSpace(bundleCode) == "" {
		return nil, fmt.Errorf("reseller: networks: %w: bundle code is empty", ErrInvalidRequest)
	}
	p, err := getList[Network](ctx, c, c.paths.Networks, url.Values{"bundle_code": {bundleCode}}, "networks")
	return p.Items, err
}

// AssignBundle sells a bundle to an end user (POST /Bundle). It is never
// retried, except once after a 401/403 with a renewed token. When the sale
// may exist (a lost answer, a 5xx, a 409 "reference already used", or any
// failure after a 401/403) the error wraps ErrOutcomeUnknown, with the cause
// still reachable by errors.Is and errors.As, and the caller must reconcile
// with OrderByReference before trying again.
func (c *Client) AssignBundle(ctx context.Context, r AssignRequest, o AssignOptions) (AssignResult, error) {
	if r.BundleCode == "" || r.Email == "" || r.Name == "" {
		return AssignResult{}, fmt.Errorf("reseller: assign bundle: %w: bundle_code, email and name are required", ErrInvalidRequest)
	}
	return c.purchase(ctx, "assign bundle "+r.BundleCode, c.paths.Assign, r, o)
}

// TopupBundle buys a top-up on an existing profile (POST /Bundles/Topup),
// with the same never-retry rule as AssignBundle.
func (c *Client) TopupBundle(ctx context.Context, r TopupRequest, o AssignOptions) (AssignResult, error) {
	if r.BundleCode == "" || (r.OrderID == "") == (r.PreviousOrderReference == "") {
		return AssignResult{}, fmt.Errorf("reseller: top up: %w: bundle_code and exactly one of order_id or previous_order_reference are required", ErrInvalidRequest)
	}
	return c.purchase(ctx, "top up "+r.BundleCode, c.paths.Topup, r, o)
}

func (c *Client) purchase(ctx context.Context, op, path string, body any, o AssignOptions) (AssignResult, error) {
	v := url.Values{}
	set(v, "currency_code", strings.ToUpper(o.CurrencyCode))
	set(v, "reseller_id", o.ResellerID)
	set(v, "branch_id", o.BranchID)
	req := request{method: http.MethodPost, path: path, query: v, body: body, purchase: true, op: op}
	resp, err := c.do(ctx, req)
	if err != nil {
		return AssignResult{}, err
	}
	if resp.body == nil {
		return AssignResult{}, &outcomeError{op: op, cause: fmt.Errorf("%d with no body", resp.status)}
	}
	var res AssignResult
	if err := decode(req, resp, &res); err != nil {
		return AssignResult{}, &outcomeError{op: op, cause: err}
	}
	if res.OrderID == "" && res.ICCID == "" {
		// A 200 that is really a refusal on some deployments.
		if rc := string(res.ResponseCode); rc != "" && rc != "1" {
			return AssignResult{}, purchaseFailure(req, &APIError{Method: req.method, Endpoint: path, Status: http.StatusBadRequest,
				Title: res.Title, Message: res.Message, DeveloperMessage: res.DeveloperMessage, ResponseCode: rc}, resp.resent)
		}
		return AssignResult{}, &outcomeError{op: op, cause: errors.New("answer has no order_id nor iccid")}
	}
	return res, nil
}

// Orders returns one page of the order history (GET /Orders).
func (c *Client) Orders(ctx context.Context, q OrderQuery) (Page[Order], error) {
	v := url.Values{}
	set(v, "order_reference", q.Reference)
	if !q.From.IsZero() {
		v.Set(c.paths.FromDateParam, q.From.Format(time.DateOnly))
	}
	if !q.To.IsZero() {
		v.Set(c.paths.ToDateParam, q.To.Format(time.DateOnly))
	}
	set(v, "search", q.Search)
	if q.GlobalESIM != nil {
		v.Set("global_esim", strconv.FormatBool(*q.GlobalESIM))
	}
	setInt(v, "page_size", q.PageSize)
	setInt(v, "page_number", q.PageNumber)
	return getList[Order](ctx, c, c.paths.Orders, v, "orders")
}

// OrderByReference returns the order with this order_reference, or an
// error wrapping ErrNotFound when the platform has none. It is how an
// unknown purchase outcome is reconciled.
func (c *Client) OrderByReference(ctx context.Context, ref string) (Order, error) {
	if strings.TrimSpace(ref) == "" {
		return Order{}, fmt.Errorf("reseller: order by reference: %w: reference is empty", ErrInvalidRequest)
	}
	p, err := c.Orders(ctx, OrderQuery{Reference: ref})
	if err != nil {
		return Order{}, err
	}
	// Some deployments treat the filter as a search: keep the exact match.
	for _, o := range p.Items {
		if o.Reference == ref {
			return o, nil
		}
	}
	return Order{}, fmt.Errorf("reseller: order %q: %w", ref, ErrNotFound)
}

// Consumption returns what remains on a profile (GET /Profile/Consumption).
// Exactly one of ref.ICCID and ref.OrderID must be set; this is checked
// before anything is sent.
func (c *Client) Consumption(ctx context.Context, ref ProfileRef) (Consumption, error) {
	v, err := ref.values("consumption")
	if err != nil {
		return Consumption{}, err
	}
	req := request{method: http.MethodGet, path: c.paths.Consumption, query: v}
	resp, err := c.do(ctx, req)
	if err != nil {
		return Consumption{}, err
	}
	if resp.body == nil {
		return Consumption{}, fmt.Errorf("reseller: consumption: %w: empty answer", ErrNotFound)
	}
	var out Consumption
	// Some deployments wrap the object: {"data": {...}}.
	body := unwrapObject(resp.body, "iccid", "data", "result", "profile")
	if err := decode(req, response{body: body}, &out); err != nil {
		return Consumption{}, err
	}
	return out, nil
}

// values checks that exactly one identifier is set.
func (r ProfileRef) values(op string) (url.Values, error) {
	r.ICCID, r.OrderID = strings.TrimSpace(r.ICCID), strings.TrimSpace(r.OrderID)
	switch {
	case r.ICCID == "" && r.OrderID == "":
		return nil, fmt.Errorf("reseller: %s: %w: at least order_id or iccid is required", op, ErrInvalidRequest)
	case r.ICCID != "" && r.OrderID != "":
		return nil, fmt.Errorf("reseller: %s: %w: iccid and order_id cannot be provided together", op, ErrInvalidRequest)
	case r.ICCID != "":
		return url.Values{"iccid": {r.ICCID}}, nil
	default:
		return url.Values{"order_id": {r.OrderID}}, nil
	}
}

// Countries returns the countries with coverage (GET /Countries).
func (c *Client) Countries(ctx context.Context, q CoverageQuery) ([]Country, error) {
	p, err := getList[Country](ctx, c, c.paths.Countries, q.values(), "countries")
	return p.Items, err
}

// Regions returns the regions with coverage (GET /Regions).
func (c *Client) Regions(ctx context.Context, q CoverageQuery) ([]Region, error) {
	p, err := getList[Region](ctx, c, c.paths.Regions, q.values(), "regions")
	return p.Items, err
}

func (q CoverageQuery) values() url.Values {
	v := url.Values{}
	set(v, "profile_type", string(q.ProfileType))
	set(v, "iccid", q.ICCID)
	return v
}

// TopupBundles returns the bundles that can top up a profile
// (GET /v2/Bundles/Topup), already filtered by the API to the profile's type.
func (c *Client) TopupBundles(ctx context.Context, ref ProfileRef) ([]Bundle, error) {
	v, err := ref.values("top-up bundles")
	if err != nil {
		return nil, err
	}
	return allPages(func(n, size int) (Page[Bundle], error) {
		q := url.Values{}
		for k, vals := range v {
			q[k] = vals
		}
		setInt(q, "page_number", n)
		setInt(q, "page_size", size)
		return getList[Bundle](ctx, c, c.paths.TopupBundles, q, "bundles")
	}, 0)
}

func set(v url.Values, key, val string) {
	if val = strings.TrimSpace(val); val != "" {
		v.Set(key, val)
	}
}

func setInt(v url.Values, key string, n int) {
	if n > 0 {
		v.Set(key, strconv.Itoa(n))
	}
}
