package sandbox

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Flags are the sandbox's command-line settings, for a program that serves
// the sandbox on its own or in place of the real API. Register binds them to
// a flag.FlagSet; Options turns the parsed values into Options and Faults.
//
// The password is a flag because it is the sandbox's own demo credential,
// not a secret; -password-file reads it from a file instead.
type Flags struct {
	Seed               int64
	Username           string
	Password           string
	PasswordFile       string
	Wallet             string
	Currency           string
	GlobalESIM         bool
	ActivationDelay    time.Duration
	AccessTTL          time.Duration
	RefreshTTL         time.Duration
	Prefix             string
	ListShape          string
	Quirks             string
	FaultLatency       time.Duration
	Fault5xxRate       float64
	FaultDropRate      float64
	Fault401Rate       float64
	FaultCommitTimeout bool
	FaultCommitStatus  int
	Control            bool
}

// Register defines the sandbox flags on fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.Int64Var(&f.Seed, "seed", 1, "sandbox: seed of the catalog, IDs and ICCIDs")
	fs.StringVar(&f.Username, "username", "demo", "sandbox: the login's username")
	fs.StringVar(&f.Password, "password", "", `sandbox: the login's password (default "demo"); a demo credential, not a secret`)
	fs.StringVar(&f.PasswordFile, "password-file", "", "sandbox: read the login's password from this file")
	fs.StringVar(&f.Wallet, "wallet", "1000", "sandbox: starting wallet balance")
	fs.StringVar(&f.Currency, "currency", "USD", "sandbox: currency of the wallet and prices")
	fs.BoolVar(&f.GlobalESIM, "global-esim", false, "sandbox: enable Global eSIM bundles (show_global_esim_bundles)")
	fs.DurationVar(&f.ActivationDelay, "activation-delay", 0, "sandbox: delay before an order's activation data appears")
	fs.DurationVar(&f.AccessTTL, "access-ttl", time.Hour, "sandbox: access token lifetime")
	fs.DurationVar(&f.RefreshTTL, "refresh-ttl", 24*time.Hour, "sandbox: refresh token lifetime")
	fs.StringVar(&f.Prefix, "prefix", "/api/v1", "sandbox: path prefix served")
	fs.StringVar(&f.ListShape, "list-shape", "envelope", "sandbox: list responses as an envelope object or a bare array (envelope|array)")
	fs.StringVar(&f.Quirks, "quirks", "", "sandbox: comma-separated wire quirks: numbers-as-strings, ids-as-integers, expires-in-unix, bare-activation-code, empty-as-no-content")
	fs.DurationVar(&f.FaultLatency, "fault-latency", 0, "sandbox: delay every request by this much")
	fs.Float64Var(&f.Fault5xxRate, "fault-5xx-rate", 0, "sandbox: fraction of requests answered 503 (0 to 1)")
	fs.Float64Var(&f.FaultDropRate, "fault-drop-rate", 0, "sandbox: fraction of requests whose connection is dropped (0 to 1)")
	fs.BoolVar(&f.FaultCommitTimeout, "fault-commit-timeout", false, "sandbox: purchases commit and then never answer")
	fs.Float64Var(&f.Fault401Rate, "fault-401-rate", 0, "sandbox: fraction of requests answered 401 (0 to 1)")
	fs.BoolVar(&f.Control, "control", true, "sandbox: serve the control, POST "+ControlPrefix+"bundles/CODE with price=AMOUNT or withdraw=true|false, behind basic auth with the login's credentials")
	fs.IntVar(&f.FaultCommitStatus, "fault-commit-status", 0, "sandbox: purchases commit and then are answered this status, e.g. 401 or 403 (0: off)")
}

// Options returns the Options and the Faults to inject that the flags
// describe, or an error naming the first invalid flag.
func (f *Flags) Options() (Options, []Fault, error) {
	o, err := f.options()
	if err != nil {
		return Options{}, nil, err
	}
	faults, err := f.faults()
	if err != nil {
		return Options{}, nil, err
	}
	return o, faults, nil
}

// options returns the Options the flags describe.
func (f *Flags) options() (Options, error) {
	o := Options{
		Seed:                  f.Seed,
		Username:              f.Username,
		Password:              f.Password,
		Currency:              strings.ToUpper(strings.TrimSpace(f.Currency)),
		ShowGlobalESIMBundles: f.GlobalESIM,
		ActivationDelay:       f.ActivationDelay,
		AccessTTL:             f.AccessTTL,
		RefreshTTL:            f.RefreshTTL,
		Prefix:                f.Prefix,
		Control:               f.Control,
	}
	var err error
	if o.Password, err = f.password(); err != nil {
		return Options{}, err
	}
	if f.Wallet != "" {
		w, err := decimal.NewFromString(f.Wallet)
		if err != nil {
			return Options{}, fmt.Errorf("sandbox: -wallet %q: not a decimal amount", f.Wallet)
		}
		o.Wallet = w
	}
	if o.Currency != "" && !currency.MatchString(o.Currency) {
		return Options{}, fmt.Errorf("sandbox: -currency %q: want an ISO 4217 code", f.Currency)
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{
		{"activation-delay", f.ActivationDelay}, {"access-ttl", f.AccessTTL},
		{"refresh-ttl", f.RefreshTTL}, {"fault-latency", f.FaultLatency},
	} {
		if d.d < 0 {
			return Options{}, fmt.Errorf("sandbox: -%s %s: must not be negative", d.name, d.d)
		}
	}
	if o.ListShape, err = ParseListShape(f.ListShape); err != nil {
		return Options{}, fmt.Errorf("sandbox: -list-shape %q: want envelope or array", f.ListShape)
	}
	if o.Quirks, err = parseQuirks(f.Quirks); err != nil {
		return Options{}, err
	}
	return o, nil
}

// password returns the login's password: -password, or the first line of
// -password-file.
func (f *Flags) password() (string, error) {
	if f.PasswordFile == "" {
		return f.Password, nil
	}
	if f.Password != "" {
		return "", errors.New("sandbox: -password and -password-file are exclusive")
	}
	b, err := os.ReadFile(f.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("sandbox: -password-file: %w", err)
	}
	p := strings.TrimRight(string(b), "\r\n")
	if p == "" {
		return "", fmt.Errorf("sandbox: -password-file %s is empty", f.PasswordFile)
	}
	return p, nil
}

// parseQuirks returns the Quirks named in the comma-separated list s.
func parseQuirks(s string) (Quirks, error) {
	var q Quirks
	for _, name := range strings.Split(s, ",") {
		switch strings.TrimSpace(name) {
		case "":
		case "numbers-as-strings":
			q.NumbersAsStrings = true
		case "ids-as-integers":
			q.IDsAsIntegers = true
		case "expires-in-unix":
			q.ExpiresInUnix = true
		case "bare-activation-code":
			q.BareActivationCode = true
		case "empty-as-no-content":
			q.EmptyAsNoContent = true
		default:
			return Quirks{}, fmt.Errorf("sandbox: -quirks: unknown quirk %q", strings.TrimSpace(name))
		}
	}
	return q, nil
}

// faults returns the Faults the fault flags describe.
func (f *Flags) faults() ([]Fault, error) {
	var faults []Fault
	if f.FaultLatency > 0 {
		faults = append(faults, Fault{Kind: FaultLatency, Latency: f.FaultLatency})
	}
	for _, r := range []struct {
		name string
		rate float64
		f    Fault
	}{
		{"fault-5xx-rate", f.Fault5xxRate, Fault{Kind: FaultStatus, Status: http.StatusServiceUnavailable}},
		{"fault-drop-rate", f.FaultDropRate, Fault{Kind: FaultDrop}},
		{"fault-401-rate", f.Fault401Rate, Fault{Kind: FaultUnauthorized}},
	} {
		if r.rate < 0 || r.rate > 1 || r.rate != r.rate {
			return nil, fmt.Errorf("sandbox: -%s %v: want a fraction between 0 and 1", r.name, r.rate)
		}
		if r.rate > 0 {
			r.f.Rate = r.rate
			faults = append(faults, r.f)
		}
	}
	if f.FaultCommitTimeout {
		faults = append(faults, Fault{Kind: FaultCommitThenTimeout})
	}
	switch {
	case f.FaultCommitStatus == 0:
	case f.FaultCommitStatus < 400 || f.FaultCommitStatus > 599:
		return nil, fmt.Errorf("sandbox: -fault-commit-status %d: want an error status, 400 to 599", f.FaultCommitStatus)
	default:
		faults = append(faults, Fault{Kind: FaultCommitThenStatus, Status: f.FaultCommitStatus})
	}
	return faults, nil
}

// Server returns a sandbox configured by the flags, with their faults
// injected.
func (f *Flags) Server() (*Server, error) {
	o, faults, err := f.Options()
	if err != nil {
		return nil, err
	}
	s := New(o)
	for _, ft := range faults {
		s.Inject(ft)
	}
	return s, nil
}
