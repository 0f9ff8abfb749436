package web

import (
	"github.com/labstack/echo/v4"

	"tidings/web/paths"
)

// campaignDuplicate copies a campaign into a new draft and opens it.
func (s *Server) campaignDuplicate(c echo.Context) error {
	a := s.actor(c)
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	d, err := s.deps.Campaigns.Duplicate(c.Request().Context(), a.OrgID, a.UserID, cp.ID)
	if err != nil {
		return campaignErr(err)
	}
	s.flash(c, "success", "Copied into a new draft.")
	return redirect(c, paths.Campaign(d.ID))
}
