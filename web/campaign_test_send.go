package web

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/campaign"
	"tidings/internal/platform/phone"
	"tidings/web/paths"
)

// campaignTestSend queues the message, rendered for the previewed contact,
// to the signed-in user's own number.
func (s *Server) campaignTestSend(c echo.Context) error {
	a := s.actor(c)
	cp, err := s.campaignParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	sample, _ := strconv.ParseInt(c.FormValue("contact"), 10, 64)
	err = s.deps.Campaigns.TestSend(c.Request().Context(), a.OrgID, a.UserID, cp.ID, u.PhoneE164, sample)
	if errors.Is(err, campaign.ErrNoPhone) {
		s.flash(c, "error", "Add your phone number to your profile to send yourself a test.")
		return redirect(c, paths.Campaign(cp.ID))
	}
	if err != nil {
		return s.campaignRefusal(c, cp.ID, err)
	}
	s.flash(c, "success", "Test queued to "+phone.Mask(u.PhoneE164)+": it arrives in a few seconds.")
	return redirect(c, paths.Campaign(cp.ID))
}
