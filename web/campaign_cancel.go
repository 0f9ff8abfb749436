package web

import (
	"github.com/labstack/echo/v4"

	"tidings/web/paths"
)

// campaignCancel: see campaign.Service.Cancel for the states it allows.
func (s *Server) campaignCancel(c echo.Context) error {
	a := s.actor(c)
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Campaigns.Cancel(c.Request().Context(), a.OrgID, a.UserID, cp.ID); err != nil {
		return s.campaignRefusal(c, cp.ID, err)
	}
	s.flash(c, "success", "Cancelled. Messages not sent yet will not be sent.")
	return redirect(c, paths.Campaign(cp.ID))
}
