package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/templates/contacts"
	"tidings/web/paths"
)

// listDelete removes a list; its contacts stay. The person types the
// list's name first: the memberships cannot be brought back.
func (s *Server) listDelete(c echo.Context) error {
	d, err := s.listData(c)
	if err != nil {
		return err
	}
	if !typedConfirmation(c.FormValue("confirm"), d.List.Name) {
		d.DeleteError = "Nothing was deleted: type the list's name, " + d.List.Name + ", to confirm."
		return render(c, http.StatusUnprocessableEntity, contacts.List(s.page(c, d.List.Name, "lists"), d))
	}
	a := s.actor(c)
	if err := s.deps.Contacts.DeleteList(c.Request().Context(), a.OrgID, a.UserID, d.List.ID); err != nil {
		return listErr(err)
	}
	s.flash(c, "success", "List deleted. Its contacts are still in your contacts.")
	return redirect(c, paths.Lists)
}
