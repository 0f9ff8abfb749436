package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/internal/template"
	"tidings/templates/messagetemplates"
)

// templateShow is one template as a phone shows it, with its variables.
func (s *Server) templateShow(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	a := s.actor(c)
	t, err := s.deps.Templates.Get(c.Request().Context(), a.OrgID, id)
	if errors.Is(err, template.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, messagetemplates.Show(s.page(c, t.Name, "templates"), messagetemplates.ShowData{
		T: t, Business: s.businessName(c), CanManage: account.RoleAtLeast(a.Role, account.RoleAdmin), TZ: orgLocation(c)}))
}

// businessName is what the phone preview shows as the sender: the
// number's verified name, else the organisation's.
func (s *Server) businessName(c echo.Context) string {
	a := s.actor(c)
	if conn, err := s.deps.Connections.Get(c.Request().Context(), a.OrgID, a.UserID); err == nil && conn.VerifiedName != "" {
		return conn.VerifiedName
	}
	if o := currentOrg(c); o != nil {
		return o.Name
	}
	return "Your business"
}
