package sandbox

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Handlers of the order history.

func (s *Server) listOrders(r *http.Request) reply {
	q := r.URL.Query()
	pg, rep := parsePage(q)
	if rep != nil {
		return *rep
	}
	var from, to string
	for _, d := range []struct {
		name string
		v    *string
	}{{"from_date", &from}, {"to_date", &to}} {
		v := q.Get(d.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return *badRequest(d.name + " must be a date (YYYY-MM-DD)")
		}
		*d.v = t.Format(time.DateOnly)
	}
	globalFilter := ""
	if v := q.Get("global_esim"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return *badRequest("global_esim must be true or false")
		}
		globalFilter = strconv.FormatBool(b)
	}
	ref := q.Get("order_reference")
	search := strings.ToLower(q.Get("search"))

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var match []*Order
	for i := len(s.orders) - 1; i >= 0; i-- {
		o := s.orders[i]
		day := o.CreatedAt.UTC().Format(time.DateOnly)
		if (ref != "" && o.Reference != ref) ||
			(from != "" && day < from) ||
			(to != "" && day > to) ||
			(globalFilter != "" && strconv.FormatBool(o.ProfileType == ProfileGlobalESIM) != globalFilter) ||
			(search != "" && !matchesSearch(o, search)) {
			continue
		}
		match = append(match, o)
	}
	sort.SliceStable(match, func(i, j int) bool { return match[i].CreatedAt.After(match[j].CreatedAt) })
	items := make([]orderJSON, 0, pg.size)
	for _, o := range paginate(match, pg) {
		items = append(items, s.orderJSON(o, now))
	}
	return list(s, "orders", "total_orders_count", items, len(match))
}

func matchesSearch(o *Order, lowered string) bool {
	for _, f := range []string{o.Reference, o.ICCID, o.BundleCode, o.BundleMarketingName, o.Email} {
		if strings.Contains(strings.ToLower(f), lowered) {
			return true
		}
	}
	return false
}
