package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"tidings/internal/audit"
)

type campaignRow struct {
	OrgID            int64
	ID               int64
	Name             string
	Status           string
	ConnectionID     *int64
	TemplateID       *int64
	TemplateName     string
	TemplateLanguage string
	Category         string
	Mapping          string
	Audience         string
	ScheduledAt      *time.Time
	WindowStart      string
	WindowEnd        string
	PauseReason      string
	Error            string
	Recipients       int64
	Frozen           bool
	Skipped          string
	EstimatedCost    float64
	CreatedBy        *int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
	StartedAt        *time.Time
	FinishedAt       *time.Time
	FreezeCursor     int64
	FreezeMax        int64
	// campaign_stats, when joined.
	SQueued, SSending, SSent, SDelivered, SRead, SFailed, SSkipped, SUnknown, SReplied, SOptedOut int64
}

const campaignCols = `c.org_id, c.id, c.name, c.status, c.connection_id, c.template_id, c.template_name, c.template_language,
	c.category, c.mapping::text AS mapping, c.audience::text AS audience, c.scheduled_at, c.window_start, c.window_end,
	c.pause_reason, c.error, c.recipients, c.frozen, c.skipped::text AS skipped, c.estimated_cost::float8 AS estimated_cost,
	c.created_by, c.created_at, c.updated_at, c.started_at, c.finished_at, c.freeze_cursor, c.freeze_max,
	coalesce(s.queued, 0) AS s_queued, coalesce(s.sending, 0) AS s_sending, coalesce(s.sent, 0) AS s_sent,
	coalesce(s.delivered, 0) AS s_delivered, coalesce(s.read, 0) AS s_read, coalesce(s.failed, 0) AS s_failed,
	coalesce(s.skipped, 0) AS s_skipped, coalesce(s.unknown, 0) AS s_unknown, coalesce(s.replied, 0) AS s_replied,
	coalesce(s.opted_out, 0) AS s_opted_out`

const campaignFrom = ` FROM campaigns c LEFT JOIN campaign_stats s ON s.org_id = c.org_id AND s.campaign_id = c.id `

func (r campaignRow) model() Campaign {
	c := Campaign{OrgID: r.OrgID, ID: r.ID, Name: r.Name, Status: r.Status, TemplateName: r.TemplateName,
		TemplateLanguage: r.TemplateLanguage, Category: r.Category, ScheduledAt: r.ScheduledAt, WindowStart: r.WindowStart,
		WindowEnd: r.WindowEnd, PauseReason: r.PauseReason, Error: r.Error, Recipients: r.Recipients, Frozen: r.Frozen,
		EstimatedCost: r.EstimatedCost, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Stats: Stats{Queued: r.SQueued, Sending: r.SSending, Sent: r.SSent, Delivered: r.SDelivered, Read: r.SRead, Failed: r.SFailed,
			Skipped: r.SSkipped, Unknown: r.SUnknown, Replied: r.SReplied, OptedOut: r.SOptedOut}}
	if r.ConnectionID != nil {
		c.ConnectionID = *r.ConnectionID
	}
	if r.TemplateID != nil {
		c.TemplateID = *r.TemplateID
	}
	if r.CreatedBy != nil {
		c.CreatedBy = *r.CreatedBy
	}
	// Stored by this package: a decoding error would be a bug, and an empty
	// value is the safe reading.
	_ = json.Unmarshal([]byte(r.Mapping), &c.Mapping)
	_ = json.Unmarshal([]byte(r.Audience), &c.Audience)
	_ = json.Unmarshal([]byte(r.Skipped), &c.Skipped)
	if c.Mapping == nil {
		c.Mapping = Mapping{}
	}
	return c
}

func loadCampaign(tx *gorm.DB, orgID, id int64, lock bool) (campaignRow, error) {
	q := `SELECT ` + campaignCols + campaignFrom + ` WHERE c.org_id = ? AND c.id = ?`
	if lock {
		q += ` FOR UPDATE OF c`
	}
	var r campaignRow
	err := tx.Raw(q, orgID, id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("campaign: load %d: %w", id, err)
	}
	return r, nil
}

func target(id int64) string { return "campaign:" + strconv.FormatInt(id, 10) }

// validate checks a draft's fields. The template may be missing while
// composing; the mapping is checked against it when it is there.
func (s *Service) validate(tx *gorm.DB, orgID int64, in *Input) (FieldErrors, error) {
	fe := FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		fe["name"] = "Give the campaign a name (only your team sees it)."
	case utf8.RuneCountInString(in.Name) > 200:
		fe["name"] = "Keep the name under 200 characters."
	}
	in.Audience = in.Audience.Normalize()
	for k, v := range in.Audience.Validate() {
		fe[k] = v
	}
	if err := validWindow(in.WindowStart, in.WindowEnd); err != "" {
		fe["window_start"] = err
	}
	if in.TemplateID > 0 {
		t, err := loadTemplate(tx, orgID, in.TemplateID)
		if errors.Is(err, ErrNotFound) {
			fe["template_id"] = "Choose one of your templates."
		} else if err != nil {
			return nil, err
		} else {
			// Keep only the template's variables.
			m := Mapping{}
			for _, v := range Variables(t.Template) {
				if b, ok := in.Mapping[v.Key]; ok {
					m[v.Key] = b
				}
			}
			in.Mapping = m
		}
	}
	if in.Mapping == nil {
		in.Mapping = Mapping{}
	}
	if len(fe) == 0 {
		return nil, nil
	}
	return fe, nil
}

// Create stores a new draft.
func (s *Service) Create(ctx context.Context, orgID, userID int64, in Input) (Campaign, error) {
	var out Campaign
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		fe, err := s.validate(tx, orgID, &in)
		if err != nil {
			return err
		}
		if fe != nil {
			return fe
		}
		m, _ := json.Marshal(in.Mapping)
		a, _ := json.Marshal(in.Audience)
		now := s.clock.Now()
		var id int64
		if err := tx.Raw(`INSERT INTO campaigns (org_id, name, template_id, mapping, audience, window_start, window_end, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?) RETURNING id`, orgID, in.Name, nullID(in.TemplateID), string(m), string(a),
			in.WindowStart, in.WindowEnd, nullID(userID), now, now).Scan(&id).Error; err != nil {
			return fmt.Errorf("campaign: create: %w", err)
		}
		if err := audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "campaign.create", Target: target(id), At: now}); err != nil {
			return err
		}
		r, err := loadCampaign(tx, orgID, id, false)
		out = r.model()
		return err
	})
	return out, err
}

// Update changes a draft (or a scheduled campaign, which stays scheduled).
func (s *Service) Update(ctx context.Context, orgID, userID, id int64, in Input) (Campaign, error) {
	var out Campaign
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		r, err := loadCampaign(tx, orgID, id, true)
		if err != nil {
			return err
		}
		if c := r.model(); !c.Editable() {
			return &StateError{Action: "edit", Status: c.Status}
		}
		fe, err := s.validate(tx, orgID, &in)
		if err != nil {
			return err
		}
		if fe != nil {
			return fe
		}
		m, _ := json.Marshal(in.Mapping)
		a, _ := json.Marshal(in.Audience)
		now := s.clock.Now()
		if err := tx.Exec(`UPDATE campaigns SET name = ?, template_id = ?, mapping = ?::jsonb, audience = ?::jsonb,
			window_start = ?, window_end = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
			in.Name, nullID(in.TemplateID), string(m), string(a), in.WindowStart, in.WindowEnd, now, orgID, id).Error; err != nil {
			return fmt.Errorf("campaign: update: %w", err)
		}
		if err := audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "campaign.update", Target: target(id), At: now}); err != nil {
			return err
		}
		r, err = loadCampaign(tx, orgID, id, false)
		out = r.model()
		return err
	})
	return out, err
}

// Get returns one campaign with its stats.
func (s *Service) Get(ctx context.Context, orgID, id int64) (Campaign, error) {
	var out Campaign
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		r, err := loadCampaign(tx, orgID, id, false)
		out = r.model()
		return err
	})
	return out, err
}

// List returns the org's campaigns, newest first, with their stats.
func (s *Service) List(ctx context.Context, orgID int64, limit int) ([]Campaign, error) {
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	var out []Campaign
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		var rows []campaignRow
		if err := tx.Raw(`SELECT `+campaignCols+campaignFrom+` WHERE c.org_id = ? ORDER BY c.id DESC LIMIT ?`, orgID, limit).Scan(&rows).Error; err != nil {
			return fmt.Errorf("campaign: list: %w", err)
		}
		for _, r := range rows {
			out = append(out, r.model())
		}
		return nil
	})
	return out, err
}

// Duplicate copies a campaign's content (name, template, mapping,
// audience, sending hours) into a new draft.
func (s *Service) Duplicate(ctx context.Context, orgID, userID, id int64) (Campaign, error) {
	var out Campaign
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		r, err := loadCampaign(tx, orgID, id, false)
		if err != nil {
			return err
		}
		name := r.Name
		if utf8.RuneCountInString(name) > 190 {
			name = string([]rune(name)[:190])
		}
		now := s.clock.Now()
		var nid int64
		if err := tx.Raw(`INSERT INTO campaigns (org_id, name, template_id, mapping, audience, window_start, window_end, created_by, created_at, updated_at)
			SELECT org_id, ? , template_id, mapping, audience, window_start, window_end, ?, ?, ? FROM campaigns WHERE org_id = ? AND id = ?
			RETURNING id`, name+" (copy)", nullID(userID), now, now, orgID, id).Scan(&nid).Error; err != nil {
			return fmt.Errorf("campaign: duplicate: %w", err)
		}
		if err := audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "campaign.duplicate", Target: target(nid),
			Detail: map[string]any{"from": id}, At: now}); err != nil {
			return err
		}
		r, err = loadCampaign(tx, orgID, nid, false)
		out = r.model()
		return err
	})
	return out, err
}

// Delete removes a draft (other campaigns are history: cancel them).
func (s *Service) Delete(ctx context.Context, orgID, userID, id int64) error {
	return s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		r, err := loadCampaign(tx, orgID, id, true)
		if err != nil {
			return err
		}
		if r.Status != StatusDraft {
			return &StateError{Action: "delete", Status: r.Status}
		}
		if err := tx.Exec(`DELETE FROM campaigns WHERE org_id = ? AND id = ?`, orgID, id).Error; err != nil {
			return fmt.Errorf("campaign: delete: %w", err)
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "campaign.delete", Target: target(id), At: s.clock.Now()})
	})
}

// Templates lists the org's templates for the picker, approved first.
func (s *Service) Templates(ctx context.Context, orgID int64) ([]Template, error) {
	var out []Template
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		var err error
		out, err = listTemplates(tx, orgID)
		return err
	})
	return out, err
}

// Template returns one of the org's templates.
func (s *Service) Template(ctx context.Context, orgID, id int64) (Template, error) {
	var out Template
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		var err error
		out, err = loadTemplate(tx, orgID, id)
		return err
	})
	return out, err
}

func nullID(id int64) any {
	if id <= 0 {
		return nil
	}
	return id
}
