package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/templates/campaigns"
)

// campaignShow is the editor while the campaign is a draft or scheduled,
// and its report once it has started.
func (s *Server) campaignShow(c echo.Context) error {
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	if cp.Editable() {
		return s.renderEditor(c, http.StatusOK, cp, formOf(cp), nil)
	}
	d, err := s.reportData(c, cp)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, campaigns.Report(s.page(c, cp.Name, "campaigns"), d))
}
