package web

import (
	"github.com/labstack/echo/v4"

	"tidings/web/paths"
)

// contactUpdate saves the edit form; bad input changes nothing and comes
// back with the errors.
func (s *Server) contactUpdate(c echo.Context) error {
	id, err := contactID(c)
	if err != nil {
		return err
	}
	a := s.actor(c)
	ctx := c.Request().Context()
	old, err := s.deps.Contacts.Get(ctx, a.OrgID, id)
	if err != nil {
		return contactErr(err)
	}
	f := contactForm(c)
	f.ID, f.ListIDs, f.Consent = id, nil, ""
	title := "Edit " + contactName(old.Contact)
	in, fe := contactInput(f)
	if len(fe) > 0 {
		return s.contactFormFailed(c, f, fe, title)
	}
	if _, err := s.deps.Contacts.Update(ctx, a.OrgID, a.UserID, id, in); err != nil {
		errs, err := saveErrors(contactErr(err))
		if err != nil {
			return err
		}
		return s.contactFormFailed(c, f, errs, title)
	}
	s.flash(c, "success", "Changes saved.")
	return redirect(c, paths.Contact(id))
}
