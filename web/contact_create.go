package web

import (
	"github.com/labstack/echo/v4"

	"tidings/web/paths"
)

// contactCreate adds a contact typed in by hand, with an optional first
// consent record; bad input stores nothing and comes back with the errors.
func (s *Server) contactCreate(c echo.Context) error {
	a := s.actor(c)
	f := contactForm(c)
	in, fe := contactInput(f)
	if len(fe) > 0 {
		return s.contactFormFailed(c, f, fe, "Add a contact")
	}
	ct, err := s.deps.Contacts.Create(c.Request().Context(), a.OrgID, a.UserID, in)
	if err != nil {
		errs, err := saveErrors(err)
		if err != nil {
			return err
		}
		return s.contactFormFailed(c, f, errs, "Add a contact")
	}
	s.flash(c, "success", "Contact added.")
	return redirect(c, paths.Contact(ct.ID))
}
