package bot

import (
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// dispatcher runs updates one at a time per chat, in the order received,
// and different chats in parallel on at most workers goroutines at once.
type dispatcher struct {
	handle func(*models.Update)
	slots  chan struct{} // one per running update

	mu     sync.Mutex
	queues map[int64][]*models.Update // chat → updates waiting; present while a runner drains it
	idle   *sync.Cond                 // signalled when queues empties
}

func newDispatcher(workers int, handle func(*models.Update)) *dispatcher {
	d := &dispatcher{handle: handle, slots: make(chan struct{}, workers), queues: map[int64][]*models.Update{}}
	d.idle = sync.NewCond(&d.mu)
	return d
}

// enqueue queues an update behind the others of its chat.
func (d *dispatcher) enqueue(upd *models.Update) {
	chat := chatOf(upd)
	d.mu.Lock()
	q, running := d.queues[chat]
	d.queues[chat] = append(q, upd)
	d.mu.Unlock()
	if !running {
		go d.drain(chat)
	}
}

// drain runs the updates of one chat until its queue is empty.
func (d *dispatcher) drain(chat int64) {
	for {
		d.mu.Lock()
		q := d.queues[chat]
		if len(q) == 0 {
			delete(d.queues, chat)
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
		d.mu.Unlock()
	}
}

// wait waits up to timeout for every queued update to be handled, and
// reports whether they were.
func (d *dispatcher) wait(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		d.mu.Lock()
		for len(d.queues) > 0 {
			d.idle.Wait()
		}
		d.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
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
	}
	return 0
}
