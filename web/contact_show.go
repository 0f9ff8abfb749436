package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/internal/contact"
	"tidings/templates/contacts"
)

// contactShow is one contact's page: fields, tags, lists, consent state
// and timeline, privacy flags and where the contact came from, with the
// forms that record consent and change lists.
func (s *Server) contactShow(c echo.Context) error {
	id, err := contactID(c)
	if err != nil {
		return err
	}
	d, err := s.contactShowData(c, id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, contacts.Show(s.page(c, contactName(d.Contact.Contact), "contacts"), d))
}

// contactShowData loads the page; forms that fail re-render it with their
// errors filled in.
func (s *Server) contactShowData(c echo.Context, id int64) (contacts.ShowData, error) {
	a := s.actor(c)
	ctx := c.Request().Context()
	d, err := s.deps.Contacts.Get(ctx, a.OrgID, id)
	if err != nil {
		return contacts.ShowData{}, contactErr(err)
	}
	lists, err := s.deps.Contacts.Lists(ctx, a.OrgID)
	if err != nil {
		return contacts.ShowData{}, err
	}
	return contacts.ShowData{Contact: d, TZ: orgLocation(c), Lists: lists,
		CanDelete: account.RoleAtLeast(a.Role, account.RoleAdmin)}, nil
}

// contactName is how a page names a contact: the name, else the number.
func contactName(c contact.Contact) string {
	if c.Name != "" {
		return c.Name
	}
	return c.PhoneE164
}

// contactID reads the path's contact id; anything else is a 404.
func contactID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// contactErr maps the contact room's not-found (another org's contact
// too) to a 404.
func contactErr(err error) error {
	if errors.Is(err, contact.ErrNotFound) {
		return echo.ErrNotFound
	}
	return err
}
