package bot

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Telegram HTML, as far as measuring and cutting it needs: a text is a
// sequence of tokens, each a tag (<b>, </b>, <a href="…">), an entity
// (&lt; &gt; &amp; &quot; &#N; &#xH;: the only ones Telegram decodes) or a
// character. A cut between two tokens is never inside a tag or an entity.

// tokenKind tells tags from visible text.
type tokenKind uint8

const (
	tokenText  tokenKind = iota // a character or an entity
	tokenStart                  // a start tag
	tokenEnd                    // an end tag
)

// htmlToken is one token of a Telegram HTML text.
type htmlToken struct {
	kind  tokenKind
	raw   string // the token as written in the text
	name  string // a tag's name, lower case
	width int    // UTF-16 code units of the visible character (0 for tags)
	space bool   // the visible character is white space
	nl    bool   // the visible character is a line break
}

// tokenize cuts Telegram HTML into tokens. It never fails: what is not a
// tag or an entity (a '<' without '>', a bare '&', invalid UTF-8) is
// visible text, as Telegram would count it if it took the text at all.
func tokenize(s string) []htmlToken {
	toks := make([]htmlToken, 0, len(s))
	lastGT := strings.LastIndexByte(s, '>')
	for i := 0; i < len(s); {
		var t htmlToken
		t, i = nextToken(s, i, lastGT)
		toks = append(toks, t)
	}
	return toks
}

// nextToken returns the token that starts at s[i] and the index after it;
// lastGT is the index of the text's last '>'.
func nextToken(s string, i, lastGT int) (htmlToken, int) {
	switch s[i] {
	case '<':
		if end := tagEnd(s, i, lastGT); end > 0 {
			raw := s[i:end]
			kind, name := tokenStart, raw[1:]
			if strings.HasPrefix(name, "/") {
				kind, name = tokenEnd, name[1:]
			}
			n := 0
			for n < len(name) && isTagNameChar(name[n]) {
				n++
			}
			return htmlToken{kind: kind, raw: raw, name: strings.ToLower(name[:n])}, end
		}
	case '&':
		if r, n, ok := entity(s[i:]); ok {
			return textToken(s[i:i+n], r), i + n
		}
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return textToken(s[i:i+n], r), i + n
}

func textToken(raw string, r rune) htmlToken {
	w := 1
	if r >= 0x10000 {
		w = 2
	}
	return htmlToken{kind: tokenText, raw: raw, width: w, space: unicode.IsSpace(r), nl: r == '\n'}
}

// tagEnd returns the index after the '>' that closes the tag opened by the
// '<' at s[i], skipping quoted attribute values, or -1 if none does.
func tagEnd(s string, i, lastGT int) int {
	if i > lastGT {
		return -1 // no '>' after it: not a tag, and found without a scan
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '>':
			return j + 1
		case '=':
			if j = valueEnd(s, j); j < 0 {
				return -1
			}
		}
	}
	return -1
}

// valueEnd returns the index of the last byte of the attribute value after
// the '=' at s[j], or -1 if the value is in quotes that never close.
func valueEnd(s string, j int) int {
	// A value in quotes, as Telegram reads it: a quote counts only where a
	// value begins.
	k := j + 1
	for k < len(s) && isTagSpace(s[k]) {
		k++
	}
	if k < len(s) && (s[k] == '"' || s[k] == '\'') {
		end := strings.IndexByte(s[k+1:], s[k])
		if end < 0 {
			return -1
		}
		return k + 1 + end
	}
	// An unquoted value runs to white space or the '>'.
	for k < len(s) && !isTagSpace(s[k]) && s[k] != '>' {
		k++
	}
	return k - 1
}

// isTagSpace reports whether c is white space between a tag's attributes.
func isTagSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isTagNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// entity decodes the entity at the start of s, one of those Telegram
// supports, and returns its character and length in bytes.
func entity(s string) (rune, int, bool) {
	semi := strings.IndexByte(s, ';')
	if semi < 2 || semi > 10 {
		return 0, 0, false
	}
	name := s[1:semi]
	switch name {
	case "lt":
		return '<', semi + 1, true
	case "gt":
		return '>', semi + 1, true
	case "amp":
		return '&', semi + 1, true
	case "quot":
		return '"', semi + 1, true
	}
	if r, ok := charRef(name); ok {
		return r, semi + 1, true
	}
	return 0, 0, false
}

// charRef decodes the name of a numeric character reference (#N or #xH,
// between '&' and ';'): a Unicode scalar value other than 0.
func charRef(name string) (rune, bool) {
	if name[0] != '#' || len(name) < 2 {
		return 0, false
	}
	var n uint64
	var err error
	if name[1] == 'x' || name[1] == 'X' {
		n, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil || n == 0 || n > unicode.MaxRune || n >= 0xD800 && n <= 0xDFFF {
		return 0, false
	}
	return rune(n), true
}

// length is the length Telegram counts: UTF-16 code units of the text
// without its HTML tags, entities decoded.
func length(s string) int {
	n, _ := measure(s)
	return n
}

// measure returns the length of s (as length counts it) and whether it
// has a visible character that is not white space, without keeping its
// tokens.
func measure(s string) (width int, content bool) {
	lastGT := strings.LastIndexByte(s, '>')
	for i := 0; i < len(s); {
		var t htmlToken
		t, i = nextToken(s, i, lastGT)
		width += t.width
		content = content || t.kind == tokenText && !t.space
	}
	return width, content
}

// split cuts HTML text into messages of at most limit characters (as
// length counts them) for sendText. It cuts at the last line break that
// fits, else at the last white space, else between two characters; never
// inside a tag or an entity. A cut inside an element (<b>…</b> over
// several lines) closes its open tags at the end of one part and opens
// them again at the start of the next, so every part of a valid text is
// valid Telegram HTML. The white space at a cut is dropped (Telegram
// trims it anyway), so no part is blank; a text with nothing but white
// space and tags gives no part at all.
func split(text string, limit int) []string {
	total, content := measure(text)
	if !content {
		return nil
	}
	if total <= limit {
		return []string{text} // most texts: no tokens kept
	}
	toks := tokenize(text)
	var parts []string
	var open []htmlToken // the tags open where the next part begins
	for s := 0; s < len(toks); {
		cut, ok := partEnd(toks, s, limit)
		if !ok {
			break // only white space and tags are left
		}
		var part string
		part, open = renderPart(toks[s:cut], open)
		parts = append(parts, part)
		s = cut
	}
	return parts
}

// partEnd returns the end of the part of at most limit characters that
// starts at toks[s]: white space before its first visible character is
// dropped; after that, characters are taken while they fit, and the part
// ends after the last line break taken, else the last white space, else
// the last character. ok is false if only white space and tags are left.
func partEnd(toks []htmlToken, s, limit int) (end int, ok bool) {
	width, seen := 0, false
	lastNL, lastSpace := -1, -1 // cut candidates: the index after a break
	j := s
	for ; j < len(toks); j++ {
		t := toks[j]
		if t.kind != tokenText || t.space && !seen {
			continue
		}
		if seen && width+t.width > limit {
			break
		}
		width += t.width
		switch {
		case !t.space:
			seen = true
		case t.nl:
			lastNL = j + 1
		default:
			lastSpace = j + 1
		}
	}
	switch {
	case !seen:
		return 0, false
	case j == len(toks):
		return len(toks), true
	case lastNL > 0:
		return lastNL, true
	case lastSpace > 0:
		return lastSpace, true
	}
	return j, true
}

// renderPart writes the part made of toks: the tags open before it, its
// tokens without the white space before its first visible character, and
// the end tags of those open after it, which it returns.
func renderPart(toks, open []htmlToken) (string, []htmlToken) {
	var b strings.Builder
	for _, t := range open {
		b.WriteString(t.raw)
	}
	seen := false
	for _, t := range toks {
		switch t.kind {
		case tokenText:
			if t.space && !seen {
				continue
			}
			seen = seen || !t.space
		case tokenStart:
			if t.name != "" {
				open = append(open, t)
			}
		case tokenEnd:
			open = closeOpen(open, t.name)
		}
		b.WriteString(t.raw)
	}
	for i := len(open) - 1; i >= 0; i-- {
		b.WriteString("</" + open[i].name + ">")
	}
	return b.String(), open
}

// closeOpen pops the innermost open tag called name and those inside it;
// an end tag that matches no open tag changes nothing.
func closeOpen(open []htmlToken, name string) []htmlToken {
	for i := len(open) - 1; i >= 0; i-- {
		if open[i].name == name {
			return open[:i]
		}
	}
	return open
}
