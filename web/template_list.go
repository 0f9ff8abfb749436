package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/internal/connection"
	"tidings/internal/template"
	"tidings/templates/components"
	"tidings/templates/messagetemplates"
)

// templateList shows the org's templates with their status, category,
// language and quality; members may look, admins sync and create.
func (s *Server) templateList(c echo.Context) error {
	a := s.actor(c)
	ctx := c.Request().Context()
	d := messagetemplates.ListData{CanManage: account.RoleAtLeast(a.Role, account.RoleAdmin), TZ: orgLocation(c),
		Status: strings.ToUpper(c.QueryParam("status")), Category: strings.ToUpper(c.QueryParam("category"))}
	if _, err := s.deps.Connections.Get(ctx, a.OrgID, a.UserID); err == nil {
		d.Connected = true
	} else if !errors.Is(err, connection.ErrNotFound) {
		return err
	}
	list, err := s.deps.Templates.List(ctx, a.OrgID, template.Filter{Status: d.Status, Category: d.Category})
	if err != nil {
		return err
	}
	d.Templates = list
	var latest time.Time
	for _, t := range list {
		if t.SyncedAt != nil && t.SyncedAt.After(latest) {
			latest = *t.SyncedAt
		}
	}
	if !latest.IsZero() {
		d.SyncedAt = components.FormatTime(latest, d.TZ)
	}
	return render(c, http.StatusOK, messagetemplates.List(s.page(c, "Templates", "templates"), d))
}
