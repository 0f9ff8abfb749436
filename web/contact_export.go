package web

import (
	"time"

	"github.com/labstack/echo/v4"
)

// contactExport downloads the contacts matching the list's filter as CSV
// (restricted contacts left out, formula cells neutralised by the
// service).
func (s *Server) contactExport(c echo.Context) error {
	a := s.actor(c)
	f := contactFilter(c)
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	// The name holds only digits, letters and dashes: quoted as is.
	h.Set(echo.HeaderContentDisposition, `attachment; filename="contacts-`+time.Now().In(orgLocation(c)).Format("2006-01-02")+`.csv"`)
	h.Set(echo.HeaderCacheControl, "no-store")
	_, err := s.deps.Contacts.Export(c.Request().Context(), a.OrgID, a.UserID, f, c.Response())
	return contactErr(err)
}
