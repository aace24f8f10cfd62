package locales_test

import (
	"fmt"
	"html"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"text/template"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"github.com/esimbot/esimbot/locales"
)

// message is one catalog entry: a simple message has only the form
// "other"; a plural message has a form per CLDR plural category.
type message struct {
	plural bool
	forms  map[string]string
}

// text is every form of the message, for checks on the union of forms.
func (m message) text() string {
	var b strings.Builder
	for _, c := range categories {
		if s, ok := m.forms[c]; ok {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

type catalog map[string]message

// categories are the CLDR plural categories, in CLDR order.
var categories = []string{"zero", "one", "two", "few", "many", "other"}

// readCatalog parses active.<lang>.toml as the bot ships it (the tests run
// in the package directory), independently of go-i18n.
func readCatalog(t *testing.T, lang string) catalog {
	t.Helper()
	name := "active." + lang + ".toml"
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := catalog{}
	for key, v := range raw {
		switch v := v.(type) {
		case string:
			c[key] = message{forms: map[string]string{"other": v}}
		case map[string]any:
			m := message{plural: true, forms: map[string]string{}}
			for cat, s := range v {
				str, ok := s.(string)
				if !ok || !slices.Contains(categories, cat) {
					t.Errorf("%s: [%s] %s: want a CLDR plural category (%s) with a string value",
						name, key, cat, strings.Join(categories, ", "))
					continue
				}
				m.forms[cat] = str
			}
			c[key] = m
		default:
			t.Errorf("%s: %s: want a string or a table of plural forms, got %T", name, key, v)
		}
	}
	return c
}

// catalogLangs lists the languages with a catalog file, so a new catalog is
// checked like the others without touching the tests.
func catalogLangs(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob("active.*.toml")
	if err != nil {
		t.Fatal(err)
	}
	var langs []string
	for _, n := range names {
		langs = append(langs, strings.TrimSuffix(strings.TrimPrefix(n, "active."), ".toml"))
	}
	for _, want := range []string{"en", "fr", "ar"} {
		if !slices.Contains(langs, want) {
			t.Fatalf("no catalog active.%s.toml (have %v)", want, langs)
		}
	}
	return langs
}

// translations are the catalog languages but English, the reference.
func translations(t *testing.T) []string {
	return slices.DeleteFunc(catalogLangs(t), func(l string) bool { return l == "en" })
}

var (
	placeholderRE = regexp.MustCompile(`\{\{\.([A-Za-z][A-Za-z0-9]*)\}\}`)
	tagRE         = regexp.MustCompile(`^<(/?)([A-Za-z]+)([^<>]*)>`)
	hrefRE        = regexp.MustCompile(`^\s+href="([^"<>]*)"$`)
	entityRE      = regexp.MustCompile(`^&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9A-Fa-f]+);`)
)

// placeholders returns the names of the {{.Name}} placeholders in s.
func placeholders(s string) map[string]bool {
	out := map[string]bool{}
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		out[m[1]] = true
	}
	return out
}

// markup describes the Telegram HTML of a message.
type markup struct {
	tags   map[string]bool // tag names used
	inCode map[string]bool // placeholders inside <code>
	inHref map[string]bool // placeholders inside an <a href>
}

// parseMarkup checks that s is Telegram HTML as the package allows it (<b>,
// <i>, <code> and <a href="…">, properly nested; no stray <, > or &;
// placeholders only as {{.Name}}) and describes it.
func parseMarkup(s string) (markup, error) {
	m := markup{tags: map[string]bool{}, inCode: map[string]bool{}, inHref: map[string]bool{}}
	var open []string
	for i := 0; i < len(s); {
		rest := s[i:]
		switch {
		case rest[0] == '<':
			g := tagRE.FindStringSubmatch(rest)
			if g == nil {
				return m, fmt.Errorf("stray < at %q", clip(rest))
			}
			closing, name, attrs := g[1] == "/", g[2], g[3]
			if !slices.Contains([]string{"b", "i", "code", "a"}, name) {
				return m, fmt.Errorf("tag <%s> is not one of <b>, <i>, <code>, <a>", name)
			}
			switch {
			case closing:
				if strings.TrimSpace(attrs) != "" {
					return m, fmt.Errorf("closing tag %q has attributes", g[0])
				}
				if len(open) == 0 || open[len(open)-1] != name {
					return m, fmt.Errorf("</%s> closes nothing open (open: %v)", name, open)
				}
				open = open[:len(open)-1]
			case name == "a":
				h := hrefRE.FindStringSubmatch(attrs)
				if h == nil {
					return m, fmt.Errorf("%q: <a> needs exactly one href=\"…\" attribute", g[0])
				}
				for p := range placeholders(h[1]) {
					m.inHref[p] = true
				}
				open = append(open, name)
			default:
				if attrs != "" {
					return m, fmt.Errorf("%q: <%s> takes no attributes", g[0], name)
				}
				open = append(open, name)
			}
			m.tags[name] = true
			i += len(g[0])
		case rest[0] == '>':
			return m, fmt.Errorf("stray > at %q", clip(rest))
		case rest[0] == '&':
			e := entityRE.FindString(rest)
			if e == "" {
				return m, fmt.Errorf("stray & at %q (write &amp;)", clip(rest))
			}
			i += len(e)
		case strings.HasPrefix(rest, "{{"):
			loc := placeholderRE.FindStringSubmatchIndex(rest)
			if loc == nil || loc[0] != 0 {
				return m, fmt.Errorf("template action at %q is not a plain {{.Name}} placeholder", clip(rest))
			}
			if slices.Contains(open, "code") {
				m.inCode[rest[loc[2]:loc[3]]] = true
			}
			i += loc[1]
		case strings.HasPrefix(rest, "}}"):
			return m, fmt.Errorf("stray }} at %q", clip(rest))
		default:
			i++
		}
	}
	if len(open) > 0 {
		return m, fmt.Errorf("unclosed tags %v", open)
	}
	return m, nil
}

func clip(s string) string {
	if len(s) > 30 {
		return s[:30] + "…"
	}
	return s
}

// requiredForms are the plural categories that integer counts (N takes an
// int) reach in a language, derived from the CLDR rules of
// golang.org/x/text/feature/plural by trying counts. go-i18n's own rules
// (internal/plural) are not importable; they are newer (x/text has CLDR
// 32) and also give French "many" for exact millions, which go-i18n
// replaces by "other" when a message lacks it (see Localizer.render), so
// "many" is optional in French. TestN checks the millions.
func requiredForms(t *testing.T, lang string) map[string]bool {
	t.Helper()
	tag, err := language.Parse(lang)
	if err != nil {
		t.Fatal(err)
	}
	names := map[plural.Form]string{
		plural.Zero: "zero", plural.One: "one", plural.Two: "two",
		plural.Few: "few", plural.Many: "many", plural.Other: "other",
	}
	counts := []int{10_000, 100_000, 1_000_000, 2_000_000, 10_000_000, 1_000_000_000}
	for n := range 1001 {
		counts = append(counts, n)
	}
	req := map[string]bool{}
	for _, n := range counts {
		f := plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)
		name, ok := names[f]
		if !ok {
			t.Fatalf("%s: unknown plural form %v for %d", lang, f, n)
		}
		req[name] = true
	}
	return req
}

func TestRequiredFormsDerivation(t *testing.T) {
	// Guards the derivation itself: if it broke, the plural checks below
	// would pass vacuously.
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"one", "other"}},
		{"ar", categories},
	} {
		got := slices.Sorted(maps.Keys(requiredForms(t, tc.lang)))
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s: required plural forms %v, want %v", tc.lang, got, want)
		}
	}
	if fr := requiredForms(t, "fr"); !fr["one"] || !fr["other"] {
		t.Errorf("fr: required plural forms %v, want one and other", fr)
	}
}

// TestKeys fails when a catalog lacks a key of the English one or has one
// English lacks.
func TestKeys(t *testing.T) {
	en := readCatalog(t, "en")
	if len(en) < 100 {
		t.Fatalf("English catalog has %d keys; did it parse?", len(en))
	}
	for _, lang := range translations(t) {
		t.Run(lang, func(t *testing.T) {
			tr := readCatalog(t, lang)
			for _, k := range slices.Sorted(maps.Keys(en)) {
				if _, ok := tr[k]; !ok {
					t.Errorf("active.%s.toml lacks %q (English: %q)", lang, k, en[k].forms["other"])
				}
			}
			for _, k := range slices.Sorted(maps.Keys(tr)) {
				if _, ok := en[k]; !ok {
					t.Errorf("active.%s.toml has %q, which English lacks", lang, k)
				}
			}
		})
	}
}

// glossary are terms that stay as they are in every language.
var glossary = []string{"eSIM", "ICCID", "SM-DP+", "QR", "WhatsApp", "SANDBOX"}

// messageChecks compare each message of a catalog (tr) with English (en);
// for English itself tr is en.
var messageChecks = []struct {
	name  string
	check func(t *testing.T, lang, key string, en, tr message)
}{
	{"plural shape", func(t *testing.T, lang, key string, en, tr message) {
		if en.plural != tr.plural {
			t.Errorf("%s: %s: plural is %v, English %v", lang, key, tr.plural, en.plural)
			return
		}
		if !tr.plural {
			return
		}
		for c := range requiredForms(t, lang) {
			if _, ok := tr.forms[c]; !ok {
				t.Errorf("%s: [%s] lacks plural form %q", lang, key, c)
			}
		}
	}},
	{"placeholders", func(t *testing.T, lang, key string, en, tr message) {
		got, want := placeholders(tr.text()), placeholders(en.text())
		if !maps.Equal(got, want) {
			t.Errorf("%s: %s: placeholders %v, English %v", lang, key,
				slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
		for c, s := range tr.forms {
			if _, err := template.New(key).Parse(s); err != nil {
				t.Errorf("%s: %s (%s): %v", lang, key, c, err)
			}
		}
	}},
	{"html", func(t *testing.T, lang, key string, en, tr message) {
		var want markup
		for _, c := range categories {
			s, ok := en.forms[c]
			if !ok {
				continue
			}
			m, err := parseMarkup(s)
			if err != nil {
				if lang == "en" {
					t.Errorf("en: %s (%s): %v", key, c, err)
				}
				return
			}
			want = m
		}
		union := markup{tags: map[string]bool{}, inCode: map[string]bool{}, inHref: map[string]bool{}}
		for _, c := range categories {
			s, ok := tr.forms[c]
			if !ok {
				continue
			}
			m, err := parseMarkup(s)
			if err != nil {
				t.Errorf("%s: %s (%s): %v", lang, key, c, err)
				return
			}
			maps.Copy(union.tags, m.tags)
			maps.Copy(union.inCode, m.inCode)
			maps.Copy(union.inHref, m.inHref)
		}
		for _, d := range []struct {
			what     string
			got, exp map[string]bool
		}{
			{"tags", union.tags, want.tags},
			{"placeholders in <code>", union.inCode, want.inCode},
			{"placeholders in <a href>", union.inHref, want.inHref},
		} {
			if !maps.Equal(d.got, d.exp) {
				t.Errorf("%s: %s: %s %v, English %v", lang, key, d.what,
					slices.Sorted(maps.Keys(d.got)), slices.Sorted(maps.Keys(d.exp)))
			}
		}
	}},
	{"layout", func(t *testing.T, lang, key string, en, tr message) {
		lines := strings.Count(en.forms["other"], "\n")
		for c, s := range tr.forms {
			if strings.TrimSpace(s) != s {
				t.Errorf("%s: %s (%s): leading or trailing space", lang, key, c)
			}
			if s == "" {
				t.Errorf("%s: %s (%s): empty", lang, key, c)
			}
			if n := strings.Count(s, "\n"); n != lines {
				t.Errorf("%s: %s (%s): %d line breaks, English %d", lang, key, c, n, lines)
			}
		}
	}},
	{"emoji", func(t *testing.T, lang, key string, en, tr message) {
		got, want := symbols(tr.text()), symbols(en.text())
		if !maps.Equal(got, want) {
			t.Errorf("%s: %s: emoji %q, English %q", lang, key,
				string(slices.Sorted(maps.Keys(got))), string(slices.Sorted(maps.Keys(want))))
		}
	}},
	{"glossary", func(t *testing.T, lang, key string, en, tr message) {
		for _, term := range glossary {
			if strings.Contains(en.text(), term) && !strings.Contains(tr.text(), term) {
				t.Errorf("%s: %s: lacks %q, which stays as is", lang, key, term)
			}
		}
	}},
	{"button length", func(t *testing.T, lang, key string, en, tr message) {
		const max = 30
		if !strings.HasPrefix(key, "btn_") || labelLen(en.forms["other"]) > max {
			return
		}
		for c, s := range tr.forms {
			if n := labelLen(s); n > max {
				t.Errorf("%s: %s (%s): button label %q is %d characters, more than %d", lang, key, c, s, n, max)
			}
		}
	}},
}

// symbols are the emoji and other pictographs (Unicode So) of s.
func symbols(s string) map[rune]bool {
	out := map[rune]bool{}
	for _, r := range s {
		if unicode.Is(unicode.So, r) {
			out[r] = true
		}
	}
	return out
}

// labelLen counts the characters of a button label, without placeholders
// and variation selectors.
func labelLen(s string) int {
	s = placeholderRE.ReplaceAllString(s, "")
	return utf8.RuneCountInString(strings.ReplaceAll(s, "\uFE0F", ""))
}

// TestMessages runs every check on every message of every catalog, English
// included (against itself: its HTML and plural forms).
func TestMessages(t *testing.T) {
	en := readCatalog(t, "en")
	for _, lang := range catalogLangs(t) {
		tr := readCatalog(t, lang)
		for _, mc := range messageChecks {
			t.Run(lang+"/"+mc.name, func(t *testing.T) {
				for _, key := range slices.Sorted(maps.Keys(tr)) {
					if e, ok := en[key]; ok {
						mc.check(t, lang, key, e, tr[key])
					}
				}
			})
		}
	}
}

func TestSandboxMark(t *testing.T) {
	for _, lang := range catalogLangs(t) {
		if s := readCatalog(t, lang)["sandbox_banner"].forms["other"]; !strings.Contains(s, "SANDBOX") {
			t.Errorf("%s: sandbox_banner %q lacks SANDBOX in Latin letters", lang, s)
		}
	}
}

// TestHelpNamesBuyButton: the help tells users to tap the buy button by
// its label.
func TestHelpNamesBuyButton(t *testing.T) {
	for _, lang := range catalogLangs(t) {
		c := readCatalog(t, lang)
		btn := c["btn_buy"].forms["other"]
		_, label, _ := strings.Cut(btn, " ")
		if !strings.Contains(c["help"].forms["other"], "<b>"+label+"</b>") {
			t.Errorf("%s: help does not name the button %q as <b>%s</b>", lang, btn, label)
		}
	}
}

// TestHelpNamesInstallButtons: the installation help names the install
// buttons of a delivered eSIM by their labels, as the user sees them.
func TestHelpNamesInstallButtons(t *testing.T) {
	for _, lang := range catalogLangs(t) {
		c := readCatalog(t, lang)
		for help, btn := range map[string]string{"help_iphone": "btn_install_ios", "help_android": "btn_install_android"} {
			label := c[btn].forms["other"]
			if !strings.Contains(c[help].forms["other"], "<b>"+label+"</b>") {
				t.Errorf("%s: %s does not name the button %q as <b>%s</b>", lang, help, label, label)
			}
		}
	}
}

func newCatalog(t *testing.T) *locales.Catalog {
	t.Helper()
	c, err := locales.New()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dummy is the value given to placeholder name when rendering; it has HTML
// specials to check escaping.
func dummy(name string) string { return "<" + name + "&>" }

// TestRenderAll renders every English key in every language through the
// public API, with every placeholder set.
func TestRenderAll(t *testing.T) {
	cat := newCatalog(t)
	en := readCatalog(t, "en")
	counts := []int{0, 1, 2, 3, 5, 10, 11, 21, 99, 100, 101, 102, 103, 111, 1000, 1_000_000}
	for _, lang := range catalogLangs(t) {
		t.Run(lang, func(t *testing.T) {
			tr := readCatalog(t, lang)
			loc := cat.For(lang)
			if got := loc.Tag.String(); got != lang {
				t.Fatalf("For(%q).Tag = %s", lang, got)
			}
			for _, key := range slices.Sorted(maps.Keys(en)) {
				var args []any
				data := map[string]any{}
				for _, p := range slices.Sorted(maps.Keys(placeholders(en[key].text()))) {
					if p == "Count" {
						continue
					}
					args = append(args, p, dummy(p))
					data[p] = html.EscapeString(dummy(p))
				}
				bad := func(out string) bool {
					if out == "" || strings.Contains(out, "["+key+"]") || strings.Contains(out, "<no value>") {
						t.Errorf("%s: %s renders as %q", lang, key, out)
						return true
					}
					return false
				}
				if en[key].plural {
					for _, n := range counts {
						out := loc.N(key, n, args...)
						if !bad(out) && strings.Contains(out, "{{") {
							t.Errorf("%s: N(%s, %d) = %q", lang, key, n, out)
						}
					}
					continue
				}
				out := loc.T(key, args...)
				if bad(out) {
					continue
				}
				// The output is the language's own text, not a fallback.
				src, ok := tr[key]
				if !ok {
					continue // TestKeys reports it
				}
				var b strings.Builder
				tmpl, err := template.New(key).Parse(src.forms["other"])
				if err != nil {
					continue // TestMessages reports it
				}
				if err := tmpl.Execute(&b, data); err != nil {
					t.Errorf("%s: %s: %v", lang, key, err)
					continue
				}
				if out != b.String() {
					t.Errorf("%s: T(%s) = %q, want %q", lang, key, out, b.String())
				}
			}
		})
	}
}

func TestMatch(t *testing.T) {
	cat := newCatalog(t)
	for _, tc := range []struct {
		prefs []string
		want  string
	}{
		{[]string{"fr-FR"}, "fr"},
		{[]string{"fr"}, "fr"},
		{[]string{"fr-CA"}, "fr"},
		{[]string{"ar-EG"}, "ar"},
		{[]string{"ar"}, "ar"},
		{[]string{"ar-SA"}, "ar"},
		{[]string{"en"}, "en"},
		{[]string{"en-US"}, "en"},
		{[]string{"de"}, "en"},
		{[]string{"zh-Hans"}, "en"},
		{[]string{""}, "en"},
		{[]string{"garbage"}, "en"},
		{[]string{"!!not a tag!!"}, "en"},
		{nil, "en"},
		{[]string{"de", "ar"}, "ar"},
		{[]string{"garbage", "fr-BE"}, "fr"},
	} {
		if got := cat.Match(tc.prefs...).String(); got != tc.want {
			t.Errorf("Match(%q) = %s, want %s", tc.prefs, got, tc.want)
		}
		if len(tc.prefs) == 1 {
			if got := cat.For(tc.prefs[0]).Tag.String(); got != tc.want {
				t.Errorf("For(%q).Tag = %s, want %s", tc.prefs[0], got, tc.want)
			}
		}
	}
	langs := cat.Languages()
	if len(langs) == 0 || langs[0] != language.English {
		t.Fatalf("Languages() = %v, want English first", langs)
	}
	for _, want := range []language.Tag{language.French, language.Arabic} {
		if !slices.Contains(langs, want) {
			t.Errorf("Languages() = %v, lacks %s", langs, want)
		}
	}
	// Each language renders its own catalog.
	seen := map[string]string{}
	for _, lang := range []string{"en", "fr", "ar"} {
		h := cat.For(lang).T("help")
		if other, dup := seen[h]; dup {
			t.Errorf("For(%s) and For(%s) render the same help", lang, other)
		}
		seen[h] = lang
	}
}

func TestEscaping(t *testing.T) {
	loc := newCatalog(t).For("en")
	got := loc.T("no_match", "Query", `<script>"a" & 'b'`, "Examples", locales.Raw("<i>Japan</i>, <i>FR</i>"))
	want := "I found no destination for “&lt;script&gt;&#34;a&#34; &amp; &#39;b&#39;”. " +
		"Try the country's name or its code, for example <i>Japan</i>, <i>FR</i>."
	if got != want {
		t.Errorf("T(no_match) =\n%q, want\n%q", got, want)
	}
	// Other values are printed as they are.
	if got, want := loc.T("bundles_page", "Page", 2, "Pages", 5), "Page 2 of 5, cheapest first:"; got != want {
		t.Errorf("T(bundles_page) = %q, want %q", got, want)
	}
	// A missing key shows as the key in brackets (flows test for it).
	if got := loc.T("no_such_key"); got != "[no_such_key]" {
		t.Errorf("T(no_such_key) = %q", got)
	}
	// A missing placeholder argument shows, which TestRenderAll rules out.
	if got := loc.T("whatsapp_saved"); !strings.Contains(got, "<no value>") {
		t.Errorf("T(whatsapp_saved) without Number = %q", got)
	}
	// Escaping in N, with other arguments besides Count.
	ar := newCatalog(t).For("ar")
	if got := ar.T("whatsapp_saved", "Number", "+33<6>"); !strings.Contains(got, "+33&lt;6&gt;") {
		t.Errorf("ar T(whatsapp_saved) = %q", got)
	}
}

func TestN(t *testing.T) {
	cat := newCatalog(t)
	fr, ar := cat.For("fr"), cat.For("ar")
	for _, tc := range []struct {
		lang, key string
		n         int
		want      string
	}{
		{"en", "days", 0, "0 days"},
		{"en", "days", 1, "1 day"},
		{"en", "days", 2, "2 days"},
		{"en", "days", 1_000_000, "1,000,000 days"},
		{"en", "usage_calls", 1, "📞 1 minute of calls left"},
		{"en", "networks_more", 3, "…and 3 more networks"},

		{"fr", "days", 0, "0 jour"},
		{"fr", "days", 1, "1 jour"},
		{"fr", "days", 2, "2 jours"},
		{"fr", "days", 30, "30 jours"},
		{"fr", "days", 1_000_000, fr.Number(1_000_000) + " de jours"},
		{"fr", "networks_more", 1, "…et 1 autre réseau"},
		{"fr", "networks_more", 4, "…et 4 autres réseaux"},

		{"ar", "days", 0, "٠ يوم"},
		{"ar", "days", 1, "يوم واحد"},
		{"ar", "days", 2, "يومان"},
		{"ar", "days", 3, "٣ أيام"},
		{"ar", "days", 10, "١٠ أيام"},
		{"ar", "days", 11, "١١ يومًا"},
		{"ar", "days", 99, "٩٩ يومًا"},
		{"ar", "days", 100, "١٠٠ يوم"},
		{"ar", "days", 102, "١٠٢ يوم"},
		{"ar", "days", 103, "١٠٣ أيام"},
		{"ar", "days", 111, "١١١ يومًا"},
		{"ar", "days", 1_000_000, ar.Number(1_000_000) + " يوم"},
		{"ar", "usage_sms", 0, "✉️ لا رسائل SMS متبقية"},
		{"ar", "usage_calls", 2, "📞 دقيقتان متبقيتان للمكالمات"},
	} {
		if got := cat.For(tc.lang).N(tc.key, tc.n); got != tc.want {
			t.Errorf("%s: N(%s, %d) = %q, want %q", tc.lang, tc.key, tc.n, got, tc.want)
		}
	}

	// N must not write past the caller's arguments into their array.
	args := make([]any, 2, 8)
	args[0], args[1] = "Unused", "x"
	_ = cat.For("en").N("days", 3, args...)
	if extra := args[:4]; extra[2] != nil || extra[3] != nil {
		t.Errorf("N wrote %v into the caller's array", extra[2:])
	}
}

// TestPrice pins the CLDR money formats of each catalog language, as
// github.com/bojanz/currency has them (CLDR 49): symbol and its place,
// separators, digits, the no-break spaces and the right-to-left mark of
// Arabic, and how an unknown currency is shown.
func TestPrice(t *testing.T) {
	cat := newCatalog(t)
	d := decimal.RequireFromString
	const (
		nbsp  = "\u00a0" // between amount and symbol
		nnbsp = "\u202f" // French thousands
		rlm   = "\u200f" // Arabic amounts start right to left
		alm   = "\u061c" // Arabic letter mark, before the minus sign
	)
	for _, tc := range []struct {
		lang, amount, code string
		want               string
	}{
		{"en", "6.75", "USD", "$6.75"},
		{"en", "4.01", "EUR", "€4.01"},
		{"en", "4.01", " eur ", "€4.01"},
		{"en", "1234.5", "USD", "$1,234.50"},
		{"en", "-4.01", "EUR", "-€4.01"},
		{"en", "4.005", "EUR", "€4.01"}, // rounded half up to the cent
		{"en", "1500", "JPY", "¥1,500"},
		{"en", "4.01", "CHF", "CHF" + nbsp + "4.01"},
		{"en", "4.01", "XYZ", "4.01" + nbsp + "XYZ"},
		{"en", "4.01", "", "4.01"},

		{"fr", "6.75", "USD", "6,75" + nbsp + "$US"},
		{"fr", "4.01", "EUR", "4,01" + nbsp + "€"},
		{"fr", "1234.5", "USD", "1" + nnbsp + "234,50" + nbsp + "$US"},
		{"fr", "4.01", "XYZ", "4,01" + nbsp + "XYZ"},

		{"ar", "6.75", "USD", rlm + "٦٫٧٥" + nbsp + "US$"},
		{"ar", "4.01", "EUR", rlm + "٤٫٠١" + nbsp + "€"},
		{"ar", "1234.5", "USD", rlm + "١٬٢٣٤٫٥٠" + nbsp + "US$"},
		{"ar", "-4.01", "EUR", alm + "-" + rlm + "٤٫٠١" + nbsp + "€"},
		{"ar", "4.01", "XYZ", rlm + "٤٫٠١" + nbsp + "XYZ"},
	} {
		if got := cat.For(tc.lang).Price(d(tc.amount), tc.code); got != tc.want {
			t.Errorf("%s: Price(%s, %q) = %+q, want %+q", tc.lang, tc.amount, tc.code, got, tc.want)
		}
	}
	// Odd input never panics and still shows the amount.
	for _, lang := range []string{"en", "fr", "ar"} {
		loc := cat.For(lang)
		for _, code := range []string{"€", "EURO", "12", "ÉÜR", "X", strings.Repeat("A", 500), "XXX", "BTC"} {
			for _, amount := range []string{"0", "-4.01", "123456789.999", "0.005"} {
				if got := loc.Price(d(amount), code); got == "" {
					t.Errorf("%s: Price(%s, %q) is empty", lang, amount, code)
				}
			}
		}
	}
}

func TestNumberPercent(t *testing.T) {
	cat := newCatalog(t)
	if got := cat.For("en").Number(1234567); got != "1,234,567" {
		t.Errorf("en: Number = %q", got)
	}
	if got := cat.For("ar").Number(42); got != "٤٢" {
		t.Errorf("ar: Number = %q", got)
	}
	for _, tc := range []struct{ lang, want string }{
		{"en", "42%"},
		{"fr", "42\u00a0%"},
		{"ar", "٤٢٪\u061c"},
	} {
		if got := cat.For(tc.lang).Percent(42); got != tc.want {
			t.Errorf("%s: Percent(42) = %q, want %q", tc.lang, got, tc.want)
		}
	}
	if got := cat.For("en").Percent(100); got != "100%" {
		t.Errorf("en: Percent(100) = %q", got)
	}
}

func TestCountry(t *testing.T) {
	cat := newCatalog(t)
	for _, tc := range []struct {
		lang, code, want string
	}{
		{"en", "FR", "France"},
		{"fr", "FR", "France"},
		{"ar", "FR", "فرنسا"},
		{"en", "fra", "France"},
		{"en", "FRA", "France"},
		{"en", "fr", "France"},
		{"fr", "JP", "Japon"},
		{"ar", "JPN", "اليابان"},
		{"en", "XX", ""},
		{"en", "ZZ", ""},
		{"en", "EU", ""},
		{"en", "", ""},
		{"fr", "QQQ", ""},
		{"ar", "Atlantis", ""},
		{"en", "12345", ""},
	} {
		if got := cat.For(tc.lang).Country(tc.code); got != tc.want {
			t.Errorf("%s: Country(%q) = %q, want %q", tc.lang, tc.code, got, tc.want)
		}
	}
}

func TestRTLAndLanguageName(t *testing.T) {
	cat := newCatalog(t)
	for _, tc := range []struct {
		lang string
		rtl  bool
		name string
	}{
		{"en", false, "English"},
		{"fr", false, "Français"}, // a label: capitalized, as language pickers show it
		{"ar", true, "العربية"},
	} {
		loc := cat.For(tc.lang)
		if got := loc.RTL(); got != tc.rtl {
			t.Errorf("%s: RTL() = %v", tc.lang, got)
		}
		if got := locales.LanguageName(loc.Tag); got != tc.name {
			t.Errorf("LanguageName(%s) = %q, want %q", tc.lang, got, tc.name)
		}
	}
}

// TestFallback: a language's missing message renders in English, and a
// missing plural form as "other", not as "[key]" (go-i18n reports both as
// errors along with the text it rendered).
func TestFallback(t *testing.T) {
	cat, err := locales.NewFromFS(fstest.MapFS{
		"active.en.toml": {Data: []byte("hello = \"Hello {{.Name}}\"\nonly_en = \"English only\"\n" +
			"[days]\none = \"{{.Count}} day\"\nother = \"{{.Count}} days\"\n")},
		"active.fr.toml": {Data: []byte("hello = \"Bonjour {{.Name}}\"\n" +
			"[days]\none = \"{{.Count}} jour\"\nother = \"{{.Count}} jours\"\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	fr := cat.For("fr")
	for _, tc := range []struct{ got, want string }{
		{fr.T("hello", "Name", "<Zoé>"), "Bonjour &lt;Zoé&gt;"},
		{fr.T("only_en"), "English only"},
		{fr.N("days", 1), "1 jour"},
		{fr.N("days", 1_000_000), fr.Number(1_000_000) + " jours"}, // "many" in go-i18n's French rules
		{fr.T("nowhere"), "[nowhere]"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if _, err := locales.NewFromFS(fstest.MapFS{"active.en.toml": {Data: []byte("x = ")}}); err == nil {
		t.Error("NewFromFS accepted a broken catalog")
	}
}

func TestDecimal(t *testing.T) {
	c := locales.MustNew()
	for _, tc := range []struct {
		lang string
		v    float64
		want string
	}{{"en", 1.5, "1.5"}, {"fr", 1.5, "1,5"}, {"ar", 1.5, "١٫٥"}, {"en", 2, "2"}, {"en", 1234.5, "1,234.5"}} {
		if got := c.For(tc.lang).Decimal(tc.v); got != tc.want {
			t.Errorf("%s Decimal(%v) = %q, want %q", tc.lang, tc.v, got, tc.want)
		}
	}
}

func TestPlain(t *testing.T) {
	l := locales.MustNew().For("en")
	if got := l.Plain("btn_use", "Value", "D'Angelo <x@y.z>"); got != "Use D'Angelo <x@y.z>" {
		t.Errorf("Plain = %q", got)
	}
}

// TestDate pins the CLDR long date of each catalog language, with the
// language's digits, and asks every catalog language for its CLDR date
// data (a new language imports its go-playground/locales package in
// locales.go; without it, dates show as 2026-12-08).
func TestDate(t *testing.T) {
	cat := newCatalog(t)
	paris := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		lang string
		t    time.Time
		want string
	}{
		{"en", time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC), "December 8, 2026"},
		{"en", time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), "January 31, 2027"},
		{"fr", time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC), "8 décembre 2026"},
		{"fr", time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), "1er août 2026"},
		{"fr", time.Date(2026, 8, 11, 0, 0, 0, 0, time.UTC), "11 août 2026"},
		{"fr", time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC), "21 août 2026"},
		{"en", time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), "August 1, 2026"},
		{"ar", time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC), "٨ ديسمبر ٢٠٢٦"},
		{"ar", time.Date(2027, 5, 19, 0, 0, 0, 0, time.UTC), "١٩ مايو ٢٠٢٧"},
		// The date in t's own location: 23:30 UTC is already the 9th in Paris.
		{"en", time.Date(2026, 12, 8, 23, 30, 0, 0, time.UTC).In(paris), "December 9, 2026"},
	} {
		if got := cat.For(tc.lang).Date(tc.t); got != tc.want {
			t.Errorf("%s: Date(%s) = %q, want %q", tc.lang, tc.t, got, tc.want)
		}
	}
	iso := regexp.MustCompile(`^\p{Nd}{4}-\p{Nd}{2}-\p{Nd}{2}$`)
	for _, lang := range catalogLangs(t) {
		if got := cat.For(lang).Date(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)); iso.MatchString(got) {
			t.Errorf("%s: Date = %q: no CLDR date data for the language (see longDates in locales.go)", lang, got)
		}
	}
}

// TestDigits: within one language, every number in a message has the same
// digits, whichever library formats it: those of Number, for every catalog
// language; Arabic-Indic in Arabic, ASCII in English and French.
func TestDigits(t *testing.T) {
	cat := newCatalog(t)
	want := map[string]string{"en": "0123456789", "fr": "0123456789", "ar": "٠١٢٣٤٥٦٧٨٩"}
	for _, lang := range catalogLangs(t) {
		loc := cat.For(lang)
		digits, ok := want[lang]
		if !ok { // a newer catalog: the digits of Number
			digits = loc.Number(1234567890)
		}
		for _, out := range []string{
			loc.Price(decimal.RequireFromString("1234567.89"), "USD"),
			loc.Price(decimal.RequireFromString("-6.75"), "EUR"),
			loc.Price(decimal.RequireFromString("4.01"), "XYZ"),
			loc.Date(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)),
			loc.Number(1234567890),
			loc.Decimal(1.5),
			loc.Decimal(1234.5),
			loc.Percent(30),
			loc.N("days", 30),
		} {
			n := 0
			for _, r := range out {
				if !unicode.IsDigit(r) {
					continue
				}
				n++
				if !strings.ContainsRune(digits, r) {
					t.Errorf("%s: %+q has digit %q, not the language's", lang, out, r)
					break
				}
			}
			if n == 0 {
				t.Errorf("%s: %+q has no digits", lang, out)
			}
		}
	}
}

// TestBotDescriptionLengths: the bot's descriptions fit Telegram's limits
// (counted in UTF-16 code units, as the Bot API counts text).
func TestBotDescriptionLengths(t *testing.T) {
	for _, lang := range catalogLangs(t) {
		c := readCatalog(t, lang)
		for key, max := range map[string]int{"bot_description": 512, "bot_short_description": 120} {
			s, ok := c[key].forms["other"]
			if n := len(utf16.Encode([]rune(s))); !ok || n > max {
				t.Errorf("%s: %s is %d characters (present: %t), want 1 to %d", lang, key, n, ok, max)
			}
		}
	}
}

// TestArabicCatalogDigits: Arabic messages write their own numbers (lists,
// examples, versions) in Arabic-Indic digits, as Number does, so digits are
// consistent inside one message; codes, placeholders and escapes are left.
func TestArabicCatalogDigits(t *testing.T) {
	skip := regexp.MustCompile(`<code>.*?</code>|\{\{.*?\}\}|SM-DP\+|[45]G|eSIM|LPA`)
	for key, m := range readCatalog(t, "ar") {
		for form, text := range m.forms {
			if i := strings.IndexFunc(skip.ReplaceAllString(text, ""), func(r rune) bool { return r >= '0' && r <= '9' }); i >= 0 {
				t.Errorf("ar %s (%s): ASCII digit in %q", key, form, text)
			}
		}
	}
}

// TestHas: a key of English is there in every language (falling back to
// English); a key of no catalog is not.
func TestHas(t *testing.T) {
	cat, err := locales.NewFromFS(fstest.MapFS{
		"active.en.toml": {Data: []byte("hello = \"Hello {{.Name}}\"\nonly_en = \"English only\"\n")},
		"active.fr.toml": {Data: []byte("hello = \"Bonjour {{.Name}}\"\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang, key string
		want      bool
	}{
		{"en", "hello", true}, {"fr", "hello", true}, {"fr", "only_en", true},
		{"en", "nowhere", false}, {"fr", "nowhere", false},
	} {
		if got := cat.For(tc.lang).Has(tc.key); got != tc.want {
			t.Errorf("%s: Has(%q) = %v, want %v", tc.lang, tc.key, got, tc.want)
		}
	}
}

// TestTrace: a traced Localizer reports the key of every message it
// renders, and renders as the one it comes from.
func TestTrace(t *testing.T) {
	l := locales.MustNew().For("en")
	var keys []string
	tl := l.Trace(func(key string) { keys = append(keys, key) })
	if got, want := tl.Plain("btn_use", "Value", "x"), l.Plain("btn_use", "Value", "x"); got != want {
		t.Errorf("traced Plain = %q, want %q", got, want)
	}
	tl.N("days", 2)
	tl.T("help")
	if want := []string{"btn_use", "days", "help"}; !slices.Equal(keys, want) {
		t.Errorf("traced %v, want %v", keys, want)
	}
}

// BenchmarkFor measures the Localizer every turn takes for its user's
// language, and for a language tag the catalog has not.
func BenchmarkFor(b *testing.B) {
	c, err := locales.New()
	if err != nil {
		b.Fatal(err)
	}
	for _, lang := range []string{"fr", "pt-BR"} {
		b.Run(lang, func(b *testing.B) {
			for b.Loop() {
				_ = c.For(lang)
			}
		})
	}
}

// TestForSharesNothing: a Localizer For returns may be changed by its
// caller without changing the next one For returns.
func TestForSharesNothing(t *testing.T) {
	c, err := locales.New()
	if err != nil {
		t.Fatal(err)
	}
	l := c.For("fr")
	l.Tag = language.Arabic
	if got := c.For("fr").Tag; got != language.French {
		t.Errorf("For(fr) after a caller changed the last one: %v, want fr", got)
	}
}

// TestTags: the tags read off the file names are the loaded catalog's.
func TestTags(t *testing.T) {
	var loaded []string
	for _, tag := range locales.MustNew().Languages() {
		loaded = append(loaded, tag.String())
	}
	sort.Strings(loaded)
	if got := locales.Tags(); !slices.Equal(got, loaded) {
		t.Errorf("Tags() = %v, want %v", got, loaded)
	}
}
