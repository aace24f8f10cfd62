package sandbox

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Handlers of eSIM profiles: consumption and top-up bundles.
// findProfile reads exactly one of iccid and order_id. The caller holds s.mu.

func (s *Server) findProfile(q url.Values) (*profile, *reply) {
	iccid, orderID := q.Get("iccid"), q.Get("order_id")
	switch {
	case iccid == "" && orderID == "":
		return nil, badRequest("At least order_id or iccid is required")
	case iccid != "" && orderID != "":
		return nil, badRequest("ICCID and order_id cannot be provided together")
	}
	if orderID != "" {
		o, ok := s.ordersByID[orderID]
		if !ok {
			return nil, profileNotFound()
		}
		iccid = o.ICCID
	}
	p, ok := s.profiles[iccid]
	if !ok {
		return nil, profileNotFound()
	}
	return p, nil
}

// The profile's life after its activation data appears.
const (
	downloadedAfter = 10 * time.Minute
	activeAfter     = time.Hour
)

func (s *Server) consumption(r *http.Request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, rep := s.findProfile(r.URL.Query())
	if rep != nil {
		return *rep
	}
	return s.consumptionOf(p)
}

// consumptionOf is the consumption of a profile now. The caller holds s.mu.
func (s *Server) consumptionOf(p *profile) reply {
	now := s.now()
	ready := p.orders[0].ReadyAt
	activeAt := ready.Add(activeAfter)
	out := consumptionJSON{ICCID: p.iccid, ProfileStatus: "active"}
	switch {
	case now.Before(ready.Add(downloadedAfter)):
		out.ProfileStatus = "released"
	case now.Before(activeAt):
		out.ProfileStatus = "downloaded"
	}
	var expiry time.Time
	for _, o := range p.orders {
		if o.ExpiresAt.After(expiry) {
			expiry = o.ExpiresAt
		}
		out.OrdersBalances = append(out.OrdersBalances, balance(o, s.cat.byCode[o.BundleCode], activeAt, now))
	}
	out.ProfileExpiryDate = timestamp(expiry)
	return reply{http.StatusOK, out}
}

// balance computes what remains of an order: usage runs from the moment
// the profile is active (or the order is made, if later) until its expiry,
// at a steady rate of 4 to 12 % of the total per day.
func balance(o *Order, b *Bundle, activeAt, now time.Time) balanceJSON {
	start := o.CreatedAt
	if activeAt.After(start) {
		start = activeAt
	}
	end := now
	if o.ExpiresAt.Before(end) {
		end = o.ExpiresAt
	}
	elapsed := max(int64(end.Sub(start)/time.Second), 0)
	rate := consumptionRate(o.ID)
	remaining := func(total int) int64 {
		used := int64(total) * rate * elapsed / (100 * 86400)
		return max(int64(total)-used, 0)
	}
	out := balanceJSON{
		OrderID:    o.ID,
		BundleCode: o.BundleCode,
		ExpiryDate: timestamp(o.ExpiresAt),
		Status:     "active",
	}
	if b.Unlimited {
		out.RemainingData, out.TotalData = -1, -1
	} else {
		out.RemainingData, out.TotalData = max(remaining(b.DataMB)-o.UsedMB, 0), int64(b.DataMB)
	}
	if b.SupportsCallsSMS {
		calls, sms := remaining(b.CallsMinutes), remaining(b.SMSCount)
		out.RemainingCalls, out.RemainingSMS = &calls, &sms
	}
	switch {
	case !now.Before(o.ExpiresAt):
		out.Status = "expired"
	case !b.Unlimited && out.RemainingData == 0:
		out.Status = "depleted"
	case now.Before(start):
		out.Status = "pending" // not started: the profile is not in use yet
	}
	return out
}

// consumptionRate returns the order's usage in percent of the total per
// day, 4 to 12, derived from its ID.
func consumptionRate(orderID string) int64 {
	n, err := strconv.ParseUint(orderID[:8], 16, 32)
	if err != nil {
		return 8
	}
	return 4 + int64(n%9)
}

// topupBundles returns the visible bundles that can top up p. The caller
// holds s.mu.
func (s *Server) topupBundles(p *profile) []*Bundle {
	var out []*Bundle
	for _, b := range s.cat.bundles {
		if !s.visible(b) || !b.SupportTopup || b.ProfileType != p.profileType {
			continue
		}
		if p.profileType == ProfileGlobalESIM || sameCoverage(b, p.base) {
			out = append(out, b)
		}
	}
	return out
}

func (s *Server) listTopupBundles(r *http.Request) reply {
	q := r.URL.Query()
	pg, rep := parsePage(q)
	if rep != nil {
		return *rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, rep := s.findProfile(q)
	if rep != nil {
		return *rep
	}
	return s.bundleList(s.topupBundles(p), pg)
}
