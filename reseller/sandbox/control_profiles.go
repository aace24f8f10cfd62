package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The run-time control of consumption: move an eSIM's life forward, so a
// client can see its bundles start, its data used up and its expiry come
// without waiting days. From Go: AdvanceProfile; over HTTP, with
// Options.Control, ControlPrefix + "profiles/{iccid}".

// ErrProfileNotFound is returned by AdvanceProfile for an unknown ICCID.
var ErrProfileNotFound = errors.New("sandbox: profile not found")

// AdvanceProfile moves the consumption of the profile iccid forward: by
// moves every order on it that much into the past (its creation,
// activation data and expiry, so the profile becomes active, its bundles
// start, use data at their steady rate and expire as if that much time had
// passed), and usedMB is data used on top, taken from the newest bundle
// that has not expired. by and usedMB may not be negative. The change is
// in the next Snapshot (Options.OnChange is not called for it).
func (s *Server) AdvanceProfile(iccid string, by time.Duration, usedMB int64) error {
	if by < 0 || usedMB < 0 {
		return fmt.Errorf("sandbox: advance profile %s: want a duration and data of 0 or more", iccid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.profiles[iccid]
	if !ok {
		return fmt.Errorf("advance profile %s: %w", iccid, ErrProfileNotFound)
	}
	s.advance(p, by, usedMB)
	return nil
}

// advance applies AdvanceProfile to p. The caller holds s.mu.
func (s *Server) advance(p *profile, by time.Duration, usedMB int64) {
	for _, o := range p.orders {
		o.CreatedAt, o.ReadyAt, o.ExpiresAt = o.CreatedAt.Add(-by), o.ReadyAt.Add(-by), o.ExpiresAt.Add(-by)
	}
	now := s.now()
	for i := len(p.orders) - 1; i >= 0 && usedMB > 0; i-- {
		if o := p.orders[i]; now.Before(o.ExpiresAt) {
			o.UsedMB += usedMB
			return
		}
	}
}

// serveProfileControl answers ControlPrefix + "profiles/{iccid}":
//
//	GET  /_sandbox/profiles/{iccid}                         its consumption now
//	POST /_sandbox/profiles/{iccid}  advance=24h used=800   move it forward (AdvanceProfile)
//
// Both answer the consumption as GET /Profile/Consumption does.
func (s *Server) serveProfileControl(w http.ResponseWriter, r *http.Request, iccid string) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		if rep := s.advanceForm(w, r, iccid); rep != nil {
			s.write(w, *rep)
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		s.write(w, errorReply(http.StatusMethodNotAllowed, "Method Not Allowed", "Method not allowed"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.profiles[iccid]
	if !ok {
		s.write(w, *profileNotFound())
		return
	}
	s.write(w, s.consumptionOf(p))
}

// advanceForm reads and applies the form of a POST to a profile's control.
func (s *Server) advanceForm(w http.ResponseWriter, r *http.Request, iccid string) *reply {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		return badRequest("the body must be form values, e.g. advance=24h or used=800")
	}
	var by time.Duration
	var used int64
	for k, vs := range r.Form {
		v := strings.TrimSpace(vs[len(vs)-1])
		var err error
		switch k {
		case "advance":
			by, err = time.ParseDuration(v)
			if err != nil || by < 0 {
				return badRequest(fmt.Sprintf("advance %q: want a duration such as 24h", v))
			}
		case "used":
			used, err = strconv.ParseInt(v, 10, 64)
			if err != nil || used < 0 {
				return badRequest(fmt.Sprintf("used %q: want megabytes, a number of 0 or more", v))
			}
		default:
			return badRequest(fmt.Sprintf("unknown parameter %q: want advance or used", k))
		}
	}
	if err := s.AdvanceProfile(iccid, by, used); errors.Is(err, ErrProfileNotFound) {
		return profileNotFound()
	}
	return nil
}
