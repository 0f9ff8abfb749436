package web

import (
	"github.com/labstack/echo/v4"

	"tidings/web/paths"
)

// campaignResume: see campaign.Service.Resume for the states it allows.
func (s *Server) campaignResume(c echo.Context) error {
	a := s.actor(c)
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Campaigns.Resume(c.Request().Context(), a.OrgID, a.UserID, cp.ID); err != nil {
		return s.campaignRefusal(c, cp.ID, err)
	}
	s.flash(c, "success", "Resumed.")
	return redirect(c, paths.Campaign(cp.ID))
}
