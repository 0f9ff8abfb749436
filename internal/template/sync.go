package template

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"tidings/internal/audit"
	"tidings/internal/whatsapp"
)

// SyncResult says what a sync changed.
type SyncResult struct {
	// Seen is how many templates Meta listed; Gone how many stored ones
	// are no longer there (marked DELETED).
	Seen, Gone int
}

// Sync copies every template of the org's WhatsApp Business Account into
// wa_templates: new ones are added, known ones updated (matched by name and
// language, which Meta keeps unique per account), and ones Meta no longer
// lists are marked DELETED rather than removed, so campaigns that used them
// still name them. userID is who asked (0 for the periodic job).
func (s *Service) Sync(ctx context.Context, orgID, userID int64) (SyncResult, error) {
	conn, token, client, err := s.connect(ctx, orgID, userID)
	if err != nil {
		return SyncResult{}, err
	}
	list, err := client.AllTemplates(ctx, token, conn.WABAID, whatsapp.ListTemplatesOptions{Fields: whatsapp.SyncTemplateFields, Limit: 100})
	if err != nil {
		return SyncResult{}, refused("list the templates", err)
	}
	now := s.clock.Now()
	res := SyncResult{Seen: len(list)}
	err = s.db.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		ids := make([]string, 0, len(list))
		for _, t := range list {
			comps, err := json.Marshal(t.Components)
			if err != nil {
				return err
			}
			if t.Components == nil {
				comps = []byte("[]")
			}
			quality := ""
			if t.QualityScore != nil {
				quality = strings.ToUpper(t.QualityScore.Score)
			}
			ids = append(ids, t.ID)
			// A template deleted and re-created at Meta under the same name
			// gets a new id: the name and language are the key.
			if err := tx.Exec(`INSERT INTO wa_templates (org_id, connection_id, meta_id, name, language, category, sub_category,
					status, quality, reason, components, synced_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?)
				ON CONFLICT (org_id, connection_id, name, language) DO UPDATE SET
					meta_id = EXCLUDED.meta_id, category = EXCLUDED.category, sub_category = EXCLUDED.sub_category,
					status = EXCLUDED.status, quality = EXCLUDED.quality, reason = EXCLUDED.reason,
					components = EXCLUDED.components, synced_at = EXCLUDED.synced_at,
					updated_at = CASE WHEN (wa_templates.meta_id, wa_templates.category, wa_templates.status, wa_templates.quality,
						wa_templates.reason, wa_templates.components) IS DISTINCT FROM (EXCLUDED.meta_id, EXCLUDED.category,
						EXCLUDED.status, EXCLUDED.quality, EXCLUDED.reason, EXCLUDED.components)
						THEN EXCLUDED.updated_at ELSE wa_templates.updated_at END`,
				orgID, conn.ID, t.ID, t.Name, t.Language, strings.ToUpper(t.Category), t.SubCategory,
				strings.ToUpper(t.Status), quality, reason(t.RejectedReason), string(comps), now, now, now).Error; err != nil {
				return fmt.Errorf("template: sync %s/%s: %w", t.Name, t.Language, err)
			}
		}
		gone := tx.Exec(`UPDATE wa_templates SET status = ?, synced_at = ?, updated_at = ?
			WHERE org_id = ? AND status <> ? AND NOT (meta_id = ANY (?::text[]))`,
			StatusDeleted, now, now, orgID, StatusDeleted, textArray(ids))
		if gone.Error != nil {
			return fmt.Errorf("template: mark deleted: %w", gone.Error)
		}
		res.Gone = int(gone.RowsAffected)
		if userID == 0 {
			return nil
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "template.sync",
			Target: "org", Detail: map[string]any{"seen": res.Seen, "gone": res.Gone}, At: now})
	})
	if err != nil {
		return SyncResult{}, fmt.Errorf("template: sync: %w", err)
	}
	return res, nil
}

// reason drops Meta's "NONE".
func reason(r string) string {
	if strings.EqualFold(r, "NONE") {
		return ""
	}
	return r
}

// textArray is a Postgres text[] literal.
func textArray(v []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}
