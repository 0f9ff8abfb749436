package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/contact"
	"tidings/templates/components"
	"tidings/templates/contacts"
	"tidings/web/paths"
)

// contactConsent records an opt-in or opt-out a team member heard of. An
// opted-out person stays opted out whatever a team member records (only
// they can undo it): the flash says so.
func (s *Server) contactConsent(c echo.Context) error {
	id, err := contactID(c)
	if err != nil {
		return err
	}
	a := s.actor(c)
	form := contacts.ConsentForm{Kind: c.FormValue("kind"), Basis: c.FormValue("lawful_basis"), Evidence: c.FormValue("evidence")}
	// Restriction belongs to privacy requests, not to this form.
	if form.Kind != contact.EventOptIn && form.Kind != contact.EventOptOut {
		form.Kind = ""
	}
	in := contact.ConsentInput{Kind: form.Kind, Source: contact.SourceManual, LawfulBasis: form.Basis, Evidence: form.Evidence}
	ct, err := s.deps.Contacts.RecordConsent(c.Request().Context(), a.OrgID, a.UserID, id, in)
	var fe contact.FieldErrors
	switch {
	case errors.As(err, &fe):
		d, derr := s.contactShowData(c, id)
		if derr != nil {
			return derr
		}
		d.Consent = form
		d.Consent.Errors = components.FormErrors(fe)
		p := s.page(c, contactName(d.Contact.Contact), "contacts")
		return renderForm(c, http.StatusUnprocessableEntity, contacts.Show(p, d), contacts.ConsentFormFragment(p, d))
	case err != nil:
		return contactErr(err)
	}
	switch {
	case form.Kind == contact.EventOptIn && ct.ConsentState == contact.ConsentOptedOut:
		s.flash(c, "info", "Recorded. They stay opted out: only the person can undo an opt-out, by replying START or through the privacy centre.")
	case form.Kind == contact.EventOptIn:
		s.flash(c, "success", "Opt-in recorded.")
	default:
		s.flash(c, "success", "Opt-out recorded: this contact will not receive campaigns.")
	}
	return redirect(c, paths.Contact(id))
}
