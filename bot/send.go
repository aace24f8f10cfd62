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

// pendingAction is a chat action that goes out when its timer fires,
// unless a reply goes out first.
type pendingAction struct {
	timer *time.Timer
	seq   uint64
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

// pace says whether a Bot API call waits for the budget.
type pace int

const (
	// paceOwn is a call the bot starts itself (a delivery by the
	// reconciler, an alert, a broadcast): it waits for the chat's budget,
	// then the global one.
	paceOwn pace = iota
	// paceReply answers a user's own action (the tap's answer, the edit of
	// the screen tapped, a message sent while the chat's update is
	// handled): it goes out at once. Users act at their own pace.
	paceReply
)

// replyKey carries, in the context of an update's handling, the chat of
// the update: calls to that chat reply to the user.
type replyKey struct{}

// withReply marks ctx as the handling of an update of chat.
func withReply(ctx context.Context, chat int64) context.Context {
	return context.WithValue(ctx, replyKey{}, chat)
}

// paceOf returns the pace of a call to chat made with ctx.
func paceOf(ctx context.Context, chat int64) pace {
	if c, ok := ctx.Value(replyKey{}).(int64); ok && c == chat {
		return paceReply
	}
	return paceOwn
}

// chatLimiter returns the limiter of the bot's own messages in a chat.
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

// holdUntil returns when a call to chat may go, after the 429s received.
func (s *sender) holdUntil(chat int64) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	until := s.hold
	if h, ok := s.holds[chat]; ok {
		if time.Now().After(h) {
			delete(s.holds, chat)
		} else if h.After(until) {
			until = h
		}
	}
	return until
}

// holdFor holds back the calls to chat, and every other call, for d: what
// a 429 asks (Telegram does not say whether the chat's limit or the bot's
// was hit).
func (s *sender) holdFor(chat int64, d time.Duration) {
	until := time.Now().Add(d)
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.holds[chat]) {
		s.holds[chat] = until
	}
	if until.After(s.hold) {
		s.hold = until
	}
}

// wait takes a send slot for a call to chat: after any 429 hold, and, for
// the bot's own calls, from the chat's budget and the global one.
func (s *sender) wait(ctx context.Context, chat int64, p pace) error {
	if d := time.Until(s.holdUntil(chat)); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if p == paceReply {
		return nil
	}
	if s.cfg.ChatRate > 0 {
		if err := s.chatLimiter(chat).Wait(ctx); err != nil {
			return err
		}
	}
	if s.global != nil {
		return s.global.Wait(ctx)
	}
	return nil
}

// call runs one Bot API call to chat at the pace of ctx, each try bounded
// by SendTimeout, retrying after 429 (which holds back the chat and every
// call for its retry_after) up to MaxRetries times; a 403 marks the user
// blocked.
func (s *sender) call(ctx context.Context, method string, chat int64, do func(context.Context) error) error {
	p := paceOf(ctx, chat)
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
			s.holdFor(chat, wait)
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

// act shows a chat action if the reply takes long: it goes out after
// ActionDelay unless a message, an edit or a photo went to the chat first
// (settle), best effort (not retried, failures ignored). A newer action of
// the chat replaces a pending one.
func (s *sender) act(ctx context.Context, chat int64, action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.actions[chat]; ok {
		a.timer.Stop()
	}
	s.seq++
	seq := s.seq
	t := time.AfterFunc(s.cfg.ActionDelay, func() {
		s.mu.Lock()
		a, ok := s.actions[chat]
		if !ok || a.seq != seq {
			s.mu.Unlock()
			return // a reply went out, or a newer action replaced it
		}
		delete(s.actions, chat)
		s.mu.Unlock()
		if s.wait(ctx, chat, paceOf(ctx, chat)) != nil {
			return
		}
		actx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
		defer cancel()
		_, _ = s.tg.SendChatAction(actx, &tg.SendChatActionParams{ChatID: chat, Action: models.ChatAction(action)})
	})
	s.actions[chat] = pendingAction{timer: t, seq: seq}
}

// settle drops the chat's pending action: a reply is going out, or the
// update that asked for it is handled.
func (s *sender) settle(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.actions[chat]; ok {
		a.timer.Stop()
		delete(s.actions, chat)
	}
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
	if m.Photo != nil {
		return s.sendPhoto(ctx, id, m)
	}
	if m.Document != nil {
		return s.sendDocument(ctx, id, m)
	}
	if m.Invoice != nil {
		return s.sendInvoice(ctx, id, m.Invoice)
	}
	var markup any
	if len(m.Buttons) > 0 {
		markup = inline(m.Buttons)
	}
	if m.Replace != nil {
		if t, ok := m.Replace.(editTarget); ok && t.chat == id && !t.photo && m.Contact == nil && length(m.Text) <= maxText {
			// The edit answers a tap.
			s.settle(id)
			err := s.call(ctx, "editMessageText", id, func(ctx context.Context) error {
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
		err := s.sendText(ctx, id, html.EscapeString(m.Contact.Share)+" 👇", replyKeyboard{
			Keyboard: [][]keyButton{{{Text: m.Contact.Share, RequestContact: true}}}, OneTime: true, Resize: true,
		})
		if err == nil {
			s.kb.opened(id, m.Contact)
		}
		return err
	}
	return s.sendText(ctx, id, m.Text, markup)
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
	png, err := qrPNG(p)
	if err != nil {
		return nil, err
	}
	return s.photoCall(ctx, chat, func() models.InputFile {
		return &models.InputFileUpload{Filename: photoName(p), Data: bytes.NewReader(png)}
	}, caption, markup)
}

// photoCall is one sendPhoto; file gives the photo afresh for every try.
func (s *sender) photoCall(ctx context.Context, chat int64, file func() models.InputFile, caption string, markup any) (*models.Message, error) {
	var sent *models.Message
	err := s.call(ctx, "sendPhoto", chat, func(ctx context.Context) error {
		var err error
		sent, err = s.tg.SendPhoto(ctx, &tg.SendPhotoParams{ChatID: chat, Photo: file(), Caption: caption,
			ParseMode: models.ParseModeHTML, ReplyMarkup: markup})
		return err
	})
	// The upload_photo action shows while a slow upload runs, not after.
	s.settle(chat)
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
