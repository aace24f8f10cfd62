package flows

import (
	"testing"

	"golang.org/x/text/language"
)

// TestCountryNamesWithoutDisplayNames: a language x/text has no display
// names for (the root, a private-use tag) gets the English names, and a
// search in it finds countries by them.
func TestCountryNamesWithoutDisplayNames(t *testing.T) {
	for _, s := range []string{"und", "qaa", "x-foo"} {
		t.Run(s, func(t *testing.T) {
			tag := language.MustParse(s)
			if got := countryName("FRA", tag); got != "France" {
				t.Errorf("countryName(FRA, %s) = %q, want France", s, got)
			}
			if got := searchCountries("france", []string{"FRA", "DEU"}, tag, 5); len(got) != 1 || got[0] != "FRA" {
				t.Errorf("searchCountries(france, %s) = %v, want [FRA]", s, got)
			}
		})
	}
}
