package bot

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/go-telegram/bot/models"

	"github.com/esimbot/esimbot/flows"
)

// editTarget is the message a button was on: the Origin of a button's
// event, which flows puts on the messages that replace that screen.
type editTarget struct {
	chat    int64
	message int
	photo   bool // a photo's caption cannot become a text message
}

// handle processes one update from the inbox, recovering from a panic:
// the update is tried again, up to PanicRetries times, then skipped.
func (b *Bot) handle(ctx context.Context, engine Engine, upd *models.Update) {
	if ctx.Err() != nil {
		return // shutting down: it stays in the inbox for the next start
	}
	// What goes to the update's chat while it is handled replies to the
	// user; a chat action nobody replied to is dropped at the end.
	chat := chatOf(upd)
	ctx = withReply(ctx, chat)
	defer b.out.settle(chat)
	for try := 1; ; try++ {
		if b.tryHandle(ctx, engine, upd) {
			break
		}
		if try >= b.cfg.PanicRetries {
			b.log.Error("update skipped after repeated panics", "update", upd.ID, "tries", try)
			break
		}
	}
	if ctx.Err() != nil {
		// Cut short by the shutdown: handle it again at the next start
		// rather than lose it (stale buttons and stored sales make a
		// second run harmless).
		b.log.Warn("update cut short by the shutdown; kept for the next start", "update", upd.ID)
		return
	}
	if !b.writes.wait(ctx, upd.ID) {
		return // shutting down before its write was through: Telegram sends it again
	}
	if err := b.inbox.UpdateDone(context.WithoutCancel(ctx), b.id, upd.ID); err != nil {
		b.log.Error("mark update done", "update", upd.ID, "err", err)
	}
}

// tryHandle handles an update once and reports false if it panicked.
func (b *Bot) tryHandle(ctx context.Context, engine Engine, upd *models.Update) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("panic while handling an update", "update", upd.ID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			ok = false
		}
	}()
	start := time.Now()
	kind := b.dispatchUpdate(ctx, engine, upd)
	if b.cfg.Metrics != nil {
		b.cfg.Metrics.UpdateHandled(kind, time.Since(start))
	}
	return true
}

// dispatchUpdate turns an update into a flows event, handles it, and
// returns the update's kind for metrics.
func (b *Bot) dispatchUpdate(ctx context.Context, engine Engine, upd *models.Update) string {
	switch {
	case upd.CallbackQuery != nil:
		return b.onCallback(ctx, engine, upd.CallbackQuery)
	case upd.PreCheckoutQuery != nil:
		return b.onPreCheckout(ctx, engine, upd.PreCheckoutQuery)
	case upd.Message != nil && upd.Message.SuccessfulPayment != nil:
		return b.onPayment(ctx, engine, upd.Message)
	case upd.Message != nil:
		return b.onMessage(ctx, engine, upd.Message)
	}
	return "other"
}

func profileOf(u *models.User) flows.Profile {
	if u == nil {
		return flows.Profile{}
	}
	return flows.Profile{FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, LanguageCode: u.LanguageCode}
}

// onMessage handles a message: a command, text, a shared contact or media.
func (b *Bot) onMessage(ctx context.Context, engine Engine, m *models.Message) string {
	if m.From == nil || m.From.IsBot {
		return "other"
	}
	if b.isSupportChat(m.Chat) {
		return b.onStaff(ctx, engine, m)
	}
	if m.Chat.Type != models.ChatTypePrivate {
		b.pointToPrivate(ctx, m.Chat.ID, m.From.LanguageCode, m.Text)
		return "group"
	}
	if m.From.ID != m.Chat.ID {
		b.refuseForeign(ctx, "message", m.Chat.ID, m.From.ID)
		return "other"
	}
	ev := flows.Event{Chat: flows.ChatID(m.Chat.ID), User: flows.UserID(m.From.ID), From: profileOf(m.From), MessageID: int64(m.ID)}
	kind := "message"
	name, args, to, isCommand := parseCommand(m.Text)
	switch {
	case m.Contact != nil:
		ev.Kind, ev.Phone, kind = flows.EventContact, m.Contact.PhoneNumber, "contact"
	case isMedia(m):
		ev.Kind, ev.Text, kind = flows.EventMedia, m.Caption, "media"
	case isCommand:
		if to != "" && !strings.EqualFold(to, b.Username()) {
			return "other" // a command for another bot
		}
		ev.Kind, ev.Command, ev.Args, kind = flows.EventCommand, name, args, "command"
	default:
		// Text, or anything else (a location, a poll): the engine answers
		// unexpected input with a hint.
		ev.Kind, ev.Text = flows.EventText, m.Text
	}
	b.out.act(ctx, m.Chat.ID, "typing")
	if _, err := engine.Handle(ctx, ev); err != nil {
		b.log.Error("handle message", "chat", m.Chat.ID, "err", err)
	}
	return kind
}

// onCallback handles a button press and always answers it, unless it is
// refused (its sender is not the user of the private chat it names).
func (b *Bot) onCallback(ctx context.Context, engine Engine, q *models.CallbackQuery) string {
	var chat models.Chat
	found := true
	switch {
	case q.Message.Message != nil:
		chat = q.Message.Message.Chat
	case q.Message.InaccessibleMessage != nil:
		chat = q.Message.InaccessibleMessage.Chat
	default:
		found = false
	}
	if found && (chat.Type == "" || chat.Type == models.ChatTypePrivate) && chat.ID != q.From.ID {
		b.refuseForeign(ctx, "callback", chat.ID, q.From.ID)
		return "other"
	}
	// Every press is answered once: with the engine's notice, or, when the
	// engine takes long (a sale), early and without one, so the button's
	// spinner stops and Telegram's answer window is not missed.
	var once sync.Once
	actx := context.WithoutCancel(ctx)
	answer := func(text string) {
		once.Do(func() {
			// A failure is logged by the sender.
			_ = b.out.answer(actx, q.From.ID, q.ID, text)
		})
	}
	early := time.AfterFunc(b.cfg.AnswerWithin, func() { answer("") })
	notice := ""
	defer func() {
		early.Stop()
		answer(notice)
	}()
	msg := q.Message.Message
	if msg == nil {
		if q.Message.InaccessibleMessage == nil {
			return "callback"
		}
		// Too old for Telegram to show: the engine treats the press as
		// stale, with a new message.
		msg = &models.Message{ID: q.Message.InaccessibleMessage.MessageID, Chat: q.Message.InaccessibleMessage.Chat}
	}
	if b.isSupportChat(msg.Chat) {
		notice = b.onStaffPress(ctx, engine, msg.Chat.ID, q)
		return "staff"
	}
	if msg.Chat.Type != "" && msg.Chat.Type != models.ChatTypePrivate {
		b.pointToPrivate(ctx, msg.Chat.ID, q.From.LanguageCode, "")
		return "group"
	}
	ev := flows.Event{Chat: flows.ChatID(msg.Chat.ID), User: flows.UserID(q.From.ID), From: profileOf(&q.From),
		Kind: flows.EventButton, Data: q.Data, Origin: editTarget{chat: msg.Chat.ID, message: msg.ID, photo: len(msg.Photo) > 0},
		Ack: func(out flows.Outcome) { answer(out.Notice) }} // the tap's answer need not wait for the disk
	out, err := engine.Handle(ctx, ev)
	if err != nil {
		b.log.Error("handle button", "chat", msg.Chat.ID, "err", err)
	}
	notice = out.Notice
	return "callback"
}

// refuseForeign drops an update whose sender is not the user of the
// private chat it names: Telegram never sends one, so it is forged (a
// webhook request by someone who has the secret) or broken. It is logged,
// not answered.
func (b *Bot) refuseForeign(ctx context.Context, what string, chat, from int64) {
	b.log.WarnContext(ctx, "update refused: its sender is not the private chat's user", "kind", what, "chat", chat, "from", from)
}

// parseCommand reads a command message: "/name", "/name@bot" or either
// followed by white space and arguments. The name is 1 to 32 letters,
// digits or underscores, as Telegram's bot_command entities; it is
// returned in lower case, the arguments trimmed. ok is false for any other
// text (a lone "/", "/é", a path such as "/usr/bin").
func parseCommand(text string) (name, args, to string, ok bool) {
	rest, found := strings.CutPrefix(text, "/")
	if !found {
		return "", "", "", false
	}
	word := rest
	if i := strings.IndexFunc(rest, unicode.IsSpace); i >= 0 {
		word, args = rest[:i], strings.TrimSpace(rest[i:])
	}
	name, to, at := strings.Cut(word, "@")
	if len(name) == 0 || len(name) > 32 || !isCommandWord(name) || !isCommandWord(to) || at && to == "" {
		return "", "", "", false
	}
	return strings.ToLower(name), args, to, true
}

// isCommandWord reports whether s holds only the letters, digits and
// underscores of a command or a bot's username.
func isCommandWord(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
	}) < 0
}

// pointToPrivate answers in a group: the bot sells only in private chats,
// reached through a deep link.
func (b *Bot) pointToPrivate(ctx context.Context, chat int64, lang, text string) {
	if text != "" && !strings.HasPrefix(text, "/") && !strings.Contains(strings.ToLower(text), "@"+strings.ToLower(b.Username())) {
		return // ordinary group talk: stay quiet
	}
	loc := b.cat.For(lang)
	link := "https://t.me/" + b.Username() + "?start=group"
	err := b.out.Send(ctx, flows.ChatID(chat), flows.Message{
		Text:    loc.T("group_private"),
		Buttons: [][]flows.Button{{{Text: loc.T("btn_open_private"), URL: link}}},
	})
	if err != nil {
		b.log.Warn("answer in a group", "chat", chat, "err", err)
	}
}
