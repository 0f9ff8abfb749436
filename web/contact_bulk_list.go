package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/templates/contacts"
)

// contactBulkList adds every contact matching the filter to a list.
func (s *Server) contactBulkList(c echo.Context) error {
	a := s.actor(c)
	f := contactFilter(c)
	listID, err := strconv.ParseInt(c.FormValue("list_id"), 10, 64)
	if err != nil || listID <= 0 {
		d, err := s.bulkData(c)
		if err != nil {
			return err
		}
		d.ListErrors = contacts.FormErrors{"list_id": "Choose a list."}
		p := s.page(c, "Bulk actions", "contacts")
		return renderForm(c, http.StatusUnprocessableEntity, contacts.Bulk(p, d), contacts.BulkListFragment(p, d))
	}
	n, err := s.deps.Contacts.BulkAddToList(c.Request().Context(), a.OrgID, a.UserID, f, listID)
	if err != nil {
		return listErr(err)
	}
	s.flash(c, "success", "Added "+countWords(n)+" to the list (those already on it are left as they were).")
	return redirect(c, bulkBack(f))
}
