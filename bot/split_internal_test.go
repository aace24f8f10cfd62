package bot

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"

	"github.com/esimbot/esimbot/bot/telegramtest"
)

// checkSplit checks the parts of text split at limit: each is within
// limit and, when text is valid Telegram HTML, each is valid and not blank
// too, and together they are the text's plain text in order, less white
// space at the cuts. (A text Telegram refuses cannot give valid parts: a
// bare '<' may even make a tag of the end tag that closes a part.)
func checkSplit(t *testing.T, text string, limit int, parts []string) {
	t.Helper()
	for i, p := range parts {
		if n := length(p); n > limit && len(parts) > 1 {
			t.Fatalf("part %d is %d long, limit %d: %q", i, n, limit, p)
		}
	}
	plain, _, err := telegramtest.ParseHTML(text)
	if err != nil {
		return
	}
	if strings.TrimFunc(plain, unicode.IsSpace) == "" {
		if len(parts) > 0 {
			t.Fatalf("a blank text gives %q", parts)
		}
		return
	}
	rest := plain
	for i, p := range parts {
		got, _, err := telegramtest.ParseHTML(p)
		if err != nil {
			t.Fatalf("part %d of a valid text is refused: %v\npart: %q\ntext: %q", i, err, p, text)
		}
		got = strings.TrimFunc(got, unicode.IsSpace)
		if got == "" {
			t.Fatalf("part %d of %d is blank: %q", i, len(parts), p)
		}
		if n := len(utf16.Encode([]rune(got))); n > limit {
			t.Fatalf("part %d is %d long for Telegram, limit %d: %q", i, n, limit, p)
		}
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if !strings.HasPrefix(rest, got) {
			t.Fatalf("part %d is %q, want the text to go on with %q", i, got, clipTo(rest, len(got)+20))
		}
		rest = rest[len(got):]
	}
	if strings.TrimFunc(rest, unicode.IsSpace) != "" {
		t.Fatalf("the parts lose %q", clipTo(rest, 60))
	}
}

func clipTo(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		limit int
		parts int // 0: don't care
	}{
		{"Short", "hello <b>world</b>", 4096, 1},
		{"EntitiesNeverCut", strings.Repeat("&lt;", 5000), 4096, 2},
		{"EchoOfTypedAngles", "You typed: <code>" + strings.Repeat("&lt;", 4096) + "</code>\nTry again.", 4096, 3},
		{"NumericEntities", strings.Repeat("&#x1F600;&#233;", 3000), 4096, 0},
		{"TagsNeverCut", strings.Repeat(`<a href="https://example.com/a>b">x</a>`, 5000), 4096, 0},
		{"ElementOverLines", "<blockquote>" + strings.Repeat("a line in a quote\n", 400) + "</blockquote>", 4096, 2},
		{"NestedOverLongLine", "<b>bold <i>" + strings.Repeat("word ", 2000) + "</i> end</b>", 4096, 3},
		{"NewlinesOnly", strings.Repeat("\n", 5000), 4096, 0},
		{"RunOfNewlines", "top" + strings.Repeat("\n", 5000) + "bottom", 4096, 2},
		{"NewlinesInATag", "<b>" + strings.Repeat("\n", 9000) + "x</b>", 4096, 1},
		{"TrailingNewlines", "end" + strings.Repeat("\n", 8200), 4096, 1},
		{"OneLongWord", strings.Repeat("x", 10000), 4096, 3},
		{"SurrogatePairs", strings.Repeat("😀", 3000), 4096, 2},
		{"LinesKeptWhole", strings.Repeat("line of text &amp; more\n", 400), 4096, 2},
		{"SmallLimit", "<b>ab&amp;cd</b> <i>ef</i>", 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := split(tc.text, tc.limit)
			if tc.parts > 0 && len(parts) != tc.parts {
				t.Errorf("%d parts, want %d", len(parts), tc.parts)
			}
			checkSplit(t, tc.text, tc.limit, parts)
		})
	}
	if parts := split("  \n<b> </b>\n", 10); parts != nil {
		t.Errorf("a blank text gives %q, want no part", parts)
	}
}

// FuzzSplit: for any text and limit, the parts are never blank, each is
// within the limit, and for a valid text each is valid Telegram HTML and
// they are the text in order.
func FuzzSplit(f *testing.F) {
	f.Add("hello <b>world</b>\nsecond line &amp; more", uint16(10))
	f.Add(strings.Repeat("&lt;", 50), uint16(7))
	f.Fuzz(func(t *testing.T, text string, limit uint16) {
		l := 2 + int(limit)%200
		if limit == 0 {
			l = maxText
		}
		// At most about 64 parts: a long text with deep nesting reopens
		// every open tag in each part, which only slows the fuzzing.
		l = max(l, len(text)/64)
		checkSplit(t, text, l, split(text, l))
	})
}

// BenchmarkSplitShort measures split on a screen's text that fits in one
// message, as most are.
func BenchmarkSplitShort(b *testing.B) {
	text := strings.Repeat("<b>Europe 10 GB</b>, 30 days: <i>€19.90</i> &amp; more\n", 20)
	b.ReportAllocs()
	for b.Loop() {
		if parts := split(text, maxText); len(parts) != 1 {
			b.Fatalf("%d parts", len(parts))
		}
	}
}
