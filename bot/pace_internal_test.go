package bot

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/esimbot/esimbot/bot/telegramtest"
	"github.com/esimbot/esimbot/flows"
	"github.com/esimbot/esimbot/locales"
)

const internalToken = "123456:INTERNAL-test-TOKEN"

// tokens returns the tokens left in the chat's limiter (its burst when the
// chat has none yet) and in the global one.
func (s *sender) tokens(chat int64) (chatTokens, global float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	chatTokens = float64(s.cfg.ChatBurst)
	if l := s.chats[chat]; l != nil {
		chatTokens = l.Tokens()
	}
	return chatTokens, s.global.Tokens()
}

// An edit answering a tap, the tap's answer and a chat action take no token
// of the chat's limiter, only of the global one; new messages still take the
// chat's.
func TestTapsSkipTheChatLimiter(t *testing.T) {
	const chat = 7
	fake := telegramtest.NewServer(t, internalToken)
	fake.SetUser(chat, "T", "", "", "en")
	// The limiters refill once an hour: what is taken stays taken.
	b, err := New(Config{Token: internalToken, ServerURL: fake.URL(), PollTimeout: time.Second,
		ChatRate: 1.0 / 3600, ChatBurst: 3, GlobalRate: 1.0 / 3600, GlobalBurst: 100}, nil, nil, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	s := b.out
	// A limiter asked to wait past the deadline refuses at once.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	buttons := [][]flows.Button{{{Text: "Next", Data: "1.next"}}}
	if err := s.Send(ctx, chat, flows.Message{Text: "screen 0", Buttons: buttons}); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages(chat)
	screen := msgs[len(msgs)-1].ID
	tap := editTarget{chat: chat, message: screen} // the Origin of the taps
	const taps = 10
	for i := 1; i <= taps; i++ {
		if err := s.Send(ctx, chat, flows.Message{Text: fmt.Sprintf("screen %d", i), Buttons: buttons, Replace: tap}); err != nil {
			t.Fatalf("tap %d: %v", i, err)
		}
	}
	s.act(ctx, chat, "typing")
	_, query := fake.PressButton(chat, chat, screen, "1.next")
	if err := s.answer(ctx, chat, query, "done"); err != nil {
		t.Fatal(err)
	}
	if !fake.Answered(query) {
		t.Error("the tap was not answered")
	}
	if got := fake.Calls("editMessageText"); got != taps {
		t.Errorf("editMessageText called %d times, want %d", got, taps)
	}
	if got := fake.Calls("sendMessage"); got != 1 {
		t.Errorf("sendMessage called %d times, want 1 (an edit fell back to a new message)", got)
	}
	chatLeft, globalLeft := s.tokens(chat)
	if want := 2.0; math.Abs(chatLeft-want) > 0.01 {
		t.Errorf("chat limiter has %.2f tokens, want %.0f: taps took tokens of the chat", chatLeft, want)
	}
	if want := 100.0 - 1 - taps - 2; math.Abs(globalLeft-want) > 0.01 {
		t.Errorf("global limiter has %.2f tokens, want %.0f: every call takes one", globalLeft, want)
	}
	// New messages are still paced: the two left go, the next must wait.
	for i := range 2 {
		if err := s.Send(ctx, chat, flows.Message{Text: fmt.Sprintf("news %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Send(ctx, chat, flows.Message{Text: "one too many"}); err == nil {
		t.Error("a fourth new message went without waiting for the chat's limiter")
	}
	if got := fake.Calls("sendMessage"); got != 3 {
		t.Errorf("sendMessage called %d times, want 3", got)
	}
}
