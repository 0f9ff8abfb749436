package web

import (
	"github.com/labstack/echo/v4"

	"tidings/web/paths"
)

// contactDelete erases a contact with its list memberships and consent
// ledger, then returns to the list.
func (s *Server) contactDelete(c echo.Context) error {
	id, err := contactID(c)
	if err != nil {
		return err
	}
	a := s.actor(c)
	if err := s.deps.Contacts.Delete(c.Request().Context(), a.OrgID, a.UserID, id); err != nil {
		return contactErr(err)
	}
	s.flash(c, "success", "Contact deleted.")
	return redirect(c, paths.Contacts)
}
