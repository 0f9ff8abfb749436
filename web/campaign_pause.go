package web

import (
	"github.com/labstack/echo/v4"

	"tidings/web/paths"
)

// campaignPause: see campaign.Service.Pause for the states it allows.
func (s *Server) campaignPause(c echo.Context) error {
	a := s.actor(c)
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Campaigns.Pause(c.Request().Context(), a.OrgID, a.UserID, cp.ID); err != nil {
		return s.campaignRefusal(c, cp.ID, err)
	}
	s.flash(c, "success", "Paused. Messages not sent yet wait until you resume.")
	return redirect(c, paths.Campaign(cp.ID))
}
