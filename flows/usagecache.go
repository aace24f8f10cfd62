package flows

import (
	"context"
	"sync"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

// usageCache is the one cache of GET /Profile/Consumption answers, by
// ICCID, that a user's /usage and the usage watcher (usagewatch.go) share:
// whoever asks second within the other's freshness gets the first one's
// answer, so the two never both call for one eSIM within the interval.
// Concurrent misses of one ICCID share one call.
type usageCache struct {
	mu       sync.Mutex
	now      func() time.Time
	entries  map[string]usageEntry
	inflight map[string]*cacheCall
}

// usageEntry is one answer, when it was read, and whether the watcher
// read it.
type usageEntry struct {
	c       reseller.Consumption
	at      time.Time
	watcher bool
}

// freshness says whether an answer of that age, read by the watcher or
// not, may be served.
type freshness func(age time.Duration, byWatcher bool) bool

func newUsageCache(now func() time.Time) *usageCache {
	return &usageCache{now: now, entries: map[string]usageEntry{}, inflight: map[string]*cacheCall{}}
}

// get returns the answer for iccid if fresh takes it, or calls load (once,
// however many callers miss at once); watcher says who asks. called
// reports whether this caller's load ran.
func (u *usageCache) get(ctx context.Context, iccid string, fresh freshness, watcher bool,
	load func(context.Context) (reseller.Consumption, error)) (c reseller.Consumption, at time.Time, err error) {
	u.mu.Lock()
	if e, ok := u.entries[iccid]; ok && fresh(u.now().Sub(e.at), e.watcher) {
		u.mu.Unlock()
		return e.c, e.at, nil
	}
	if call, busy := u.inflight[iccid]; busy {
		u.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			return c, at, ctx.Err()
		}
		if call.err != nil {
			return c, at, call.err
		}
		return call.v.(reseller.Consumption), u.now(), nil
	}
	call := &cacheCall{done: make(chan struct{})}
	u.inflight[iccid] = call
	u.mu.Unlock()
	c, err = load(ctx)
	u.mu.Lock()
	call.v, call.err = c, err
	delete(u.inflight, iccid)
	at = u.now()
	if err == nil {
		if len(u.entries) > 100_000 { // bounded: drop everything rather than grow
			clear(u.entries)
		}
		u.entries[iccid] = usageEntry{c: c, at: at, watcher: watcher}
	}
	u.mu.Unlock()
	close(call.done)
	return c, at, err
}

// has reports whether iccid has an answer that fresh takes.
func (u *usageCache) has(iccid string, fresh freshness) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	e, ok := u.entries[iccid]
	return ok && fresh(u.now().Sub(e.at), e.watcher)
}

// drop forgets iccid's answer (a Refresh, a new bundle on the profile).
func (u *usageCache) drop(iccid string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.entries, iccid)
}
