package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"strings"
)

// idGen draws the identifiers of successive sales from the seed. Its
// whole state is the PCG source (a Rand buffers nothing), so that a
// snapshot can save and restore the sequence.
type idGen struct {
	src *mrand.PCG
	rng *mrand.Rand
}

func newIDGen(seed int64) *idGen {
	src := mrand.NewPCG(uint64(seed), 0x1d5e9)
	return &idGen{src: src, rng: mrand.New(src)}
}

// hex24 returns 24 lowercase hexadecimal digits (12 bytes), like a
// MongoDB ObjectID.
func (g *idGen) hex24() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], g.rng.Uint64())
	binary.BigEndian.PutUint64(b[8:], g.rng.Uint64())
	return hex.EncodeToString(b[:12])
}

// iccid returns an ICCID of n digits (19 or 20): "89", the international
// network code 883, random digits, and a Luhn check digit.
func (g *idGen) iccid(n int) string {
	var sb strings.Builder
	sb.WriteString("89883")
	for sb.Len() < n-1 {
		sb.WriteByte(byte('0' + g.rng.IntN(10)))
	}
	body := sb.String()
	return body + string(rune('0'+luhnCheckDigit(body)))
}

// matchingID returns four groups of five uppercase letters and digits.
func (g *idGen) matchingID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var sb strings.Builder
	for i := range 20 {
		if i > 0 && i%5 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[g.rng.IntN(len(alphabet))])
	}
	return sb.String()
}

// uuid returns a version-4-shaped UUID.
func (g *idGen) uuid() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], g.rng.Uint64())
	binary.BigEndian.PutUint64(b[8:], g.rng.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// luhnCheckDigit returns the digit that makes digits+digit pass the Luhn
// check.
func luhnCheckDigit(digits string) int {
	sum := 0
	double := true // the rightmost digit of the body is doubled
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// resellerIDs derives the reseller's identifiers from the seed: 24 hex
// digits, and a six-digit number for deployments that use integers.
func resellerIDs(seed int64) (string, int64) {
	h := sha256.Sum256(fmt.Appendf(nil, "esimbot sandbox reseller %d", seed))
	return hex.EncodeToString(h[:12]), 100000 + int64(binary.BigEndian.Uint32(h[12:16])%900000)
}

// newToken returns a random, unguessable token.
func newToken(kind string) string {
	return "sbx." + kind + "." + rand.Text()
}
