package telegramtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	_ "image/gif" // decode uploaded photos
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Message is a message of a chat as the server keeps it: sent by the bot
// or injected as coming from a user.
type Message struct {
	ID      int
	ChatID  int64
	From    int64 // the sender's user ID: the bot's for the bot's messages
	FromBot bool
	Date    int64 // Unix time
	// Text is the text as the user sees it, after entity parsing; RawText
	// is the text parameter as the bot sent it, and ParseMode its mode.
	Text      string
	RawText   string
	ParseMode string
	Entities  []Entity
	// Caption of a photo, likewise.
	Caption         string
	RawCaption      string
	CaptionEntities []Entity
	Photo           *Photo
	// Document is the file of a message sent with sendDocument.
	Document *Document
	Contact  *Contact
	// Invoice is the invoice of a message sent with sendInvoice.
	Invoice *Invoice
	// SuccessfulPayment is set on the service message, from the buyer, by
	// which a payment (see Pay) reached the bot.
	SuccessfulPayment *SuccessfulPayment
	// ReplyMarkup is the reply_markup as sent, normalized (keys sorted): an
	// inline keyboard, a reply keyboard, a keyboard removal or force_reply.
	ReplyMarkup json.RawMessage
	Edited      int   // how many times it was edited
	EditDate    int64 // Unix time of the last edit
	// ReplyTo is the ID of the message of the chat it replies to (0: none).
	ReplyTo int
	// CopiedFrom and CopiedID name the message a copyMessage copied: its
	// chat and its ID (0: none).
	CopiedFrom int64
	CopiedID   int
}

// Photo is the photo of a message.
type Photo struct {
	// FileID and FileUniqueID are those of the largest size: FileID sends
	// the photo again.
	FileID       string
	FileUniqueID string
	Width        int
	Height       int
	Data         []byte // the uploaded bytes; nil for a photo sent by URL
	Filename     string // the file name of the multipart upload
	URL          string // the HTTP URL it was sent by, if so
	Reused       bool   // sent by the file_id of an earlier upload
	Sizes        []PhotoSize
}

// PhotoSize is one size of a photo, as in the Bot API's photo arrays.
type PhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int    `json:"file_size,omitempty"`
}

// Contact is a shared phone number.
type Contact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name,omitempty"`
	UserID      int64  `json:"user_id,omitempty"`
}

// FromBot returns the messages sent by the bot.
func FromBot(msgs []Message) []Message {
	var out []Message
	for _, m := range msgs {
		if m.FromBot {
			out = append(out, m)
		}
	}
	return out
}

// chat is the state of one chat.
type chat struct {
	wire     wireChat
	lastID   int
	msgs     []Message
	actions  []string
	keyboard json.RawMessage // the reply keyboard shown, nil if none
	oneTime  bool
	blocked  bool
}

func (c *chat) newMessageID() int {
	c.lastID++
	return c.lastID
}

func (c *chat) message(id int) *Message {
	for i := range c.msgs {
		if c.msgs[i].ID == id {
			return &c.msgs[i]
		}
	}
	return nil
}

// storedFile is an uploaded photo, reachable by the file_id of any size.
type storedFile struct {
	data     []byte
	filename string
	url      string
	sizes    []PhotoSize
}

// Messages returns the messages of the chat, the user's and the bot's, in
// order, as they are now (edited, without the deleted ones).
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		return slices.Clone(c.msgs)
	}
	return nil
}

// Message returns one message of the chat.
func (s *Server) Message(chatID int64, messageID int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		if m := c.message(messageID); m != nil {
			return *m, true
		}
	}
	return Message{}, false
}

// ReplyKeyboard returns the reply keyboard the chat shows now (set by a
// message with a reply keyboard, removed by remove_keyboard or, for a
// one_time_keyboard, by the user's next message), nil if none.
func (s *Server) ReplyKeyboard(chatID int64) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		return slices.Clone(c.keyboard)
	}
	return nil
}

type wireMessage struct {
	MessageID         int                `json:"message_id"`
	From              *wireUser          `json:"from,omitempty"`
	Chat              wireChat           `json:"chat"`
	Date              int64              `json:"date"`
	EditDate          int64              `json:"edit_date,omitempty"`
	Text              string             `json:"text,omitempty"`
	Entities          []Entity           `json:"entities,omitempty"`
	Caption           string             `json:"caption,omitempty"`
	CaptionEntities   []Entity           `json:"caption_entities,omitempty"`
	Photo             []PhotoSize        `json:"photo,omitempty"`
	Document          *wireDocument      `json:"document,omitempty"`
	Contact           *Contact           `json:"contact,omitempty"`
	Invoice           *wireInvoice       `json:"invoice,omitempty"`
	SuccessfulPayment *SuccessfulPayment `json:"successful_payment,omitempty"`
	ReplyMarkup       json.RawMessage    `json:"reply_markup,omitempty"`
	ReplyToMessage    *wireMessage       `json:"reply_to_message,omitempty"`
}

// wireOf renders a message as the Bot API returns it; s.mu must be held.
func (s *Server) wireOf(c *chat, m *Message) wireMessage {
	from := s.bot
	if !m.FromBot {
		from = s.user(m.From)
	}
	w := wireMessage{
		MessageID: m.ID, From: &from, Chat: c.wire, Date: m.Date, EditDate: m.EditDate,
		Text: m.Text, Entities: m.Entities, Caption: m.Caption, CaptionEntities: m.CaptionEntities,
		Contact: m.Contact, Invoice: m.Invoice.wire(), SuccessfulPayment: m.SuccessfulPayment, Document: m.Document.wire(),
	}
	if m.Photo != nil {
		w.Photo = m.Photo.Sizes
	}
	// Telegram shows only inline keyboards in the message object.
	if kindOf(m.ReplyMarkup) == markupInline {
		w.ReplyMarkup = m.ReplyMarkup
	}
	if r := c.message(m.ReplyTo); m.ReplyTo != 0 && r != nil {
		inner := *r
		inner.ReplyTo = 0 // Telegram nests one level only
		rw := s.wireOf(c, &inner)
		w.ReplyToMessage = &rw
	}
	return w
}

// targetChat resolves chat_id for a send; s.mu must be held.
func (s *Server) targetChat(p *params) (*chat, *apiError) {
	v := strings.TrimSpace(p.str("chat_id"))
	if v == "" {
		return nil, badRequest("chat_id is empty")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, badRequest("chat not found")
	}
	c := s.chats[id]
	if c == nil {
		return nil, badRequest("chat not found")
	}
	if c.blocked {
		return nil, errBlocked
	}
	return c, nil
}

// targetMessage resolves chat_id and message_id for an edit; s.mu must be
// held.
func (s *Server) targetMessage(p *params, notFound string) (*chat, *Message, *apiError) {
	if p.str("inline_message_id") != "" {
		return nil, nil, badRequest("MESSAGE_ID_INVALID")
	}
	c, err := s.targetChat(p)
	if err != nil {
		return nil, nil, err
	}
	id, err := p.int64("message_id")
	if err != nil {
		return nil, nil, err
	}
	if id == 0 {
		return nil, nil, badRequest("message identifier is not specified")
	}
	m := c.message(int(id))
	if m == nil {
		return nil, nil, badRequest("%s", notFound)
	}
	return c, m, nil
}

// addBotMessage records a message sent by the bot; s.mu must be held.
func (s *Server) addBotMessage(c *chat, m Message, kind markupKind) wireMessage {
	m.ID = c.newMessageID()
	m.ChatID = c.wire.ID
	m.From = s.bot.ID
	m.FromBot = true
	m.Date = now()
	switch kind {
	case markupKeyboard:
		c.keyboard = m.ReplyMarkup
		var k struct {
			OneTime bool `json:"one_time_keyboard"`
		}
		_ = json.Unmarshal(m.ReplyMarkup, &k)
		c.oneTime = k.OneTime
	case markupRemove:
		c.keyboard, c.oneTime = nil, false
	}
	c.msgs = append(c.msgs, m)
	s.notify()
	return s.wireOf(c, &c.msgs[len(c.msgs)-1])
}

func (s *Server) getMe(_ *http.Request, _ *params) (any, *apiError) {
	return struct {
		wireUser
		CanJoinGroups           bool `json:"can_join_groups"`
		CanReadAllGroupMessages bool `json:"can_read_all_group_messages"`
		SupportsInlineQueries   bool `json:"supports_inline_queries"`
		CanConnectToBusiness    bool `json:"can_connect_to_business"`
		HasMainWebApp           bool `json:"has_main_web_app"`
	}{wireUser: s.bot, CanJoinGroups: true}, nil
}

func (s *Server) sendMessage(_ *http.Request, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.targetChat(p)
	if err != nil {
		return nil, err
	}
	raw := p.str("text")
	text, ents, err := formatted(raw, p.str("parse_mode"), p.str("entities"), maxTextLength, "message is too long")
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, badRequest("message text is empty")
	}
	markup, kind, err := parseMarkup(p.str("reply_markup"), c.wire.Type, false)
	if err != nil {
		return nil, err
	}
	return s.addBotMessage(c, Message{Text: text, RawText: raw, ParseMode: p.str("parse_mode"), Entities: ents, ReplyMarkup: markup}, kind), nil
}

func (s *Server) sendPhoto(_ *http.Request, p *params) (any, *apiError) {
	return s.sendMedia(p, func(m *Message) *apiError {
		photo, err := s.inputPhoto(p)
		m.Photo = photo
		return err
	})
}

// sendMedia sends a message with a file (media sets it on the message,
// s.mu held) and a caption of at most 1024 characters: sendPhoto and
// sendDocument.
func (s *Server) sendMedia(p *params, media func(*Message) *apiError) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.targetChat(p)
	if err != nil {
		return nil, err
	}
	var m Message
	if err := media(&m); err != nil {
		return nil, err
	}
	raw := p.str("caption")
	caption, ents, err := formatted(raw, p.str("parse_mode"), p.str("caption_entities"), maxCaptionLength, "message caption is too long")
	if err != nil {
		return nil, err
	}
	markup, kind, err := parseMarkup(p.str("reply_markup"), c.wire.Type, false)
	if err != nil {
		return nil, err
	}
	m.Caption, m.RawCaption, m.ParseMode, m.CaptionEntities, m.ReplyMarkup = caption, raw, p.str("parse_mode"), ents, markup
	return s.addBotMessage(c, m, kind), nil
}

var attachRE = regexp.MustCompile(`^attach://(.+)$`)

// inputPhoto reads the photo parameter: an upload, a file_id or an HTTP
// URL; s.mu must be held.
func (s *Server) inputPhoto(p *params) (*Photo, *apiError) {
	up, isFile := p.files["photo"]
	ref := p.str("photo")
	if m := attachRE.FindStringSubmatch(ref); !isFile && m != nil {
		up, isFile = p.files[m[1]]
	}
	if isFile {
		return s.storePhoto(up)
	}
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, badRequest("there is no photo in the request")
	}
	if f := s.files[ref]; f != nil {
		return f.photo(true), nil
	}
	if strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
		f := s.newFile(nil, "", 1280, 1280)
		f.url = ref
		return f.photo(false), nil
	}
	return nil, badRequest("wrong file identifier/HTTP URL specified")
}

// storePhoto stores an uploaded photo after checking it is an image.
func (s *Server) storePhoto(up upload) (*Photo, *apiError) {
	if len(up.data) == 0 {
		return nil, badRequest("file must be non-empty")
	}
	if len(up.data) > 10<<20 {
		return nil, &apiError{code: http.StatusRequestEntityTooLarge, description: "Request Entity Too Large"}
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(up.data))
	if err != nil || cfg.Width == 0 || cfg.Height == 0 {
		return nil, badRequest("IMAGE_PROCESS_FAILED")
	}
	f := s.newFile(bytes.Clone(up.data), up.filename, cfg.Width, cfg.Height)
	return f.photo(false), nil
}

// newFile registers a photo with its sizes: thumbnails at 90, 320 and 800
// pixels when smaller than the original, then the original (at most 2560).
func (s *Server) newFile(data []byte, filename string, w, h int) *storedFile {
	f := &storedFile{data: data, filename: filename}
	side := max(w, h)
	for _, limit := range []int{90, 320, 800, 2560} {
		last := side <= limit || limit == 2560
		if side > limit || last {
			sw, sh := w, h
			if side > limit {
				sw, sh = w*limit/side, h*limit/side
			}
			s.nextFile++
			sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", s.token, s.nextFile))
			id := "AgACAgIAAxkDAA" + base64.RawURLEncoding.EncodeToString(sum[:24])
			uid := "AQAD" + base64.RawURLEncoding.EncodeToString(sum[24:])
			f.sizes = append(f.sizes, PhotoSize{FileID: id, FileUniqueID: uid, Width: sw, Height: sh, FileSize: len(data) * sw * sh / max(w*h, 1)})
			s.files[id] = f
		}
		if last {
			break
		}
	}
	return f
}

func (f *storedFile) photo(reused bool) *Photo {
	big := f.sizes[len(f.sizes)-1]
	return &Photo{
		FileID: big.FileID, FileUniqueID: big.FileUniqueID, Width: big.Width, Height: big.Height,
		Data: f.data, Filename: f.filename, URL: f.url, Reused: reused, Sizes: f.sizes,
	}
}

// markupUnchanged reports whether an edit's markup equals the current one.
func markupUnchanged(old, new json.RawMessage) bool {
	if kindOf(old) != markupInline {
		old = nil
	}
	return bytes.Equal(old, new)
}

func (s *Server) editMessageText(_ *http.Request, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.editTarget(p)
	if err != nil {
		return nil, err
	}
	if m.Photo != nil || m.Text == "" {
		return nil, badRequest("there is no text in the message to edit")
	}
	raw := p.str("text")
	text, ents, err := formatted(raw, p.str("parse_mode"), p.str("entities"), maxTextLength, "message is too long")
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, badRequest("message text is empty")
	}
	markup, _, err := parseMarkup(p.str("reply_markup"), c.wire.Type, true)
	if err != nil {
		return nil, err
	}
	if text == m.Text && slices.Equal(ents, m.Entities) && markupUnchanged(m.ReplyMarkup, markup) {
		return nil, errNotModified
	}
	// Like Telegram, an edit without reply_markup removes the inline keyboard.
	m.Text, m.RawText, m.ParseMode, m.Entities, m.ReplyMarkup = text, raw, p.str("parse_mode"), ents, markup
	return s.edited(c, m), nil
}

// editTarget finds the message an edit names, which must be the bot's.
// The caller holds s.mu.
func (s *Server) editTarget(p *params) (*chat, *Message, *apiError) {
	c, m, err := s.targetMessage(p, "message to edit not found")
	if err != nil {
		return nil, nil, err
	}
	if !m.FromBot {
		return nil, nil, badRequest("message can't be edited")
	}
	return c, m, nil
}

func (s *Server) editMessageCaption(_ *http.Request, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.editTarget(p)
	if err != nil {
		return nil, err
	}
	if m.Photo == nil {
		return nil, badRequest("there is no caption in the message to edit")
	}
	raw := p.str("caption")
	caption, ents, err := formatted(raw, p.str("parse_mode"), p.str("caption_entities"), maxCaptionLength, "message caption is too long")
	if err != nil {
		return nil, err
	}
	markup, _, err := parseMarkup(p.str("reply_markup"), c.wire.Type, true)
	if err != nil {
		return nil, err
	}
	if caption == m.Caption && slices.Equal(ents, m.CaptionEntities) && markupUnchanged(m.ReplyMarkup, markup) {
		return nil, errNotModified
	}
	m.Caption, m.RawCaption, m.ParseMode, m.CaptionEntities, m.ReplyMarkup = caption, raw, p.str("parse_mode"), ents, markup
	return s.edited(c, m), nil
}

func (s *Server) editMessageReplyMarkup(_ *http.Request, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.editTarget(p)
	if err != nil {
		return nil, err
	}
	markup, _, err := parseMarkup(p.str("reply_markup"), c.wire.Type, true)
	if err != nil {
		return nil, err
	}
	if m.Invoice != nil && markup != nil {
		if _, err := invoiceMarkup(p.str("reply_markup"), c.wire.Type); err != nil {
			return nil, err
		}
	}
	if markupUnchanged(m.ReplyMarkup, markup) {
		return nil, errNotModified
	}
	m.ReplyMarkup = markup
	return s.edited(c, m), nil
}

var errNotModified = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

func (s *Server) edited(c *chat, m *Message) wireMessage {
	m.Edited++
	m.EditDate = now()
	s.notify()
	return s.wireOf(c, m)
}

func (s *Server) deleteMessage(_ *http.Request, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.targetMessage(p, "message to delete not found")
	if err != nil {
		return nil, err
	}
	if !m.FromBot && c.wire.Type != "private" {
		return nil, badRequest("message can't be deleted")
	}
	id := m.ID
	c.msgs = slices.DeleteFunc(c.msgs, func(m Message) bool { return m.ID == id })
	s.notify()
	return true, nil
}

func (s *Server) answerCallbackQuery(_ *http.Request, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := p.str("callback_query_id")
	cb := s.callbacks[id]
	if cb == nil || cb.answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	text := p.str("text")
	if utf16Len(text) > maxAnswerLength {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	cacheTime, err := p.int64("cache_time")
	if err != nil {
		return nil, err
	}
	cb.answered = true
	s.answers = append(s.answers, CallbackAnswer{
		CallbackQueryID: id, Text: text, ShowAlert: p.bool("show_alert"), URL: p.str("url"), CacheTime: int(cacheTime),
		ChatID: cb.chatID, MessageID: cb.messageID, Data: cb.data,
	})
	s.notify()
	return true, nil
}

var chatActions = []string{
	"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
	"upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}

func (s *Server) sendChatAction(_ *http.Request, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.targetChat(p)
	if err != nil {
		return nil, err
	}
	action := p.str("action")
	if !slices.Contains(chatActions, action) {
		return nil, badRequest("wrong parameter action in request")
	}
	c.actions = append(c.actions, action)
	s.notify()
	return true, nil
}

var (
	commandRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	langRE    = regexp.MustCompile(`^[a-z]{2}$`)
)

// commandScope reads the scope and language_code of the *MyCommands
// methods.
func commandScope(p *params) (commandKey, *apiError) {
	lang := p.str("language_code")
	if lang != "" && !langRE.MatchString(lang) {
		return commandKey{}, badRequest("invalid language code specified")
	}
	key := commandKey{scope: "default", lang: lang}
	raw := strings.TrimSpace(p.str("scope"))
	if raw == "" {
		return key, nil
	}
	var sc struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID int64           `json:"user_id"`
	}
	if err := json.Unmarshal([]byte(raw), &sc); err != nil {
		return commandKey{}, badRequest("can't parse BotCommandScope JSON object")
	}
	chatID := strings.Trim(string(sc.ChatID), `"`)
	switch sc.Type {
	case "default", "all_private_chats", "all_group_chats", "all_chat_administrators":
		key.scope = sc.Type
	case "chat", "chat_administrators":
		if chatID == "" {
			return commandKey{}, badRequest("chat not found")
		}
		key.scope = sc.Type + ":" + chatID
	case "chat_member":
		if chatID == "" || sc.UserID == 0 {
			return commandKey{}, badRequest("chat not found")
		}
		key.scope = fmt.Sprintf("chat_member:%s:%d", chatID, sc.UserID)
	default:
		return commandKey{}, badRequest("unsupported bot command scope type")
	}
	return key, nil
}

func (s *Server) setMyCommands(_ *http.Request, p *params) (any, *apiError) {
	key, err := commandScope(p)
	if err != nil {
		return nil, err
	}
	var cmds []BotCommand
	if raw := strings.TrimSpace(p.str("commands")); raw == "" {
		return nil, badRequest("parameter \"commands\" is required")
	} else if err := json.Unmarshal([]byte(raw), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands specified")
	}
	for _, c := range cmds {
		if !commandRE.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf16Len(strings.TrimSpace(c.Description)); n < 1 || n > 256 {
			return nil, badRequest("command description must be non-empty")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(cmds) == 0 {
		delete(s.commands, key)
	} else {
		s.commands[key] = cmds
	}
	s.notify()
	return true, nil
}

func (s *Server) deleteMyCommands(_ *http.Request, p *params) (any, *apiError) {
	key, err := commandScope(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, key)
	s.notify()
	return true, nil
}

func (s *Server) getMyCommands(_ *http.Request, p *params) (any, *apiError) {
	key, err := commandScope(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]BotCommand{}, s.commands[key]...), nil
}

// Telegram's limits of the bot's descriptions, in characters.
const (
	maxDescription      = 512
	maxShortDescription = 120
)

// setDescription sets (or, empty, removes) the text of a language in texts,
// within max characters.
func (s *Server) setDescription(p *params, field, what string, max int, texts map[string]string) (any, *apiError) {
	lang := p.str("language_code")
	if lang != "" && !langRE.MatchString(lang) {
		return nil, badRequest("invalid language code specified")
	}
	text := p.str(field)
	if utf16Len(text) > max {
		return nil, badRequest("%s is too long", what)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if text == "" {
		delete(texts, lang)
	} else {
		texts[lang] = text
	}
	s.notify()
	return true, nil
}

// getDescription returns the text set for a language: only a dedicated
// one, "" if none.
func (s *Server) getDescription(p *params, texts map[string]string) (string, *apiError) {
	lang := p.str("language_code")
	if lang != "" && !langRE.MatchString(lang) {
		return "", badRequest("invalid language code specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return texts[lang], nil
}

func (s *Server) setMyDescription(_ *http.Request, p *params) (any, *apiError) {
	return s.setDescription(p, "description", "description", maxDescription, s.descriptions)
}

func (s *Server) setMyShortDescription(_ *http.Request, p *params) (any, *apiError) {
	return s.setDescription(p, "short_description", "short description", maxShortDescription, s.shortDescriptions)
}

func (s *Server) getMyDescription(_ *http.Request, p *params) (any, *apiError) {
	d, err := s.getDescription(p, s.descriptions)
	if err != nil {
		return nil, err
	}
	return struct {
		Description string `json:"description"`
	}{d}, nil
}

func (s *Server) getMyShortDescription(_ *http.Request, p *params) (any, *apiError) {
	d, err := s.getDescription(p, s.shortDescriptions)
	if err != nil {
		return nil, err
	}
	return struct {
		ShortDescription string `json:"short_description"`
	}{d}, nil
}
