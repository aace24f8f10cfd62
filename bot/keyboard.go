package bot

import (
	"context"
	"sync"

	"github.com/esimbot/esimbot/flows"
)

// keyboards remembers the share-number keyboards the bot opened (a flows
// contact request shows one), per chat, to take each away with the first
// message of a conversation that no longer awaits a contact (Message.Awaits
// is flows.InputText). It lives in memory: a keyboard open when the bot
// restarts stays until the next contact request closes.
type keyboards struct {
	mu   sync.Mutex
	open map[int64]string // chat → the request's Withdraw text
}

// opened records the keyboard of a contact request sent to chat.
func (k *keyboards) opened(chat int64, r *flows.ContactRequest) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.open == nil {
		k.open = map[int64]string{}
	}
	k.open[chat] = r.Withdraw
}

// closes reports whether m takes chat's open keyboard away, and the text
// of the message that takes it away when m cannot carry the removal.
func (k *keyboards) closes(chat int64, m flows.Message) (withdraw string, ok bool) {
	if m.Awaits != flows.InputText || m.Contact != nil || m.Photo != nil {
		return "", false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	withdraw, ok = k.open[chat]
	return withdraw, ok
}

// closed forgets chat's keyboard.
func (k *keyboards) closed(chat int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.open, chat)
}

// sendClosing sends m and takes chat's share-number keyboard away: with m
// itself when it is plain text (a message carries one keyboard, and an
// edit none), else with a short message of its own (withdraw) before m,
// which then comes as a new message.
func (s *sender) sendClosing(ctx context.Context, chat int64, m flows.Message, withdraw string) error {
	remove := removeKeyboard{Remove: true}
	if len(m.Buttons) == 0 && m.Replace == nil {
		if err := s.sendText(ctx, chat, m.Text, remove); err != nil {
			return err
		}
		s.kb.closed(chat)
		return nil
	}
	if err := s.sendText(ctx, chat, withdraw, remove); err != nil {
		return err
	}
	s.kb.closed(chat)
	m.Replace = nil
	return s.Send(ctx, flows.ChatID(chat), m)
}
