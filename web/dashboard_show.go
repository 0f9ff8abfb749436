package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"tidings/templates/app"
	"tidings/web/paths"
)

func (s *Server) dashboardShow(c echo.Context) error {
	u, o := currentUser(c), currentOrg(c)
	first, _, _ := strings.Cut(u.Name, " ")
	d := app.DashboardData{FirstName: first, OrgName: o.Name, EmailVerified: u.Verified(), Todo: []app.TodoItem{
		{Text: "Confirm your e-mail address", LinkText: "Send the link again", URL: paths.ResendVerify, Done: u.Verified()},
		{Text: "Connect your WhatsApp Business number (coming soon)"},
		{Text: "Import your contacts (coming soon)"},
		{Text: "Send your first campaign (coming soon)"},
	}}
	return render(c, http.StatusOK, app.Dashboard(s.page(c, "Dashboard", "dashboard"), d))
}

// orgSwitch changes the organisation the user works in, among their own.
func (s *Server) orgSwitch(c echo.Context) error {
	id, err := strconv.ParseInt(c.FormValue("org_id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Choose an organisation.")
	}
	orgs, err := s.acc.OrgsOf(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if o.ID == id {
			sess := currentSession(c)
			sess.Values[keyOrgID] = id
			if err := sess.Save(c.Request(), c.Response()); err != nil {
				return err
			}
			s.flash(c, "info", "You are now working in "+o.Name+".")
			return redirect(c, paths.Dashboard)
		}
	}
	return echo.ErrNotFound
}
