package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/templates/contacts"
)

// listIndex shows the org's lists with their member counts, and the form
// that creates one.
func (s *Server) listIndex(c echo.Context) error {
	lists, err := s.deps.Contacts.Lists(c.Request().Context(), s.actor(c).OrgID)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, contacts.Lists(s.page(c, "Lists", "lists"), contacts.ListsData{Lists: lists}))
}
