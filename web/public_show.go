package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/templates/public"
)

func (s *Server) homeShow(c echo.Context) error {
	return render(c, http.StatusOK, public.Home(s.page(c, "WhatsApp campaigns with privacy built in", "home")))
}

func (s *Server) privacyCentreShow(c echo.Context) error {
	doc, err := s.acc.CurrentPolicy(c.Request().Context(), account.PolicyPrivacy)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, public.PrivacyCentre(s.page(c, "Privacy centre", "privacy"), policyDoc(doc)))
}

// policyShow shows the current terms or privacy policy.
func (s *Server) policyShow(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		doc, err := s.acc.CurrentPolicy(c.Request().Context(), kind)
		if err != nil {
			return err
		}
		p := s.page(c, doc.Title, "privacy")
		if kind == account.PolicyTerms {
			return render(c, http.StatusOK, public.Terms(p, policyDoc(doc)))
		}
		return render(c, http.StatusOK, public.Policy(p, policyDoc(doc)))
	}
}

func policyDoc(p account.PolicyVersion) public.PolicyDoc {
	return public.PolicyDoc{Kind: p.Kind, Title: p.Title, Version: p.Version, PublishedAt: p.PublishedAt, Body: p.Body}
}
