package flows

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Config is the engine's configuration. Zero fields take the defaults
// given beside them.
type Config struct {
	// Price says which bundle price customers see (default PriceRetail).
	Price PriceField
	// Currency is the currency of prices when the API names none (default USD).
	Currency string
	// OrderPrefix starts every order_reference (default "EB"); at most 8
	// letters or digits.
	OrderPrefix string
	// IdleTimeout drops conversations idle for longer (default 24 h).
	IdleTimeout time.Duration
	// CatalogTTL is how long catalog reads are cached (default 10 min).
	CatalogTTL time.Duration
	// UsageTTL is how long a usage answer is cached per ICCID (default 3 min).
	UsageTTL time.Duration
	// Popular lists the ISO-3 codes offered first (default a few favourites).
	Popular []string
	// Agents and Admins are the user IDs with those roles.
	Agents, Admins []UserID
	// Sandbox marks every delivery "SANDBOX – not a real eSIM".
	Sandbox bool
	// PageSize is the number of bundles per page (default 6).
	PageSize int
	// SaleTimeout bounds one purchase call (default 60 s).
	SaleTimeout time.Duration
	// DeliveryWait is how long a sale waits for its activation data before
	// the reconciler takes over (default 20 s).
	DeliveryWait time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives operational logs (default: discarded).
	Logger *slog.Logger
	// Observer, when set, is told of sale state changes and of the
	// reseller's wallet balance, for metrics.
	Observer Observer

	// InviteTTL is how long an agent invite can be opened (default 24 h).
	InviteTTL time.Duration
	// BotLink, when set, returns the channel's deep link that opens the
	// bot with a start payload (https://t.me/<bot>?start=<payload>); without
	// it, invites say "/start <payload>".
	BotLink func(payload string) string
	// LowBalance, when not zero, is the wallet balance under which admins
	// are alerted (alerts.go).
	LowBalance decimal.Decimal
	// DeliveryAlert is how long a sale may stay undelivered before admins
	// are alerted (default 10 min).
	DeliveryAlert time.Duration
	// Payments is how customers pay for a sale (default PaymentsNone).
	Payments Payments
	// ClosedSales keeps customers from completing a sale they do not pay
	// for: with payments off, only agents and admins sell, and a
	// customer's Confirm says how to buy (DESIGN.md invariant 7). The zero
	// value, open sales, is for the sandbox and the demo.
	ClosedSales bool
	// Support is the shop's contact (a @username, a phone, a link), shown
	// where a customer cannot buy here and by /paysupport.
	Support string
	// StarsPerUnit is how many Telegram Stars one unit of the price's
	// currency is worth, for PaymentsStars (the amount is rounded up).
	StarsPerUnit decimal.Decimal
	// InvoiceTTL is how long an invoice can be paid (default 30 min).
	InvoiceTTL time.Duration
	// Refunder refunds payments, for PaymentsStars.
	Refunder Refunder
	// UsageInterval is how often the usage watcher reads an eSIM's
	// consumption, at most (default 15 min; more often only near a
	// threshold); DataFloorMB is the data left under which its owner is
	// told (default 500); UsageRate caps the watcher's calls a second,
	// all eSIMs together (default 2). See usagewatch.go.
	UsageInterval time.Duration
	DataFloorMB   int64
	UsageRate     float64
	// SupportChat, when set, is the staff chat of the support desk (a
	// group of the shop's staff, support.go); the messenger must then be a
	// Poster and a Copier. Without it, "Contact support" shows Support.
	SupportChat ChatID
	// StaffLang is the language of what the engine writes in the staff
	// chat (a catalog language's BCP 47 tag, such as fr); empty: English.
	StaffLang string
	// Terms, when set, replaces the catalog's terms (/terms) in every
	// language: the operator's own text (Telegram HTML).
	Terms string
}

// Observer watches the engine, for metrics. Its methods must be quick and
// safe for concurrent use.
type Observer interface {
	// SaleMoved is called after a sale entered a state (s.State).
	SaleMoved(s Sale)
	// WalletBalance is called with the reseller's remaining balance after a sale.
	WalletBalance(amount decimal.Decimal)
	// DeliveryRetried is called when a delivery attempt failed and another
	// is scheduled; part is "activation" (no activation data yet), "text"
	// or "photo".
	DeliveryRetried(part string)
}

func (c *Config) defaults() {
	orDefault(&c.Price, PriceRetail)
	orDefault(&c.Currency, "USD")
	orDefault(&c.OrderPrefix, "EB")
	positiveOr(&c.IdleTimeout, 24*time.Hour)
	positiveOr(&c.CatalogTTL, 10*time.Minute)
	positiveOr(&c.UsageTTL, 3*time.Minute)
	if c.Popular == nil {
		c.Popular = []string{"USA", "GBR", "FRA", "ESP", "ITA", "DEU", "TUR", "ARE", "THA", "JPN"}
	}
	positiveOr(&c.PageSize, 6)
	positiveOr(&c.SaleTimeout, 60*time.Second)
	positiveOr(&c.DeliveryWait, 20*time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
	positiveOr(&c.DeliveryAlert, 10*time.Minute)
	positiveOr(&c.InviteTTL, 24*time.Hour)
	positiveOr(&c.InvoiceTTL, 30*time.Minute)
	c.usageDefaults()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// orDefault sets *p to def if *p is the zero value.
func orDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// positiveOr sets *p to def if *p is not positive.
func positiveOr[T ~int | ~int64](p *T, def T) {
	if *p <= 0 {
		*p = def
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if len(c.OrderPrefix) > 8 || strings.IndexFunc(c.OrderPrefix, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) >= 0 {
		return fmt.Errorf("order prefix %q: want at most 8 letters or digits", c.OrderPrefix)
	}
	switch c.Price {
	case "", PriceRetail, PriceSubscriber:
	default:
		return fmt.Errorf("price field %q: want %s or %s", c.Price, PriceRetail, PriceSubscriber)
	}
	switch c.Payments {
	case "", PaymentsNone:
	case PaymentsStars:
		if !c.StarsPerUnit.IsPositive() {
			return fmt.Errorf("stars per unit %s: want a positive number", c.StarsPerUnit)
		}
		if c.Refunder == nil {
			return fmt.Errorf("payments in stars need a refunder")
		}
	default:
		return fmt.Errorf("payments %q: want %s or %s", c.Payments, PaymentsNone, PaymentsStars)
	}
	return nil
}

// usageDefaults gives the usage watcher's settings their defaults.
func (c *Config) usageDefaults() {
	positiveOr(&c.UsageInterval, 15*time.Minute)
	positiveOr(&c.DataFloorMB, 500)
	if c.UsageRate <= 0 {
		c.UsageRate = 2
	}
}
