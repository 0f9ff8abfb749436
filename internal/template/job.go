package template

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"tidings/internal/platform/db"
)

// SyncInterval is how often every connected org's templates are synced.
// Status webhooks carry most changes at once; the periodic sync catches
// what they don't (quality scores, templates made in WhatsApp Manager,
// webhooks lost while a connection was misconfigured).
const SyncInterval = 30 * time.Minute

// SyncArgs is the periodic job: no arguments.
type SyncArgs struct{}

// Kind names the job for River.
func (SyncArgs) Kind() string { return "template_sync" }

// SyncWorker syncs the templates of every org with a working connection.
type SyncWorker struct {
	river.WorkerDefaults[SyncArgs]
	Service *Service
	// Ops lists the connected orgs (a cross-tenant read).
	Ops *db.Privileged
}

// Work runs one pass. One org's failure (a revoked token, Meta down) is
// logged and does not stop the others.
func (w *SyncWorker) Work(ctx context.Context, _ *river.Job[SyncArgs]) error {
	var orgs []int64
	err := w.Ops.Tx(ctx, "template sync: list connected orgs", func(tx *gorm.DB) error {
		return tx.Raw(`SELECT c.org_id FROM wa_connections c JOIN orgs o ON o.id = c.org_id
			WHERE c.stopped_at IS NULL ORDER BY c.org_id`).Scan(&orgs).Error
	})
	if err != nil {
		return fmt.Errorf("template: periodic sync: %w", err)
	}
	var failed int
	for _, org := range orgs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := w.Service.Sync(ctx, org, 0); err != nil && !errors.Is(err, ErrNotConnected) {
			failed++
			w.Service.log.WarnContext(ctx, "template sync failed", "org_id", org, "err", err)
		}
	}
	w.Service.log.InfoContext(ctx, "template sync done", "orgs", len(orgs), "failed", failed)
	return nil
}

// Periodic is the schedule to register with the River client.
func Periodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(SyncInterval),
		func() (river.JobArgs, *river.InsertOpts) { return SyncArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
