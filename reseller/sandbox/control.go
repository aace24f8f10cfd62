package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// The run-time control of the catalog: change a bundle's price or withdraw
// it while a client runs, to try what happens to a sale in flight (between
// a Telegram invoice and its payment, for example). From Go:
// SetRetailPrice, SetBundlePrice and SetBundleAvailable; over HTTP, with
// Options.Control, the endpoints under ControlPrefix.

// ControlPrefix is the path of the control endpoints, outside the API
// prefix: GET and POST ControlPrefix + "bundles/{code}", and
// ControlPrefix + "profiles/{iccid}" (control_profiles.go).
const ControlPrefix = "/_sandbox/"

// controlRealm is the basic-auth realm of the control endpoints.
const controlRealm = "esimbot sandbox control"

// SetRetailPrice sets a bundle's reseller_retail_price and moves
// bundle_price_final and subscriber_price by the same ratio (to the cent,
// keeping 0 <= final < retail <= subscriber), so that the listing and what
// a sale charges change together. retail must be positive, with at most
// two decimals. Like SetBundlePrice it is not kept in a Snapshot.
func (s *Server) SetRetailPrice(code string, retail decimal.Decimal) error {
	if err := checkRetail(retail); err != nil {
		return fmt.Errorf("sandbox: set retail price of %s: %w", code, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.cat.byCode[code]
	if !ok {
		return fmt.Errorf("set retail price of %s: %w", code, ErrBundleNotFound)
	}
	setRetail(b, retail)
	return nil
}

// checkRetail checks a new retail price.
func checkRetail(retail decimal.Decimal) error {
	if !retail.IsPositive() || !retail.Equal(retail.Round(2)) {
		return fmt.Errorf("want a positive amount with at most two decimals, got %s", retail)
	}
	return nil
}

// setRetail applies SetRetailPrice to b. The caller holds s.mu.
func setRetail(b *Bundle, retail decimal.Decimal) {
	ratio := retail.Div(b.RetailPrice)
	cent := decimal.New(1, -2)
	final := decimal.Max(decimal.Min(b.PriceFinal.Mul(ratio).Round(2), retail.Sub(cent)), decimal.Zero)
	subscriber := decimal.Max(b.SubscriberPrice.Mul(ratio).Round(2), retail)
	b.PriceFinal, b.RetailPrice, b.SubscriberPrice = final, retail, subscriber
}

// controlBundleJSON is a bundle as the control endpoints answer it.
type controlBundleJSON struct {
	Code            string          `json:"bundle_code"`
	PriceFinal      json.RawMessage `json:"bundle_price_final"`
	RetailPrice     json.RawMessage `json:"reseller_retail_price"`
	SubscriberPrice json.RawMessage `json:"subscriber_price"`
	Currency        string          `json:"currency"`
	Available       bool            `json:"available"`
}

func controlBundle(b *Bundle) controlBundleJSON {
	price := func(d decimal.Decimal) json.RawMessage { return json.RawMessage(d.StringFixed(2)) }
	return controlBundleJSON{
		Code: b.Code, PriceFinal: price(b.PriceFinal), RetailPrice: price(b.RetailPrice),
		SubscriberPrice: price(b.SubscriberPrice), Currency: b.Currency, Available: b.Available,
	}
}

// serveControl answers a request under ControlPrefix: basic auth with the
// login's credentials, then
//
//	GET  /_sandbox/bundles/{code}                          the bundle's prices and availability
//	POST /_sandbox/bundles/{code}  price=9.99 withdraw=true|false
//
// POST takes form values (in the query or an urlencoded body): price sets
// the retail price as SetRetailPrice does, withdraw withdraws the bundle
// or puts it back on sale. Both are checked before either is applied.
// Both answer the bundle as it is now. Faults and call counts do not
// apply to the control.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.opts.Username)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.Password)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+controlRealm+`", charset="UTF-8"`)
		s.write(w, errorReply(http.StatusUnauthorized, "Unauthorized", "The control needs the sandbox's username and password (basic auth)"))
		return
	}
	if iccid, ok := strings.CutPrefix(r.URL.Path, ControlPrefix+"profiles/"); ok && iccid != "" && !strings.Contains(iccid, "/") {
		s.serveProfileControl(w, r, iccid)
		return
	}
	code, ok := strings.CutPrefix(r.URL.Path, ControlPrefix+"bundles/")
	if !ok || code == "" || strings.Contains(code, "/") {
		s.write(w, errorReply(http.StatusNotFound, "Not Found", "Resource not found"))
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.write(w, s.controlGet(code))
	case http.MethodPost:
		s.write(w, s.controlPost(w, r, code))
	default:
		w.Header().Set("Allow", "GET, POST")
		s.write(w, errorReply(http.StatusMethodNotAllowed, "Method Not Allowed", "Method not allowed"))
	}
}

func bundleNotFound() reply {
	return errorReply(http.StatusNotFound, "Not Found", "Bundle not found")
}

func (s *Server) controlGet(code string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.cat.byCode[code]
	if !ok {
		return bundleNotFound()
	}
	return reply{http.StatusOK, controlBundle(b)}
}

func (s *Server) controlPost(w http.ResponseWriter, r *http.Request, code string) reply {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		return *badRequest("the body must be form values, e.g. price=9.99 or withdraw=true")
	}
	var (
		retail   decimal.Decimal
		setPrice bool
		withdraw bool
		setAvail bool
	)
	for k, vs := range r.Form {
		v := strings.TrimSpace(vs[len(vs)-1])
		switch k {
		case "price":
			d, err := decimal.NewFromString(v)
			if err == nil {
				err = checkRetail(d)
			}
			if err != nil {
				return *badRequest(fmt.Sprintf("price %q: want a positive amount with at most two decimals", v))
			}
			retail, setPrice = d, true
		case "withdraw":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return *badRequest(fmt.Sprintf("withdraw %q: want true or false", v))
			}
			withdraw, setAvail = on, true
		default:
			return *badRequest(fmt.Sprintf("unknown parameter %q: want price or withdraw", k))
		}
	}
	if !setPrice && !setAvail {
		return *badRequest("nothing to change: give price=AMOUNT or withdraw=true|false")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.cat.byCode[code]
	if !ok {
		return bundleNotFound()
	}
	if setPrice {
		setRetail(b, retail)
	}
	if setAvail {
		b.Available = !withdraw
	}
	return reply{http.StatusOK, controlBundle(b)}
}
