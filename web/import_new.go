package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/templates/contacts"
)

// importNew is step 1 of an import: the upload form, with the org's latest
// imports under it.
func (s *Server) importNew(c echo.Context) error {
	d, err := s.importNewData(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, contacts.ImportNew(s.page(c, "Import contacts", "contacts"), d))
}

func (s *Server) importNewData(c echo.Context) (contacts.ImportNewData, error) {
	a := s.actor(c)
	list, err := s.deps.Contacts.Imports(c.Request().Context(), a.OrgID, 20)
	if err != nil {
		return contacts.ImportNewData{}, err
	}
	return contacts.ImportNewData{CanImport: account.RoleAtLeast(a.Role, account.RoleAdmin), Imports: list,
		TZ: orgLocation(c), MaxMB: s.deps.Contacts.MaxUploadBytes() >> 20}, nil
}

// orgLocation is the current org's time zone (UTC when unknown).
func orgLocation(c echo.Context) *time.Location {
	if o := currentOrg(c); o != nil && o.TimeZone != "" {
		if loc, err := time.LoadLocation(o.TimeZone); err == nil {
			return loc
		}
	}
	return time.UTC
}
