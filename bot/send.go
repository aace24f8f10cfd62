package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

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

// The reply markups, encoded here rather than with the library's models:
// its InlineKeyboardButton always sends an empty copy_text, which Telegram
// refuses on URL buttons.
type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

// inlineButton has exactly one of callback_data, url and copy_text.
type inlineButton struct {
	Text         string    `json:"text"`
	CallbackData string    `json:"callback_data,omitempty"`
	URL          string    `json:"url,omitempty"`
	CopyText     *copyText `json:"copy_text,omitempty"`
}

type copyText struct {
	Text string `json:"text"`
}

// maxCopyText is the longest text a copy button copies.
const maxCopyText = 256

type replyKeyboard struct {
	Keyboard [][]keyButton `json:"keyboard"`
	OneTime  bool          `json:"one_time_keyboard"`
	Resize   bool          `json:"resize_keyboard"`
}

type keyButton struct {
	Text           string `json:"text"`
	RequestContact bool   `json:"request_contact,omitempty"`
}

type removeKeyboard struct {
	Remove bool `json:"remove_keyboard"`
}

// sender is the flows.Messenger on Telegram: it renders messages, keeps
// within the rate limits, waits out 429s and marks users who blocked the bot.
type sender struct {
	tg    *tg.Bot
	cfg   Config
	users Users
	log   *slog.Logger

	global *rate.Limiter
	mu     sync.Mutex
	chats  map[int64]*rate.Limiter
	photos map[string]string // photo key (sale reference) → Telegram file_id
}

func newSender(api *tg.Bot, cfg Config, users Users, log *slog.Logger) *sender {
	return &sender{
		tg: api, cfg: cfg, users: users, log: log,
		global: rate.NewLimiter(rate.Limit(cfg.GlobalRate), cfg.GlobalBurst),
		chats:  map[int64]*rate.Limiter{}, photos: map[string]string{},
	}
}

// pace says which limiters a Bot API call waits for.
type pace int

const (
	// paceMessage is a new message (sendMessage, sendPhoto), a broadcast's
	// included: it waits for the chat's limiter, then the global one.
	paceMessage pace = iota
	// paceTap answers a tap (the edit of its screen, answerCallbackQuery) or
	// shows a chat action: it waits for the global limiter only, so a user
	// browsing screens is not slowed to one a second. Taps come at the
	// user's own pace; Telegram's per-chat limit is on new messages.
	paceTap
)

// chatLimiter returns the limiter of a chat's new messages.
func (s *sender) chatLimiter(chat int64) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.chats[chat]
	if l == nil {
		if len(s.chats) > 10000 { // forget idle chats rather than grow
			for k, v := range s.chats {
				if v.Tokens() >= float64(s.cfg.ChatBurst) {
					delete(s.chats, k)
				}
			}
		}
		l = rate.NewLimiter(rate.Limit(s.cfg.ChatRate), s.cfg.ChatBurst)
		s.chats[chat] = l
	}
	return l
}

// wait takes a send slot for a call to chat: from the chat's limiter for
// a new message, and always from the global limiter.
func (s *sender) wait(ctx context.Context, chat int64, p pace) error {
	if p == paceMessage {
		if err := s.chatLimiter(chat).Wait(ctx); err != nil {
			return err
		}
	}
	return s.global.Wait(ctx)
}

// call runs one Bot API call within the limits of its pace, each try
// bounded by SendTimeout, retrying after 429 up to MaxRetries times; a 403
// marks the user blocked.
func (s *sender) call(ctx context.Context, method string, chat int64, p pace, do func(context.Context) error) error {
	for try := 0; ; try++ {
		if err := s.wait(ctx, chat, p); err != nil {
			return err
		}
		tctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
		err := do(tctx)
		cancel()
		if err == nil {
			return nil
		}
		var tooMany *tg.TooManyRequestsError
		if errors.As(err, &tooMany) && try < s.cfg.MaxRetries {
			wait := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
			s.log.Warn("telegram asks to slow down", "method", method, "chat", chat, "retry_after", wait)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			continue
		}
		if errors.Is(err, tg.ErrorForbidden) && chat > 0 {
			s.markBlocked(ctx, chat)
		}
		if s.cfg.Metrics != nil {
			s.cfg.Metrics.SendFailed(method)
		}
		msg := redact(err, s.cfg.Token)
		s.log.Warn("telegram call failed", "method", method, "chat", chat, "err", msg)
		return &sendError{text: fmt.Sprintf("%s to chat %d: %s", method, chat, msg), cause: err}
	}
}

// sendError is a failed Bot API call: its text has no token; errors.Is
// and errors.As reach the library's error.
type sendError struct {
	text  string
	cause error
}

func (e *sendError) Error() string { return e.text }
func (e *sendError) Unwrap() error { return e.cause }

// markBlocked records that a user blocked the bot (private chat ID = user ID).
func (s *sender) markBlocked(ctx context.Context, chat int64) {
	if s.users == nil {
		return
	}
	u, err := s.users.User(ctx, flows.UserID(chat))
	if err != nil {
		return
	}
	u.Blocked = true
	if err := s.users.SaveUser(ctx, u); err != nil {
		s.log.Warn("mark user blocked", "user", chat, "err", err)
	}
}

// act shows a chat action, best effort: within the global limit, not
// retried, failures ignored.
func (s *sender) act(ctx context.Context, chat int64, action string) {
	if s.wait(ctx, chat, paceTap) != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	_, _ = s.tg.SendChatAction(ctx, &tg.SendChatActionParams{ChatID: chat, Action: models.ChatAction(action)})
}

// answer answers a button press (answerCallbackQuery) in chat, with an
// optional notice.
func (s *sender) answer(ctx context.Context, chat int64, queryID, notice string) error {
	return s.call(ctx, "answerCallbackQuery", chat, paceTap, func(ctx context.Context) error {
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
	if m.Photo != nil {
		return s.sendPhoto(ctx, id, m)
	}
	var markup any
	if len(m.Buttons) > 0 {
		markup = inline(m.Buttons)
	}
	if m.Edit {
		if t, ok := ctx.Value(editKey{}).(editTarget); ok && t.chat == id && !t.photo && m.Contact == nil && !m.RemoveKeyboard && length(m.Text) <= maxText {
			// The edit answers a tap: it does not wait for the chat's limiter.
			err := s.call(ctx, "editMessageText", id, paceTap, func(ctx context.Context) error {
				_, err := s.tg.EditMessageText(ctx, &tg.EditMessageTextParams{ChatID: id, MessageID: t.message, Text: m.Text,
					ParseMode: models.ParseModeHTML, ReplyMarkup: markup, LinkPreviewOptions: noPreview()})
				return err
			})
			if err == nil || strings.Contains(err.Error(), "message is not modified") {
				return nil
			}
			// The message is too old or gone: send a new one.
		}
	}
	if m.Contact != nil {
		// A message has one keyboard: the text with its inline buttons,
		// then the share-number keyboard on a short message of its own.
		if err := s.sendText(ctx, id, m.Text, markup); err != nil {
			return err
		}
		return s.sendText(ctx, id, html.EscapeString(m.Contact.Share)+" 👇", replyKeyboard{
			Keyboard: [][]keyButton{{{Text: m.Contact.Share, RequestContact: true}}}, OneTime: true, Resize: true,
		})
	}
	if m.RemoveKeyboard {
		if markup != nil {
			// One keyboard per message: the removal, then the buttons.
			if err := s.sendText(ctx, id, m.Text, removeKeyboard{Remove: true}); err != nil {
				return err
			}
			return s.sendText(ctx, id, "👇", markup)
		}
		markup = removeKeyboard{Remove: true}
	}
	return s.sendText(ctx, id, m.Text, markup)
}

// errEmptyText is a message with nothing to show: Telegram would refuse it.
var errEmptyText = errors.New("bot: message text is empty")

// sendText sends text, split into messages within Telegram's limit; the
// markup goes on the last part.
func (s *sender) sendText(ctx context.Context, chat int64, text string, markup any) error {
	parts := split(text, maxText)
	if len(parts) == 0 {
		return errEmptyText
	}
	for i, part := range parts {
		var mk any
		if i == len(parts)-1 {
			mk = markup
		}
		err := s.call(ctx, "sendMessage", chat, paceMessage, func(ctx context.Context) error {
			_, err := s.tg.SendMessage(ctx, &tg.SendMessageParams{ChatID: chat, Text: part, ParseMode: models.ParseModeHTML,
				ReplyMarkup: mk, LinkPreviewOptions: noPreview()})
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// ErrPhotoNotSent is matched, with errors.Is, by the error of a message
// with a photo when the photo failed: see the package comment for what the
// user has then.
var ErrPhotoNotSent = errors.New("photo not sent")

// photoError is a failed photo; errors.Is and errors.As also reach the
// call's error (a timeout, a 403...).
type photoError struct{ err error }

func (e *photoError) Error() string { return "photo not sent: " + e.err.Error() }
func (e *photoError) Unwrap() error { return e.err }

// Is makes the error match ErrPhotoNotSent.
func (e *photoError) Is(target error) bool { return target == ErrPhotoNotSent }

// PhotoNotSent lets a package that cannot import bot recognise a failed
// photo, by errors.As with an interface{ PhotoNotSent() bool }.
func (e *photoError) PhotoNotSent() bool { return true }

// sendPhoto sends a picture with its caption and buttons, reusing an
// earlier upload of the same key. A caption longer than Telegram allows
// goes, with the buttons, in a message after the photo. If the photo fails
// nothing else is sent, and the error matches ErrPhotoNotSent.
func (s *sender) sendPhoto(ctx context.Context, chat int64, m flows.Message) error {
	caption, rest := m.Text, ""
	if length(caption) > maxCaption {
		caption, rest = "", m.Text
	}
	// The buttons go on one message only: the photo, or the text after it.
	var onPhoto, onText any
	if len(m.Buttons) > 0 {
		if rest == "" {
			onPhoto = inline(m.Buttons)
		} else {
			onText = inline(m.Buttons)
		}
	}
	s.act(ctx, chat, "upload_photo")
	sent, err := s.postPhoto(ctx, chat, m.Photo, caption, onPhoto)
	if err != nil {
		return &photoError{err: err}
	}
	if m.Photo.Key != "" && sent != nil && len(sent.Photo) > 0 {
		s.mu.Lock()
		s.photos[m.Photo.Key] = sent.Photo[len(sent.Photo)-1].FileID
		s.mu.Unlock()
	}
	if rest != "" {
		return s.sendText(ctx, chat, rest, onText)
	}
	return nil
}

// postPhoto sends the photo by the file_id of an earlier upload if there is
// one, and uploads it when there is none or Telegram refuses the file_id.
func (s *sender) postPhoto(ctx context.Context, chat int64, p *flows.Photo, caption string, markup any) (*models.Message, error) {
	s.mu.Lock()
	fileID := s.photos[p.Key]
	s.mu.Unlock()
	if fileID != "" {
		sent, err := s.photoCall(ctx, chat, func() models.InputFile { return &models.InputFileString{Data: fileID} }, caption, markup)
		if err == nil || !refusedFile(err) {
			return sent, err
		}
		// Expired or unknown: forget it and upload again.
		s.mu.Lock()
		delete(s.photos, p.Key)
		s.mu.Unlock()
	}
	return s.photoCall(ctx, chat, func() models.InputFile {
		return &models.InputFileUpload{Filename: photoName(p), Data: bytes.NewReader(p.PNG)}
	}, caption, markup)
}

// photoCall is one sendPhoto; file gives the photo afresh for every try.
func (s *sender) photoCall(ctx context.Context, chat int64, file func() models.InputFile, caption string, markup any) (*models.Message, error) {
	var sent *models.Message
	err := s.call(ctx, "sendPhoto", chat, paceMessage, func(ctx context.Context) error {
		var err error
		sent, err = s.tg.SendPhoto(ctx, &tg.SendPhotoParams{ChatID: chat, Photo: file(), Caption: caption,
			ParseMode: models.ParseModeHTML, ReplyMarkup: markup})
		return err
	})
	return sent, err
}

// refusedFile reports whether Telegram refused a photo's file_id (rather
// than its caption or buttons).
func refusedFile(err error) bool {
	if !errors.Is(err, tg.ErrorBadRequest) {
		return false
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"file identifier", "file_id", "file reference", "file_reference", "media_empty"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func photoName(p *flows.Photo) string {
	if p.Name != "" {
		return p.Name
	}
	return "photo.png"
}

func noPreview() *models.LinkPreviewOptions {
	yes := true
	return &models.LinkPreviewOptions{IsDisabled: &yes}
}

// inline renders flows buttons as an inline keyboard. A button does one
// thing, the first set of Data, URL and CopyText. A copy button whose text
// is longer than Telegram allows is left out (a cut code would be copied
// wrong), and so is a row left empty.
func inline(rows [][]flows.Button) inlineKeyboard {
	kb := inlineKeyboard{InlineKeyboard: make([][]inlineButton, 0, len(rows))}
	for _, row := range rows {
		r := make([]inlineButton, 0, len(row))
		for _, b := range row {
			ib := inlineButton{Text: b.Text}
			switch {
			case b.Data != "":
				ib.CallbackData = b.Data
			case b.URL != "":
				ib.URL = b.URL
			case b.CopyText != "":
				if len(utf16.Encode([]rune(b.CopyText))) > maxCopyText {
					continue
				}
				ib.CopyText = &copyText{Text: b.CopyText}
			}
			r = append(r, ib)
		}
		if len(r) > 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, r)
		}
	}
	return kb
}
