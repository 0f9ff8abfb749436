package campaign

import (
	"slices"
	"strconv"
	"strings"

	"tidings/internal/contact"
	"tidings/internal/whatsapp"
)

// Sources a template variable can take its value from.
const (
	SourceName      = "name"
	SourceFirstName = "first_name"
	SourcePhone     = "phone"
	SourceEmail     = "email"
	SourceLanguage  = "language"
	SourceAttribute = "attribute" // Binding.Key names the custom field
	SourceText      = "text"      // Binding.Text, the same for everyone
)

// Sources lists them in the order a form offers them.
var Sources = []string{SourceFirstName, SourceName, SourcePhone, SourceEmail, SourceLanguage, SourceAttribute, SourceText}

// Mapping fills each template variable, keyed by Variable.Key.
type Mapping map[string]Binding

// Binding is where one variable's value comes from. Fallback is used when
// the contact's value is empty (Meta refuses empty parameters).
type Binding struct {
	Source   string `json:"source"`
	Key      string `json:"key,omitempty"`
	Text     string `json:"text,omitempty"`
	Fallback string `json:"fallback,omitempty"`
}

// Variable is one placeholder of a template, as a mapping addresses it.
type Variable struct {
	// Key is "header.1", "body.first_name", "button.0.1": the mapping key
	// and the stem of the form fields. A media header is "header.media".
	Key string
	whatsapp.Placeholder
	// MediaType is "image", "video" or "document" for a media header,
	// whose value is the link Meta fetches the file from.
	MediaType string
}

// MediaKey is the mapping key of a media header's link.
const MediaKey = "header.media"

// Label names the variable for people: "{{1}} in the body".
func (v Variable) Label() string {
	if v.MediaType != "" {
		return "the header " + v.MediaType + " (a link to the file)"
	}
	where := v.Component
	if v.Component == "button" {
		where = "button " + strconv.Itoa(v.ButtonIndex+1) + " link"
	}
	return "{{" + v.Name + "}} in the " + where
}

// Variables lists a template's placeholders in the order a send fills
// them: header, body, then URL buttons; positional ones by number.
func Variables(t whatsapp.Template) []Variable {
	ph := t.Placeholders()
	rank := map[string]int{"header": 0, "body": 1, "button": 2}
	slices.SortStableFunc(ph, func(a, b whatsapp.Placeholder) int {
		if d := rank[a.Component] - rank[b.Component]; d != 0 {
			return d
		}
		if d := a.ButtonIndex - b.ButtonIndex; d != 0 {
			return d
		}
		na, ea := strconv.Atoi(a.Name)
		nb, eb := strconv.Atoi(b.Name)
		if ea == nil && eb == nil {
			return na - nb
		}
		return 0
	})
	var out []Variable
	for _, c := range t.Components {
		if strings.EqualFold(c.Type, "HEADER") {
			switch f := strings.ToLower(c.Format); f {
			case "image", "video", "document":
				out = append(out, Variable{Key: MediaKey, Placeholder: whatsapp.Placeholder{Component: "header", Name: "media"}, MediaType: f})
			}
		}
	}
	for _, p := range ph {
		key := p.Component + "." + p.Name
		if p.Component == "button" {
			key = "button." + strconv.Itoa(p.ButtonIndex) + "." + p.Name
		}
		out = append(out, Variable{Key: key, Placeholder: p})
	}
	return out
}

// needsFallback: sources that can be empty for a contact.
func needsFallback(source string) bool { return source != SourcePhone && source != SourceText }

// ValidateMapping checks that every variable of t is filled. Field names
// are "map.<key>.source", ".key", ".text" and ".fallback".
func ValidateMapping(t whatsapp.Template, m Mapping) FieldErrors {
	fe := FieldErrors{}
	for _, v := range Variables(t) {
		b, ok := m[v.Key]
		f := "map." + v.Key
		switch {
		case !ok || b.Source == "":
			fe[f+".source"] = "Choose what fills " + v.Label() + "."
		case !slices.Contains(Sources, b.Source):
			fe[f+".source"] = "Choose one of the offered fields."
		case b.Source == SourceAttribute && strings.TrimSpace(b.Key) == "":
			fe[f+".key"] = "Name the custom field."
		case b.Source == SourceText && clean(b.Text) == "":
			fe[f+".text"] = "Type the text everyone receives."
		case v.MediaType != "" && b.Source != SourceText && b.Source != SourceAttribute:
			fe[f+".source"] = "Give a fixed link, or a custom field that holds one."
		case v.MediaType != "" && b.Source == SourceText && !strings.HasPrefix(clean(b.Text), "https://"):
			fe[f+".text"] = "Give the file's address, starting with https://."
		case needsFallback(b.Source) && clean(b.Fallback) == "":
			fe[f+".fallback"] = "Give a fallback for contacts without this value."
		}
		if len(b.Text) > 1000 || len(b.Fallback) > 1000 {
			fe[f+".text"] = "Keep it under 1,000 characters."
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// clean makes a value sendable: Meta refuses parameters with new lines or
// tabs, and spaces around a value are noise. The SQL renderer does the
// same (translate + btrim), so both give identical params.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
	return strings.Trim(s, " ")
}

// Value is the text a binding gives for c.
func (b Binding) Value(c contact.Contact) string {
	var raw string
	switch b.Source {
	case SourceName:
		raw = c.Name
	case SourceFirstName:
		raw, _, _ = strings.Cut(clean(c.Name), " ")
	case SourcePhone:
		raw = c.PhoneE164
	case SourceEmail:
		raw = c.Email
	case SourceLanguage:
		raw = c.Language
	case SourceAttribute:
		raw = c.Attributes[b.Key]
	case SourceText:
		return clean(b.Text)
	}
	if v := clean(raw); v != "" {
		return v
	}
	return clean(b.Fallback)
}

// Render fills t's variables for c. The result goes to the ledger as
// messages.params; freezing renders the same in SQL (paramsSQL).
func Render(t whatsapp.Template, m Mapping, c contact.Contact) whatsapp.TemplateParams {
	var p whatsapp.TemplateParams
	named := t.Named()
	for _, v := range Variables(t) {
		val := m[v.Key].Value(c)
		switch {
		case v.MediaType != "":
			p.Header = append(p.Header, whatsapp.MediaParam(whatsapp.ParamType(v.MediaType), val))
		case v.Component == "button":
			p.Buttons = append(p.Buttons, whatsapp.ButtonParameter{Type: whatsapp.ButtonURL, Index: v.ButtonIndex, Value: val})
		default:
			prm := whatsapp.TextParam(val)
			if named {
				prm.Name = v.Name
			}
			if v.Component == "header" {
				p.Header = append(p.Header, prm)
			} else {
				p.Body = append(p.Body, prm)
			}
		}
	}
	return p
}

// Preview is a rendered message as the recipient's phone shows it.
type Preview struct {
	Header, Body, Footer string
	// HeaderMedia is "IMAGE", "VIDEO", "DOCUMENT" or "LOCATION" for a
	// media header.
	HeaderMedia string
	Buttons     []string
}

// RenderPreview fills t's texts for c.
func RenderPreview(t whatsapp.Template, m Mapping, c contact.Contact) Preview {
	values := map[string]string{}
	for _, v := range Variables(t) {
		values[v.Key] = m[v.Key].Value(c)
	}
	fill := func(comp, text string) string {
		var b strings.Builder
		for {
			i := strings.Index(text, "{{")
			if i < 0 {
				break
			}
			j := strings.Index(text[i:], "}}")
			if j < 0 {
				break
			}
			b.WriteString(text[:i])
			name := strings.TrimSpace(text[i+2 : i+j])
			if val, ok := values[comp+"."+name]; ok {
				b.WriteString(val)
			} else {
				b.WriteString(text[i : i+j+2])
			}
			text = text[i+j+2:]
		}
		b.WriteString(text)
		return b.String()
	}
	var pv Preview
	for _, comp := range t.Components {
		switch strings.ToUpper(comp.Type) {
		case "HEADER":
			if comp.Format == "" || strings.EqualFold(comp.Format, "TEXT") {
				pv.Header = fill("header", comp.Text)
			} else {
				pv.HeaderMedia = strings.ToUpper(comp.Format)
			}
		case "BODY":
			pv.Body = fill("body", comp.Text)
		case "FOOTER":
			pv.Footer = comp.Text
		case "BUTTONS":
			for _, b := range comp.Buttons {
				pv.Buttons = append(pv.Buttons, b.Text)
			}
		}
	}
	return pv
}

// paramsSQL renders the same params as Render, as one SQL expression over
// the contacts row aliased c, so freezing stays one INSERT … SELECT.
func paramsSQL(t whatsapp.Template, m Mapping) (string, []any) {
	named := t.Named()
	var args []any
	parts := map[string][]string{}
	for _, v := range Variables(t) {
		// Arguments go in the order their "?" appear in the text.
		var vargs []any
		val := valueSQL(m[v.Key], &vargs)
		var obj string
		switch {
		case v.MediaType != "":
			args = append(args, v.MediaType)
			obj = "jsonb_build_object('type', ?::text, 'link', " + val + ")"
		case v.Component == "button":
			obj = "jsonb_build_object('type', 'url', 'index', " + strconv.Itoa(v.ButtonIndex) + ", 'value', " + val + ")"
		case named:
			args = append(args, v.Name)
			obj = "jsonb_build_object('type', 'text', 'name', ?::text, 'text', " + val + ")"
		default:
			obj = "jsonb_build_object('type', 'text', 'text', " + val + ")"
		}
		args = append(args, vargs...)
		comp := v.Component
		if comp == "button" {
			comp = "buttons"
		}
		parts[comp] = append(parts[comp], obj)
	}
	arr := func(k string) string {
		if len(parts[k]) == 0 {
			return "NULL::jsonb"
		}
		return "jsonb_build_array(" + strings.Join(parts[k], ", ") + ")"
	}
	return "jsonb_strip_nulls(jsonb_build_object('header', " + arr("header") + ", 'body', " + arr("body") +
		", 'buttons', " + arr("buttons") + "))", args
}

func valueSQL(b Binding, args *[]any) string {
	var raw string
	switch b.Source {
	case SourceName:
		raw = "c.name"
	case SourceFirstName:
		raw = "split_part(btrim(translate(c.name, E'\\n\\r\\t', '   ')), ' ', 1)"
	case SourcePhone:
		raw = "c.phone_e164"
	case SourceEmail:
		raw = "c.email"
	case SourceLanguage:
		raw = "c.language"
	case SourceAttribute:
		*args = append(*args, b.Key)
		raw = "coalesce(c.attributes->>(?::text), '')"
	default: // SourceText
		*args = append(*args, clean(b.Text))
		return "?::text"
	}
	*args = append(*args, clean(b.Fallback))
	return "coalesce(nullif(btrim(translate(" + raw + ", E'\\n\\r\\t', '   ')), ''), ?::text)"
}
