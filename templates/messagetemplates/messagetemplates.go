// Package messagetemplates renders the message templates pages: the list
// with status, category, language and quality, one template as a phone
// would show it, and the create form with Meta's rules and a live preview.
package messagetemplates

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"tidings/internal/template"
	"tidings/internal/whatsapp"
	"tidings/templates/components"
)

// ListData is the templates page.
type ListData struct {
	Templates []template.Template
	Connected bool
	CanManage bool
	// Status and Category are the filters in use ("" = any).
	Status, Category string
	SyncedAt         string // when the list was last synced, in words
	TZ               *time.Location
}

// ShowData is one template's page.
type ShowData struct {
	T         template.Template
	Business  string
	CanManage bool
	TZ        *time.Location
}

// ButtonSlots is how many button rows the form offers (Meta allows 10;
// small businesses rarely use more than three).
const ButtonSlots = 3

// Form is the create form's state, as typed.
type Form struct {
	Name, Language, Category  string
	HeaderText, HeaderExample string
	Body, Footer              string
	Examples                  map[string]string
	Buttons                   [ButtonSlots]template.ButtonInput
	Errors                    components.FormErrors
}

// Input is the form as the service takes it.
func (f Form) Input() template.Input {
	in := template.Input{Name: f.Name, Language: f.Language, Category: f.Category, HeaderText: f.HeaderText,
		HeaderExample: f.HeaderExample, Body: f.Body, Examples: f.Examples, Footer: f.Footer}
	in.Buttons = append(in.Buttons, f.Buttons[:]...)
	return in
}

// Vars are the body's variables, each of which needs an example.
func (f Form) Vars() []string { return template.Variables(f.Body) }

// HeaderHasVar says whether the header asks for an example.
func (f Form) HeaderHasVar() bool { return len(template.Variables(f.HeaderText)) > 0 }

// NewData is the create page.
type NewData struct {
	Form      Form
	Business  string
	Connected bool
}

// Phone is the phone-style preview of one template message.
type Phone struct {
	Business string
	template.Preview
}

// StatusWord is a template status in plain words.
func StatusWord(s string) string {
	switch s {
	case template.StatusApproved:
		return "Approved"
	case template.StatusPending:
		return "In review"
	case template.StatusRejected:
		return "Rejected"
	case template.StatusPaused:
		return "Paused"
	case template.StatusDisabled:
		return "Disabled"
	case template.StatusDeleted:
		return "Deleted at Meta"
	case "":
		return "Unknown"
	}
	return strings.ReplaceAll(strings.ToUpper(s[:1])+strings.ToLower(s[1:]), "_", " ")
}

func statusKind(s string) string {
	switch s {
	case template.StatusApproved:
		return "success"
	case template.StatusPending, template.StatusPaused:
		return "warning"
	case template.StatusRejected, template.StatusDisabled:
		return "danger"
	}
	return "neutral"
}

// statusHint says what a status means for sending.
func statusHint(t template.Template) string {
	switch t.Status {
	case template.StatusApproved:
		return "Ready to use in campaigns."
	case template.StatusPending:
		return "Meta is reviewing it; this usually takes minutes, at most 24 hours. It can't be sent until approved."
	case template.StatusRejected:
		return "Meta refused it" + reasonWords(t.Reason) + ". Change the wording and submit it again under a new name."
	case template.StatusPaused:
		return "Meta paused it because people reported or blocked it. Campaigns using it wait until it is unpaused."
	case template.StatusDisabled:
		return "Meta disabled it after repeated low quality. It can't be sent any more."
	case template.StatusDeleted:
		return "It is no longer in your WhatsApp Business Account."
	}
	return ""
}

func reasonWords(r string) string {
	switch r {
	case "":
		return ""
	case "INCORRECT_CATEGORY":
		return ": the category does not match the content"
	case "INVALID_FORMAT":
		return ": the format is invalid"
	case "PROMOTIONAL":
		return ": it is promotional but not in the Marketing category"
	case "ABUSIVE_CONTENT":
		return ": its content breaks WhatsApp's policies"
	case "SCAM":
		return ": it looks like a scam to Meta"
	case "TAG_CONTENT_MISMATCH":
		return ": the content does not match the category"
	}
	return " (" + strings.ToLower(strings.ReplaceAll(r, "_", " ")) + ")"
}

// CategoryWord is a category in plain words.
func CategoryWord(c string) string {
	switch c {
	case "MARKETING":
		return "Marketing"
	case "UTILITY":
		return "Utility"
	case "AUTHENTICATION":
		return "Authentication"
	}
	return c
}

// QualityWord is Meta's quality rating of a template.
func QualityWord(q string) string {
	switch q {
	case "GREEN":
		return "High"
	case "YELLOW":
		return "Medium"
	case "RED":
		return "Low"
	}
	return "Not rated yet"
}

func qualityKind(q string) string {
	switch q {
	case "GREEN":
		return "success"
	case "YELLOW":
		return "warning"
	case "RED":
		return "danger"
	}
	return "neutral"
}

// LanguageName is a template language in English ("English (UK)").
func LanguageName(code string) string {
	tag, err := language.Parse(strings.ReplaceAll(code, "_", "-"))
	if err != nil {
		return code
	}
	if n := display.English.Tags().Name(tag); n != "" {
		return n
	}
	return code
}

// LanguageOptions are the languages the form offers.
func LanguageOptions() []components.Option {
	out := make([]components.Option, 0, len(template.Languages))
	for _, c := range template.Languages {
		out = append(out, components.Option{Value: c, Label: LanguageName(c) + " · " + c})
	}
	return out
}

// CategoryOptions are the categories the form offers.
var CategoryOptions = []components.Option{
	{Value: "MARKETING", Label: "Marketing: offers, news, invitations"},
	{Value: "UTILITY", Label: "Utility: updates about an order, booking or account"},
}

// ButtonTypeOptions are the button kinds the form offers.
var ButtonTypeOptions = []components.Option{
	{Value: "", Label: "No button"},
	{Value: template.ButtonQuickReply, Label: "Quick reply"},
	{Value: template.ButtonURL, Label: "Link (URL)"},
	{Value: template.ButtonCopyCode, Label: "Copy offer code"},
}

// PreviewOf is the bubble for a stored template, with variables shown as
// written ({{1}}) so people see where their values go.
func PreviewOf(t template.Template) template.Preview {
	return t.Render(func(whatsapp.Placeholder) string { return "" })
}

func placeholderWhere(ph whatsapp.Placeholder) string {
	switch ph.Component {
	case "header":
		return "Header"
	case "button":
		return "Link of button " + strconv.Itoa(ph.ButtonIndex+1)
	}
	return "Message text"
}

func initial(s string) string {
	for _, r := range s {
		return strings.ToUpper(string(r))
	}
	return "B"
}

func buttonField(i int, f string) string { return "button." + strconv.Itoa(i) + "." + f }

func slotLabel(i int) string { return "Button " + strconv.Itoa(i+1) }

func itoa(i int) string { return strconv.Itoa(i) }

var statusOptions = []components.Option{
	{Value: template.StatusApproved, Label: "Approved"},
	{Value: template.StatusPending, Label: "In review"},
	{Value: template.StatusRejected, Label: "Rejected"},
	{Value: template.StatusPaused, Label: "Paused"},
	{Value: template.StatusDisabled, Label: "Disabled"},
	{Value: template.StatusDeleted, Label: "Deleted at Meta"},
}

var categoryFilter = []components.Option{
	{Value: "MARKETING", Label: "Marketing"},
	{Value: "UTILITY", Label: "Utility"},
	{Value: "AUTHENTICATION", Label: "Authentication"},
}
