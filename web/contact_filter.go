package web

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"tidings/internal/contact"
)

// contactFilter reads the contacts filter from the query string, or from
// the form of a bulk action (which carries it in hidden fields): q, tag,
// consent, list, attr and value.
func contactFilter(c echo.Context) contact.Filter {
	f := contact.Filter{Query: strings.TrimSpace(c.FormValue("q")), Tag: strings.TrimSpace(c.FormValue("tag")),
		Attribute: strings.TrimSpace(c.FormValue("attr")), AttributeValue: strings.TrimSpace(c.FormValue("value"))}
	if st := contact.ConsentState(c.FormValue("consent")); st.Valid() {
		f.Consent = st
	}
	if id, err := strconv.ParseInt(c.FormValue("list"), 10, 64); err == nil && id > 0 {
		f.ListID = id
	}
	if f.Attribute == "" {
		f.AttributeValue = ""
	}
	return f
}

// filterValues is the query string of a filter, the inverse of
// contactFilter: links to the next page, the export and the bulk actions
// keep the filter with it.
func filterValues(f contact.Filter) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Query, "tag": f.Tag, "consent": string(f.Consent), "attr": f.Attribute, "value": f.AttributeValue} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.ListID > 0 {
		q.Set("list", strconv.FormatInt(f.ListID, 10))
	}
	return q
}

// typedConfirmation reports whether what someone typed to confirm an
// irreversible action matches any of the words they were shown. Case,
// spacing and thousands separators in numbers do not matter ("1,204" is
// 1204); a phone number matches by its digits.
func typedConfirmation(typed string, want ...string) bool {
	norm := func(s string) string {
		s = strings.Join(strings.Fields(strings.ToLower(s)), " ")
		if strings.IndexFunc(s, unicode.IsDigit) >= 0 &&
			strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) && !strings.ContainsRune("+,. ()-", r) }) < 0 {
			return strings.Map(func(r rune) rune {
				if unicode.IsDigit(r) {
					return r
				}
				return -1
			}, s)
		}
		return s
	}
	t := norm(typed)
	if t == "" {
		return false
	}
	for _, w := range want {
		if w != "" && t == norm(w) {
			return true
		}
	}
	return false
}
