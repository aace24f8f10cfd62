package flows

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/esimbot/esimbot/reseller"
)

// The usage watcher tells customers how their plans are going, without
// being asked: data 80 % used, data under Config.DataFloorMB, the plan
// expiring within 24 h, the plan expired, and "your plan has started" when
// a bundle first goes active. Each alert is sent once per bundle and
// threshold, to the owner of the eSIM (the customer who bought it; agents'
// customers get none: they are not the agent), in their language, unless
// they muted the eSIM or chose fewer alerts (/alerts, alertsettings.go).
//
// Which alerts were sent is stored (UsageAlertStore) before each is sent:
// a crash between the record and Telegram's answer loses that alert
// rather than sending it twice after the restart, and a send that fails
// forgets the record so the next poll tries again. A duplicate would be
// seen on every restart; a lost alert is followed by the next threshold.
//
// The API is protected: an eSIM is read at most once per
// Config.UsageInterval (sooner only when a threshold is near: the time it
// passes, or a third of the interval when data is close to one), with
// jitter; all eSIMs together at most Config.UsageRate calls a second; and
// after a failure the watcher backs off, doubling, up to the interval. The
// answers go into the cache /usage reads (usagecache.go).

// AlertLevel is which usage alerts a customer wants.
type AlertLevel string

// The alert levels.
const (
	// AlertsAll: every alert (the default).
	AlertsAll AlertLevel = ""
	// AlertsImportant: data under the floor, expiring, expired.
	AlertsImportant AlertLevel = "important"
	// AlertsNone: no alerts.
	AlertsNone AlertLevel = "none"
)

// alertKind is one threshold of a bundle.
type alertKind string

// The thresholds, each told once per bundle.
const (
	alertStarted  alertKind = "started"
	alertUsed80   alertKind = "used80"
	alertFloor    alertKind = "floor"
	alertExpiring alertKind = "expiring"
	alertExpired  alertKind = "expired"
	alertPending  alertKind = "pending" // seen not started: recorded, never told
)

// important reports whether an alert is one of AlertsImportant.
func (k alertKind) important() bool {
	return k == alertFloor || k == alertExpiring || k == alertExpired
}

// wants reports whether a user at level wants alerts of kind k.
func (l AlertLevel) wants(k alertKind) bool {
	return l == AlertsAll || l == AlertsImportant && k.important()
}

// usageWatch is the watcher's schedule. It lives in memory: after a
// restart every eSIM is read again, at the cap's pace.
type usageWatch struct {
	mu     sync.Mutex
	next   map[string]slot // profile key (iccid|sales) → when it is due
	calls  []time.Time     // the most recent calls, for the cap
	fails  int             // failures in a row
	pause  time.Time       // no calls before, after a failure
	list   []watched
	listed time.Time
}

// slot is when a profile is due, and the period that led there: an answer
// younger than it, whoever read it, is not read again.
type slot struct {
	at     time.Time
	period time.Duration
}

// watched is an eSIM the watcher reads: its first sale and how many sales
// it has (a new one starts its watch again).
type watched struct {
	first Sale
	sales []Sale
}

// key identifies the eSIM with its number of sales.
func (w watched) key() string { return w.first.ICCID + "|" + strconv.Itoa(len(w.sales)) }

// relist is how often the watcher reads the list of eSIMs from the store
// (every delivered sale: a new eSIM has nothing to tell for a while).
const relist = 5 * time.Minute

// startTicks is how many ticks RunUsageWatch waits before its first round.
const startTicks = 30

// watchHorizon is how far back the watcher looks for eSIMs: one whose
// sales (the purchase and every top-up) are all older has no bundle left
// to tell of (bundles last at most a year here, most a month), and
// reading every sale ever made of a large file would hold them all in
// memory at once.
const watchHorizon = 400 * 24 * time.Hour

// errCapped: the cap of calls a second is reached; the rest waits.
var errCapped = errors.New("usage watch: call cap reached")

// PollUsage runs one round of the usage watcher: every eSIM that is due
// is read (within the cap: the others wait for a later round) and its
// owner told of the thresholds it passed. RunUsageWatch calls it every
// second; tests call it with a fake clock.
func (e *Engine) PollUsage(ctx context.Context) error {
	now := e.cfg.Now()
	if now.Before(e.watch.pausedUntil()) {
		return nil
	}
	list, err := e.watchedProfiles(ctx, now)
	if err != nil {
		return err
	}
	for _, w := range list {
		period, due := e.watch.due(w.key(), now, e.cfg.UsageInterval)
		if ctx.Err() != nil || !due {
			continue
		}
		next, err := e.pollProfile(ctx, w, now, period)
		if errors.Is(err, errCapped) {
			return nil
		}
		if err != nil {
			e.watch.failed(now, e.cfg.UsageInterval)
			return err
		}
		e.watch.schedule(w.key(), next)
	}
	return nil
}

// RunUsageWatch runs PollUsage every tick until ctx is done, the first
// time startTicks ticks after it starts: a bot started on a large file
// answers its users before it reads the list of eSIMs.
func (e *Engine) RunUsageWatch(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for range startTicks {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
	for {
		if err := e.PollUsage(ctx); err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "usage watch", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// watchedProfiles lists the eSIMs that customers bought for themselves,
// read from the store at most every relist.
func (e *Engine) watchedProfiles(ctx context.Context, now time.Time) ([]watched, error) {
	w := &e.watch
	w.mu.Lock()
	if w.list != nil && now.Sub(w.listed) < relist && !now.Before(w.listed) {
		defer w.mu.Unlock()
		return w.list, nil
	}
	w.mu.Unlock()
	sales, err := e.store.SalesBetween(ctx, now.Add(-watchHorizon), now.Add(time.Nanosecond))
	if err != nil {
		return nil, err
	}
	byICCID := map[string]*watched{}
	var order []string
	for _, s := range sales { // oldest first
		if s.ICCID == "" || s.State != SaleDelivered {
			continue
		}
		p, ok := byICCID[s.ICCID]
		if !ok {
			// Only what alerts name: the list can be long.
			p = &watched{first: Sale{Ref: s.Ref, ICCID: s.ICCID, User: s.User, Chat: s.Chat, Lang: s.Lang, SoldBy: s.SoldBy, Created: s.Created}}
			byICCID[s.ICCID] = p
			order = append(order, s.ICCID)
		}
		p.sales = append(p.sales, Sale{OrderID: s.OrderID, BundleCode: s.BundleCode, BundleName: s.BundleName})
	}
	list := []watched{}
	for _, iccid := range order {
		if p := byICCID[iccid]; p.first.SoldBy == RoleCustomer || p.first.SoldBy == "" {
			list = append(list, *p)
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].first.Created.Before(list[j].first.Created) })
	w.mu.Lock()
	w.list, w.listed = list, now
	w.mu.Unlock()
	return list, nil
}

// pollProfile reads one eSIM if its owner wants alerts of it, tells them
// what passed, and returns when it is due next.
func (e *Engine) pollProfile(ctx context.Context, w watched, now time.Time, period time.Duration) (slot, error) {
	interval := e.cfg.UsageInterval
	later := func(d time.Duration) slot { return slot{at: now.Add(d), period: interval} }
	u, err := e.store.User(ctx, w.first.User)
	switch {
	case errors.Is(err, ErrNotFound):
		u = User{ID: w.first.User, Lang: w.first.Lang}
	case err != nil:
		return slot{}, err
	}
	if u.Blocked || u.Alerts == AlertsNone || muted(u, w.first.ICCID) {
		return later(interval), nil // not read: nothing would be told
	}
	if done, err := e.store.UsageAlertMarked(ctx, doneKey(w)); err != nil || done {
		return later(24 * time.Hour), err
	}
	c, at, err := e.watchRead(ctx, w.first.ICCID, now, period)
	switch {
	case errors.Is(err, reseller.ErrNotFound), errors.Is(err, reseller.ErrInvalidRequest):
		return later(4 * interval), nil
	case err != nil:
		return slot{}, err
	}
	e.watch.succeeded()
	return e.tell(ctx, w, u, c, now, at)
}

// watchRead returns the eSIM's consumption from the shared cache when it
// is younger than period, and otherwise calls the API, within the cap.
func (e *Engine) watchRead(ctx context.Context, iccid string, now time.Time, period time.Duration) (reseller.Consumption, time.Time, error) {
	fresh := func(age time.Duration, _ bool) bool { return age < period }
	// The cap is taken before the call joins the cache, so that a user's
	// /usage waiting on the same call never gets the cap's refusal.
	if !e.usage.has(iccid, fresh) && !e.watch.take(now, e.cfg.UsageRate) {
		return reseller.Consumption{}, time.Time{}, errCapped
	}
	return e.usage.get(ctx, iccid, fresh, true, e.consumption(iccid))
}

// muted reports whether the user muted the eSIM.
func muted(u User, iccid string) bool {
	for _, m := range u.Muted {
		if m == iccid {
			return true
		}
	}
	return false
}

// doneKey is the record of an eSIM whose bundles have all expired, with
// its number of sales (a top-up starts the watch again).
func doneKey(w watched) string { return w.key() + "|done" }

// due reports whether the profile is due at now (a profile never read
// is, with the interval as its period) and the period of its slot.
func (w *usageWatch) due(key string, now time.Time, interval time.Duration) (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	next, ok := w.next[key]
	if !ok {
		return interval, true
	}
	return next.period, !now.Before(next.at)
}

// schedule sets when the profile is due next.
func (w *usageWatch) schedule(key string, next slot) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.next == nil {
		w.next = map[string]slot{}
	}
	w.next[key] = next
}

// take takes one call of the cap (rate calls a second: at most
// max(1, rate) calls in any window of max(1, rate)/rate seconds) at now,
// and reports whether there was one.
func (w *usageWatch) take(now time.Time, rate float64) bool {
	n := max(1, int(rate))
	window := time.Duration(float64(n) / rate * float64(time.Second))
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.calls) >= n && now.Sub(w.calls[len(w.calls)-n]) < window {
		return false
	}
	w.calls = append(w.calls, now)
	if len(w.calls) > 2*n {
		w.calls = append(w.calls[:0], w.calls[len(w.calls)-n:]...)
	}
	return true
}

// failed backs off after a failed call: 30 s, doubling up to the interval,
// with jitter.
func (w *usageWatch) failed(now time.Time, interval time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fails++
	wait := min(30*time.Second<<min(w.fails-1, 20), interval)
	w.pause = now.Add(wait + jitter(wait/5))
}

// succeeded ends a backoff.
func (w *usageWatch) succeeded() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fails = 0
}

// pausedUntil is the end of the backoff.
func (w *usageWatch) pausedUntil() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pause
}

// jitter is a random duration in [0, d).
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}
