package bot

import (
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// dispatcher runs updates one at a time per chat, in the order received,
// and different chats in parallel on at most workers goroutines at once.
// An update already queued or running is not queued again.
type dispatcher struct {
	handle func(*models.Update)
	slots  chan struct{} // one per running update

	mu      sync.Mutex
	queues  map[int64][]*models.Update // chat → updates waiting or running; present while a runner drains it
	ids     map[int64]bool             // update IDs queued or running
	stopped bool                       // no update starts any more
	waiting bool                       // a wait is under way
	idle    *sync.Cond                 // signalled when queues empties or a wait gives up
}

func newDispatcher(workers int, handle func(*models.Update)) *dispatcher {
	d := &dispatcher{handle: handle, slots: make(chan struct{}, workers),
		queues: map[int64][]*models.Update{}, ids: map[int64]bool{}}
	d.idle = sync.NewCond(&d.mu)
	return d
}

// enqueue queues an update behind the others of its chat.
func (d *dispatcher) enqueue(upd *models.Update) {
	chat := chatOf(upd)
	d.mu.Lock()
	if d.ids[upd.ID] || d.stopped {
		d.mu.Unlock()
		return
	}
	d.ids[upd.ID] = true
	q, running := d.queues[chat]
	d.queues[chat] = append(q, upd)
	d.mu.Unlock()
	if !running {
		go d.drain(chat)
	}
}

// drain runs the updates of one chat until its queue is empty, or the
// dispatcher stops (what is left stays in the inbox for the next start).
func (d *dispatcher) drain(chat int64) {
	for {
		d.mu.Lock()
		q := d.queues[chat]
		if len(q) == 0 || d.stopped {
			delete(d.queues, chat)
			for _, u := range q {
				delete(d.ids, u.ID)
			}
			if len(d.queues) == 0 {
				d.idle.Broadcast()
			}
			d.mu.Unlock()
			return
		}
		upd := q[0]
		d.mu.Unlock()

		d.slots <- struct{}{}
		d.handle(upd)
		<-d.slots

		d.mu.Lock()
		d.queues[chat] = d.queues[chat][1:]
		delete(d.ids, upd.ID)
		d.mu.Unlock()
	}
}

// wait waits up to timeout for every queued update to be handled, and
// reports whether they were. Either way, no update starts after it.
func (d *dispatcher) wait(timeout time.Duration) bool {
	done := make(chan struct{})
	d.mu.Lock()
	d.waiting = true
	d.mu.Unlock()
	go func() {
		d.mu.Lock()
		for len(d.queues) > 0 && d.waiting {
			d.idle.Wait()
		}
		d.mu.Unlock()
		close(done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	ok := true
	select {
	case <-done:
	case <-t.C:
		ok = false
	}
	d.mu.Lock()
	d.waiting, d.stopped = false, true
	d.idle.Broadcast() // release the waiting goroutine if it still waits
	d.mu.Unlock()
	<-done
	return ok
}

// chatOf returns the chat an update belongs to (0 for updates without one).
func chatOf(upd *models.Update) int64 {
	switch {
	case upd.Message != nil:
		return upd.Message.Chat.ID
	case upd.EditedMessage != nil:
		return upd.EditedMessage.Chat.ID
	case upd.CallbackQuery != nil:
		if m := upd.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		return upd.CallbackQuery.From.ID
	case upd.MyChatMember != nil:
		return upd.MyChatMember.Chat.ID
	case upd.PreCheckoutQuery != nil && upd.PreCheckoutQuery.From != nil:
		return upd.PreCheckoutQuery.From.ID // the payer's private chat
	}
	return 0
}
