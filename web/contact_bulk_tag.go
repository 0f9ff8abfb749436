package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tidings/internal/contact"
	"tidings/templates/components"
	"tidings/templates/contacts"
)

// contactBulkTag adds (op=add) or removes (op=remove) tags on every
// contact matching the filter the form carries.
func (s *Server) contactBulkTag(c echo.Context) error {
	a := s.actor(c)
	f := contactFilter(c)
	op := c.FormValue("op")
	add := op == "add"
	var tags []string
	for _, t := range strings.Split(c.FormValue("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	var n int64
	var err error
	if op == "add" || op == "remove" {
		n, err = s.deps.Contacts.BulkTag(c.Request().Context(), a.OrgID, a.UserID, f, tags, add)
	} else {
		// A form without its button's value (an old page, a script): ask
		// rather than guess which way to go.
		err = contact.FieldErrors{"": "Choose Add tags or Remove tags."}
	}
	var fe contact.FieldErrors
	switch {
	case errors.As(err, &fe):
		d, derr := s.bulkData(c)
		if derr != nil {
			return derr
		}
		d.Tags, d.TagErrors = c.FormValue("tags"), components.FormErrors(fe)
		p := s.page(c, "Bulk actions", "contacts")
		return renderForm(c, http.StatusUnprocessableEntity, contacts.Bulk(p, d), contacts.BulkTagFragment(p, d))
	case err != nil:
		return err
	}
	verb := "Tagged "
	if !add {
		verb = "Removed the tags from "
	}
	s.flash(c, "success", verb+countWords(n)+".")
	return redirect(c, bulkBack(f))
}
