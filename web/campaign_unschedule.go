package web

import (
	"github.com/labstack/echo/v4"

	"tidings/web/paths"
)

// campaignUnschedule: see campaign.Service.Unschedule for the states it allows.
func (s *Server) campaignUnschedule(c echo.Context) error {
	a := s.actor(c)
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Campaigns.Unschedule(c.Request().Context(), a.OrgID, a.UserID, cp.ID); err != nil {
		return s.campaignRefusal(c, cp.ID, err)
	}
	s.flash(c, "success", "Unscheduled: it is a draft again.")
	return redirect(c, paths.Campaign(cp.ID))
}
