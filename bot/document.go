package bot

import (
	"bytes"
	"context"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/esimbot/esimbot/flows"
)

// sendDocument uploads a file with its caption and buttons; a caption
// over Telegram's limit goes in a message of its own after the file.
func (s *sender) sendDocument(ctx context.Context, chat int64, m flows.Message) error {
	caption, rest := m.Text, ""
	if length(caption) > maxCaption {
		caption, rest = "", m.Text
	}
	var onFile, onText any
	if len(m.Buttons) > 0 {
		if rest == "" {
			onFile = inline(m.Buttons)
		} else {
			onText = inline(m.Buttons)
		}
	}
	name := m.Document.Name
	if name == "" {
		name = "file"
	}
	s.act(ctx, chat, "upload_document")
	err := s.call(ctx, "sendDocument", chat, func(ctx context.Context) error {
		_, err := s.tg.SendDocument(ctx, &tg.SendDocumentParams{ChatID: chat,
			Document: &models.InputFileUpload{Filename: name, Data: bytes.NewReader(m.Document.Data)},
			Caption:  caption, ParseMode: models.ParseModeHTML, ReplyMarkup: onFile})
		return err
	})
	s.settle(chat)
	if err != nil {
		return err
	}
	if rest != "" {
		return s.sendText(ctx, chat, rest, onText)
	}
	return nil
}
