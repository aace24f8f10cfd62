package sandbox_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/esimbot/esimbot/reseller/sandbox"
)

// TestAdvanceProfile: the control moves an eSIM's consumption forward, in
// Go and over HTTP: its bundle starts, uses data and expires.
func TestAdvanceProfile(t *testing.T) {
	e := newEnv(t, sandbox.Options{Control: true})
	s := e.buy("FRA_1GB_7D", "ADV-1")
	path := sandbox.ControlPrefix + "profiles/" + s.ICCID
	bal := func(r controlResp) map[string]any {
		t.Helper()
		list, _ := r.body["orders_balances"].([]any)
		if r.status != http.StatusOK || len(list) != 1 {
			t.Fatalf("%d %v", r.status, r.body)
		}
		return list[0].(map[string]any)
	}
	if b := bal(e.control(http.MethodGet, path, "demo", "demo", nil)); b["status"] != "pending" || b["remaining_data"] != b["total_data"] {
		t.Fatalf("a new eSIM: %v", b)
	}
	b := bal(e.control(http.MethodPost, path, "demo", "demo", url.Values{"advance": {"2h"}, "used": {"300"}}))
	if b["status"] != "active" || b["remaining_data"].(float64) > 1024-300 {
		t.Errorf("advanced 2 h and 300 MB: %v", b)
	}
	if err := e.srv.AdvanceProfile(s.ICCID, 7*24*time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	if b := bal(e.control(http.MethodGet, path, "demo", "demo", nil)); b["status"] != "expired" {
		t.Errorf("advanced 7 days more: %v", b)
	}
	if err := e.srv.AdvanceProfile("8900", time.Hour, 0); !errors.Is(err, sandbox.ErrProfileNotFound) {
		t.Errorf("unknown ICCID: %v", err)
	}
	for _, form := range []url.Values{{"advance": {"-1h"}}, {"used": {"lots"}}, {"speed": {"2"}}} {
		if r := e.control(http.MethodPost, path, "demo", "demo", form); r.status != http.StatusBadRequest {
			t.Errorf("%v: %d, want 400", form, r.status)
		}
	}
	if r := e.control(http.MethodGet, path, "demo", "wrong", nil); r.status != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", r.status)
	}
}
