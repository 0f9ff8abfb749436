package contact

import (
	"strings"

	"tidings/internal/platform/phone"
)

// NormalisePhone returns the E.164 form of raw, reading numbers without an
// international prefix in defaultCountry (ISO 3166 alpha-2). It gives
// exactly what phone.Normalise gives — same numbers, same error words — and
// is about ten times faster on the common shapes (see phonefast.go).
// Normalising its result again returns it unchanged.
func NormalisePhone(raw, defaultCountry string) (string, error) {
	s := strings.TrimSpace(raw)
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if e164, ok := fastNormalise(s, strings.ToUpper(defaultCountry)); ok {
		return e164, nil
	}
	return phone.Normalise(raw, defaultCountry)
}
