package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"tidings/internal/campaign"
	"tidings/templates/components"
	"tidings/web/paths"
)

// campaignSchedule sets the saved campaign to start at a date and time in
// the org's time zone.
func (s *Server) campaignSchedule(c echo.Context) error {
	a := s.actor(c)
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	loc := orgLocation(c)
	at, perr := time.ParseInLocation("2006-01-02 15:04", c.FormValue("date")+" "+c.FormValue("time"), loc)
	if perr != nil {
		err = campaign.FieldErrors{"date": "Give a date and a time, like 2026-05-04 and 09:30."}
	} else {
		_, err = s.deps.Campaigns.Schedule(c.Request().Context(), a.OrgID, a.UserID, cp.ID, at)
	}
	var fe campaign.FieldErrors
	if errors.As(err, &fe) {
		errs := components.FormErrors(fe)
		if errs["date"] == "" && errs["scheduled_at"] == "" {
			errs[""] = "Fill in every variable of the template (and save) before scheduling."
		}
		return s.renderEditor(c, http.StatusUnprocessableEntity, cp, formOf(cp), errs)
	}
	if err != nil {
		return s.campaignRefusal(c, cp.ID, err)
	}
	s.flash(c, "success", "Scheduled for "+components.FormatTime(at, loc)+". It starts by itself then.")
	return redirect(c, paths.Campaign(cp.ID))
}
