package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"tidings/templates/contacts"
)

// contactEdit is the form that changes a contact's details, prefilled.
func (s *Server) contactEdit(c echo.Context) error {
	id, err := contactID(c)
	if err != nil {
		return err
	}
	d, err := s.deps.Contacts.Get(c.Request().Context(), s.actor(c).OrgID, id)
	if err != nil {
		return contactErr(err)
	}
	f := contacts.ContactForm{ID: d.ID, Phone: d.PhoneE164, Name: d.Name, Email: d.Email, Language: d.Language,
		Tags: strings.Join(d.Tags, ", ")}
	keys := make([]string, 0, len(d.Attributes))
	for k := range d.Attributes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f.AttrKeys, f.AttrVals = append(f.AttrKeys, k), append(f.AttrVals, d.Attributes[k])
	}
	if err := s.fillContactForm(c, &f); err != nil {
		return err
	}
	return render(c, http.StatusOK, contacts.ContactFormPage(s.page(c, "Edit "+contactName(d.Contact), "contacts"), f))
}
