package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"
)

// pendingUpdate is an update waiting for getUpdates or the webhook.
type pendingUpdate struct {
	id   int64
	kind string // "message", "callback_query"...
	raw  json.RawMessage
}

// poller is a getUpdates request in progress.
type poller struct {
	terminated chan struct{} // closed when a newer getUpdates replaces it
}

type webhookState struct {
	url            string
	secret         string
	maxConnections int
	allowed        []string
}

type callbackState struct {
	chatID    int64
	messageID int
	data      string
	answered  bool
}

// errNoAnswer tells serveHTTP that nothing must be written.
var errNoAnswer = &apiError{}

// Update types not delivered unless asked for in allowed_updates.
var optInUpdates = []string{"chat_member", "message_reaction", "message_reaction_count"}

type wireUser struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

type wireChat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	Username  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// SetUser sets the profile of a user: the "from" of the updates injected
// afterwards for that user. It also makes the private chat with the user
// (chat ID = user ID) known, so the bot may write to it.
func (s *Server) SetUser(userID int64, firstName, lastName, username, languageCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := wireUser{ID: userID, FirstName: firstName, LastName: lastName, Username: username, LanguageCode: languageCode}
	s.users[userID] = u
	c := s.chatFor(userID, userID)
	if c.wire.Type == "private" {
		c.wire.FirstName, c.wire.LastName, c.wire.Username = firstName, lastName, username
	}
	s.notify()
}

func (s *Server) user(id int64) wireUser {
	if u, ok := s.users[id]; ok {
		return u
	}
	return wireUser{ID: id, FirstName: "User", LastName: strconv.FormatInt(id, 10), LanguageCode: "en"}
}

// chatFor returns the chat, creating it: a positive ID is the private chat
// with a user, a negative one a group (a supergroup below -10^12).
func (s *Server) chatFor(chatID, userID int64) *chat {
	if c, ok := s.chats[chatID]; ok {
		return c
	}
	c := &chat{wire: wireChat{ID: chatID}}
	switch {
	case chatID > 0:
		u := s.user(userID)
		if chatID != userID {
			u = s.user(chatID)
		}
		c.wire.Type, c.wire.FirstName, c.wire.LastName, c.wire.Username = "private", u.FirstName, u.LastName, u.Username
	case chatID < -1000000000000:
		c.wire.Type, c.wire.Title = "supergroup", fmt.Sprintf("Test supergroup %d", -chatID)
	default:
		c.wire.Type, c.wire.Title = "group", fmt.Sprintf("Test group %d", -chatID)
	}
	s.chats[chatID] = c
	return c
}

// enqueue adds an update of kind with payload and returns its ID; s.mu
// must be held.
func (s *Server) enqueue(kind string, payload any) int64 {
	body, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: marshal %s: %v", kind, err))
	}
	s.nextUpdate++
	id := s.nextUpdate
	raw := json.RawMessage(fmt.Sprintf(`{"update_id":%d,%q:%s}`, id, kind, body))
	s.pending = append(s.pending, pendingUpdate{id: id, kind: kind, raw: raw})
	s.history[id] = raw
	s.notify()
	return id
}

// userMessage records a message from a user in the chat and queues it.
func (s *Server) userMessage(c *chat, m Message) int64 {
	m.ID = c.newMessageID()
	m.ChatID = c.wire.ID
	m.Date = now()
	c.msgs = append(c.msgs, m)
	if c.oneTime {
		c.keyboard, c.oneTime = nil, false
	}
	return s.enqueue("message", s.wireOf(c, &m))
}

// SendText injects a text message from the user in the private chat
// chatID (normally chatID == userID) and returns its update_id. Like
// Telegram, a text with "/command" carries a bot_command entity.
func (s *Server) SendText(chatID, userID int64, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatFor(chatID, userID)
	return s.userMessage(c, Message{From: userID, Text: text, Entities: commandEntities(text)})
}

// SendGroupText injects a text message from the user in the group groupID
// (a negative ID; below -10^12 a supergroup) and returns its update_id.
// Commands addressed to the bot are written "/start@esimbot_test_bot".
func (s *Server) SendGroupText(groupID, userID int64, text string) int64 {
	if groupID >= 0 {
		panic("telegramtest: SendGroupText needs a negative group ID")
	}
	return s.SendText(groupID, userID, text)
}

// SendReply injects a text message from the user in chatID (a group, for
// example) that replies to the message replyTo of that chat, as Telegram's
// reply_to_message; a reply to a message the chat lacks carries none. It
// returns the update_id.
func (s *Server) SendReply(chatID, userID int64, replyTo int, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatFor(chatID, userID)
	return s.userMessage(c, Message{From: userID, Text: text, Entities: commandEntities(text), ReplyTo: replyTo})
}

// AddGroup makes the group groupID (a negative ID; below -10^12 a
// supergroup) known, as when the bot is added to it, so the bot may write
// there before anyone spoke.
func (s *Server) AddGroup(groupID int64) {
	if groupID >= 0 {
		panic("telegramtest: AddGroup needs a negative group ID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatFor(groupID, 0)
	s.notify()
}

// SendContact injects a message by which the user shares their own phone
// number (the reply keyboard's request_contact button) and returns its
// update_id. Telegram clients may send the number with or without "+".
func (s *Server) SendContact(chatID, userID int64, phone string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatFor(chatID, userID)
	u := s.user(userID)
	return s.userMessage(c, Message{From: userID, Contact: &Contact{PhoneNumber: phone, FirstName: u.FirstName, LastName: u.LastName, UserID: userID}})
}

// PressButton injects a callback query: the user pressed the inline
// button with callback data on the message messageID of the chat. It
// returns the update_id and the callback query ID to answer. The button is
// not checked to exist, so a stale or forged press can be simulated; if
// the message does not exist the query carries an inaccessible message.
func (s *Server) PressButton(chatID, userID int64, messageID int, data string) (updateID int64, callbackID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatFor(chatID, userID)
	s.nextQuery++
	callbackID = fmt.Sprintf("%d%07d", userID, s.nextQuery)
	var msg any = struct {
		Chat      wireChat `json:"chat"`
		MessageID int      `json:"message_id"`
		Date      int      `json:"date"`
	}{c.wire, messageID, 0}
	if m := c.message(messageID); m != nil {
		msg = s.wireOf(c, m)
	}
	s.callbacks[callbackID] = &callbackState{chatID: chatID, messageID: messageID, data: data}
	return s.enqueue("callback_query", struct {
		ID           string   `json:"id"`
		From         wireUser `json:"from"`
		Message      any      `json:"message"`
		ChatInstance string   `json:"chat_instance"`
		Data         string   `json:"data"`
	}{callbackID, s.user(userID), msg, strconv.FormatInt(-chatID*31, 10), data}), callbackID
}

// PressButtonText presses the inline button labelled label on the message
// messageID, like PressButton with its callback data. It fails if the
// message has no such callback button.
func (s *Server) PressButtonText(chatID, userID int64, messageID int, label string) (updateID int64, callbackID string, err error) {
	s.mu.Lock()
	var b Button
	found := false
	if c := s.chats[chatID]; c != nil {
		if m := c.message(messageID); m != nil && kindOf(m.ReplyMarkup) == markupInline {
			b, found = m.Button(label)
		}
	}
	s.mu.Unlock()
	if !found || b.CallbackData == "" {
		return 0, "", fmt.Errorf("press %q: message %d of chat %d has no such callback button", label, messageID, chatID)
	}
	updateID, callbackID = s.PressButton(chatID, userID, messageID, b.CallbackData)
	return updateID, callbackID, nil
}

// BlockBot makes the user block the bot: later sends to the private chat
// fail with 403 "Forbidden: bot was blocked by the user", and a
// my_chat_member update (status "kicked") is queued; its ID is returned.
func (s *Server) BlockBot(userID int64) int64 { return s.setBlocked(userID, true) }

// UnblockBot undoes BlockBot and queues a my_chat_member update (status
// "member").
func (s *Server) UnblockBot(userID int64) int64 { return s.setBlocked(userID, false) }

func (s *Server) setBlocked(userID int64, blocked bool) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatFor(userID, userID)
	c.blocked = blocked
	type member struct {
		User   wireUser `json:"user"`
		Status string   `json:"status"`
	}
	old, new := member{s.bot, "member"}, member{s.bot, "kicked"}
	if !blocked {
		old, new = new, old
	}
	return s.enqueue("my_chat_member", struct {
		Chat wireChat `json:"chat"`
		From wireUser `json:"from"`
		Date int64    `json:"date"`
		Old  member   `json:"old_chat_member"`
		New  member   `json:"new_chat_member"`
	}{c.wire, s.user(userID), now(), old, new})
}

// AddUpdate queues any update: a json.RawMessage, []byte, string or a
// value that marshals to a JSON object, such as a models.Update. Its
// update_id is replaced by the next one, which is returned. The chat of a
// message or callback query becomes known, and a callback query's ID
// becomes answerable.
func (s *Server) AddUpdate(update any) int64 {
	var raw []byte
	switch u := update.(type) {
	case json.RawMessage:
		raw = u
	case []byte:
		raw = u
	case string:
		raw = []byte(u)
	default:
		var err error
		if raw, err = json.Marshal(u); err != nil {
			panic(fmt.Sprintf("telegramtest: AddUpdate: %v", err))
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		panic(fmt.Sprintf("telegramtest: AddUpdate: not a JSON object: %v", err))
	}
	delete(fields, "update_id")
	kinds := make([]string, 0, len(fields))
	for k, v := range fields {
		if !bytes.Equal(v, []byte("null")) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		panic(fmt.Sprintf("telegramtest: AddUpdate: an update has exactly one field besides update_id, got %v", kinds))
	}
	kind := kinds[0]
	var probe struct {
		ID      string `json:"id"`
		Chat    *wireChat
		Message *struct{ Chat *wireChat }
	}
	_ = json.Unmarshal(fields[kind], &probe)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, wc := range []*wireChat{probe.Chat, func() *wireChat {
		if probe.Message != nil {
			return probe.Message.Chat
		}
		return nil
	}()} {
		if wc != nil && wc.ID != 0 && s.chats[wc.ID] == nil {
			s.chats[wc.ID] = &chat{wire: *wc}
		}
	}
	if kind == "callback_query" && probe.ID != "" {
		cb := &callbackState{}
		if probe.Message != nil && probe.Message.Chat != nil {
			cb.chatID = probe.Message.Chat.ID
		}
		s.callbacks[probe.ID] = cb
	}
	return s.enqueue(kind, fields[kind])
}

// wanted reports whether an update kind passes allowed_updates.
func wanted(allowed []string, kind string) bool {
	if len(allowed) == 0 {
		return !slices.Contains(optInUpdates, kind)
	}
	return slices.Contains(allowed, kind)
}

// confirm forgets the updates below offset, as getUpdates does; s.mu must
// be held.
func (s *Server) confirm(offset int64) {
	switch {
	case offset > 0:
		i := sort.Search(len(s.pending), func(i int) bool { return s.pending[i].id >= offset })
		s.pending = s.pending[i:]
		if offset-1 > s.confirmed {
			s.confirmed = offset - 1
		}
	case offset < 0:
		keep := int(-offset)
		if len(s.pending) > keep {
			drop := len(s.pending) - keep
			if id := s.pending[drop-1].id; id > s.confirmed {
				s.confirmed = id
			}
			s.pending = s.pending[drop:]
		}
	}
}

// deliverable returns up to limit pending updates that pass
// allowed_updates, dropping the others; s.mu must be held.
func (s *Server) deliverable(limit int) []json.RawMessage {
	out := []json.RawMessage{}
	kept := s.pending[:0:0]
	for _, u := range s.pending {
		if !wanted(s.allowed, u.kind) {
			continue
		}
		kept = append(kept, u)
		if len(out) < limit {
			out = append(out, u.raw)
		}
	}
	s.pending = kept
	return out
}

func (s *Server) getUpdates(r *http.Request, p *params) (any, *apiError) {
	offset, err := p.int64("offset")
	if err != nil {
		return nil, err
	}
	limit, err := p.int64("limit")
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, err := p.int64("timeout")
	if err != nil {
		return nil, err
	}
	allowed, set, err := p.stringList("allowed_updates")
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	if s.webhook.url != "" {
		s.mu.Unlock()
		return nil, &apiError{code: http.StatusConflict, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	}
	if s.poll != nil {
		close(s.poll.terminated)
	}
	me := &poller{terminated: make(chan struct{})}
	s.poll = me
	if set {
		s.allowed = allowed
	}
	s.confirm(offset)
	s.notify()
	done := func() {
		if s.poll == me {
			s.poll = nil
			s.notify() // Polling changed
		}
		s.mu.Unlock()
	}

	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		expired = t.C
	}
	for {
		if ups := s.deliverable(int(limit)); len(ups) > 0 || timeout <= 0 {
			done()
			return ups, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
			s.mu.Lock()
		case <-expired:
			s.mu.Lock()
			timeout = 0
		case <-me.terminated:
			return nil, &apiError{code: http.StatusConflict, description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
		case <-s.closing:
			s.mu.Lock()
			timeout = 0
		case <-r.Context().Done():
			s.mu.Lock()
			done()
			return nil, errNoAnswer
		}
		if s.webhook.url != "" {
			done()
			return []json.RawMessage{}, nil
		}
	}
}

func (s *Server) setWebhook(_ *http.Request, p *params) (any, *apiError) {
	u := p.str("url")
	secret := p.str("secret_token")
	if u != "" && !validWebhookURL(u) {
		return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	if len(secret) > 256 {
		return nil, badRequest("secret token is too long")
	}
	for _, c := range []byte(secret) {
		if !isCommandChar(c) && c != '-' {
			return nil, badRequest("secret token contains unallowed characters")
		}
	}
	maxConn, err := p.int64("max_connections")
	if err != nil {
		return nil, err
	}
	if maxConn == 0 {
		maxConn = 40
	}
	if maxConn < 1 || maxConn > 100 {
		return nil, badRequest("bad webhook: invalid max_connections specified")
	}
	allowed, set, err := p.stringList("allowed_updates")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	if p.bool("drop_pending_updates") {
		s.pending = nil
	}
	if set {
		s.allowed = allowed
	}
	if u == "" {
		was := s.webhook.url != ""
		s.webhook = webhookState{}
		if was {
			return okDescription{true, "Webhook was deleted"}, nil
		}
		return okDescription{true, "Webhook is already deleted"}, nil
	}
	same := s.webhook.url == u
	s.webhook = webhookState{url: u, secret: secret, maxConnections: int(maxConn), allowed: allowed}
	if s.poll != nil {
		close(s.poll.terminated)
		s.poll = nil
	}
	if same {
		return okDescription{true, "Webhook is already set"}, nil
	}
	return okDescription{true, "Webhook was set"}, nil
}

// validWebhookURL accepts https URLs like Telegram and, for tests on
// loopback, http ones.
func validWebhookURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func (s *Server) deleteWebhook(_ *http.Request, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	if p.bool("drop_pending_updates") {
		s.pending = nil
	}
	if s.webhook.url == "" {
		return okDescription{true, "Webhook is already deleted"}, nil
	}
	s.webhook = webhookState{}
	return okDescription{true, "Webhook was deleted"}, nil
}

func (s *Server) getWebhookInfo(_ *http.Request, _ *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := struct {
		URL                  string   `json:"url"`
		HasCustomCertificate bool     `json:"has_custom_certificate"`
		PendingUpdateCount   int      `json:"pending_update_count"`
		MaxConnections       int      `json:"max_connections,omitempty"`
		IPAddress            string   `json:"ip_address,omitempty"`
		AllowedUpdates       []string `json:"allowed_updates,omitempty"`
	}{URL: s.webhook.url, PendingUpdateCount: len(s.pending)}
	if s.webhook.url != "" {
		info.MaxConnections = s.webhook.maxConnections
		info.IPAddress = "127.0.0.1"
		info.AllowedUpdates = s.webhook.allowed
	}
	return info, nil
}

// PostWebhook delivers an injected update to the webhook registered with
// setWebhook (or through WebhookVia's base), as Telegram does: a POST of the update's JSON with the header
// X-Telegram-Bot-Api-Secret-Token set to the registered secret (absent when
// none). It returns the HTTP status of the answer. Like Telegram, a 2xx
// answer removes the update from the pending ones; any other answer keeps
// it for another delivery. An update may be posted again after it was
// delivered, to simulate Telegram's occasional redelivery.
func (s *Server) PostWebhook(ctx context.Context, updateID int64) (status int, err error) {
	s.mu.Lock()
	secret := s.webhook.secret
	s.mu.Unlock()
	return s.PostWebhookSecret(ctx, updateID, secret)
}

// PostWebhookSecret is PostWebhook with the given secret header instead
// of the registered one ("" sends no header), to check that the bot
// refuses forged requests.
func (s *Server) PostWebhookSecret(ctx context.Context, updateID int64, secret string) (status int, err error) {
	s.mu.Lock()
	target := s.webhookTarget()
	raw := s.history[updateID]
	s.mu.Unlock()
	if target == "" {
		return 0, fmt.Errorf("post update %d to webhook: no webhook is set", updateID)
	}
	if raw == nil {
		return 0, fmt.Errorf("post update %d to webhook: no such update", updateID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(raw))
	if err != nil {
		return 0, fmt.Errorf("post update %d to webhook: %w", updateID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		err = fmt.Errorf("post update %d to webhook: %w", updateID, err)
		s.delivered(WebhookDelivery{UpdateID: updateID, Err: err})
		return 0, err
	}
	// The status decides, as soon as it arrives (the body may follow).
	s.delivered(WebhookDelivery{UpdateID: updateID, Status: resp.StatusCode})
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// DeliverWebhook posts the pending updates to the webhook in order, as
// Telegram does after setWebhook, and stops at the first answer that is
// not 2xx. It returns how many were delivered.
func (s *Server) DeliverWebhook(ctx context.Context) (int, error) {
	n := 0
	for _, id := range s.Pending() {
		status, err := s.PostWebhook(ctx, id)
		if err != nil {
			return n, err
		}
		if status/100 != 2 {
			return n, fmt.Errorf("deliver update %d to webhook: status %d", id, status)
		}
		n++
	}
	return n, nil
}
