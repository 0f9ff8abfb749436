// Package campaigns renders the campaign pages: the list, the editor
// (template, variable mapping with a phone-style preview, audience with a
// live count, the pre-send check, schedule or send) and the report.
package campaigns

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"tidings/internal/campaign"
	"tidings/internal/contact"
	"tidings/internal/whatsapp"
	"tidings/templates/components"
	"tidings/web/paths"
)

// FormErrors maps a field name to its message; "" is a form-level error.
type FormErrors = components.FormErrors

// ListData is the campaigns page.
type ListData struct {
	Campaigns []campaign.Campaign
	CanEdit   bool
	TZ        *time.Location
}

// NewData is the first step: a name and a template.
type NewData struct {
	Name       string
	TemplateID int64
	Templates  []campaign.Template
	Errors     FormErrors
}

// Form is what the editor's form holds (as saved, or as posted).
type Form struct {
	Name        string
	TemplateID  int64
	Mapping     campaign.Mapping
	Audience    campaign.Audience
	WindowStart string
	WindowEnd   string
}

// EditorData is a draft's (or scheduled campaign's) page.
type EditorData struct {
	Campaign  campaign.Campaign
	Form      Form
	Errors    FormErrors
	Templates []campaign.Template
	Lists     []contact.List
	Count     int64
	CountErr  bool
	Preview   PreviewData
	Check     *campaign.Check
	CanEdit   bool
	TZ        *time.Location
	// UserPhone is the signed-in user's own number (masked), for the test send.
	UserPhone    string
	ScheduleDate string
	ScheduleTime string
}

// PreviewData is the mapping section: the template's variables, where
// each comes from, and the message rendered for one contact.
type PreviewData struct {
	CampaignID   int64
	Template     *campaign.Template
	Mapping      campaign.Mapping
	Errors       FormErrors
	Contact      *contact.Contact // nil when the audience is empty
	Message      campaign.Preview
	BusinessName string
}

// ReportData is a started campaign's page.
type ReportData struct {
	Campaign campaign.Campaign
	Failures []campaign.Failure
	CanEdit  bool
	TZ       *time.Location
	Currency string
	// Settling: the campaign ended moments ago and delivery and read
	// receipts are still arriving, so its figures keep refreshing.
	Settling bool
	// The drill-down: one page of recipients, optionally of one status.
	Recipients      []campaign.Recipient
	RecipientStatus string
	NextURL         string // "" on the last page
}

// StatusWord names a status for people.
func StatusWord(s string) string {
	switch s {
	case campaign.StatusDraft:
		return "Draft"
	case campaign.StatusScheduled:
		return "Scheduled"
	case campaign.StatusStarting:
		return "Starting"
	case campaign.StatusRunning:
		return "Sending"
	case campaign.StatusPaused:
		return "Paused"
	case campaign.StatusCompleted:
		return "Sent"
	case campaign.StatusCancelled:
		return "Cancelled"
	case campaign.StatusFailed:
		return "Failed"
	}
	return s
}

func statusKind(s string) string {
	switch s {
	case campaign.StatusScheduled:
		return "info"
	case campaign.StatusStarting, campaign.StatusRunning:
		return "accent"
	case campaign.StatusPaused:
		return "warning"
	case campaign.StatusCompleted:
		return "success"
	case campaign.StatusFailed:
		return "danger"
	}
	return "neutral"
}

// ReasonWord explains a skip reason.
func ReasonWord(r campaign.SkipReason) string {
	switch r {
	case campaign.SkipInvalidNumber:
		return "Phone number is not valid"
	case campaign.SkipOptedOut:
		return "Opted out"
	case campaign.SkipRestricted:
		return "Restricted (privacy request)"
	case campaign.SkipSuppressed:
		return "Asked not to be messaged by any business"
	case campaign.SkipNoConsent:
		return "No recorded consent for marketing"
	case campaign.SkipNotOnWhatsApp:
		return "Not on WhatsApp (an earlier message could not be delivered)"
	case campaign.SkipFrequencyCap:
		return "Received enough marketing messages recently"
	}
	return string(r)
}

func sourceLabel(s string) string {
	switch s {
	case campaign.SourceName:
		return "Full name"
	case campaign.SourceFirstName:
		return "First name"
	case campaign.SourcePhone:
		return "Phone number"
	case campaign.SourceEmail:
		return "E-mail"
	case campaign.SourceLanguage:
		return "Language"
	case campaign.SourceAttribute:
		return "Custom field…"
	case campaign.SourceText:
		return "Fixed text…"
	}
	return s
}

func sourceOptions() []components.Option {
	out := make([]components.Option, 0, len(campaign.Sources))
	for _, s := range campaign.Sources {
		out = append(out, components.Option{Value: s, Label: sourceLabel(s)})
	}
	return out
}

func templateOptions(ts []campaign.Template) []components.Option {
	out := make([]components.Option, 0, len(ts))
	for _, t := range ts {
		out = append(out, components.Option{Value: strconv.FormatInt(t.ID, 10), Label: TemplateLabel(t)})
	}
	return out
}

// TemplateLabel names a template with its language, category and status.
func TemplateLabel(t campaign.Template) string {
	return fmt.Sprintf("%s · %s · %s · %s", t.Name, t.Language, titleWord(t.Category), templateStatusWord(t.Status))
}

func templateStatusWord(s string) string {
	if s == "APPROVED" {
		return "Approved"
	}
	if s == "" {
		return "Status unknown"
	}
	return titleWord(s) + " (cannot send yet)"
}

func titleWord(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "_", " "))
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func id64(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func n64(n int64) string { return components.FormatInt(n) }

// valueOf is what the mapping row's text box shows: the custom field's
// name or the fixed text.
func valueOf(b campaign.Binding) string {
	if b.Source == campaign.SourceAttribute {
		return b.Key
	}
	return b.Text
}

func valueError(errs FormErrors, key string) string {
	return errs.First("map."+key+".key", "map."+key+".text")
}

func vars(t *campaign.Template) []campaign.Variable {
	if t == nil {
		return nil
	}
	return campaign.Variables(t.Template)
}

func hasList(ids []int64, id int64) bool { return slices.Contains(ids, id) }

// attrRows gives the audience's custom-field filters plus empty rows to
// fill, always at least two.
func attrRows(a campaign.Audience) []campaign.AttrFilter {
	rows := slices.Clone(a.Attrs)
	for len(rows) < 2 || len(rows) < len(a.Attrs)+1 {
		rows = append(rows, campaign.AttrFilter{})
	}
	return rows
}

func percentOf(part, whole int64) string {
	if whole <= 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(part)*100/float64(whole), 'f', 1, 64) + "%"
}

// Funnel figures, from campaign_stats. The counters mirror the ledger
// statuses (a message counts once, under its current status), so "reached
// sent" is sent + delivered + read.
func sentTotal(s campaign.Stats) int64      { return s.Sent + s.Delivered + s.Read }
func deliveredTotal(s campaign.Stats) int64 { return s.Delivered + s.Read }

// progressDone is how many of the recipients have left the queue.
// recipientsCaption says what the recipients figure counts: while the
// campaign runs, who is queued; afterwards, who it was for.
func recipientsCaption(c campaign.Campaign) string {
	if c.Live() {
		return "queued for sending"
	}
	return "after the pre-send check"
}

func progressDone(c campaign.Campaign) int64 {
	return max(c.Recipients-c.Stats.Queued-c.Stats.Sending, 0)
}

func failureWord(f campaign.Failure) string {
	if f.Code == 0 {
		if f.Reason != "" {
			return f.Reason
		}
		return "WhatsApp did not say why."
	}
	return whatsapp.Explain(f.Code)
}

func money(v float64, currency string) string {
	return strconv.FormatFloat(v, 'f', 2, 64) + " " + currency
}

func skippedReasons(m map[campaign.SkipReason]int64) []campaign.SkipReason {
	var out []campaign.SkipReason
	for _, r := range campaign.Reasons {
		if m[r] > 0 {
			out = append(out, r)
		}
	}
	return out
}

func contactLabel(c *contact.Contact) string {
	if c.Name != "" {
		return c.Name
	}
	return c.PhoneE164
}

func rateCell(c campaign.Campaign, part int64) string {
	if c.Status == campaign.StatusDraft || c.Status == campaign.StatusScheduled {
		return "—"
	}
	return percentOf(part, sentTotal(c.Stats))
}

func windowText(c campaign.Campaign) string {
	if c.WindowStart == "" {
		return "Any time"
	}
	return c.WindowStart + "–" + c.WindowEnd
}

func zone(loc *time.Location, t time.Time) string {
	name, _ := t.In(loc).Zone()
	return loc.String() + " (" + name + ")"
}

// p0 is the moment a time zone's abbreviation is shown for (display only).
func p0() time.Time { return time.Now() }

func initial(name string) string {
	for _, r := range name {
		return strings.ToUpper(string(r))
	}
	return "B"
}

func joinTags(tags []string) string { return strings.Join(tags, ", ") }

// previewAttrs make a mapping control refresh the phone preview: a select
// when it changes, a text box a moment after typing stops. Preview
// requests share one sync queue, so a later one (a step to the next
// contact) runs after one still in flight rather than racing it.
func previewAttrs(id int64, trigger string) templ.Attributes {
	return templ.Attributes{"hx-get": paths.CampaignPreview(id), "hx-trigger": trigger, "hx-include": "#campaign-form",
		"hx-target": "#phone-preview", "hx-select": "#phone-preview", "hx-swap": "outerHTML", "hx-sync": "#mapping-section:queue last"}
}

func recipientStatusWord(s string) string {
	switch s {
	case "queued":
		return "Waiting"
	case "sending":
		return "Sending"
	case "sent":
		return "Sent"
	case "delivered":
		return "Delivered"
	case "read":
		return "Read"
	case "failed":
		return "Failed"
	case "unknown":
		return "Unknown (no answer from WhatsApp yet)"
	case "cancelled":
		return "Cancelled"
	}
	return s
}

func recipientStatusOptions() []components.Option {
	out := []components.Option{{Value: "", Label: "Everyone"}}
	for _, s := range campaign.RecipientStatuses {
		out = append(out, components.Option{Value: s, Label: recipientStatusWord(s)})
	}
	return out
}

func recipientProblem(r campaign.Recipient) string {
	if r.Reason != "" {
		return r.Reason
	}
	if r.ErrorCode != 0 {
		return whatsapp.Explain(r.ErrorCode)
	}
	return ""
}
