package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/internal/contact"
	"tidings/templates/contacts"
)

// importShow is an import's page: the mapping step while the upload waits
// for it, then the progress and the result.
func (s *Server) importShow(c echo.Context) error {
	im, err := s.importParam(c)
	if err != nil {
		return err
	}
	if im.Status == contact.StatusUploaded {
		d, err := s.mappingData(c, im)
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, contacts.Mapping(s.page(c, "Map columns", "contacts"), d))
	}
	return render(c, http.StatusOK, contacts.Progress(s.page(c, "Import", "contacts"), s.progressData(c, im)))
}

// importParam loads the import named by the path's id, in the current org.
func (s *Server) importParam(c echo.Context) (contact.Import, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return contact.Import{}, echo.ErrNotFound
	}
	im, err := s.deps.Contacts.GetImport(c.Request().Context(), s.actor(c).OrgID, id)
	if errors.Is(err, contact.ErrNotFound) {
		return im, echo.ErrNotFound
	}
	return im, err
}

// mappingData prefills the mapping step from the guessed mapping and the
// org's country.
func (s *Server) mappingData(c echo.Context, im contact.Import) (contacts.MappingData, error) {
	a := s.actor(c)
	pv, err := s.deps.Contacts.Preview(c.Request().Context(), a.OrgID, im.ID)
	if err != nil {
		return contacts.MappingData{}, importErr(err)
	}
	country := ""
	if o := currentOrg(c); o != nil {
		country = o.Country
	}
	return contacts.MappingData{Import: im, Preview: pv, Countries: options(account.Countries()),
		CanImport: account.RoleAtLeast(a.Role, account.RoleAdmin),
		Form: contacts.MappingForm{Columns: pv.Guess, HasHeader: pv.HasHeader, Country: country, Mode: contact.ModeAddNew,
			Attestation: contact.Attestation{LawfulBasis: "consent"}}}, nil
}

func (s *Server) progressData(c echo.Context, im contact.Import) contacts.ProgressData {
	return contacts.ProgressData{Import: im, CanImport: account.RoleAtLeast(s.actor(c).Role, account.RoleAdmin), TZ: orgLocation(c)}
}

// importErr maps the contact room's errors that are not the user's input.
func importErr(err error) error {
	switch {
	case errors.Is(err, contact.ErrNotFound):
		return echo.ErrNotFound
	case errors.Is(err, contact.ErrImportState):
		return echo.NewHTTPError(http.StatusConflict, "This import has already moved on.")
	}
	return err
}
