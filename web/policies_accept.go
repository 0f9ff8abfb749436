package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/templates/auth"
	"tidings/web/paths"
)

func (s *Server) policiesAcceptShow(c echo.Context) error {
	f, err := s.policiesForm(c)
	if err != nil {
		return err
	}
	if len(f.Docs) == 0 {
		return c.Redirect(http.StatusSeeOther, paths.Dashboard)
	}
	return render(c, http.StatusOK, auth.AcceptPolicies(s.page(c, "Updated policies", ""), f))
}

func (s *Server) policiesAccept(c echo.Context) error {
	ctx := c.Request().Context()
	pending, err := s.acc.PendingPolicies(ctx, currentUser(c).ID)
	if err != nil {
		return err
	}
	var ids []int64
	for _, p := range pending {
		if c.FormValue("accept_"+p.Kind) != "" {
			ids = append(ids, p.ID)
		}
	}
	err = s.acc.AcceptPolicies(ctx, currentUser(c).ID, ids, s.meta(c))
	var fe account.FieldErrors
	switch {
	case errors.As(err, &fe):
		f, ferr := s.policiesForm(c)
		if ferr != nil {
			return ferr
		}
		f.Errors = formErrors(fe)
		return render(c, http.StatusUnprocessableEntity, auth.AcceptPolicies(s.page(c, "Updated policies", ""), f))
	case err != nil:
		return err
	}
	return redirect(c, paths.Dashboard)
}

func (s *Server) policiesForm(c echo.Context) (auth.PoliciesForm, error) {
	pending, err := s.acc.PendingPolicies(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return auth.PoliciesForm{}, err
	}
	var f auth.PoliciesForm
	for _, p := range pending {
		url := paths.PrivacyPolicy
		if p.Kind == account.PolicyTerms {
			url = paths.Terms
		}
		f.Docs = append(f.Docs, auth.PendingDoc{Kind: p.Kind, Title: p.Title, Version: p.Version, Summary: p.Summary, URL: url})
	}
	return f, nil
}
