package contact

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
)

// Limits on what one contact may hold.
const (
	maxNameLen    = 200
	maxEmailLen   = 254
	maxTagLen     = 64
	maxTags       = 30
	maxAttributes = 50
	maxAttrLen    = 1000
	maxListName   = 100
	maxRawValue   = 200 // bytes of an offending cell kept in the rejected-rows file
)

func validCountry(cc string) bool {
	return len(cc) == 2 && phonenumbers.GetSupportedRegions()[cc]
}

// validEmail accepts what an SMTP server would plausibly take: one @, a
// local part, a domain with a dot, no spaces or controls. Input is already
// trimmed and lower-cased.
func validEmail(s string) bool {
	if len(s) < 3 || len(s) > maxEmailLen {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || at == len(s)-1 {
		return false
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7F || r == '<' || r == '>' || r == ',' || r == ';' || r == '"' {
			return false
		}
	}
	return true
}

// cleanText trims and folds runs of white space (including line breaks
// inside a quoted cell) into one space.
func cleanText(s string) string {
	if s == "" {
		return s
	}
	simple := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || (c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ')) {
			simple = false
			break
		}
	}
	if simple {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// cleanTags trims, folds, sorts and de-duplicates tags; reason says why
// they cannot be used.
func cleanTags(in []string) (tags []string, reason string) {
	for _, t := range in {
		t = cleanText(t)
		if t == "" {
			continue
		}
		if utf8.RuneCountInString(t) > maxTagLen {
			return nil, fmt.Sprintf("a tag is longer than %d characters", maxTagLen)
		}
		tags = append(tags, t)
	}
	slices.Sort(tags)
	tags = slices.Compact(tags)
	if len(tags) > maxTags {
		return nil, fmt.Sprintf("more than %d tags", maxTags)
	}
	return tags, ""
}

// splitMulti splits a cell of several values ("vip; retail | 2024").
func splitMulti(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' })
}

// cleanLanguage returns a BCP 47 tag ("pt-BR") or false.
func cleanLanguage(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	if len(s) > 35 {
		return "", false
	}
	t, err := language.Parse(strings.ReplaceAll(s, "_", "-"))
	if err != nil {
		return "", false
	}
	return t.String(), true
}

// stagedRow is one data row, parsed: either valid (reason empty) or
// rejected with a reason, the offending value and the raw cells.
type stagedRow struct {
	line     int32
	phone    string
	name     string
	email    string
	language string
	tags     []string
	attrs    string // a JSON object of the non-empty custom fields
	lists    []string
	reason   string
	value    string
	record   []string
}

// rowParser turns records into staged rows according to the settings.
// Safe for concurrent use.
type rowParser struct {
	cols    []Column
	country string
	phone   int
	tags    []string // added to every row
}

func newRowParser(s ImportSettings) *rowParser {
	p := &rowParser{cols: s.Columns, country: s.DefaultCountry, phone: -1, tags: s.Tags}
	for i, c := range s.Columns {
		if c.Kind == ColPhone {
			p.phone = i
		}
	}
	return p
}

// parse fills out from rec (the cells of the row starting on line).
// It returns false for a blank row, which is skipped without a trace.
func (p *rowParser) parse(line int, rec []string, out *stagedRow) bool {
	*out = stagedRow{line: int32(line), tags: out.tags[:0], lists: out.lists[:0]}
	if isBlank(rec) {
		return false
	}
	reject := func(reason, value string) bool {
		out.reason = reason
		if len(value) > maxRawValue {
			value = value[:maxRawValue] + "…"
		}
		out.value = strings.ToValidUTF8(value, "")
		out.record = slices.Clone(rec)
		for i, c := range out.record {
			if len(c) > maxAttrLen {
				out.record[i] = strings.ToValidUTF8(c[:maxAttrLen], "") + "…"
			}
		}
		out.tags, out.lists = nil, nil
		return true
	}
	var raw string
	if p.phone < len(rec) {
		raw = rec[p.phone]
	}
	if strings.TrimSpace(raw) == "" {
		return reject("missing phone", "")
	}
	e164, err := NormalisePhone(raw, p.country)
	if err != nil {
		return reject(err.Error(), raw)
	}
	out.phone = e164

	var first, last string
	var attrs []byte
	for i, c := range p.cols {
		if i >= len(rec) || c.Kind == ColIgnore || c.Kind == ColPhone {
			continue
		}
		v := rec[i]
		switch c.Kind {
		case ColName, ColFirstName, ColLastName:
			v = cleanText(v)
			if utf8.RuneCountInString(v) > maxNameLen {
				return reject(fmt.Sprintf("the name is longer than %d characters", maxNameLen), v)
			}
			switch c.Kind {
			case ColName:
				out.name = v
			case ColFirstName:
				first = v
			default:
				last = v
			}
		case ColEmail:
			v = strings.ToLower(strings.TrimSpace(v))
			if v != "" && !validEmail(v) {
				return reject("not a valid e-mail address", rec[i])
			}
			out.email = v
		case ColLanguage:
			l, ok := cleanLanguage(v)
			if !ok {
				return reject("not a language code (like en or pt-BR)", v)
			}
			out.language = l
		case ColTags:
			out.tags = append(out.tags, splitMulti(v)...)
		case ColList:
			for _, l := range splitMulti(v) {
				if l = cleanText(l); l != "" {
					if utf8.RuneCountInString(l) > maxListName {
						return reject(fmt.Sprintf("a list name is longer than %d characters", maxListName), l)
					}
					out.lists = append(out.lists, l)
				}
			}
		case ColAttribute:
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if utf8.RuneCountInString(v) > maxAttrLen {
				return reject(fmt.Sprintf("the %s is longer than %d characters", c.Key, maxAttrLen), v)
			}
			if attrs == nil {
				attrs = append(make([]byte, 0, 64), '{')
			} else {
				attrs = append(attrs, ',')
			}
			attrs = appendJSONString(attrs, c.Key)
			attrs = append(attrs, ':')
			attrs = appendJSONString(attrs, v)
		}
	}
	if out.name == "" && (first != "" || last != "") {
		out.name = strings.TrimSpace(first + " " + last)
		if utf8.RuneCountInString(out.name) > maxNameLen {
			return reject(fmt.Sprintf("the name is longer than %d characters", maxNameLen), out.name)
		}
	}
	if len(p.tags) > 0 {
		out.tags = append(out.tags, p.tags...)
	}
	if len(out.tags) > 0 {
		tags, reason := cleanTags(out.tags)
		if reason != "" {
			return reject(reason, strings.Join(out.tags, ", "))
		}
		out.tags = tags
	}
	if len(out.lists) > 1 {
		slices.Sort(out.lists)
		out.lists = slices.Compact(out.lists)
	}
	if attrs != nil {
		out.attrs = string(append(attrs, '}'))
	} else {
		out.attrs = "{}"
	}
	return true
}

// appendJSONString appends s as a JSON string (s is valid UTF-8).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, `\u00`...)
			b = strconv.AppendUint(b, uint64(c>>4), 16)
			b = strconv.AppendUint(b, uint64(c&0xF), 16)
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
