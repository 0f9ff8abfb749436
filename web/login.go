package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/templates/auth"
	"tidings/web/paths"
)

func (s *Server) loginShow(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, paths.Dashboard)
	}
	f := auth.LoginForm{Next: c.QueryParam("next")}
	return render(c, http.StatusOK, auth.Login(s.page(c, "Log in", "login"), f))
}

func (s *Server) loginCreate(c echo.Context) error {
	f := auth.LoginForm{Email: c.FormValue("email"), Next: c.FormValue("next")}
	u, err := s.acc.Authenticate(c.Request().Context(), f.Email, c.FormValue("password"), s.meta(c))
	var rl *account.RateLimitedError
	switch {
	case errors.As(err, &rl):
		c.Response().Header().Set("Retry-After", retryAfter(rl))
		f.Errors = auth.FormErrors{"": "Too many failed attempts. For your security, wait " + humanWait(rl) + " and try again, or reset your password."}
		return renderForm(c, http.StatusTooManyRequests, auth.Login(s.page(c, "Log in", "login"), f), auth.LoginFormFragment(s.page(c, "Log in", "login"), f))
	case errors.Is(err, account.ErrInvalidCredentials), errors.Is(err, account.ErrDisabled):
		f.Errors = auth.FormErrors{"": "That e-mail and password do not match an account. Check them, or reset your password."}
		p := s.page(c, "Log in", "login")
		return renderForm(c, http.StatusUnprocessableEntity, auth.Login(p, f), auth.LoginFormFragment(p, f))
	case err != nil:
		return err
	}
	if err := s.startSession(c, u.ID, 0); err != nil {
		return err
	}
	return redirect(c, safeNext(f.Next))
}

func (s *Server) logout(c echo.Context) error {
	if currentUser(c) != nil {
		if err := s.endSession(c); err != nil {
			return err
		}
	}
	s.flash(c, "info", "You are logged out.")
	return redirect(c, paths.Login)
}
