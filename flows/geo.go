package flows

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// country is a destination country with the names it is searched by.
type country struct {
	iso3, iso2 string
	names      []string // normalized names: in the user's language and English
}

// aliases are common names that are neither a code nor a display name.
// Keys are normalized (see fold).
var aliases = map[string]string{
	"usa": "USA", "america": "USA", "united states of america": "USA", "the states": "USA",
	"uk": "GBR", "britain": "GBR", "great britain": "GBR", "england": "GBR", "scotland": "GBR", "wales": "GBR",
	"emirates": "ARE", "uae": "ARE", "dubai": "ARE", "abu dhabi": "ARE",
	"holland": "NLD", "the netherlands": "NLD", "czechia": "CZE", "czech republic": "CZE",
	"korea": "KOR", "south korea": "KOR", "russia": "RUS", "turkiye": "TUR", "vatican": "VAT",
	"ivory coast": "CIV", "burma": "MMR", "persia": "IRN", "bali": "IDN", "hong kong": "HKG",
	"macau": "MAC", "taiwan": "TWN", "saudi": "SAU", "ksa": "SAU", "drc": "COD", "congo kinshasa": "COD",
	"congo brazzaville": "COG", "swaziland": "SWZ", "cape verde": "CPV", "east timor": "TLS",
}

// fold normalizes text for matching: no accents, lower case, letters and
// digits separated by single spaces.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = strings.ToLower(out)
	var b strings.Builder
	space := false
	for _, r := range out {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		} else {
			space = true
		}
	}
	return b.String()
}

// regionOf parses an ISO 3166 alpha-2 or alpha-3 country code.
func regionOf(code string) (language.Region, bool) {
	r, err := language.ParseRegion(strings.TrimSpace(code))
	if err != nil || !r.IsCountry() {
		return language.Region{}, false
	}
	return r, true
}

// iso3Of returns the alpha-3 code of an alpha-2 or alpha-3 code.
func iso3Of(code string) (string, bool) {
	r, ok := regionOf(code)
	if !ok {
		return "", false
	}
	return r.ISO3(), true
}

// flag returns the emoji flag of a country code, or "" if unknown.
func flag(code string) string {
	r, ok := regionOf(code)
	if !ok {
		return ""
	}
	iso2 := r.String()
	if len(iso2) != 2 {
		return ""
	}
	return string([]rune{0x1F1E6 + rune(iso2[0]-'A'), 0x1F1E6 + rune(iso2[1]-'A')})
}

// countryName returns a country's name in a language.
func countryName(code string, tag language.Tag) string {
	r, ok := regionOf(code)
	if !ok {
		return code
	}
	if n := regionNames(tag).Name(r); n != "" {
		return n
	}
	return display.English.Regions().Name(r)
}

// regionNames names regions in a language, or in English for a language
// x/text has no names in (display.Regions is nil then).
func regionNames(tag language.Tag) display.Namer {
	if n := display.Regions(tag); n != nil {
		return n
	}
	return display.English.Regions()
}

// gazetteers caches the searchable countries per language and set of
// available countries: building one folds some 500 names.
var gazetteers struct {
	sync.Mutex
	m map[string][]country
}

// gazetteerFor returns the (cached) searchable countries.
func gazetteerFor(available []string, tag language.Tag) []country {
	key := tag.String() + "|" + strings.Join(available, ",")
	gazetteers.Lock()
	g, ok := gazetteers.m[key]
	gazetteers.Unlock()
	if ok {
		return g
	}
	g = gazetteer(available, tag)
	gazetteers.Lock()
	defer gazetteers.Unlock()
	if gazetteers.m == nil || len(gazetteers.m) >= 64 { // a few languages × catalog changes
		gazetteers.m = map[string][]country{}
	}
	gazetteers.m[key] = g
	return g
}

// gazetteer builds the searchable countries among the ISO-3 codes available.
func gazetteer(available []string, tag language.Tag) []country {
	out := make([]country, 0, len(available))
	for _, code := range available {
		r, ok := regionOf(code)
		if !ok {
			continue
		}
		c := country{iso3: r.ISO3(), iso2: r.String()}
		for _, n := range []string{regionNames(tag).Name(r), display.English.Regions().Name(r)} {
			if f := fold(n); f != "" {
				c.names = append(c.names, f)
			}
		}
		out = append(out, c)
	}
	return out
}

// searchCountries finds the available countries (ISO-3 codes) that match
// a typed query: a code, an alias, a name in the user's language or in
// English, a name that starts with or contains it, or, only when no name
// does, a name with a small typo (see typoBudget). Exact matches come
// alone; otherwise up to limit matches, best first.
func searchCountries(query string, available []string, tag language.Tag, limit int) []string {
	q := fold(query)
	if q == "" {
		return nil
	}
	all := gazetteerFor(available, tag)
	if code, ok := codeOrAlias(q, all); ok {
		return []string{code}
	}
	hits := nameHits(q, all)
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		return hits[i].iso3 < hits[j].iso3
	})
	if len(hits) > 0 && hits[0].score == 100 && (len(hits) == 1 || hits[1].score < 100) {
		return []string{hits[0].iso3}
	}
	var out []string
	for _, h := range hits[:min(len(hits), limit)] {
		out = append(out, h.iso3)
	}
	return out
}

// codeOrAlias is the country a folded query names by its code (two or
// three letters) or by an alias, if it is among the countries.
func codeOrAlias(q string, all []country) (string, bool) {
	has := func(iso3 string) bool {
		return slices.ContainsFunc(all, func(c country) bool { return c.iso3 == iso3 })
	}
	if len(q) == 2 || len(q) == 3 {
		if iso3, ok := iso3Of(q); ok && has(iso3) && !strings.Contains(q, " ") {
			return iso3, true
		}
	}
	if a, ok := aliases[q]; ok && has(a) {
		return a, true
	}
	return "", false
}

// hit is a country a query matched, with how well (100 is its name).
type hit struct {
	iso3  string
	score int
}

// nameHits scores the countries whose names match a folded query: the
// name, a beginning or a part of it, or, only when no name has the text
// ("congo" is the two Congos, not also Mongolia), a typo of it.
func nameHits(q string, all []country) []hit {
	runes := utf8.RuneCountInString(q)
	hits := scoreNames(all, func(n string) int {
		switch {
		case n == q:
			return 100
		case strings.HasPrefix(n, q) && runes >= 3:
			return 80
		case strings.Contains(n, q) && runes >= 4:
			return 60
		}
		return -1
	})
	if budget := typoBudget(runes); len(hits) == 0 && budget > 0 {
		hits = scoreNames(all, func(n string) int { return typoScore(q, n, runes, budget) })
	}
	return hits
}

// typoScore scores a name that a query of n runes misspells: the whole
// name ("germny", "thialand"), or its beginning ("germn"); -1 for none.
func typoScore(q, name string, n, budget int) int {
	if d := editDistance(q, name, budget); d <= budget {
		return 50 - 10*d
	}
	if p := []rune(name); len(p) > n {
		if d := editDistance(q, string(p[:n]), budget); d <= budget {
			return 25 - 10*d
		}
	}
	return -1
}

// scoreNames scores every country by its best name (a negative score is
// no match).
func scoreNames(all []country, score func(name string) int) []hit {
	var hits []hit
	for _, c := range all {
		best := -1
		for _, n := range c.names {
			best = max(best, score(n))
		}
		if best >= 0 {
			hits = append(hits, hit{c.iso3, best})
		}
	}
	return hits
}

// typoBudget is how many edits (see editDistance: a letter added, dropped,
// changed, or two adjacent letters swapped) a query of n letters may carry
// and still match a name: none up to 4 letters, where one edit turns a
// word into another country ("chat" into Chad; "japn" is left unmatched
// too), 1 from 5 to 7 letters ("germny", "frnace"), 2 from 8
// ("swizerlnd").
func typoBudget(n int) int {
	switch {
	case n <= 4:
		return 0
	case n <= 7:
		return 1
	}
	return 2
}

// editDistance is the optimal string alignment distance of a and b (the
// Levenshtein distance, where swapping two adjacent letters also counts
// as one edit: "frnace" is one edit from "france"), or limit+1 as soon as
// it must exceed limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	// Rows i-2, i-1 and i of the distances between ra[:i] and rb[:j].
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		// A swap reaches back two rows, but costs no less than the
		// diagonal of the row before: a row past limit ends it.
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// mentionedCountries finds the countries among available (ISO-3 codes)
// that a sentence names, such as "is Japan covered?" or "Japon ?": whole
// names in the user's language or English, or aliases; a sentence that is
// only a name, a code or a typo of one is searched as such.
func mentionedCountries(text string, available []string, tag language.Tag) []string {
	q := " " + fold(text) + " "
	var out []string
	seen := map[string]bool{}
	add := func(code string) {
		if !seen[code] {
			seen[code] = true
			out = append(out, code)
		}
	}
	for _, c := range gazetteerFor(dedupe(available), tag) {
		for _, n := range c.names {
			if strings.Contains(q, " "+n+" ") {
				add(c.iso3)
				break
			}
		}
	}
	has := map[string]bool{}
	for _, c := range available {
		has[c] = true
	}
	for alias, code := range aliases {
		if has[code] && strings.Contains(q, " "+alias+" ") {
			add(code)
		}
	}
	if len(out) == 0 {
		for _, code := range searchCountries(text, available, tag, 3) {
			add(code)
		}
	}
	sort.Strings(out)
	return out
}

// dedupe returns codes without repeats, in their first order.
func dedupe(codes []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
