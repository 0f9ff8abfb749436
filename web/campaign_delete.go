package web

import (
	"github.com/labstack/echo/v4"

	"tidings/web/paths"
)

// campaignDelete deletes a draft.
func (s *Server) campaignDelete(c echo.Context) error {
	a := s.actor(c)
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	if err := s.deps.Campaigns.Delete(c.Request().Context(), a.OrgID, a.UserID, cp.ID); err != nil {
		return s.campaignRefusal(c, cp.ID, err)
	}
	s.flash(c, "success", "Draft deleted.")
	return redirect(c, paths.Campaigns)
}
