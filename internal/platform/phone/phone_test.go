package phone

import (
	"errors"
	"testing"
)

func TestNormalise(t *testing.T) {
	tests := []struct {
		raw, region, want string
		ok                bool
	}{
		{"+44 7911 123456", "", "+447911123456", true},
		{"07911 123456", "GB", "+447911123456", true},
		{"0044 7911 123456", "US", "+447911123456", true},
		{"(415) 555-2671", "US", "+14155552671", true},
		{"+1 415-555-2671", "GB", "+14155552671", true},
		{"0151 1234 5678", "DE", "+4915112345678", true},
		{"", "GB", "", false},
		{"hello", "GB", "", false},
		{"12345", "GB", "", false},
		{"07911 123456", "", "", false},
	}
	for _, tc := range tests {
		got, err := Normalise(tc.raw, tc.region)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("Normalise(%q, %q) = %q, %v; want %q", tc.raw, tc.region, got, err, tc.want)
		}
		if !tc.ok && !errors.Is(err, ErrInvalid) {
			t.Errorf("Normalise(%q, %q) = %q, %v; want ErrInvalid", tc.raw, tc.region, got, err)
		}
		if tc.ok {
			again, err := Normalise(got, "")
			if err != nil || again != got {
				t.Errorf("normalising %q twice gave %q, %v", got, again, err)
			}
		}
	}
}

func TestMask(t *testing.T) {
	if got := Mask("+447911123456"); got != "+4••••••••456" {
		t.Errorf("Mask = %q", got)
	}
}
