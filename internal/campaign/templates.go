package campaign

import (
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"tidings/internal/whatsapp"
)

// Template is a message template as a campaign needs it.
//
// This file is the one place campaigns read wa_templates. It reads the table
// inside the campaign's own transaction rather than through
// internal/template's service, whose calls open transactions of their own;
// internal/template owns the rows (sync, create, status webhooks).
type Template struct {
	ID           int64
	ConnectionID int64
	Status       string // APPROVED, PENDING, …
	Quality      string
	whatsapp.Template
}

// Approved reports whether Meta will send it.
func (t Template) Approved() bool { return t.Status == "APPROVED" }

type templateRow struct {
	ID           int64
	ConnectionID int64
	MetaID       string
	Name         string
	Language     string
	Category     string
	Status       string
	Quality      string
	Components   string
}

func (r templateRow) model() (Template, error) {
	t := Template{ID: r.ID, ConnectionID: r.ConnectionID, Status: r.Status, Quality: r.Quality,
		Template: whatsapp.Template{ID: r.MetaID, Name: r.Name, Language: r.Language, Status: r.Status, Category: r.Category}}
	if r.Components != "" {
		if err := json.Unmarshal([]byte(r.Components), &t.Components); err != nil {
			return t, fmt.Errorf("campaign: template %d components: %w", r.ID, err)
		}
	}
	return t, nil
}

const templateCols = `id, connection_id, meta_id, name, language, category, status, quality, components::text AS components`

// loadTemplate reads one of the org's templates; ErrNotFound if none.
func loadTemplate(tx *gorm.DB, orgID, id int64) (Template, error) {
	var r templateRow
	err := tx.Raw(`SELECT `+templateCols+` FROM wa_templates WHERE org_id = ? AND id = ?`, orgID, id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Template{}, ErrNotFound
	}
	if err != nil {
		return Template{}, fmt.Errorf("campaign: load template: %w", err)
	}
	return r.model()
}

// listTemplates reads the org's templates, approved first.
func listTemplates(tx *gorm.DB, orgID int64) ([]Template, error) {
	var rows []templateRow
	if err := tx.Raw(`SELECT `+templateCols+` FROM wa_templates WHERE org_id = ? AND status <> 'DELETED'
		ORDER BY status <> 'APPROVED', lower(name), language`, orgID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("campaign: list templates: %w", err)
	}
	out := make([]Template, 0, len(rows))
	for _, r := range rows {
		t, err := r.model()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
