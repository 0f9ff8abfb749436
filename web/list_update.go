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

// listUpdate renames a list or changes its description.
func (s *Server) listUpdate(c echo.Context) error {
	d, err := s.listData(c)
	if err != nil {
		return err
	}
	a := s.actor(c)
	f := contacts.ListForm{ID: d.List.ID, Name: c.FormValue("name"), Description: c.FormValue("description")}
	err = s.deps.Contacts.UpdateList(c.Request().Context(), a.OrgID, a.UserID, f.ID, f.Name, f.Description)
	var fe contact.FieldErrors
	switch {
	case errors.As(err, &fe):
		f.Errors = components.FormErrors(fe)
		d.ListForm = f
		p := s.page(c, d.List.Name, "lists")
		return renderForm(c, http.StatusUnprocessableEntity, contacts.List(p, d), contacts.ListFormFragment(p, f))
	case err != nil:
		return listErr(err)
	}
	s.flash(c, "success", "List saved.")
	return redirect(c, paths.List(f.ID))
}
