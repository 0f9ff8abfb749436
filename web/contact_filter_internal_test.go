package web

import (
	"net/url"
	"testing"

	"tidings/internal/contact"
)

func TestTypedConfirmation(t *testing.T) {
	for _, tc := range []struct {
		typed string
		want  []string
		ok    bool
	}{
		{"Ann Lee", []string{"Ann Lee"}, true},
		{"  ann   LEE ", []string{"Ann Lee"}, true},
		{"Ann", []string{"Ann Lee"}, false},
		{"", []string{"Ann Lee"}, false},
		{"", []string{""}, false},
		{"1,204", []string{"1,204"}, true},
		{"1204", []string{"1,204"}, true},
		{"1 204", []string{"1,204"}, true},
		{"1203", []string{"1,204"}, false},
		{"0", []string{"1,204"}, false},
		{"+44 7911 123456", []string{"Ann Lee", "+447911123456"}, true},
		{"447911123456", []string{"", "+447911123456"}, true},
		{"07911 123456", []string{"", "+447911123456"}, false},
		{"-", []string{"-"}, true},
		{"Bob 2", []string{"Bob 2"}, true},
		{"Bob2", []string{"Bob 2"}, false},
	} {
		if got := typedConfirmation(tc.typed, tc.want...); got != tc.ok {
			t.Errorf("typedConfirmation(%q, %q) = %v, want %v", tc.typed, tc.want, got, tc.ok)
		}
	}
}

// filterValues writes every part of a filter under the names
// contactFilter reads, so a filter survives links and hidden fields.
func TestFilterValuesRoundTrip(t *testing.T) {
	f := contact.Filter{Query: "ann", Tag: "vip", Consent: contact.ConsentOptedIn, ListID: 7, Attribute: "city", AttributeValue: "Leeds"}
	q := filterValues(f)
	want := url.Values{"q": {"ann"}, "tag": {"vip"}, "consent": {"opted_in"}, "list": {"7"}, "attr": {"city"}, "value": {"Leeds"}}
	if q.Encode() != want.Encode() {
		t.Errorf("filterValues = %s, want %s", q.Encode(), want.Encode())
	}
	if len(filterValues(contact.Filter{})) != 0 {
		t.Error("the empty filter has a query string")
	}
}
