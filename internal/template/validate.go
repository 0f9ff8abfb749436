package template

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"tidings/internal/whatsapp"
)

// Meta's limits for a template (design doc §6.6 and Meta's template
// guidelines). They are checked here, before anything is submitted, so a
// refusal is rarely a surprise and each problem is named next to its field.
const (
	MaxNameLen        = 512
	MaxBodyLen        = 1024
	MaxHeaderLen      = 60
	MaxFooterLen      = 60
	MaxButtons        = 10
	MaxURLButtons     = 2
	MaxButtonTextLen  = 25
	MaxURLLen         = 2000
	MaxCopyCodeLen    = 15
	MaxExampleLen     = 200
	copyCodeButtonTxt = "Copy offer code"
)

// Categories a template may be created in here. Authentication templates
// have a fixed text that Meta writes; they are made in WhatsApp Manager.
var Categories = []string{"MARKETING", "UTILITY"}

// Button types the form offers.
const (
	ButtonQuickReply = "QUICK_REPLY"
	ButtonURL        = "URL"
	ButtonCopyCode   = "COPY_CODE"
)

// ButtonInput is one button of a new template. For a URL button, Example
// is the value of the link's variable; for a copy-code button it is the
// sample code.
type ButtonInput struct {
	Type, Text, URL, Example string
}

// Input is a template to submit for review. Examples maps each variable's
// name ("1", "2", … or "first_name") to a sample value Meta's reviewers
// see; HeaderExample is the header variable's sample.
type Input struct {
	Name, Language, Category  string
	HeaderText, HeaderExample string
	Body                      string
	Examples                  map[string]string
	Footer                    string
	Buttons                   []ButtonInput
}

var (
	nameRE     = regexp.MustCompile(`^[a-z0-9_]+$`)
	languageRE = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
	// placeholderRE finds well-formed variables; anything else between
	// braces is reported as malformed.
	placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)
	namedRE       = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// Variables returns the distinct variable names of text in order of first
// use. It is what the form asks examples for.
func Variables(text string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// clean trims what people type around values.
func (in *Input) clean() {
	in.Name = strings.TrimSpace(in.Name)
	in.Language = strings.TrimSpace(in.Language)
	in.Category = strings.ToUpper(strings.TrimSpace(in.Category))
	in.HeaderText = strings.TrimSpace(in.HeaderText)
	in.HeaderExample = strings.TrimSpace(in.HeaderExample)
	in.Body = strings.TrimSpace(strings.ReplaceAll(in.Body, "\r\n", "\n"))
	in.Footer = strings.TrimSpace(in.Footer)
	for k, v := range in.Examples {
		in.Examples[k] = strings.TrimSpace(v)
	}
	var kept []ButtonInput
	for _, b := range in.Buttons {
		b.Type = strings.ToUpper(strings.TrimSpace(b.Type))
		b.Text, b.URL, b.Example = strings.TrimSpace(b.Text), strings.TrimSpace(b.URL), strings.TrimSpace(b.Example)
		if b.Type == "" || (b.Text == "" && b.URL == "" && b.Example == "") {
			continue // an unused row of the form
		}
		kept = append(kept, b)
	}
	in.Buttons = kept
}

// Validate checks in against Meta's rules and returns every problem, keyed
// by form field: name, language, category, header, header_example, body,
// example.<variable>, footer, buttons, button.<i>.text, button.<i>.url,
// button.<i>.example. It returns nil when the template may be submitted.
func Validate(in Input) FieldErrors {
	in.clean()
	_, fe := build(in)
	return fe
}

// build validates in (already cleaned) and returns the request for Meta.
func build(in Input) (whatsapp.NewTemplate, FieldErrors) {
	fe := FieldErrors{}
	switch {
	case in.Name == "":
		fe["name"] = "Give the template a name, e.g. order_update."
	case utf8.RuneCountInString(in.Name) > MaxNameLen:
		fe["name"] = fmt.Sprintf("The name can have at most %d characters.", MaxNameLen)
	case !nameRE.MatchString(in.Name):
		fe["name"] = "Use only lowercase letters (a–z), digits and underscores, e.g. spring_sale_2026."
	}
	if !languageRE.MatchString(in.Language) {
		fe["language"] = "Choose the language the template is written in."
	}
	switch {
	case in.Category == "AUTHENTICATION":
		fe["category"] = "Authentication templates (one-time codes) have a fixed text set by Meta: create them in WhatsApp Manager."
	case !slices.Contains(Categories, in.Category):
		fe["category"] = "Choose Marketing (offers, news) or Utility (updates about an order or account)."
	}

	// Variables: all positional ({{1}}) or all named ({{first_name}}).
	headerVars, bodyVars := Variables(in.HeaderText), Variables(in.Body)
	named, mixed := formatOf(append(slices.Clone(headerVars), bodyVars...))
	if mixed {
		fe["body"] = "Use either numbered variables ({{1}}, {{2}}) or named ones ({{first_name}}), not both."
	}

	// Header (optional, text only).
	if in.HeaderText != "" {
		switch {
		case utf8.RuneCountInString(in.HeaderText) > MaxHeaderLen:
			fe["header"] = fmt.Sprintf("The header can have at most %d characters; it has %d.", MaxHeaderLen, utf8.RuneCountInString(in.HeaderText))
		case malformed(in.HeaderText):
			fe["header"] = "Write a variable as {{1}} or {{name}}: two braces on each side, letters, digits or underscores inside."
		case len(headerVars) > 1:
			fe["header"] = "The header can have at most one variable."
		case len(headerVars) == 1 && !named && headerVars[0] != "1":
			fe["header"] = "The header's variable is numbered on its own: write {{1}}."
		case len(headerVars) == 1 && named && !namedRE.MatchString(headerVars[0]):
			fe["header"] = "Variable names use lowercase letters, digits and underscores, e.g. {{first_name}}."
		case len(headerVars) == 1 && in.HeaderExample == "":
			fe["header_example"] = "Give an example value for the header's variable; Meta's reviewers need one."
		}
	}

	// Body.
	bodyLen := utf8.RuneCountInString(in.Body)
	switch {
	case in.Body == "":
		fe["body"] = "Write the message text."
	case bodyLen > MaxBodyLen:
		fe["body"] = fmt.Sprintf("The message text can have at most %d characters; it has %d.", MaxBodyLen, bodyLen)
	case malformed(in.Body):
		fe["body"] = "Write a variable as {{1}} or {{name}}: two braces on each side, letters, digits or underscores inside."
	case fe["body"] != "":
	default:
		if msg := checkBodyVars(in.Body, bodyVars, named); msg != "" {
			fe["body"] = msg
		}
	}
	if fe["body"] == "" {
		for _, v := range bodyVars {
			if in.Examples[v] == "" {
				fe["example."+v] = "Give an example for {{" + v + "}}; Meta's reviewers need one for every variable."
			} else if utf8.RuneCountInString(in.Examples[v]) > MaxExampleLen || strings.Contains(in.Examples[v], "{{") {
				fe["example."+v] = fmt.Sprintf("An example is a plain value of at most %d characters.", MaxExampleLen)
			}
		}
	}

	// Footer.
	switch {
	case utf8.RuneCountInString(in.Footer) > MaxFooterLen:
		fe["footer"] = fmt.Sprintf("The footer can have at most %d characters; it has %d.", MaxFooterLen, utf8.RuneCountInString(in.Footer))
	case strings.Contains(in.Footer, "{{") || strings.Contains(in.Footer, "}}"):
		fe["footer"] = "The footer can't have variables."
	}

	buttons := checkButtons(in.Buttons, fe)

	if len(fe) > 0 {
		return whatsapp.NewTemplate{}, fe
	}
	return assemble(in, named, headerVars, bodyVars, buttons), nil
}

// formatOf says whether the variables are named, and whether both kinds
// are mixed.
func formatOf(vars []string) (named, mixed bool) {
	var pos, nam int
	for _, v := range vars {
		if _, err := strconv.Atoi(v); err == nil {
			pos++
		} else {
			nam++
		}
	}
	return nam > 0 && pos == 0, nam > 0 && pos > 0
}

// malformed reports braces that are not a well-formed variable: "{{ }}",
// "{{1}" or "{{first name}}" are refused by Meta as invalid parameters.
func malformed(s string) bool {
	rest := placeholderRE.ReplaceAllString(s, "")
	return strings.Contains(rest, "{{") || strings.Contains(rest, "}}")
}

func checkBodyVars(body string, vars []string, named bool) string {
	if len(vars) == 0 {
		return ""
	}
	if named {
		for _, v := range vars {
			if !namedRE.MatchString(v) {
				return "Variable names use lowercase letters, digits and underscores, e.g. {{first_name}}; {{" + v + "}} does not."
			}
		}
	} else {
		for i := 1; i <= len(vars); i++ {
			if !slices.Contains(vars, strconv.Itoa(i)) {
				return fmt.Sprintf("Number the variables {{1}} to {{%d}} without gaps; {{%d}} is missing.", len(vars), i)
			}
		}
	}
	if strings.HasPrefix(body, "{{") {
		return "The message text can't start with a variable: put some words before it."
	}
	if strings.HasSuffix(body, "}}") {
		return "The message text can't end with a variable: put some words (or a full stop) after it."
	}
	locs := placeholderRE.FindAllStringIndex(body, -1)
	for i := 1; i < len(locs); i++ {
		if strings.TrimSpace(body[locs[i-1][1]:locs[i][0]]) == "" {
			return "Two variables can't be next to each other: put words between them."
		}
	}
	return ""
}

func checkButtons(bs []ButtonInput, fe FieldErrors) []whatsapp.TemplateButton {
	if len(bs) > MaxButtons {
		fe["buttons"] = fmt.Sprintf("A template can have at most %d buttons.", MaxButtons)
		return nil
	}
	var out []whatsapp.TemplateButton
	var urls, codes int
	texts := map[string]bool{}
	var kinds []bool // true for quick reply, in order
	for i, b := range bs {
		key := "button." + strconv.Itoa(i) + "."
		switch b.Type {
		case ButtonQuickReply, ButtonURL:
			switch {
			case b.Text == "":
				fe[key+"text"] = "Give the button a label."
			case utf8.RuneCountInString(b.Text) > MaxButtonTextLen:
				fe[key+"text"] = fmt.Sprintf("A button label can have at most %d characters.", MaxButtonTextLen)
			case strings.Contains(b.Text, "{{"):
				fe[key+"text"] = "A button label can't have variables."
			case texts[strings.ToLower(b.Text)]:
				fe[key+"text"] = "Two buttons can't have the same label."
			}
			texts[strings.ToLower(b.Text)] = true
		}
		switch b.Type {
		case ButtonQuickReply:
			kinds = append(kinds, true)
			out = append(out, whatsapp.TemplateButton{Type: ButtonQuickReply, Text: b.Text})
		case ButtonURL:
			kinds = append(kinds, false)
			urls++
			tb := whatsapp.TemplateButton{Type: ButtonURL, Text: b.Text, URL: b.URL}
			if msg := checkURL(b.URL); msg != "" {
				fe[key+"url"] = msg
			} else if vars := Variables(b.URL); len(vars) == 1 {
				switch {
				case b.Example == "":
					fe[key+"example"] = "Give an example value for the link's variable."
				case strings.ContainsAny(b.Example, " {}"):
					fe[key+"example"] = "The example is the part of the link that changes, without spaces or braces."
				default:
					// Meta wants the whole link as it would look.
					ex, _ := json.Marshal([]string{placeholderRE.ReplaceAllLiteralString(b.URL, b.Example)})
					tb.Example = ex
				}
			}
			out = append(out, tb)
		case ButtonCopyCode:
			kinds = append(kinds, false)
			codes++
			switch {
			case b.Example == "":
				fe[key+"example"] = "Give an example of the offer code."
			case utf8.RuneCountInString(b.Example) > MaxCopyCodeLen:
				fe[key+"example"] = fmt.Sprintf("An offer code can have at most %d characters.", MaxCopyCodeLen)
			case strings.ContainsAny(b.Example, " {}"):
				fe[key+"example"] = "An offer code has no spaces or braces."
			}
			ex, _ := json.Marshal(b.Example)
			out = append(out, whatsapp.TemplateButton{Type: ButtonCopyCode, Text: copyCodeButtonTxt, Example: ex})
		default:
			fe[key+"text"] = "Choose the kind of button: quick reply, link or copy code."
		}
	}
	switch {
	case urls > MaxURLButtons:
		fe["buttons"] = fmt.Sprintf("A template can have at most %d link buttons.", MaxURLButtons)
	case codes > 1:
		fe["buttons"] = "A template can have at most one copy-code button."
	case !grouped(kinds):
		fe["buttons"] = "Keep the quick-reply buttons together, before or after the other buttons."
	}
	return out
}

// checkURL: an http(s) link with at most one variable, at its end.
func checkURL(raw string) string {
	if raw == "" {
		return "Give the link the button opens, starting with https://."
	}
	if utf8.RuneCountInString(raw) > MaxURLLen {
		return fmt.Sprintf("A link can have at most %d characters.", MaxURLLen)
	}
	if malformed(raw) {
		return "Write the link's variable as {{1}}, at its very end."
	}
	vars := Variables(raw)
	switch {
	case len(vars) > 1:
		return "A link can have only one variable, at its very end."
	case len(vars) == 1 && (vars[0] != "1" || !strings.HasSuffix(raw, "}}")):
		return "A link's variable must be {{1}}, at its very end, e.g. https://shop.example.com/track/{{1}}."
	}
	u, err := url.Parse(placeholderRE.ReplaceAllLiteralString(raw, "x"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.Contains(u.Host, ".") {
		return "Give a full web address starting with https://, e.g. https://shop.example.com/offers."
	}
	return ""
}

// grouped: quick replies form one run (Meta refuses them interleaved).
func grouped(kinds []bool) bool {
	changes := 0
	for i := 1; i < len(kinds); i++ {
		if kinds[i] != kinds[i-1] {
			changes++
		}
	}
	return changes <= 1
}

// assemble builds Meta's create request from a valid input.
func assemble(in Input, named bool, headerVars, bodyVars []string, buttons []whatsapp.TemplateButton) whatsapp.NewTemplate {
	nt := whatsapp.NewTemplate{Name: in.Name, Language: in.Language, Category: in.Category, ParameterFormat: "POSITIONAL"}
	if named {
		nt.ParameterFormat = "NAMED"
	}
	type namedEx struct {
		ParamName string `json:"param_name"`
		Example   string `json:"example"`
	}
	if in.HeaderText != "" {
		c := whatsapp.TemplateComponent{Type: "HEADER", Format: "TEXT", Text: in.HeaderText}
		if len(headerVars) == 1 {
			if named {
				c.Example, _ = json.Marshal(map[string]any{"header_text_named_params": []namedEx{{headerVars[0], in.HeaderExample}}})
			} else {
				c.Example, _ = json.Marshal(map[string]any{"header_text": []string{in.HeaderExample}})
			}
		}
		nt.Components = append(nt.Components, c)
	}
	body := whatsapp.TemplateComponent{Type: "BODY", Text: in.Body}
	if len(bodyVars) > 0 {
		if named {
			var ex []namedEx
			for _, v := range bodyVars {
				ex = append(ex, namedEx{v, in.Examples[v]})
			}
			body.Example, _ = json.Marshal(map[string]any{"body_text_named_params": ex})
		} else {
			ex := make([]string, len(bodyVars))
			for i := range bodyVars {
				ex[i] = in.Examples[strconv.Itoa(i+1)]
			}
			body.Example, _ = json.Marshal(map[string]any{"body_text": [][]string{ex}})
		}
	}
	nt.Components = append(nt.Components, body)
	if in.Footer != "" {
		nt.Components = append(nt.Components, whatsapp.TemplateComponent{Type: "FOOTER", Text: in.Footer})
	}
	if len(buttons) > 0 {
		nt.Components = append(nt.Components, whatsapp.TemplateComponent{Type: "BUTTONS", Buttons: buttons})
	}
	return nt
}

// Preview is a template as the phone-style bubble shows it: variables
// replaced by their examples where given.
type Preview struct {
	Header, Body, Footer string
	Buttons              []string
}

// PreviewOf renders in with its examples, for the live preview.
func PreviewOf(in Input) Preview {
	in.clean()
	fill := func(s string, ex func(string) string) string {
		return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
			name := placeholderRE.FindStringSubmatch(m)[1]
			if v := ex(name); v != "" {
				return v
			}
			return m
		})
	}
	p := Preview{
		Header: fill(in.HeaderText, func(string) string { return in.HeaderExample }),
		Body:   fill(in.Body, func(n string) string { return in.Examples[n] }),
		Footer: in.Footer,
	}
	for _, b := range in.Buttons {
		if b.Type == ButtonCopyCode {
			p.Buttons = append(p.Buttons, copyCodeButtonTxt)
		} else if b.Text != "" {
			p.Buttons = append(p.Buttons, b.Text)
		}
	}
	return p
}

// Languages are the template languages the form offers (a subset of the
// codes Meta supports; Validate accepts any code of Meta's shape).
var Languages = []string{"en_US", "en_GB", "en", "es", "es_ES", "es_MX", "es_AR", "pt_BR", "pt_PT", "fr", "de", "it", "nl",
	"pl", "sv", "da", "nb", "fi", "el", "tr", "ro", "cs", "hu", "ar", "he", "hi", "id", "ms", "th", "vi", "zh_CN", "ja", "ko", "ru", "uk"}
