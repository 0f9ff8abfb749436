package dev

import (
	"reflect"
	"testing"
	"time"
)

func TestSegments(t *testing.T) {
	tests := []struct {
		in   string
		want []Segment
	}{
		{"", nil},
		{"no links here", []Segment{{Text: "no links here"}}},
		{
			"Confirm: http://localhost:8080/verify-email?token=abc123.\nThanks",
			[]Segment{
				{Text: "Confirm: "},
				{Text: "http://localhost:8080/verify-email?token=abc123", URL: true},
				{Text: ".\nThanks"},
			},
		},
		{
			"(see https://example.com/a_(b)) and https://x.org, ok",
			[]Segment{
				{Text: "(see "},
				{Text: "https://example.com/a_(b)", URL: true},
				{Text: ") and "},
				{Text: "https://x.org", URL: true},
				{Text: ", ok"},
			},
		},
		{"https://a.example", []Segment{{Text: "https://a.example", URL: true}}},
		{"just http:// here", []Segment{{Text: "just http:// here"}}},
		{"ftp://nope.example javascript:alert(1)", []Segment{{Text: "ftp://nope.example javascript:alert(1)"}}},
	}
	for _, tt := range tests {
		if got := Segments(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Segments(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
		}
	}
}

func TestNewestFirst(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := []Mail{{ID: 1, SentAt: t0}, {ID: 3, SentAt: t0.Add(time.Hour)}, {ID: 2, SentAt: t0}}
	got := newestFirst(in)
	if got[0].ID != 3 || got[1].ID != 2 || got[2].ID != 1 {
		t.Errorf("order: %v", got)
	}
	if in[0].ID != 1 {
		t.Error("input was reordered")
	}
}
