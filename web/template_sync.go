package web

import (
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"

	"tidings/internal/template"
	"tidings/web/paths"
)

// templatesSync copies the templates from the WhatsApp Business Account
// now; Meta's refusal is shown in words on the list.
func (s *Server) templatesSync(c echo.Context) error {
	a := s.actor(c)
	res, err := s.deps.Templates.Sync(c.Request().Context(), a.OrgID, a.UserID)
	var refused *template.RefusedError
	switch {
	case errors.Is(err, template.ErrNotConnected):
		return echo.ErrNotFound
	case errors.As(err, &refused):
		s.flash(c, "error", refused.Message)
	case err != nil:
		return err
	default:
		msg := fmt.Sprintf("Synced %d templates from your WhatsApp Business Account.", res.Seen)
		if res.Gone > 0 {
			msg += fmt.Sprintf(" %d no longer exist there and are marked deleted.", res.Gone)
		}
		s.flash(c, "success", msg)
	}
	return redirect(c, paths.Templates)
}
