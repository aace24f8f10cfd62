package telegramtest

import (
	"encoding/json"
	"net/url"
	"strings"
)

// Button is one button of a message's keyboard, inline or reply.
type Button struct {
	Text           string
	CallbackData   string // inline keyboards
	URL            string // inline keyboards
	CopyText       string // inline keyboards: the text a copy_text button copies
	RequestContact bool   // reply keyboards: "share my phone number"
}

// Buttons returns the rows of the message's inline keyboard or reply
// keyboard, nil when it has none (or the markup removes the keyboard).
func (m Message) Buttons() [][]Button { return markupButtons(m.ReplyMarkup) }

// Button returns the first button of the message's keyboard whose text is
// label.
func (m Message) Button(label string) (Button, bool) {
	for _, row := range m.Buttons() {
		for _, b := range row {
			if b.Text == label {
				return b, true
			}
		}
	}
	return Button{}, false
}

type wireButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
	URL          string `json:"url"`
	CopyText     struct {
		Text string `json:"text"`
	} `json:"copy_text"`
	RequestContact bool `json:"request_contact"`
}

func (b *wireButton) UnmarshalJSON(data []byte) error {
	// A reply keyboard button may be a plain string.
	var s string
	if json.Unmarshal(data, &s) == nil {
		b.Text = s
		return nil
	}
	type plain wireButton
	return json.Unmarshal(data, (*plain)(b))
}

func markupButtons(raw json.RawMessage) [][]Button {
	if len(raw) == 0 {
		return nil
	}
	var m struct {
		Inline   [][]wireButton `json:"inline_keyboard"`
		Keyboard [][]wireButton `json:"keyboard"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	rows := m.Inline
	if rows == nil {
		rows = m.Keyboard
	}
	var out [][]Button
	for _, row := range rows {
		var r []Button
		for _, b := range row {
			r = append(r, Button{Text: b.Text, CallbackData: b.CallbackData, URL: b.URL, CopyText: b.CopyText.Text, RequestContact: b.RequestContact})
		}
		out = append(out, r)
	}
	return out
}

// markupKind tells what a normalized reply_markup is.
type markupKind int

const (
	markupNone markupKind = iota
	markupInline
	markupKeyboard
	markupRemove
	markupForceReply
)

func kindOf(raw json.RawMessage) markupKind {
	if len(raw) == 0 {
		return markupNone
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return markupNone
	}
	switch {
	case m["inline_keyboard"] != nil:
		return markupInline
	case m["keyboard"] != nil:
		return markupKeyboard
	case m["remove_keyboard"] != nil:
		return markupRemove
	case m["force_reply"] != nil:
		return markupForceReply
	}
	return markupNone
}

// parseMarkup validates a reply_markup parameter like Telegram and returns
// it normalized (object keys sorted) with its kind. An empty parameter is no
// markup. chatType is the type of the target chat; editing allows only
// inline keyboards.
func parseMarkup(raw, chatType string, editing bool) (json.RawMessage, markupKind, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, markupNone, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &top); err != nil {
		return nil, 0, badRequest("can't parse reply keyboard markup JSON object")
	}
	var kind markupKind
	switch {
	case top["inline_keyboard"] != nil:
		kind = markupInline
		var rows [][]map[string]json.RawMessage
		if err := json.Unmarshal(top["inline_keyboard"], &rows); err != nil {
			return nil, 0, badRequest("can't parse inline keyboard button: field \"inline_keyboard\" must be an array of arrays of objects")
		}
		count := 0
		for _, row := range rows {
			for _, b := range row {
				count++
				if err := checkInlineButton(b); err != nil {
					return nil, 0, err
				}
			}
		}
		if count > 100 {
			return nil, 0, badRequest("reply markup is too long")
		}
	case top["keyboard"] != nil:
		kind = markupKeyboard
		var rows [][]wireButton
		if err := json.Unmarshal(top["keyboard"], &rows); err != nil {
			return nil, 0, badRequest("can't parse keyboard button: field \"keyboard\" must be an array of arrays")
		}
		for _, row := range rows {
			for _, b := range row {
				if b.Text == "" {
					return nil, 0, badRequest("can't parse keyboard button: Text must be non-empty")
				}
				if b.RequestContact && chatType != "private" {
					return nil, 0, badRequest("phone number can be requested in private chats only")
				}
			}
		}
	case top["remove_keyboard"] != nil:
		kind = markupRemove
	case top["force_reply"] != nil:
		kind = markupForceReply
	default:
		return nil, 0, badRequest("can't parse reply keyboard markup JSON object")
	}
	if editing && kind != markupInline {
		return nil, 0, badRequest("inline keyboard expected")
	}
	var v any
	_ = json.Unmarshal([]byte(raw), &v)
	norm, _ := json.Marshal(v)
	return norm, kind, nil
}

// inlineActions are the fields that give an inline button its action:
// exactly one per button.
var inlineActions = []string{
	"url", "callback_data", "web_app", "login_url", "switch_inline_query",
	"switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
	"copy_text", "callback_game", "pay",
}

// maxCopyText is the longest text a copy_text button copies, in UTF-16
// code units.
const maxCopyText = 256

func checkInlineButton(b map[string]json.RawMessage) *apiError {
	var text string
	if json.Unmarshal(b["text"], &text) != nil || text == "" {
		return badRequest("can't parse inline keyboard button: Text must be non-empty")
	}
	actions := 0
	for _, k := range inlineActions {
		if _, ok := b[k]; ok {
			actions++
		}
	}
	var ct struct {
		Text *string `json:"text"`
	}
	if raw, ok := b["copy_text"]; ok && actions > 1 && json.Unmarshal(raw, &ct) == nil && ct.Text != nil && *ct.Text == "" {
		// go-telegram/bot always sends "copy_text":{"text":""}; Telegram
		// ignores it next to another action (and refuses it alone).
		delete(b, "copy_text")
		actions--
	}
	if actions > 1 {
		return badRequest("BUTTON_TYPE_INVALID")
	}
	if raw, ok := b["callback_data"]; ok {
		var data string
		if json.Unmarshal(raw, &data) != nil || len(data) < 1 || len(data) > 64 {
			return badRequest("BUTTON_DATA_INVALID")
		}
	}
	if raw, ok := b["url"]; ok {
		var u string
		if json.Unmarshal(raw, &u) != nil || !validButtonURL(u) {
			return badRequest("BUTTON_URL_INVALID")
		}
	}
	if raw, ok := b["copy_text"]; ok {
		var ct struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(raw, &ct) != nil || ct.Text == "" || utf16Len(ct.Text) > maxCopyText {
			return badRequest("BUTTON_COPY_TEXT_INVALID")
		}
	}
	if actions == 0 {
		return badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	return nil
}

func validButtonURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != "" && !strings.ContainsAny(u.Host, " ")
	case "tg":
		return u.Host != "" || u.Opaque != ""
	}
	return false
}
