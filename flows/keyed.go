package flows

import (
	"context"
	"sync"
)

// keyedMutex is a mutex per key, created on demand and dropped when unused.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedEntry
}

type keyedEntry struct {
	ch   chan struct{} // holds a token while locked
	refs int
}

// acquire returns the key's entry with a reference taken.
func (k *keyedMutex) acquire(key string) *keyedEntry {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.locks == nil {
		k.locks = map[string]*keyedEntry{}
	}
	e := k.locks[key]
	if e == nil {
		e = &keyedEntry{ch: make(chan struct{}, 1)}
		k.locks[key] = e
	}
	e.refs++
	return e
}

// release drops a reference and forgets the entry when unused.
func (k *keyedMutex) release(key string, e *keyedEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(k.locks, key)
	}
}

// lock takes the key's lock, waiting within ctx, and returns its unlock.
func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	e := k.acquire(key)
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; k.release(key, e) }, nil
	case <-ctx.Done():
		k.release(key, e)
		return nil, ctx.Err()
	}
}

// tryLock takes the key's lock if it is free.
func (k *keyedMutex) tryLock(key string) (func(), bool) {
	e := k.acquire(key)
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; k.release(key, e) }, true
	default:
		k.release(key, e)
		return nil, false
	}
}
