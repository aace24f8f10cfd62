package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bot identity returned by getMe.
const (
	BotUsername  = "esimbot_test_bot"
	BotFirstName = "eSIM Test Bot"
)

// defaultBotID is the bot's user ID when the token has no numeric prefix.
const defaultBotID = 7000000001

// Server is a fake Telegram Bot API server on loopback. The zero value is
// not usable: create one with NewServer. All methods are safe for
// concurrent use.
type Server struct {
	// PreCheckoutTimeout is how long the bot has to answer the
	// pre_checkout_query of a Pay (zero: DefaultPreCheckoutTimeout, 10 s
	// as Telegram); a later answer is refused and no payment follows.
	// Tests shorten it to try a late answer. Pay reads it: set it before.
	PreCheckoutTimeout time.Duration

	tb      testing.TB
	token   string
	bot     wireUser
	http    *httptest.Server
	closing chan struct{}
	client  *http.Client

	mu       sync.Mutex
	closed   bool
	changed  chan struct{} // closed and replaced on every change
	calls    map[string]int
	failures map[string][]Failure

	// Incoming side.
	nextUpdate int64
	pending    []pendingUpdate
	history    map[int64]json.RawMessage
	confirmed  int64
	allowed    []string
	poll       *poller
	webhook    webhookState
	webhookVia string            // WebhookVia's base: deliveries go there
	deliveries []WebhookDelivery // every POST to the webhook, as it ended
	onAnswer   func(WebhookDelivery)
	users      map[int64]wireUser
	callbacks  map[string]*callbackState
	nextQuery  int64

	// Outgoing side.
	chats     map[int64]*chat
	files     map[string]*storedFile
	documents map[string]*Document // sendDocument uploads, by file_id
	docSeq    int
	nextFile  int
	answers   []CallbackAnswer
	commands  map[commandKey][]BotCommand
	// The bot's description and short description, by language_code
	// ("" for all languages).
	descriptions      map[string]string
	shortDescriptions map[string]string

	// Payments (payments.go).
	pay payState
}

// NewServer starts a fake Bot API server that accepts token and closes it
// when the test ends. Requests with another token get 401 Unauthorized.
func NewServer(tb testing.TB, token string) *Server {
	tb.Helper()
	if strings.TrimSpace(token) == "" {
		tb.Fatal("telegramtest: empty token")
	}
	botID := int64(defaultBotID)
	if prefix, _, ok := strings.Cut(token, ":"); ok {
		if n, err := strconv.ParseInt(prefix, 10, 64); err == nil && n > 0 {
			botID = n
		}
	}
	s := &Server{
		tb:         tb,
		token:      token,
		bot:        wireUser{ID: botID, IsBot: true, FirstName: BotFirstName, Username: BotUsername},
		closing:    make(chan struct{}),
		client:     &http.Client{},
		changed:    make(chan struct{}),
		calls:      map[string]int{},
		failures:   map[string][]Failure{},
		nextUpdate: 100000000,
		history:    map[int64]json.RawMessage{},
		users:      map[int64]wireUser{},
		callbacks:  map[string]*callbackState{},
		chats:      map[int64]*chat{},
		files:      map[string]*storedFile{},
		commands:   map[commandKey][]BotCommand{},

		descriptions:      map[string]string{},
		shortDescriptions: map[string]string{},
		pay:               newPayState(),
	}
	s.http = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	tb.Cleanup(s.close)
	return s
}

func (s *Server) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.closing)
	s.mu.Unlock()
	s.http.Close()
	s.client.CloseIdleConnections()
}

// URL returns the base URL to give to bot.WithServerURL.
func (s *Server) URL() string { return s.http.URL }

// BotID returns the bot's user ID: the numeric prefix of the token.
func (s *Server) BotID() int64 { return s.bot.ID }

// notify wakes every waiter; s.mu must be held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// logf logs to the test while it runs.
func (s *Server) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.tb.Logf("telegramtest: "+format, args...)
	}
}

// handlerFunc serves one Bot API method and returns its result.
type handlerFunc func(s *Server, r *http.Request, p *params) (any, *apiError)

// okDescription is a result that carries a description, as setWebhook's.
type okDescription struct {
	result      any
	description string
}

type method struct {
	name string
	fn   handlerFunc
}

// methods maps lower-cased method names (the Bot API ignores case) to
// their canonical name and handler.
var methods = map[string]method{}

func init() {
	for name, fn := range map[string]handlerFunc{
		"getMe":                  (*Server).getMe,
		"getUpdates":             (*Server).getUpdates,
		"setWebhook":             (*Server).setWebhook,
		"deleteWebhook":          (*Server).deleteWebhook,
		"getWebhookInfo":         (*Server).getWebhookInfo,
		"sendMessage":            (*Server).sendMessage,
		"sendPhoto":              (*Server).sendPhoto,
		"sendDocument":           (*Server).sendDocument,
		"copyMessage":            (*Server).copyMessage,
		"editMessageText":        (*Server).editMessageText,
		"editMessageCaption":     (*Server).editMessageCaption,
		"editMessageReplyMarkup": (*Server).editMessageReplyMarkup,
		"deleteMessage":          (*Server).deleteMessage,
		"answerCallbackQuery":    (*Server).answerCallbackQuery,
		"sendChatAction":         (*Server).sendChatAction,
		"setMyCommands":          (*Server).setMyCommands,
		"deleteMyCommands":       (*Server).deleteMyCommands,
		"getMyCommands":          (*Server).getMyCommands,
		"setMyDescription":       (*Server).setMyDescription,
		"getMyDescription":       (*Server).getMyDescription,
		"setMyShortDescription":  (*Server).setMyShortDescription,
		"getMyShortDescription":  (*Server).getMyShortDescription,
		"sendInvoice":            (*Server).sendInvoice,
		"answerPreCheckoutQuery": (*Server).answerPreCheckoutQuery,
		"refundStarPayment":      (*Server).refundStarPayment,
	} {
		methods[strings.ToLower(name)] = method{name: name, fn: fn}
	}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeError(w, errNotFound)
		return
	}
	token, name, _ := strings.Cut(rest, "/")
	if token != s.token {
		writeError(w, errUnauthorized)
		return
	}
	name = strings.TrimPrefix(name, "test/") // bot.UseTestEnvironment
	m, ok := methods[strings.ToLower(name)]
	if !ok {
		writeError(w, errNotFound)
		return
	}
	// The body is read first, even for an injected failure, so that the
	// client never sees a connection reset in place of the answer.
	p, aerr := parseParams(r)
	f, failed := s.countCall(m.name)
	if failed && f.stall && f.after {
		// Carried out, then the answer is lost.
		if aerr == nil {
			_, aerr = m.fn(s, r, p)
		}
		s.logf("%s: injected stall after the call was carried out (error: %v): no answer", m.name, aerr != nil)
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	}
	if failed {
		if f.stall {
			s.logf("%s: injected stall: no answer", m.name)
			select {
			case <-r.Context().Done():
			case <-s.closing:
			}
			return
		}
		s.logf("%s: injected failure %d %s", m.name, f.code, f.description)
		writeError(w, f)
		return
	}
	if aerr == nil {
		var result any
		result, aerr = m.fn(s, r, p)
		if aerr == nil {
			writeResult(w, result)
			return
		}
	}
	if aerr.code != 0 {
		s.logf("%s: %d %s", m.name, aerr.code, aerr.description)
		writeError(w, aerr)
	}
}

func writeResult(w http.ResponseWriter, result any) {
	body := map[string]any{"ok": true, "result": result}
	if d, ok := result.(okDescription); ok {
		body = map[string]any{"ok": true, "result": d.result, "description": d.description}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.html {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(e.code)
		text := fmt.Sprintf("%d %s", e.code, http.StatusText(e.code))
		fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n", text, text)
		return
	}
	body := struct {
		OK          bool   `json:"ok"`
		ErrorCode   int    `json:"error_code"`
		Description string `json:"description"`
		Parameters  *struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters,omitempty"`
	}{ErrorCode: e.code, Description: e.description}
	if e.retryAfter > 0 {
		body.Parameters = &struct {
			RetryAfter int `json:"retry_after"`
		}{e.retryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.code)
	_ = json.NewEncoder(w).Encode(body)
}

// Failure describes an error answer injected with FailNextWith.
type Failure struct {
	Code        int    // HTTP status and error_code: 429, 403, 400, 500, 502...
	Description string // empty: Telegram's usual description for Code
	RetryAfter  int    // parameters.retry_after, in seconds, for 429
	stall       bool   // no answer at all (StallNext)
	after       bool   // with stall: carried out before the answer is lost (StallAfterNext)
}

// FailNext makes the next n calls of method (any case, for example
// "sendMessage") fail before they are processed, with nothing changed:
// code 429 answers "Too Many Requests: retry after N" with
// parameters.retry_after = retryAfter; 403 answers "Forbidden: bot was
// blocked by the user"; 502 and 504 answer an nginx HTML page as Telegram's
// front end does; other codes answer Telegram's usual JSON error.
func (s *Server) FailNext(method string, n int, code int, retryAfter int) {
	s.FailNextWith(method, n, Failure{Code: code, RetryAfter: retryAfter})
}

// StallNext makes the next n calls of method (any case) get no answer, with
// nothing changed: each request is held until the client gives up (its
// timeout or context) or the test ends, like a Bot API that does not answer
// in time.
func (s *Server) StallNext(method string, n int) {
	s.FailNextWith(method, n, Failure{stall: true})
}

// StallAfterNext makes the next n calls of method (any case) be carried
// out as usual (the message sent, the photo shown in the chat) and then get
// no answer: each request is held until the client gives up or the test
// ends, like a Bot API that did the work and whose answer was lost.
func (s *Server) StallAfterNext(method string, n int) {
	s.FailNextWith(method, n, Failure{stall: true, after: true})
}

// FailNextWith is FailNext with a chosen description.
func (s *Server) FailNextWith(method string, n int, f Failure) {
	key := strings.ToLower(method)
	if _, ok := methods[key]; !ok {
		s.tb.Errorf("telegramtest: FailNext: method %q is not served by the fake", method)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[key] = append(s.failures[key], f)
	}
}

func (f Failure) apiError() *apiError {
	e := &apiError{code: f.Code, description: f.Description, retryAfter: f.RetryAfter, stall: f.stall, after: f.after}
	if e.description == "" {
		switch f.Code {
		case http.StatusTooManyRequests:
			e.description = fmt.Sprintf("Too Many Requests: retry after %d", f.RetryAfter)
		case http.StatusForbidden:
			e.description = errBlocked.description
		case http.StatusBadRequest:
			e.description = "Bad Request"
		case http.StatusUnauthorized:
			e.description = "Unauthorized"
		case http.StatusConflict:
			e.description = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
		default:
			e.description = http.StatusText(f.Code)
		}
	}
	if f.Code == http.StatusBadGateway || f.Code == http.StatusGatewayTimeout {
		e.html = true
	}
	return e
}

// countCall counts a request and pops an injected failure for it.
func (s *Server) countCall(name string) (*apiError, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[name]++
	defer s.notify()
	key := strings.ToLower(name)
	if q := s.failures[key]; len(q) > 0 {
		s.failures[key] = q[1:]
		return q[0].apiError(), true
	}
	return nil, false
}

// Calls returns how many requests of method (any case) the server received,
// failed ones included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := methods[strings.ToLower(method)]; ok {
		return s.calls[m.name]
	}
	return 0
}

// WaitUntil blocks until cond returns true, checking it again after every
// change of the server's state (a request, an injected update...). cond may
// call the Server's methods. It returns ctx's error if ctx ends first.
func (s *Server) WaitUntil(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closing:
			return fmt.Errorf("telegramtest: server closed")
		}
	}
}

// WaitFor blocks until pred holds for the messages of the chat (as
// Messages returns them) and returns them. If ctx ends first it returns the
// last messages and an error carrying ctx's error and the transcript.
func (s *Server) WaitFor(ctx context.Context, chatID int64, pred func([]Message) bool) ([]Message, error) {
	var msgs []Message
	err := s.WaitUntil(ctx, func() bool {
		msgs = s.Messages(chatID)
		return pred(msgs)
	})
	if err != nil {
		return msgs, fmt.Errorf("wait for chat %d: %w; chat so far:\n%s", chatID, err, s.Transcript(chatID))
	}
	return msgs, nil
}

// WaitCalls blocks until the server has received at least n requests of
// method.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) error {
	err := s.WaitUntil(ctx, func() bool { return s.Calls(method) >= n })
	if err != nil {
		return fmt.Errorf("wait for %d %s calls, got %d: %w", n, method, s.Calls(method), err)
	}
	return nil
}

// now is the Unix time of messages.
func now() int64 { return time.Now().Unix() }

// commandKey identifies a command list by scope and language.
type commandKey struct {
	scope string
	lang  string
}

// BotCommand is a command of the bot's menu, as set by setMyCommands.
type BotCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// Commands returns the command lists set for the default scope, by
// language_code ("" for all languages).
func (s *Server) Commands() map[string][]BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]BotCommand{}
	for k, v := range s.commands {
		if k.scope == "default" {
			out[k.lang] = append([]BotCommand(nil), v...)
		}
	}
	return out
}

// CommandsFor returns the command list set for a scope and language_code.
// scope is the scope's type ("default", "all_private_chats",
// "all_group_chats", "all_chat_administrators") or, for scopes of one
// chat, "chat:ID", "chat_administrators:ID" or "chat_member:ID:USERID".
func (s *Server) CommandsFor(scope, languageCode string) []BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]BotCommand(nil), s.commands[commandKey{scope, languageCode}]...)
}

// Description returns the description set with setMyDescription for a
// language_code ("" for all languages), or "" if none was.
func (s *Server) Description(languageCode string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.descriptions[languageCode]
}

// ShortDescription returns the short description set with
// setMyShortDescription for a language_code ("" for all languages), or ""
// if none was.
func (s *Server) ShortDescription(languageCode string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shortDescriptions[languageCode]
}

// CallbackAnswer is an answerCallbackQuery call.
type CallbackAnswer struct {
	CallbackQueryID string
	Text            string
	ShowAlert       bool
	URL             string
	CacheTime       int
	// The button press it answers.
	ChatID    int64
	MessageID int
	Data      string
}

// Answers returns the answerCallbackQuery calls that succeeded, in order.
func (s *Server) Answers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CallbackAnswer(nil), s.answers...)
}

// Answered reports whether the callback query was answered.
func (s *Server) Answered(callbackID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cb := s.callbacks[callbackID]
	return cb != nil && cb.answered
}

// ChatActions returns the actions sent with sendChatAction to the chat, in
// order ("typing", "upload_photo"...).
func (s *Server) ChatActions(chatID int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		return append([]string(nil), c.actions...)
	}
	return nil
}

// Webhook returns the webhook registered with setWebhook.
func (s *Server) Webhook() (url, secret string, set bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook.url, s.webhook.secret, s.webhook.url != ""
}

// Confirmed returns the highest update_id confirmed by getUpdates: its
// offset minus one.
func (s *Server) Confirmed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.confirmed
}

// Polling reports whether a getUpdates request is waiting for updates.
func (s *Server) Polling() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.poll != nil
}

// Pending returns the IDs of the updates not yet confirmed (polling) or
// delivered with a 2xx answer (webhook), in order.
func (s *Server) Pending() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.pending))
	for _, u := range s.pending {
		ids = append(ids, u.id)
	}
	return ids
}

// Update returns the JSON of an injected update, delivered or not, for
// example to decode it into a models.Update and pass it to
// bot.ProcessUpdate directly.
func (s *Server) Update(updateID int64) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(json.RawMessage(nil), s.history[updateID]...)
}

// Chats returns the IDs of the chats the server knows, sorted.
func (s *Server) Chats() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.chats))
	for id := range s.chats {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
