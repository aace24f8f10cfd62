package bot_test

import (
	"context"
	"errors"
	"testing"

	"github.com/esimbot/esimbot/flows"
)

// TestRefusedSends: a send Telegram answered with a 4xx error wraps
// flows.ErrRefused (the chat did not get it); a 5xx, which Telegram may
// have delivered all the same, does not; neither is ErrBlocked.
func TestRefusedSends(t *testing.T) {
	h := start(t, nil)
	h.fake.SetUser(43, "R", "", "", "en")
	h.fake.SendText(43, 43, "first")
	h.botSaid(43, `"first"`) // the bot runs
	for _, tc := range []struct {
		code    int
		refused bool
	}{{400, true}, {500, false}} {
		h.fake.FailNext("sendMessage", 1, tc.code, 0)
		err := h.bot.Messenger().Send(context.Background(), 43, flows.Message{Text: "hello"})
		if err == nil || errors.Is(err, flows.ErrRefused) != tc.refused || errors.Is(err, flows.ErrBlocked) {
			t.Errorf("send answered %d: %v; refused %v, want %v, and not blocked", tc.code, err, errors.Is(err, flows.ErrRefused), tc.refused)
		}
	}
}
