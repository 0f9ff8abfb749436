// Package dev renders the development tools (`tidings dev` only): the
// outbox of e-mails that would have been sent. Nothing here may appear in
// production; the pages say so on their face.
package dev

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Mail is one captured e-mail.
type Mail struct {
	ID                int64
	To, Subject, Text string
	SentAt            time.Time
}

// Segment is a piece of a text body: plain text, or a link when URL is set.
type Segment struct {
	Text string
	URL  bool
}

var linkRE = regexp.MustCompile(`https?://[^\s<>"']+`)

// Segments splits text into plain runs and http(s) links, so the outbox
// can make links clickable without trusting the text as HTML. Trailing
// punctuation (".", ",", ")" without its "(" …) stays outside the link.
func Segments(text string) []Segment {
	var out []Segment
	last := 0
	for _, m := range linkRE.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		link := trimLink(text[start:end])
		if _, host, _ := strings.Cut(link, "://"); host == "" {
			continue // "http://" alone is not a link
		}
		end = start + len(link)
		if start > last {
			out = append(out, Segment{Text: text[last:start]})
		}
		out = append(out, Segment{Text: text[start:end], URL: true})
		last = end
	}
	if last < len(text) {
		out = append(out, Segment{Text: text[last:]})
	}
	return out
}

// trimLink drops punctuation that usually ends a sentence rather than a URL.
func trimLink(s string) string {
	for len(s) > 0 {
		c := s[len(s)-1]
		switch {
		case strings.IndexByte(".,;:!?'\"]>", c) >= 0:
			s = s[:len(s)-1]
		case c == ')' && strings.Count(s, "(") < strings.Count(s, ")"):
			s = s[:len(s)-1]
		default:
			return s
		}
	}
	return s
}

// newestFirst sorts a copy, so the page does not depend on the caller's order.
func newestFirst(mails []Mail) []Mail {
	out := append([]Mail(nil), mails...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].SentAt.Equal(out[j].SentAt) {
			return out[i].ID > out[j].ID
		}
		return out[i].SentAt.After(out[j].SentAt)
	})
	return out
}

func count(n int) string {
	if n == 1 {
		return "1 e-mail"
	}
	return strconv.Itoa(n) + " e-mails"
}

func orNoSubject(s string) string {
	if s == "" {
		return "(no subject)"
	}
	return s
}
