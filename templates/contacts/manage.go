package contacts

import (
	"slices"
	"strconv"
	"strings"

	"tidings/internal/contact"
	"tidings/templates/components"
)

// ContactForm is the create or edit form, prefilled or as posted.
type ContactForm struct {
	ID        int64 // 0 when creating
	Phone     string
	Country   string
	Name      string
	Email     string
	Language  string
	Tags      string // comma-separated, as typed
	AttrKeys  []string
	AttrVals  []string
	ListIDs   []int64 // create only
	Consent   string  // create only: "", contact.EventOptIn or contact.EventOptOut
	Basis     string
	Evidence  string
	Countries []components.Option
	Lists     []contact.List // the org's lists to choose from (create only)
	Errors    FormErrors
}

// Editing reports whether the form edits an existing contact.
func (f ContactForm) Editing() bool { return f.ID != 0 }

func (f ContactForm) focus() string {
	names := []string{"phone", "name", "email", "language", "tags", "attributes"}
	for i := range f.AttrKeys {
		names = append(names, attrValName(i))
	}
	return f.Errors.First(append(names, "lists", "consent", "consent.lawful_basis", "consent.evidence")...)
}

// attrError is the error of the custom field in row i: the service names
// it by its folded key.
func (f ContactForm) attrError(i int) string {
	if i >= len(f.AttrKeys) {
		return ""
	}
	if k := contact.AttributeKey(f.AttrKeys[i]); k != "" {
		return f.Errors["attributes."+k]
	}
	return ""
}

func (f ContactForm) attrKey(i int) string {
	if i < len(f.AttrKeys) {
		return f.AttrKeys[i]
	}
	return ""
}

func (f ContactForm) attrVal(i int) string {
	if i < len(f.AttrVals) {
		return f.AttrVals[i]
	}
	return ""
}

// attrRows is how many custom-field rows the form shows: those filled in,
// and two empty ones to add more.
func (f ContactForm) attrRows() []int {
	n := 0
	for i := range f.AttrKeys {
		if strings.TrimSpace(f.attrKey(i)) != "" || strings.TrimSpace(f.attrVal(i)) != "" {
			n = i + 1
		}
	}
	rows := make([]int, n+2)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

func attrKeyName(i int) string { return "attr_key." + strconv.Itoa(i) }
func attrValName(i int) string { return "attr_value." + strconv.Itoa(i) }

func (f ContactForm) onList(id int64) bool { return slices.Contains(f.ListIDs, id) }

// ConsentForm records an opt-in or opt-out on the contact's page.
type ConsentForm struct {
	Kind     string
	Basis    string
	Evidence string
	Errors   FormErrors
}

// BulkData is the bulk-actions page of a filter.
type BulkData struct {
	Filter      contact.Filter
	FilterWords []string // the filter in words ("tag vip", "opted in")
	Count       int64
	Lists       []contact.List
	CanDelete   bool
	BackURL     string // the contacts list with the same filter
	Tags        string
	ListID      int64
	TagErrors   FormErrors
	ListErrors  FormErrors
	DelErrors   FormErrors
}

// ListsData is the lists page.
type ListsData struct {
	Lists []contact.List
	Form  ListForm
}

// ListForm creates or edits a list.
type ListForm struct {
	ID          int64
	Name        string
	Description string
	Errors      FormErrors
}

// ConsentKinds are the choices of the consent forms.
var ConsentKinds = []components.Option{
	{Value: contact.EventOptIn, Label: "Opted in: agreed to receive messages"},
	{Value: contact.EventOptOut, Label: "Opted out: does not want messages"},
}

func listOptions(lists []contact.List, skip []contact.List) []components.Option {
	var out []components.Option
	for _, l := range lists {
		if slices.ContainsFunc(skip, func(s contact.List) bool { return s.ID == l.ID }) {
			continue
		}
		out = append(out, components.Option{Value: strconv.FormatInt(l.ID, 10), Label: l.Name})
	}
	return out
}

func id64(id int64) string { return strconv.FormatInt(id, 10) }

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return components.FormatInt(n) + " " + many
}

func listValue(id int64) string {
	if id == 0 {
		return ""
	}
	return id64(id)
}

// filterHidden carries a filter through a bulk action's form.
func filterHidden(f contact.Filter) []components.Hidden {
	var out []components.Hidden
	for _, h := range []components.Hidden{{Name: "q", Value: f.Query}, {Name: "tag", Value: f.Tag}, {Name: "consent", Value: string(f.Consent)},
		{Name: "list", Value: listValue(f.ListID)}, {Name: "attr", Value: f.Attribute}, {Name: "value", Value: f.AttributeValue}} {
		if h.Value != "" {
			out = append(out, h)
		}
	}
	return out
}

func joinWords(w []string) string { return strings.Join(w, "; ") }
