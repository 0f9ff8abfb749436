package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"tidings/internal/audit"
	"tidings/internal/whatsapp"
)

// transition runs fn on the locked campaign when its status is one of from.
func (s *Service) transition(ctx context.Context, orgID, userID, id int64, action string, from []string,
	fn func(tx *gorm.DB, r campaignRow, now time.Time) error) (Campaign, error) {
	var out Campaign
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		r, err := loadCampaign(tx, orgID, id, true)
		if err != nil {
			return err
		}
		ok := false
		for _, f := range from {
			ok = ok || r.Status == f
		}
		if !ok {
			return &StateError{Action: action, Status: r.Status}
		}
		now := s.clock.Now()
		if err := fn(tx, r, now); err != nil {
			return err
		}
		if err := audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "campaign." + action, Target: target(id), At: now}); err != nil {
			return err
		}
		r, err = loadCampaign(tx, orgID, id, false)
		out = r.model()
		return err
	})
	return out, err
}

// Pause stops sending a running campaign; queued messages wait.
func (s *Service) Pause(ctx context.Context, orgID, userID, id int64) (Campaign, error) {
	return s.transition(ctx, orgID, userID, id, "pause", []string{StatusRunning, StatusStarting},
		func(tx *gorm.DB, _ campaignRow, now time.Time) error {
			return tx.Exec(`UPDATE campaigns SET status = 'paused', pause_reason = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
				PauseManual, now, orgID, id).Error
		})
}

// Resume sends a paused campaign again. Outside its sending hours it stays
// paused until they begin (Tick resumes it then).
func (s *Service) Resume(ctx context.Context, orgID, userID, id int64) (Campaign, error) {
	return s.transition(ctx, orgID, userID, id, "resume", []string{StatusPaused},
		func(tx *gorm.DB, r campaignRow, now time.Time) error {
			var tz string
			if err := tx.Raw(`SELECT time_zone FROM orgs WHERE id = ?`, orgID).Scan(&tz).Error; err != nil {
				return fmt.Errorf("campaign: org: %w", err)
			}
			status, reason := StatusRunning, ""
			if !inWindow(now, location(tz), r.WindowStart, r.WindowEnd) {
				status, reason = StatusPaused, PauseOutsideHours
			}
			return tx.Exec(`UPDATE campaigns SET status = ?, pause_reason = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
				status, reason, now, orgID, id).Error
		})
}

// Cancel ends a campaign for good: its queued messages become cancelled
// (those already handed to the sender finish as they will).
func (s *Service) Cancel(ctx context.Context, orgID, userID, id int64) (Campaign, error) {
	return s.transition(ctx, orgID, userID, id, "cancel", []string{StatusScheduled, StatusStarting, StatusRunning, StatusPaused},
		func(tx *gorm.DB, _ campaignRow, now time.Time) error {
			res := tx.Exec(`UPDATE messages SET status = 'cancelled', updated_at = ? WHERE org_id = ? AND campaign_id = ? AND status = 'queued'`,
				now, orgID, id)
			if res.Error != nil {
				return fmt.Errorf("campaign: cancel messages: %w", res.Error)
			}
			if err := tx.Exec(`UPDATE campaign_stats SET queued = greatest(queued - ?, 0), updated_at = ? WHERE org_id = ? AND campaign_id = ?`,
				res.RowsAffected, now, orgID, id).Error; err != nil {
				return fmt.Errorf("campaign: cancel stats: %w", err)
			}
			return tx.Exec(`UPDATE campaigns SET status = 'cancelled', pause_reason = '', finished_at = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
				now, now, orgID, id).Error
		})
}

// Schedule sets a draft to start at (a moment; the web layer reads the
// user's date and time in the org's time zone).
func (s *Service) Schedule(ctx context.Context, orgID, userID, id int64, at time.Time) (Campaign, error) {
	if !at.After(s.clock.Now()) {
		return Campaign{}, FieldErrors{"scheduled_at": "Choose a time in the future."}
	}
	if at.After(s.clock.Now().AddDate(1, 0, 0)) {
		return Campaign{}, FieldErrors{"scheduled_at": "Choose a time within the next year."}
	}
	return s.transition(ctx, orgID, userID, id, "schedule", []string{StatusDraft, StatusScheduled},
		func(tx *gorm.DB, r campaignRow, now time.Time) error {
			c := r.model()
			if c.TemplateID == 0 {
				return FieldErrors{"template_id": "Choose a template."}
			}
			t, err := loadTemplate(tx, orgID, c.TemplateID)
			if err != nil {
				return err
			}
			if fe := ValidateMapping(t.Template, c.Mapping); fe != nil {
				return fe
			}
			return tx.Exec(`UPDATE campaigns SET status = 'scheduled', scheduled_at = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
				at, now, orgID, id).Error
		})
}

// Unschedule turns a scheduled campaign back into a draft.
func (s *Service) Unschedule(ctx context.Context, orgID, userID, id int64) (Campaign, error) {
	return s.transition(ctx, orgID, userID, id, "unschedule", []string{StatusScheduled},
		func(tx *gorm.DB, _ campaignRow, now time.Time) error {
			return tx.Exec(`UPDATE campaigns SET status = 'draft', scheduled_at = NULL, updated_at = ? WHERE org_id = ? AND id = ?`,
				now, orgID, id).Error
		})
}

// TestSend queues the campaign's message, rendered for a contact of its
// audience (the first, or sampleID when it belongs to the audience), to
// phone (the user's own number). The ledger row has no campaign, so it
// never counts toward the campaign or anyone's frequency cap; the sender
// posts it like any queued row.
func (s *Service) TestSend(ctx context.Context, orgID, userID, id int64, phone string, sampleID int64) error {
	if phone == "" {
		return ErrNoPhone
	}
	return s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		r, err := loadCampaign(tx, orgID, id, false)
		if err != nil {
			return err
		}
		c := r.model()
		if c.TemplateID == 0 {
			return FieldErrors{"template_id": "Choose a template."}
		}
		t, err := loadTemplate(tx, orgID, c.TemplateID)
		if err != nil {
			return err
		}
		if !t.Approved() {
			return ErrTemplateNotApproved
		}
		if fe := ValidateMapping(t.Template, c.Mapping); fe != nil {
			return fe
		}
		conn, err := loadConn(tx, orgID)
		if err != nil {
			return err
		}
		if conn == nil || conn.StoppedAt != nil {
			return ErrNoConnection
		}
		sample, err := sampleContact(tx, orgID, c.Audience, max(sampleID-1, 0), false)
		if err != nil {
			return err
		}
		p := Render(t.Template, c.Mapping, sample)
		js, err := marshalParams(p)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := tx.Exec(`INSERT INTO messages (org_id, connection_id, to_e164, status, kind, category, template_name, template_language, params, created_at, updated_at)
			VALUES (?, ?, ?, 'queued', 'template', ?, ?, ?, ?::jsonb, ?, ?)`, orgID, conn.ID, phone, strings.ToUpper(t.Category), t.Name, t.Language, js, now, now).Error; err != nil {
			return fmt.Errorf("campaign: test send: %w", err)
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "campaign.test_send", Target: target(id), At: now})
	})
}

func marshalParams(p whatsapp.TemplateParams) (string, error) {
	b, err := jsonMarshal(p)
	if err != nil {
		return "", fmt.Errorf("campaign: params: %w", err)
	}
	return string(b), nil
}

// Tick is the scheduler's pass, run by a periodic job: it starts the
// scheduled campaigns that are due and applies sending hours, flipping
// running ⇄ paused with pause_reason PauseOutsideHours. (So the sender
// never reads the window: it only sends running campaigns.) Campaigns
// paused by a person or by the sender are left alone.
func (s *Service) Tick(ctx context.Context) error {
	if s.ops == nil {
		return errors.New("campaign: tick needs the privileged handle")
	}
	now := s.clock.Now()
	var due []struct{ OrgID, ID int64 }
	var windowed []struct {
		OrgID, ID              int64
		Status, PauseReason    string
		WindowStart, WindowEnd string
		TimeZone               string
	}
	err := s.ops.Tx(ctx, "campaign scheduler: find due campaigns", func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT org_id, id FROM campaigns WHERE status = 'scheduled' AND scheduled_at <= ? ORDER BY scheduled_at LIMIT 200`,
			now).Scan(&due).Error; err != nil {
			return err
		}
		return tx.Raw(`SELECT c.org_id, c.id, c.status, c.pause_reason, c.window_start, c.window_end, o.time_zone
			FROM campaigns c JOIN orgs o ON o.id = c.org_id
			WHERE c.window_start <> '' AND (c.status = 'running' OR (c.status = 'paused' AND c.pause_reason = ?))`,
			PauseOutsideHours).Scan(&windowed).Error
	})
	if err != nil {
		return fmt.Errorf("campaign: tick: %w", err)
	}
	var firstErr error
	for _, d := range due {
		if err := s.startScheduled(ctx, d.OrgID, d.ID); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for _, w := range windowed {
		in := inWindow(now, location(w.TimeZone), w.WindowStart, w.WindowEnd)
		var q string
		switch {
		case w.Status == StatusRunning && !in:
			q = `UPDATE campaigns SET status = 'paused', pause_reason = ?, updated_at = ? WHERE org_id = ? AND id = ? AND status = 'running'`
		case w.Status == StatusPaused && in:
			q = `UPDATE campaigns SET status = 'running', pause_reason = '', updated_at = ? WHERE org_id = ? AND id = ? AND status = 'paused' AND pause_reason = ?`
		default:
			continue
		}
		err := s.tenant.InOrg(ctx, w.OrgID, 0, func(tx *gorm.DB) error {
			if w.Status == StatusRunning {
				return tx.Exec(q, PauseOutsideHours, now, w.OrgID, w.ID).Error
			}
			return tx.Exec(q, now, w.OrgID, w.ID, PauseOutsideHours).Error
		})
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("campaign: sending hours: %w", err)
		}
	}
	return firstErr
}

// startScheduled starts a due campaign; when it cannot start (template no
// longer approved, no number, incomplete mapping) it fails with the reason
// in words, rather than being retried forever.
func (s *Service) startScheduled(ctx context.Context, orgID, id int64) error {
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		r, err := loadCampaign(tx, orgID, id, true)
		if err != nil || r.Status != StatusScheduled {
			return err
		}
		return s.start(ctx, tx, r, 0)
	})
	var why string
	var fe FieldErrors
	switch {
	case err == nil || errors.Is(err, ErrNotFound):
		return nil
	case errors.Is(err, ErrTemplateNotApproved):
		why = "The template was not approved at the scheduled time."
	case errors.Is(err, ErrNoConnection):
		why = "No working WhatsApp number at the scheduled time."
	case errors.Is(err, ErrSuspended):
		why = "The organisation was suspended at the scheduled time."
	case errors.As(err, &fe):
		why = "The campaign was incomplete at the scheduled time: " + fe.Error()
	default:
		return fmt.Errorf("campaign: start scheduled %d: %w", id, err)
	}
	return s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		now := s.clock.Now()
		if err := tx.Exec(`UPDATE campaigns SET status = 'failed', error = ?, finished_at = ?, updated_at = ? WHERE org_id = ? AND id = ? AND status = 'scheduled'`,
			why, now, now, orgID, id).Error; err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, Action: "campaign.fail", Target: target(id), Detail: map[string]any{"reason": why}, At: now})
	})
}
