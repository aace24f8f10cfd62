package sandbox

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// FaultKind is the kind of misbehaviour a Fault injects.
type FaultKind int

const (
	// FaultLatency delays the request by Fault.Latency (or until the
	// client gives up), then handles it normally.
	FaultLatency FaultKind = iota + 1
	// FaultStatus answers Fault.Status (default 503) with an error body,
	// leaving the state unchanged.
	FaultStatus
	// FaultDrop closes the connection without answering.
	FaultDrop
	// FaultCommitThenTimeout, for POST /Bundle and POST /Bundles/Topup
	// only, handles the request (the sale happens: wallet charged, order
	// created) and never answers, whatever the outcome: it waits until the
	// client gives up, or for Fault.Latency if set, then closes the
	// connection. Other endpoints neither feel it nor use up its Count.
	FaultCommitThenTimeout
	// FaultUnauthorized answers 401 "Invalid or expired token" even for a
	// valid token.
	FaultUnauthorized
	// FaultCommitThenStatus, for POST /Bundle and POST /Bundles/Topup
	// only, handles the request (a valid sale happens: wallet charged,
	// order created) and then answers Fault.Status (default 401, "Invalid
	// or expired token"; 403 and others get their status's error body)
	// instead of the sale's answer, whatever the outcome: the platform
	// that commits a purchase and still refuses the token. Other endpoints
	// neither feel it nor use up its Count.
	FaultCommitThenStatus
	// FaultCommitLate, for POST /Bundle and POST /Bundles/Topup only,
	// waits Fault.Latency whether or not the client is still there, then
	// handles the request (the sale happens) and answers whoever is left:
	// the platform that commits a purchase after the client gave up on it.
	// Other endpoints neither feel it nor use up its Count.
	FaultCommitLate
)

// String returns the kind's name, e.g. "latency".
func (k FaultKind) String() string {
	switch k {
	case FaultLatency:
		return "latency"
	case FaultStatus:
		return "status"
	case FaultDrop:
		return "drop"
	case FaultCommitThenTimeout:
		return "commit-then-timeout"
	case FaultUnauthorized:
		return "unauthorized"
	case FaultCommitThenStatus:
		return "commit-then-status"
	case FaultCommitLate:
		return "commit-late"
	}
	return "unknown"
}

// Fault describes misbehaviour to inject into matching requests, for tests
// of the client's retries, timeouts and reconciliation.
type Fault struct {
	Kind FaultKind
	// Method and Path select the endpoint ("" matches any); Path is without
	// the prefix, e.g. "/Bundle".
	Method, Path string
	// Count is how many matching requests the fault hits; 0 means every one
	// until ClearFaults.
	Count int
	// Rate is the probability that a matching request is hit, drawn from a
	// generator seeded by Options.Seed; 0 means always. A request that is
	// not hit does not use up Count.
	Rate float64
	// Latency is the delay of FaultLatency and FaultCommitLate, and the
	// longest a FaultCommitThenTimeout stalls (0: until the client gives
	// up).
	Latency time.Duration
	// Status is the status of FaultStatus (default 503) and of
	// FaultCommitThenStatus (default 401).
	Status int
}

type faultState struct {
	f    Fault
	left int // remaining hits when f.Count > 0
}

func newFaultRNG(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0xfa175))
}

// Inject adds a fault. Faults apply in the order they were injected: the
// delays of every matching FaultLatency add up, and the first other fault
// that hits decides the outcome.
func (s *Server) Inject(f Fault) {
	if f.Kind == FaultStatus && f.Status == 0 {
		f.Status = http.StatusServiceUnavailable
	}
	if f.Kind == FaultCommitThenStatus && f.Status == 0 {
		f.Status = http.StatusUnauthorized
	}
	if s.prefix != "" && strings.HasPrefix(f.Path, s.prefix+"/") {
		f.Path = strings.TrimPrefix(f.Path, s.prefix)
	}
	if f.Path != "" {
		f.Path = cleanPath(f.Path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{f: f, left: f.Count})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// purchaseOnly reports the kinds that only purchases feel.
func (k FaultKind) purchaseOnly() bool {
	return k == FaultCommitThenTimeout || k == FaultCommitThenStatus || k == FaultCommitLate
}

func isPurchase(method, path string) bool {
	return method == http.MethodPost && (path == "/Bundle" || path == "/Bundles/Topup")
}

// pickFaults returns the total injected delay and the first other fault
// that hits the request, using up their counts.
func (s *Server) pickFaults(method, path string) (delay time.Duration, hit *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.faults[:0]
	for _, fs := range s.faults {
		f := fs.f
		matches := (f.Method == "" || strings.EqualFold(f.Method, method)) &&
			(f.Path == "" || f.Path == path) &&
			(!f.Kind.purchaseOnly() || isPurchase(method, path)) &&
			(hit == nil || f.Kind == FaultLatency)
		if matches && (f.Rate <= 0 || s.faultRNG.Float64() < f.Rate) {
			if f.Kind == FaultLatency {
				delay += f.Latency
			} else {
				hit = &f
			}
			if f.Count > 0 {
				fs.left--
				if fs.left == 0 {
					continue // used up
				}
			}
		}
		kept = append(kept, fs)
	}
	clear(s.faults[len(kept):])
	s.faults = kept
	return delay, hit
}

// applyFaults applies the injected faults to a request. It returns the
// fault that acts after handling, if any (FaultCommitThenTimeout,
// FaultCommitThenStatus; FaultCommitLate, whose delay it has waited), and
// false when it has answered (or dropped) the request itself.
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request, path string) (*Fault, bool) {
	delay, hit := s.pickFaults(r.Method, path)
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return nil, false // the client has gone: nobody to answer
		case <-t.C:
		}
	}
	if hit == nil {
		return nil, true
	}
	switch hit.Kind {
	case FaultStatus:
		s.write(w, errorReply(hit.Status, statusTitle(hit.Status), "Injected fault"))
		return nil, false
	case FaultDrop:
		drop(w)
		return nil, false
	case FaultUnauthorized:
		s.write(w, unauthorized())
		return nil, false
	case FaultCommitLate:
		t := time.NewTimer(hit.Latency)
		defer t.Stop()
		<-t.C
	}
	return hit, true
}

// withhold is the end of FaultCommitThenTimeout: the request has been
// handled; wait until the client gives up, or for f.Latency, and close the
// connection without answering.
func (s *Server) withhold(w http.ResponseWriter, r *http.Request, f *Fault) {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
	} else {
		<-r.Context().Done()
	}
	drop(w)
}

// refusal is the end of FaultCommitThenStatus: the request has been
// handled; its answer is replaced by an error of status f.Status.
func refusal(f *Fault) reply {
	if f.Status == http.StatusUnauthorized {
		return unauthorized()
	}
	return errorReply(f.Status, statusTitle(f.Status), "Injected fault")
}

// drop closes the client's connection without a response.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func statusTitle(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Error"
}
