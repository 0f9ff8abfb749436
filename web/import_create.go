package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/contact"
	"tidings/templates/components"
	"tidings/templates/contacts"
	"tidings/web/paths"
)

// importCreate stores an uploaded CSV file and opens the mapping step. A
// file that cannot be imported is explained at the top of the form (422)
// and leaves nothing behind.
func (s *Server) importCreate(c echo.Context) error {
	a := s.actor(c)
	fh, err := c.FormFile("file")
	if err != nil {
		return s.importUploadFailed(c, components.FormErrors{"file": "Choose a CSV file to upload."})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	im, _, err := s.deps.Contacts.CreateImport(c.Request().Context(), a.OrgID, a.UserID, fh.Filename, f)
	var fp *contact.FileProblem
	var fe contact.FieldErrors
	switch {
	case errors.As(err, &fp):
		return s.importUploadFailed(c, components.FormErrors{"": fp.Message})
	case errors.As(err, &fe):
		return s.importUploadFailed(c, components.FormErrors(fe))
	case err != nil:
		return err
	}
	return redirect(c, paths.Import(im.ID))
}

func (s *Server) importUploadFailed(c echo.Context, errs components.FormErrors) error {
	d, err := s.importNewData(c)
	if err != nil {
		return err
	}
	d.Errors = errs
	return render(c, http.StatusUnprocessableEntity, contacts.ImportNew(s.page(c, "Import contacts", "contacts"), d))
}

// importBodyLimit caps an upload's request body before the CSRF check
// parses it, a little above the service's own cap (which it enforces while
// storing the file, with a sentence for the user).
func (s *Server) importBodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		limit := s.deps.Contacts.MaxUploadBytes() + 1<<20
		if r.ContentLength > limit {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
				"The file is larger than "+strconv.FormatInt(s.deps.Contacts.MaxUploadBytes()>>20, 10)+" MB. Split it into smaller files and import them one after another.")
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		return next(c)
	}
}
