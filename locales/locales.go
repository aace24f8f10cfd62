// Package locales holds every user-visible string of esimbot, one catalog
// per language (active.<lang>.toml, embedded), and formats prices, dates,
// numbers and country names for a language.
//
// Messages are Telegram HTML: they may contain <b>, <i>, <code> and <a>.
// Every string argument is HTML-escaped by T and N, so callers pass raw
// user or API text. Plural forms follow the CLDR rules of each language
// (English one/other; French one/other; Arabic zero/one/two/few/many/other),
// through github.com/nicksnyder/go-i18n/v2.
//
// Values follow CLDR too, each from a library generated from it: prices
// from github.com/bojanz/currency, long dates from
// github.com/go-playground/locales, numbers, percentages and country names
// from golang.org/x/text. Every number in one language's messages has the
// same digits: Arabic-Indic in Arabic, ASCII in English and French.
//
// To add a language, copy active.en.toml to active.<tag>.toml, translate
// every value (keep the {{.Placeholders}}), add the language's
// go-playground/locales package to longDates, and run go test ./locales:
// the tests fail on a missing key, a placeholder that differs from
// English, or a language without CLDR date data.
package locales

import (
	"embed"
	"fmt"
	"html"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/bojanz/currency"
	cldrar "github.com/go-playground/locales/ar"
	cldren "github.com/go-playground/locales/en"
	cldrfr "github.com/go-playground/locales/fr"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/shopspring/decimal"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

//go:embed active.*.toml
var files embed.FS

// Catalog holds the messages of every language.
type Catalog struct {
	bundle  *i18n.Bundle
	tags    []language.Tag
	matcher language.Matcher
	formats map[language.Tag]*formats
	// byLang has the Localizer of each catalog language's own tag string
	// ("en", "fr", …: what users choose), which For copies.
	byLang map[string]*Localizer
}

// New loads the embedded catalogs. English is the fallback.
func New() (*Catalog, error) { return newFromFS(files) }

// newFromFS loads the catalogs active.*.toml of fsys (tests use their own).
func newFromFS(fsys fs.FS) (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	names, err := fs.Glob(fsys, "active.*.toml")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if _, err := b.ParseMessageFileBytes(data, name); err != nil {
			return nil, fmt.Errorf("locales: %s: %w", name, err)
		}
	}
	// A copy: LanguageTags is the bundle's own slice, whose order its
	// matcher relies on.
	tags := append([]language.Tag(nil), b.LanguageTags()...)
	// English first, so the matcher falls back to it.
	for i, t := range tags {
		if t == language.English {
			tags[0], tags[i] = tags[i], tags[0]
		}
	}
	c := &Catalog{bundle: b, tags: tags, matcher: language.NewMatcher(tags), formats: map[language.Tag]*formats{}}
	for _, t := range tags {
		c.formats[t] = newFormats(t)
	}
	c.byLang = make(map[string]*Localizer, len(tags))
	for _, t := range tags {
		c.byLang[t.String()] = c.localizer(t.String())
	}
	return c, nil
}

// formats are the CLDR formats of one language. They are built once per
// catalog and only read afterwards, so Localizers share them.
type formats struct {
	money  *currency.Formatter    // an amount in a known currency
	amount *currency.Formatter    // an amount alone, for an unknown currency
	date   func(time.Time) string // CLDR long date, Latin digits; nil if none
	digits *strings.Replacer      // Latin digits to the language's; nil if Latin
}

// longDates are the CLDR long date formats (github.com/go-playground/locales,
// CLDR 36) of the catalog languages, by BCP 47 tag. That library has a
// package per locale: a new catalog language imports its own here, which
// TestDate asks for.
var longDates = map[string]func(time.Time) string{
	"ar": cldrar.New().FmtDateLong,
	"en": cldren.New().FmtDateLong,
	"fr": cldrfr.New().FmtDateLong,
}

func newFormats(tag language.Tag) *formats {
	loc := currency.NewLocale(cldrLocale(tag))
	f := &formats{money: currency.NewFormatter(loc), amount: currency.NewFormatter(loc)}
	for t := tag; f.date == nil && t != language.Und; t = t.Parent() {
		f.date = longDates[t.String()]
	}
	// The digits of Number, which golang.org/x/text takes from CLDR.
	p := message.NewPrinter(tag)
	var pairs []string
	for i := range 10 {
		if d := p.Sprint(i); d != strconv.Itoa(i) {
			pairs = append(pairs, strconv.Itoa(i), d)
		}
	}
	if pairs != nil {
		f.digits = strings.NewReplacer(pairs...)
	}
	// Round to the currency's minor unit, as the amount is charged.
	f.money.MaxDigits = currency.DefaultDigits
	f.amount.CurrencyDisplay = currency.DisplayNone
	f.amount.MinDigits, f.amount.MaxDigits = 2, 2
	return f
}

// cldrLocale is the CLDR locale whose money formats a language uses: the
// language in its likely region (CLDR likely subtags: en-US, fr-FR,
// ar-EG). For Arabic this matters: since CLDR 48, bare ar writes Latin
// digits (as the Maghreb does), while ar-EG, like the other Middle-East
// locales, keeps CLDR's Arabic-Indic digits, which Number, N and the
// Arabic catalog use (golang.org/x/text has CLDR 32, where ar has them).
func cldrLocale(tag language.Tag) string {
	r, _ := tag.Region()
	t, err := language.Compose(tag, r)
	if err != nil {
		return tag.String()
	}
	return t.String()
}

// MustNew is New for tests and program start: it panics on a broken catalog,
// which the package's tests rule out.
func MustNew() *Catalog {
	c, err := New()
	if err != nil {
		panic(err)
	}
	return c
}

// Tags returns the tags of the embedded catalogs' languages (en, fr, …,
// sorted), as their file names say, without loading them: for a setting's
// help and check. Catalog.Languages is the loaded list.
func Tags() []string {
	names, _ := fs.Glob(files, "active.*.toml")
	tags := make([]string, 0, len(names))
	for _, n := range names {
		tags = append(tags, strings.TrimSuffix(strings.TrimPrefix(n, "active."), ".toml"))
	}
	sort.Strings(tags)
	return tags
}

// Languages returns the languages with a catalog, English first.
func (c *Catalog) Languages() []language.Tag { return append([]language.Tag(nil), c.tags...) }

// Match returns the supported language closest to the preferences (BCP 47
// tags such as Telegram's language_code), English when none is close.
func (c *Catalog) Match(prefs ...string) language.Tag {
	var want []language.Tag
	for _, p := range prefs {
		if t, err := language.Parse(p); err == nil {
			want = append(want, t)
		}
	}
	_, i, conf := c.matcher.Match(want...)
	if conf == language.No {
		return language.English
	}
	return c.tags[i]
}

// For returns a Localizer for the supported language closest to lang.
func (c *Catalog) For(lang string) *Localizer {
	if l, ok := c.byLang[lang]; ok {
		cp := *l // the caller may change it
		return &cp
	}
	return c.localizer(lang)
}

// localizer builds the Localizer of For.
func (c *Catalog) localizer(lang string) *Localizer {
	tag := c.Match(lang)
	f, ok := c.formats[tag]
	if !ok { // not a catalog language: Match rules it out
		f = newFormats(tag)
	}
	return &Localizer{
		Tag: tag,
		l:   i18n.NewLocalizer(c.bundle, tag.String(), "en"),
		p:   message.NewPrinter(tag),
		f:   f,
	}
}

// Localizer renders messages and values in one language.
type Localizer struct {
	// Tag is the language.
	Tag language.Tag
	l   *i18n.Localizer
	p   *message.Printer
	f   *formats
	// trace, when set, is told the key of every message rendered.
	trace func(key string)
}

// Trace returns a Localizer of the same language that calls fn with the
// key of every message it renders (T, Plain, N), so a test can tell which
// messages a caller uses.
func (l *Localizer) Trace(fn func(key string)) *Localizer {
	c := *l
	c.trace = fn
	return &c
}

// T renders message key with arguments given as name, value pairs
// (T("greet", "Name", name)). String values are HTML-escaped; a missing
// key renders as the key in brackets, which the tests rule out.
func (l *Localizer) T(key string, args ...any) string {
	return l.render(key, nil, args)
}

// Has reports whether the catalog has message key, in the language or in
// English (which T then renders).
func (l *Localizer) Has(key string) bool {
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: key})
	return err == nil || s != ""
}

// Plain renders message key as plain text, for button labels and other
// places that are not HTML: the arguments are not escaped, and entities
// in the message are decoded.
func (l *Localizer) Plain(key string, args ...any) string {
	raw := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok && i%2 == 1 {
			a = Raw(s)
		}
		raw[i] = a
	}
	return html.UnescapeString(l.render(key, nil, raw))
}

// N renders the plural form of key for count n; the template sees n as
// {{.Count}} besides the other arguments.
func (l *Localizer) N(key string, n int, args ...any) string {
	// A new slice: appending to args could write into the caller's array.
	all := make([]any, 0, len(args)+2)
	all = append(append(all, args...), "Count", l.p.Sprint(n))
	return l.render(key, n, all)
}

func (l *Localizer) render(key string, count any, args []any) string {
	if l.trace != nil {
		l.trace(key)
	}
	data := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		name, _ := args[i].(string)
		switch v := args[i+1].(type) {
		case string:
			data[name] = html.EscapeString(v)
		case Raw:
			data[name] = string(v)
		default:
			data[name] = v
		}
	}
	// Localize reports an error but still renders the English message when
	// the language lacks the key, and the "other" form when the message
	// lacks the language's plural form (go-i18n's rules, newer than CLDR
	// 32, give French a "many" form for exact millions): both are better
	// than the bracketed key. Nothing rendered means no message or a broken
	// template.
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: data, PluralCount: count})
	if err != nil && s == "" {
		return "[" + key + "]"
	}
	return s
}

// Raw is a string argument that is already HTML (another rendered message),
// passed to T or N without escaping.
type Raw string

// Price formats an amount in a currency (ISO 4217) as CLDR writes money in
// the language ("$6.75", "6,75 $US", "٦٫٧٥ US$" after a right-to-left
// mark), rounded to the currency's minor unit. An amount in an unknown
// currency is the number (two decimals) followed by the code as given, or
// the number alone without a code.
func (l *Localizer) Price(amount decimal.Decimal, code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	if a, err := currency.NewAmount(amount.String(), code); err == nil {
		return l.f.money.Format(a)
	}
	// Any known currency will do: the formatter shows only the number.
	a, err := currency.NewAmount(amount.String(), "USD")
	if err != nil { // a decimal always reads back; this is a safety net
		a, _ = currency.NewAmount("0", "USD")
	}
	s := l.f.amount.Format(a)
	if code == "" {
		return s
	}
	return s + "\u00a0" + code
}

// Date formats the calendar date of t (in t's location) in the language's
// long form, as CLDR has it ("December 8, 2026", "8 décembre 2026",
// "٨ ديسمبر ٢٠٢٦"; in French the first of a month is "1er"), with the
// digits of Number. A language without CLDR
// date data gets the ISO form 2026-12-08.
func (l *Localizer) Date(t time.Time) string {
	s := t.Format("2006-01-02")
	if l.f.date != nil {
		s = l.f.date(t)
		if b, _ := l.Tag.Base(); b.String() == "fr" && t.Day() == 1 {
			s = strings.Replace(s, "1", "1er", 1) // "1er août": French writes the first day as an ordinal, which CLDR leaves out
		}
	}
	if l.f.digits != nil {
		s = l.f.digits.Replace(s)
	}
	return s
}

// Decimal formats a number with at most one decimal (1.5, "1,5", "١٫٥"),
// with the language's digits and separators; a whole number has none.
func (l *Localizer) Decimal(v float64) string {
	if v == float64(int64(v)) {
		return l.p.Sprint(int64(v))
	}
	return l.p.Sprintf("%.1f", v)
}

// Digits writes the ASCII digits of s in the language's digits (a phone
// number in Arabic-Indic digits in Arabic); other characters are kept.
func (l *Localizer) Digits(s string) string {
	if l.f.digits == nil {
		return s
	}
	return l.f.digits.Replace(s)
}

// Number formats an integer with the language's digits and separators.
func (l *Localizer) Number(n int64) string { return l.p.Sprint(n) }

// Percent formats a whole percentage with the language's digits and sign
// ("30%", "30 %", "٣٠٪").
func (l *Localizer) Percent(n int) string { return l.p.Sprint(number.Percent(float64(n) / 100)) }

// Country returns a country's name in the language, from its ISO 3166
// alpha-2 or alpha-3 code, or "" for an unknown code.
func (l *Localizer) Country(code string) string {
	r, err := language.ParseRegion(code)
	if err != nil || !r.IsCountry() {
		return ""
	}
	return display.Regions(l.Tag).Name(r)
}

// LanguageName returns the language's own name as a label, capitalized as
// language pickers show it ("English", "Français", "العربية"), although
// CLDR writes some in lower case ("français").
func LanguageName(tag language.Tag) string {
	name := display.Self.Name(tag)
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[size:]
}

// RTL reports whether the language is written right to left.
func (l *Localizer) RTL() bool {
	b, _ := l.Tag.Base()
	switch b.String() {
	case "ar", "fa", "he", "ur":
		return true
	}
	return false
}
