package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/campaign"
	"tidings/templates/components"
	"tidings/web/paths"
)

// campaignUpdate saves the editor's form; the page then shows the
// pre-send check of what was saved.
func (s *Server) campaignUpdate(c echo.Context) error {
	a := s.actor(c)
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	f := campaignForm(c)
	_, err = s.deps.Campaigns.Update(c.Request().Context(), a.OrgID, a.UserID, cp.ID, campaign.Input{Name: f.Name, TemplateID: f.TemplateID,
		Mapping: f.Mapping, Audience: f.Audience, WindowStart: f.WindowStart, WindowEnd: f.WindowEnd})
	var fe campaign.FieldErrors
	if errors.As(err, &fe) {
		errs := components.FormErrors(fe)
		errs[""] = "Please check the highlighted fields; nothing was saved."
		return s.renderEditor(c, http.StatusUnprocessableEntity, cp, f, errs)
	}
	if err != nil {
		return s.campaignRefusal(c, cp.ID, err)
	}
	s.flash(c, "success", "Saved. Check who will receive it below, then send or schedule it.")
	return redirect(c, paths.Campaign(cp.ID))
}
