package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
)

// running waits until the bot polls, so that a test may send and stop it
// without cutting its start short.
func (h *harness) running() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.fake.WaitUntil(ctx, h.fake.Polling); err != nil {
		h.t.Fatal("the bot does not poll")
	}
}

// photoMessage is the QR photo with its caption and one button.
func photoMessage(key, caption string) flows.Message {
	return flows.Message{Text: caption, Photo: &flows.Photo{QR: "LPA:1$smdp.example.com$" + key, Key: key, Name: "qr.png"},
		Buttons: [][]flows.Button{{{Text: "Usage", Data: "g.usage"}}}}
}

// keyboards counts the bot's messages in the chat that carry buttons.
func keyboards(h *harness, chat int64) int {
	n := 0
	for _, m := range telegramtest.FromBot(h.fake.Messages(chat)) {
		if len(m.Buttons()) > 0 {
			n++
		}
	}
	return n
}

// wantPhotoNotSent fails unless err is a failed photo, recognisable both
// by bot.ErrPhotoNotSent and by a package that cannot import bot.
func wantPhotoNotSent(t *testing.T, err error) {
	t.Helper()
	var failed interface{ PhotoNotSent() bool }
	if !errors.Is(err, bot.ErrPhotoNotSent) || !errors.As(err, &failed) || !failed.PhotoNotSent() {
		t.Fatalf("got %v, want a failed photo", err)
	}
}

// A photo that fails is one sendPhoto, nothing sent, and an error that says
// the photo failed.
func TestPhotoFailures(t *testing.T) {
	h := start(t, nil)
	h.running()
	tests := []struct {
		name string
		fail telegramtest.Failure
	}{
		{"InternalServerError", telegramtest.Failure{Code: 500}},
		{"BadGateway", telegramtest.Failure{Code: 502}},
		{"BadRequest", telegramtest.Failure{Code: 400, Description: "Bad Request: IMAGE_PROCESS_FAILED"}},
		{"Blocked", telegramtest.Failure{Code: 403}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := int64(600 + i)
			h.fake.SetUser(chat, "P", "", "", "en")
			before := h.fake.Calls("sendPhoto")
			h.fake.FailNextWith("sendPhoto", 1, tt.fail)
			err := h.bot.Messenger().Send(context.Background(), flows.ChatID(chat), photoMessage("", "your <b>QR</b>"))
			wantPhotoNotSent(t, err)
			if got := h.fake.Calls("sendPhoto") - before; got != 1 {
				t.Errorf("sendPhoto called %d times, want 1", got)
			}
			if got := telegramtest.FromBot(h.fake.Messages(chat)); len(got) != 0 {
				t.Errorf("sent %+v after the photo failed", got)
			}
		})
	}
}

// A photo resent by file_id is uploaded again only when Telegram refuses
// the file_id, and its buttons are sent once.
func TestPhotoByFileID(t *testing.T) {
	h := start(t, nil)
	h.running()
	const chat = 610
	h.fake.SetUser(chat, "F", "", "", "en")
	send := func() error {
		return h.bot.Messenger().Send(context.Background(), chat, photoMessage("K610", "your <b>QR</b>"))
	}
	if err := send(); err != nil {
		t.Fatal(err)
	}
	t.Run("Refused", func(t *testing.T) {
		before := h.fake.Calls("sendPhoto")
		h.fake.FailNextWith("sendPhoto", 1, telegramtest.Failure{Code: 400, Description: "Bad Request: wrong file identifier/HTTP URL specified"})
		if err := send(); err != nil {
			t.Fatal(err)
		}
		if got := h.fake.Calls("sendPhoto") - before; got != 2 {
			t.Errorf("sendPhoto called %d times, want 2 (the file_id, then the upload)", got)
		}
		msgs := telegramtest.FromBot(h.fake.Messages(chat))
		if last := msgs[len(msgs)-1]; last.Photo == nil || last.Photo.Reused {
			t.Errorf("last message %+v, want a new upload", last)
		}
		if got := keyboards(h, chat); got != 2 {
			t.Errorf("%d messages with buttons, want 2 (one a send)", got)
		}
	})
	t.Run("OtherBadRequest", func(t *testing.T) {
		before, sent := h.fake.Calls("sendPhoto"), len(h.fake.Messages(chat))
		h.fake.FailNextWith("sendPhoto", 1, telegramtest.Failure{Code: 400, Description: "Bad Request: can't parse entities: unexpected end tag"})
		wantPhotoNotSent(t, send())
		if got := h.fake.Calls("sendPhoto") - before; got != 1 {
			t.Errorf("sendPhoto called %d times, want 1: only a refused file_id is uploaded again", got)
		}
		if got := len(h.fake.Messages(chat)); got != sent {
			t.Errorf("%d messages, want %d", got, sent)
		}
	})
}

// A photo upload that gets no answer fails within SendTimeout, however long
// the HTTP client or the caller would wait.
func TestPhotoTimeoutIsBounded(t *testing.T) {
	h := start(t, func(c *bot.Config) { c.SendTimeout = 200 * time.Millisecond })
	h.running()
	const chat = 620
	h.fake.SetUser(chat, "S", "", "", "en")
	h.fake.StallNext("sendPhoto", 1)
	// Longer than SendTimeout, shorter than the HTTP client's timeout
	// (PollTimeout + 10 s): only SendTimeout can end the call before it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := h.bot.Messenger().Send(ctx, chat, photoMessage("K620", "your <b>QR</b>"))
	wantPhotoNotSent(t, err)
	if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Errorf("got %v with the caller's context %v, want the send's own deadline", err, ctx.Err())
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the error shows the token: %v", err)
	}
	if got := len(h.fake.Messages(chat)); got != 0 {
		t.Errorf("%d messages after the photo failed", got)
	}
	if err := h.bot.Messenger().Send(ctx, chat, photoMessage("K620", "your <b>QR</b>")); err != nil {
		t.Fatalf("the next send: %v", err)
	}
}

// A caption too long for a photo goes, with the buttons, in a message
// after it: the buttons are sent once, and not at all if the photo fails.
func TestPhotoLongCaptionButtonsOnce(t *testing.T) {
	h := start(t, nil)
	h.running()
	caption := strings.Repeat("install it like this &amp; that\n", 40) // over 1024 characters
	t.Run("OK", func(t *testing.T) {
		const chat = 630
		h.fake.SetUser(chat, "L", "", "", "en")
		if err := h.bot.Messenger().Send(context.Background(), chat, photoMessage("K630", caption)); err != nil {
			t.Fatal(err)
		}
		msgs := telegramtest.FromBot(h.fake.Messages(chat))
		if len(msgs) != 2 || msgs[0].Photo == nil || msgs[0].Caption != "" || len(msgs[0].Buttons()) > 0 || len(msgs[1].Buttons()) != 1 {
			t.Errorf("got %+v, want the photo, then the text with the buttons", msgs)
		}
	})
	t.Run("PhotoFails", func(t *testing.T) {
		const chat = 631
		h.fake.SetUser(chat, "L", "", "", "en")
		h.fake.FailNext("sendPhoto", 1, 500, 0)
		wantPhotoNotSent(t, h.bot.Messenger().Send(context.Background(), chat, photoMessage("K631", caption)))
		if got := len(h.fake.Messages(chat)); got != 0 {
			t.Errorf("%d messages after the photo failed, want none", got)
		}
	})
	t.Run("TextFails", func(t *testing.T) {
		const chat = 632
		h.fake.SetUser(chat, "L", "", "", "en")
		h.fake.FailNext("sendMessage", 1, 500, 0)
		err := h.bot.Messenger().Send(context.Background(), chat, photoMessage("K632", caption))
		if err == nil || errors.Is(err, bot.ErrPhotoNotSent) {
			t.Fatalf("got %v, want an error that is not a failed photo (the photo arrived)", err)
		}
		if msgs := telegramtest.FromBot(h.fake.Messages(chat)); len(msgs) != 1 || msgs[0].Photo == nil || keyboards(h, chat) != 0 {
			t.Errorf("got %+v, want the photo alone", msgs)
		}
	})
}
