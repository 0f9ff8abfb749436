package contact

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Replies that change consent. They live with the consent ledger because
// both the inbound handler (internal/delivery) and the sending settings
// (internal/campaign) must read a keyword the same way.

// OptOutWords always mean "stop messaging me", in the languages of our
// first customers (compared after NormalizeKeyword).
var OptOutWords = []string{"STOP", "UNSUBSCRIBE", "STOPP", "ALTO", "ARRET", "BAJA"}

// OptInWords always mean "subscribe me again".
var OptInWords = []string{"START"}

// stripAccents removes combining marks ("Ê" → "E"). A transform.Chain
// keeps state between calls, so each call builds its own: one shared
// chain would be a data race between concurrent requests.
func stripAccents(s string) (string, error) {
	out, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), s)
	return out, err
}

// NormalizeKeyword is how a reply and a keyword are compared: accents
// removed, upper case, inner spaces collapsed, and surrounding spaces and
// punctuation dropped, so " stop ", "Stop!" and "ARRÊT" match STOP and
// ARRET.
func NormalizeKeyword(s string) string {
	if len(s) > 64 {
		return "" // a keyword is a word or two, never a paragraph
	}
	out, err := stripAccents(s)
	if err != nil {
		out = s
	}
	out = strings.Join(strings.Fields(out), " ")
	out = strings.TrimFunc(out, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r) })
	return strings.ToUpper(out)
}
