package bot

import (
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"github.com/esimbot/esimbot/flows"
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
