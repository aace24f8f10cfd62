package reseller_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/esimbot/esimbot/reseller"
)

// FuzzLPA builds activation strings from any order data: never prefixed
// twice, split back into the SM-DP+ address and matching ID they were
// built from, and carried unchanged by the one-tap install links.
func FuzzLPA(f *testing.F) {
	for _, seed := range [][3]string{
		{"smdp.example.com", "K2-ABC-123", ""},
		{"", "", "LPA:1$smdp.example.com$K2-ABC"},
		{"", "", "lpa:1$smdp.example.com$K2-ABC"},
		{"", "", "1$smdp.example.com$K2-ABC"},
		{"smdp.example.com", "", "K2-ABC"},
		{" smdp.example.com ", " M ", " "},
		{"", "", ""},
		{"a$b", "c", ""},
		{"rsp.example.com", "MATCH&ID=1+2 %", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, smdp, matching, code string) {
		lpa, err := reseller.LPA(smdp, matching, code)
		if err != nil {
			if !errors.Is(err, reseller.ErrNoActivationData) {
				t.Fatalf("LPA(%q, %q, %q): %v", smdp, matching, code, err)
			}
			return
		}
		if !strings.HasPrefix(lpa, "LPA:") {
			t.Fatalf("LPA(%q, %q, %q) = %q, without its prefix", smdp, matching, code, lpa)
		}
		c := strings.TrimSpace(code)
		twice := func(s string) bool { return strings.HasPrefix(strings.ToUpper(s), "LPA:LPA:") }
		if twice(lpa) && !twice(c) {
			t.Fatalf("LPA(%q, %q, %q) = %q: prefixed twice", smdp, matching, code, lpa)
		}
		// Built from its parts: they come back.
		s, m := strings.TrimSpace(smdp), strings.TrimSpace(matching)
		if m == "" {
			m = c
		}
		built := !(len(c) >= 4 && strings.EqualFold(c[:4], "LPA:")) && !strings.HasPrefix(c, "1$")
		if built && !strings.Contains(s+m, "$") {
			gs, gm, ok := reseller.SplitLPA(lpa)
			if !ok || gs != s || gm != m {
				t.Fatalf("SplitLPA(%q) = %q, %q, %v; want %q, %q", lpa, gs, gm, ok, s, m)
			}
		}
		if gs, gm, ok := reseller.SplitLPA(lpa); ok && (gs == "" || strings.Contains(gs+gm, "$")) {
			t.Fatalf("SplitLPA(%q) = %q, %q", lpa, gs, gm)
		}
		links := reseller.InstallLinksFor(lpa)
		for _, link := range []string{links.IOS, links.Android} {
			u, err := url.Parse(link)
			if err != nil || u.Scheme != "https" || u.Host == "" {
				t.Fatalf("link %q: %v", link, err)
			}
			if got := u.Query().Get("carddata"); got != lpa {
				t.Fatalf("link %q carries %q, want %q", link, got, lpa)
			}
		}
	})
}
