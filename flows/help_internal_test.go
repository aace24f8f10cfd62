package flows

import (
	"slices"
	"strings"
	"testing"
)

// helpCases are the transitions of the help centre and the support desk.
func helpCases() []transitionCase {
	neverBought := func(f loaded) { f[needESIMs] = result{v: []esim(nil)} }
	return []transitionCase{
		{name: "HelpMenu", step: stepHelp, ev: typed("france"), want: stepBundles, effects: "show"},
		{name: "Back", step: stepHelp, ev: tap(actBack), want: stepMenu, effects: "show"},
		{name: "Back", step: stepHelpIPhone, ev: tap(actBack), want: stepHelp, effects: "show"},
		{name: "Back", step: stepHelpAndroid, ev: tap(actBack), want: stepHelp, effects: "show"},
		{name: "Back", step: stepHelpNoData, ev: tap(actBack), want: stepHelp, effects: "show"},
		{name: "Back", step: stepHelpValidity, ev: tap(actBack), want: stepHelp, effects: "show"},
		{name: "Back", step: stepHelpTerms, ev: tap(actBack), want: stepHelp, effects: "show"},
		{name: "Back", step: stepHelpDevice, ev: tap(actBack), want: stepHelp, effects: "show"},
		{name: "BackToTheSummary", step: stepHelpDevice, draft: detailed, ev: tap(actBack), want: stepSummary, effects: "show"},
		{name: "Found", step: stepHelpDevice, ev: typed("iphone 13"), want: stepHelpDevice, effects: "say device_found"},
		{name: "Many", step: stepHelpDevice, ev: typed("pixel"), want: stepHelpDevice, effects: "say device_many"},
		{name: "NotFound", step: stepHelpDevice, ev: typed("Nokia 3310"), want: stepHelpDevice, effects: "say device_not_found"},
		{name: "Short", step: stepHelpDevice, ev: typed("?"), want: stepHelpDevice, effects: "say device_short"},
		{name: "WriteWithoutADesk", step: stepSupport, ev: typed("where is my eSIM?"), want: stepSupport, effects: "say support_contact_none"},
		{name: "MediaWithoutADesk", step: stepSupport, ev: media(7, "the error"), want: stepSupport, effects: "say support_contact_none"},
		{name: "LocationWithoutADesk", step: stepSupport, ev: typed(""), want: stepSupport, effects: "say support_contact_none"},
		{name: "MediaOutOfPlace", step: stepMenu, ev: media(7, "france"), want: stepMenu, effects: "say hint_unexpected show"},

		{name: "GlobalHelp", step: stepMenu, ev: global(actHelp, ""), want: stepHelp, effects: "show"},
		{name: "GlobalHelpPage", step: stepSummary, draft: detailed, ev: global(actHelp, "device"), want: stepHelpDevice, effects: "show"},
		{name: "GlobalHelpNoPage", step: stepMenu, ev: global(actHelp, "ufo"), want: stepMenu, effects: "stale show"},
		{name: "GlobalESIMs", step: stepMenu, ev: global(actESIMs, ""), want: stepESIMs, effects: "show"},
		{name: "GlobalSupport", step: stepMenu, ev: global(actSupport, ""), want: stepMenu, effects: "say support_contact_none"},
		{name: "GlobalPhoneOK", step: stepMenu, ev: global(actPhoneOK, ""), want: stepMenu, effects: "toast esim_check_yes"},
		{name: "SkipNeverBought", step: stepWhatsApp, draft: detailed, fix: neverBought, ev: tap(actSkip), want: stepSummary,
			effects: "say whatsapp_skipped asked esim say esim_check show"},
		{name: "SkipNeverBoughtAsAgent", step: stepWhatsApp, draft: detailed, agent: true, fix: neverBought, ev: tap(actSkip),
			want: stepSummary, effects: "show"},
	}
}

// TestFindDevices: the search of the device list forgives case, spaces
// and punctuation, names the model meant, and finds nothing for a model
// the list lacks.
func TestFindDevices(t *testing.T) {
	for _, tc := range []struct {
		q, exact string
		some     []string // among the models found
		none     bool
	}{
		{q: "iPhone 13", exact: "Apple iPhone 13", some: []string{"Apple iPhone 13 Pro", "Apple iPhone 13 mini"}},
		{q: "  iphone13PRO  max ", exact: "Apple iPhone 13 Pro Max"},
		{q: "GALAXY s-23 ultra", exact: "Samsung Galaxy S23 Ultra"},
		{q: "samsung galaxy s23", exact: "Samsung Galaxy S23", some: []string{"Samsung Galaxy S23 FE"}},
		{q: "Galaxy S24 plus", exact: "Samsung Galaxy S24+"},
		{q: "iphone 15plus", exact: "Apple iPhone 15 Plus"},
		{q: "pixel 8", exact: "Google Pixel 8", some: []string{"Google Pixel 8a", "Google Pixel 8 Pro"}},
		{q: "Pixel", some: []string{"Google Pixel 7", "Google Pixel Fold"}},
		{q: "Nokia 3310", none: true},
		{q: "iPhone 8", none: true},
		{q: "x", none: true},
	} {
		t.Run(tc.q, func(t *testing.T) {
			found, exact := findDevices(tc.q)
			if exact != tc.exact {
				t.Errorf("exact %q, want %q", exact, tc.exact)
			}
			if tc.none != (len(found) == 0) {
				t.Errorf("found %v", found)
			}
			for _, m := range tc.some {
				if !slices.Contains(found, m) {
					t.Errorf("found %v, lacks %q", found, m)
				}
			}
		})
	}
}

// TestDeviceList: the list parses, has no model twice, and every line
// names a brand and a model.
func TestDeviceList(t *testing.T) {
	if len(devices) < 50 {
		t.Fatalf("%d devices", len(devices))
	}
	seen := map[string]bool{}
	for _, d := range devices {
		if seen[foldModel(d)] {
			t.Errorf("%q twice", d)
		}
		seen[foldModel(d)] = true
		if !strings.Contains(d, " ") {
			t.Errorf("%q: brand and model expected", d)
		}
	}
}
