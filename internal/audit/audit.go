// Package audit appends to the organisation's audit log. Entries are never
// updated or deleted by the application (the runtime roles lack the grant);
// they hold ids and actions, not personal data.
package audit

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"gorm.io/gorm"
)

// Entry is one thing that happened in an organisation.
type Entry struct {
	OrgID   int64
	ActorID int64 // zero for the system
	Action  string
	Target  string
	Detail  map[string]any
	IP      netip.Addr
	At      time.Time
}

type row struct {
	OrgID       int64
	ID          int64 `gorm:"primaryKey;autoIncrement"`
	ActorUserID *int64
	Action      string
	Target      string
	Detail      string  `gorm:"type:jsonb"`
	IP          *string `gorm:"type:inet"`
	At          time.Time
}

func (row) TableName() string { return "audit_log" }

// Record appends e inside tx, which must be bound to e.OrgID.
func Record(tx *gorm.DB, e Entry) error {
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("audit: detail: %w", err)
		}
	}
	r := row{OrgID: e.OrgID, Action: e.Action, Target: e.Target, Detail: string(detail), At: e.At}
	if e.ActorID > 0 {
		r.ActorUserID = &e.ActorID
	}
	if e.IP.IsValid() {
		s := e.IP.String()
		r.IP = &s
	}
	if err := tx.Create(&r).Error; err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}
