package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	tg "github.com/go-telegram/bot"
	"golang.org/x/time/rate"

	"github.com/esimbot/esimbot/flows"
)

// pace says whether a Bot API call waits for the budget.
type pace int

const (
	// paceOwn is a call the bot starts itself (a delivery by the
	// reconciler, an alert, a broadcast): it waits for the chat's budget,
	// then the global one.
	paceOwn pace = iota
	// paceReply answers a user's own action (the tap's answer, the edit of
	// the screen tapped, a message sent while the chat's update is
	// handled): it goes out at once. Users act at their own pace.
	paceReply
)

// replyKey carries, in the context of an update's handling, the chat of
// the update: calls to that chat reply to the user.
type replyKey struct{}

// withReply marks ctx as the handling of an update of chat.
func withReply(ctx context.Context, chat int64) context.Context {
	return context.WithValue(ctx, replyKey{}, chat)
}

// paceOf returns the pace of a call to chat made with ctx.
func paceOf(ctx context.Context, chat int64) pace {
	if c, ok := ctx.Value(replyKey{}).(int64); ok && c == chat {
		return paceReply
	}
	return paceOwn
}

// chatLimiter returns the limiter of the bot's own messages in a chat.
func (s *sender) chatLimiter(chat int64) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.chats[chat]
	if l == nil {
		if len(s.chats) > 10000 { // forget idle chats rather than grow
			for k, v := range s.chats {
				if v.Tokens() >= float64(s.cfg.ChatBurst) {
					delete(s.chats, k)
				}
			}
		}
		l = rate.NewLimiter(rate.Limit(s.cfg.ChatRate), s.cfg.ChatBurst)
		s.chats[chat] = l
	}
	return l
}

// holdUntil returns when a call to chat may go, after the 429s received.
func (s *sender) holdUntil(chat int64) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	until := s.hold
	if h, ok := s.holds[chat]; ok {
		if time.Now().After(h) {
			delete(s.holds, chat)
		} else if h.After(until) {
			until = h
		}
	}
	return until
}

// holdFor holds back the calls to chat, and every other call, for d: what
// a 429 asks (Telegram does not say whether the chat's limit or the bot's
// was hit).
func (s *sender) holdFor(chat int64, d time.Duration) {
	until := time.Now().Add(d)
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.holds[chat]) {
		s.holds[chat] = until
	}
	if until.After(s.hold) {
		s.hold = until
	}
}

// wait takes a send slot for a call to chat: after any 429 hold, and, for
// the bot's own calls, from the chat's budget and the global one.
func (s *sender) wait(ctx context.Context, chat int64, p pace) error {
	if d := time.Until(s.holdUntil(chat)); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if p == paceReply {
		return nil
	}
	if s.cfg.ChatRate > 0 {
		if err := s.chatLimiter(chat).Wait(ctx); err != nil {
			return err
		}
	}
	if s.global != nil {
		return s.global.Wait(ctx)
	}
	return nil
}

// call runs one Bot API call to chat at the pace of ctx, each try bounded
// by SendTimeout, retrying after 429 (which holds back the chat and every
// call for its retry_after) up to MaxRetries times; a 403 marks the user
// blocked.
func (s *sender) call(ctx context.Context, method string, chat int64, do func(context.Context) error) error {
	p := paceOf(ctx, chat)
	for try := 0; ; try++ {
		if err := s.wait(ctx, chat, p); err != nil {
			return err
		}
		tctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
		err := do(tctx)
		cancel()
		if err == nil {
			return nil
		}
		var tooMany *tg.TooManyRequestsError
		if errors.As(err, &tooMany) && try < s.cfg.MaxRetries {
			wait := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
			s.log.Warn("telegram asks to slow down", "method", method, "chat", chat, "retry_after", wait)
			s.holdFor(chat, wait)
			continue
		}
		if errors.Is(err, tg.ErrorForbidden) && chat > 0 {
			s.markBlocked(ctx, chat)
		}
		if s.cfg.Metrics != nil {
			s.cfg.Metrics.SendFailed(method)
		}
		msg := redact(err, s.cfg.Token)
		s.log.Warn("telegram call failed", "method", method, "chat", chat, "err", msg)
		return &sendError{text: fmt.Sprintf("%s to chat %d: %s", method, chat, msg), cause: err}
	}
}

// sendError is a failed Bot API call: its text has no token; errors.Is
// and errors.As reach the library's error.
type sendError struct {
	text  string
	cause error
}

func (e *sendError) Error() string { return e.text }
func (e *sendError) Unwrap() error { return e.cause }

// markBlocked records that a user blocked the bot (private chat ID = user ID).
func (s *sender) markBlocked(ctx context.Context, chat int64) {
	if s.users == nil {
		return
	}
	u, err := s.users.User(ctx, flows.UserID(chat))
	if err != nil {
		return
	}
	u.Blocked = true
	if err := s.users.SaveUser(ctx, u); err != nil {
		s.log.Warn("mark user blocked", "user", chat, "err", err)
	}
}
