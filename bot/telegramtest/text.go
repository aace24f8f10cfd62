//lint:file-ignore ST1005 the fake copies the Bot API's own error descriptions, capitalised as Telegram writes them

package telegramtest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Telegram's limits on formatted text, counted after entity parsing.
const (
	maxTextLength    = 4096
	maxCaptionLength = 1024
	maxAnswerLength  = 200
)

// Entity is a message entity as the Bot API returns it: offsets and
// lengths are in UTF-16 code units of the plain text.
type Entity struct {
	Type          string `json:"type"`
	Offset        int    `json:"offset"`
	Length        int    `json:"length"`
	URL           string `json:"url,omitempty"`
	Language      string `json:"language,omitempty"`
	CustomEmojiID string `json:"custom_emoji_id,omitempty"`
}

// utf16Len is the length of s in UTF-16 code units, the unit Telegram uses
// for entity offsets. The fake also measures the 4096 and 1024 limits in
// it, the stricter reading of "characters".
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// formatted parses a text or caption parameter like Telegram: it applies
// parse_mode (or the explicit entities), trims surrounding whitespace and
// checks the length limit.
func formatted(text, parseMode, entitiesJSON string, limit int, tooLong string) (string, []Entity, *apiError) {
	if !utf8.ValidString(text) {
		return "", nil, badRequest("strings must be encoded in UTF-8")
	}
	var (
		plain string
		ents  []Entity
	)
	switch strings.ToLower(parseMode) {
	case "":
		plain = text
		if strings.TrimSpace(entitiesJSON) != "" {
			if err := json.Unmarshal([]byte(entitiesJSON), &ents); err != nil {
				return "", nil, badRequest("can't parse entities JSON object")
			}
		}
	case "html":
		var err error
		plain, ents, err = parseHTML(text)
		if err != nil {
			return "", nil, badRequest("can't parse entities: %v", err)
		}
	case "markdown", "markdownv2":
		// Not parsed by the fake: the text is kept and measured as sent.
		plain = text
	default:
		return "", nil, badRequest("unsupported parse_mode")
	}
	plain, ents = trimText(plain, ents)
	if utf16Len(plain) > limit {
		return "", nil, badRequest("%s", tooLong)
	}
	return plain, ents, nil
}

// trimText removes leading and trailing white space as Telegram does and
// shifts the entities accordingly.
func trimText(s string, ents []Entity) (string, []Entity) {
	trimmed := strings.TrimLeftFunc(s, unicode.IsSpace)
	lead := utf16Len(s[:len(s)-len(trimmed)])
	trimmed = strings.TrimRightFunc(trimmed, unicode.IsSpace)
	n := utf16Len(trimmed)
	var out []Entity
	for _, e := range ents {
		start, end := e.Offset-lead, e.Offset+e.Length-lead
		start, end = max(start, 0), min(end, n)
		if end <= start {
			continue
		}
		e.Offset, e.Length = start, end-start
		out = append(out, e)
	}
	return trimmed, out
}

// supportedTags are the HTML tags of the Bot API's HTML parse mode.
var supportedTags = map[string]string{
	"b": "bold", "strong": "bold",
	"i": "italic", "em": "italic",
	"u": "underline", "ins": "underline",
	"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
	"tg-spoiler": "spoiler", "span": "spoiler",
	"a":          "text_link",
	"code":       "code",
	"pre":        "pre",
	"blockquote": "blockquote",
	"tg-emoji":   "custom_emoji",
}

type openTag struct {
	name  string
	start int // UTF-16 offset in the output
	attrs map[string]string
}

// parseHTML converts Telegram HTML to plain text and entities, with the
// errors Telegram reports (after "can't parse entities: "). It is stricter
// than Telegram in one respect, on purpose: a bare '&' that does not start
// one of the supported entities (&lt; &gt; &amp; &quot; &#N; &#xH;) is an
// error, where Telegram would keep it as is; it catches unescaped text.
func parseHTML(text string) (string, []Entity, error) {
	var (
		out   strings.Builder
		pos   int // UTF-16 length of out
		stack []openTag
		ents  []Entity
	)
	write := func(s string) {
		out.WriteString(s)
		pos += utf16Len(s)
	}
	for i := 0; i < len(text); {
		switch text[i] {
		case '&':
			r, n, ok := decodeEntity(text[i:])
			if !ok {
				return "", nil, fmt.Errorf("character '&' at byte offset %d is not part of a supported HTML entity and must be written \"&amp;\"", i)
			}
			write(string(r))
			i += n
		case '<':
			begin := i
			i++
			if i < len(text) && text[i] == '/' {
				i++
				nameStart := i
				for i < len(text) && isNameChar(text[i]) {
					i++
				}
				name := strings.ToLower(text[nameStart:i])
				if len(stack) == 0 {
					return "", nil, fmt.Errorf("Unexpected end tag at byte offset %d", begin)
				}
				for i < len(text) && isSpace(text[i]) {
					i++
				}
				if i >= len(text) || text[i] != '>' {
					return "", nil, fmt.Errorf("Unclosed end tag at byte offset %d", begin)
				}
				i++
				top := stack[len(stack)-1]
				if name != top.name {
					return "", nil, fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, top.name, name)
				}
				stack = stack[:len(stack)-1]
				if e, ok := closeTag(top, pos, stack); ok {
					ents = append(ents, e)
				}
				continue
			}
			tag, next, err := parseStartTag(text, begin)
			if err != nil {
				return "", nil, err
			}
			tag.start = pos
			stack = append(stack, tag)
			i = next
		default:
			j := i
			for j < len(text) && text[j] != '&' && text[j] != '<' {
				j++
			}
			write(text[i:j])
			i = j
		}
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	sort.SliceStable(ents, func(a, b int) bool {
		if ents[a].Offset != ents[b].Offset {
			return ents[a].Offset < ents[b].Offset
		}
		return ents[a].Length > ents[b].Length
	})
	return out.String(), ents, nil
}

// ParseHTML converts a text in Telegram's HTML parse mode to its plain
// text and entities, as the fake does for sendMessage but without trimming
// the white space around the text, or returns the error Telegram reports
// (after "can't parse entities: "). Tests of code that writes Telegram HTML
// use it to check what they wrote.
func ParseHTML(text string) (plain string, entities []Entity, err error) {
	return parseHTML(text)
}

// parseStartTag parses the tag starting with '<' at text[begin].
func parseStartTag(text string, begin int) (openTag, int, error) {
	i := begin + 1
	nameStart := i
	for i < len(text) && isNameChar(text[i]) {
		i++
	}
	name := strings.ToLower(text[nameStart:i])
	if i >= len(text) {
		return openTag{}, 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
	}
	if _, ok := supportedTags[name]; !ok {
		return openTag{}, 0, fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, begin)
	}
	tag := openTag{name: name, attrs: map[string]string{}}
	for {
		for i < len(text) && isSpace(text[i]) {
			i++
		}
		if i >= len(text) {
			return openTag{}, 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
		}
		if text[i] == '>' {
			i++
			break
		}
		attrStart := i
		for i < len(text) && isNameChar(text[i]) {
			i++
		}
		attr := strings.ToLower(text[attrStart:i])
		if attr == "" {
			return openTag{}, 0, fmt.Errorf("Empty attribute name in the tag \"%s\" at byte offset %d", name, begin)
		}
		for i < len(text) && isSpace(text[i]) {
			i++
		}
		if i >= len(text) {
			return openTag{}, 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
		}
		if text[i] != '=' {
			if name == "blockquote" && attr == "expandable" {
				tag.attrs[attr] = ""
				continue
			}
			return openTag{}, 0, fmt.Errorf("Expected equal sign in declaration of an attribute of the tag \"%s\" at byte offset %d", name, begin)
		}
		i++
		for i < len(text) && isSpace(text[i]) {
			i++
		}
		if i >= len(text) {
			return openTag{}, 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
		}
		var raw string
		if q := text[i]; q == '"' || q == '\'' {
			end := strings.IndexByte(text[i+1:], q)
			if end < 0 {
				return openTag{}, 0, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
			}
			raw = text[i+1 : i+1+end]
			i += end + 2
		} else {
			start := i
			for i < len(text) && !isSpace(text[i]) && text[i] != '>' {
				i++
			}
			raw = text[start:i]
		}
		value, err := decodeAttr(raw)
		if err != nil {
			return openTag{}, 0, fmt.Errorf("%v in an attribute of the tag \"%s\" at byte offset %d", err, name, begin)
		}
		tag.attrs[attr] = value
	}
	if name == "span" && tag.attrs["class"] != "tg-spoiler" {
		return openTag{}, 0, fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
	}
	if name == "tg-emoji" {
		if _, err := strconv.ParseInt(tag.attrs["emoji-id"], 10, 64); err != nil {
			return openTag{}, 0, fmt.Errorf("Invalid custom emoji identifier specified at byte offset %d", begin)
		}
	}
	return tag, i, nil
}

// closeTag turns a closed tag into an entity. A <code class="language-x">
// directly inside <pre> gives its language to the pre entity instead.
func closeTag(t openTag, end int, outer []openTag) (Entity, bool) {
	typ := supportedTags[t.name]
	e := Entity{Type: typ, Offset: t.start, Length: end - t.start}
	switch t.name {
	case "a":
		u, ok := linkURL(t.attrs["href"])
		if !ok {
			return Entity{}, false // Telegram silently drops an invalid link
		}
		e.URL = u
	case "code":
		if lang, ok := strings.CutPrefix(t.attrs["class"], "language-"); ok && len(outer) > 0 && outer[len(outer)-1].name == "pre" {
			outer[len(outer)-1].attrs["language"] = lang
			return Entity{}, false
		}
	case "pre":
		e.Language = t.attrs["language"]
	case "blockquote":
		if _, ok := t.attrs["expandable"]; ok {
			e.Type = "expandable_blockquote"
		}
	case "tg-emoji":
		e.CustomEmojiID = t.attrs["emoji-id"]
	}
	if e.Length <= 0 {
		return Entity{}, false
	}
	return e, true
}

// linkURL checks an href like Telegram: an URL without scheme gets http://.
func linkURL(href string) (string, bool) {
	href = strings.TrimSpace(href)
	if href == "" {
		return "", false
	}
	if !strings.Contains(href, "://") && !strings.HasPrefix(href, "mailto:") {
		href = "http://" + href
	}
	u, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	switch u.Scheme {
	case "http", "https":
		return href, u.Host != ""
	case "tg", "ton", "mailto":
		return href, true
	}
	return "", false
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// decodeEntity decodes the HTML entity at the start of s (which begins
// with '&') and returns the rune and the bytes it took.
func decodeEntity(s string) (rune, int, bool) {
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
	if name[0] != '#' || len(name) < 2 {
		return 0, 0, false
	}
	var (
		n   uint64
		err error
	)
	if name[1] == 'x' || name[1] == 'X' {
		n, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil || n == 0 || n > unicode.MaxRune || (n >= 0xD800 && n <= 0xDFFF) {
		return 0, 0, false
	}
	return rune(n), semi + 1, true
}

func decodeAttr(raw string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(raw); {
		switch raw[i] {
		case '&':
			r, n, ok := decodeEntity(raw[i:])
			if !ok {
				return "", fmt.Errorf("character '&' is not part of a supported HTML entity")
			}
			b.WriteRune(r)
			i += n
		case '<':
			return "", fmt.Errorf("character '<' must be written \"&lt;\"")
		default:
			b.WriteByte(raw[i])
			i++
		}
	}
	return b.String(), nil
}

// commandEntities marks the bot commands of a text typed by a user, as the
// Telegram clients do: "/word" or "/word@botname" at the start or after
// white space.
func commandEntities(text string) []Entity {
	var ents []Entity
	pos := 0
	prevSpace := true
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == '/' && prevSpace {
			j := i + 1
			for j < len(text) && isCommandChar(text[j]) {
				j++
			}
			if n := j - i - 1; n >= 1 && n <= 32 {
				if j < len(text) && text[j] == '@' {
					k := j + 1
					for k < len(text) && isCommandChar(text[k]) {
						k++
					}
					if k > j+1 {
						j = k
					}
				}
				if j == len(text) || isSpace(text[j]) {
					ents = append(ents, Entity{Type: "bot_command", Offset: pos, Length: j - i})
				}
			}
		}
		prevSpace = unicode.IsSpace(r)
		pos += utf16Len(text[i : i+size])
		i += size
	}
	return ents
}

func isCommandChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
