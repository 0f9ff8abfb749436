package template

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"tidings/internal/audit"
	"tidings/internal/whatsapp"
)

// Create checks in against Meta's rules, submits it for review and stores
// it as PENDING. Review is asynchronous: the outcome arrives as a status
// webhook (internal/delivery applies it) or with the next Sync.
//
// It returns FieldErrors for anything Meta's rules forbid (nothing is sent
// then), ErrNotConnected without a number, and *RefusedError when Meta
// refuses the submission.
func (s *Service) Create(ctx context.Context, orgID, userID int64, in Input) (Template, error) {
	in.clean()
	nt, fe := build(in)
	if fe != nil {
		return Template{}, fe
	}
	conn, token, client, err := s.connect(ctx, orgID, userID)
	if err != nil {
		return Template{}, err
	}
	// A name is unique per language in an account: say so next to the
	// field rather than as Meta's error.
	var dup int64
	err = s.db.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT count(*) FROM wa_templates WHERE org_id = ? AND connection_id = ? AND name = ? AND language = ? AND status <> ?`,
			orgID, conn.ID, nt.Name, nt.Language, StatusDeleted).Scan(&dup).Error
	})
	if err != nil {
		return Template{}, fmt.Errorf("template: create: %w", err)
	}
	if dup > 0 {
		return Template{}, FieldErrors{"name": "You already have a template called " + nt.Name + " in this language. Choose another name."}
	}

	created, err := client.CreateTemplate(ctx, token, conn.WABAID, nt)
	if err != nil {
		if ae, ok := errors.AsType[*whatsapp.APIError](err); ok && ae.Subcode == 2388024 {
			return Template{}, FieldErrors{"name": "Your WhatsApp account already has a template called " + nt.Name + " in this language. Choose another name, or sync your templates."}
		}
		return Template{}, refused("accept the template", err)
	}
	comps, err := json.Marshal(nt.Components)
	if err != nil {
		return Template{}, fmt.Errorf("template: create: %w", err)
	}
	status := strings.ToUpper(created.Status)
	if status == "" {
		status = StatusPending
	}
	category := strings.ToUpper(created.Category)
	if category == "" {
		category = nt.Category
	}
	now := s.clock.Now()
	var id int64
	err = s.db.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		// A sync or webhook may have stored it already (review can be
		// quick): the submission's details win, its status only if newer
		// news has not arrived.
		if err := tx.Raw(`INSERT INTO wa_templates (org_id, connection_id, meta_id, name, language, category, status, components,
				created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?)
			ON CONFLICT (org_id, connection_id, name, language) DO UPDATE SET
				meta_id = EXCLUDED.meta_id, components = EXCLUDED.components, created_by = EXCLUDED.created_by,
				status = CASE WHEN wa_templates.meta_id = EXCLUDED.meta_id THEN wa_templates.status ELSE EXCLUDED.status END
			RETURNING id`,
			orgID, conn.ID, created.ID, nt.Name, nt.Language, category, status, string(comps), userID, now, now).Scan(&id).Error; err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "template.create",
			Target: "wa_template:" + strconv.FormatInt(id, 10), Detail: map[string]any{"name": nt.Name, "language": nt.Language, "category": category}, At: now})
	})
	if err != nil {
		return Template{}, fmt.Errorf("template: store %s: %w", nt.Name, err)
	}
	s.log.InfoContext(ctx, "template submitted", "org_id", orgID, "template_id", id, "meta_id", created.ID, "status", status)
	return s.Get(ctx, orgID, id)
}
