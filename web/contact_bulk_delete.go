package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/templates/components"
	"tidings/templates/contacts"
	"tidings/web/paths"
)

// contactBulkDelete erases every contact matching the filter. It cannot be
// undone, so the person types the number of contacts it will erase; the
// number is counted again here, so a filter that grew or shrank since the
// page was shown is refused rather than acted on.
func (s *Server) contactBulkDelete(c echo.Context) error {
	d, err := s.bulkData(c)
	if err != nil {
		return err
	}
	if d.Count == 0 || !typedConfirmation(c.FormValue("confirm"), components.FormatInt(d.Count)) {
		d.DelErrors = contacts.FormErrors{"confirm": "Nothing was deleted: type " + components.FormatInt(d.Count) +
			", the number of contacts that match now, to confirm."}
		if d.Count == 0 {
			d.DelErrors["confirm"] = "Nothing was deleted: no contacts match these filters any more."
		}
		return render(c, http.StatusUnprocessableEntity, contacts.Bulk(s.page(c, "Bulk actions", "contacts"), d))
	}
	a := s.actor(c)
	n, err := s.deps.Contacts.BulkDelete(c.Request().Context(), a.OrgID, a.UserID, d.Filter)
	if err != nil {
		return err
	}
	s.flash(c, "success", "Deleted "+countWords(n)+".")
	return redirect(c, paths.Contacts)
}
