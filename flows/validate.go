package flows

import (
	"errors"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
)

// inputError is typed input the user must correct; key names the message
// that tells them how.
type inputError struct {
	key  string // the locale key of the message shown to the user
	text string // what is wrong, for logs and tests
}

func (e *inputError) Error() string { return e.text }

// The input errors.
var (
	errEmail        = &inputError{"email_invalid", "not an email address"}
	errEmailASCII   = &inputError{"email_ascii", "email address with a non-ASCII local part"}
	errNameLength   = &inputError{"name_length", "name not 2 to 64 characters long"}
	errNameChars    = &inputError{"name_chars", "name with characters other than letters"}
	errPhoneInvalid = &inputError{"whatsapp_invalid", "not a phone number"}
	errPhoneCountry = &inputError{"whatsapp_need_country", "phone number without a country code"}
)

// inputKey is the locale key of an input error's message.
func inputKey(err error) string {
	var ie *inputError
	if errors.As(err, &ie) {
		return ie.key
	}
	return "error_generic"
}

// checkEmail returns the normalized address (domain lower-cased) or an
// input error. It is stricter than the API: an ASCII local part (the
// platform refuses others), one plain address (no display name, no
// comments), at most 254 characters, a local part of at most 64, and a
// domain of dot-separated labels of letters, digits and hyphens with an
// alphabetic top-level label of two letters or more.
func checkEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if at := strings.LastIndexByte(s, '@'); at > 0 && strings.IndexFunc(s[:at], func(r rune) bool { return r >= utf8.RuneSelf }) >= 0 {
		// The platform validates the local part as ASCII: say so, rather
		// than let the purchase be refused.
		return "", errEmailASCII
	}
	if !plainAddress(s) {
		return "", errEmail
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if !validLocal(local) || !validDomain(domain) {
		return "", errEmail
	}
	return local + "@" + domain, nil
}

// plainAddress reports whether s is one address and nothing else.
func plainAddress(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>()[],;:\"\\") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// validLocal checks the part of an address before the "@".
func validLocal(local string) bool {
	return local != "" && len(local) <= 64 && !strings.HasPrefix(local, ".") && !strings.HasSuffix(local, ".") &&
		!strings.Contains(local, "..")
}

// validDomain checks a lower-cased domain: two labels or more, and an
// alphabetic top-level one.
func validDomain(domain string) bool {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || slices.ContainsFunc(labels, func(l string) bool { return !validLabel(l) }) {
		return false
	}
	tld := labels[len(labels)-1]
	return len(tld) >= 2 && strings.IndexFunc(tld, func(r rune) bool { return r < 'a' || r > 'z' }) < 0
}

// validLabel checks a domain label: letters, digits and inner hyphens.
func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	return strings.IndexFunc(l, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') }) < 0
}

// checkName returns the cleaned name (spaces collapsed) or an input
// error: 2 to 64 characters, at least one letter, and only
// letters, marks, spaces, and . ' ’ - characters: no digits, controls,
// bidi overrides or symbols.
func checkName(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errNameChars
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != ' ' || isBidiControl(r) || unicode.Is(unicode.Cf, r) {
			return "", errNameChars
		}
	}
	name := strings.Join(strings.Fields(s), " ")
	n := utf8.RuneCountInString(name)
	if n < 2 || n > 64 {
		return "", errNameLength
	}
	letters := 0
	for _, r := range name {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsMark(r), r == ' ', r == '.', r == '\'', r == '’', r == '-':
		default:
			return "", errNameChars
		}
	}
	if letters == 0 {
		return "", errNameChars
	}
	return name, nil
}

// isBidiControl reports the explicit directional formatting characters
// (embeddings, overrides, isolates and marks), which can disguise text.
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

// checkPhone parses a WhatsApp number and returns it in E.164. Numbers
// without a country code are read in the country of the user's language
// when it names one (fr-FR); otherwise a country code is required.
func checkPhone(s, lang string) (string, error) {
	s = strings.TrimSpace(latinDigits(s))
	if s == "" || len(s) > 32 {
		return "", errPhoneInvalid
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	region, err := phoneRegion(s, lang)
	if err != nil {
		return "", err
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", errPhoneInvalid
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// phoneRegion is the country a number is read in: none for one with a
// country code, else the country of the user's language.
func phoneRegion(s, lang string) (string, error) {
	if strings.HasPrefix(s, "+") {
		return "", nil
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.')
	}) >= 0 {
		return "", errPhoneInvalid
	}
	if tag, err := language.Parse(lang); err == nil {
		if r, conf := tag.Region(); conf == language.Exact {
			return r.String(), nil
		}
	}
	return "", errPhoneCountry
}

// latinDigits writes the decimal digits of any script in s (Arabic-Indic
// ٠١٢, Persian ۰۱۲, full-width…) as ASCII digits, so that a number typed
// on any keyboard reads as one; other characters are kept.
func latinDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf || !unicode.Is(unicode.Nd, r) {
			return r
		}
		return '0' + digitValue(r)
	}, s)
}

// digitValue is the value of a decimal digit (Unicode Nd): each script's
// digits are ten consecutive code points from its zero, and every range of
// the Nd table starts at a zero.
func digitValue(r rune) rune {
	for _, rg := range unicode.Nd.R16 {
		if lo, hi := rune(rg.Lo), rune(rg.Hi); r >= lo && r <= hi {
			return (r - lo) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if lo, hi := rune(rg.Lo), rune(rg.Hi); r >= lo && r <= hi {
			return (r - lo) % 10
		}
	}
	return 0
}

// contactPhone normalizes a number shared as a contact: channels may send
// it without the "+".
func contactPhone(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.HasPrefix(s, "+") {
		return "+" + s
	}
	return s
}
