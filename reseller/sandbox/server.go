package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Options configures a Server. The zero value is usable: every zero field
// takes the default given beside it.
type Options struct {
	// Seed makes the catalog, the reseller ID and the IDs and ICCIDs of
	// successive sales deterministic (default 1).
	Seed int64
	// Username and Password are the only credentials POST /Agent/login
	// accepts (default "demo" and "demo").
	Username, Password string
	// AccessTTL and RefreshTTL are the lifetimes of access and refresh
	// tokens (default 1h and 24h).
	AccessTTL, RefreshTTL time.Duration
	// Wallet is the starting wallet balance, in Currency. The zero Decimal
	// (unset) means 1000; decimal.Zero, or any parsed "0", is an empty wallet.
	Wallet decimal.Decimal
	// Currency is the wallet's and the prices' currency (default "USD").
	// Prices are the same numbers whatever the currency.
	Currency string
	// ShowGlobalESIMBundles is the login's feature flag: when false only
	// STANDARD bundles are listed and sold.
	ShowGlobalESIMBundles bool
	// ActivationDelay is how long after a sale GET /Orders shows the order
	// "pending" with null activation data.
	ActivationDelay time.Duration
	// Prefix is the path prefix served (default "/api/v1"; "/" serves at the
	// root). Requests outside it get a 404 JSON error.
	Prefix string
	// ListShape is the form of list responses (default ShapeEnvelope).
	ListShape ListShape
	// Quirks switches on alternate wire forms.
	Quirks Quirks
	// Now is the clock (default time.Now); tests pass a fake clock.
	Now func() time.Time
	// Control serves the run-time control of the catalog, outside Prefix
	// and behind basic auth with Username and Password: GET
	// ControlPrefix+"bundles/{code}" shows a bundle's prices and
	// availability; POST with the form values price=AMOUNT (as
	// SetRetailPrice does) or withdraw=true|false (as SetBundleAvailable)
	// changes them and answers the same. Faults and Calls leave it out.
	// Off by default; Flags (-control) turn it on.
	Control bool
	// OnChange, if set, is handed what every sale and top-up changed (see
	// Change) before the request is answered, so that a program can keep
	// the state and give it to RestoreChanges after a restart.
	// It is called with the sandbox locked, one call at a time and in the
	// order of the changes, and must not call the Server's methods. When
	// it returns an error the sale is undone and answered 500, as a
	// platform that could not record it would.
	OnChange func(c Change) error
}

// Quirks are alternate wire forms that some deployments of the reseller API
// use, so that tests can check a client copes with each of them.
type Quirks struct {
	// NumbersAsStrings sends the numbers that openapi.yaml allows as strings
	// as JSON strings: data_quota ("5120", and "unlimited" for unlimited
	// bundles), validity ("30"), the three prices, amount_charged and the
	// wallet balances ("12.50"). Integer-only fields (expires_in, calls_minutes,
	// sms_count, consumption figures) stay numbers.
	NumbersAsStrings bool
	// IDsAsIntegers sends reseller_id and response_code as JSON integers.
	IDsAsIntegers bool
	// ExpiresInUnix sends expires_in and refresh_expires_in as absolute Unix
	// times instead of lifetimes in seconds.
	ExpiresInUnix bool
	// BareActivationCode sends activation_code as the matching ID alone
	// instead of a full "LPA:1$smdp$matching" string.
	BareActivationCode bool
	// EmptyAsNoContent answers 204 No Content, without a body, instead of an
	// empty list. It is off by default because the document's shape is a
	// list; the document also lists 204 on the list endpoints.
	EmptyAsNoContent bool
}

// ListShape is the JSON form of list responses.
type ListShape int

const (
	// ShapeEnvelope wraps lists in an object with a count, e.g.
	// {"bundles":[...],"total_bundles_count":N}.
	ShapeEnvelope ListShape = iota
	// ShapeArray sends lists as bare JSON arrays.
	ShapeArray
)

// String returns "envelope" or "array".
func (l ListShape) String() string {
	if l == ShapeArray {
		return "array"
	}
	return "envelope"
}

// ParseListShape parses "envelope" or "array", the values of the
// -list-shape flag.
func ParseListShape(s string) (ListShape, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "envelope":
		return ShapeEnvelope, nil
	case "array":
		return ShapeArray, nil
	}
	return 0, fmt.Errorf("sandbox: list shape %q: want envelope or array", s)
}

// SMDPAddress is the SM-DP+ address of every sandbox profile.
const SMDPAddress = "smdp.sandbox.esimbot.example"

// ErrBundleNotFound is returned by the Set methods for an unknown bundle code.
var ErrBundleNotFound = errors.New("sandbox: bundle not found")

// Order is one sale (an assignment or a top-up) as the sandbox recorded it,
// returned by Server.Orders and Server.OrderByReference.
type Order struct {
	ID                  string // order_id, 24 lowercase hex digits
	Reference           string // order_reference
	BundleCode          string
	BundleMarketingName string
	ICCID               string
	ProfileType         string // ProfileStandard or ProfileGlobalESIM
	Email, Name         string // the end user, empty for a top-up
	WhatsApp            string
	Amount              decimal.Decimal // amount_charged, in Currency
	Currency            string
	CreatedAt           time.Time
	ExpiresAt           time.Time // CreatedAt plus the bundle's validity
	ReadyAt             time.Time // when the activation data appears
	// TopUpOf is the ID of the profile's first order for a top-up, and
	// empty for an assignment.
	TopUpOf        string
	SMDPAddress    string
	MatchingID     string
	ActivationCode string // always the full "LPA:1$smdp$matching" form
	PlanUID        string
	// Status is "pending" or "success" at the time of the snapshot.
	Status string
	// UsedMB is data used besides the steady rate of the consumption,
	// added by AdvanceProfile.
	UsedMB int64
}

// profile is an eSIM: an ICCID and the orders sold on it.
type profile struct {
	iccid       string
	profileType string
	base        *Bundle // the bundle of the first order
	orders      []*Order
	matchingID  string
}

// Server is the sandbox reseller API. Create it with New; it is an
// http.Handler and safe for concurrent use.
type Server struct {
	opts          Options
	prefix        string
	resellerHex   string
	resellerNum   int64
	cat           *catalog
	routes        map[string]map[string]route
	mu            sync.Mutex
	wallet        decimal.Decimal
	showGlobal    bool
	access        map[string]time.Time // access token → expiry
	refresh       map[string]time.Time // refresh token → expiry
	orders        []*Order
	ordersByID    map[string]*Order
	ordersByRef   map[string]*Order
	profiles      map[string]*profile
	ids           *idGen
	generatedRefs int
	faults        []*faultState
	faultRNG      *rand.Rand
	calls         map[string]int
}

// New returns a sandbox in its initial state: the catalog of opts.Seed, the
// starting wallet, no orders and no tokens.
func New(opts Options) *Server {
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Username == "" {
		opts.Username = "demo"
	}
	if opts.Password == "" {
		opts.Password = "demo"
	}
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = time.Hour
	}
	if opts.RefreshTTL <= 0 {
		opts.RefreshTTL = 24 * time.Hour
	}
	if opts.Wallet == (decimal.Decimal{}) {
		opts.Wallet = decimal.NewFromInt(1000)
	}
	if opts.Currency == "" {
		opts.Currency = "USD"
	}
	opts.Currency = strings.ToUpper(opts.Currency)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = "/api/v1"
	}
	prefix = "/" + strings.Trim(prefix, "/")
	if prefix == "/" {
		prefix = ""
	}
	s := &Server{
		opts:        opts,
		prefix:      prefix,
		cat:         newCatalog(opts.Seed, opts.Currency),
		wallet:      opts.Wallet,
		showGlobal:  opts.ShowGlobalESIMBundles,
		access:      map[string]time.Time{},
		refresh:     map[string]time.Time{},
		ordersByID:  map[string]*Order{},
		ordersByRef: map[string]*Order{},
		profiles:    map[string]*profile{},
		ids:         newIDGen(opts.Seed),
		faultRNG:    newFaultRNG(opts.Seed),
		calls:       map[string]int{},
	}
	s.resellerHex, s.resellerNum = resellerIDs(opts.Seed)
	s.routes = s.routeTable()
	return s
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// Prefix returns the path prefix the sandbox serves, e.g. "/api/v1" ("" when
// it serves at the root): a client's base URL is the server's address
// followed by it.
func (s *Server) Prefix() string { return s.prefix }

// Credentials returns the username and password that POST /Agent/login
// accepts.
func (s *Server) Credentials() (user, pass string) {
	return s.opts.Username, s.opts.Password
}

// Wallet returns the current wallet balance, in the sandbox's currency.
func (s *Server) Wallet() decimal.Decimal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wallet
}

// SetWallet sets the wallet balance, for example to zero to test a refused
// sale.
func (s *Server) SetWallet(d decimal.Decimal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wallet = d
}

// SetShowGlobalESIMBundles switches the Global eSIM feature flag, as the
// platform's operator would; the next login reports the new value.
func (s *Server) SetShowGlobalESIMBundles(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.showGlobal = on
}

// SetBundlePrice changes the prices of a bundle. They must keep the
// catalog's order: 0 <= final < retail <= subscriber.
func (s *Server) SetBundlePrice(code string, final, retail, subscriber decimal.Decimal) error {
	if final.IsNegative() || !final.LessThan(retail) || retail.GreaterThan(subscriber) {
		return fmt.Errorf("sandbox: set price of %s: want 0 <= final < retail <= subscriber, got %s, %s, %s", code, final, retail, subscriber)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.cat.byCode[code]
	if !ok {
		return fmt.Errorf("set price of %s: %w", code, ErrBundleNotFound)
	}
	b.PriceFinal, b.RetailPrice, b.SubscriberPrice = final, retail, subscriber
	return nil
}

// SetBundleAvailable withdraws a bundle (ok false: it is no longer listed
// nor sold) or puts it back on sale.
func (s *Server) SetBundleAvailable(code string, ok bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, found := s.cat.byCode[code]
	if !found {
		return fmt.Errorf("set availability of %s: %w", code, ErrBundleNotFound)
	}
	b.Available = ok
	return nil
}

// Bundles returns a snapshot of the whole catalog, available or not, in
// listing order.
func (s *Server) Bundles() []Bundle {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Bundle, len(s.cat.bundles))
	for i, b := range s.cat.bundles {
		out[i] = b.snapshot()
	}
	return out
}

// Orders returns a snapshot of every order, oldest first.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]Order, len(s.orders))
	for i, o := range s.orders {
		out[i] = s.orderSnapshot(o, now)
	}
	return out
}

// OrderByReference returns the order with that order_reference.
func (s *Server) OrderByReference(ref string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.ordersByRef[ref]
	if !ok {
		return Order{}, false
	}
	return s.orderSnapshot(o, s.now()), true
}

func (s *Server) orderSnapshot(o *Order, now time.Time) Order {
	out := *o
	out.Status = orderStatus(o, now)
	return out
}

func orderStatus(o *Order, now time.Time) string {
	if now.Before(o.ReadyAt) {
		return "pending"
	}
	return "success"
}

// Calls returns how many requests the sandbox has seen for an endpoint,
// whatever their outcome (faults included). The path is without the prefix,
// e.g. Calls("POST", "/Bundle").
func (s *Server) Calls(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method+" "+cleanPath(path)]
}

// ExpireAccessTokens makes every access token issued so far expire now, as
// if their lifetime had run out; refresh tokens keep working.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for tok := range s.access {
		s.access[tok] = now
	}
}

// route is one endpoint: its handler, and whether it needs an access token.
type route struct {
	handle func(r *http.Request) reply
	auth   bool
}

func (s *Server) routeTable() map[string]map[string]route {
	get := http.MethodGet
	post := http.MethodPost
	return map[string]map[string]route{
		"/Agent/login":         {post: {s.login, false}},
		"/Token/Refresh":       {post: {s.refreshToken, false}},
		"/Bundles":             {get: {s.listBundles, true}},
		"/Bundles/Networks":    {get: {s.listNetworks, true}},
		"/Bundle":              {post: {s.assign, true}},
		"/Orders":              {get: {s.listOrders, true}},
		"/Profile/Consumption": {get: {s.consumption, true}},
		"/Countries":           {get: {s.listCountries, true}},
		"/Regions":             {get: {s.listRegions, true}},
		"/v2/Bundles/Topup":    {get: {s.listTopupBundles, true}},
		"/Bundles/Topup":       {post: {s.topup, true}},
	}
}

// maxBody is the longest request body read.
const maxBody = 1 << 20

// cleanPath drops one trailing slash.
func cleanPath(p string) string {
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// ServeHTTP answers one request of the reseller API, or of the control
// with Options.Control.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if s.opts.Control && strings.HasPrefix(path, ControlPrefix) {
		s.serveControl(w, r)
		return
	}
	rt, path, ok := s.route(w, r)
	if !ok {
		return
	}

	// The body is read before any injected delay: the server notices that
	// the client has gone only once the request is read to its end, and a
	// delayed request must see it (FaultLatency ends when the client gives
	// up, and then nothing is handled).
	if r.Body != nil {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return // the client has gone
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	hit, ok := s.applyFaults(w, r, path)
	if !ok {
		return
	}
	rep := s.authorize(r, rt)
	switch {
	case hit != nil && hit.Kind == FaultCommitThenTimeout:
		s.withhold(w, r, hit)
		return
	case hit != nil && hit.Kind == FaultCommitThenStatus:
		rep = refusal(hit)
	}
	s.write(w, rep)
}

// route returns the route of r and r's path under the prefix, counting
// the call, or answers 404 or 405 and returns false.
func (s *Server) route(w http.ResponseWriter, r *http.Request) (route, string, bool) {
	path := r.URL.Path
	if s.prefix != "" && path != s.prefix && !strings.HasPrefix(path, s.prefix+"/") {
		s.write(w, errorReply(http.StatusNotFound, "Not Found", "Resource not found"))
		return route{}, "", false
	}
	path = cleanPath(strings.TrimPrefix(path, s.prefix))
	s.mu.Lock()
	s.calls[r.Method+" "+path]++
	s.mu.Unlock()

	methods, ok := s.routes[path]
	if !ok {
		s.write(w, errorReply(http.StatusNotFound, "Not Found", "Resource not found"))
		return route{}, "", false
	}
	rt, ok := methods[r.Method]
	if !ok {
		allowed := make([]string, 0, len(methods))
		for m := range methods {
			allowed = append(allowed, m)
		}
		sort.Strings(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.write(w, errorReply(http.StatusMethodNotAllowed, "Method Not Allowed", "Method not allowed"))
		return route{}, "", false
	}
	return rt, path, true
}

// authorize checks the access token if the route needs one, then handles
// the request.
func (s *Server) authorize(r *http.Request, rt route) reply {
	if rt.auth {
		tok := r.Header.Get("Access-Token")
		s.mu.Lock()
		exp, ok := s.access[tok]
		valid := ok && s.now().Before(exp)
		s.mu.Unlock()
		if !valid {
			return unauthorized()
		}
	}
	return rt.handle(r)
}

func unauthorized() reply {
	return errorReply(http.StatusUnauthorized, "Unauthorized", "Invalid or expired token")
}
