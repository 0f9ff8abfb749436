package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/templates/auth"
	"tidings/templates/components"
	"tidings/web/paths"
)

func (s *Server) signupShow(c echo.Context) error {
	f, err := s.signupForm(c)
	if err != nil {
		return err
	}
	f.TimeZone, f.Industry = "UTC", ""
	return render(c, http.StatusOK, auth.Signup(s.page(c, "Sign up", "signup"), f))
}

func (s *Server) signupCreate(c echo.Context) error {
	in := account.SignupInput{
		Name: c.FormValue("name"), Email: c.FormValue("email"), Phone: c.FormValue("phone"), Password: c.FormValue("password"),
		BusinessName: c.FormValue("business_name"), Industry: c.FormValue("industry"), CompanySize: c.FormValue("company_size"),
		Country: c.FormValue("country"), TimeZone: c.FormValue("time_zone"), Website: c.FormValue("website"),
		Adult: c.FormValue("adult") != "", AcceptTerms: c.FormValue("accept_terms") != "", AcceptPrivacy: c.FormValue("accept_privacy") != "",
	}
	in.TermsVersion, _ = strconv.Atoi(c.FormValue("terms_version"))
	in.PrivacyVersion, _ = strconv.Atoi(c.FormValue("privacy_version"))
	err := s.acc.Signup(c.Request().Context(), in, s.meta(c))
	var fe account.FieldErrors
	var rl *account.RateLimitedError
	switch {
	case errors.As(err, &fe), errors.As(err, &rl):
		f, ferr := s.signupForm(c)
		if ferr != nil {
			return ferr
		}
		f.Name, f.Email, f.Phone, f.BusinessName, f.Industry = in.Name, in.Email, in.Phone, in.BusinessName, in.Industry
		f.CompanySize, f.Country, f.TimeZone, f.Website = in.CompanySize, in.Country, in.TimeZone, in.Website
		f.Adult, f.AcceptTerms, f.AcceptPrivacy = in.Adult, in.AcceptTerms, in.AcceptPrivacy
		status := http.StatusUnprocessableEntity
		if rl != nil {
			status = http.StatusTooManyRequests
			fe = account.FieldErrors{"": "Too many sign-ups from here just now. Please wait " + humanWait(rl) + " and try again."}
		}
		f.Errors = formErrors(fe)
		p := s.page(c, "Sign up", "signup")
		return renderForm(c, status, auth.Signup(p, f), auth.SignupFormFragment(p, f))
	case err != nil:
		return err
	}
	// Redirect rather than render, so a reload does not post the form
	// again; the page learns the address from a signed cookie.
	s.csrf.setNote(c, pendingEmailCookie, account.NormaliseEmail(in.Email), 3600)
	return redirect(c, paths.ResendVerify)
}

// signupForm carries the choices and the policy versions being accepted.
func (s *Server) signupForm(c echo.Context) (auth.SignupForm, error) {
	terms, err := s.acc.CurrentPolicy(c.Request().Context(), account.PolicyTerms)
	if err != nil {
		return auth.SignupForm{}, err
	}
	privacy, err := s.acc.CurrentPolicy(c.Request().Context(), account.PolicyPrivacy)
	if err != nil {
		return auth.SignupForm{}, err
	}
	zones := account.TimeZones()
	tz := make([]components.Option, len(zones))
	for i, z := range zones {
		tz[i] = components.Option{Value: z, Label: z}
	}
	return auth.SignupForm{
		TermsVersion: terms.Version, PrivacyVersion: privacy.Version,
		Industries: options(account.Industries), CompanySizes: options(account.CompanySizes),
		Countries: options(account.Countries()), TimeZones: tz,
	}, nil
}

func (s *Server) emailVerify(c echo.Context) error {
	err := s.acc.VerifyEmail(c.Request().Context(), c.QueryParam("token"))
	p := s.page(c, "Confirm e-mail", "")
	switch {
	case errors.Is(err, account.ErrTokenInvalid):
		return render(c, http.StatusBadRequest, auth.VerifyResult(p, false,
			"This link is invalid, was used already or has expired. Log in and ask for a new one."))
	case err != nil:
		return err
	}
	return render(c, http.StatusOK, auth.VerifyResult(p, true, "Thank you: your e-mail address is confirmed."))
}

func (s *Server) verifyResendShow(c echo.Context) error {
	email, _ := s.csrf.note(c, pendingEmailCookie, false)
	if u := currentUser(c); u != nil {
		email = u.Email
	}
	if email == "" {
		s.flash(c, "info", "Log in to ask for a new confirmation link.")
		return c.Redirect(http.StatusSeeOther, paths.Login)
	}
	return render(c, http.StatusOK, auth.CheckEmail(s.page(c, "Check your e-mail", ""), email))
}

func (s *Server) verifyResend(c echo.Context) error {
	if err := s.acc.ResendVerification(c.Request().Context(), c.FormValue("email"), s.meta(c)); err != nil {
		return err
	}
	s.flash(c, "success", "If that address is waiting for confirmation, a new link is on its way.")
	return redirect(c, c.Request().URL.Path)
}
