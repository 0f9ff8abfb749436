package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/template"
	"tidings/templates/components"
	"tidings/templates/messagetemplates"
	"tidings/web/paths"
)

// templateCreate checks the form against Meta's rules, submits it for
// review and shows the new template (pending). "Update preview" (the
// no-JavaScript way to see examples and preview) re-renders the form.
func (s *Server) templateCreate(c echo.Context) error {
	a := s.actor(c)
	f := templateForm(c)
	if c.FormValue("preview") != "" {
		return s.templateFormAgain(c, http.StatusOK, f)
	}
	t, err := s.deps.Templates.Create(c.Request().Context(), a.OrgID, a.UserID, f.Input())
	var fe template.FieldErrors
	var refused *template.RefusedError
	switch {
	case errors.As(err, &fe):
		f.Errors = components.FormErrors(fe)
		return s.templateFormAgain(c, http.StatusUnprocessableEntity, f)
	case errors.As(err, &refused):
		f.Errors = components.FormErrors{"": refused.Message}
		return s.templateFormAgain(c, http.StatusUnprocessableEntity, f)
	case errors.Is(err, template.ErrNotConnected):
		f.Errors = components.FormErrors{"": "Connect your WhatsApp number before creating templates."}
		return s.templateFormAgain(c, http.StatusUnprocessableEntity, f)
	case err != nil:
		return err
	}
	s.flash(c, "success", "Template "+t.Name+" was sent to Meta for review. It can be used in campaigns once approved.")
	return redirect(c, paths.Template(t.ID))
}

func (s *Server) templateFormAgain(c echo.Context, status int, f messagetemplates.Form) error {
	d, err := s.templateFormData(c, f)
	if err != nil {
		return err
	}
	p := s.page(c, "New template", "templates")
	return renderForm(c, status, messagetemplates.New(p, d), messagetemplates.FormFragment(p, d))
}
