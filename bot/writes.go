package bot

import (
	"context"
	"sync"
)

// writes follows the polled updates queued before their inbox write is on
// disk (see acceptAll): a tap is handled while its answer's write runs,
// and its handler marks it done only once that write is through, so the
// inbox never keeps an update it was told is done.
type writes struct {
	mu      sync.Mutex
	waiting map[int64]chan struct{} // update ID → closed once stored
}

// queue records that the update is queued before it is stored, and
// reports false if it already was (an answer asked for again after its
// write failed: the update is handled once).
func (w *writes) queue(id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.waiting[id]; ok {
		return false
	}
	if w.waiting == nil {
		w.waiting = map[int64]chan struct{}{}
	}
	w.waiting[id] = make(chan struct{})
	return true
}

// stored tells the update's handler that its write is on disk.
func (w *writes) stored(id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch, ok := w.waiting[id]; ok {
		close(ch)
		delete(w.waiting, id)
	}
}

// wait waits until the update is stored, and reports false if ctx ended
// first. An update not queued that way (stored before it was queued) is
// stored already.
func (w *writes) wait(ctx context.Context, id int64) bool {
	w.mu.Lock()
	ch, ok := w.waiting[id]
	w.mu.Unlock()
	if !ok {
		return true
	}
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}
