package bot_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
	"github.com/esimbot/esimbot/storage"
)

// deskGroup is the support desk's staff chat of these tests.
const deskGroup = -1009

// copying is an engine that passes media on as the support desk does: a
// customer's into the staff chat (replying to its message 1), a staff
// member's into the customer's chat 7; it then tells the media's chat
// "copied as <ID>, error <whether it failed>", and keeps the events.
type copying struct {
	msg flows.Messenger

	mu     sync.Mutex
	events []flows.Event
}

func (c *copying) Handle(ctx context.Context, ev flows.Event) (flows.Outcome, error) {
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
	to, cp := flows.ChatID(deskGroup), flows.Copy{From: ev.Chat, Message: ev.MessageID, ReplyTo: 1}
	switch {
	case ev.Kind == flows.EventStaff && ev.Media:
		to, cp = 7, flows.Copy{From: ev.Chat, Message: ev.MessageID, Buttons: [][]flows.Button{{{Text: "↩️ Reply", Data: "g.support"}}}}
	case ev.Kind != flows.EventMedia:
		return flows.Outcome{}, nil
	}
	id, err := c.msg.(flows.Copier).Copy(ctx, to, cp)
	return flows.Outcome{}, c.msg.Send(ctx, ev.Chat, flows.Message{Text: fmt.Sprintf("copied as %d, error %v", id, err != nil)})
}

// TestCopyMedia: a customer's photo and a staff member's document reach
// the engine as media events (ID and caption), and the messenger copies
// them with copyMessage from the right chat, the right message, to the
// right chat, with the reply and the buttons, returning the copy's ID; a
// copy Telegram refuses is ErrRefused, one to a user who blocked the bot
// ErrBlocked.
func TestCopyMedia(t *testing.T) {
	fake := telegramtest.NewServer(t, token)
	st, err := storage.Open(filepath.Join(t.TempDir(), "bot.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := bot.New(bot.Config{Token: token, ServerURL: fake.URL(), PollTimeout: 2 * time.Second, SupportChat: deskGroup,
		Logger: slog.New(slog.DiscardHandler)}, st, st, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	eng := &copying{msg: b.Messenger()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, eng, 5*time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	fake.SetUser(7, "Ada", "", "", "en")
	fake.AddGroup(deskGroup)
	fake.SendGroupText(deskGroup, 801, "/start") // message 1 of the group

	fake.SendText(7, 7, "hello")         // message 1 of Ada's chat
	fake.SendPhoto(7, 7, 0, "the error") // message 2
	copied := waitCopy(t, fake, deskGroup, 7, 2)
	fake.SendDocument(deskGroup, 801, copied.ID, "fix.pdf", []byte("%PDF-1.4"), "see page 2") // message 3 of the group
	answer := waitCopy(t, fake, 7, deskGroup, 3)
	if copied.Photo == nil || copied.Caption != "the error" || copied.ReplyTo != 1 {
		t.Errorf("the staff chat's copy: %+v", copied)
	}
	if answer.Document == nil || answer.Caption != "see page 2" || len(answer.Buttons()) != 1 {
		t.Errorf("the customer's copy: %+v", answer)
	}
	h := &harness{t: t, fake: fake}
	h.botSaid(7, fmt.Sprintf("copied as %d, error false", copied.ID))
	h.botSaid(deskGroup, fmt.Sprintf("copied as %d, error false", answer.ID))
	eng.mu.Lock()
	evs := eng.events
	eng.mu.Unlock()
	var media []flows.Event
	for _, ev := range evs {
		if ev.Kind == flows.EventMedia || ev.Media {
			media = append(media, ev)
		}
	}
	if len(media) != 2 || media[0].MessageID != 2 || media[0].Text != "the error" || media[1].MessageID != 3 || media[1].Text != "see page 2" {
		t.Fatalf("media events %+v", media)
	}

	msg := b.Messenger().(flows.Copier)
	_, err = msg.Copy(t.Context(), deskGroup, flows.Copy{From: 7, Message: 99})
	if !errors.Is(err, flows.ErrRefused) || errors.Is(err, flows.ErrBlocked) {
		t.Errorf("a copy of a message that is not there: %v, want ErrRefused", err)
	}
	fake.BlockBot(7)
	if _, err := msg.Copy(t.Context(), 7, flows.Copy{From: deskGroup, Message: 3}); !errors.Is(err, flows.ErrBlocked) {
		t.Errorf("a copy to a user who blocked the bot: %v, want ErrBlocked", err)
	}
}

// waitCopy waits for the bot's copy of message id of chat from in chat.
func waitCopy(t *testing.T, fake *telegramtest.Server, chat, from int64, id int) telegramtest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var found telegramtest.Message
	_, err := fake.WaitFor(ctx, chat, func(msgs []telegramtest.Message) bool {
		m, ok := telegramtest.CopyOf(msgs, from, id)
		found = m
		return ok
	})
	if err != nil {
		t.Fatalf("no copy of %d#%d in chat %d: %v\n%s", from, id, chat, err, fake.Transcript(chat))
	}
	return found
}
