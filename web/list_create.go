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

// listCreate adds a list and opens its page; a missing or taken name
// comes back next to the field.
func (s *Server) listCreate(c echo.Context) error {
	a := s.actor(c)
	ctx := c.Request().Context()
	f := contacts.ListForm{Name: c.FormValue("name"), Description: c.FormValue("description")}
	l, err := s.deps.Contacts.CreateList(ctx, a.OrgID, a.UserID, f.Name, f.Description)
	var fe contact.FieldErrors
	switch {
	case errors.As(err, &fe):
		lists, lerr := s.deps.Contacts.Lists(ctx, a.OrgID)
		if lerr != nil {
			return lerr
		}
		f.Errors = components.FormErrors(fe)
		p := s.page(c, "Lists", "lists")
		return renderForm(c, http.StatusUnprocessableEntity, contacts.Lists(p, contacts.ListsData{Lists: lists, Form: f}), contacts.ListFormFragment(p, f))
	case err != nil:
		return err
	}
	s.flash(c, "success", "List created. Add people from a contact's page, or with bulk actions on a filter.")
	return redirect(c, paths.List(l.ID))
}
