package reseller

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FlexString is a string field that deployments send either as a JSON
// string or as a JSON number (reseller_id, response_code, order_id).
type FlexString string

// UnmarshalJSON accepts a string, a number, or null.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = FlexString(v)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or a number, got %s", truncate(b))
		}
		*s = FlexString(n.String())
	}
	return nil
}

// String returns the value as a plain string.
func (s FlexString) String() string { return string(s) }

// FlexInt is an integer field that may arrive as a JSON number (possibly
// with a fraction, which is rounded) or as a numeric string.
type FlexInt int64

// UnmarshalJSON accepts a number, a numeric string, an empty string, or
// null; a number beyond 64 bits is an error.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	v, ok, err := parseFlexNumber(b)
	if err != nil {
		return err
	}
	if !ok {
		*n = 0
		return nil
	}
	if r := math.Round(v); r < math.MinInt64 || r >= math.MaxInt64 {
		return fmt.Errorf("want an integer within 64 bits, got %s", truncate(b))
	}
	*n = FlexInt(math.Round(v))
	return nil
}

// parseFlexNumber reads a JSON number or numeric string. ok is false for
// null and the empty string.
func parseFlexNumber(b []byte) (v float64, ok bool, err error) {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return 0, false, nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, false, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, false, nil
		}
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, fmt.Errorf("want a number, got %s", truncate(b))
	}
	return v, true, nil
}

// FlexBool is a boolean that may arrive as true/false, "true"/"false",
// "1"/"0", 1/0, or null (false).
type FlexBool bool

// UnmarshalJSON accepts the forms listed on the type.
func (f *FlexBool) UnmarshalJSON(b []byte) error {
	s := strings.ToLower(strings.Trim(string(bytes.TrimSpace(b)), `"`))
	switch s {
	case "true", "1", "yes", "y":
		*f = true
	case "false", "0", "no", "n", "", "null":
		*f = false
	default:
		return fmt.Errorf("want a boolean, got %s", truncate(b))
	}
	return nil
}

// DataQuota is the data volume of a bundle in megabytes, or unlimited.
// Deployments send it as a number of MB, a numeric string, a string with a
// unit ("5GB", "500 MB"), or an unlimited marker ("unlimited", -1).
type DataQuota struct {
	// MB is the volume in megabytes; zero when Unlimited.
	MB int64
	// Unlimited reports an unlimited bundle.
	Unlimited bool
}

// UnmarshalJSON accepts the forms listed on the type.
func (q *DataQuota) UnmarshalJSON(b []byte) error {
	*q = DataQuota{}
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	switch s {
	case "":
		return nil
	case "UNLIMITED", "-1", "INFINITE", "∞":
		q.Unlimited = true
		return nil
	}
	mult := 1.0
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"TB", 1024 * 1024}, {"GB", 1024}, {"MB", 1}, {"T", 1024 * 1024}, {"G", 1024}, {"M", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("data_quota: want megabytes or \"unlimited\", got %s", truncate(b))
	}
	if v < 0 {
		q.Unlimited = true
		return nil
	}
	if v*mult >= math.MaxInt64 {
		return fmt.Errorf("data_quota: %s is beyond 64 bits of megabytes", truncate(b))
	}
	q.MB = int64(math.Round(v * mult))
	return nil
}

// MarshalJSON writes megabytes as a number, or -1 for unlimited.
func (q DataQuota) MarshalJSON() ([]byte, error) {
	if q.Unlimited {
		return []byte("-1"), nil
	}
	return strconv.AppendInt(nil, q.MB, 10), nil
}

// String formats the quota for logs: "unlimited", "500 MB" or "5 GB".
func (q DataQuota) String() string {
	switch {
	case q.Unlimited:
		return "unlimited"
	case q.MB >= 1024 && q.MB%1024 == 0:
		return strconv.FormatInt(q.MB/1024, 10) + " GB"
	default:
		return strconv.FormatInt(q.MB, 10) + " MB"
	}
}

// Time is a timestamp that may arrive as RFC 3339, ISO-8601 without a zone
// (taken as UTC), a date, a "2006-01-02 15:04:05" string, or Unix seconds
// (milliseconds past 10^11); a Unix time outside the years 1 to 9999 is
// the zero time.
type Time struct {
	time.Time
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	time.DateOnly,
}

// UnmarshalJSON accepts the forms listed on the type; null and "" are the zero time.
func (t *Time) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] != '"' {
		v, ok, err := parseFlexNumber(b)
		if err != nil {
			return err
		}
		if ok {
			t.Time = unixish(v)
		}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		t.Time = unixish(v)
		return nil
	}
	return fmt.Errorf("want a date-time, got %s", truncate(b))
}

// MarshalJSON writes RFC 3339, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Time.UTC().Format(time.RFC3339))
}

// unixish reads a Unix time in seconds or, when it is too large for that,
// in milliseconds. A time outside the years 1 to 9999 (which RFC 3339
// cannot write) is nonsense from the API: it reads as the zero time,
// unknown, as null does.
func unixish(v float64) time.Time {
	// Beyond ±10^17 ms the years are out of range anyway; checking first
	// keeps the conversion to int64 defined.
	if math.Abs(v) > 1e17 {
		return time.Time{}
	}
	var t time.Time
	if v > 1e11 {
		t = time.UnixMilli(int64(v)).UTC()
	} else {
		t = time.Unix(int64(v), 0).UTC()
	}
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}
	}
	return t
}

// StringList is a list of strings that may arrive as a JSON array, as one
// string, or as a comma- or slash-separated string ("4G/5G").
type StringList []string

// UnmarshalJSON accepts the forms listed on the type.
func (l *StringList) UnmarshalJSON(b []byte) error {
	*l = nil
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var raw []FlexString
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		for _, s := range raw {
			if v := strings.TrimSpace(string(s)); v != "" {
				*l = append(*l, v)
			}
		}
		return nil
	}
	var s FlexString
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	for _, part := range strings.FieldsFunc(string(s), func(r rune) bool { return r == ',' || r == '/' || r == ';' }) {
		if v := strings.TrimSpace(part); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// String joins the list with "/".
func (l StringList) String() string { return strings.Join(l, "/") }

// truncate shortens a body for an error message.
func truncate(b []byte) string {
	const max = 64
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
