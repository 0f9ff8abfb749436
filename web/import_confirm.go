package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/contact"
	"tidings/templates/components"
	"tidings/templates/contacts"
	"tidings/web/paths"
)

// importConfirm takes the mapping, the mode and (for opted-in contacts)
// the consent attestation, and queues the import.
func (s *Server) importConfirm(c echo.Context) error {
	a := s.actor(c)
	im, err := s.importParam(c)
	if err != nil {
		return err
	}
	if im.Status != contact.StatusUploaded {
		s.flash(c, "info", "This import has already been started.")
		return redirect(c, paths.Import(im.ID))
	}
	form := contacts.MappingForm{HasHeader: c.FormValue("has_header") != "false", Country: c.FormValue("default_country"),
		Mode: c.FormValue("mode"), OptedIn: c.FormValue("opted_in") != "",
		Attestation: contact.Attestation{Method: c.FormValue("attestation.method"), CollectedOn: c.FormValue("attestation.collected_on"),
			LawfulBasis: c.FormValue("attestation.lawful_basis"), Wording: c.FormValue("attestation.wording")}}
	if fv, err := c.FormParams(); err == nil {
		form.UpdateFields = fv["update_fields"]
	}
	for i := range im.Header {
		form.Columns = append(form.Columns, contact.Column{Kind: c.FormValue("columns." + strconv.Itoa(i)), Key: c.FormValue("columns." + strconv.Itoa(i) + ".key")})
	}
	settings := contact.ImportSettings{Columns: form.Columns, HasHeader: form.HasHeader, DefaultCountry: form.Country, Mode: form.Mode,
		UpdateFields: form.UpdateFields, OptedIn: form.OptedIn}
	var att *contact.Attestation
	if form.OptedIn {
		att = &form.Attestation
	}
	_, err = s.deps.Contacts.ConfirmImport(c.Request().Context(), a.OrgID, a.UserID, im.ID, settings, att)
	var fe contact.FieldErrors
	switch {
	case errors.As(err, &fe):
		d, derr := s.mappingData(c, im)
		if derr != nil {
			return derr
		}
		form.Errors = components.FormErrors(fe)
		if form.Errors[""] == "" {
			form.Errors[""] = "Please check the highlighted choices."
		}
		d.Form = form
		return render(c, http.StatusUnprocessableEntity, contacts.Mapping(s.page(c, "Map columns", "contacts"), d))
	case errors.Is(err, contact.ErrImportState):
		s.flash(c, "info", "This import has already been started.")
		return redirect(c, paths.Import(im.ID))
	case err != nil:
		return importErr(err)
	}
	s.flash(c, "success", "Import started. You can leave this page: it carries on without you.")
	return redirect(c, paths.Import(im.ID))
}
