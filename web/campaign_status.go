package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/campaign"
	"tidings/templates/campaigns"
)

// campaignStatus is the part of the report a live campaign's page polls;
// a plain browser gets the whole report.
func (s *Server) campaignStatus(c echo.Context) error {
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	d, err := s.reportData(c, cp)
	if err != nil {
		return err
	}
	p := s.page(c, cp.Name, "campaigns")
	return renderForm(c, http.StatusOK, campaigns.Report(p, d), campaigns.ReportStatus(p, d))
}

func (s *Server) reportData(c echo.Context, cp campaign.Campaign) (campaigns.ReportData, error) {
	d := campaigns.ReportData{Campaign: cp, CanEdit: canEditCampaigns(c), TZ: orgLocation(c), Currency: s.deps.Campaigns.Currency()}
	var err error
	if cp.Status != campaign.StatusDraft && cp.Status != campaign.StatusScheduled {
		d.Failures, err = s.deps.Campaigns.Failures(c.Request().Context(), cp.OrgID, cp.ID)
	}
	return d, err
}
