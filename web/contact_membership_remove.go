package web

import (
	"github.com/labstack/echo/v4"

	"tidings/web/paths"
)

// contactMembershipRemove takes a contact off a list.
func (s *Server) contactMembershipRemove(c echo.Context) error {
	id, listID, err := s.membershipParams(c)
	if err != nil {
		return err
	}
	a := s.actor(c)
	if err := s.deps.Contacts.RemoveFromList(c.Request().Context(), a.OrgID, a.UserID, listID, []int64{id}); err != nil {
		return listErr(err)
	}
	s.flash(c, "success", "Removed from the list.")
	return redirect(c, paths.Contact(id))
}
