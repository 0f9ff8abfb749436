package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/internal/contact"
	"tidings/templates/components"
	"tidings/templates/contacts"
	"tidings/web/paths"
)

// contactBulk is the bulk-actions page of the filter in the query string:
// how many contacts it matches, and what can be done to them all.
func (s *Server) contactBulk(c echo.Context) error {
	d, err := s.bulkData(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, contacts.Bulk(s.page(c, "Bulk actions", "contacts"), d))
}

// bulkData counts the filter's contacts (the figure a person confirms)
// and loads the lists; failed bulk forms re-render it with their errors.
func (s *Server) bulkData(c echo.Context) (contacts.BulkData, error) {
	a := s.actor(c)
	ctx := c.Request().Context()
	f := contactFilter(c)
	n, err := s.deps.Contacts.Count(ctx, a.OrgID, f)
	if err != nil {
		return contacts.BulkData{}, err
	}
	lists, err := s.deps.Contacts.Lists(ctx, a.OrgID)
	if err != nil {
		return contacts.BulkData{}, err
	}
	d := contacts.BulkData{Filter: f, Count: n, Lists: lists, CanDelete: account.RoleAtLeast(a.Role, account.RoleAdmin),
		BackURL: bulkBack(f)}
	d.FilterWords = filterWords(f, lists)
	return d, nil
}

// filterWords says a filter in words for the confirmation.
func filterWords(f contact.Filter, lists []contact.List) []string {
	var w []string
	if f.Query != "" {
		w = append(w, "search “"+f.Query+"”")
	}
	if f.Consent != "" {
		w = append(w, map[contact.ConsentState]string{contact.ConsentOptedIn: "opted in", contact.ConsentOptedOut: "opted out",
			contact.ConsentUnknown: "consent unknown"}[f.Consent])
	}
	if f.Tag != "" {
		w = append(w, "tagged “"+f.Tag+"”")
	}
	if f.ListID != 0 {
		name := "a list that no longer exists"
		for _, l := range lists {
			if l.ID == f.ListID {
				name = "the list “" + l.Name + "”"
			}
		}
		w = append(w, "on "+name)
	}
	if contact.AttributeKey(f.Attribute) != "" {
		if f.AttributeValue != "" {
			w = append(w, f.Attribute+" is “"+f.AttributeValue+"”")
		} else {
			w = append(w, "with a "+f.Attribute)
		}
	}
	return w
}

// bulkBack is where a bulk action returns: the list it came from, with
// the same filter.
func bulkBack(f contact.Filter) string {
	q := filterValues(f)
	if f.ListID != 0 {
		q.Del("list")
		return paths.WithQuery(paths.List(f.ListID), q)
	}
	return paths.WithQuery(paths.Contacts, q)
}

func countWords(n int64) string {
	if n == 1 {
		return "1 contact"
	}
	return components.FormatInt(n) + " contacts"
}
