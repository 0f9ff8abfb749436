package contact

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors; the web layer picks the status code and the words.
var (
	ErrNotFound = errors.New("contact: not found")
	// ErrImportState: the import is not in a state that allows this step
	// (say, confirming a mapping of an import that already runs).
	ErrImportState = errors.New("contact: the import cannot do that in its current state")
)

// FieldErrors maps a form field to what is wrong with it. The empty key
// holds an error about the form as a whole.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	for k, v := range f {
		if k == "" {
			return "contact: " + v
		}
		return "contact: " + k + ": " + v
	}
	return "contact: invalid input"
}

// FileProblem is a problem with an uploaded file as a whole: the import
// stops and writes nothing. Message is a sentence meant for the user.
type FileProblem struct {
	Code    string // too_large, too_many_rows, empty, not_text, spreadsheet, encoding, no_phone_column, row_too_long
	Message string
}

func (p *FileProblem) Error() string { return "contact: " + p.Message }

func fileProblem(code, format string, args ...any) *FileProblem {
	return &FileProblem{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ConsentState is a contact's current consent, derived from its ledger.
type ConsentState string

// Consent states.
const (
	ConsentUnknown  ConsentState = "unknown"
	ConsentOptedIn  ConsentState = "opted_in"
	ConsentOptedOut ConsentState = "opted_out"
)

// Valid reports whether s is one of the states.
func (s ConsentState) Valid() bool {
	return s == ConsentUnknown || s == ConsentOptedIn || s == ConsentOptedOut
}

// Consent event kinds.
const (
	EventOptIn        = "opt_in"
	EventOptOut       = "opt_out"
	EventRestricted   = "restricted"
	EventUnrestricted = "unrestricted"
)

// Consent event sources: who asked for the change.
const (
	SourceImport         = "import"          // an attested upload
	SourceManual         = "manual"          // a team member, by hand
	SourceContact        = "contact"         // the person themself (STOP/START reply, privacy centre)
	SourcePrivacyRequest = "privacy_request" // executing a data-subject request
)

// Lawful bases a consent record may cite (GDPR Art. 6(1)).
var LawfulBases = []string{"consent", "contract", "legitimate_interests", "legal_obligation"}

// Contact is one person an organisation may message.
type Contact struct {
	OrgID        int64
	ID           int64
	PhoneE164    string
	Name         string
	Email        string
	Language     string
	Attributes   map[string]string
	Tags         []string
	ConsentState ConsentState
	Restricted   bool
	ImportIDs    []int64 // provenance: uploads that created or changed it
	CreatedBy    int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Messageable reports whether the contact may receive marketing messages:
// opted in and not restricted.
func (c Contact) Messageable() bool { return c.ConsentState == ConsentOptedIn && !c.Restricted }

// ConsentEvent is one entry of a contact's consent ledger.
type ConsentEvent struct {
	ID            int64
	ContactID     int64
	Kind          string
	Source        string
	LawfulBasis   string
	Evidence      string
	AttestationID int64
	ImportID      int64
	ActorUserID   int64
	At            time.Time
	// Attestation is filled in by Get for events that cite one.
	Attestation *Attestation
}

// Attestation is what a team member declared about how the contacts of an
// upload agreed to be messaged.
type Attestation struct {
	ID          int64
	Method      string // how consent was collected ("sign-up form on our website")
	CollectedOn string // when ("2024–2025", "at checkout since March 2023")
	LawfulBasis string // one of LawfulBases
	Wording     string // what people were shown when they agreed
	AttestedBy  int64
	AttestedAt  time.Time
}

// List is a named group of contacts.
type List struct {
	ID          int64
	Name        string
	Description string
	Members     int64 // filled in by Lists
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Import statuses.
const (
	StatusUploaded  = "uploaded"
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusFinished  = "finished"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Import phases while running.
const (
	PhaseReading = "reading" // parsing the file and loading the rows
	PhaseMerging = "merging" // writing contacts; counts of imported/updated come at the end
)

// Import modes.
const (
	ModeAddNew    = "add_new"    // add new numbers, leave existing contacts as they are
	ModeAddUpdate = "add_update" // add new numbers, update the chosen fields of existing ones
	ModeSuppress  = "suppress"   // mark every number in the file opted out (creating it if new)
)

// Fields an add-and-update import may overwrite.
const (
	UpdateName       = "name"
	UpdateEmail      = "email"
	UpdateLanguage   = "language"
	UpdateTags       = "tags"       // adds the file's tags (never removes)
	UpdateAttributes = "attributes" // sets the file's non-empty attributes
	UpdateLists      = "lists"      // adds to the file's lists (never removes)
)

// Column kinds of a mapping.
const (
	ColIgnore    = "ignore"
	ColPhone     = "phone"
	ColName      = "name"
	ColFirstName = "first_name"
	ColLastName  = "last_name"
	ColEmail     = "email"
	ColLanguage  = "language"
	ColTags      = "tags"
	ColList      = "list"
	ColAttribute = "attribute"
)

// Column says what one column of the file holds.
type Column struct {
	Kind string `json:"kind"`
	// Key names the custom attribute (Kind == ColAttribute).
	Key string `json:"key,omitempty"`
}

// ImportSettings are the choices confirmed for an import.
type ImportSettings struct {
	Columns        []Column `json:"columns"` // one per column of the file, in order
	HasHeader      bool     `json:"has_header"`
	DefaultCountry string   `json:"default_country"` // ISO 3166 alpha-2
	Mode           string   `json:"mode"`
	UpdateFields   []string `json:"update_fields,omitempty"` // ModeAddUpdate only
	// OptedIn: the contacts agreed to be messaged; needs an attestation, which
	// becomes the first consent event of each new contact.
	OptedIn bool `json:"opted_in"`
	// ListIDs: add every imported contact to these lists too.
	ListIDs []int64 `json:"list_ids,omitempty"`
	// Tags: add these tags to every imported contact too.
	Tags []string `json:"tags,omitempty"`
}

// Counts are an import's live progress and final outcome.
type Counts struct {
	Read      int64 // data rows read from the file (blank rows are not counted)
	Imported  int64 // new contacts
	Updated   int64 // existing contacts changed
	Skipped   int64 // existing contacts left as they were
	Duplicate int64 // rows repeating a number seen earlier in the file
	Rejected  int64 // rows that could not be used (see the rejected-rows CSV)
}

// Import is one upload and its life.
type Import struct {
	ID            int64
	OrgID         int64
	CreatedBy     int64
	Filename      string
	SizeBytes     int64
	Status        string
	Phase         string
	Encoding      string // "utf-8", "utf-8 (BOM)", "utf-16le", "utf-16be", "windows-1252"
	Delimiter     string // ",", ";", "\t" or "|"
	HasHeader     bool
	Header        []string // the file's header row ("Column 1"… when it has none)
	EstimatedRows int64
	Settings      ImportSettings
	AttestationID int64
	Counts        Counts
	Error         string // a file-level problem or failure, in words for the user
	CancelAsked   bool
	CreatedAt     time.Time
	QueuedAt      *time.Time
	StartedAt     *time.Time
	FinishedAt    *time.Time
}

// Done reports whether the import has ended (finished, failed or cancelled).
func (im Import) Done() bool {
	return im.Status == StatusFinished || im.Status == StatusFailed || im.Status == StatusCancelled
}

// Preview is what the mapping step shows: how the file was read, its first
// rows, and a guessed mapping.
type Preview struct {
	Encoding      string
	Delimiter     string
	HasHeader     bool
	Header        []string   // the header row, or "Column 1", "Column 2"… when there is none
	Rows          [][]string // the first data rows (up to PreviewRows)
	EstimatedRows int64
	Guess         []Column // one per column
}

// PreviewRows is how many data rows a Preview holds.
const PreviewRows = 10
