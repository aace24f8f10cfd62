package flows

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/reseller"
)

type transitionCase struct {
	name    string
	step    Step
	draft   Draft
	agent   bool
	admin   bool // the user is an admin (shop_test.go)
	ev      Event
	fix     func(loaded) // changes to the fixtures
	want    Step
	effects string // the effects, space-joined
}

// TestTransitions drives every transition of the step table, the commands
// and the global buttons, on plain values: each case checks the step it
// leads to, the effects, and that the step is one its handler declares
// (the graph of the package comment).
func TestTransitions(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range transitionCases() {
		t.Run(string(tc.step)+"/"+tc.name, func(t *testing.T) {
			fix := fixtures()
			if tc.fix != nil {
				tc.fix(fix)
			}
			c := Conversation{Chat: 1, User: customer, Stamp: stamp, Step: tc.step, Draft: tc.draft}
			u := User{ID: customer, Role: RoleCustomer, Lang: "en", Email: "ada@example.com"}
			if tc.agent {
				u = User{ID: agent, Role: RoleAgent, Lang: "en"}
			}
			if tc.admin {
				u = User{ID: agent, Role: RoleAdmin, Lang: "en"}
			}
			ev := tc.ev
			ev.Chat, ev.User, ev.From = c.Chat, u.ID, Profile{FirstName: "Ada", LastName: "Lovelace"}
			covered[string(tc.step)+" "+trigger(c, ev)] = true
			got, effects, h := decide(t, c, u, testInput(t, ev, loaded{}), fix)
			var names []string
			for _, ef := range effects {
				names = append(names, ef.String())
			}
			if got.Step != tc.want || strings.Join(names, " ") != tc.effects {
				t.Errorf("step %s, effects %q; want %s, %q", got.Step, strings.Join(names, " "), tc.want, tc.effects)
			}
			if got.Step != tc.step && !slices.Contains(h.to, got.Step) {
				t.Errorf("moved to %s, which the handler does not declare (%v)", got.Step, h.to)
			}
		})
	}
	// Every entry of the tables is driven.
	for step, def := range steps {
		want := []string{}
		for w, h := range map[string]handler{"text": def.text, "contact": def.contact, "media": def.media, "other": def.other, "back": def.back} {
			if h.run != nil {
				want = append(want, w)
			}
		}
		for a := range def.buttons {
			want = append(want, string(a))
		}
		for _, w := range want {
			if !covered[string(step)+" "+w] {
				t.Errorf("no case drives %s at %s", w, step)
			}
		}
	}
	for _, c := range commandTable {
		if !covered["menu /"+c.Name] {
			t.Errorf("no case drives /%s (at the menu)", c.Name)
		}
	}
	for a := range globals {
		if !covered["menu g."+string(a)] {
			t.Errorf("no case drives the global button %s (at the menu)", a)
		}
	}
}

func transitionCases() []transitionCase {
	changedPrice := func(f loaded) {
		dearer := fra1
		dearer.Price = decimal.RequireFromString("4.49")
		f[needFresh(detailed)] = result{v: []BundleOffer{dearer, fra3}}
	}
	gone := func(f loaded) { f[needFresh(detailed)] = result{v: []BundleOffer{fra3}} }
	twoESIMs := func(f loaded) {
		other := sale1
		other.Ref, other.ICCID = "EB-3", iccid2
		f[needESIMs] = result{v: []esim{{first: sale1}, {first: other}}}
	}
	down := func(f loaded) { f[needCountries] = result{err: reseller.ErrOutcomeUnknown} }
	return append([]transitionCase{
		{name: "Buy", step: stepMenu, ev: tap(actBuy), want: stepDestination, effects: "show"},
		{name: "ESIMs", step: stepMenu, ev: tap(actESIMs), want: stepESIMs, effects: "show"},
		{name: "UsageOfTheOnlyESIM", step: stepMenu, ev: tap(actUsage), want: stepUsage, effects: "show"},
		{name: "UsagePick", step: stepMenu, ev: tap(actUsage), fix: twoESIMs, want: stepUsagePick, effects: "show"},
		{name: "Language", step: stepMenu, ev: tap(actLanguage), want: stepLanguage, effects: "show"},
		{name: "Help", step: stepMenu, ev: tap(actHelp), want: stepHelp, effects: "show"},
		{name: "TypedCountry", step: stepMenu, ev: typed("france"), want: stepBundles, effects: "show"},
		{name: "TypedNothing", step: stepMenu, ev: typed("atlantis"), want: stepMenu, effects: "say hint_menu show"},
		{name: "TypedWhileTheAPIIsDown", step: stepMenu, ev: typed("france"), fix: down, want: stepMenu, effects: "trouble"},
		{name: "Blank", step: stepMenu, ev: typed("  "), want: stepMenu, effects: "say hint_unexpected show"},
		{name: "ContactOutOfPlace", step: stepMenu, ev: shared("33612345678"), want: stepMenu, effects: "say hint_unexpected show"},
		{name: "Back", step: stepMenu, ev: tap(actBack), want: stepMenu, effects: "show"},
		{name: "MenuButton", step: stepDestination, ev: tap(actMenu), want: stepMenu, effects: "show"},
		{name: "OlderScreen", step: stepMenu, ev: Event{Kind: EventButton, Data: press{stamp: 6, act: actBuy}.data()}, want: stepMenu, effects: "stale show"},
		{name: "Forged", step: stepMenu, ev: Event{Kind: EventButton, Data: "../../etc/passwd"}, want: stepMenu, effects: "stale show"},
		{name: "UnknownAction", step: stepMenu, ev: tap(actConfirm), want: stepMenu, effects: "stale show"},

		{name: "Country", step: stepDestination, ev: tap(actCountry, "FRA"), want: stepBundles, effects: "show"},
		{name: "CountryWithoutBundles", step: stepDestination, ev: tap(actCountry, "ITA"), want: stepDestination, effects: "say no_bundles_country show"},
		{name: "NoCountry", step: stepDestination, ev: tap(actCountry, "XXX"), want: stepDestination, effects: "stale show"},
		{name: "Regions", step: stepDestination, ev: tap(actRegions), want: stepRegions, effects: "show"},
		{name: "Global", step: stepDestination, ev: tap(actGlobal), want: stepBundles, effects: "show"},
		{name: "Cruise", step: stepDestination, ev: tap(actCruise), want: stepBundles, effects: "show"},
		{name: "TypedNothing", step: stepDestination, ev: typed("atlantis"), want: stepDestination, effects: "say no_match show"},
		{name: "TypedSeveral", step: stepDestination, ev: typed("fren"), want: stepPickCountry, effects: "show"},
		{name: "Back", step: stepDestination, ev: tap(actBack), want: stepMenu, effects: "show"},

		{name: "Country", step: stepPickCountry, draft: Draft{Choices: []string{"GUF", "PYF"}}, ev: tap(actCountry, "GUF"), want: stepBundles, effects: "show"},
		{name: "Regions", step: stepPickCountry, ev: tap(actRegions), want: stepRegions, effects: "show"},
		{name: "Global", step: stepPickCountry, ev: tap(actGlobal), want: stepBundles, effects: "show"},
		{name: "Cruise", step: stepPickCountry, ev: tap(actCruise), want: stepBundles, effects: "show"},
		{name: "Typed", step: stepPickCountry, ev: typed("japan"), want: stepBundles, effects: "show"},
		{name: "Back", step: stepPickCountry, ev: tap(actBack), want: stepDestination, effects: "show"},

		{name: "Region", step: stepRegions, ev: tap(actRegion, "EUR"), want: stepBundles, effects: "show"},
		{name: "Typed", step: stepRegions, ev: typed("spain"), want: stepBundles, effects: "show"},
		{name: "Back", step: stepRegions, ev: tap(actBack), want: stepDestination, effects: "show"},

		{name: "Bundle", step: stepBundles, draft: atFrance, ev: tap(actBundle, "1"), want: stepBundle, effects: "show"},
		{name: "BadIndex", step: stepBundles, draft: atFrance, ev: tap(actBundle, "9"), want: stepBundles, effects: "stale show"},
		{name: "Next", step: stepBundles, draft: atFrance, ev: tap(actNext), want: stepBundles, effects: "show"},
		{name: "Prev", step: stepBundles, draft: atFrance, ev: tap(actPrev), want: stepBundles, effects: "show"},
		{name: "Typed", step: stepBundles, draft: atFrance, ev: typed("germany"), want: stepBundles, effects: "show"},
		{name: "TypedNumber", step: stepBundles, draft: atFrance, ev: typed("٢"), want: stepBundle, effects: "show"},
		{name: "TypedNumberNotListed", step: stepBundles, draft: atFrance, ev: typed("9"), want: stepBundles, effects: "say hint_unexpected show"},
		{name: "BackToTheCountries", step: stepBundles, draft: atFrance, ev: tap(actBack), want: stepDestination, effects: "show"},
		{name: "BackToTheRegions", step: stepBundles, draft: atRegion, ev: tap(actBack), want: stepRegions, effects: "show"},

		{name: "Choose", step: stepBundle, draft: chosen1, ev: tap(actChoose), want: stepEmail, effects: "show"},
		{name: "Covered", step: stepBundle, draft: atRegion, ev: typed("is France covered?"), want: stepBundle, effects: "say coverage_yes"},
		{name: "WhichCountry", step: stepBundle, draft: atRegion, ev: typed("and Atlantis?"), want: stepBundle, effects: "say coverage_which"},
		{name: "SearchAtACountrysBundle", step: stepBundle, draft: chosen1, ev: typed("japan"), want: stepBundles, effects: "show"},
		{name: "Back", step: stepBundle, draft: chosen1, ev: tap(actBack), want: stepBundles, effects: "show"},

		{name: "UseRemembered", step: stepEmail, draft: chosen1, ev: tap(actUse), want: stepName, effects: "show"},
		{name: "UseAsAgent", step: stepEmail, draft: chosen1, agent: true, ev: tap(actUse), want: stepEmail, effects: "stale show"},
		{name: "Typed", step: stepEmail, draft: chosen1, ev: typed("Ada@Example.COM"), want: stepName, effects: "show"},
		{name: "Invalid", step: stepEmail, draft: chosen1, ev: typed("ada@example"), want: stepEmail, effects: "say email_invalid"},
		{name: "Edited", step: stepEmail, draft: editing, ev: typed("lovelace@example.org"), want: stepSummary, effects: "show"},
		{name: "Back", step: stepEmail, draft: chosen1, ev: tap(actBack), want: stepBundle, effects: "show"},
		{name: "BackWhileEditing", step: stepEmail, draft: editing, ev: tap(actBack), want: stepSummary, effects: "show"},
		{name: "BackFromATopup", step: stepEmail, draft: topping, ev: tap(actBack), want: stepTopupBundles, effects: "show"},

		{name: "UseProfileName", step: stepName, draft: chosen1, ev: tap(actUse), want: stepWhatsApp, effects: "show"},
		{name: "UseAsAgent", step: stepName, draft: chosen1, agent: true, ev: tap(actUse), want: stepName, effects: "stale show"},
		{name: "Typed", step: stepName, draft: chosen1, ev: typed("Ada  Lovelace"), want: stepWhatsApp, effects: "show"},
		{name: "Invalid", step: stepName, draft: chosen1, ev: typed("A"), want: stepName, effects: "say name_length"},
		{name: "Back", step: stepName, draft: chosen1, ev: tap(actBack), want: stepEmail, effects: "show"},
		{name: "BackWhileEditing", step: stepName, draft: editing, ev: tap(actBack), want: stepSummary, effects: "show"},

		{name: "Skip", step: stepWhatsApp, draft: detailed, ev: tap(actSkip), want: stepSummary, effects: "say whatsapp_skipped show"},
		{name: "SkipAsAgent", step: stepWhatsApp, draft: detailed, agent: true, ev: tap(actSkip), want: stepSummary, effects: "show"},
		{name: "Typed", step: stepWhatsApp, draft: detailed, ev: typed("+33 6 12 34 56 78"), want: stepSummary, effects: "say whatsapp_saved show"},
		{name: "TypedSkip", step: stepWhatsApp, draft: detailed, ev: typed("Skip"), want: stepSummary, effects: "say whatsapp_skipped show"},
		{name: "Invalid", step: stepWhatsApp, draft: detailed, ev: typed("+33 12"), want: stepWhatsApp, effects: "say whatsapp_invalid"},
		{name: "Contact", step: stepWhatsApp, draft: detailed, ev: shared("33612345678"), want: stepSummary, effects: "say whatsapp_saved show"},
		{name: "Back", step: stepWhatsApp, draft: detailed, ev: tap(actBack), want: stepName, effects: "show"},
		{name: "BackWhileEditing", step: stepWhatsApp, draft: editing, ev: tap(actBack), want: stepSummary, effects: "show"},

		{name: "Confirm", step: stepSummary, draft: detailed, ev: tap(actConfirm), want: stepSummary, effects: "sell FRA_1GB_7D"},
		{name: "PriceChanged", step: stepSummary, draft: detailed, ev: tap(actConfirm), fix: changedPrice, want: stepSummary, effects: "say price_changed show"},
		{name: "BundleGone", step: stepSummary, draft: detailed, ev: tap(actConfirm), fix: gone, want: stepBundles, effects: "say bundle_gone show"},
		{name: "Cancel", step: stepSummary, draft: detailed, ev: tap(actCancel), want: stepMenu, effects: "say cancelled show"},
		{name: "EditEmail", step: stepSummary, draft: detailed, ev: tap(actEdit, "email"), want: stepEmail, effects: "show"},
		{name: "EditWhat", step: stepSummary, draft: detailed, ev: tap(actEdit, "ufo"), want: stepSummary, effects: "stale show"},
		{name: "Back", step: stepSummary, draft: detailed, ev: tap(actBack), want: stepWhatsApp, effects: "show"},

		{name: "Text", step: stepSelling, ev: typed("hello?"), want: stepSelling, effects: "say selling_wait"},
		{name: "Command", step: stepSelling, ev: cmd("buy", ""), want: stepSelling, effects: "say selling_wait"},
		{name: "Help", step: stepSelling, ev: cmd("help", ""), want: stepSelling, effects: "say help"},

		{name: "ESIM", step: stepESIMs, draft: Draft{Choices: []string{"EB-1"}}, ev: tap(actESIM, "0"), want: stepESIM, effects: "show"},
		{name: "BuyNew", step: stepESIMs, ev: tap(actBuyNew), want: stepDestination, effects: "show"},
		{name: "TypedNumber", step: stepESIMs, draft: Draft{Choices: []string{"EB-1"}}, ev: typed("1"), want: stepESIM, effects: "show"},
		{name: "TypedText", step: stepESIMs, draft: Draft{Choices: []string{"EB-1"}}, ev: typed("hello"), want: stepESIMs, effects: "say hint_unexpected show"},
		{name: "Back", step: stepESIMs, ev: tap(actBack), want: stepMenu, effects: "show"},

		{name: "Usage", step: stepESIM, draft: onESIM, ev: tap(actUsage), want: stepUsage, effects: "show"},
		{name: "QR", step: stepESIM, draft: onESIM, ev: tap(actQR), want: stepESIM, effects: "resend EB-1"},
		{name: "Topup", step: stepESIM, draft: onESIM, ev: tap(actTopup), want: stepTopupBundles, effects: "show"},
		{name: "NotMine", step: stepESIM, draft: Draft{TopupRef: "EB-2"}, ev: tap(actTopup), want: stepESIM, effects: "stale show"},
		{name: "Back", step: stepESIM, draft: onESIM, ev: tap(actBack), want: stepESIMs, effects: "show"},

		{name: "Bundle", step: stepTopupBundles, draft: topping, ev: tap(actBundle, "0"), want: stepTopupSummary, effects: "show"},
		{name: "TypedNumber", step: stepTopupBundles, draft: topping, ev: typed("1."), want: stepTopupSummary, effects: "show"},
		{name: "Back", step: stepTopupBundles, draft: topping, ev: tap(actBack), want: stepESIM, effects: "show"},

		{name: "Confirm", step: stepTopupSummary, draft: toppingUp, ev: tap(actConfirm), want: stepTopupSummary, effects: "sell FRA_3GB_30D"},
		{name: "Cancel", step: stepTopupSummary, draft: toppingUp, ev: tap(actCancel), want: stepMenu, effects: "say cancelled show"},
		{name: "Back", step: stepTopupSummary, draft: toppingUp, ev: tap(actBack), want: stepTopupBundles, effects: "show"},

		{name: "Pick", step: stepUsagePick, draft: Draft{Choices: []string{iccid1, iccid2}}, ev: tap(actPick, "1"), want: stepUsage, effects: "show"},
		{name: "Typed", step: stepUsagePick, ev: typed("8900 0000 0000 0000 001"), want: stepUsage, effects: "show"},
		{name: "TypedNumber", step: stepUsagePick, draft: Draft{Choices: []string{iccid1, iccid2}}, ev: typed("2"), want: stepUsage, effects: "show"},
		{name: "TypedNumberNotListed", step: stepUsagePick, draft: Draft{Choices: []string{iccid1, iccid2}}, ev: typed("3"), want: stepUsagePick, effects: "say usage_bad_iccid"},
		{name: "TypedNotMine", step: stepUsagePick, ev: typed(iccid2), want: stepUsagePick, effects: "say usage_not_yours"},
		{name: "TypedBadly", step: stepUsagePick, ev: typed("12ab"), want: stepUsagePick, effects: "say usage_bad_iccid"},
		{name: "Back", step: stepUsagePick, ev: tap(actBack), want: stepMenu, effects: "show"},

		{name: "Refresh", step: stepUsage, draft: Draft{ICCID: iccid1}, ev: tap(actRefresh), want: stepUsage, effects: "drop usage " + iccid1 + " show"},
		{name: "BackToTheESIM", step: stepUsage, draft: Draft{ICCID: iccid1, TopupRef: "EB-1"}, ev: tap(actBack), want: stepESIM, effects: "show"},
		{name: "Back", step: stepUsage, draft: Draft{ICCID: iccid1}, ev: tap(actBack), want: stepMenu, effects: "show"},

		{name: "French", step: stepLanguage, ev: tap(actPickLang, "fr"), want: stepMenu, effects: "language fr toast language_set show"},
		{name: "Klingon", step: stepLanguage, ev: tap(actPickLang, "tlh"), want: stepLanguage, effects: "stale show"},

		{name: "Yes", step: stepForget, ev: tap(actYes), want: stepForget, effects: "forget say forget_done show"},
		{name: "No", step: stepForget, ev: tap(actNo), want: stepMenu, effects: "show"},

		{name: "Start", step: stepMenu, ev: cmd("start", ""), want: stepMenu, effects: "show"},
		{name: "StartCountry", step: stepESIMs, ev: cmd("start", "fr"), want: stepBundles, effects: "show"},
		{name: "StartRegion", step: stepESIMs, ev: cmd("start", "region_EUR"), want: stepBundles, effects: "show"},
		{name: "StartRegions", step: stepESIMs, ev: cmd("start", "regions"), want: stepRegions, effects: "show"},
		{name: "StartBundle", step: stepESIMs, ev: cmd("start", "FRA_1GB_7D"), want: stepBundle, effects: "show"},
		{name: "StartNowhere", step: stepESIMs, ev: cmd("start", "nonsense"), want: stepMenu, effects: "say start_unknown show"},
		{name: "BuyCommand", step: stepMenu, ev: cmd("buy", ""), want: stepDestination, effects: "show"},
		{name: "ESIMsCommand", step: stepMenu, ev: cmd("esims", ""), want: stepESIMs, effects: "show"},
		{name: "Orders", step: stepMenu, ev: cmd("orders", ""), want: stepESIMs, effects: "show"},
		{name: "Usage", step: stepMenu, ev: cmd("usage", ""), want: stepUsage, effects: "show"},
		{name: "UsageOf", step: stepMenu, ev: cmd("usage", iccid1), want: stepUsage, effects: "show"},
		{name: "UsageOfAnyAsAgent", step: stepMenu, agent: true, ev: cmd("usage", iccid2), want: stepUsage, effects: "show"},
		{name: "LanguageCommand", step: stepMenu, ev: cmd("language", ""), want: stepLanguage, effects: "show"},
		{name: "HelpCommand", step: stepMenu, ev: cmd("help", ""), want: stepMenu, effects: "say help"},
		// Payments (issue 10).
		{name: "PaySupport", step: stepMenu, ev: cmd("paysupport", ""), want: stepMenu, effects: "say paysupport",
			fix: func(d loaded) {
				d[need{src: srcPayments}] = result{v: []Payment{{ChargeID: "ch-1", Ref: "EB-1", Stars: 201}}}
			}},
		{name: "Terms", step: stepMenu, ev: cmd("terms", ""), want: stepMenu, effects: "say terms"},
		{name: "CancelNothing", step: stepMenu, ev: cmd("cancel", ""), want: stepMenu, effects: "say cancelled_nothing show"},
		{name: "CancelAPurchase", step: stepEmail, draft: chosen1, ev: cmd("cancel", ""), want: stepMenu, effects: "say cancelled show"},
		{name: "Forget", step: stepMenu, ev: cmd("forget", ""), want: stepForget, effects: "show"},
		{name: "Menu", step: stepEmail, draft: chosen1, ev: cmd("menu", ""), want: stepMenu, effects: "show"},
		{name: "MenuCommand", step: stepMenu, ev: cmd("menu", ""), want: stepMenu, effects: "show"},
		{name: "Unknown", step: stepMenu, ev: cmd("frobnicate", ""), want: stepMenu, effects: "say unknown_command"},

		{name: "GlobalBuy", step: stepMenu, ev: global(actBuy, ""), want: stepDestination, effects: "show"},
		{name: "GlobalMenu", step: stepMenu, ev: global(actMenu, ""), want: stepMenu, effects: "show"},
		{name: "GlobalUsage", step: stepMenu, ev: global(actUsage, iccid1), want: stepUsage, effects: "show"},
		{name: "GlobalQR", step: stepMenu, ev: global(actQR, "EB-1"), want: stepMenu, effects: "resend EB-1"},
		{name: "GlobalQRNotMine", step: stepMenu, ev: global(actQR, "EB-2"), want: stepMenu, effects: "stale show"},
	}, append(append(append(shopCases(), reportCases()...), alertsCases()...), helpCases()...)...)
}

// TestTransitionCasesAreNamedOnce keeps the table readable: one name per
// step.
func TestTransitionCasesAreNamedOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range transitionCases() {
		key := fmt.Sprintf("%s/%s", tc.step, tc.name)
		if seen[key] {
			t.Errorf("two cases %s", key)
		}
		seen[key] = true
	}
}
