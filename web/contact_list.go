package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/internal/contact"
	"tidings/templates/contacts"
	"tidings/web/paths"
)

// contactList shows one keyset page of the org's contacts, with counts by
// consent state; search and filters travel in the query string.
func (s *Server) contactList(c echo.Context) error {
	a := s.actor(c)
	ctx := c.Request().Context()
	f := contact.Filter{Query: strings.TrimSpace(c.QueryParam("q")), Tag: strings.TrimSpace(c.QueryParam("tag"))}
	if st := contact.ConsentState(c.QueryParam("consent")); st.Valid() {
		f.Consent = st
	}
	after, _ := strconv.ParseInt(c.QueryParam("after"), 10, 64)
	if after < 0 {
		after = 0
	}
	page, err := s.deps.Contacts.List(ctx, a.OrgID, f, contact.Page{After: after, Limit: 50})
	if err != nil {
		return err
	}
	counts, err := s.deps.Contacts.ConsentCounts(ctx, a.OrgID)
	if err != nil {
		return err
	}
	d := contacts.ListData{Contacts: page.Contacts, Counts: counts, Query: f.Query, Consent: string(f.Consent), Tag: f.Tag,
		Filtered: f.Query != "" || f.Tag != "" || f.Consent != "", CanImport: account.RoleAtLeast(a.Role, account.RoleAdmin)}
	for _, n := range counts {
		d.Total += n
	}
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Query, "tag": f.Tag, "consent": string(f.Consent)} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if after > 0 {
		d.FirstURL = paths.Contacts
		if len(q) > 0 {
			d.FirstURL += "?" + q.Encode()
		}
	}
	if page.Next != 0 {
		q.Set("after", strconv.FormatInt(page.Next, 10))
		d.NextURL = paths.Contacts + "?" + q.Encode()
	}
	return render(c, http.StatusOK, contacts.List(s.page(c, "Contacts", "contacts"), d))
}
