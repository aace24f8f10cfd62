package bot_test

import (
	"fmt"
	"testing"

	"github.com/esimbot/esimbot/bot"
	"github.com/esimbot/esimbot/bot/telegramtest"
)

// BenchmarkBrowseTaps measures a tap answered by an edit of the screen, with
// the default rate limits: a user browsing taps again as soon as the screen
// changes, in one chat, through the real library and the fake Bot API.
func BenchmarkBrowseTaps(b *testing.B) {
	h := start(b, func(c *bot.Config) {
		c.GlobalRate, c.ChatRate, c.GlobalBurst, c.ChatBurst = 0, 0, 0, 0 // the defaults
	})
	const chat = 301
	h.fake.SetUser(chat, "B", "", "", "en")
	h.fake.SendText(chat, chat, "browse")
	screen := h.botSaid(chat, `"browse"`)
	for i := 0; b.Loop(); i++ {
		h.fake.PressButton(chat, chat, screen.ID, fmt.Sprintf("g.tap%d", i))
		h.wait(chat, func(msgs []telegramtest.Message) bool {
			m, ok := h.fake.Message(chat, screen.ID)
			return ok && m.Edited == i+1
		})
	}
}
