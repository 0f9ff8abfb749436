package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"tidings/internal/campaign"
	"tidings/templates/campaigns"
	"tidings/web/paths"
)

// campaignStatus is the part of the report a live campaign's page polls;
// a plain browser gets the whole report.
func (s *Server) campaignStatus(c echo.Context) error {
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	p := s.page(c, cp.Name, "campaigns")
	if isFragmentRequest(c) {
		// The polled part reads the campaign and its rollup only.
		d := campaigns.ReportData{Campaign: cp, CanEdit: canEditCampaigns(c), TZ: orgLocation(c), Currency: s.deps.Campaigns.Currency(),
			Settling: s.settling(cp)}
		return write(c, http.StatusOK, campaigns.ReportStatus(p, d))
	}
	d, err := s.reportData(c, cp)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, campaigns.Report(p, d))
}

func (s *Server) reportData(c echo.Context, cp campaign.Campaign) (campaigns.ReportData, error) {
	d := campaigns.ReportData{Campaign: cp, CanEdit: canEditCampaigns(c), TZ: orgLocation(c), Currency: s.deps.Campaigns.Currency(),
		Settling: s.settling(cp)}
	if cp.Status == campaign.StatusDraft || cp.Status == campaign.StatusScheduled {
		return d, nil
	}
	ctx := c.Request().Context()
	var err error
	if d.Failures, err = s.deps.Campaigns.Failures(ctx, cp.OrgID, cp.ID); err != nil {
		return d, err
	}
	if st := c.QueryParam("status"); slices.Contains(campaign.RecipientStatuses, st) {
		d.RecipientStatus = st
	}
	after, _ := strconv.ParseInt(c.QueryParam("after"), 10, 64)
	rs, next, err := s.deps.Campaigns.Recipients(ctx, cp.OrgID, cp.ID, d.RecipientStatus, after, 50)
	d.Recipients = rs
	if next > 0 {
		q := url.Values{"after": {strconv.FormatInt(next, 10)}}
		if d.RecipientStatus != "" {
			q.Set("status", d.RecipientStatus)
		}
		d.NextURL = paths.Campaign(cp.ID) + "?" + q.Encode() + "#recipients"
	}
	return d, err
}

// settleFor is how long after a campaign completes its report keeps
// refreshing: most delivery and read receipts arrive within minutes.
const settleFor = 10 * time.Minute

// settling says whether a completed campaign's figures are still moving.
func (s *Server) settling(cp campaign.Campaign) bool {
	if cp.Status != campaign.StatusCompleted || cp.FinishedAt == nil {
		return false
	}
	return s.deps.Campaigns.Clock().Now().Sub(*cp.FinishedAt) < settleFor
}
