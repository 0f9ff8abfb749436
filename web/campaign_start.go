package web

import (
	"github.com/labstack/echo/v4"

	"tidings/web/paths"
)

// campaignStart sends the saved campaign now.
func (s *Server) campaignStart(c echo.Context) error {
	a := s.actor(c)
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Campaigns.Start(c.Request().Context(), a.OrgID, a.UserID, cp.ID); err != nil {
		return s.campaignRefusal(c, cp.ID, err)
	}
	s.flash(c, "success", "Sending has started. You can leave this page: it carries on without you.")
	return redirect(c, paths.Campaign(cp.ID))
}
