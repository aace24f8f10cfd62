package flows

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
)

// The support desk (issue 14). A customer's "Contact support" opens the
// support step: what they type there goes into their open thread, which
// the engine posts to the staff chat (Config.SupportChat) with their
// language and their recent orders' references and states, and nothing
// secret: no activation code, no email or WhatsApp number, no token. A
// staff member answers by replying (a Telegram reply) to a message of the
// thread in that chat; the engine sends the answer to the customer. A
// photo, a file, a video, a voice note, an audio or a sticker goes either
// way as a copy of the message (Copier), its caption its text in the
// thread: in the staff chat under the thread's header, to the customer
// after the Support line. The
// thread goes on both ways until a staff member closes it (the Close button
// under each forwarded message, or /close as a reply); the customer is
// told.
//
// Every message of a thread is stored before it is sent on, with whether
// it reached the other side; what has not is sent again by Run (a restart
// loses none). The staff chat's message IDs of a thread are indexed, so a
// staff reply reaches the thread's customer and no one else; a reply to any
// other message of the staff chat is ignored, and events from any other
// chat never reach the desk (the channel lets only the configured chat
// through, and the engine checks it again).

// Thread is one customer's conversation with the shop's staff.
type Thread struct {
	// ID numbers threads in the order they were opened (from 1).
	ID uint64 `json:"id"`
	// User and Chat are the customer and their private chat.
	User UserID `json:"user"`
	Chat ChatID `json:"chat"`
	// Lang is the customer's language; Name and Username their display
	// name and handle, for the staff.
	Lang     string `json:"lang,omitempty"`
	Name     string `json:"name,omitempty"`
	Username string `json:"username,omitempty"`
	// Messages are the thread's messages, oldest first.
	Messages []SupportMessage `json:"messages"`
	// Created is when it was opened; Closed when a staff member (ClosedBy)
	// closed it, zero while open.
	Created  time.Time `json:"created"`
	Closed   time.Time `json:"closed,omitzero"`
	ClosedBy string    `json:"closed_by,omitempty"`
	// CloseTold is set once the customer was told it closed.
	CloseTold bool `json:"close_told,omitempty"`
	// BlockedTold is set once the staff were told that the customer
	// blocked the bot, so answers wait for them; it is cleared when what
	// waited reaches them.
	BlockedTold bool `json:"blocked_told,omitempty"`
}

// SupportMessage is one message of a thread.
type SupportMessage struct {
	// Staff marks a staff member's answer; From is then their name.
	Staff bool `json:"staff,omitempty"`
	// Source is the ID of a customer's text message in their chat, and
	// Part which part of it this is (a long one goes in several): so that
	// the same update handled again adds nothing (0: unknown).
	Source int64  `json:"source,omitempty"`
	Part   int    `json:"part,omitempty"`
	From   string `json:"from,omitempty"`
	// Text is the message as written (plain text), or a media message's
	// caption.
	Text string    `json:"text"`
	At   time.Time `json:"at"`
	// Media, when set, is the ID of the message in its own chat (the
	// customer's, or the staff chat) that carries a photo, a file, a
	// video, a voice note, an audio or a sticker: it goes on as a copy
	// (Copier).
	Media int64 `json:"media,omitempty"`
	// Introduced is set once what goes before a media message's copy was
	// sent: the thread's header in the staff chat (its ID is then Post),
	// the Support line to the customer.
	Introduced bool `json:"introduced,omitempty"`
	// Copy is the ID of the copy of a customer's media message in the
	// staff chat; 0 until copied.
	Copy int64 `json:"copy,omitempty"`
	// Post is the message's ID in the staff chat: the customer's message
	// as the bot posted it there, or the staff member's own; 0 until posted.
	Post int64 `json:"post,omitempty"`
	// Done is set once the message reached the other side, or Telegram
	// refused it maxSupportTries times (Refused is then set too). Tries
	// counts the refusals, and NextTry is when it goes again after one.
	Done    bool      `json:"done,omitempty"`
	Refused bool      `json:"refused,omitempty"`
	Tries   int       `json:"tries,omitempty"`
	NextTry time.Time `json:"next_try,omitzero"`
}

// Open reports whether the thread takes messages.
func (t Thread) Open() bool { return t.Closed.IsZero() }

// Pending reports whether something of the thread has not reached its
// side yet: a message, or the notice that it closed.
func (t Thread) Pending() bool {
	for _, m := range t.Messages {
		if !m.Done {
			return true
		}
	}
	return !t.Open() && !t.CloseTold
}

// Posts returns the staff chat's message IDs of the thread, the messages
// a staff reply answers it by: each message's Post, and the copies of the
// customer's media. The stores index them (SupportStore.ThreadOfPost).
func (t Thread) Posts() []int64 {
	var posts []int64
	for _, m := range t.Messages {
		if m.Post != 0 {
			posts = append(posts, m.Post)
		}
		if m.Copy != 0 && !m.Staff {
			posts = append(posts, m.Copy)
		}
	}
	return posts
}

// Has reports whether the thread holds m already: a media message of the
// same source, or the same part of the same customer's text message (the
// same update again, SupportStore.AddSupport).
func (t Thread) Has(m SupportMessage) bool {
	for _, old := range t.Messages {
		if m.Media != 0 && old.Media == m.Media && old.Staff == m.Staff {
			return true
		}
		if m.Source != 0 && old.Source == m.Source && old.Part == m.Part && !old.Staff && !m.Staff {
			return true
		}
	}
	return false
}

// RedactThread removes what a thread says of its customer: their name and
// every message's text and caption (Store.Forget), keeping the thread's
// shape; the copies already passed on stay where they are.
func RedactThread(t *Thread) {
	t.Name, t.Username = "", ""
	for i := range t.Messages {
		t.Messages[i].Text = ""
	}
}

// SupportStore keeps the support desk's threads. It is part of Store.
type SupportStore interface {
	// AddSupport appends m to the open thread of th.User, opening one (th
	// with the next ID, its Created set to m.At) when there is none, in one
	// transaction, and returns the thread; a media message the open thread
	// has already (Thread.Has: the same update again) is not added twice.
	AddSupport(ctx context.Context, th Thread, m SupportMessage) (Thread, error)
	// UpdateThread reads a thread, applies fn and stores it, in one
	// transaction, indexing its Posts; ErrNotFound if there is
	// none. An error from fn aborts without writing.
	UpdateThread(ctx context.Context, id uint64, fn func(*Thread) error) (Thread, error)
	// ThreadOfPost returns the thread one of whose Posts is post, or
	// ErrNotFound.
	ThreadOfPost(ctx context.Context, post int64) (Thread, error)
	// PendingThreads returns the threads with something pending (see
	// Thread.Pending), oldest first.
	PendingThreads(ctx context.Context) ([]Thread, error)
}

// Poster is a Messenger that tells the ID of the message it sent: the
// support desk needs it to match staff replies with threads.
type Poster interface {
	// Post sends m to chat and returns the ID of the message (of its last
	// part when it was split).
	Post(ctx context.Context, chat ChatID, m Message) (int64, error)
}

// Copier is a Messenger that copies a message of one chat into another:
// the support desk passes photos, files and voice notes on so.
type Copier interface {
	// Copy copies c.Message of chat c.From into chat and returns the
	// copy's ID; its errors are Send's (ErrRefused, ErrBlocked).
	Copy(ctx context.Context, chat ChatID, c Copy) (int64, error)
}

// Copy is a message to copy (Copier).
type Copy struct {
	// From and Message are the chat and the ID of the message to copy.
	From    ChatID
	Message int64
	// ReplyTo, when set, is the message of the destination chat the copy
	// replies to.
	ReplyTo int64
	// Buttons go under the copy.
	Buttons [][]Button
}

// supportKeys are the locale keys of the support desk.
var supportKeys = []string{"support_ask", "support_sent", "support_cannot_send", "support_reply", "support_reply_media",
	"support_closed_user",
	"support_contact", "support_contact_none", "btn_support", "btn_support_reply", "staff_header", "staff_order",
	"staff_no_orders", "staff_media", "staff_cannot_send", "staff_reply_closed", "staff_closed", "staff_customer_blocked", "staff_not_passed", "staff_answer_not_passed", "btn_staff_close", "state_*"}

// maxSupportText bounds a support message (Telegram's own limit is 4096).
const maxSupportText = 3000

// supportButton is the "Contact support" button, valid on every screen.
func supportButton(label string) Button { return globalButton(label, actSupport) }

// contactSupport is the Contact support button: the support step, or the
// shop's contact when there is no staff chat.
func contactSupport(c Conversation, u User, in input) (Conversation, []effect) {
	if in.cfg.SupportChat == 0 {
		key, args := "support_contact_none", []any{}
		if in.cfg.Support != "" {
			key, args = "support_contact", []any{"Support", in.cfg.Support}
		}
		m := in.say(key, args...)
		m.m.Buttons = journeyRows(in)
		return c, []effect{m}
	}
	return goTo(c, u, in, stepSupport)
}

// showSupport asks for the message to the staff.
func showSupport(v view) screen {
	return screen{text: v.loc.T("support_ask"), rows: [][]Button{v.back()}}
}

// writeSupport takes a message for the staff (or, when the desk was
// turned off meanwhile, shows the shop's contact).
func writeSupport(c Conversation, u User, in input) (Conversation, []effect) {
	if in.cfg.SupportChat == 0 {
		return contactSupport(c, u, in)
	}
	var effects []effect
	for i, part := range supportParts(in.text(), maxSupportText) {
		effects = append(effects, toSupport{text: part, source: in.ev.MessageID, part: i})
	}
	return c, append(effects, in.say("support_sent"))
}

// writeSupportMedia takes a photo, a file, a video or a voice note for
// the staff, with its caption.
func writeSupportMedia(c Conversation, u User, in input) (Conversation, []effect) {
	if in.cfg.SupportChat == 0 {
		return contactSupport(c, u, in)
	}
	return c, []effect{toSupport{text: in.text(), media: in.ev.MessageID}, in.say("support_sent")}
}

// notForSupport answers at the support step what the desk cannot pass on
// (a contact, a location, a poll): it says what it can.
func notForSupport(c Conversation, u User, in input) (Conversation, []effect) {
	if in.cfg.SupportChat == 0 {
		return contactSupport(c, u, in)
	}
	return c, []effect{in.say("support_cannot_send")}
}

// toSupport stores a customer's message in their thread and posts it to
// the staff chat: text, or the ID of a media message (its caption text).
type toSupport struct {
	text   string
	media  int64
	source int64 // a text message's ID, and which part of it this is
	part   int
}

func (x toSupport) String() string { return "support" }
func (x toSupport) apply(ctx context.Context, t *turn) error {
	e, ev := t.e, t.ev
	th := Thread{User: t.user.ID, Chat: ev.Chat, Lang: t.user.Lang, Name: clip(ev.From.FullName(), 64), Username: ev.From.Username}
	th, err := e.store.AddSupport(ctx, th, SupportMessage{Text: x.text, At: e.cfg.Now(), Media: x.media, Source: x.source, Part: x.part})
	if err != nil {
		return fmt.Errorf("store support message: %w", err)
	}
	if err := e.flushThread(ctx, th.ID); err != nil {
		e.log.WarnContext(ctx, "support message not posted yet", "thread", th.ID, "err", err)
	}
	return nil
}

// handleStaff handles an event of the staff chat: a reply to a thread's
// message, /close as such a reply, or the Close button.
func (e *Engine) handleStaff(ctx context.Context, ev Event) (Outcome, error) {
	if e.cfg.SupportChat == 0 || ev.Chat != e.cfg.SupportChat {
		e.log.WarnContext(ctx, "staff event refused: not the support chat", "chat", ev.Chat)
		return Outcome{}, nil
	}
	unlock, err := e.chats.lock(ctx, strconv.FormatInt(int64(ev.Chat), 10))
	if err != nil {
		return Outcome{}, err
	}
	defer unlock()
	if id, ok := strings.CutPrefix(ev.Data, staffClose); ok {
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			return Outcome{}, nil
		}
		return Outcome{}, e.closeThread(ctx, n, ev.From)
	}
	if ev.ReplyTo == 0 || ev.Data != "" {
		return Outcome{}, nil // the staff's own talk
	}
	return Outcome{}, e.staffReply(ctx, ev)
}

// staffReply handles a reply in the staff chat: an answer to the thread of
// the message replied to, or /close; a reply to any other message is
// ignored.
func (e *Engine) staffReply(ctx context.Context, ev Event) error {
	loc := e.cat.For(e.cfg.StaffLang)
	// A reply may reach us before the post it answers is recorded.
	e.posting.Lock()
	th, err := e.store.ThreadOfPost(ctx, ev.ReplyTo)
	e.posting.Unlock()
	switch {
	case errors.Is(err, ErrNotFound):
		return nil // a reply to a message of no thread
	case err != nil:
		return err
	case ev.Command == "close":
		return e.closeThread(ctx, th.ID, ev.From)
	case !th.Open():
		return e.postStaff(ctx, loc.T("staff_reply_closed", "N", loc.Number(int64(th.ID))), nil)
	case strings.TrimSpace(ev.Text) == "" && !ev.Media:
		return e.postStaff(ctx, loc.T("staff_cannot_send"), nil)
	}
	m := SupportMessage{Staff: true, From: clip(ev.From.FirstName, 32), Text: strings.TrimSpace(ev.Text), At: e.cfg.Now(), Post: ev.MessageID}
	if ev.Media {
		m.Media = ev.MessageID
	}
	if _, err := e.store.UpdateThread(ctx, th.ID, func(t *Thread) error {
		for _, old := range t.Messages {
			if old.Post == m.Post {
				return nil // the same update again
			}
		}
		t.Messages = append(t.Messages, m)
		return nil
	}); err != nil {
		return err
	}
	if err := e.flushThread(ctx, th.ID); err != nil {
		e.log.WarnContext(ctx, "support answer not delivered yet", "thread", th.ID, "err", err)
	}
	return nil
}

// staffClose heads the data of the staff chat's Close button.
const staffClose = "close."

// closeThread closes a thread and tells both sides.
func (e *Engine) closeThread(ctx context.Context, id uint64, by Profile) error {
	closed := false
	_, err := e.store.UpdateThread(ctx, id, func(t *Thread) error {
		if t.Open() {
			t.Closed, t.ClosedBy, closed = e.cfg.Now(), clip(by.FirstName, 32), true
		}
		return nil
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	case !closed:
		return nil
	}
	loc := e.cat.For(e.cfg.StaffLang)
	if err := e.postStaff(ctx, loc.T("staff_closed", "N", loc.Number(int64(id)), "By", html.EscapeString(clip(by.FirstName, 32))), nil); err != nil {
		e.log.WarnContext(ctx, "tell the staff a thread closed", "thread", id, "err", err)
	}
	if err := e.flushThread(ctx, id); err != nil {
		e.log.WarnContext(ctx, "tell the customer a thread closed", "thread", id, "err", err)
	}
	return nil
}

// postStaff posts a message to the staff chat and returns its ID.
func (e *Engine) postStaff(ctx context.Context, text string, rows [][]Button) error {
	_, err := e.msg.(Poster).Post(ctx, e.cfg.SupportChat, Message{Text: text, Buttons: rows})
	return err
}
