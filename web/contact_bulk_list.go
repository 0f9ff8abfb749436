package web

import (
	"strconv"

	"github.com/labstack/echo/v4"
)

// contactBulkList adds every contact matching the filter to a list.
func (s *Server) contactBulkList(c echo.Context) error {
	a := s.actor(c)
	f := contactFilter(c)
	listID, err := strconv.ParseInt(c.FormValue("list_id"), 10, 64)
	if err != nil || listID <= 0 {
		return errListNotFound
	}
	n, err := s.deps.Contacts.BulkAddToList(c.Request().Context(), a.OrgID, a.UserID, f, listID)
	if err != nil {
		return listErr(err)
	}
	s.flash(c, "success", "Added "+countWords(n)+" to the list (those already on it are left as they were).")
	return redirect(c, bulkBack(f))
}
