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

// pending reports whether a chat action of chat waits for its delay.
func (s *sender) pending(chat int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.actions[chat]
	return ok
}

// newTestSender returns the sender of a bot on fake, configured by tune.
func newTestSender(t *testing.T, fake *telegramtest.Server, tune func(*Config)) *sender {
	t.Helper()
	cfg := Config{Token: internalToken, ServerURL: fake.URL(), PollTimeout: time.Second}
	if tune != nil {
		tune(&cfg)
	}
	b, err := New(cfg, nil, nil, locales.MustNew())
	if err != nil {
		t.Fatal(err)
	}
	return b.out
}

// Replies to a user's own action (the tap's answer, the edit of the screen
// tapped, messages sent while the chat's update is handled) take no token
// of either budget; the bot's own messages take one of each.
func TestRepliesSkipTheBudget(t *testing.T) {
	const chat = 7
	fake := telegramtest.NewServer(t, internalToken)
	fake.SetUser(chat, "T", "", "", "en")
	// The limiters refill once an hour: what is taken stays taken.
	s := newTestSender(t, fake, func(c *Config) {
		c.ChatRate, c.ChatBurst, c.GlobalRate, c.GlobalBurst = 1.0/3600, 3, 1.0/3600, 100
	})
	// A limiter asked to wait past the deadline refuses at once.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reply := withReply(ctx, chat)
	buttons := [][]flows.Button{{{Text: "Next", Data: "1.next"}}}
	const replies = 10
	for i := range replies {
		if err := s.Send(reply, chat, flows.Message{Text: fmt.Sprintf("reply %d", i), Buttons: buttons}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := fake.Messages(chat)
	screen := msgs[len(msgs)-1].ID
	tap := editTarget{chat: chat, message: screen} // the Origin of the taps
	for i := 1; i <= replies; i++ {
		if err := s.Send(reply, chat, flows.Message{Text: fmt.Sprintf("screen %d", i), Buttons: buttons, Replace: tap}); err != nil {
			t.Fatalf("tap %d: %v", i, err)
		}
	}
	_, query := fake.PressButton(chat, chat, screen, "1.next")
	if err := s.answer(ctx, chat, query, "done"); err != nil { // an answer is a reply in any context
		t.Fatal(err)
	}
	if !fake.Answered(query) {
		t.Error("the tap was not answered")
	}
	if got := fake.Calls("editMessageText"); got != replies {
		t.Errorf("editMessageText called %d times, want %d", got, replies)
	}
	chatLeft, globalLeft := s.tokens(chat)
	if chatLeft != 3 || globalLeft != 100 {
		t.Errorf("after replies: %.2f tokens in the chat's budget, %.2f in the global one; want 3 and 100 untouched", chatLeft, globalLeft)
	}
	// The bot's own messages, and replies sent to another chat, are paced:
	// three go, the fourth must wait.
	for i := range 3 {
		ctx := ctx
		if i == 2 {
			ctx = withReply(ctx, chat+1)
		}
		if err := s.Send(ctx, chat, flows.Message{Text: fmt.Sprintf("news %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Send(ctx, chat, flows.Message{Text: "one too many"}); err == nil {
		t.Error("a fourth message of the bot's own went without waiting for the chat's budget")
	}
	if _, globalLeft := s.tokens(chat); math.Abs(globalLeft-97) > 0.01 {
		t.Errorf("global budget has %.2f tokens, want 97", globalLeft)
	}
}

// A negative rate turns a budget off.
func TestBudgetOff(t *testing.T) {
	const chat = 8
	fake := telegramtest.NewServer(t, internalToken)
	fake.SetUser(chat, "T", "", "", "en")
	s := newTestSender(t, fake, func(c *Config) { c.ChatRate, c.GlobalRate = -1, -1 })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 20 {
		if err := s.Send(ctx, chat, flows.Message{Text: fmt.Sprintf("news %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if s.global != nil {
		t.Error("a global limiter with the budget off")
	}
}

// A 429 holds back its chat and every other call for its retry_after,
// replies included; the call goes once it is over.
func TestTooManyRequestsHoldsAll(t *testing.T) {
	const chat, other = 9, 10
	fake := telegramtest.NewServer(t, internalToken)
	fake.SetUser(chat, "T", "", "", "en")
	s := newTestSender(t, fake, nil)
	ctx := context.Background()
	fake.FailNext("sendMessage", 1, 429, 1)
	t0 := time.Now()
	if err := s.Send(withReply(ctx, chat), chat, flows.Message{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if got := fake.Calls("sendMessage"); got != 2 {
		t.Errorf("sendMessage called %d times, want 2 (the 429, then the message)", got)
	}
	for _, c := range []int64{chat, other} {
		if until := s.holdUntil(c); until.Before(t0.Add(time.Second)) {
			t.Errorf("chat %d held until %v, want a second after the 429", c, until.Sub(t0))
		}
	}
}

// A chat action goes out only when the reply takes longer than
// ActionDelay.
func TestChatActionOnlyWhenSlow(t *testing.T) {
	const chat = 11
	fake := telegramtest.NewServer(t, internalToken)
	fake.SetUser(chat, "T", "", "", "en")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t.Run("QuickReply", func(t *testing.T) {
		s := newTestSender(t, fake, func(c *Config) { c.ActionDelay = time.Hour })
		s.act(ctx, chat, "typing")
		if !s.pending(chat) {
			t.Fatal("no action pending")
		}
		if err := s.Send(withReply(ctx, chat), chat, flows.Message{Text: "quick"}); err != nil {
			t.Fatal(err)
		}
		if s.pending(chat) {
			t.Error("the action is still pending after the reply went out")
		}
		s.act(ctx, chat, "typing")
		s.settle(chat) // the update was handled without a reply
		if s.pending(chat) {
			t.Error("the action is still pending after its update")
		}
	})
	t.Run("SlowReply", func(t *testing.T) {
		s := newTestSender(t, fake, func(c *Config) { c.ActionDelay = time.Millisecond })
		s.act(ctx, chat, "upload_photo")
		if err := fake.WaitUntil(ctx, func() bool { return len(fake.ChatActions(chat)) == 1 }); err != nil {
			t.Fatalf("no chat action for a slow reply: %v", err)
		}
		if got := fake.ChatActions(chat); got[0] != "upload_photo" {
			t.Errorf("chat actions %q", got)
		}
	})
}
