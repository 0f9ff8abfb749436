package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/campaign"
	"tidings/templates/campaigns"
	"tidings/templates/components"
	"tidings/web/paths"
)

// campaignCreate makes a draft and opens it in the editor.
func (s *Server) campaignCreate(c echo.Context) error {
	a := s.actor(c)
	d := campaigns.NewData{Name: c.FormValue("name")}
	d.TemplateID, _ = strconv.ParseInt(c.FormValue("template_id"), 10, 64)
	cp, err := s.deps.Campaigns.Create(c.Request().Context(), a.OrgID, a.UserID, campaign.Input{Name: d.Name, TemplateID: d.TemplateID})
	var fe campaign.FieldErrors
	if errors.As(err, &fe) {
		if d.Templates, err = s.deps.Campaigns.Templates(c.Request().Context(), a.OrgID); err != nil {
			return err
		}
		d.Errors = components.FormErrors(fe)
		return render(c, http.StatusUnprocessableEntity, campaigns.New(s.page(c, "New campaign", "campaigns"), d))
	}
	if err != nil {
		return err
	}
	return redirect(c, paths.Campaign(cp.ID))
}
