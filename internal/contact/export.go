package contact

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"tidings/internal/audit"
)

// Neutralise makes a cell safe to open in a spreadsheet: a cell starting
// with = + - @ TAB or CR would run as a formula, so it gets a leading '
// (OWASP "CSV injection"). Phone numbers in E.164 start with + and so come
// out as '+447911123456, which spreadsheets show as the number.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func writeSafe(w *csv.Writer, rec []string) error {
	for i, c := range rec {
		rec[i] = Neutralise(c)
	}
	if err := w.Write(rec); err != nil {
		return fmt.Errorf("contact: write csv: %w", err)
	}
	return nil
}

// Export writes the contacts matching f as CSV, newest first, streaming
// (memory stays flat for any number of contacts). Restricted contacts are
// left out (PRIVACY.md: restriction excludes a contact from exports). The
// export is audited.
func (s *Service) Export(ctx context.Context, orgID, userID int64, f Filter, w io.Writer) (int64, error) {
	var n int64
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL statement_timeout = 0`).Error; err != nil {
			return fmt.Errorf("contact: export: %w", err)
		}
		notRestricted := false
		f.Restricted = &notRestricted
		args := map[string]any{}
		where, err := f.where(tx, orgID, args)
		if err != nil {
			return err
		}
		var keys []string
		if err := tx.Raw(`SELECT DISTINCT k FROM contacts c, jsonb_object_keys(c.attributes) k WHERE `+where+` ORDER BY k`, args).Scan(&keys).Error; err != nil {
			return fmt.Errorf("contact: export: %w", err)
		}
		cw := csv.NewWriter(w)
		head := []string{"phone", "name", "email", "language", "tags", "lists", "consent", "created_at"}
		for _, k := range keys {
			head = append(head, "attr:"+k)
		}
		if err := writeSafe(cw, slices.Clone(head)); err != nil {
			return err
		}
		rows, err := tx.Raw(`SELECT c.phone_e164, c.name, c.email, c.language, to_json(c.tags), c.consent_state, c.created_at, c.attributes,
				(SELECT coalesce(json_agg(l.name ORDER BY lower(l.name)), '[]') FROM contact_list_members m
				 JOIN contact_lists l ON l.org_id = m.org_id AND l.id = m.list_id
				 WHERE m.org_id = c.org_id AND m.contact_id = c.id)
			FROM contacts c WHERE `+where+` ORDER BY c.id DESC`, args).Rows()
		if err != nil {
			return fmt.Errorf("contact: export: %w", err)
		}
		defer rows.Close()
		rec := make([]string, len(head))
		for rows.Next() {
			var phone, name, email, lang, consent string
			var tags, lists jsonStrings
			var attrs jsonMap
			var created time.Time
			if err := rows.Scan(&phone, &name, &email, &lang, &tags, &consent, &created, &attrs, &lists); err != nil {
				return fmt.Errorf("contact: export: %w", err)
			}
			rec = append(rec[:0], phone, name, email, lang, strings.Join(tags, ", "), strings.Join(lists, ", "), consent, created.UTC().Format(time.RFC3339))
			for _, k := range keys {
				rec = append(rec, attrs[k])
			}
			if err := writeSafe(cw, rec); err != nil {
				return err
			}
			n++
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("contact: export: %w", err)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("contact: export: %w", err)
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "contact.export",
			Detail: map[string]any{"count": n, "filter": f.describe()}, At: s.clock.Now()})
	})
	return n, err
}
