package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/contact"
	"tidings/templates/contacts"
	"tidings/web/paths"
)

// contactDelete erases a contact with its list memberships and consent
// ledger, then returns to the list. It cannot be undone, so the person
// types the contact's name (or number) first (UI.md).
func (s *Server) contactDelete(c echo.Context) error {
	id, err := contactID(c)
	if err != nil {
		return err
	}
	a := s.actor(c)
	ctx := c.Request().Context()
	ct, err := s.deps.Contacts.Get(ctx, a.OrgID, id)
	if err != nil {
		return contactErr(err)
	}
	if !typedConfirmation(c.FormValue("confirm"), ct.Name, ct.PhoneE164) {
		return s.contactDeleteRefused(c, ct.Contact)
	}
	if err := s.deps.Contacts.Delete(ctx, a.OrgID, a.UserID, id); err != nil {
		return contactErr(err)
	}
	s.flash(c, "success", "Contact deleted.")
	return redirect(c, paths.Contacts)
}

func (s *Server) contactDeleteRefused(c echo.Context, ct contact.Contact) error {
	d, err := s.contactShowData(c, ct.ID)
	if err != nil {
		return err
	}
	d.DeleteError = "Nothing was deleted: type " + contactName(ct) + " exactly as shown to confirm."
	return render(c, http.StatusUnprocessableEntity, contacts.Show(s.page(c, contactName(ct), "contacts"), d))
}
