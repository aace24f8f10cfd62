package sandbox_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/reseller/sandbox"
)

// restored serves a new sandbox with opts, restored from state and sharing
// the clock of from, without logging in.
func restored(t *testing.T, from *env, opts sandbox.Options, state []byte) *env {
	t.Helper()
	opts.Now = from.clock.Now
	srv := sandbox.New(opts)
	if err := srv.Restore(state); err != nil {
		t.Fatal(err)
	}
	e := newEnvFor(t, srv)
	e.clock = from.clock
	return e
}

// snapshot returns the sandbox's state.
func snapshot(t *testing.T, srv *sandbox.Server) []byte {
	t.Helper()
	state, err := srv.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func TestRestore(t *testing.T) {
	a := newEnv(t, sandbox.Options{})
	var sold []sale
	for _, ref := range []string{"R-1", "R-2", "", "R-4", "R-5"} { // the fifth profile has a 20-digit ICCID
		sold = append(sold, a.buy("FRA_5GB_30D", ref))
	}
	a.topup("FRA_3GB_15D", sold[0].OrderID, "R-TOP").want(t, http.StatusOK)
	oldToken := a.token
	var oldRefresh struct {
		RefreshToken string `json:"refresh_token"`
	}
	user, pass := a.srv.Credentials()
	a.post("/Agent/login", map[string]string{"username": user, "password": pass}, withToken("")).want(t, http.StatusOK).decode(t, &oldRefresh)
	state := snapshot(t, a.srv)
	b := restored(t, a, sandbox.Options{}, state)

	t.Run("SameOrdersAndWallet", func(t *testing.T) {
		if diff := cmp.Diff(a.srv.Orders(), b.srv.Orders()); diff != "" {
			t.Errorf("orders (-before +after):\n%s", diff)
		}
		if len(b.srv.Orders()) != 6 {
			t.Errorf("%d orders restored, want 6", len(b.srv.Orders()))
		}
		if got, want := b.srv.Wallet(), a.srv.Wallet(); !got.Equal(want) || want.Equal(decimal.NewFromInt(1000)) {
			t.Errorf("wallet %s after restoring, want %s (spent)", got, want)
		}
		if !bytes.Equal(snapshot(t, b.srv), state) {
			t.Error("the restored sandbox's snapshot differs from the one it was restored from")
		}
	})
	t.Run("OldTokensRefused", func(t *testing.T) {
		b.get("/Bundles", url.Values{"country_code": {"FRA"}}, withToken(oldToken)).wantError(t, http.StatusUnauthorized, "Invalid or expired token")
		b.post("/Token/Refresh", map[string]string{"refresh_token": oldRefresh.RefreshToken}, withToken("")).wantError(t, http.StatusUnauthorized, "Invalid refresh token")
		b.token = b.login()
		b.get("/Orders", url.Values{"order_reference": {"R-1"}}).want(t, http.StatusOK)
	})
	t.Run("SequenceContinues", func(t *testing.T) {
		if b.token == "" {
			b.token = b.login()
		}
		seen := map[string]bool{}
		for _, o := range a.srv.Orders() {
			seen[o.ICCID], seen[o.ID], seen[o.Reference] = true, true, true
		}
		// The next sales of the restored sandbox are those the first one
		// would have made: new IDs, ICCIDs and generated references.
		for _, ref := range []string{"R-6", ""} {
			want, got := a.buy("FRA_5GB_30D", ref), b.buy("FRA_5GB_30D", ref)
			if got != want {
				t.Errorf("restored sandbox sold %+v, the first one %+v", got, want)
			}
			if seen[got.ICCID] || seen[got.OrderID] || seen[got.OrderReference] {
				t.Errorf("sale %+v repeats an ICCID, ID or reference sold before the snapshot", got)
			}
			seen[got.ICCID], seen[got.OrderID], seen[got.OrderReference] = true, true, true
		}
		b.post("/Bundle", assignBody("FRA_5GB_30D", "R-1")).wantError(t, http.StatusConflict, "Order reference already exists")
	})
	t.Run("ConsumptionGoesOn", func(t *testing.T) {
		a.clock.Advance(3 * 24 * time.Hour)
		a.token, b.token = a.login(), b.login()
		q := url.Values{"iccid": {sold[0].ICCID}}
		want, got := a.consumption(q), b.consumption(q)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("consumption (-first +restored):\n%s", diff)
		}
		if len(got.Balances) != 2 || got.ProfileStatus != "active" || got.Balances[0].RemainingData >= got.Balances[0].TotalData {
			t.Errorf("three days after the sale: %+v, want an active profile with data used and its top-up", got)
		}
		b.topup("FRA_3GB_15D", sold[1].OrderID, "R-TOP-2").want(t, http.StatusOK)
	})
}

func TestRestoreErrors(t *testing.T) {
	a := newEnv(t, sandbox.Options{})
	a.buy("FRA_5GB_30D", "R-1")
	state := snapshot(t, a.srv)
	for _, tc := range []struct {
		name  string
		opts  sandbox.Options
		state string
		want  string
	}{
		{"ErrOtherSeed", sandbox.Options{Seed: 2}, string(state), "the state is of seed 1, this sandbox's is 2"},
		{"ErrNotJSON", sandbox.Options{}, "not json", "sandbox: restore: "},
		{"ErrFormat", sandbox.Options{}, strings.Replace(string(state), `"format":1`, `"format":9`, 1), "state format 9, want 1"},
		{"ErrUnknownBundle", sandbox.Options{}, strings.Replace(string(state), `"FRA_5GB_30D"`, `"MOON_1GB_1D"`, 1), "bundle MOON_1GB_1D: sandbox: bundle not found"},
		{"ErrSequence", sandbox.Options{}, strings.Replace(string(state), `"sequence":"`, `"sequence":"AAAA`, 1), "sequence"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := sandbox.New(tc.opts)
			before := snapshot(t, srv)
			err := srv.Restore([]byte(tc.state))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			if !bytes.Equal(snapshot(t, srv), before) {
				t.Error("a failed restore changed the sandbox")
			}
		})
	}
}

// recorder keeps what OnChange was handed as a program would, an order
// per Seq and the last head, and fails while failing is set.
type recorder struct {
	mu      sync.Mutex
	calls   int
	head    []byte
	orders  map[int][]byte
	failing bool
}

func (r *recorder) OnChange(c sandbox.Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return errors.New("disk full")
	}
	if r.orders == nil {
		r.orders = map[int][]byte{}
	}
	r.calls++
	r.head, r.orders[c.Seq] = bytes.Clone(c.Head), bytes.Clone(c.Order)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// last returns the state kept, as a snapshot: that of a new sandbox
// restored from it.
func (r *recorder) last(t *testing.T) []byte {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == 0 {
		t.Fatal("OnChange never called")
	}
	orders := make([][]byte, len(r.orders))
	for seq, o := range r.orders {
		orders[seq] = o
	}
	srv := sandbox.New(sandbox.Options{})
	if err := srv.RestoreChanges(r.head, orders); err != nil {
		t.Fatal(err)
	}
	return snapshot(t, srv)
}

func TestOnChange(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		rec := &recorder{}
		a := newEnv(t, sandbox.Options{OnChange: rec.OnChange})
		s := a.buy("FRA_5GB_30D", "OC-1")
		// Handed over before the answer: the state just received holds the sale.
		b := restored(t, a, sandbox.Options{}, rec.last(t))
		if o, ok := b.srv.OrderByReference("OC-1"); !ok || o.ICCID != s.ICCID {
			t.Errorf("the state handed over with the sale holds %+v, %t", o, ok)
		}
		a.topup("FRA_3GB_15D", s.OrderID, "OC-TOP").want(t, http.StatusOK)
		b = restored(t, a, sandbox.Options{}, rec.last(t))
		if _, ok := b.srv.OrderByReference("OC-TOP"); !ok {
			t.Error("the state handed over with the top-up lacks it")
		}
		// Refusals, reads and logins change nothing and hand nothing over.
		a.post("/Bundle", assignBody("FRA_5GB_30D", "OC-1")).want(t, http.StatusConflict)
		a.get("/Orders", nil).want(t, http.StatusOK)
		a.login()
		if n := rec.count(); n != 2 {
			t.Errorf("OnChange called %d times, want 2 (the sale and the top-up)", n)
		}
		if !bytes.Equal(rec.last(t), snapshot(t, a.srv)) {
			t.Error("the state kept from the changes is not the sandbox's snapshot")
		}
	})
	t.Run("ErrUndoesTheSale", func(t *testing.T) {
		rec := &recorder{failing: true}
		a := newEnv(t, sandbox.Options{OnChange: rec.OnChange})
		fresh := newEnv(t, sandbox.Options{})
		wallet := a.srv.Wallet()
		a.post("/Bundle", assignBody("FRA_5GB_30D", "OC-1")).wantError(t, http.StatusInternalServerError, "The sale could not be recorded")
		if n := len(a.srv.Orders()); n != 0 || !a.srv.Wallet().Equal(wallet) {
			t.Errorf("after a failed OnChange: %d orders, wallet %s; want none and %s", n, a.srv.Wallet(), wallet)
		}
		a.get("/Orders", url.Values{"order_reference": {"OC-1"}}).want(t, http.StatusOK)
		if _, ok := a.srv.OrderByReference("OC-1"); ok {
			t.Error("the undone sale is still listed")
		}
		// The sequence is rewound: the next sale is a fresh sandbox's first.
		rec.mu.Lock()
		rec.failing = false
		rec.mu.Unlock()
		s := a.buy("FRA_5GB_30D", "OC-1")
		if want := fresh.buy("FRA_5GB_30D", "OC-1"); s != want {
			t.Errorf("after an undone sale sold %+v, want a fresh sandbox's first sale %+v", s, want)
		}
		rec.mu.Lock()
		rec.failing = true
		rec.mu.Unlock()
		a.topup("FRA_3GB_15D", s.OrderID, "OC-TOP").wantError(t, http.StatusInternalServerError, "The sale could not be recorded")
		if o := a.srv.Orders(); len(o) != 1 {
			t.Errorf("%d orders after an undone top-up, want 1", len(o))
		}
	})
}
