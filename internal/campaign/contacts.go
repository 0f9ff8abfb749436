package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"tidings/internal/contact"
)

// Count is how many contacts match the audience (before the pre-send
// check's skips): the live count while editing.
func (s *Service) Count(ctx context.Context, orgID int64, a Audience) (int64, error) {
	var n int64
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		where, args := a.predicate(orgID)
		if err := tx.Raw(`SELECT count(*) FROM contacts c WHERE `+where, args...).Scan(&n).Error; err != nil {
			return fmt.Errorf("campaign: count audience: %w", err)
		}
		return nil
	})
	return n, err
}

type sampleRow struct {
	ID           int64
	PhoneE164    string
	Name         string
	Email        string
	Language     string
	Attributes   string
	ConsentState string
	Restricted   bool
}

// SampleContact returns the audience's contact after (or, backward,
// before) the given contact id, for stepping through previews; from 0
// starts at the first. ErrEmptyAudience when there is none that way.
func (s *Service) SampleContact(ctx context.Context, orgID int64, a Audience, from int64, backward bool) (contact.Contact, error) {
	var out contact.Contact
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		var err error
		out, err = sampleContact(tx, orgID, a, from, backward)
		return err
	})
	return out, err
}

func sampleContact(tx *gorm.DB, orgID int64, a Audience, from int64, backward bool) (contact.Contact, error) {
	where, args := a.predicate(orgID)
	q := `SELECT c.id, c.phone_e164, c.name, c.email, c.language, c.attributes::text AS attributes, c.consent_state, c.restricted
		FROM contacts c WHERE ` + where
	if backward {
		q += ` AND c.id < ? ORDER BY c.id DESC LIMIT 1`
	} else {
		q += ` AND c.id > ? ORDER BY c.id LIMIT 1`
	}
	var r sampleRow
	err := tx.Raw(q, append(args, from)...).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return contact.Contact{}, ErrEmptyAudience
	}
	if err != nil {
		return contact.Contact{}, fmt.Errorf("campaign: sample contact: %w", err)
	}
	c := contact.Contact{OrgID: orgID, ID: r.ID, PhoneE164: r.PhoneE164, Name: r.Name, Email: r.Email, Language: r.Language,
		ConsentState: contact.ConsentState(r.ConsentState), Restricted: r.Restricted}
	_ = json.Unmarshal([]byte(r.Attributes), &c.Attributes)
	return c, nil
}

// Failure is one reason a campaign's messages failed, with how many.
type Failure struct {
	Code   int
	Reason string
	N      int64
}

// Failures groups a campaign's failed messages by error (a partial index
// keeps this off the delivered rows).
func (s *Service) Failures(ctx context.Context, orgID, id int64) ([]Failure, error) {
	var out []Failure
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT coalesce(error_code, 0) AS code, max(reason) AS reason, count(*) AS n FROM messages
			WHERE org_id = ? AND campaign_id = ? AND status = 'failed' GROUP BY 1 ORDER BY 3 DESC LIMIT 20`, orgID, id).Scan(&out).Error; err != nil {
			return fmt.Errorf("campaign: failures: %w", err)
		}
		return nil
	})
	return out, err
}

// Recipient is one ledger row of a campaign, for the report's drill-down.
type Recipient struct {
	ContactID int64
	Name      string
	Phone     string
	Status    string
	ErrorCode int
	Reason    string
}

// RecipientStatuses are the ledger statuses the drill-down filters by.
var RecipientStatuses = []string{"queued", "sending", "sent", "delivered", "read", "failed", "unknown", "cancelled"}

// Recipients returns one keyset page of a campaign's recipients in contact
// order (the ledger's (org_id, campaign_id, contact_id) index), optionally
// only those in one status; next is the cursor of the following page, 0
// on the last.
func (s *Service) Recipients(ctx context.Context, orgID, id int64, status string, after int64, limit int) ([]Recipient, int64, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var out []Recipient
	var next int64
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		q := `SELECT m.contact_id, coalesce(c.name, '') AS name, m.to_e164 AS phone, m.status, coalesce(m.error_code, 0) AS error_code, m.reason
			FROM messages m LEFT JOIN contacts c ON c.org_id = m.org_id AND c.id = m.contact_id
			WHERE m.org_id = ? AND m.campaign_id = ? AND m.contact_id > ?`
		args := []any{orgID, id, after}
		if status != "" {
			q += ` AND m.status = ?`
			args = append(args, status)
		}
		q += ` ORDER BY m.contact_id LIMIT ?`
		if err := tx.Raw(q, append(args, limit+1)...).Scan(&out).Error; err != nil {
			return fmt.Errorf("campaign: recipients: %w", err)
		}
		if len(out) > limit {
			out = out[:limit]
			next = out[limit-1].ContactID
		}
		return nil
	})
	return out, next, err
}
