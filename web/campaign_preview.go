package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/templates/campaigns"
)

// campaignPreview renders the mapping section and the phone preview for
// the editor's unsaved values (htmx sends the whole form), stepping to
// the previous or next contact of the audience.
func (s *Server) campaignPreview(c echo.Context) error {
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	f := campaignForm(c)
	if !isFragmentRequest(c) {
		return s.renderEditor(c, http.StatusOK, cp, f, nil)
	}
	contactID, _ := strconv.ParseInt(c.FormValue("preview_contact"), 10, 64)
	d := s.previewData(c, cp, f, nil, contactID, c.QueryParam("dir"))
	return write(c, http.StatusOK, campaigns.MappingSection(d))
}
