package web

import (
	"mime"
	"strconv"

	"github.com/labstack/echo/v4"
)

// importRejected downloads the rows an import did not take, with the line
// number and the reason, as a CSV attachment.
func (s *Server) importRejected(c echo.Context) error {
	im, err := s.importParam(c)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment",
		map[string]string{"filename": "import-" + strconv.FormatInt(im.ID, 10) + "-rejected.csv"}))
	return importErr(s.deps.Contacts.RejectedCSV(c.Request().Context(), s.actor(c).OrgID, im.ID, c.Response()))
}
