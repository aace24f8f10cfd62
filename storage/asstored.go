package storage

import (
	"bytes"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/esimbot/esimbot/flows"
)

// A write returns what a read of the record it stored would: the JSON
// decoding of its encoding. The functions here compute it from the value
// written, which costs a fraction of decoding: the only fields the round
// trip changes are times (no monotonic reading, a zone as time.Parse
// gives it), decimals (as decimal.NewFromString reads them), empty values
// that omitempty or omitzero leave out, and strings that are not UTF-8.
// When they cannot tell, the write decodes (TestMemoReadsAsDecoded
// compares their results with decodings of random records).

// replaced is what json.Marshal writes for bytes of a string that are not
// UTF-8 (and for a written `\ufffd`): an encoding that holds it is decoded.
var replaced = []byte(`\ufffd`)

// asStored gathers what the round trip of one record's fields gives, and
// whether every field could be told.
type asStored struct{ unsure bool }

// time returns t as encoding/json decodes its encoding (zero if omitZero
// and t.IsZero, as omitzero leaves it out).
func (a *asStored) time(t time.Time, omitZero bool) time.Time {
	if omitZero && t.IsZero() {
		return time.Time{}
	}
	_, off := t.Zone()
	switch y := t.Year(); {
	case y < 0 || y > 9999 || off%60 != 0: // refused, or an offset RFC 3339 cannot write
		a.unsure = true
		return t
	case off == 0: // written "Z"
		return t.UTC()
	}
	// time.Parse takes the local zone if it has this offset at that time.
	if _, local := t.In(time.Local).Zone(); local == off {
		return t.In(time.Local)
	}
	return t.In(time.FixedZone("", off))
}

// decimal returns d as it decodes from its encoding, its String (zero if
// omitZero and d.IsZero).
func (a *asStored) decimal(d decimal.Decimal, omitZero bool) decimal.Decimal {
	if omitZero && d.IsZero() {
		return decimal.Decimal{}
	}
	v, err := decimal.NewFromString(d.String())
	if err != nil {
		a.unsure = true
		return d
	}
	return v
}

// strs returns a copy of s as it decodes (nil if omitEmpty and empty).
func strs(s []string, omitEmpty bool) []string {
	if omitEmpty && len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// storedConversation returns what decoding enc, the encoding of c, gives,
// or false when it cannot tell.
func storedConversation(c flows.Conversation, enc []byte) (flows.Conversation, bool) {
	var a asStored
	c.Updated = a.time(c.Updated, false)
	d := &c.Draft
	d.Choices = strs(d.Choices, true)
	if d.Bundle != nil {
		b := *d.Bundle
		b.Countries = strs(b.Countries, true)
		b.Price, b.Cost = a.decimal(b.Price, false), a.decimal(b.Cost, false)
		d.Bundle = &b
	}
	return c, !a.unsure && !bytes.Contains(enc, replaced)
}

// storedSale returns what decoding enc, the encoding of s, gives, or
// false when it cannot tell.
func storedSale(s flows.Sale, enc []byte) (flows.Sale, bool) {
	var a asStored
	s.Price, s.Cost = a.decimal(s.Price, false), a.decimal(s.Cost, false)
	if s.History != nil {
		h := make([]flows.Transition, len(s.History))
		for i, t := range s.History {
			t.At = a.time(t.At, false)
			h[i] = t
		}
		s.History = h
	}
	s.NextAttempt = a.time(s.NextAttempt, true)
	s.Created = a.time(s.Created, false)
	s.InvoiceExpires = a.time(s.InvoiceExpires, true)
	if w := s.Wallet; w != nil {
		cw := *w
		cw.Balance, cw.Extra = a.decimal(w.Balance, false), a.decimal(w.Extra, true)
		s.Wallet = &cw
	}
	return s, !a.unsure && !bytes.Contains(enc, replaced)
}
