package bot

import (
	"context"
	"errors"
	"html"
	"log/slog"
	"strings"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"

	"github.com/esimbot/esimbot/flows"
)

// Telegram's limits, in UTF-16 code units of the text after HTML parsing.
const (
	maxText    = 4096
	maxCaption = 1024
)

// sender is the flows.Messenger on Telegram: it renders messages, paces
// what the bot starts itself, obeys 429s, shows chat actions when a reply
// is slow, and marks users who blocked the bot.
type sender struct {
	tg    *tg.Bot
	cfg   Config
	users Users
	log   *slog.Logger

	global *rate.Limiter // the budget of the bot's own messages overall; nil: none

	mu      sync.Mutex
	chats   map[int64]*rate.Limiter // the budget of the bot's own messages per chat
	hold    time.Time               // no call before this (a 429)
	holds   map[int64]time.Time     // no call to the chat before this (a 429)
	actions map[int64]pendingAction // chat actions waiting for ActionDelay
	seq     uint64                  // numbers the pending actions
	photos  map[string]string       // photo key (sale reference) → Telegram file_id
	kb      keyboards               // the share-number keyboards open
}

func newSender(api *tg.Bot, cfg Config, users Users, log *slog.Logger) *sender {
	s := &sender{
		tg: api, cfg: cfg, users: users, log: log,
		chats: map[int64]*rate.Limiter{}, holds: map[int64]time.Time{},
		actions: map[int64]pendingAction{}, photos: map[string]string{},
	}
	if cfg.GlobalRate > 0 {
		s.global = rate.NewLimiter(rate.Limit(cfg.GlobalRate), cfg.GlobalBurst)
	}
	return s
}

// answer answers a button press (answerCallbackQuery) in chat, with an
// optional notice: always a reply.
func (s *sender) answer(ctx context.Context, chat int64, queryID, notice string) error {
	return s.call(withReply(ctx, chat), "answerCallbackQuery", chat, func(ctx context.Context) error {
		_, err := s.tg.AnswerCallbackQuery(ctx, &tg.AnswerCallbackQueryParams{CallbackQueryID: queryID, Text: notice})
		return err
	})
}

// Act implements flows.Actor.
func (s *sender) Act(ctx context.Context, chat flows.ChatID, action string) error {
	s.act(ctx, int64(chat), action)
	return nil
}

// Send implements flows.Messenger.
func (s *sender) Send(ctx context.Context, chat flows.ChatID, m flows.Message) error {
	id := int64(chat)
	if withdraw, ok := s.kb.closes(id, m); ok {
		return s.sendClosing(ctx, id, m, withdraw)
	}
	switch {
	case m.Photo != nil:
		return s.sendPhoto(ctx, id, m)
	case m.Document != nil:
		return s.sendDocument(ctx, id, m)
	case m.Invoice != nil:
		return s.sendInvoice(ctx, id, m.Invoice)
	}
	var markup any
	if len(m.Buttons) > 0 {
		markup = inline(m.Buttons)
	}
	if s.edit(ctx, id, m, markup) {
		return nil
	}
	if m.Contact != nil {
		return s.sendContact(ctx, id, m, markup)
	}
	return s.sendText(ctx, id, m.Text, markup)
}

// edit replaces the message m.Replace names with m, when it can: a text
// message of this chat, and m neither asks for a contact nor needs more
// than one message. It reports whether the message is on screen; if not
// (it could not, or the message is too old or gone) m is to be sent.
func (s *sender) edit(ctx context.Context, chat int64, m flows.Message, markup any) bool {
	t, ok := m.Replace.(editTarget)
	if !ok || t.chat != chat || t.photo || m.Contact != nil || length(m.Text) > maxText {
		return false
	}
	// The edit answers a tap.
	s.settle(chat)
	err := s.call(ctx, "editMessageText", chat, func(ctx context.Context) error {
		_, err := s.tg.EditMessageText(ctx, &tg.EditMessageTextParams{ChatID: chat, MessageID: t.message, Text: m.Text,
			ParseMode: models.ParseModeHTML, ReplyMarkup: markup, LinkPreviewOptions: noPreview()})
		return err
	})
	return err == nil || strings.Contains(err.Error(), "message is not modified")
}

// sendContact sends a message that asks for the user's number. A message
// has one keyboard: the text with its inline buttons, then the share-number
// keyboard on a short message of its own.
func (s *sender) sendContact(ctx context.Context, chat int64, m flows.Message, markup any) error {
	if err := s.sendText(ctx, chat, m.Text, markup); err != nil {
		return err
	}
	err := s.sendText(ctx, chat, html.EscapeString(m.Contact.Share)+" 👇", replyKeyboard{
		Keyboard: [][]keyButton{{{Text: m.Contact.Share, RequestContact: true}}}, OneTime: true, Resize: true,
	})
	if err == nil {
		s.kb.opened(chat, m.Contact)
	}
	return err
}

// errEmptyText is a message with nothing to show: Telegram would refuse it.
var errEmptyText = errors.New("bot: message text is empty")

// sendText sends text, split into messages within Telegram's limit; the
// markup goes on the last part.
func (s *sender) sendText(ctx context.Context, chat int64, text string, markup any) error {
	_, err := s.postText(ctx, chat, text, markup)
	return err
}

// postText is sendText that returns the ID of the last message sent.
func (s *sender) postText(ctx context.Context, chat int64, text string, markup any) (int, error) {
	parts := split(text, maxText)
	if len(parts) == 0 {
		return 0, errEmptyText
	}
	var id int
	for i, part := range parts {
		var mk any
		if i == len(parts)-1 {
			mk = markup
		}
		s.settle(chat)
		err := s.call(ctx, "sendMessage", chat, func(ctx context.Context) error {
			m, err := s.tg.SendMessage(ctx, &tg.SendMessageParams{ChatID: chat, Text: part, ParseMode: models.ParseModeHTML,
				ReplyMarkup: mk, LinkPreviewOptions: noPreview()})
			if m != nil {
				id = m.ID
			}
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	return id, nil
}

// Post implements flows.Poster: a text message with its inline buttons
// (the support desk's, in the staff chat), and the ID Telegram gave it.
func (s *sender) Post(ctx context.Context, chat flows.ChatID, m flows.Message) (int64, error) {
	var markup any
	if len(m.Buttons) > 0 {
		markup = inline(m.Buttons)
	}
	id, err := s.postText(ctx, int64(chat), m.Text, markup)
	return int64(id), err
}

var _ flows.Copier = (*sender)(nil)

// Copy implements flows.Copier with copyMessage: the support desk's photos,
// files and voice notes, between a customer's chat and the staff chat.
func (s *sender) Copy(ctx context.Context, chat flows.ChatID, c flows.Copy) (int64, error) {
	to := int64(chat)
	p := &tg.CopyMessageParams{ChatID: to, FromChatID: int64(c.From), MessageID: int(c.Message)}
	if len(c.Buttons) > 0 {
		p.ReplyMarkup = inline(c.Buttons)
	}
	if c.ReplyTo != 0 {
		p.ReplyParameters = &models.ReplyParameters{MessageID: int(c.ReplyTo), AllowSendingWithoutReply: true}
	}
	var id int
	s.settle(to)
	err := s.call(ctx, "copyMessage", to, func(ctx context.Context) error {
		r, err := s.tg.CopyMessage(ctx, p)
		if r != nil {
			id = r.ID
		}
		return err
	})
	return int64(id), err
}
