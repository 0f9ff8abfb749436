package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/templates/contacts"
)

// importStatus is the progress fragment the import's page polls; a plain
// browser gets the whole page.
func (s *Server) importStatus(c echo.Context) error {
	im, err := s.importParam(c)
	if err != nil {
		return err
	}
	p := s.page(c, "Import", "contacts")
	d := s.progressData(c, im)
	return renderForm(c, http.StatusOK, contacts.Progress(p, d), contacts.ProgressFragment(p, d))
}
