package bot_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
)

// TestForeignSenderRefused: a message or a button press in a private chat
// whose sender is someone else than the chat's user is dropped, unanswered
// and logged, by polling and by webhook alike; the chat's own user is
// served as usual.
func TestForeignSenderRefused(t *testing.T) {
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			var h *harness
			var srv *httptest.Server
			if mode == "webhook" {
				srv = httptest.NewServer(nil)
				defer srv.Close()
				h = start(t, func(c *bot.Config) { c.WebhookURL = srv.URL + "/hook"; c.WebhookSecret = "s3cret_webhook-TOKEN" })
				srv.Config.Handler = h.bot.WebhookHandler()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := h.fake.WaitUntil(ctx, func() bool { _, _, set := h.fake.Webhook(); return set }); err != nil {
					t.Fatal("webhook not registered")
				}
			} else {
				h = start(t, nil)
			}
			deliver := func() {
				if mode != "webhook" {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if _, err := h.fake.DeliverWebhook(ctx); err != nil {
					t.Fatal(err)
				}
			}
			h.fake.SetUser(91, "Victim", "", "", "en")
			h.fake.SetUser(92, "Mallory", "", "", "en")
			h.fake.SendText(91, 91, "mine")
			deliver()
			m := h.botSaid(91, `"mine"`)

			h.fake.SendText(91, 92, "forged text")
			h.fake.SendText(91, 92, "/start forged")
			_, cb := h.fake.PressButton(91, 92, m.ID, "g.forged")
			h.fake.SendContact(91, 92, "+33612345678")
			h.fake.SendText(91, 91, "mine again")
			deliver()
			h.botSaid(91, `"mine again"`) // the chat's updates run in order: the forged ones are done

			for _, ev := range h.eng.seen() {
				if ev.User != flows.UserID(ev.Chat) || strings.Contains(ev.Text+ev.Args+ev.Data, "forged") || ev.Phone != "" {
					t.Errorf("the engine got a forged event: %+v", ev)
				}
			}
			if h.fake.Answered(cb) {
				t.Error("the forged button press was answered")
			}
			for _, msg := range h.fake.Messages(91) {
				if msg.FromBot && strings.Contains(msg.Text, "forged") {
					t.Errorf("the bot answered a forged update: %q", msg.Text)
				}
			}
			if n := strings.Count(h.logs.String(), "update refused: its sender is not the private chat's user"); n != 4 {
				t.Errorf("%d refusals logged, want 4:\n%s", n, h.logs.String())
			}
		})
	}
}

// TestCommandParsing: commands are a slash and a name of 1 to 32 letters,
// digits or underscores; the arguments follow any white space; other text
// starting with a slash is text.
func TestCommandParsing(t *testing.T) {
	h := start(t, nil)
	h.fake.SetUser(93, "Cy", "", "", "en")
	for _, text := range []string{"/START\nFRA", "/", "/é", "/usr/bin", "/start@", "/help@" + telegramtest.BotUsername, "/usage  8944  ", "done"} {
		h.fake.SendText(93, 93, text)
	}
	h.botSaid(93, `"done"`)
	type got struct {
		kind                   flows.EventKind
		command, args, textArg string
	}
	var evs []got
	for _, ev := range h.eng.seen() {
		evs = append(evs, got{ev.Kind, ev.Command, ev.Args, ev.Text})
	}
	want := []got{
		{flows.EventCommand, "start", "FRA", ""},
		{flows.EventText, "", "", "/"},
		{flows.EventText, "", "", "/é"},
		{flows.EventText, "", "", "/usr/bin"},
		{flows.EventText, "", "", "/start@"},
		{flows.EventCommand, "help", "", ""},
		{flows.EventCommand, "usage", "8944", ""},
		{flows.EventText, "", "", "done"},
	}
	if len(evs) != len(want) {
		t.Fatalf("events %+v, want %+v", evs, want)
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, evs[i], want[i])
		}
	}
}
