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
// and timeline, privacy flags and where the contact came from.
func (s *Server) contactShow(c echo.Context) error {
	id, err := contactID(c)
	if err != nil {
		return err
	}
	a := s.actor(c)
	d, err := s.deps.Contacts.Get(c.Request().Context(), a.OrgID, id)
	if err != nil {
		return contactErr(err)
	}
	name := d.Name
	if name == "" {
		name = d.PhoneE164
	}
	return render(c, http.StatusOK, contacts.Show(s.page(c, name, "contacts"), contacts.ShowData{
		Contact: d, TZ: orgLocation(c), CanDelete: account.RoleAtLeast(a.Role, account.RoleAdmin)}))
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
