// Package contacts renders the contacts pages: the list with its counts by
// consent state and filters, a contact's page, the create and edit form,
// bulk actions on a filter, lists, and the import steps (upload, mapping
// with consent attestation, progress and result).
package contacts

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"tidings/internal/contact"
	"tidings/templates/components"
)

// FormErrors maps a field name to its message; "" is a form-level error.
type FormErrors = components.FormErrors

// ListData is the contacts page, and a list's page (List set).
type ListData struct {
	Contacts  []contact.Contact
	Counts    map[string]int64
	Total     int64
	Query     string
	Consent   string
	Tag       string
	ListID    int64
	Attribute string
	AttrValue string
	NextURL   string // "" on the last page
	FirstURL  string // "" on the first page
	Filtered  bool   // a filter beyond the list's own
	CanImport bool
	// FilterQuery is the current filter as a query string, for the export
	// and bulk-action links.
	FilterQuery url.Values
	BaseURL     string         // where the filter form goes: the contacts page or the list's
	Lists       []contact.List // the org's lists, for the filter
	// A list's page: the list, its edit form, and who may delete it.
	List        *contact.List
	ListForm    ListForm
	CanDelete   bool
	DeleteError string
}

// ImportNewData is the upload step and the latest imports.
type ImportNewData struct {
	CanImport bool
	Errors    FormErrors
	Imports   []contact.Import
	TZ        *time.Location
	MaxMB     int64
}

// MappingData is the mapping and attestation step.
type MappingData struct {
	Import    contact.Import
	Preview   contact.Preview
	Form      MappingForm
	Countries []components.Option
	CanImport bool
}

// MappingForm is what the mapping form holds (prefilled or as posted).
type MappingForm struct {
	Columns      []contact.Column
	HasHeader    bool
	Country      string
	Mode         string
	UpdateFields []string
	OptedIn      bool
	Attestation  contact.Attestation
	Errors       FormErrors
}

// ProgressData is an import's progress and result.
type ProgressData struct {
	Import    contact.Import
	CanImport bool
	TZ        *time.Location
}

// ColumnKinds are the choices of a column select.
var ColumnKinds = []components.Option{
	{Value: contact.ColPhone, Label: "Phone number"},
	{Value: contact.ColName, Label: "Name"},
	{Value: contact.ColFirstName, Label: "First name"},
	{Value: contact.ColLastName, Label: "Last name"},
	{Value: contact.ColEmail, Label: "E-mail"},
	{Value: contact.ColLanguage, Label: "Language"},
	{Value: contact.ColTags, Label: "Tags"},
	{Value: contact.ColList, Label: "List"},
	{Value: contact.ColAttribute, Label: "Custom field"},
	{Value: contact.ColIgnore, Label: "Ignore"},
}

// Modes are the import modes.
var Modes = []components.Option{
	{Value: contact.ModeAddNew, Label: "Add new numbers only (leave existing contacts as they are)"},
	{Value: contact.ModeAddUpdate, Label: "Add new numbers and update existing contacts"},
	{Value: contact.ModeSuppress, Label: "Suppress: mark every number in the file as opted out"},
}

// UpdateFieldChoices are the fields an add-and-update import may overwrite.
var UpdateFieldChoices = []components.Option{
	{Value: contact.UpdateName, Label: "Name"},
	{Value: contact.UpdateEmail, Label: "E-mail"},
	{Value: contact.UpdateLanguage, Label: "Language"},
	{Value: contact.UpdateTags, Label: "Tags (added, never removed)"},
	{Value: contact.UpdateAttributes, Label: "Custom fields"},
	{Value: contact.UpdateLists, Label: "Lists (added, never removed)"},
}

// LawfulBases are the choices of lawful basis.
var LawfulBases = []components.Option{
	{Value: "consent", Label: "Consent"},
	{Value: "contract", Label: "Contract"},
	{Value: "legitimate_interests", Label: "Legitimate interests"},
	{Value: "legal_obligation", Label: "Legal obligation"},
}

// ConsentStates are the filter choices.
var ConsentStates = []components.Option{
	{Value: string(contact.ConsentOptedIn), Label: "Opted in"},
	{Value: string(contact.ConsentOptedOut), Label: "Opted out"},
	{Value: string(contact.ConsentUnknown), Label: "Unknown"},
}

func consentWord(s contact.ConsentState) string {
	switch s {
	case contact.ConsentOptedIn:
		return "Opted in"
	case contact.ConsentOptedOut:
		return "Opted out"
	}
	return "Consent unknown"
}

func consentKind(s contact.ConsentState) string {
	switch s {
	case contact.ConsentOptedIn:
		return "success"
	case contact.ConsentOptedOut:
		return "danger"
	}
	return "neutral"
}

func statusWord(im contact.Import) string {
	switch im.Status {
	case contact.StatusUploaded:
		return "Waiting for mapping"
	case contact.StatusQueued:
		return "Queued"
	case contact.StatusRunning:
		if im.Phase == contact.PhaseMerging {
			return "Writing contacts"
		}
		return "Reading the file"
	case contact.StatusFinished:
		return "Finished"
	case contact.StatusFailed:
		return "Failed"
	case contact.StatusCancelled:
		return "Cancelled"
	}
	return im.Status
}

func statusKind(status string) string {
	switch status {
	case contact.StatusFinished:
		return "success"
	case contact.StatusFailed:
		return "danger"
	case contact.StatusCancelled:
		return "warning"
	case contact.StatusRunning, contact.StatusQueued:
		return "info"
	}
	return "neutral"
}

func count(m map[string]int64, k contact.ConsentState) string {
	return components.FormatInt(m[string(k)])
}

func colName(i int) string    { return "columns." + strconv.Itoa(i) }
func colKeyName(i int) string { return "columns." + strconv.Itoa(i) + ".key" }

func colKind(cols []contact.Column, i int) string {
	if i < len(cols) {
		return cols[i].Kind
	}
	return contact.ColIgnore
}

func colKey(cols []contact.Column, i int) string {
	if i < len(cols) {
		return cols[i].Key
	}
	return ""
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

func tagList(tags []string) string { return strings.Join(tags, ", ") }

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func delimiterWord(d string) string {
	switch d {
	case ",":
		return "commas"
	case ";":
		return "semicolons"
	case "\t":
		return "tabs"
	case "|":
		return "vertical bars"
	}
	return d
}

func int64s(n int64) string { return components.FormatInt(n) }

func hasPhone(cols []contact.Column) bool {
	for _, c := range cols {
		if c.Kind == contact.ColPhone {
			return true
		}
	}
	return false
}
