package web

import (
	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/templates/components"
	"tidings/templates/layout"
	"tidings/web/paths"
)

// page fills what every shell needs: the CSRF token, the user and their
// orgs, one-time flash messages and the banners that need attention.
func (s *Server) page(c echo.Context, title, section string) layout.Page {
	csrfToken, _ := c.Get(ctxCSRF).(string)
	op := s.deps.Config.Operator
	p := layout.Page{Title: title, CSRF: csrfToken, Section: section, Dev: s.deps.Outbox != nil, FakePhone: s.deps.FakePhoneURL,
		Operator: layout.Operator{Name: op.Name, Email: op.Email, Address: op.Address}}
	if kind, text, ok := s.csrf.takeFlash(c); ok {
		p.Flash = append(p.Flash, layout.Flash{Kind: kind, Text: text})
	}
	u := currentUser(c)
	if u == nil {
		return p
	}
	nav := &layout.UserNav{Name: u.Name, Email: u.Email}
	if o := currentOrg(c); o != nil {
		nav.OrgName, nav.Role = o.Name, o.Role
		orgs, _ := c.Get(ctxOrgs).([]account.OrgRole)
		for _, x := range orgs {
			nav.Orgs = append(nav.Orgs, layout.OrgChoice{ID: x.ID, Name: x.Name, Current: x.ID == o.ID})
		}
		if o.SuspendedAt != nil {
			p.Banners = append(p.Banners, layout.Banner{Kind: "error",
				Text: "This organisation is suspended: nothing will be sent. Contact support to find out why."})
		}
	}
	p.User = nav
	if !u.Verified() {
		p.Banners = append(p.Banners, layout.Banner{Kind: "warning",
			Text: "Please confirm your e-mail address: we sent a link to " + u.Email + ".", LinkText: "Send it again", LinkURL: paths.ResendVerify})
	}
	return p
}

// flash shows a message on the next page.
func (s *Server) flash(c echo.Context, kind, text string) { s.csrf.setFlash(c, kind, text) }

// formErrors converts the domain's field errors for templates.
func formErrors(fe account.FieldErrors) components.FormErrors { return components.FormErrors(fe) }

func options(list []account.Choice) []components.Option {
	out := make([]components.Option, len(list))
	for i, c := range list {
		out[i] = components.Option{Value: c.Value, Label: c.Label}
	}
	return out
}
