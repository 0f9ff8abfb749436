package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/contact"
	"tidings/web/paths"
)

// contactMembershipAdd puts a contact on one of the org's lists.
func (s *Server) contactMembershipAdd(c echo.Context) error {
	id, listID, err := s.membershipParams(c)
	if err != nil {
		return err
	}
	a := s.actor(c)
	if err := s.deps.Contacts.AddToList(c.Request().Context(), a.OrgID, a.UserID, listID, []int64{id}); err != nil {
		return listErr(err)
	}
	s.flash(c, "success", "Added to the list.")
	return redirect(c, paths.Contact(id))
}

// membershipParams reads the contact from the path and the list from the
// form, and makes sure the contact is the org's (the contact room refuses
// another org's list).
func (s *Server) membershipParams(c echo.Context) (int64, int64, error) {
	id, err := contactID(c)
	if err != nil {
		return 0, 0, err
	}
	if _, err := s.deps.Contacts.Get(c.Request().Context(), s.actor(c).OrgID, id); err != nil {
		return 0, 0, contactErr(err)
	}
	listID, err := strconv.ParseInt(c.FormValue("list_id"), 10, 64)
	if err != nil || listID <= 0 {
		return 0, 0, errListNotFound
	}
	return id, listID, nil
}

var errListNotFound = echo.NewHTTPError(http.StatusNotFound, "That list does not exist. It may have been deleted.")

// listErr maps the contact room's not-found (a list of another org too)
// to a 404 that says what is missing.
func listErr(err error) error {
	if errors.Is(err, contact.ErrNotFound) {
		return errListNotFound
	}
	return err
}
