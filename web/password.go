package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/templates/auth"
	"tidings/web/paths"
)

func (s *Server) passwordForgotShow(c echo.Context) error {
	return render(c, http.StatusOK, auth.Forgot(s.page(c, "Forgot password", "login"), auth.ForgotForm{}))
}

func (s *Server) passwordForgot(c echo.Context) error {
	f := auth.ForgotForm{Email: c.FormValue("email")}
	err := s.acc.RequestPasswordReset(c.Request().Context(), f.Email, s.meta(c))
	var fe account.FieldErrors
	status := http.StatusOK
	var rl *account.RateLimitedError
	switch {
	case errors.As(err, &fe):
		f.Errors, status = formErrors(fe), http.StatusUnprocessableEntity
	case errors.As(err, &rl):
		c.Response().Header().Set("Retry-After", retryAfter(rl))
		f.Errors, status = auth.FormErrors{"": "Too many requests. Please wait " + humanWait(rl) + " and try again."}, http.StatusTooManyRequests
	case err != nil:
		return err
	default:
		f.Sent = true
	}
	p := s.page(c, "Forgot password", "login")
	return renderForm(c, status, auth.Forgot(p, f), auth.ForgotFormFragment(p, f))
}

func (s *Server) passwordResetShow(c echo.Context) error {
	f := auth.ResetForm{Token: c.QueryParam("token")}
	status := http.StatusOK
	if err := s.acc.CheckResetToken(c.Request().Context(), f.Token); errors.Is(err, account.ErrTokenInvalid) {
		f.Errors, status = auth.FormErrors{"": "This link is invalid, was used already or has expired. Ask for a new one."}, http.StatusBadRequest
	} else if err != nil {
		return err
	}
	return render(c, status, auth.Reset(s.page(c, "Choose a new password", "login"), f))
}

func (s *Server) passwordReset(c echo.Context) error {
	f := auth.ResetForm{Token: c.FormValue("token")}
	pw := c.FormValue("password")
	var err error
	if pw != c.FormValue("password_confirm") {
		err = account.FieldErrors{"password_confirm": "The two passwords are not the same."}
	} else {
		_, err = s.acc.ResetPassword(c.Request().Context(), f.Token, pw)
	}
	var fe account.FieldErrors
	switch {
	case errors.As(err, &fe):
		f.Errors = formErrors(fe)
	case errors.Is(err, account.ErrTokenInvalid):
		f.Errors = auth.FormErrors{"": "This link is invalid, was used already or has expired. Ask for a new one."}
	case err != nil:
		return err
	default:
		s.flash(c, "success", "Your password is changed and you were signed out everywhere. Log in with the new one.")
		return redirect(c, paths.Login)
	}
	p := s.page(c, "Choose a new password", "login")
	return renderForm(c, http.StatusUnprocessableEntity, auth.Reset(p, f), auth.ResetFormFragment(p, f))
}
