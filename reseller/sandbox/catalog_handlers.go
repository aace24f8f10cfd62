package sandbox

import (
	"net/http"
	"net/url"
	"strings"
)

// Handlers of the catalog: bundles, networks, countries and regions.
// visible reports whether b may be listed or sold now. The caller holds s.mu.

func (s *Server) visible(b *Bundle) bool {
	return b.Available && (b.ProfileType == ProfileStandard || s.showGlobal)
}

// typeFilter reads profile_type and iccid and returns a predicate over
// profile types. The caller holds s.mu.
func (s *Server) typeFilter(q url.Values) (func(string) bool, *reply) {
	pt := q.Get("profile_type")
	switch pt {
	case "", ProfileStandard:
	case ProfileGlobalESIM:
		if !s.showGlobal {
			return nil, featureNotSupported()
		}
	default:
		return nil, badRequest("profile_type must be STANDARD or GLOBAL_ESIM")
	}
	var fromICCID string
	if iccid := q.Get("iccid"); iccid != "" {
		p, ok := s.profiles[iccid]
		if !ok {
			return nil, profileNotFound()
		}
		fromICCID = p.profileType
	}
	return func(t string) bool {
		return (pt == "" || t == pt) && (fromICCID == "" || t == fromICCID)
	}, nil
}

func (s *Server) listBundles(r *http.Request) reply {
	q := r.URL.Query()
	pg, rep := parsePage(q)
	if rep != nil {
		return *rep
	}
	category := q.Get("bundle_category")
	switch category {
	case "", CategoryCountry, CategoryRegion, CategoryGlobal, CategoryCruise:
	default:
		return *badRequest("bundle_category must be one of global, region, country, cruise")
	}
	countryCode := strings.ToUpper(q.Get("country_code"))
	regionCode := strings.ToUpper(q.Get("region_code"))

	s.mu.Lock()
	defer s.mu.Unlock()
	typeOK, rep := s.typeFilter(q)
	if rep != nil {
		return *rep
	}
	var match []*Bundle
	for _, b := range s.cat.bundles {
		if !s.visible(b) || !typeOK(b.ProfileType) ||
			(category != "" && b.Category != category) ||
			(regionCode != "" && b.RegionCode != regionCode) ||
			(countryCode != "" && !covers(b, countryCode)) {
			continue
		}
		match = append(match, b)
	}
	return s.bundleList(match, pg)
}

func covers(b *Bundle, iso3 string) bool {
	for _, c := range b.Countries {
		if c == iso3 {
			return true
		}
	}
	return false
}

// bundleList answers a page of bundles. The caller holds s.mu.
func (s *Server) bundleList(match []*Bundle, pg page) reply {
	items := make([]bundleJSON, 0, pg.size)
	for _, b := range paginate(match, pg) {
		items = append(items, s.bundleJSON(b))
	}
	return list(s, "bundles", "total_bundles_count", items, len(match))
}

func (s *Server) listNetworks(r *http.Request) reply {
	code := r.URL.Query().Get("bundle_code")
	if code == "" {
		return *badRequest("bundle_code is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.cat.byCode[code]
	if !ok {
		return errorReply(http.StatusNotFound, "Not Found", "Bundle not found")
	}
	var items []networkJSON
	for _, n := range s.cat.networksOf(b) {
		items = append(items, networkJSON{CountryCode: n.CountryCode, CountryName: n.CountryName, NetworkName: n.Name, NetworkSpeed: n.Speed})
	}
	return list(s, "networks", "", items, len(items))
}

// coverageBundles returns the visible country and region bundles whose
// profile type passes typeOK. The caller holds s.mu.
func (s *Server) coverageBundles(typeOK func(string) bool) []*Bundle {
	var out []*Bundle
	for _, b := range s.cat.bundles {
		if s.visible(b) && typeOK(b.ProfileType) && (b.Category == CategoryCountry || b.Category == CategoryRegion) {
			out = append(out, b)
		}
	}
	return out
}

func (s *Server) listCountries(r *http.Request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	typeOK, rep := s.typeFilter(r.URL.Query())
	if rep != nil {
		return *rep
	}
	covered := map[string]bool{}
	for _, b := range s.coverageBundles(typeOK) {
		for _, c := range b.Countries {
			covered[c] = true
		}
	}
	var items []countryJSON
	for _, c := range s.cat.countries {
		if covered[c.iso3] {
			items = append(items, countryJSON{CountryCode: c.iso3, ISO2Code: c.iso2, CountryName: c.name, RegionCode: c.region})
		}
	}
	return list(s, "countries", "", items, len(items))
}

func (s *Server) listRegions(r *http.Request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	typeOK, rep := s.typeFilter(r.URL.Query())
	if rep != nil {
		return *rep
	}
	covered := map[string]bool{}
	for _, b := range s.coverageBundles(typeOK) {
		covered[b.RegionCode] = true
	}
	var items []regionJSON
	for _, rg := range regions {
		if covered[rg.code] {
			items = append(items, regionJSON{RegionCode: rg.code, RegionName: rg.name})
		}
	}
	return list(s, "regions", "", items, len(items))
}
