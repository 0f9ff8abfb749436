package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	accountview "tidings/templates/account"
	"tidings/web/paths"
)

func (s *Server) profileShow(c echo.Context) error {
	return render(c, http.StatusOK, accountview.Profile(s.page(c, "Profile", "profile"), profileData(currentUser(c)), accountview.PasswordForm{}))
}

func profileData(u *account.User) accountview.ProfileData {
	return accountview.ProfileData{Name: u.Name, Email: u.Email, Phone: u.PhoneE164, EmailVerified: u.Verified(),
		CreatedAt: u.CreatedAt, TimeZone: u.TimeZone}
}

// passwordChange replaces the password, which signs out every session,
// then starts a fresh one here so the user stays signed in.
func (s *Server) passwordChange(c echo.Context) error {
	u := currentUser(c)
	next := c.FormValue("new_password")
	var err error
	if next != c.FormValue("new_password_confirm") {
		err = account.FieldErrors{"new_password_confirm": "The two new passwords are not the same."}
	} else {
		err = s.acc.ChangePassword(c.Request().Context(), u.ID, c.FormValue("current_password"), next)
	}
	var fe account.FieldErrors
	switch {
	case errors.As(err, &fe):
		f := accountview.PasswordForm{Errors: formErrors(fe)}
		p := s.page(c, "Profile", "profile")
		return renderForm(c, http.StatusUnprocessableEntity, accountview.Profile(p, profileData(u), f), accountview.PasswordFormFragment(p, f))
	case err != nil:
		return err
	}
	if err := s.startSession(c, u.ID, currentOrg(c).ID); err != nil {
		return err
	}
	s.flash(c, "success", "Your password is changed. Every other session was signed out.")
	return redirect(c, paths.Profile)
}

func (s *Server) sessionList(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	rows, err := s.acc.ActiveSessions(ctx, u.ID)
	if err != nil {
		return err
	}
	logins, err := s.acc.LoginHistory(ctx, u.ID, 20)
	if err != nil {
		return err
	}
	tz, err := time.LoadLocation(u.TimeZone)
	if err != nil {
		tz = time.UTC
	}
	current := sessionRowID(c)
	var vs []accountview.SessionRow
	for _, r := range rows {
		vs = append(vs, accountview.SessionRow{ID: r.ID, Current: r.ID == current, Device: r.UserAgent, IP: deref(r.IP),
			CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt})
	}
	var ls []accountview.LoginRow
	for _, l := range logins {
		ls = append(ls, accountview.LoginRow{At: l.At, IP: deref(l.IP), Device: l.UserAgent, Success: l.Success})
	}
	return render(c, http.StatusOK, accountview.Sessions(s.page(c, "Sessions", "sessions"), vs, ls, tz))
}

func (s *Server) sessionRevoke(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if id == sessionRowID(c) {
		return echo.NewHTTPError(http.StatusBadRequest, "To end this session, log out.")
	}
	if err := s.acc.RevokeSession(c.Request().Context(), currentUser(c).ID, id); err != nil {
		return err
	}
	s.flash(c, "success", "That session is signed out.")
	return redirect(c, paths.Sessions)
}

func (s *Server) sessionRevokeOthers(c echo.Context) error {
	if err := s.acc.RevokeOtherSessions(c.Request().Context(), currentUser(c).ID, sessionRowID(c)); err != nil {
		return err
	}
	s.flash(c, "success", "Every other session is signed out.")
	return redirect(c, paths.Sessions)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
