package flows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"sync"
	"time"

	"golang.org/x/text/language"

	"github.com/esimbot/esimbot/locales"
)

// Engine runs conversations. Handle is safe for concurrent use: events of
// one chat are processed one at a time, in the order Handle is called;
// different chats run in parallel.
type Engine struct {
	cfg     Config
	store   Store
	api     Reseller
	msg     Messenger
	cat     *locales.Catalog
	langs   []language.Tag
	log     *slog.Logger
	catalog *cache
	usage   *usageCache // shared by /usage and the usage watcher
	roles   map[UserID]Role

	chats   keyedMutex // one writer per chat
	sales   keyedMutex // one worker per sale
	threads keyedMutex // one flush per support thread
	posting sync.Mutex // a post to the staff chat and its record (support.go)

	wake chan struct{} // tells Run that a sale was scheduled for soon

	orphansAt atomicTime // when Watch last compared the API's orders with the ledger
	watch     usageWatch // the usage watcher's schedule (usagewatch.go)
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
	if _, ok := msg.(interface {
		Poster
		Copier
	}); cfg.SupportChat != 0 && !ok {
		return nil, errors.New("flows: a support chat needs a messenger that tells message IDs and copies messages (a Poster and a Copier)")
	}
	e := &Engine{
		cfg: cfg, store: store, api: api, msg: msg, cat: cat, langs: cat.Languages(), log: cfg.Logger,
		catalog: newCache(cfg.CatalogTTL, cfg.Now, true), usage: newUsageCache(cfg.Now),
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

// Handle processes one event of a user and answers through the messenger.
// An error means the event could not be processed (the store or the
// messenger failed); the user has been told when possible.
func (e *Engine) Handle(ctx context.Context, ev Event) (Outcome, error) {
	if ev.Kind == EventStaff {
		return e.handleStaff(ctx, ev)
	}
	unlock, err := e.chats.lock(ctx, strconv.FormatInt(int64(ev.Chat), 10))
	if err != nil {
		return Outcome{}, err
	}
	defer unlock()
	t, err := e.begin(ctx, ev)
	if err != nil {
		return Outcome{}, err
	}
	if t.returned {
		t.deliverHeld(ctx) // what was held for a user who blocked the bot goes first
		t.flushReturned(ctx)
	}
	if t.unstick(ctx) && t.staleTap() {
		// The tap of the screen the finished sale was confirmed on, again
		// (an update replayed after a restart): the eSIM is above.
		t.out.Notice = t.loc.T("sale_done_above")
		return t.out, t.finish(ctx)
	}
	if err := t.run(ctx, route); err != nil {
		e.log.ErrorContext(ctx, "handle event", "chat", ev.Chat, "err", err)
		_ = t.send(ctx, Message{Text: t.loc.T("error_generic")}, false)
		_ = t.finish(ctx)
		return t.out, err
	}
	if ev.Ack != nil {
		ev.Ack(t.out)
	}
	return t.out, t.finish(ctx)
}

// begin loads the user and the conversation of an event.
func (e *Engine) begin(ctx context.Context, ev Event) (*turn, error) {
	t := &turn{e: e, ev: ev, data: loaded{}}
	if err := t.loadUser(ctx); err != nil {
		return nil, err
	}
	t.loc = e.cat.For(t.user.Lang)
	c, err := e.store.Conversation(ctx, ev.Chat)
	switch {
	case errors.Is(err, ErrNotFound):
		// A random first stamp: buttons of a conversation that expired (and
		// was deleted) must not match the new one's.
		c = Conversation{Chat: ev.Chat, User: ev.User, Step: stepMenu, Stamp: newStamp()}
		t.conv, t.saved = c, Conversation{Chat: ev.Chat, Stamp: c.Stamp} // new: stored at the end of the turn
	case err != nil:
		return nil, fmt.Errorf("load conversation %d: %w", ev.Chat, err)
	case e.cfg.Now().Sub(c.Updated) > e.cfg.IdleTimeout && !waiting(c.Step):
		// Start over; the first screen gets a new stamp, since the step
		// differs from the stored one.
		c.User = ev.User
		t.saved = c
		t.conv = Conversation{Chat: ev.Chat, User: ev.User, Version: c.Version, Stamp: c.Stamp, Step: stepMenu}
	default:
		c.User = ev.User
		t.conv, t.saved = c, c
	}
	if ev.Kind == EventButton {
		p, ok := parsePress(ev.Data)
		t.onScreen = ok && !p.global && p.stamp == t.conv.Stamp
	}
	return t, nil
}

// loadUser loads the user of the event, or makes a new one, with the
// configured role.
func (t *turn) loadUser(ctx context.Context) error {
	e, ev, now := t.e, t.ev, t.e.cfg.Now()
	u, err := e.store.User(ctx, ev.User)
	switch {
	case errors.Is(err, ErrNotFound):
		u = User{ID: ev.User, FirstSeen: now, Lang: e.cat.Match(ev.From.LanguageCode).String()}
		t.dirty = true
	case err != nil:
		return fmt.Errorf("load user %d: %w", ev.User, err)
	}
	if u.LastSeen.IsZero() || now.Sub(u.LastSeen) > time.Minute || u.Blocked {
		t.returned = u.Blocked
		u.LastSeen, u.Blocked = now, false
		t.dirty = true
	}
	role, err := e.roleOf(ctx, ev.User)
	if err != nil {
		return err
	}
	if u.Role != role {
		u.Role = role
		t.dirty = true
	}
	t.user = u
	return nil
}

// roleOf is a user's role: the configured one, else the one an invite
// gave, else customer. It is read at every event, so a revoked agent is a
// customer from their next tap on.
func (e *Engine) roleOf(ctx context.Context, id UserID) (Role, error) {
	if role, ok := e.roles[id]; ok {
		return role, nil
	}
	g, err := e.store.Grant(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return RoleCustomer, nil
	case err != nil:
		return "", fmt.Errorf("load role of %d: %w", id, err)
	}
	return g.Role, nil
}

// unstick frees a conversation left waiting for a sale that finished
// without it (a restart, the reconciler), and reports whether that sale
// was delivered. A sale the API sold and the program did not finish
// delivering (it stopped) is delivered first.
func (t *turn) unstick(ctx context.Context) bool {
	if !waiting(t.conv.Step) {
		return false
	}
	ref := t.conv.Draft.SaleRef
	s, err := t.e.store.Sale(ctx, ref)
	if err == nil && s.State == SaleAssigned {
		if err := t.e.process(ctx, ref, true); err != nil {
			t.e.log.WarnContext(ctx, "deliver a sale the conversation waits for", "ref", ref, "err", err)
		}
		s, err = t.e.store.Sale(ctx, ref)
	}
	if err != nil || s.State.Finished() {
		t.conv.Draft = Draft{}
		t.conv.Step = stepMenu
		return err == nil && s.State == SaleDelivered
	}
	return false
}

// staleTap reports whether the event is a tap on a button of an older
// screen.
func (t *turn) staleTap() bool {
	if t.ev.Kind != EventButton {
		return false
	}
	p, ok := parsePress(t.ev.Data)
	return ok && !p.global && p.stamp != t.conv.Stamp
}

// finish stores what changed.
func (t *turn) finish(ctx context.Context) error {
	if t.dirty {
		if cur, err := t.e.store.User(ctx, t.user.ID); err == nil && cur.Blocked && (!t.returned || t.reblocked) {
			t.user.Blocked = true // the user blocked the bot during the turn (a delivery met a 403)
		}
		if err := t.e.store.SaveUser(ctx, t.user); err != nil {
			return fmt.Errorf("save user %d: %w", t.user.ID, err)
		}
	}
	return t.save(ctx)
}

// save stores the conversation if it changed.
func (t *turn) save(ctx context.Context) error {
	if conversationEqual(t.conv, t.saved) {
		return nil
	}
	t.conv.Updated = t.e.cfg.Now()
	c, err := t.e.store.SaveConversation(ctx, t.conv)
	if errors.Is(err, ErrConflict) {
		// We hold the chat's lock: the only other writer is the sweep of idle
		// conversations, which deleted it meanwhile. Save over what is there.
		cur, gerr := t.e.store.Conversation(ctx, t.conv.Chat)
		switch {
		case errors.Is(gerr, ErrNotFound):
			t.conv.Version = 0
		case gerr == nil:
			t.conv.Version = cur.Version
		}
		c, err = t.e.store.SaveConversation(ctx, t.conv)
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

// Sweep drops conversations idle longer than the configured time; sales
// are never dropped.
func (e *Engine) Sweep(ctx context.Context) (int, error) {
	return e.store.ExpireConversations(ctx, e.cfg.Now().Add(-e.cfg.IdleTimeout))
}
