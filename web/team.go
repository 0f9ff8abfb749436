package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/templates/components"
	"tidings/templates/team"
	"tidings/web/paths"
)

var inviteRoles = []components.Option{{Value: account.RoleMember, Label: "Member"}, {Value: account.RoleAdmin, Label: "Admin"}}

func (s *Server) teamShow(c echo.Context) error {
	d, err := s.teamData(c, team.InviteForm{Role: account.RoleMember})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, team.Team(s.page(c, "Team", "team"), d))
}

func (s *Server) teamData(c echo.Context, f team.InviteForm) (team.TeamData, error) {
	a := s.actor(c)
	members, invites, err := s.acc.Team(c.Request().Context(), a.OrgID, a.UserID)
	if err != nil {
		return team.TeamData{}, err
	}
	d := team.TeamData{CanManage: a.Role == account.RoleOwner, Form: f, Roles: inviteRoles}
	for _, m := range members {
		d.Members = append(d.Members, team.MemberRow{UserID: m.UserID, Name: m.Name, Email: m.Email, Role: m.Role, IsYou: m.UserID == a.UserID})
	}
	for _, i := range invites {
		d.Invites = append(d.Invites, team.InviteRow{ID: i.ID, Email: i.Email, Role: i.Role, ExpiresAt: i.ExpiresAt})
	}
	return d, nil
}

func (s *Server) teamInvite(c echo.Context) error {
	f := team.InviteForm{Email: c.FormValue("email"), Role: c.FormValue("role")}
	err := s.acc.Invite(c.Request().Context(), s.actor(c), f.Email, f.Role)
	var fe account.FieldErrors
	switch {
	case errors.As(err, &fe):
		f.Errors = formErrors(fe)
		d, derr := s.teamData(c, f)
		if derr != nil {
			return derr
		}
		p := s.page(c, "Team", "team")
		return renderForm(c, http.StatusUnprocessableEntity, team.Team(p, d), team.InviteFormFragment(p, f, inviteRoles))
	case err != nil:
		return err
	}
	s.flash(c, "success", "Invitation sent to "+account.NormaliseEmail(f.Email)+".")
	return redirect(c, paths.Team)
}

func (s *Server) inviteRevoke(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.acc.RevokeInvite(c.Request().Context(), s.actor(c), id); err != nil {
		return err
	}
	s.flash(c, "success", "Invitation withdrawn.")
	return redirect(c, paths.Team)
}

func (s *Server) memberRole(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.teamChange(c, s.acc.ChangeRole(c.Request().Context(), s.actor(c), id, c.FormValue("role")), "Role changed.")
}

func (s *Server) memberRemove(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.teamChange(c, s.acc.RemoveMember(c.Request().Context(), s.actor(c), id), "Member removed.")
}

// teamChange reports the outcome of a role change or removal.
func (s *Server) teamChange(c echo.Context, err error, done string) error {
	var fe account.FieldErrors
	switch {
	case errors.As(err, &fe):
		s.flash(c, "error", fe[""])
	case err != nil:
		return err
	default:
		s.flash(c, "success", done)
	}
	return redirect(c, paths.Team)
}

// pathID reads the :id route parameter; anything but a positive number is
// a 404, like an id that belongs to someone else.
func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}
