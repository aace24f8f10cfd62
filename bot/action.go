package bot

import (
	"context"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// pendingAction is a chat action that goes out when its timer fires,
// unless a reply goes out first.
type pendingAction struct {
	timer *time.Timer
	seq   uint64
}

// act shows a chat action if the reply takes long: it goes out after
// ActionDelay unless a message, an edit or a photo went to the chat first
// (settle), best effort (not retried, failures ignored). A newer action of
// the chat replaces a pending one.
func (s *sender) act(ctx context.Context, chat int64, action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.actions[chat]; ok {
		a.timer.Stop()
	}
	s.seq++
	seq := s.seq
	t := time.AfterFunc(s.cfg.ActionDelay, func() {
		s.mu.Lock()
		a, ok := s.actions[chat]
		if !ok || a.seq != seq {
			s.mu.Unlock()
			return // a reply went out, or a newer action replaced it
		}
		delete(s.actions, chat)
		s.mu.Unlock()
		if s.wait(ctx, chat, paceOf(ctx, chat)) != nil {
			return
		}
		actx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
		defer cancel()
		_, _ = s.tg.SendChatAction(actx, &tg.SendChatActionParams{ChatID: chat, Action: models.ChatAction(action)})
	})
	s.actions[chat] = pendingAction{timer: t, seq: seq}
}

// settle drops the chat's pending action: a reply is going out, or the
// update that asked for it is handled.
func (s *sender) settle(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.actions[chat]; ok {
		a.timer.Stop()
		delete(s.actions, chat)
	}
}
