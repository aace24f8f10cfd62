package flows

import (
	"strconv"
	"strings"
)

// maxChoiceDigits is how long a typed number may be to be read as the
// number of a listed choice; longer ones (an ICCID) are other input.
const maxChoiceDigits = 3

// typedChoice reads typed text as the number of one of n listed choices
// numbered from first ("2", "2.", "٢" in Arabic-Indic digits), and returns
// its index in [0, n). number reports whether the text is a short number
// at all, in the list or not.
func typedChoice(s string, first, n int) (i int, number, ok bool) {
	s = strings.TrimSuffix(strings.TrimSpace(latinDigits(s)), ".")
	if s == "" || len(s) > maxChoiceDigits || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, false, false
	}
	k, _ := strconv.Atoi(s) // at most three ASCII digits: it reads
	i = k - first
	return i, true, i >= 0 && i < n
}

// byNumber lets a user type the number a list shows beside a choice
// instead of pressing its button: pick runs as for a press of the button
// (whose argument is the choice's index in Draft.Choices); a short number
// that is not in the list goes to outside, other text to other. first is
// the number of the first choice on the screen.
func byNumber(first func(Conversation, *Config) int, pick, outside, other transition) transition {
	return func(c Conversation, u User, in input) (Conversation, []effect) {
		i, number, ok := typedChoice(in.text(), first(c, in.cfg), len(c.Draft.Choices))
		switch {
		case ok:
			in.press.arg = strconv.Itoa(i)
			return pick(c, u, in)
		case number:
			return outside(c, u, in)
		}
		return other(c, u, in)
	}
}

// fromOne numbers a list from 1.
func fromOne(Conversation, *Config) int { return 1 }

// onPage numbers a paged list of bundles from the first of its page.
func onPage(c Conversation, cfg *Config) int { return c.Draft.Page*cfg.PageSize + 1 }
