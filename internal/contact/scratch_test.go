package contact

import (
	"fmt"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"tidings/internal/platform/phone"
)

func BenchmarkNormalise(b *testing.B) {
	nums := make([]string, 1000)
	for i := range nums {
		nums[i] = fmt.Sprintf("+447700%06d", i*37)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		phone.Normalise(nums[i%1000], "GB")
	}
}
func BenchmarkNationalGB(b *testing.B) {
	nums := make([]string, 1000)
	for i := range nums {
		nums[i] = fmt.Sprintf("07700 %06d", i*37)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		phone.Normalise(nums[i%1000], "GB")
	}
}
func BenchmarkValidOnly(b *testing.B) {
	num, _ := phonenumbers.Parse("+447700900123", "GB")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		phonenumbers.IsValidNumber(num)
	}
}
func BenchmarkParseOnly(b *testing.B) {
	for i := 0; i < b.N; i++ {
		phonenumbers.Parse("+447700900123", "GB")
	}
}
func BenchmarkFormatOnly(b *testing.B) {
	num, _ := phonenumbers.Parse("+447700900123", "GB")
	for i := 0; i < b.N; i++ {
		phonenumbers.Format(num, phonenumbers.E164)
	}
}
