package sandbox

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Webhook bodies are written with every non-ASCII character escaped as
// \uXXXX (lowercase hex), as Meta does, and signed over exactly those bytes:
// a receiver that decodes and re-encodes before hashing gets a different
// signature, as it would with Meta.

const hexLower = "0123456789abcdef"

func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexLower[r>>12&0xf], hexLower[r>>8&0xf], hexLower[r>>4&0xf], hexLower[r&0xf])
}

func appendEscapedRune(b []byte, r rune) []byte {
	if r >= 0x10000 {
		r -= 0x10000
		b = appendU(b, 0xd800+(r>>10))
		return appendU(b, 0xdc00+(r&0x3ff))
	}
	return appendU(b, r)
}

// appendString appends s as a JSON string with ASCII-only output.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = appendU(b, rune(c))
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b = appendEscapedRune(b, r) // invalid UTF-8 becomes \ufffd
		i += size
	}
	return append(b, '"')
}

// asciiJSON escapes the non-ASCII characters of valid JSON (they can only be
// inside strings) in place of a copy.
func asciiJSON(in []byte) []byte {
	i := 0
	for i < len(in) && in[i] < utf8.RuneSelf {
		i++
	}
	if i == len(in) {
		return in
	}
	out := make([]byte, i, len(in)+len(in)/4)
	copy(out, in[:i])
	for i < len(in) {
		c := in[i]
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(in[i:])
		out = appendEscapedRune(out, r)
		i += size
	}
	return out
}

// marshalASCII encodes v without HTML escaping and with non-ASCII escaped.
func marshalASCII(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("sandbox: encoding a webhook value: " + err.Error()) // our own types; cannot fail
	}
	return asciiJSON(bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}))
}

func appendUnixString(b []byte, sec int64) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, sec, 10)
	return append(b, '"')
}
