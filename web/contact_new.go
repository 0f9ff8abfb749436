package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/templates/contacts"
)

// contactNew is the form that adds one contact by hand.
func (s *Server) contactNew(c echo.Context) error {
	var f contacts.ContactForm
	if err := s.fillContactForm(c, &f); err != nil {
		return err
	}
	return render(c, http.StatusOK, contacts.ContactFormPage(s.page(c, "Add a contact", "contacts"), f))
}
