package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/templates/campaigns"
)

// campaignCount is the live audience count while the rules are edited.
func (s *Server) campaignCount(c echo.Context) error {
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	f := campaignForm(c)
	if !isFragmentRequest(c) {
		return s.renderEditor(c, http.StatusOK, cp, f, nil)
	}
	n, err := s.deps.Campaigns.Count(c.Request().Context(), cp.OrgID, f.Audience)
	return write(c, http.StatusOK, campaigns.AudienceCount(n, err != nil))
}
