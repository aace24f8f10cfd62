package flows

import (
	"context"
	"errors"

	"github.com/esimbot/esimbot/reseller"
)

// effect is what a transition asks of the engine, which carries it out
// once the transition returned (turn.apply): transitions do no I/O.
type effect interface {
	apply(ctx context.Context, t *turn) error
	// String names the effect, for tests.
	String() string
}

// fetch loads data; the engine then runs the transition again, with it.
type fetch struct{ need need }

// showScreen shows the screen of the conversation's step (turn.show).
type showScreen struct{}

// say sends a message of the turn; a replacing one replaces the screen
// whose button was pressed, when it is the turn's first message.
type say struct {
	key     string // the message's locale key, for tests
	m       Message
	replace bool
}

// toast is the short notice of a button press (Outcome.Notice), rendered
// in the user's language at the time.
type toast struct{ key string }

// markStale answers a button of an older screen (Outcome.Stale); the
// screen shown after it is a new message.
type markStale struct{}

// trouble tells the user that the reseller failed (a store's failure is
// an internal error instead).
type trouble struct{ err error }

// failure ends the turn with an internal error.
type failure struct{ err error }

// setLanguage changes the user's language.
type setLanguage struct{ tag string }

// forgetUser erases the user's remembered details and conversation
// (Store.Forget) and starts a new conversation at the menu.
type forgetUser struct{}

// resend sends a delivered eSIM again: its installation text and QR code.
type resend struct{ sale Sale }

// dropUsage forgets the cached usage of a profile.
type dropUsage struct{ iccid string }

func (f fetch) apply(ctx context.Context, t *turn) error { t.fetch(ctx, f.need); return nil }
func (showScreen) apply(ctx context.Context, t *turn) error {
	return t.show(ctx)
}
func (s say) apply(ctx context.Context, t *turn) error { return t.send(ctx, s.m, s.replace) }
func (s toast) apply(_ context.Context, t *turn) error {
	t.out.Notice = t.loc.T(s.key)
	return nil
}
func (markStale) apply(_ context.Context, t *turn) error {
	t.out = Outcome{Notice: t.loc.T("stale_button"), Stale: true}
	t.onScreen = false
	return nil
}
func (x failure) apply(context.Context, *turn) error { return x.err }
func (x setLanguage) apply(_ context.Context, t *turn) error {
	t.user.Lang = x.tag
	t.dirty = true
	t.loc = t.e.cat.For(x.tag)
	return nil
}
func (x resend) apply(ctx context.Context, t *turn) error {
	return t.e.sendESIM(ctx, x.sale, t.ev.Chat)
}
func (x dropUsage) apply(_ context.Context, t *turn) error {
	t.e.usage.drop(x.iccid)
	return nil
}

func (x trouble) apply(ctx context.Context, t *turn) error {
	var se *storeError
	if errors.As(x.err, &se) {
		return se.err
	}
	key := "error_api"
	switch {
	case errors.Is(x.err, reseller.ErrFeatureDisabled):
		key = "error_feature"
	case errors.Is(x.err, reseller.ErrNotFound):
		key = "error_not_found"
	}
	return t.send(ctx, Message{Text: t.loc.T(key), Buttons: [][]Button{{globalButton(t.loc.T("btn_menu"), actMenu), supportButton(t.loc.T("btn_support"))}}}, false)
}

func (forgetUser) apply(ctx context.Context, t *turn) error {
	if err := t.e.store.Forget(ctx, t.user.ID, t.ev.Chat); err != nil {
		return err
	}
	u := t.user
	t.user = User{ID: u.ID, Lang: u.Lang, Role: u.Role, FirstSeen: u.FirstSeen, LastSeen: u.LastSeen}
	t.dirty = true
	// The stored conversation is gone: a new one, at the menu.
	t.conv = Conversation{Chat: t.ev.Chat, User: t.ev.User, Stamp: t.conv.Stamp, Step: stepMenu}
	t.saved = Conversation{}
	return nil
}

func (f fetch) String() string       { return "fetch " + f.need.String() }
func (showScreen) String() string    { return "show" }
func (s say) String() string         { return "say " + s.key }
func (s toast) String() string       { return "toast " + s.key }
func (markStale) String() string     { return "stale" }
func (trouble) String() string       { return "trouble" }
func (failure) String() string       { return "failure" }
func (x setLanguage) String() string { return "language " + x.tag }
func (forgetUser) String() string    { return "forget" }
func (x resend) String() string      { return "resend " + x.sale.Ref }
func (x dropUsage) String() string   { return "drop usage " + x.iccid }

// first puts an effect before others.
func first(e effect, rest []effect) []effect { return append([]effect{e}, rest...) }
