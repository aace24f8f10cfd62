package flows

import (
	"context"
	"errors"
	"time"

	"github.com/shopspring/decimal"
)

// ChatID identifies a conversation (a Telegram chat, a terminal session).
type ChatID int64

// UserID identifies a person talking to the bot (a Telegram user).
type UserID int64

// Role is what a user may do.
type Role string

// The roles. A customer buys for themselves; an agent sells to walk-in
// customers (the end user's details are theirs, not the agent's); an admin
// is an agent who may also see every sale.
const (
	RoleCustomer Role = "customer"
	RoleAgent    Role = "agent"
	RoleAdmin    Role = "admin"
)

// User is what the bot remembers of a person.
type User struct {
	// ID identifies the user.
	ID UserID `json:"id"`
	// Lang is the chosen language (a BCP 47 tag such as "en", "fr", "ar").
	Lang string `json:"lang,omitempty"`
	// Role is the user's role, customer unless configured otherwise.
	Role Role `json:"role,omitempty"`
	// Email, Name and WhatsApp are the end-user details last used, offered
	// as defaults next time (customers only: agents sell to others).
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
	WhatsApp string `json:"whatsapp,omitempty"`
	// FirstSeen and LastSeen bound the user's activity.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Blocked is set when the user blocked the bot (sends fail with 403).
	Blocked bool `json:"blocked,omitempty"`
	// Alerts is which usage alerts the user wants (usagewatch.go), all
	// when empty; Muted lists the ICCIDs of the eSIMs they muted.
	Alerts AlertLevel `json:"alerts,omitempty"`
	Muted  []string   `json:"muted,omitempty"`
	// AskedESIM is set once the user was asked, before a first purchase,
	// whether their phone supports eSIM (help.go): they are not asked again.
	AskedESIM bool `json:"asked_esim,omitempty"`
}

// Step is where a conversation is.
type Step string

// Conversation is the state of one chat's dialogue. It is stored after
// every transition; Version guards against a stale write.
type Conversation struct {
	// Chat identifies the conversation.
	Chat ChatID `json:"chat"`
	// User is the last user who spoke in it.
	User UserID `json:"user"`
	// Version is the stored version this value was read at (0: new). The
	// store refuses to save over a newer one.
	Version uint64 `json:"version"`
	// Stamp is in the data of the screen's buttons. It changes when what
	// they act on does (the step, the draft), so a button from an older
	// screen is recognized as stale, and every copy of the current one
	// works (DESIGN.md invariant 6).
	Stamp uint32 `json:"stamp"`
	// Step is the current step.
	Step Step `json:"step"`
	// Updated is when it last changed; idle conversations expire.
	Updated time.Time `json:"updated"`
	// Draft is the sale being prepared.
	Draft Draft `json:"draft"`
	// Pressed is the data of the button press that moved the conversation
	// to its stamp (empty when something else did): the same press again
	// (a double tap, an update replayed after a restart) is answered
	// quietly, since what it asked for is on screen already.
	Pressed string `json:"pressed,omitempty"`
}

// Draft is what a conversation has gathered toward a sale.
type Draft struct {
	// Kind is a new eSIM or a top-up.
	Kind SaleKind `json:"kind,omitempty"`
	// DestKind and DestCode are the destination: country (ISO-3), region
	// (region code), global or cruise.
	DestKind string `json:"dest_kind,omitempty"`
	DestCode string `json:"dest_code,omitempty"`
	// Choices are the codes offered on the current screen (countries of a
	// search, bundles of a page, eSIMs), so a button can carry a short
	// index; the transition that enters the step fixes them.
	Choices []string `json:"choices,omitempty"`
	// Page is the page of the bundle list shown.
	Page int `json:"page,omitempty"`
	// Bundle is the chosen bundle as shown to the user.
	Bundle *BundleOffer `json:"bundle,omitempty"`
	// Email, Name and WhatsApp are the end user's details so far.
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
	WhatsApp string `json:"whatsapp,omitempty"`
	// Editing is set while one field is edited from the summary.
	Editing bool `json:"editing,omitempty"`
	// TopupRef is the sale whose profile a top-up goes on.
	TopupRef string `json:"topup_ref,omitempty"`
	// SaleRef is the sale created on confirmation.
	SaleRef string `json:"sale_ref,omitempty"`
	// ICCID is the profile the usage screen is about.
	ICCID string `json:"iccid,omitempty"`
}

// BundleOffer is a bundle as offered to a customer: what they saw and will pay.
type BundleOffer struct {
	// Code identifies the bundle.
	Code string `json:"code"`
	// Name is the plan's name as the API gives it (bundle_marketing_name,
	// usually English); users see a name built in their language from the
	// destination, the data and the days.
	Name string `json:"name"`
	// Category is country, region, global or cruise, when the API says;
	// Countries (ISO-3) and Region say what it covers.
	Category  string   `json:"category,omitempty"`
	Countries []string `json:"countries,omitempty"`
	Region    string   `json:"region,omitempty"`
	// RegionName is the API's name of the region.
	RegionName string `json:"region_name,omitempty"`
	// Price and Currency are the customer price.
	Price    decimal.Decimal `json:"price"`
	Currency string          `json:"currency"`
	// Cost is what the reseller pays.
	Cost decimal.Decimal `json:"cost"`
	// DataMB is the data volume, -1 for unlimited.
	DataMB int64 `json:"data_mb"`
	// Days is the validity.
	Days int `json:"days"`
	// CallsSMS and Topup are the bundle's marks.
	CallsSMS bool `json:"calls_sms,omitempty"`
	Topup    bool `json:"topup,omitempty"`
	// ProfileType is STANDARD or GLOBAL_ESIM.
	ProfileType string `json:"profile_type,omitempty"`
}

// Domain errors. Stores return them (wrapped) so flows can decide.
var (
	// ErrNotFound: no such conversation, sale or user.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a conversation changed since it was read.
	ErrConflict = errors.New("conversation changed since it was read")
	// ErrSaleExists: a sale with that reference exists already.
	ErrSaleExists = errors.New("sale exists already")
	// ErrBadTransition: a sale cannot move to that state.
	ErrBadTransition = errors.New("sale state transition not allowed")
)

// Store keeps everything that must survive a restart. Implementations:
// storage (bbolt) and flows/memstore (tests, fakes).
type Store interface {
	// Conversation returns a chat's conversation, or ErrNotFound.
	Conversation(ctx context.Context, chat ChatID) (Conversation, error)
	// SaveConversation stores c if the stored version is still c.Version
	// (ErrConflict otherwise) and returns it with its new Version.
	SaveConversation(ctx context.Context, c Conversation) (Conversation, error)
	// DeleteConversation drops a chat's conversation (not its sales).
	DeleteConversation(ctx context.Context, chat ChatID) error
	// ExpireConversations drops conversations not updated since before and
	// returns how many.
	ExpireConversations(ctx context.Context, before time.Time) (int, error)

	// CreateSale stores a new sale and saves c, in one transaction: both or
	// neither. ErrSaleExists if the reference is taken, ErrConflict if c is stale.
	CreateSale(ctx context.Context, s Sale, c Conversation) (Conversation, error)
	// Sale returns a sale by reference, or ErrNotFound.
	Sale(ctx context.Context, ref string) (Sale, error)
	// UpdateSale reads a sale, applies fn, checks the state transition (if
	// the state changed, it must be allowed by CanMove) and stores it, in
	// one transaction. An error from fn aborts without writing.
	UpdateSale(ctx context.Context, ref string, fn func(*Sale) error) (Sale, error)
	// SalesByUser returns a user's sales, newest first.
	SalesByUser(ctx context.Context, user UserID) ([]Sale, error)
	// SalesByICCID returns the sales on one eSIM profile, oldest first.
	SalesByICCID(ctx context.Context, iccid string) ([]Sale, error)
	// SalesInState returns the sales in any of the states, oldest first.
	SalesInState(ctx context.Context, states ...SaleState) ([]Sale, error)

	// User returns a user, or ErrNotFound.
	User(ctx context.Context, id UserID) (User, error)
	// SaveUser stores a user.
	SaveUser(ctx context.Context, u User) error
	// Forget erases a user's remembered details and conversation and
	// redacts the personal fields (email, name, WhatsApp) of their sales,
	// keeping references, amounts and states.
	Forget(ctx context.Context, user UserID, chat ChatID) error

	// StaffStore keeps invites and the roles they give (staff.go).
	StaffStore
	// SupportStore keeps the support desk's threads (support.go).
	SupportStore
	// RecordPayment stores p under its charge ID, once, and in the same
	// transaction gives fn the sale p.Ref names (nil when there is none)
	// to move to paid: when fn returns true the sale is stored as fn left
	// it (a state change checked with CanMove), and p as fn left it either
	// way. new reports whether the charge was new: for a known charge
	// nothing changes and the sale is returned as stored.
	RecordPayment(ctx context.Context, p Payment, fn func(p *Payment, s *Sale) bool) (s Sale, new bool, err error)
	// PaymentsByUser returns a user's payments, newest first.
	PaymentsByUser(ctx context.Context, user UserID) ([]Payment, error)
	// UsageAlertStore records the usage alerts sent (usagewatch.go).
	UsageAlertStore
}

// UsageAlertStore records which usage alerts the customers were sent, so
// none is sent twice across restarts. Keys are at most 256 bytes.
type UsageAlertStore interface {
	// MarkUsageAlert records key at time at and reports whether it was new.
	MarkUsageAlert(ctx context.Context, key string, at time.Time) (bool, error)
	// UsageAlertMarked reports whether key is recorded.
	UsageAlertMarked(ctx context.Context, key string) (bool, error)
	// ClearUsageAlert forgets key.
	ClearUsageAlert(ctx context.Context, key string) error
}

// Dedup remembers keys already processed, so a redelivered Telegram update
// or payment is handled once.
type Dedup interface {
	// FirstSeen records key under namespace ("update", "charge") at time at
	// and reports whether it was new. Old "update" keys are forgotten past
	// a bounded window; other namespaces are kept.
	FirstSeen(ctx context.Context, namespace, key string, at time.Time) (bool, error)
}
