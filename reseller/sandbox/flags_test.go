package sandbox_test

import (
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/reseller/sandbox"
)

func parseFlags(t *testing.T, args ...string) (sandbox.Options, []sandbox.Fault, error) {
	t.Helper()
	var f sandbox.Flags
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f.Options()
}

func TestFlags(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		o, faults, err := parseFlags(t)
		if err != nil {
			t.Fatal(err)
		}
		want := sandbox.Options{Seed: 1, Username: "demo", Wallet: decimal.NewFromInt(1000), Currency: "USD", AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour, Prefix: "/api/v1", Control: true}
		if diff := cmp.Diff(want, o, decimalEq); diff != "" || len(faults) != 0 {
			t.Errorf("defaults (-want +got):\n%s faults %v", diff, faults)
		}
	})
	t.Run("All", func(t *testing.T) {
		pw := filepath.Join(t.TempDir(), "pw")
		if err := os.WriteFile(pw, []byte("hunter2\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		o, faults, err := parseFlags(t, "-seed", "5", "-username", "u", "-password-file", pw, "-wallet", "12.5", "-currency", "eur",
			"-global-esim", "-activation-delay", "3s", "-access-ttl", "2m", "-refresh-ttl", "1h", "-prefix", "/api/v0", "-list-shape", "array",
			"-quirks", "numbers-as-strings, ids-as-integers,expires-in-unix,bare-activation-code,empty-as-no-content",
			"-fault-latency", "10ms", "-fault-5xx-rate", "0.1", "-fault-drop-rate", "0.2", "-fault-401-rate", "0.3", "-fault-commit-timeout", "-fault-commit-status", "403", "-control=false")
		if err != nil {
			t.Fatal(err)
		}
		want := sandbox.Options{
			Seed: 5, Username: "u", Password: "hunter2", Wallet: decimal.RequireFromString("12.5"), Currency: "EUR",
			ShowGlobalESIMBundles: true, ActivationDelay: 3 * time.Second, AccessTTL: 2 * time.Minute, RefreshTTL: time.Hour,
			Prefix: "/api/v0", ListShape: sandbox.ShapeArray,
			Quirks: sandbox.Quirks{NumbersAsStrings: true, IDsAsIntegers: true, ExpiresInUnix: true, BareActivationCode: true, EmptyAsNoContent: true},
		}
		if diff := cmp.Diff(want, o, decimalEq); diff != "" {
			t.Errorf("options (-want +got):\n%s", diff)
		}
		wantFaults := []sandbox.Fault{
			{Kind: sandbox.FaultLatency, Latency: 10 * time.Millisecond},
			{Kind: sandbox.FaultStatus, Status: 503, Rate: 0.1},
			{Kind: sandbox.FaultDrop, Rate: 0.2},
			{Kind: sandbox.FaultUnauthorized, Rate: 0.3},
			{Kind: sandbox.FaultCommitThenTimeout},
			{Kind: sandbox.FaultCommitThenStatus, Status: 403},
		}
		if diff := cmp.Diff(wantFaults, faults); diff != "" {
			t.Errorf("faults (-want +got):\n%s", diff)
		}
	})
	t.Run("ZeroWallet", func(t *testing.T) {
		o, _, err := parseFlags(t, "-wallet", "0")
		if err != nil {
			t.Fatal(err)
		}
		if w := sandbox.New(o).Wallet(); !w.IsZero() {
			t.Errorf("-wallet 0 gave a wallet of %s", w)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		dir := t.TempDir()
		empty := filepath.Join(dir, "empty")
		if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"-wallet", "lots"}, "-wallet"},
			{[]string{"-currency", "euro"}, "-currency"},
			{[]string{"-list-shape", "table"}, "-list-shape"},
			{[]string{"-quirks", "numbers-as-words"}, "-quirks"},
			{[]string{"-fault-5xx-rate", "1.5"}, "-fault-5xx-rate"},
			{[]string{"-fault-drop-rate", "-0.1"}, "-fault-drop-rate"},
			{[]string{"-fault-401-rate", "NaN"}, "-fault-401-rate"},
			{[]string{"-access-ttl", "-1s"}, "-access-ttl"},
			{[]string{"-fault-latency", "-1s"}, "-fault-latency"},
			{[]string{"-fault-commit-status", "200"}, "-fault-commit-status"},
			{[]string{"-fault-commit-status", "600"}, "-fault-commit-status"},
			{[]string{"-password", "x", "-password-file", empty}, "exclusive"},
			{[]string{"-password-file", filepath.Join(dir, "missing")}, "-password-file"},
			{[]string{"-password-file", empty}, "is empty"},
		} {
			_, _, err := parseFlags(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: err %v, want one naming %s", tc.args, err, tc.want)
			}
		}
		var f sandbox.Flags
		f.ListShape = "table"
		if _, err := f.Server(); err == nil {
			t.Error("Server() accepted -list-shape table")
		}
	})
	t.Run("Server", func(t *testing.T) {
		var f sandbox.Flags
		fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
		f.Register(fs)
		if err := fs.Parse([]string{"-fault-5xx-rate", "1"}); err != nil {
			t.Fatal(err)
		}
		srv, err := f.Server()
		if err != nil {
			t.Fatal(err)
		}
		e := newEnvFor(t, srv)
		e.get("/Regions", nil).wantError(t, http.StatusServiceUnavailable, "Injected fault")
	})
}

func TestListShapeNames(t *testing.T) {
	for _, s := range []sandbox.ListShape{sandbox.ShapeEnvelope, sandbox.ShapeArray} {
		got, err := sandbox.ParseListShape(s.String())
		if err != nil || got != s {
			t.Errorf("ParseListShape(%q) = %v, %v", s.String(), got, err)
		}
	}
	if got, err := sandbox.ParseListShape(""); err != nil || got != sandbox.ShapeEnvelope {
		t.Errorf(`ParseListShape("") = %v, %v`, got, err)
	}
	if _, err := sandbox.ParseListShape("tree"); err == nil {
		t.Error("ParseListShape(tree) accepted")
	}
}
