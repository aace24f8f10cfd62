package flows

import (
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/esimbot/esimbot/locales"
)

// validDataPart reports whether s may be an action or argument of button
// data as flows builds them.
func validDataPart(s string, dots bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || dots && c == '.') {
			return false
		}
	}
	return true
}

// FuzzButtonData reads any callback data (it comes back from Telegram as
// the client sent it) and builds data from any parts: parsePress never
// panics, accepts nothing over 64 bytes or with an unknown action, reads
// what press.data builds, and what it reads builds data that reads the
// same; a screen's stamp never reads as a global button.
func FuzzButtonData(f *testing.F) {
	for _, seed := range []struct {
		s      string
		stamp  uint32
		act    uint8
		arg    string
		global bool
	}{
		{"a.buy", 10, 2, "", false},
		{"1z.c.FRA", 71, 7, "FRA", false},
		{"g.usage.8988377328105895732", 0, 4, "8988377328105895732", true},
		{"g.qr.EB-ABC.DEF", 0, 23, "EB-ABC.DEF", true},
		{"zzzzzzzzzzzz.buy", 4294967295, 14, "5", false},
		{"a.b.<script>", 1, 14, "é", false},
		{"00A.x", 3, 0, "x", false},
		{"G.buy", 16, 2, "", false},
	} {
		f.Add(seed.s, seed.stamp, seed.act, seed.arg, seed.global)
	}
	known := make([]action, 0, len(actions))
	for a := range actions {
		known = append(known, a)
	}
	slices.Sort(known)
	f.Fuzz(func(t *testing.T, s string, stamp uint32, act uint8, arg string, global bool) {
		if p, ok := parsePress(s); ok {
			if len(s) > maxData || !actions[p.act] || (!p.global && (p.stamp == 0 || p.stamp == globalStamp)) {
				t.Fatalf("parsePress(%q) = %+v", s, p)
			}
			if q, ok := parsePress(p.data()); !ok || q != p {
				t.Fatalf("parsePress(%q) = %+v, built %q, read %+v, %v", s, p, p.data(), q, ok)
			}
		}
		if !global && (stamp == 0 || stamp == globalStamp) {
			stamp = stampAfter(stamp) // what the engine would use
		}
		if arg != "" && !validDataPart(arg, true) {
			return
		}
		want := press{global: global, act: known[int(act)%len(known)], arg: arg}
		if !global {
			want.stamp = stamp
		}
		d := want.data()
		if len(d) > maxData {
			t.Fatalf("%q is %d bytes", d, len(d))
		}
		head := "g"
		if !global {
			head = strconv.FormatUint(uint64(stamp), 36)
		}
		if len(head)+1+len(want.act)+1+len(arg) > maxData {
			return // too long to build: cut, and refused when read
		}
		if p, ok := parsePress(d); !ok || p != want {
			t.Fatalf("data %q built from %+v reads %+v, %v", d, want, p, ok)
		}
	})
}

func TestStampNeverReadsAsGlobal(t *testing.T) {
	if s := stampAfter(globalStamp - 1); s != globalStamp+1 {
		t.Errorf("stampAfter(%d) = %d, want %d", globalStamp-1, s, globalStamp+1)
	}
	if s := stampAfter(^uint32(0)); s != 1 {
		t.Errorf("stampAfter(max) = %d, want 1", s)
	}
	for range 1000 {
		if s := newStamp(); s == 0 || s == globalStamp {
			t.Fatalf("newStamp() = %d", s)
		}
	}
	for _, d := range []string{"g.menu", "G.menu", "0.menu"} {
		if p, ok := parsePress(d); ok && !p.global {
			t.Errorf("%q reads as a screen's button %+v", d, p)
		}
	}
}

// FuzzCheckEmail: any text; an accepted address is one plain address of
// at most 254 bytes without spaces or control characters, and is accepted
// again as it is.
func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"ada@example.com", " Ada@Example.COM ", "a..b@x.io", "a@b", "\"a b\"@x.io", "a@x.io>", "ä@x.io", "a@xn--e1afmkfd.xn--p1ai", "a@-x.io", "Ada <ada@example.com>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := checkEmail(s)
		if err != nil {
			return
		}
		if len(got) > 254 || strings.Count(got, "@") < 1 || strings.IndexFunc(got, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
		}) >= 0 {
			t.Fatalf("checkEmail(%q) = %q", s, got)
		}
		if a, err := mail.ParseAddress(got); err != nil || a.Address != got {
			t.Fatalf("checkEmail(%q) = %q, which mail reads as %v, %v", s, got, a, err)
		}
		if again, err := checkEmail(got); err != nil || again != got {
			t.Fatalf("checkEmail(%q) = %q, then %q, %v", s, got, again, err)
		}
	})
}

// FuzzCheckName: an accepted name has 2 to 64 characters, a letter, no
// digit, control, format (bidi) character or doubled space, and is
// accepted again as it is.
func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"Ada Lovelace", "  Jean-Luc   Picard ", "O'Brien", "محمد", "A", "R2D2", "Ada\u202eLovelace", "José María", "a\u0301b", "..", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := checkName(s)
		if err != nil {
			return
		}
		n := utf8.RuneCountInString(got)
		if n < 2 || n > 64 || !utf8.ValidString(got) || got != strings.TrimSpace(got) || strings.Contains(got, "  ") ||
			strings.IndexFunc(got, unicode.IsLetter) < 0 ||
			strings.IndexFunc(got, func(r rune) bool {
				return unicode.IsDigit(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || isBidiControl(r)
			}) >= 0 {
			t.Fatalf("checkName(%q) = %q", s, got)
		}
		if again, err := checkName(got); err != nil || again != got {
			t.Fatalf("checkName(%q) = %q, then %q, %v", s, got, again, err)
		}
	})
}

// FuzzCheckPhone: an accepted number is E.164 (a '+' and 8 to 15
// digits) and is accepted again as it is, in any language.
func FuzzCheckPhone(f *testing.F) {
	for _, s := range [][2]string{{"+33 6 12 34 56 78", "en"}, {"06 12 34 56 78", "fr-FR"}, {"0033612345678", "en"}, {"612345678", "fr"},
		{"+1 (415) 555-0100", "en-US"}, {"+2207000000", ""}, {"+999", "en"}, {"+33 6 12 34 56 78 ext. 9", "en"}, {"٠٦١٢٣٤٥٦٧٨", "ar-EG"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, lang string) {
		got, err := checkPhone(s, lang)
		if err != nil {
			return
		}
		digits := strings.TrimPrefix(got, "+")
		if !strings.HasPrefix(got, "+") || len(digits) < 7 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("checkPhone(%q, %q) = %q", s, lang, got)
		}
		if again, err := checkPhone(got, ""); err != nil || again != got {
			t.Fatalf("checkPhone(%q, %q) = %q, then %q, %v", s, lang, got, again, err)
		}
		_ = contactPhone(s)
	})
}

// searchAvailable are the destinations FuzzSearchCountries searches.
var searchAvailable = []string{"FRA", "DEU", "USA", "GBR", "ARE", "JPN", "ESP", "CIV", "ZAF", "NLD", "GUF", "PYF", "ATF", "THA",
	"COD", "COG", "MNG", "ITA", "CHE", "TUR", "EGY", "MAR", "BRA", "CAN", "AUS", "IND", "CHN", "KOR", "SAU", "QAT"}

// FuzzSearchCountries: any typed text in any language of the catalog
// gives at most the limit of destinations, all available, none twice.
// (The engine searches in the catalog's languages only: display has no
// names for some tags, "cr" for one, and the search would panic.)
func FuzzSearchCountries(f *testing.F) {
	langs := locales.MustNew().Languages()
	for _, s := range [][2]string{{"france", "en"}, {"germny", "en"}, {"Allemagne", "fr"}, {"ألمانيا", "ar"}, {"cote divoire", "en"},
		{"congo", "en"}, {"uk", "en"}, {"FRA", "xx"}, {"  ", "en"}, {"ü\u0308", "de"}, {"swizerlnd", "en"}} {
		f.Add(s[0], s[1], uint8(6))
	}
	f.Fuzz(func(t *testing.T, q, lang string, limit uint8) {
		tag := langs[len(lang)%len(langs)]
		if t, err := language.Parse(lang); err == nil && slices.Contains(langs, t) {
			tag = t
		}
		n := 1 + int(limit)%10
		got := searchCountries(q, searchAvailable, tag, n)
		if len(got) > n {
			t.Fatalf("%q: %d results, limit %d", q, len(got), n)
		}
		seen := map[string]bool{}
		for _, c := range got {
			if !slices.Contains(searchAvailable, c) || seen[c] {
				t.Fatalf("%q gives %v", q, got)
			}
			seen[c] = true
		}
	})
}
