package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/templates/auth"
	"tidings/web/paths"
)

func (s *Server) inviteShow(c echo.Context) error {
	token := c.QueryParam("token")
	v, err := s.acc.LookupInvite(c.Request().Context(), token)
	if err != nil {
		return s.inviteInvalid(c, err)
	}
	return render(c, http.StatusOK, auth.AcceptInvite(s.page(c, "Join "+v.OrgName, ""), s.inviteForm(c, token, v)))
}

func (s *Server) inviteAccept(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.FormValue("token")
	v, err := s.acc.LookupInvite(ctx, token)
	if err != nil {
		return s.inviteInvalid(c, err)
	}
	var orgID, userID int64
	if u := currentUser(c); u != nil {
		userID = u.ID
		orgID, err = s.acc.AcceptInvite(ctx, token, u.ID, s.meta(c))
	} else if !v.HasAccount {
		in := account.NewMemberInput{Name: c.FormValue("name"), Password: c.FormValue("password"),
			Adult: c.FormValue("adult") != "", AcceptTerms: c.FormValue("accept_terms") != "", AcceptPrivacy: c.FormValue("accept_privacy") != ""}
		in.TermsVersion, _ = strconv.Atoi(c.FormValue("terms_version"))
		in.PrivacyVersion, _ = strconv.Atoi(c.FormValue("privacy_version"))
		var u account.User
		u, orgID, err = s.acc.JoinWithNewAccount(ctx, token, in, s.meta(c))
		userID = u.ID
	} else {
		return redirect(c, paths.Login+"?next="+paths.WithToken(paths.AcceptInvite, token))
	}
	var fe account.FieldErrors
	switch {
	case errors.As(err, &fe):
		f := s.inviteForm(c, token, v)
		f.Name, f.Errors = c.FormValue("name"), formErrors(fe)
		return render(c, http.StatusUnprocessableEntity, auth.AcceptInvite(s.page(c, "Join "+v.OrgName, ""), f))
	case err != nil:
		return s.inviteInvalid(c, err)
	}
	if err := s.startSession(c, userID, orgID); err != nil {
		return err
	}
	s.flash(c, "success", "Welcome to "+v.OrgName+".")
	return redirect(c, paths.Dashboard)
}

func (s *Server) inviteForm(c echo.Context, token string, v account.InviteView) auth.InviteForm {
	f := auth.InviteForm{Token: token, OrgName: v.OrgName, InviterName: v.InviterName, Email: v.Email, Role: v.Role,
		NeedsAccount: currentUser(c) == nil && !v.HasAccount}
	if f.NeedsAccount {
		if t, err := s.acc.CurrentPolicy(c.Request().Context(), account.PolicyTerms); err == nil {
			f.TermsVersion = t.Version
		}
		if p, err := s.acc.CurrentPolicy(c.Request().Context(), account.PolicyPrivacy); err == nil {
			f.PrivacyVersion = p.Version
		}
	}
	return f
}

func (s *Server) inviteInvalid(c echo.Context, err error) error {
	if errors.Is(err, account.ErrTokenInvalid) {
		return echo.NewHTTPError(http.StatusNotFound, "This invitation is invalid, was withdrawn or has expired. Ask for a new one.")
	}
	return err
}
