package flows

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func TestCacheOneLoadForConcurrentMisses(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	c := newCache(time.Minute, clk.Now, true)
	release := make(chan struct{})
	var loads atomic.Int32
	began := make(chan struct{}, 50)
	load := func(context.Context) (int, error) {
		loads.Add(1)
		began <- struct{}{}
		<-release
		return 42, nil
	}
	var wg sync.WaitGroup
	started := make(chan struct{}, 50)
	for range 50 {
		wg.Go(func() {
			started <- struct{}{}
			if v, err := cached(context.Background(), c, "k", load); v != 42 || err != nil {
				t.Errorf("cached = %d, %v", v, err)
			}
		})
	}
	for range 50 {
		<-started
	}
	<-began // one load is under way; the others wait for it or find its value
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("%d loads for 50 concurrent misses, want 1", n)
	}
}

func TestCacheServesWhileItRefreshes(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	for _, tc := range []struct {
		name  string
		stale bool
		age   time.Duration
		want  int  // the value returned at once
		load  bool // the value is loaded again (in the background when want is the old one)
	}{
		{"Fresh", true, 30 * time.Second, 1, false},
		{"NearExpiry", false, 55 * time.Second, 1, true},
		{"ExpiredStale", true, 90 * time.Second, 1, true},
		{"ExpiredNotStale", false, 90 * time.Second, 2, true},
		{"TooOld", true, 3 * time.Minute, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCache(time.Minute, clk.Now, tc.stale)
			if _, err := cached(context.Background(), c, "k", func(context.Context) (int, error) { return 1, nil }); err != nil {
				t.Fatal(err)
			}
			clk.add(tc.age)
			refreshed := make(chan struct{})
			v, err := cached(context.Background(), c, "k", func(context.Context) (int, error) {
				defer close(refreshed)
				return 2, nil
			})
			if err != nil || v != tc.want {
				t.Fatalf("cached = %d, %v; want %d at once", v, err, tc.want)
			}
			if !tc.load {
				return
			}
			<-refreshed // the load ran: in the background when the old value was served
			if tc.want == 1 {
				// The next read has the refreshed value.
				c.mu.Lock()
				call := c.inflight["k"]
				c.mu.Unlock()
				if call != nil {
					<-call.done
				}
				if v, _ := cached(context.Background(), c, "k", func(context.Context) (int, error) { return 3, nil }); v != 2 {
					t.Errorf("after the refresh: %d, want 2", v)
				}
			}
		})
	}
}
