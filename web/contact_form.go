package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/internal/contact"
	"tidings/templates/components"
	"tidings/templates/contacts"
)

// contactForm reads the create or edit form as posted.
func contactForm(c echo.Context) contacts.ContactForm {
	f := contacts.ContactForm{Phone: c.FormValue("phone"), Country: c.FormValue("country"), Name: c.FormValue("name"),
		Email: c.FormValue("email"), Language: c.FormValue("language"), Tags: c.FormValue("tags"),
		Consent: c.FormValue("consent"), Basis: c.FormValue("consent.lawful_basis"), Evidence: c.FormValue("consent.evidence")}
	// Custom-field rows are numbered; a row past a gap still counts.
	for i := 0; i < 100; i++ {
		k, v := c.FormValue("attr_key."+strconv.Itoa(i)), c.FormValue("attr_value."+strconv.Itoa(i))
		if k == "" && v == "" && c.FormValue("attr_key."+strconv.Itoa(i+1)) == "" && c.FormValue("attr_value."+strconv.Itoa(i+1)) == "" {
			break
		}
		f.AttrKeys, f.AttrVals = append(f.AttrKeys, k), append(f.AttrVals, v)
	}
	if fv, err := c.FormParams(); err == nil {
		for _, s := range fv["lists"] {
			if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
				f.ListIDs = append(f.ListIDs, id)
			}
		}
	}
	return f
}

// contactInput turns the form into what the contact room takes. A custom
// field typed twice (in any spelling of its key) keeps its last row's
// value; a row with a value but no name is an error.
func contactInput(f contacts.ContactForm) (contact.ContactInput, contacts.FormErrors) {
	in := contact.ContactInput{Phone: f.Phone, Country: f.Country, Name: f.Name, Email: f.Email, Language: f.Language,
		Attributes: map[string]string{}, ListIDs: f.ListIDs}
	for _, t := range strings.Split(f.Tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			in.Tags = append(in.Tags, t)
		}
	}
	fe := contacts.FormErrors{}
	for i, k := range f.AttrKeys {
		v := strings.TrimSpace(f.AttrVals[i])
		switch key := contact.AttributeKey(k); {
		case key != "":
			in.Attributes[key] = v
		case v != "":
			fe["attributes"] = "Give every custom field a name (letters or digits)."
		}
	}
	if f.Consent != "" {
		in.Consent = &contact.ConsentInput{Kind: f.Consent, Source: contact.SourceManual, LawfulBasis: f.Basis, Evidence: f.Evidence}
	}
	return in, fe
}

// contactFormFailed answers a form the contact room refused: 422 with the
// errors next to their fields (the form alone for htmx).
func (s *Server) contactFormFailed(c echo.Context, f contacts.ContactForm, fe contacts.FormErrors, title string) error {
	if err := s.fillContactForm(c, &f); err != nil {
		return err
	}
	f.Errors = fe
	if msg, ok := fe["consent.kind"]; ok {
		f.Errors["consent"] = msg
	}
	if fe["phone"] != "" && strings.TrimSpace(f.Phone) == "" {
		f.Errors["phone"] = "Type the phone number: every contact needs one."
	}
	p := s.page(c, title, "contacts")
	return renderForm(c, http.StatusUnprocessableEntity, contacts.ContactFormPage(p, f), contacts.ContactFormFragment(p, f))
}

// fillContactForm adds the choices: countries and, when creating, lists.
func (s *Server) fillContactForm(c echo.Context, f *contacts.ContactForm) error {
	f.Countries = options(account.Countries())
	if f.Country == "" {
		if o := currentOrg(c); o != nil {
			f.Country = o.Country
		}
	}
	if f.Editing() {
		return nil
	}
	lists, err := s.deps.Contacts.Lists(c.Request().Context(), s.actor(c).OrgID)
	f.Lists = lists
	return err
}

// saveErrors sorts a Create or Update error: field errors (and a list that
// vanished) go back to the form; anything else is returned.
func saveErrors(err error) (contacts.FormErrors, error) {
	var fe contact.FieldErrors
	switch {
	case errors.As(err, &fe):
		return components.FormErrors(fe), nil
	case errors.Is(err, contact.ErrNotFound):
		return contacts.FormErrors{"lists": "One of the chosen lists no longer exists. Choose again."}, nil
	}
	return nil, err
}
