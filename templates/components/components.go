// Package components holds the small widgets every page is built from:
// form fields, buttons, badges, cards, flash messages. Each takes plain
// values or a Props struct and renders accessible markup styled by
// static/css/app.css. Components know nothing about routes or sessions;
// URLs arrive as arguments, built by tidings/web/paths.
package components

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
)

// Option is one choice of a <select>.
type Option struct {
	Value, Label string
}

// FormErrors maps a field name to the message shown next to it; the key ""
// holds a form-level error shown at the top of the form. The area packages
// (auth, account, team) alias this type.
type FormErrors map[string]string

// First returns the first of names that has an error, so a re-rendered
// form can put the cursor where the user has work to do.
func (e FormErrors) First(names ...string) string {
	for _, n := range names {
		if e[n] != "" {
			return n
		}
	}
	return ""
}

// Flash is a one-time message shown at the top of the next page.
// Kind is "success", "error" or "info".
type Flash struct {
	Kind, Text string
}

// FieldProps describes one labelled form control.
type FieldProps struct {
	Name         string
	Label        string
	Type         string // "text" (default), "email", "password", "tel", "url", "select", "textarea", …
	Value        string // never rendered for Type "password"
	Hint         string
	Error        string
	Autocomplete string
	Required     bool
	Options      []Option // a non-empty list makes the control a <select>

	ID          string           // element id; defaults to "f-" + Name
	Placeholder string           // for a select: the text of the empty first option
	Autofocus   bool             // put the cursor here, e.g. the first invalid field
	Attrs       templ.Attributes // extra attributes on the control (inputmode, minlength, hx-*, readonly)
	// RequiredWhen, for a field required only after another choice, says
	// when ("required to opt in") in place of "(optional)"; the control
	// gets no required attribute.
	RequiredWhen string
}

func (p FieldProps) id() string {
	if p.ID != "" {
		return p.ID
	}
	return "f-" + p.Name
}

func (p FieldProps) hintID() string  { return p.id() + "-hint" }
func (p FieldProps) errorID() string { return p.id() + "-error" }

func (p FieldProps) isSelect() bool { return p.Type == "select" || len(p.Options) > 0 }

func (p FieldProps) inputType() string {
	if p.Type == "" {
		return "text"
	}
	return p.Type
}

// value keeps passwords out of the page even if a caller passes one back.
func (p FieldProps) value() string {
	if p.Type == "password" {
		return ""
	}
	return p.Value
}

// controlAttrs gathers the attributes shared by input, select and textarea.
func (p FieldProps) controlAttrs() templ.Attributes {
	a := templ.Attributes{}
	for k, v := range p.Attrs {
		a[k] = v
	}
	if p.Required {
		a["required"] = true
	}
	if p.Autofocus {
		a["autofocus"] = true
	}
	if p.Autocomplete != "" {
		a["autocomplete"] = p.Autocomplete
	}
	if d := describedBy(p.Hint != "", p.Error != "", p.hintID(), p.errorID()); d != "" {
		a["aria-describedby"] = d
	}
	if p.Error != "" {
		a["aria-invalid"] = "true"
	}
	return a
}

func (p FieldProps) hasEmptyOption() bool {
	for _, o := range p.Options {
		if o.Value == "" {
			return true
		}
	}
	return false
}

func (p FieldProps) placeholder() string {
	if p.Placeholder != "" {
		return p.Placeholder
	}
	return "Choose…"
}

func describedBy(hasHint, hasError bool, hintID, errorID string) string {
	var ids []string
	if hasError {
		ids = append(ids, errorID)
	}
	if hasHint {
		ids = append(ids, hintID)
	}
	return strings.Join(ids, " ")
}

// CheckboxProps describes one checkbox with its label. Children of the
// Checkbox component are appended to Label, so a label can hold a link.
type CheckboxProps struct {
	Name     string
	Label    string
	Value    string // defaults to "on", what a browser sends for a checkbox without one
	Hint     string
	Error    string
	ID       string // defaults to "f-" + Name
	Checked  bool
	Required bool
}

func (p CheckboxProps) id() string {
	if p.ID != "" {
		return p.ID
	}
	return "f-" + p.Name
}

func (p CheckboxProps) value() string {
	if p.Value == "" {
		return "on"
	}
	return p.Value
}

func (p CheckboxProps) attrs() templ.Attributes {
	a := templ.Attributes{}
	if p.Checked {
		a["checked"] = true
	}
	if p.Required {
		a["required"] = true
	}
	if d := describedBy(p.Hint != "", p.Error != "", p.id()+"-hint", p.id()+"-error"); d != "" {
		a["aria-describedby"] = d
	}
	if p.Error != "" {
		a["aria-invalid"] = "true"
	}
	return a
}

// ButtonProps describes a <button>.
type ButtonProps struct {
	Text     string
	Type     string // "submit" (default), "button", "reset"
	Variant  string // "primary" (default), "secondary", "danger", "danger-quiet", "ghost"
	Size     string // "", "sm", "lg"
	Block    bool   // full width
	Name     string
	Value    string
	TestID   string
	Disabled bool
	Attrs    templ.Attributes
}

func (p ButtonProps) attrs() templ.Attributes {
	a := templ.Attributes{}
	for k, v := range p.Attrs {
		a[k] = v
	}
	if p.Name != "" {
		a["name"] = p.Name
		a["value"] = p.Value
	}
	if p.TestID != "" {
		a["data-testid"] = p.TestID
	}
	if p.Disabled {
		a["disabled"] = true
	}
	return a
}

func (p ButtonProps) buttonType() string {
	switch p.Type {
	case "button", "reset":
		return p.Type
	}
	return "submit"
}

// btnClass builds the class list of a button or a link styled as one.
func btnClass(variant, size string, block bool) string {
	if variant == "" {
		variant = "primary"
	}
	c := "btn btn--" + variant
	if size != "" {
		c += " btn--" + size
	}
	if block {
		c += " btn--block"
	}
	return c
}

// Hidden is one hidden form value.
type Hidden struct {
	Name, Value string
}

// ConfirmButtonProps describes a button that POSTs a small form. With a
// Confirm question the button first opens a disclosure that asks it, so a
// destructive action takes two deliberate clicks and still needs no
// JavaScript.
type ConfirmButtonProps struct {
	Action      string // URL, from package paths
	CSRF        string
	Text        string // the button, e.g. "Remove"
	Confirm     string // the question, e.g. "Remove Ana from Acme?"; empty posts at once
	ConfirmText string // the final button; defaults to Text
	Variant     string // the first button; defaults to "danger-quiet" with Confirm, else "secondary"
	TestID      string // defaults to "confirm-button"; the final button gets TestID + "-yes"
	Hidden      []Hidden
}

func (p ConfirmButtonProps) testID() string {
	if p.TestID != "" {
		return p.TestID
	}
	return "confirm-button"
}

func (p ConfirmButtonProps) triggerClass() string {
	v := p.Variant
	if v == "" {
		v = "secondary"
		if p.Confirm != "" {
			v = "danger-quiet"
		}
	}
	return btnClass(v, "sm", false)
}

func (p ConfirmButtonProps) confirmText() string {
	if p.ConfirmText != "" {
		return p.ConfirmText
	}
	return p.Text
}

// badgeKinds are the statuses a badge can show; anything else is neutral.
var badgeKinds = map[string]string{
	"success": "success", "info": "info", "warning": "warning", "danger": "danger",
	"accent": "accent", "neutral": "neutral",
	// status words, so callers may pass the state itself
	"sent": "success", "delivered": "success", "read": "info", "pending": "warning",
	"paused": "warning", "failed": "danger", "error": "danger",
}

func badgeClass(kind string) string {
	k, ok := badgeKinds[kind]
	if !ok {
		k = "neutral"
	}
	return "badge badge--" + k
}

// flashKind folds unknown kinds into "info".
func flashKind(kind string) string {
	switch kind {
	case "success", "error":
		return kind
	}
	return "info"
}

func flashWord(kind string) string {
	switch flashKind(kind) {
	case "success":
		return "Done"
	case "error":
		return "Problem"
	}
	return "Note"
}

func flashRole(kind string) string {
	if flashKind(kind) == "error" {
		return "alert"
	}
	return "status"
}

// FormatInt writes n with thousands separators ("12,345").
func FormatInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func percent(value, max int64) int64 {
	if max <= 0 || value <= 0 {
		return 0
	}
	if value >= max {
		return 100
	}
	return value * 100 / max
}

func clamp(value, max int64) int64 {
	if value < 0 {
		return 0
	}
	if value > max {
		return max
	}
	return value
}

// FormatTime shows t in loc with the zone's abbreviation, e.g.
// "3 Mar 2026, 14:05 CET". A nil loc means UTC.
func FormatTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2 Jan 2006, 15:04 MST")
}

// FormatDate shows the calendar day of t in loc, e.g. "3 Mar 2026".
func FormatDate(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2 Jan 2006")
}

func machineTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Mailto is the link that writes an e-mail to address.
func Mailto(address string) templ.SafeURL {
	return templ.URL((&url.URL{Scheme: "mailto", Opaque: address}).String())
}
