package flows

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/language"
)

func TestParsePress(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		want press
	}{
		{"a.buy", true, press{stamp: 10, act: actBuy}},
		{"1z.c.FRA", true, press{stamp: 71, act: actCountry, arg: "FRA"}},
		{"g.usage.8988377328105895732", true, press{global: true, act: actUsage, arg: "8988377328105895732"}},
		{"g.qr.EB-ABC.DEF", true, press{global: true, act: actQR, arg: "EB-ABC.DEF"}},
		{"", false, press{}},
		{"buy", false, press{}},
		{"a.", false, press{}},
		{"a.b.", false, press{}},
		{"a.explode", false, press{}},        // no such action
		{"zzzzzzzzzzzz.buy", false, press{}}, // stamp overflows 32 bits
		{"a.buy/../../etc", false, press{}},
		{"a.b.<script>", false, press{}},
		{"a.b.é", false, press{}},
		{"a.b." + strings.Repeat("x", 61), false, press{}},
		{"-1.buy", false, press{}},
		{"0.menu", false, press{}}, // stamp 0 is never given
		{"A.buy", false, press{}},  // stamps are written in lower case
	} {
		got, ok := parsePress(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parsePress(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	// What we build, we read back.
	for _, p := range []press{{stamp: 1, act: actMenu}, {stamp: 1<<32 - 1, act: actBundle, arg: "5"}, {global: true, act: actUsage, arg: "89012345678901234567"}} {
		d := p.data()
		if len(d) > maxData {
			t.Errorf("%q longer than %d bytes", d, maxData)
		}
		if got, ok := parsePress(d); !ok || got != p {
			t.Errorf("parsePress(%q) = %+v, %v; want %+v", d, got, ok, p)
		}
	}
}

func TestSearchCountries(t *testing.T) {
	avail := []string{"FRA", "DEU", "USA", "GBR", "ARE", "JPN", "ESP", "CIV", "ZAF", "NLD", "GUF", "PYF", "ATF", "THA"}
	for _, tc := range []struct {
		q, lang string
		want    []string
	}{
		{"France", "en", []string{"FRA"}},
		{"  fRaNcE ", "en", []string{"FRA"}},
		{"fr", "en", []string{"FRA"}},
		{"FRA", "en", []string{"FRA"}},
		{"jp", "en", []string{"JPN"}},
		{"USA", "en", []string{"USA"}},
		{"uk", "en", []string{"GBR"}},
		{"Emirates", "en", []string{"ARE"}},
		{"germny", "en", []string{"DEU"}},    // typo
		{"Allemagne", "fr", []string{"DEU"}}, // French name
		{"allemagne", "en", nil},             // French name for an English user
		{"Émirats arabes unis", "fr", []string{"ARE"}},
		{"emirats arabes unis", "fr", []string{"ARE"}}, // without accents
		{"Japon", "fr", []string{"JPN"}},
		{"ألمانيا", "ar", []string{"DEU"}},
		{"Côte d’Ivoire", "en", []string{"CIV"}},
		{"cote divoire", "en", []string{"CIV"}},
		{"ivory coast", "en", []string{"CIV"}},
		{"Atlantis", "en", nil},
		{"", "en", nil},
		{"!!!", "en", nil},
		{"IT", "en", nil}, // Italy has no bundle here
	} {
		got := searchCountries(tc.q, avail, language.MustParse(tc.lang), 6)
		if !slices.Equal(got, tc.want) {
			t.Errorf("searchCountries(%q, %s) = %v, want %v", tc.q, tc.lang, got, tc.want)
		}
	}
	// A prefix shared by several countries lists them all.
	got := searchCountries("fren", avail, language.English, 6)
	for _, want := range []string{"GUF", "PYF", "ATF"} {
		if !slices.Contains(got, want) {
			t.Errorf("searchCountries(fren) = %v, lacks %s", got, want)
		}
	}
	if got := searchCountries("united", avail, language.English, 6); len(got) < 3 {
		t.Errorf("searchCountries(united) = %v, want the Uniteds", got)
	}
}

// TestSearchCountriesTypos: a typo is matched only when no name starts
// with or contains the query, within typoBudget, among all the countries
// of the world (every current ISO 3166 code, as a full catalog has them).
func TestSearchCountriesTypos(t *testing.T) {
	var world []string
	seen := map[string]bool{}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			r, err := language.ParseRegion(string([]rune{a, b}))
			if err != nil || !r.IsCountry() || r.Canonicalize() != r || seen[r.ISO3()] {
				continue // not a country, or a withdrawn code (DD, ZR)
			}
			seen[r.ISO3()] = true
			world = append(world, r.ISO3())
		}
	}
	if len(world) < 240 {
		t.Fatalf("only %d countries; is the list broken?", len(world))
	}
	for _, tc := range []struct {
		q, lang string
		want    []string
	}{
		{"congo", "en", []string{"COD", "COG"}}, // both Congos start with it; Mongolia is only a typo away
		{"Congo", "fr", []string{"COD", "COG"}},
		{"mongo", "en", []string{"MNG"}},
		{"germny", "en", []string{"DEU"}},     // one edit, 6 letters
		{"germn", "en", []string{"DEU"}},      // one edit in the beginning of "germany"
		{"thail", "en", []string{"THA"}},      // a beginning, no typo
		{"philipines", "en", []string{"PHL"}}, // one edit, 10 letters
		{"thialand", "en", []string{"THA"}},   // a swap is one edit
		{"frnace", "en", []string{"FRA"}},
		{"spian", "en", []string{"ESP"}},
		{"swizerlnd", "en", []string{"CHE"}}, // two edits, 9 letters
		{"japn", "en", nil},                  // 4 letters: no typo matching
		{"chat", "en", nil},                  // not Chad
		{"peru", "en", []string{"PER"}},
		{"atlantis", "en", nil},
	} {
		got := searchCountries(tc.q, world, language.MustParse(tc.lang), 6)
		if !slices.Equal(got, tc.want) {
			t.Errorf("searchCountries(%q, %s) = %v, want %v", tc.q, tc.lang, got, tc.want)
		}
	}
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"france", "france", 0}, {"frnace", "france", 1}, {"germny", "germany", 1},
		{"thialand", "thailand", 1}, {"abc", "ca", 3}, {"ab", "ba", 1}, {"مصر", "مضر", 1},
	} {
		if got := editDistance(tc.a, tc.b, 5); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if got := editDistance("frnace", "italy", 1); got != 2 {
		t.Errorf("editDistance(frnace, italy, limit 1) = %d, want 2 (limit+1)", got)
	}
	for n, want := range map[int]int{1: 0, 4: 0, 5: 1, 7: 1, 8: 2, 20: 2} {
		if got := typoBudget(n); got != want {
			t.Errorf("typoBudget(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestFlag(t *testing.T) {
	for in, want := range map[string]string{"FRA": "🇫🇷", "fr": "🇫🇷", "JPN": "🇯🇵", "XXX": "", "": "", "150": ""} {
		if got := flag(in); got != want {
			t.Errorf("flag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckEmail(t *testing.T) {
	for in, want := range map[string]string{
		"ada@example.com":            "ada@example.com",
		" Ada.Lovelace@Example.COM ": "Ada.Lovelace@example.com",
		"a+tag@sub.example.co.uk":    "a+tag@sub.example.co.uk",
	} {
		got, err := checkEmail(in)
		if err != nil || got != want {
			t.Errorf("checkEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ada", "ada@", "@example.com", "ada@example", "ada@example.c", "ada@exa mple.com",
		"Ada <ada@example.com>", "ada@@example.com", "ada..x@example.com", ".ada@example.com", "ada@-example.com",
		"ada@example.123", "ada@exam_ple.com", "<script>@x.com", strings.Repeat("a", 65) + "@example.com",
		"ada@" + strings.Repeat("a", 250) + ".com", "ada@exa\nmple.com", "a\"b@example.com"} {
		if _, err := checkEmail(bad); !errors.Is(err, errEmail) {
			t.Errorf("checkEmail(%q) accepted", bad)
		}
	}
}

func TestCheckName(t *testing.T) {
	for in, want := range map[string]string{
		"Ada Lovelace":       "Ada Lovelace",
		"  Ada   Lovelace  ": "Ada Lovelace",
		"Jean-Luc O'Neil":    "Jean-Luc O'Neil",
		"José Álvarez":       "José Álvarez",
		"محمد علي":           "محمد علي",
		"Dr. Li":             "Dr. Li",
	} {
		got, err := checkName(in)
		if err != nil || got != want {
			t.Errorf("checkName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]error{
		"A":                            errNameLength,
		strings.Repeat("a", 65):        errNameLength,
		"1234":                         errNameChars,
		"Ada\u202Eecalevol":            errNameChars, // right-to-left override
		"Ada\u2066x":                   errNameChars, // isolate
		"Ada\x00Lovelace":              errNameChars,
		"Ada\tLovelace":                errNameChars,
		"Ada <b>":                      errNameChars,
		"Ada 😀":                        errNameChars,
		"--":                           errNameChars,
		"Ada\u200bLovelace":            errNameChars, // zero-width space (format)
		string([]byte{0xff, 'A', 'B'}): errNameChars,
	} {
		if _, err := checkName(in); !errors.Is(err, want) {
			t.Errorf("checkName(%q) = %v, want %v", in, err, want)
		}
	}
}

func TestCheckPhone(t *testing.T) {
	for _, tc := range []struct{ in, lang, want string }{
		{"+33 6 12 34 56 78", "en", "+33612345678"},
		{"0033612345678", "en", "+33612345678"},
		{"+1 (415) 555-2671", "en", "+14155552671"},
		{"06 12 34 56 78", "fr-FR", "+33612345678"},
		{"+220 700 0000", "en", "+2207000000"},
		// Arabic-Indic and Persian digits, as Arabic and Persian keyboards type them.
		{"+٣٣ ٦ ١٢ ٣٤ ٥٦ ٧٨", "ar", "+33612345678"},
		{"٠٠٣٣ ٦ ١٢ ٣٤ ٥٦ ٧٨", "ar", "+33612345678"},
		{"٠٠٩٦٦٥٠١٢٣٤٥٦٧", "ar", "+966501234567"},
		{"۰۶ ۱۲ ۳۴ ۵۶ ۷۸", "fr-FR", "+33612345678"},
		{"+٩٧١-٥٠-١٢٣-٤٥٦٧", "ar", "+971501234567"},
		{"+33.6.12.34.56.78", "en", "+33612345678"},
	} {
		got, err := checkPhone(tc.in, tc.lang)
		if err != nil || got != tc.want {
			t.Errorf("checkPhone(%q, %s) = %q, %v; want %q", tc.in, tc.lang, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in, lang string
		want     error
	}{
		{"06 12 34 56 78", "fr", errPhoneCountry},
		{"0612345678", "", errPhoneCountry},
		{"٠٦١٢٣٤٥٦٧٨", "ar", errPhoneCountry},
		{"+33 12", "en", errPhoneInvalid},
		{"call me", "en", errPhoneInvalid},
		{"+1 555 000 0000 0000 0000 0000 00000", "en", errPhoneInvalid},
		{"", "en", errPhoneInvalid},
	} {
		if _, err := checkPhone(tc.in, tc.lang); !errors.Is(err, tc.want) {
			t.Errorf("checkPhone(%q, %s) = %v, want %v", tc.in, tc.lang, err, tc.want)
		}
	}
	if got := contactPhone("33612345678"); got != "+33612345678" {
		t.Errorf("contactPhone = %q", got)
	}
}

func TestLatinDigits(t *testing.T) {
	for in, want := range map[string]string{
		"٠١٢٣٤٥٦٧٨٩": "0123456789", "۰۱۲۳۴۵۶۷۸۹": "0123456789", "０１２９": "0129", "०१२९": "0129",
		"+٣٣ ٦": "+33 6", "abc 123": "abc 123", "𝟎𝟗": "09", "": "",
	} {
		if got := latinDigits(in); got != want {
			t.Errorf("latinDigits(%q) = %q, want %q", in, got, want)
		}
	}
	// digitValue counts from the start of each range of the Nd table: each
	// is whole scripts' runs of ten digits.
	for _, rg := range unicode.Nd.R16 {
		if rg.Stride != 1 || (rg.Hi-rg.Lo+1)%10 != 0 {
			t.Errorf("Nd range %#x-%#x is not runs of ten digits", rg.Lo, rg.Hi)
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rg.Stride != 1 || (rg.Hi-rg.Lo+1)%10 != 0 {
			t.Errorf("Nd range %#x-%#x is not runs of ten digits", rg.Lo, rg.Hi)
		}
	}
}

func TestCanMove(t *testing.T) {
	states := []SaleState{SaleConfirmed, SalePaid, SaleAssigning, SaleAssigned, SaleDelivered, SaleFailed}
	allowed := map[[2]SaleState]bool{
		{SaleConfirmed, SalePaid}: true, {SaleConfirmed, SaleAssigning}: true, {SaleConfirmed, SaleFailed}: true,
		{SalePaid, SaleAssigning}: true, {SalePaid, SaleFailed}: true,
		{SaleAssigning, SaleAssigned}: true, {SaleAssigning, SaleFailed}: true,
		{SaleAssigned, SaleDelivered}: true, {SaleAssigned, SaleFailed}: true, {SaleDelivered, SaleDelivered}: true,
	}
	for _, from := range states {
		for _, to := range states {
			if got := CanMove(from, to); got != allowed[[2]SaleState{from, to}] {
				t.Errorf("CanMove(%s, %s) = %v", from, to, got)
			}
		}
	}
	s := Sale{Ref: "R", State: SaleDelivered}
	if err := s.MoveTo(SaleAssigning, s.Created); !errors.Is(err, ErrBadTransition) {
		t.Errorf("delivered → assigning: %v", err)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"germany", "germny", 2, 1}, {"kitten", "sitting", 3, 3}, {"abc", "abc", 0, 0}, {"abc", "xyzabc", 2, 3}, {"", "ab", 2, 2},
	} {
		if got := editDistance(tc.a, tc.b, tc.limit); got != tc.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
	}
}

func TestSupportParts(t *testing.T) {
	for _, text := range []string{"short", strings.Repeat("x", 7000), strings.Repeat("word ", 1500), strings.Repeat("é", 3000) + "   " + strings.Repeat(" ", 3000) + "end"} {
		parts := supportParts(text, 3000)
		for _, p := range parts {
			if n := len([]rune(p)); n > 3000 || n == 0 {
				t.Errorf("a part of %d characters", n)
			}
		}
		if got, want := strings.Join(strings.Fields(strings.Join(parts, "")), ""), strings.Join(strings.Fields(text), ""); got != want {
			t.Errorf("parts of a %d-character text lose some of it: %d characters, want %d", len(text), len(got), len(want))
		}
	}
}

// TestPhoneText: a phone number in Arabic gets a left-to-right mark before
// it (the summary showed "+٣٣…" bare, which right-to-left text may turn
// around); in English it is as typed.
func TestPhoneText(t *testing.T) {
	if got := phoneText(testCatalog.For("ar"), "+33612345678"); got != "\u200e+٣٣٦١٢٣٤٥٦٧٨" {
		t.Errorf("ar: %q", got)
	}
	if got := phoneText(testCatalog.For("en"), "+33612345678"); got != "+33612345678" {
		t.Errorf("en: %q", got)
	}
}
