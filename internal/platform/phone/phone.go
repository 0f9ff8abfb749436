// Package phone turns phone numbers as people write them into E.164, the
// one form Tidings stores. It wraps libphonenumber's Go port so every caller
// gets the same rules and the same error words.
package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is wrapped by every rejection; the message says why.
var ErrInvalid = errors.New("not a valid phone number")

// Normalise returns the E.164 form of raw. Numbers without an international
// prefix are read in defaultRegion (ISO 3166 alpha-2, e.g. "GB").
func Normalise(raw, defaultRegion string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("%w: it is empty", ErrInvalid)
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	region := strings.ToUpper(defaultRegion)
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", fmt.Errorf("%w for %s", ErrInvalid, regionName(region))
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", fmt.Errorf("%w for %s", ErrInvalid, regionName(phonenumbers.GetRegionCodeForNumber(num), region))
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// Mask hides all but the last three digits, for logs and screens that need
// to tell numbers apart without showing them.
func Mask(e164 string) string {
	if len(e164) <= 4 {
		return "***"
	}
	return e164[:2] + strings.Repeat("•", len(e164)-5) + e164[len(e164)-3:]
}

func regionName(codes ...string) string {
	for _, c := range codes {
		if c != "" && c != "ZZ" {
			return c
		}
	}
	return "any country (add the + and country code)"
}
