package bot

import (
	"bytes"
	"context"
	"errors"
	"strings"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/esimbot/esimbot/flows"
)

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
