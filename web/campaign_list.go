package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/templates/campaigns"
)

// campaignList shows the org's campaigns with their status and rates.
func (s *Server) campaignList(c echo.Context) error {
	list, err := s.deps.Campaigns.List(c.Request().Context(), s.actor(c).OrgID, 200)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, campaigns.List(s.page(c, "Campaigns", "campaigns"),
		campaigns.ListData{Campaigns: list, CanEdit: canEditCampaigns(c), TZ: orgLocation(c)}))
}
