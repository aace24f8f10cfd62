package flows

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// keySet is a set of locale keys, where "prefix_*" stands for the keys
// made at run time from a prefix and a value (a sale state, a region code).
type keySet map[string]bool

func keysOf(lists ...[]string) keySet {
	s := keySet{}
	for _, l := range lists {
		for _, k := range l {
			s[k] = true
		}
	}
	return s
}

func (s keySet) has(key string) bool {
	if s[key] {
		return true
	}
	for k := range s {
		if prefix, ok := strings.CutSuffix(k, "*"); ok && strings.HasPrefix(key, prefix) {
			return true
		}
	}
	return false
}

// stepKeys are the keys a step may use: its own and the shared ones.
func stepKeys(s Step) keySet {
	var own []string
	if def, ok := steps[s]; ok {
		own = def.keys
	}
	return keysOf(own, sharedKeys, commandKeys, payKeys)
}

// familyMembers are the keys of each family that the catalog must have:
// every sale state, the profile states and regions the API is known to use.
var familyMembers = map[string][]string{
	"state_*": {"state_confirmed", "state_paid", "state_assigning", "state_assigned", "state_delivered", "state_failed"},
	"profile_*": {"profile_active", "profile_released", "profile_downloaded", "profile_deleted", "profile_expired",
		"profile_depleted", "profile_pending"},
	"region_*": {"region_eur", "region_asi", "region_afr", "region_mea", "region_amr", "region_oce"},
}

// TestLocaleKeys: every key the table declares, and the commands', the
// sale's and the shared ones, is in the English catalog (which every other
// language falls back to and is checked against in package locales).
func TestLocaleKeys(t *testing.T) {
	all := keysOf(sharedKeys, commandKeys, saleKeys, payKeys)
	for _, def := range steps {
		maps.Copy(all, keysOf(def.keys))
	}
	for _, c := range Commands(true) {
		all[c.Key] = true
	}
	en := testCatalog.For("en")
	for _, key := range slices.Sorted(maps.Keys(all)) {
		if strings.HasSuffix(key, "*") {
			members, ok := familyMembers[key]
			if !ok {
				t.Errorf("family %s has no members to check", key)
			}
			for _, m := range members {
				if !en.Has(m) {
					t.Errorf("key %s (of %s) is missing from active.en.toml", m, key)
				}
			}
			continue
		}
		if !en.Has(key) {
			t.Errorf("key %q is missing from active.en.toml", key)
		}
	}
}

// screenDrafts are, per step, a draft its screen can be drawn from.
var screenDrafts = map[Step]Draft{
	stepPickCountry:  {Choices: []string{"GUF", "PYF"}},
	stepBundles:      atFrance,
	stepBundle:       atRegion,
	stepEmail:        chosen1,
	stepName:         chosen1,
	stepWhatsApp:     detailed,
	stepSummary:      Draft{Kind: KindNew, DestKind: destCountry, DestCode: "FRA", Bundle: &fra1, Email: "ada@example.com", Name: "Ada", WhatsApp: "+33612345678"},
	stepESIMs:        {Choices: []string{"EB-1"}},
	stepESIM:         onESIM,
	stepTopupBundles: topping,
	stepTopupSummary: toppingUp,
	stepUsagePick:    {Choices: []string{iccid1}},
	stepUsage:        {ICCID: iccid1},
}

// TestScreens draws every step's screen in every language, for a customer
// and an agent, from the fixtures: it uses only the keys its step
// declares (and the shared ones), with every placeholder filled.
func TestScreens(t *testing.T) {
	for step, def := range steps {
		for _, lang := range testCatalog.Languages() {
			for _, role := range []Role{RoleCustomer, RoleAgent} {
				var used []string
				in := testInput(t, Event{From: Profile{FirstName: "Ada", LastName: "Lovelace"}}, fixtures())
				in.loc = testCatalog.For(lang.String()).Trace(func(k string) { used = append(used, k) })
				c := Conversation{Step: step, Stamp: stamp, Draft: screenDrafts[step]}
				v := view{input: in, c: c, u: User{ID: customer, Role: role, Email: "ada@example.com"}, stamp: stamp}
				if def.needs != nil {
					for _, n := range def.needs(c) {
						if _, ok := in.data[n]; !ok {
							t.Fatalf("%s: no fixture for %v", step, n)
						}
					}
				}
				if def.valid != nil && !def.valid(v) {
					t.Fatalf("%s: the fixture draft cannot show the step", step)
				}
				sc := def.show(v)
				checkRendered(t, string(step)+" "+lang.String()+" "+string(role), sc.text, used, stepKeys(step))
			}
		}
	}
}

// checkRendered fails on a key that the allowed set lacks, or an output
// with a missing message or argument.
func checkRendered(t *testing.T, what, text string, used []string, allowed keySet) {
	t.Helper()
	for _, k := range used {
		if !allowed.has(k) {
			t.Errorf("%s uses key %q, which its step does not declare", what, k)
		}
		if strings.Contains(text, "["+k+"]") {
			t.Errorf("%s: key %q is missing from the catalog", what, k)
		}
	}
	if strings.Contains(text, "<no value>") {
		t.Errorf("%s: a placeholder without an argument (or a plural message rendered by T):\n%s", what, text)
	}
}

// TestTransitionKeys runs the transition table with a traced localizer:
// each transition uses only the keys of its step (and the shared ones),
// with every placeholder filled.
func TestTransitionKeys(t *testing.T) {
	for _, tc := range transitionCases() {
		fix := fixtures()
		if tc.fix != nil {
			tc.fix(fix)
		}
		var used []string
		ev := tc.ev
		ev.Chat, ev.User = 1, customer
		in := testInput(t, ev, loaded{})
		in.loc = in.loc.Trace(func(k string) { used = append(used, k) })
		c := Conversation{Chat: 1, User: customer, Stamp: stamp, Step: tc.step, Draft: tc.draft}
		u := User{ID: customer, Role: RoleCustomer, Lang: "en"}
		_, effects, _ := decide(t, c, u, in, fix)
		var text []string
		for _, ef := range effects {
			if s, ok := ef.(say); ok {
				text = append(text, s.m.Text)
			}
		}
		checkRendered(t, string(tc.step)+"/"+tc.name, strings.Join(text, "\n"), used, stepKeys(tc.step))
	}
}
