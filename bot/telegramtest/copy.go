package telegramtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Media a user sends, and copyMessage: what the support desk passes on
// between a customer's chat and a staff group.

// SendPhoto injects a photo (1280×960) with a caption from the user in
// chatID (a private chat, or a group: a negative ID) and returns its
// update_id; with replyTo set it replies to that message of the chat, as
// SendReply. Its file_id sends it again.
func (s *Server) SendPhoto(chatID, userID int64, replyTo int, caption string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatFor(chatID, userID)
	photo := s.newFile(nil, "photo.jpg", 1280, 960).photo(false)
	return s.userMessage(c, Message{From: userID, Photo: photo, Caption: caption, RawCaption: caption, ReplyTo: replyTo})
}

// SendDocument injects a file (a PDF, a log...) with a caption from the
// user in chatID, replying to replyTo when set, and returns its update_id.
func (s *Server) SendDocument(chatID, userID int64, replyTo int, filename string, data []byte, caption string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatFor(chatID, userID)
	s.docSeq++
	seq := strconv.Itoa(s.docSeq)
	d := &Document{FileID: "BQACAgUser" + seq, FileUniqueID: "AgADuser" + seq, Filename: filename,
		MIMEType: mimeOf(filename, data), Data: bytes.Clone(data)}
	if s.documents == nil {
		s.documents = map[string]*Document{}
	}
	s.documents[d.FileID] = d
	return s.userMessage(c, Message{From: userID, Document: d, Caption: caption, RawCaption: caption, ReplyTo: replyTo})
}

// CopyOf returns the bot's copy (copyMessage) of message id of chat from
// among msgs, a chat's Messages, if there is one.
func CopyOf(msgs []Message, from int64, id int) (Message, bool) {
	for _, m := range msgs {
		if m.FromBot && m.CopiedFrom == from && m.CopiedID == id {
			return m, true
		}
	}
	return Message{}, false
}

// copyMessage copies a message of from_chat_id into chat_id as a new
// message of the bot, without a link to the original, and returns its
// MessageId. Like Telegram it refuses a message the chat lacks ("message
// to copy not found"), an invoice or a payment ("the message can't be
// copied"), and, without allow_sending_without_reply, a reply to a message
// chat_id lacks; caption replaces a media message's caption (a text's is
// ignored).
func (s *Server) copyMessage(_ *http.Request, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.targetChat(p)
	if err != nil {
		return nil, err
	}
	fromID, perr := strconv.ParseInt(strings.TrimSpace(p.str("from_chat_id")), 10, 64)
	from := s.chats[fromID]
	if perr != nil || from == nil {
		return nil, badRequest("chat not found")
	}
	id, err := p.int64("message_id")
	if err != nil {
		return nil, err
	}
	src := from.message(int(id))
	switch {
	case src == nil:
		return nil, badRequest("message to copy not found")
	case src.Invoice != nil || src.SuccessfulPayment != nil:
		return nil, badRequest("the message can't be copied")
	}
	m := Message{Text: src.Text, RawText: src.RawText, ParseMode: src.ParseMode, Entities: src.Entities,
		Caption: src.Caption, RawCaption: src.RawCaption, CaptionEntities: src.CaptionEntities,
		Photo: src.Photo, Document: src.Document, Contact: src.Contact, CopiedFrom: fromID, CopiedID: src.ID}
	if raw := p.str("caption"); raw != "" && (m.Photo != nil || m.Document != nil) {
		caption, ents, err := formatted(raw, p.str("parse_mode"), p.str("caption_entities"), maxCaptionLength, "message caption is too long")
		if err != nil {
			return nil, err
		}
		m.Caption, m.RawCaption, m.ParseMode, m.CaptionEntities = caption, raw, p.str("parse_mode"), ents
	}
	if m.ReplyTo, err = replyTarget(c, p.str("reply_parameters")); err != nil {
		return nil, err
	}
	markup, kind, err := parseMarkup(p.str("reply_markup"), c.wire.Type, false)
	if err != nil {
		return nil, err
	}
	m.ReplyMarkup = markup
	w := s.addBotMessage(c, m, kind)
	return struct {
		MessageID int `json:"message_id"`
	}{w.MessageID}, nil
}

// replyTarget reads reply_parameters: the message of chat c a message
// replies to, 0 for none.
func replyTarget(c *chat, raw string) (int, *apiError) {
	if raw == "" {
		return 0, nil
	}
	var rp struct {
		MessageID                int  `json:"message_id"`
		AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
	}
	if err := json.Unmarshal([]byte(raw), &rp); err != nil {
		return 0, badRequest("can't parse reply parameters JSON object")
	}
	switch {
	case c.message(rp.MessageID) != nil:
		return rp.MessageID, nil
	case rp.AllowSendingWithoutReply:
		return 0, nil
	}
	return 0, badRequest("message to be replied not found")
}
