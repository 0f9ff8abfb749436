package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/connection"
	"tidings/templates/messagetemplates"
)

// templateNew is the create form, empty.
func (s *Server) templateNew(c echo.Context) error {
	d, err := s.templateFormData(c, messagetemplates.Form{Language: "en_US", Category: "UTILITY"})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, messagetemplates.New(s.page(c, "New template", "templates"), d))
}

// templateFormData wraps a form with what the page shows around it.
func (s *Server) templateFormData(c echo.Context, f messagetemplates.Form) (messagetemplates.NewData, error) {
	a := s.actor(c)
	d := messagetemplates.NewData{Form: f, Business: s.businessName(c)}
	_, err := s.deps.Connections.Get(c.Request().Context(), a.OrgID, a.UserID)
	switch {
	case err == nil:
		d.Connected = true
	case !errors.Is(err, connection.ErrNotFound):
		return d, err
	}
	return d, nil
}

// templateForm reads the create form as typed.
func templateForm(c echo.Context) messagetemplates.Form {
	f := messagetemplates.Form{Name: c.FormValue("name"), Language: c.FormValue("language"), Category: c.FormValue("category"),
		HeaderText: c.FormValue("header"), HeaderExample: c.FormValue("header_example"), Body: c.FormValue("body"),
		Footer: c.FormValue("footer"), Examples: map[string]string{}}
	for _, v := range f.Vars() {
		f.Examples[v] = c.FormValue("example." + v)
	}
	for i := range f.Buttons {
		key := func(k string) string { return "button." + string(rune('0'+i)) + "." + k }
		f.Buttons[i].Type, f.Buttons[i].Text = c.FormValue(key("type")), c.FormValue(key("text"))
		f.Buttons[i].URL, f.Buttons[i].Example = c.FormValue(key("url")), c.FormValue(key("example"))
	}
	return f
}
