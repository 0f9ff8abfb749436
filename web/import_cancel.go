package web

import (
	"errors"

	"github.com/labstack/echo/v4"

	"tidings/internal/contact"
	"tidings/web/paths"
)

// importCancel stops an import that has not ended (or discards an upload
// that was never confirmed); nothing of it is kept.
func (s *Server) importCancel(c echo.Context) error {
	a := s.actor(c)
	im, err := s.importParam(c)
	if err != nil {
		return err
	}
	_, err = s.deps.Contacts.CancelImport(c.Request().Context(), a.OrgID, a.UserID, im.ID)
	switch {
	case errors.Is(err, contact.ErrImportState):
		s.flash(c, "info", "This import has already ended.")
	case err != nil:
		return importErr(err)
	default:
		s.flash(c, "success", "Import cancelled. Nothing of it was kept.")
	}
	return redirect(c, paths.Import(im.ID))
}
