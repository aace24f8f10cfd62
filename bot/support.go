package bot

import (
	"context"

	"github.com/go-telegram/bot/models"

	"github.com/esimbot/esimbot/flows"
)

// The support desk's staff chat (Config.SupportChat): a group of the
// shop's staff. Exactly that chat is let through as flows.EventStaff; the
// engine matches a reply with the thread of the message replied to and
// ignores the rest. In a group with the bot's privacy mode on (the
// default), Telegram sends the bot the replies to its own messages and the
// commands, which is all the desk needs. Media (a photo, a file, a voice
// note) goes either way by copyMessage (sender.Copy), so the bot never
// downloads it.

// isSupportChat reports whether chat is the configured staff chat. A
// private chat never is: a group's ID is negative, a user's positive.
func (b *Bot) isSupportChat(chat models.Chat) bool {
	return b.cfg.SupportChat != 0 && chat.ID == b.cfg.SupportChat && chat.Type != models.ChatTypePrivate
}

// onStaff hands a message of the staff chat to the engine.
func (b *Bot) onStaff(ctx context.Context, engine Engine, m *models.Message) string {
	ev := flows.Event{Chat: flows.ChatID(m.Chat.ID), User: flows.UserID(m.From.ID), From: profileOf(m.From),
		Kind: flows.EventStaff, Text: m.Text, MessageID: int64(m.ID)}
	if isMedia(m) {
		ev.Text, ev.Media = m.Caption, true
	}
	if m.ReplyToMessage != nil {
		ev.ReplyTo = int64(m.ReplyToMessage.ID)
	}
	if name, args, to, ok := parseCommand(m.Text); ok && (to == "" || to == b.Username()) {
		ev.Command, ev.Args = name, args
	}
	if _, err := engine.Handle(ctx, ev); err != nil {
		b.log.Error("handle a staff message", "chat", m.Chat.ID, "err", err)
	}
	return "staff"
}

// isMedia reports whether a message carries what the support desk passes
// on as a copy (copyMessage): a photo, a file, a video, a voice note, an
// audio, a sticker, an animation or a video note. A contact, a location, a
// poll, a dice... are not.
func isMedia(m *models.Message) bool {
	return len(m.Photo) > 0 || m.Document != nil || m.Video != nil || m.Voice != nil || m.Audio != nil ||
		m.Sticker != nil || m.Animation != nil || m.VideoNote != nil
}

// onStaffPress hands a button press of the staff chat to the engine and
// returns the notice to answer it with.
func (b *Bot) onStaffPress(ctx context.Context, engine Engine, chat int64, q *models.CallbackQuery) string {
	ev := flows.Event{Chat: flows.ChatID(chat), User: flows.UserID(q.From.ID), From: profileOf(&q.From),
		Kind: flows.EventStaff, Data: q.Data}
	out, err := engine.Handle(ctx, ev)
	if err != nil {
		b.log.Error("handle a staff button", "chat", chat, "err", err)
	}
	return out.Notice
}
