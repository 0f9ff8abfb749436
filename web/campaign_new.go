package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/templates/campaigns"
)

// campaignNew asks for a name and a template.
func (s *Server) campaignNew(c echo.Context) error {
	ts, err := s.deps.Campaigns.Templates(c.Request().Context(), s.actor(c).OrgID)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, campaigns.New(s.page(c, "New campaign", "campaigns"), campaigns.NewData{Templates: ts}))
}
