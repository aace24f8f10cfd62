package flows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/locales"
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
	if c.Price == "" {
		c.Price = PriceRetail
	}
	if c.Currency == "" {
		c.Currency = "USD"
	}
	if c.OrderPrefix == "" {
		c.OrderPrefix = "EB"
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 24 * time.Hour
	}
	if c.CatalogTTL <= 0 {
		c.CatalogTTL = 10 * time.Minute
	}
	if c.UsageTTL <= 0 {
		c.UsageTTL = 3 * time.Minute
	}
	if c.Popular == nil {
		c.Popular = []string{"USA", "GBR", "FRA", "ESP", "ITA", "DEU", "TUR", "ARE", "THA", "JPN"}
	}
	if c.PageSize <= 0 {
		c.PageSize = 6
	}
	if c.SaleTimeout <= 0 {
		c.SaleTimeout = 60 * time.Second
	}
	if c.DeliveryWait <= 0 {
		c.DeliveryWait = 20 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
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
	return nil
}

// Engine runs conversations. Handle is safe for concurrent use: events of
// one chat are processed one at a time, in the order Handle is called;
// different chats run in parallel.
type Engine struct {
	cfg     Config
	store   Store
	api     Reseller
	msg     Messenger
	cat     *locales.Catalog
	log     *slog.Logger
	catalog *cache
	usage   *cache
	roles   map[UserID]Role

	chats keyedMutex // one writer per chat
	sales keyedMutex // one worker per sale

	wake chan struct{} // tells Run that a sale was scheduled for soon
}

// New returns an engine. It does not call the API until the first event.
func New(cfg Config, store Store, api Reseller, msg Messenger, cat *locales.Catalog) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	if store == nil || api == nil || msg == nil || cat == nil {
		return nil, errors.New("flows: store, reseller, messenger and catalog are required")
	}
	e := &Engine{
		cfg: cfg, store: store, api: api, msg: msg, cat: cat, log: cfg.Logger,
		catalog: newCache(cfg.CatalogTTL, cfg.Now), usage: newCache(cfg.UsageTTL, cfg.Now),
		roles: map[UserID]Role{}, wake: make(chan struct{}, 1),
	}
	for _, id := range cfg.Agents {
		e.roles[id] = RoleAgent
	}
	for _, id := range cfg.Admins {
		e.roles[id] = RoleAdmin
	}
	return e, nil
}

// keyedMutex is a mutex per key, created on demand and dropped when unused.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedEntry
}

type keyedEntry struct {
	ch   chan struct{} // holds a token while locked
	refs int
}

// acquire returns the key's entry with a reference taken.
func (k *keyedMutex) acquire(key string) *keyedEntry {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.locks == nil {
		k.locks = map[string]*keyedEntry{}
	}
	e := k.locks[key]
	if e == nil {
		e = &keyedEntry{ch: make(chan struct{}, 1)}
		k.locks[key] = e
	}
	e.refs++
	return e
}

// release drops a reference and forgets the entry when unused.
func (k *keyedMutex) release(key string, e *keyedEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(k.locks, key)
	}
}

// lock takes the key's lock, waiting within ctx, and returns its unlock.
func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	e := k.acquire(key)
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; k.release(key, e) }, nil
	case <-ctx.Done():
		k.release(key, e)
		return nil, ctx.Err()
	}
}

// tryLock takes the key's lock if it is free.
func (k *keyedMutex) tryLock(key string) (func(), bool) {
	e := k.acquire(key)
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; k.release(key, e) }, true
	default:
		k.release(key, e)
		return nil, false
	}
}

// turn is the processing of one event.
type turn struct {
	e      *Engine
	ctx    context.Context
	ev     Event
	conv   Conversation
	saved  Conversation // as loaded, to tell whether it changed
	user   User
	role   Role
	loc    *locales.Localizer
	out    Outcome
	button bool // the event is a button press: screens edit the message
	dirty  bool // the user changed
	// kbRemoved is set once a message removed the share-number keyboard.
	kbRemoved bool
	// bumped is set once this turn moved to a new stamp.
	bumped bool
}

// Handle processes one event of a user and answers through the messenger.
// An error means the event could not be processed (the store or the
// messenger failed); the user has been told when possible.
func (e *Engine) Handle(ctx context.Context, ev Event) (Outcome, error) {
	unlock, err := e.chats.lock(ctx, fmt.Sprint(ev.Chat))
	if err != nil {
		return Outcome{}, err
	}
	defer unlock()
	t, err := e.begin(ctx, ev)
	if err != nil {
		return Outcome{}, err
	}
	if err := t.dispatch(); err != nil {
		e.log.ErrorContext(ctx, "handle event", "chat", ev.Chat, "err", err)
		_ = t.send(Message{Text: t.loc.T("error_generic")})
		_ = t.finish()
		return t.out, err
	}
	return t.out, t.finish()
}

// begin loads the user and the conversation of an event.
func (e *Engine) begin(ctx context.Context, ev Event) (*turn, error) {
	now := e.cfg.Now()
	t := &turn{e: e, ctx: ctx, ev: ev, button: ev.Kind == EventButton}
	u, err := e.store.User(ctx, ev.User)
	switch {
	case errors.Is(err, ErrNotFound):
		u = User{ID: ev.User, FirstSeen: now, Lang: e.cat.Match(ev.From.LanguageCode).String()}
		t.dirty = true
	case err != nil:
		return nil, fmt.Errorf("load user %d: %w", ev.User, err)
	}
	if u.LastSeen.IsZero() || now.Sub(u.LastSeen) > time.Minute || u.Blocked {
		u.LastSeen, u.Blocked = now, false
		t.dirty = true
	}
	t.role = e.roles[ev.User]
	if t.role == "" {
		t.role = RoleCustomer
	}
	if u.Role != t.role {
		u.Role = t.role
		t.dirty = true
	}
	t.user = u
	t.loc = e.cat.For(u.Lang)
	c, err := e.store.Conversation(ctx, ev.Chat)
	switch {
	case errors.Is(err, ErrNotFound):
		// A random first stamp: buttons of a conversation that expired (and
		// was deleted) must not match the new one's.
		c = Conversation{Chat: ev.Chat, User: ev.User, Step: stepMenu, Stamp: rand.Uint32()}
		t.conv, t.saved = c, Conversation{Chat: ev.Chat, Stamp: c.Stamp} // new: stored at the end of the turn
		return t, nil
	case err != nil:
		return nil, fmt.Errorf("load conversation %d: %w", ev.Chat, err)
	case now.Sub(c.Updated) > e.cfg.IdleTimeout && c.Step != stepSelling:
		// Start over; the first screen gets a new stamp, since the step
		// differs from the stored one.
		c.User = ev.User
		t.saved = c
		t.conv = Conversation{Chat: ev.Chat, User: ev.User, Version: c.Version, Stamp: c.Stamp, Step: stepMenu}
		return t, nil
	}
	c.User = ev.User
	t.conv, t.saved = c, c
	return t, nil
}

// finish stores what changed.
func (t *turn) finish() error {
	if t.dirty {
		if err := t.e.store.SaveUser(t.ctx, t.user); err != nil {
			return fmt.Errorf("save user %d: %w", t.user.ID, err)
		}
	}
	return t.save()
}

// save stores the conversation if it changed.
func (t *turn) save() error {
	if conversationEqual(t.conv, t.saved) {
		return nil
	}
	t.conv.Updated = t.e.cfg.Now()
	c, err := t.e.store.SaveConversation(t.ctx, t.conv)
	if errors.Is(err, ErrConflict) {
		// We hold the chat's lock: the only other writer is the sweep of idle
		// conversations, which deleted it meanwhile. Save over what is there.
		cur, gerr := t.e.store.Conversation(t.ctx, t.conv.Chat)
		switch {
		case errors.Is(gerr, ErrNotFound):
			t.conv.Version = 0
		case gerr == nil:
			t.conv.Version = cur.Version
		}
		c, err = t.e.store.SaveConversation(t.ctx, t.conv)
	}
	if err != nil {
		return fmt.Errorf("save conversation %d: %w", t.conv.Chat, err)
	}
	t.conv, t.saved = c, c
	return nil
}

// conversationEqual reports whether a conversation is unchanged (a false
// "changed" only costs a write).
func conversationEqual(a, b Conversation) bool { return reflect.DeepEqual(a, b) }

// send sends a message to the event's chat. Screens reached by a button
// edit the message the button was on.
func (t *turn) send(m Message) error {
	if m.RemoveKeyboard {
		t.kbRemoved = true
	}
	return t.e.msg.Send(t.ctx, t.ev.Chat, m)
}

// screen shows a new screen: a new stamp (older buttons go stale) and the
// message, editing the pressed message when the event is a button.
func (t *turn) screen(text string, rows ...[]Button) error {
	if t.saved.Step == stepWhatsApp && t.conv.Step != stepWhatsApp && !t.kbRemoved && t.role == RoleCustomer {
		// Leaving the WhatsApp step: close its share-number keyboard, which
		// takes a message of its own, and show the screen below it.
		if err := t.send(Message{Text: t.loc.T("keyboard_closed"), RemoveKeyboard: true}); err != nil {
			return err
		}
		t.button = false
	}
	return t.send(Message{Text: text, Buttons: rows, Replace: t.origin()})
}

// origin is the screen a message of this turn replaces: the one whose
// button was pressed, while screens edit it.
func (t *turn) origin() Origin {
	if t.button {
		return t.ev.Origin
	}
	return nil
}

// nextStamp moves to a new screen stamp and returns it: the buttons of
// every screen shown before go stale.
func (t *turn) nextStamp() uint32 {
	t.conv.Stamp++
	if t.conv.Stamp == 0 {
		t.conv.Stamp = 1
	}
	t.bumped = true
	return t.conv.Stamp
}

// screenStamp is the stamp of the screen about to be shown (DESIGN.md
// invariant 6): the conversation's stamp while its step and draft are what
// they were when the event arrived, so a re-shown screen (a hint, a stale
// tap, /help) leaves every copy of it working; a new one, once per turn,
// when what the buttons act on changed.
func (t *turn) screenStamp() uint32 {
	if !t.bumped && (t.conv.Step != t.saved.Step || !draftEqual(t.conv.Draft, t.saved.Draft)) {
		return t.nextStamp()
	}
	return t.conv.Stamp
}

// draftEqual reports whether two drafts act the same (an empty list of
// choices is no list).
func draftEqual(a, b Draft) bool {
	if len(a.Choices) == 0 {
		a.Choices = nil
	}
	if len(b.Choices) == 0 {
		b.Choices = nil
	}
	return reflect.DeepEqual(a, b)
}

// goTo moves to a step and shows it.
func (t *turn) goTo(step Step) error {
	t.conv.Step = step
	return t.show()
}

// act shows a chat action if the messenger can.
func (t *turn) act(action string) {
	if a, ok := t.e.msg.(Actor); ok {
		_ = a.Act(t.ctx, t.ev.Chat, action)
	}
}

// setLang changes the user's language.
func (t *turn) setLang(tag string) {
	t.user.Lang = tag
	t.dirty = true
	t.loc = t.e.cat.For(tag)
}

// updateSale is store.UpdateSale that tells the observer of a new state.
func (e *Engine) updateSale(ctx context.Context, ref string, fn func(*Sale) error) (Sale, error) {
	var before SaleState
	s, err := e.store.UpdateSale(ctx, ref, func(s *Sale) error {
		before = s.State
		return fn(s)
	})
	if err == nil && e.cfg.Observer != nil && s.State != before {
		e.cfg.Observer.SaleMoved(s)
	}
	return s, err
}

// Sweep drops conversations idle longer than the configured time; sales
// are never dropped.
func (e *Engine) Sweep(ctx context.Context) (int, error) {
	return e.store.ExpireConversations(ctx, e.cfg.Now().Add(-e.cfg.IdleTimeout))
}
