package sandbox

import (
	"net/http"
	"net/url"
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
	f, rep := parseOrderFilter(q)
	if rep != nil {
		return *rep
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var match []*Order
	for i := len(s.orders) - 1; i >= 0; i-- {
		if o := s.orders[i]; f.matches(o) {
			match = append(match, o)
		}
	}
	sort.SliceStable(match, func(i, j int) bool { return match[i].CreatedAt.After(match[j].CreatedAt) })
	items := make([]orderJSON, 0, pg.size)
	for _, o := range paginate(match, pg) {
		items = append(items, s.orderJSON(o, now))
	}
	return list(s, "orders", "total_orders_count", items, len(match))
}

// orderFilter is what a listing of orders asks for; an empty field asks
// for nothing.
type orderFilter struct {
	ref      string // the order reference
	from, to string // the first and last days, YYYY-MM-DD
	global   string // "true" or "false": whether Global eSIM
	search   string // lowered text of a field (see matchesSearch)
}

// parseOrderFilter reads an orderFilter from a listing's query.
func parseOrderFilter(q url.Values) (orderFilter, *reply) {
	f := orderFilter{ref: q.Get("order_reference"), search: strings.ToLower(q.Get("search"))}
	for _, d := range []struct {
		name string
		v    *string
	}{{"from_date", &f.from}, {"to_date", &f.to}} {
		v := q.Get(d.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return orderFilter{}, badRequest(d.name + " must be a date (YYYY-MM-DD)")
		}
		*d.v = t.Format(time.DateOnly)
	}
	if v := q.Get("global_esim"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return orderFilter{}, badRequest("global_esim must be true or false")
		}
		f.global = strconv.FormatBool(b)
	}
	return f, nil
}

// matches reports whether o is one of the orders f asks for.
func (f orderFilter) matches(o *Order) bool {
	day := o.CreatedAt.UTC().Format(time.DateOnly)
	return (f.ref == "" || o.Reference == f.ref) &&
		(f.from == "" || day >= f.from) &&
		(f.to == "" || day <= f.to) &&
		(f.global == "" || strconv.FormatBool(o.ProfileType == ProfileGlobalESIM) == f.global) &&
		(f.search == "" || matchesSearch(o, f.search))
}

func matchesSearch(o *Order, lowered string) bool {
	for _, f := range []string{o.Reference, o.ICCID, o.BundleCode, o.BundleMarketingName, o.Email} {
		if strings.Contains(strings.ToLower(f), lowered) {
			return true
		}
	}
	return false
}
