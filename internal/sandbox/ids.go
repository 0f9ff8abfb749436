package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
)

// idGen hands out the identifiers Meta would: wamids and numeric object ids.
// A counter run through a bijective mix keyed per server makes them unique
// for the server's life (resets included) while looking random.
type idGen struct {
	key uint64
	ctr atomic.Uint64
}

func newIDGen() *idGen {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &idGen{key: binary.LittleEndian.Uint64(b[:])}
}

// next is unique per call: fmix64 (MurmurHash3's finaliser) is a bijection.
func (g *idGen) next() uint64 {
	x := g.ctr.Add(1) ^ g.key
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

const hexUpper = "0123456789ABCDEF"

// wamid builds a message id shaped like Meta's: "wamid." + base64 of a small
// protobuf-like record holding the user's wa_id and a hex message key.
// Outbound keys have 18 hex digits, inbound ones 20, as in Meta's ids.
func (g *idGen) wamid(waid string, inbound bool) string {
	keyLen, marker := 18, byte(0x11)
	if inbound {
		keyLen, marker = 20, 0x12
	}
	raw := make([]byte, 0, 3+len(waid)+6+keyLen+1)
	raw = append(raw, 0x1c, 0x18, byte(len(waid)))
	raw = append(raw, waid...)
	raw = append(raw, 0x15, 0x02, 0x00, marker, 0x18, byte(keyLen))
	n := g.next()
	for i := 15; i >= 0; i-- {
		raw = append(raw, hexUpper[(n>>(uint(i)*4))&0xf])
	}
	extra := mrand.Uint32()
	for i := 0; i < keyLen-16; i++ {
		raw = append(raw, hexUpper[(extra>>(uint(i)*4))&0xf])
	}
	raw = append(raw, 0x00)
	out := make([]byte, 6+base64.StdEncoding.EncodedLen(len(raw)))
	copy(out, "wamid.")
	base64.StdEncoding.Encode(out[6:], raw)
	return string(out)
}

// numericID is a 16-digit id like Meta's template and media ids.
func (g *idGen) numericID() string {
	return strconv.FormatUint(1_000_000_000_000_000+g.next()%9_000_000_000_000_000, 10)
}

// traceID looks like Meta's fbtrace_id.
func traceID() string {
	var b [17]byte
	binary.LittleEndian.PutUint64(b[:8], mrand.Uint64())
	binary.LittleEndian.PutUint64(b[8:16], mrand.Uint64())
	b[16] = byte(mrand.Uint32())
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// digitsOf keeps the digits of a phone number as written ("+49 (151) 1234"
// → "491511234"); ok is false when anything but digits, '+', spaces, '-',
// '.', '(' or ')' appears, or the count is not 7..15 (E.164).
func digitsOf(s string) (string, bool) {
	n := 0
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == '+' || c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
			clean = false
		default:
			return "", false
		}
	}
	if n < 7 || n > 15 {
		return "", false
	}
	if clean {
		return s, true
	}
	b := make([]byte, 0, n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b), true
}

// onlyDigits drops everything but digits (for display numbers).
func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mask hides all but the last three characters, for logs.
func mask(s string) string {
	if len(s) <= 4 {
		return "***"
	}
	return "…" + s[len(s)-3:]
}
