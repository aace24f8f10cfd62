package flows

import (
	"context"
	"errors"
	"reflect"
	"strings"

	"golang.org/x/text/language"

	"github.com/esimbot/esimbot/locales"
)

// transition moves a conversation on. From the conversation, the user and
// the input it returns the next conversation and the effects the engine
// carries out afterwards; it does no I/O. When it needs data, it returns
// a fetch and is run again once the data is loaded.
type transition func(c Conversation, u User, in input) (Conversation, []effect)

// input is what a transition reads besides the conversation and the user:
// the event, the user's language, the configuration, and the data the
// engine loaded for this event.
type input struct {
	ev    Event
	press press // the pressed button, once parsed
	loc   *locales.Localizer
	cfg   *Config
	langs []language.Tag
	data  loaded
}

// text is the typed text, trimmed.
func (in input) text() string { return strings.TrimSpace(in.ev.Text) }

// say is a message of the turn with the text of a locale key.
func (in input) say(key string, args ...any) say {
	return say{key: key, m: Message{Text: in.loc.T(key, args...)}}
}

// stale answers a button from an older screen: a notice, and the current
// screen again as a new message, with no other change.
func (in input) stale() []effect { return []effect{markStale{}, showScreen{}} }

// hint tells the user the input was not expected here and shows the step
// again.
func (in input) hint() []effect { return []effect{in.say("hint_unexpected"), showScreen{}} }

// view is what a screen is drawn from: the conversation, the user, the
// input and the stamp of the screen's buttons.
type view struct {
	input
	c     Conversation
	u     User
	stamp uint32
}

// btn is a button of the screen.
func (v view) btn(label string, a action, arg ...string) Button {
	p := press{stamp: v.stamp, act: a}
	if len(arg) > 0 {
		p.arg = arg[0]
	}
	return Button{Text: label, Data: p.data()}
}

// back is the row of the screen's Back button.
func (v view) back() []Button { return []Button{v.btn(v.loc.T("btn_back"), actBack)} }

// screen is what a step shows.
type screen struct {
	text    string
	rows    [][]Button
	contact *ContactRequest
	// err, when set, is why the screen cannot be shown (its data could not
	// be loaded): the user is told of the trouble instead.
	err error
}

// turn is the processing of one event: the engine's side of transitions.
type turn struct {
	e     *Engine
	ev    Event
	conv  Conversation
	saved Conversation // as loaded, to tell whether it changed
	user  User
	loc   *locales.Localizer
	data  loaded
	out   Outcome
	// onScreen is set for a press on a button of the screen shown: the
	// turn's first message may replace it.
	onScreen  bool
	sent      int  // messages sent by the turn
	dirty     bool // the user changed
	returned  bool // the user had blocked the bot and writes again
	reblocked bool // and a held sale's delivery in this turn met the block again
	bumped    bool // the turn moved to a new stamp
}

// maxRuns bounds how often a transition is run again for data.
const maxRuns = 8

// run runs a transition, loading the data it asks for, then carries out
// its effects.
func (t *turn) run(ctx context.Context, tr transition) error {
	for range maxRuns {
		c, effects := tr(t.conv, t.user, t.input())
		if needs := fetches(effects); len(needs) > 0 {
			t.fetch(ctx, needs...)
			continue
		}
		t.conv = c
		for _, ef := range effects {
			if err := ef.apply(ctx, t); err != nil {
				return err
			}
		}
		return nil
	}
	return errors.New("flows: a transition keeps asking for data")
}

func (t *turn) input() input {
	return input{ev: t.ev, press: t.press(), loc: t.loc, cfg: &t.e.cfg, langs: t.e.langs, data: t.data}
}

// press is the event's button.
func (t *turn) press() press {
	p, _ := parsePress(t.ev.Data)
	return p
}

// fetch loads what is not loaded yet. Failures are kept as the data's
// error, for the transition or the screen to decide on.
func (t *turn) fetch(ctx context.Context, needs ...need) {
	for _, n := range needs {
		if _, ok := t.data[n]; ok {
			continue
		}
		l := loaders[n.src]
		if l.typing {
			t.e.act(ctx, t.ev.Chat, "typing")
		}
		v, err := l.load(ctx, t.e, t.user, n.key)
		switch {
		case err != nil && l.store:
			err = &storeError{err}
		case err != nil:
			t.e.log.WarnContext(ctx, "reseller call failed", "chat", t.ev.Chat, "data", n.String(), "err", err)
		}
		t.data[n] = result{v: v, err: err}
	}
}

// show shows the screen of the current step, under a new stamp only if
// the step or the draft changed (see screenStamp).
func (t *turn) show(ctx context.Context) error {
	for range maxRuns {
		def, ok := steps[t.conv.Step]
		if !ok { // a step of no definition: the menu
			t.conv.Step = stepMenu
			continue
		}
		if def.needs != nil {
			t.fetch(ctx, def.needs(t.conv)...)
		}
		v := view{input: t.input(), c: t.conv, u: t.user}
		if def.valid != nil && !def.valid(v) {
			t.conv.Step = def.fallback
			if def.fallback == stepMenu {
				t.conv.Draft = Draft{}
			}
			continue
		}
		v.stamp = t.screenStamp()
		sc := def.show(v)
		if sc.err != nil {
			return trouble{sc.err}.apply(ctx, t)
		}
		return t.send(ctx, Message{Text: sc.text, Buttons: sc.rows, Contact: sc.contact}, true)
	}
	return errors.New("flows: no step can be shown")
}

// send sends a message of the turn to the event's chat, saying what the
// conversation waits for. A replacing message replaces the screen whose
// button was pressed, if it is the turn's first.
func (t *turn) send(ctx context.Context, m Message, replace bool) error {
	if replace && t.onScreen && t.sent == 0 {
		m.Replace = t.ev.Origin
	}
	m.Awaits = InputText
	if def, ok := steps[t.conv.Step]; ok && def.contact.run != nil {
		m.Awaits = InputContact
	}
	t.sent++
	return t.e.msg.Send(ctx, t.ev.Chat, m)
}

// nextStamp moves to a new screen stamp and returns it: the buttons of
// every screen shown before go stale.
func (t *turn) nextStamp() uint32 {
	t.conv.Stamp = stampAfter(t.conv.Stamp)
	t.conv.Pressed = ""
	if t.ev.Kind == EventButton {
		t.conv.Pressed = t.ev.Data
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
