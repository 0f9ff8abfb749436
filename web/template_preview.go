package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/templates/messagetemplates"
)

// templatePreview renders the form's phone preview as typed (htmx). When
// the text changed (the request targets the examples), it answers the
// example fields for the new variables too, with the preview out of band.
func (s *Server) templatePreview(c echo.Context) error {
	f := templateForm(c)
	d := messagetemplates.NewData{Form: f, Business: s.businessName(c), Connected: true}
	if c.Request().Header.Get(hxTarget) == "tpl-examples" {
		return write(c, http.StatusOK, messagetemplates.ExamplesAndPreview(d))
	}
	return write(c, http.StatusOK, messagetemplates.Preview(d, false))
}
