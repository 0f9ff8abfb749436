package contact

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"tidings/internal/platform/phone"
)

// checkSame fails when NormalisePhone and the library disagree on raw.
func checkSame(t testing.TB, raw, region string) {
	t.Helper()
	want, wantErr := phone.Normalise(raw, region)
	got, gotErr := NormalisePhone(raw, region)
	if got != want || (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
		t.Fatalf("NormalisePhone(%q, %q) = %q, %v; phone.Normalise = %q, %v", raw, region, got, gotErr, want, wantErr)
	}
	if gotErr != nil && !errors.Is(gotErr, phone.ErrInvalid) {
		t.Fatalf("NormalisePhone(%q, %q): error %v does not wrap phone.ErrInvalid", raw, region, gotErr)
	}
	if gotErr == nil {
		again, err := NormalisePhone(got, "")
		if err != nil || again != got {
			t.Fatalf("normalising %q twice gave %q, %v", got, again, err)
		}
	}
}

var testRegions = []string{"GB", "US", "DE", "FR", "ES", "IT", "NL", "BR", "IN", "MX", "AR", "AU", "ZA", "NG", "CA", "JP", "RU", "KZ", "CN", "ID", "PT", "BE", "CH", "IE", "SE", "JE", "GG", "IM", "", "ZZ", "gb", "XX"}

// TestNormalisePhoneMatchesLibrary compares the fast path with the library
// over example numbers of every region and type, written in the styles
// people use.
func TestNormalisePhoneMatchesLibrary(t *testing.T) {
	types := []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
		phonenumbers.PREMIUM_RATE, phonenumbers.VOIP, phonenumbers.UAN, phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	regions := slices.Sorted(maps.Keys(phonenumbers.GetSupportedRegions()))
	for _, region := range regions {
		for _, typ := range types {
			ex := phonenumbers.GetExampleNumberForType(region, typ)
			if ex == nil {
				continue
			}
			styles := []string{
				phonenumbers.Format(ex, phonenumbers.E164),
				phonenumbers.Format(ex, phonenumbers.INTERNATIONAL),
				phonenumbers.Format(ex, phonenumbers.NATIONAL),
				phonenumbers.Format(ex, phonenumbers.RFC3966),
				"00" + strings.TrimPrefix(phonenumbers.Format(ex, phonenumbers.E164), "+"),
				strings.TrimPrefix(phonenumbers.Format(ex, phonenumbers.E164), "+"),
				phonenumbers.GetNationalSignificantNumber(ex),
			}
			for _, s := range styles {
				for _, r := range append([]string{region, "GB", "US"}, testRegions[rng.IntN(len(testRegions))], regions[rng.IntN(len(regions))]) {
					checkSame(t, s, r)
					// Perturb a digit: mostly invalid or other numbers.
					b := []byte(s)
					if i := rng.IntN(len(b)); b[i] >= '0' && b[i] <= '9' {
						b[i] = byte('0' + rng.IntN(10))
					}
					checkSame(t, string(b), r)
					n += 2
				}
			}
		}
	}
	t.Logf("%d comparisons", n)
}

func TestNormalisePhoneStyles(t *testing.T) {
	tests := []struct{ raw, region, want string }{
		{"+44 7911 123456", "", "+447911123456"},
		{"07911 123456", "GB", "+447911123456"},
		{"07911-123-456", "GB", "+447911123456"},
		{"(07911) 123456", "GB", "+447911123456"},
		{"+44 (0)7911 123456", "GB", "+447911123456"},
		{"0044 7911 123456", "US", "+447911123456"},
		{"447911123456", "GB", "+447911123456"},
		{"(415) 555-2671", "US", "+14155552671"},
		{"415.555.2671", "US", "+14155552671"},
		{"1 415 555 2671", "US", "+14155552671"},
		{"011 44 7911 123456", "US", "+447911123456"},
		{"0151 1234 5678", "DE", "+4915112345678"},
		{"+49 (0)151 1234 5678", "FR", "+4915112345678"},
		{"06 12 34 56 78", "FR", "+33612345678"},
		{"612 34 56 78", "ES", "+34612345678"},
		{"+39 06 1234 5678", "GB", "+390612345678"},
		{"312 345 6789", "IT", "+393123456789"},
		{"06-12345678", "NL", "+31612345678"},
		{"(11) 96123-4567", "BR", "+5511961234567"},
		{"+55 11 96123 4567", "BR", "+5511961234567"},
		{"098765 43210", "IN", "+919876543210"},
		{"0412 345 678", "AU", "+61412345678"},
		{"+1 (604) 555-5555", "CA", "+16045555555"},
	}
	for _, tc := range tests {
		got, err := NormalisePhone(tc.raw, tc.region)
		if err != nil || got != tc.want {
			t.Errorf("NormalisePhone(%q, %q) = %q, %v; want %q", tc.raw, tc.region, got, err, tc.want)
		}
		checkSame(t, tc.raw, tc.region)
	}
}

func FuzzNormalisePhone(f *testing.F) {
	for _, s := range []string{"+447911123456", "07911 123456", "(415) 555-2671", "0044 7911 123456", "+44 (0)7911 123456",
		"011 44 7911 123456", "+1 242 357 1234", "+800 1234 5678", "+39 06 1234 5678", "(11) 96123-4567", "9 11 1234-5678",
		"0800 123 456", "01624 612345", "07624 123456", "=1+2", "tel:+44-7911-123456", "+44 7911 123456 ext. 12", "٠٧٩١١١٢٣٤٥٦", "", "  ", "+", "00", "+0 123"} {
		for _, r := range []string{"GB", "AR", "US", "MX", "BR", "IM", "JE", ""} {
			f.Add(s, r)
		}
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		if len(region) > 3 {
			region = region[:3]
		}
		checkSame(t, raw, region)
	})
}

func BenchmarkNormalisePhone(b *testing.B) {
	nums := make([]string, 1000)
	for i := range nums {
		nums[i] = fmt.Sprintf("07911 1%05d", i*37)
	}
	b.Run("fast", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			_, _ = NormalisePhone(nums[i%1000], "GB")
		}
	})
	b.Run("library", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			_, _ = phone.Normalise(nums[i%1000], "GB")
		}
	})
}
