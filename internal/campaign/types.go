package campaign

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors; the web layer picks the status code and the words.
var (
	ErrNotFound = errors.New("campaign: not found")
	// ErrTemplateNotApproved: Meta sends only approved templates, so a
	// campaign cannot start with any other.
	ErrTemplateNotApproved = errors.New("campaign: the template is not approved")
	// ErrNoConnection: the org has no WhatsApp number, or it was stopped.
	ErrNoConnection = errors.New("campaign: no working WhatsApp number")
	// ErrNoPhone: a test send needs the user's own number.
	ErrNoPhone = errors.New("campaign: the user has no phone number")
	// ErrSuspended: a suspended organisation sends nothing.
	ErrSuspended = errors.New("campaign: the organisation is suspended")
	// ErrEmptyAudience: no contact to render a test send or preview for.
	ErrEmptyAudience = errors.New("campaign: the audience is empty")
)

// StateError is an action the campaign's status does not allow (pausing a
// draft, editing a running campaign). errors.Is(err, ErrState) holds.
type StateError struct {
	Action string
	Status string
}

// ErrState matches every StateError.
var ErrState = errors.New("campaign: not allowed in the current state")

func (e *StateError) Error() string {
	return fmt.Sprintf("campaign: cannot %s a campaign that is %s", e.Action, e.Status)
}

// Is makes errors.Is(err, ErrState) true.
func (e *StateError) Is(target error) bool { return target == ErrState }

// FieldErrors maps a form field to what is wrong with it; the empty key
// holds an error about the form as a whole.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	for k, v := range f {
		if k == "" {
			return "campaign: " + v
		}
		return "campaign: " + k + ": " + v
	}
	return "campaign: invalid input"
}

// Statuses.
const (
	StatusDraft     = "draft"
	StatusScheduled = "scheduled"
	StatusStarting  = "starting"
	StatusRunning   = "running"
	StatusPaused    = "paused"
	StatusCompleted = "completed"
	StatusCancelled = "cancelled"
	StatusFailed    = "failed"
)

// Pause reasons the product sets (the sender sets its own for error rates).
const (
	PauseManual       = "paused by a team member"
	PauseOutsideHours = "outside sending hours"
)

// Template categories (Meta's spelling).
const (
	CategoryMarketing      = "MARKETING"
	CategoryUtility        = "UTILITY"
	CategoryAuthentication = "AUTHENTICATION"
)

// SkipReason is why a contact of the audience gets no message. Each
// contact counts under the first reason that applies, in Reasons order.
type SkipReason string

// Skip reasons, in the order they are tested.
const (
	SkipInvalidNumber SkipReason = "invalid_number"
	SkipOptedOut      SkipReason = "opted_out"
	SkipRestricted    SkipReason = "restricted"
	SkipSuppressed    SkipReason = "platform_suppressed"
	SkipNoConsent     SkipReason = "no_consent"
	SkipNotOnWhatsApp SkipReason = "not_on_whatsapp"
	SkipFrequencyCap  SkipReason = "frequency_cap"
)

// Reasons lists every skip reason in the order they are tested.
var Reasons = []SkipReason{SkipInvalidNumber, SkipOptedOut, SkipRestricted, SkipSuppressed, SkipNoConsent, SkipNotOnWhatsApp, SkipFrequencyCap}

// Campaign is one campaign as stored.
type Campaign struct {
	OrgID            int64
	ID               int64
	Name             string
	Status           string
	ConnectionID     int64
	TemplateID       int64
	TemplateName     string // frozen at start
	TemplateLanguage string
	Category         string
	Mapping          Mapping
	Audience         Audience
	ScheduledAt      *time.Time
	WindowStart      string // "09:00", empty = any time
	WindowEnd        string
	PauseReason      string
	Error            string
	Recipients       int64
	Frozen           bool
	Skipped          map[SkipReason]int64
	EstimatedCost    float64
	CreatedBy        int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
	StartedAt        *time.Time
	FinishedAt       *time.Time
	Stats            Stats
}

// Editable reports whether the draft's content may still change.
func (c Campaign) Editable() bool { return c.Status == StatusDraft || c.Status == StatusScheduled }

// Live reports whether the campaign is sending or may send again.
func (c Campaign) Live() bool {
	return c.Status == StatusStarting || c.Status == StatusRunning || c.Status == StatusPaused
}

// SkippedTotal sums the skipped counts.
func (c Campaign) SkippedTotal() int64 {
	var n int64
	for _, v := range c.Skipped {
		n += v
	}
	return n
}

// Stats are the campaign's rollup counters (campaign_stats).
type Stats struct {
	Queued, Sending, Sent, Delivered, Read, Failed, Skipped, Unknown, Replied, OptedOut int64
}

// Done is how many messages reached a final state.
func (s Stats) Done() int64 { return s.Sent + s.Delivered + s.Read + s.Failed + s.Unknown }

// Input is what a draft's form sets.
type Input struct {
	Name        string
	TemplateID  int64
	Mapping     Mapping
	Audience    Audience
	WindowStart string
	WindowEnd   string
}
