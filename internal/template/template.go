// Package template keeps each organisation's WhatsApp message templates:
// it syncs them from the org's WhatsApp Business Account, checks a new
// template against Meta's rules before submitting it for review, and
// gives the campaign composer a template's variables.
//
// Contract:
//   - Meta is the source of truth for status, category and quality; the
//     wa_templates table is a copy, refreshed by Sync (on connect, on
//     demand, periodically) and by status webhooks (internal/delivery).
//   - Every query names the org and runs in a tenant-bound transaction.
//   - Errors are typed (ErrNotFound, ErrNotConnected, FieldErrors,
//     *RefusedError); the web layer picks the words and status codes.
//   - Nothing here imports echo, templ or web.
package template

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"

	"tidings/internal/connection"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/db"
	"tidings/internal/whatsapp"
)

// Errors the web layer turns into words.
var (
	ErrNotFound = errors.New("template: not found")
	// ErrNotConnected: the org has no WhatsApp number connected yet.
	ErrNotConnected = errors.New("template: no WhatsApp number connected")
)

// FieldErrors maps a form field to what is wrong with it, in plain words.
// The empty key holds a problem with the template as a whole.
type FieldErrors map[string]string

func (f FieldErrors) Error() string { return "template: invalid input" }

// RefusedError is Meta refusing a submission or a listing. Message is the
// sentence to show; Err is the client's error.
type RefusedError struct {
	Message string
	Err     error
}

func (e *RefusedError) Error() string { return "template: " + e.Message }
func (e *RefusedError) Unwrap() error { return e.Err }

// Statuses (Meta's words; only APPROVED can be sent).
const (
	StatusApproved = "APPROVED"
	StatusPending  = "PENDING"
	StatusRejected = "REJECTED"
	StatusPaused   = "PAUSED"
	StatusDisabled = "DISABLED"
	// StatusDeleted marks a template that is no longer in the WhatsApp
	// Business Account. The row stays so campaigns that used it still
	// name it.
	StatusDeleted = "DELETED"
)

// Template is one message template of an org.
type Template struct {
	OrgID, ID, ConnectionID int64
	MetaID                  string
	Name, Language          string
	// Category is MARKETING, UTILITY or AUTHENTICATION.
	Category, SubCategory string
	Status                string
	// Quality is GREEN, YELLOW, RED or UNKNOWN ("" before Meta rates it).
	Quality string
	// Reason is why Meta rejected or paused it ("" when none).
	Reason     string
	Components []whatsapp.TemplateComponent
	// ParameterFormat is NAMED or POSITIONAL.
	ParameterFormat string
	CreatedBy       int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
	SyncedAt        *time.Time
}

// WA is the template in the client's shape (what a send is built from).
func (t Template) WA() whatsapp.Template {
	return whatsapp.Template{ID: t.MetaID, Name: t.Name, Language: t.Language, Status: t.Status,
		Category: t.Category, ParameterFormat: t.ParameterFormat, Components: t.Components}
}

// Placeholders lists the variables a send must fill, in order: header,
// body, then dynamic link buttons.
func (t Template) Placeholders() []whatsapp.Placeholder { return t.WA().Placeholders() }

// Named reports whether the variables are named ({{first_name}}).
func (t Template) Named() bool { return t.WA().Named() }

// Sendable reports whether campaigns may use it now.
func (t Template) Sendable() bool { return t.Status == StatusApproved }

// Text returns the text of the first component of type typ (HEADER, BODY,
// FOOTER), "" when there is none or it is not text.
func (t Template) Text(typ string) string {
	for _, c := range t.Components {
		if strings.EqualFold(c.Type, typ) && (c.Format == "" || strings.EqualFold(c.Format, "TEXT")) {
			return c.Text
		}
	}
	return ""
}

// HeaderFormat is the header's TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION,
// "" without a header.
func (t Template) HeaderFormat() string {
	for _, c := range t.Components {
		if strings.EqualFold(c.Type, "HEADER") {
			if c.Format == "" {
				return "TEXT"
			}
			return strings.ToUpper(c.Format)
		}
	}
	return ""
}

// Buttons lists the template's buttons.
func (t Template) Buttons() []whatsapp.TemplateButton {
	var out []whatsapp.TemplateButton
	for _, c := range t.Components {
		if strings.EqualFold(c.Type, "BUTTONS") {
			out = append(out, c.Buttons...)
		}
	}
	return out
}

// Filter narrows List. Empty fields match everything; deleted templates
// are left out unless Status asks for them.
type Filter struct {
	Status, Category, Language string
	// Sendable keeps only approved templates (the campaign picker).
	Sendable bool
}

// Connections is what the service needs of the org's WhatsApp connection.
type Connections interface {
	Get(ctx context.Context, orgID, userID int64) (connection.Connection, error)
	Secrets(c connection.Connection) (connection.Secrets, error)
	Client(c connection.Connection) *whatsapp.Client
}

// Service reads, syncs and creates templates.
type Service struct {
	db    *db.Tenant
	conns Connections
	clock clock.Clock
	log   *slog.Logger
}

// NewService wires the service.
func NewService(tenant *db.Tenant, conns Connections, c clock.Clock, log *slog.Logger) *Service {
	return &Service{db: tenant, conns: conns, clock: c, log: log}
}

// row is wa_templates as stored.
type row struct {
	OrgID        int64
	ID           int64
	ConnectionID int64
	MetaID       string
	Name         string
	Language     string
	Category     string
	SubCategory  string
	Status       string
	Quality      string
	Reason       string
	Components   string
	CreatedBy    *int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	SyncedAt     *time.Time
}

func (r row) template() Template {
	t := Template{OrgID: r.OrgID, ID: r.ID, ConnectionID: r.ConnectionID, MetaID: r.MetaID, Name: r.Name,
		Language: r.Language, Category: r.Category, SubCategory: r.SubCategory, Status: r.Status, Quality: r.Quality,
		Reason: r.Reason, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, SyncedAt: r.SyncedAt}
	if r.CreatedBy != nil {
		t.CreatedBy = *r.CreatedBy
	}
	_ = json.Unmarshal([]byte(r.Components), &t.Components)
	// Meta's parameter_format is not stored: the placeholders say it.
	named := t.WA().Named()
	t.ParameterFormat = "POSITIONAL"
	if named {
		t.ParameterFormat = "NAMED"
	}
	return t
}

const selectCols = `org_id, id, connection_id, meta_id, name, language, category, sub_category, status, quality, reason,
	components::text AS components, created_by, created_at, updated_at, synced_at`

// List returns the org's templates, by name then language.
func (s *Service) List(ctx context.Context, orgID int64, f Filter) ([]Template, error) {
	var rows []row
	err := s.db.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		q := tx.Table("wa_templates").Select(selectCols).Where("org_id = ?", orgID)
		switch {
		case f.Sendable:
			q = q.Where("status = ?", StatusApproved)
		case f.Status != "":
			q = q.Where("status = ?", strings.ToUpper(f.Status))
		default:
			q = q.Where("status <> ?", StatusDeleted)
		}
		if f.Category != "" {
			q = q.Where("category = ?", strings.ToUpper(f.Category))
		}
		if f.Language != "" {
			q = q.Where("language = ?", f.Language)
		}
		return q.Order("name, language, id").Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("template: list: %w", err)
	}
	out := make([]Template, len(rows))
	for i, r := range rows {
		out[i] = r.template()
	}
	return out, nil
}

// Get returns one template of the org.
func (s *Service) Get(ctx context.Context, orgID, id int64) (Template, error) {
	var rows []row
	err := s.db.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		return tx.Table("wa_templates").Select(selectCols).Where("org_id = ? AND id = ?", orgID, id).Limit(1).Scan(&rows).Error
	})
	if err != nil {
		return Template{}, fmt.Errorf("template: get %d: %w", id, err)
	}
	if len(rows) == 0 {
		return Template{}, ErrNotFound
	}
	return rows[0].template(), nil
}

// connect loads the org's connection, its token and its client.
func (s *Service) connect(ctx context.Context, orgID, userID int64) (connection.Connection, string, *whatsapp.Client, error) {
	c, err := s.conns.Get(ctx, orgID, userID)
	if errors.Is(err, connection.ErrNotFound) {
		return c, "", nil, ErrNotConnected
	}
	if err != nil {
		return c, "", nil, err
	}
	sec, err := s.conns.Secrets(c)
	if err != nil {
		return c, "", nil, err
	}
	return c, sec.AccessToken, s.conns.Client(c), nil
}

// refused turns a client error into what the user is told.
func refused(action string, err error) error {
	if ae, ok := errors.AsType[*whatsapp.APIError](err); ok {
		msg := "Meta refused to " + action + ": " + ae.Explain()
		if ae.Details != "" {
			msg += " (" + strings.TrimSuffix(ae.Details, ".") + ")"
		}
		return &RefusedError{Message: msg, Err: err}
	}
	if whatsapp.Classify(err) == whatsapp.ClassTransient {
		return &RefusedError{Message: "Could not reach the WhatsApp API to " + action + ". Try again in a moment.", Err: err}
	}
	return fmt.Errorf("template: %s: %w", action, err)
}

// Render is the template as a recipient would read it: each variable
// replaced by value(placeholder), or left as written ({{1}}) when value
// returns "". Media headers show as "[image]" and the like. The campaign
// composer previews a real contact's message with it.
func (t Template) Render(value func(whatsapp.Placeholder) string) Preview {
	fill := func(comp, text string) string {
		return placeholderRE.ReplaceAllStringFunc(text, func(m string) string {
			name := placeholderRE.FindStringSubmatch(m)[1]
			if v := value(whatsapp.Placeholder{Component: comp, Name: name}); v != "" {
				return v
			}
			return m
		})
	}
	p := Preview{Header: fill("header", t.Text("HEADER")), Body: fill("body", t.Text("BODY")), Footer: t.Text("FOOTER")}
	if f := t.HeaderFormat(); f != "" && f != "TEXT" {
		p.Header = "[" + strings.ToLower(f) + "]"
	}
	for _, b := range t.Buttons() {
		p.Buttons = append(p.Buttons, b.Text)
	}
	return p
}
