package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/internal/contact"
	"tidings/templates/contacts"
	"tidings/web/paths"
)

// contactList shows one keyset page of the org's contacts, with counts by
// consent state; search and filters travel in the query string.
func (s *Server) contactList(c echo.Context) error {
	d, err := s.contactListData(c, paths.Contacts, contactFilter(c))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, contacts.List(s.page(c, "Contacts", "contacts"), d))
}

// contactListData loads one page of the contacts matching f; base is the
// page's own URL (the contacts page, or a list's page).
func (s *Server) contactListData(c echo.Context, base string, f contact.Filter) (contacts.ListData, error) {
	a := s.actor(c)
	ctx := c.Request().Context()
	after, _ := strconv.ParseInt(c.QueryParam("after"), 10, 64)
	after = max(after, 0)
	page, err := s.deps.Contacts.List(ctx, a.OrgID, f, contact.Page{After: after, Limit: 50})
	if err != nil {
		return contacts.ListData{}, err
	}
	counts, err := s.deps.Contacts.ConsentCounts(ctx, a.OrgID)
	if err != nil {
		return contacts.ListData{}, err
	}
	lists, err := s.deps.Contacts.Lists(ctx, a.OrgID)
	if err != nil {
		return contacts.ListData{}, err
	}
	d := contacts.ListData{Contacts: page.Contacts, Counts: counts, Query: f.Query, Consent: string(f.Consent), Tag: f.Tag,
		ListID: f.ListID, Attribute: f.Attribute, AttrValue: f.AttributeValue, Lists: lists, BaseURL: base,
		FilterQuery: filterValues(f), CanImport: account.RoleAtLeast(a.Role, account.RoleAdmin)}
	// "restricted" counts a subset of the three states: not added again.
	for _, st := range []contact.ConsentState{contact.ConsentOptedIn, contact.ConsentOptedOut, contact.ConsentUnknown} {
		d.Total += counts[string(st)]
	}
	// On the page itself the list is in the path, not in the query.
	own := filterValues(f)
	if base != paths.Contacts {
		own.Del("list")
	}
	d.Filtered = len(own) > 0
	if after > 0 {
		d.FirstURL = paths.WithQuery(base, own)
	}
	if page.Next != 0 {
		own.Set("after", strconv.FormatInt(page.Next, 10))
		d.NextURL = paths.WithQuery(base, own)
	}
	return d, nil
}
