package storage

import (
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// groupCommit runs the writes of concurrent callers in shared write
// transactions: while one commit (and its fsync) runs, the writes that
// arrive wait, and the next transaction takes all of them. bbolt's Batch
// does not: it closes a batch after MaxBatchDelay, so at load many small
// batches queue for the write lock one after another, each paying its own
// fsync. A write that arrives alone commits at once.
type groupCommit struct {
	db    *bolt.DB
	delay time.Duration // how long a write that finds no commit running waits for others
	size  int           // the most writes in one transaction
	count func(tx *bolt.Tx)

	mu      sync.Mutex
	pending []*groupCall
	running bool
}

// groupCall is one caller's write.
type groupCall struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// run runs fn in a shared write transaction and returns its error, or the
// commit's. fn may run more than once: when another write of its
// transaction fails, the others run again without it.
func (g *groupCommit) run(fn func(*bolt.Tx) error) error {
	c := &groupCall{fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, c)
	if !g.running {
		g.running = true
		go g.loop()
	}
	g.mu.Unlock()
	return <-c.done
}

// loop commits the pending writes, a transaction at a time, until none
// is left.
func (g *groupCommit) loop() {
	if g.delay > 0 {
		time.Sleep(g.delay)
	}
	for {
		g.mu.Lock()
		n := min(len(g.pending), g.size)
		if n == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		calls := g.pending[:n:n]
		g.pending = append([]*groupCall(nil), g.pending[n:]...)
		g.mu.Unlock()
		g.commit(calls)
	}
}

// commit runs calls in one transaction. If one fails, the transaction is
// rolled back, that one runs alone to get its own error, and the others
// are committed without it.
func (g *groupCommit) commit(calls []*groupCall) {
	for len(calls) > 0 {
		failed := -1
		err := g.db.Update(func(tx *bolt.Tx) error {
			g.count(tx)
			for i, c := range calls {
				if err := safely(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range calls {
				c.done <- err // nil, or the commit's error
			}
			return
		}
		c := calls[failed]
		c.done <- g.db.Update(func(tx *bolt.Tx) error {
			g.count(tx)
			return safely(c.fn, tx)
		})
		calls = append(calls[:failed:failed], calls[failed+1:]...)
	}
}

// safely calls fn, turning a panic into an error.
func safely(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a write: %v", p)
		}
	}()
	return fn(tx)
}
