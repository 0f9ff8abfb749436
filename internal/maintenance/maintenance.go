// Package maintenance holds the worker's periodic housekeeping: pruning
// rate-limit events, sessions long past their end, raw webhook bodies
// past their retention, and contact uploads never confirmed. It runs as a River
// periodic job, so with many workers it still runs once per interval.
package maintenance

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"tidings/internal/platform/clock"
	"tidings/internal/platform/db"
	"tidings/internal/platform/ratelimit"
)

// Interval between runs.
const Interval = 10 * time.Minute

// How long ended sessions are kept, for the "recent sessions" view and
// investigations, before they are deleted.
const endedSessionRetention = 30 * 24 * time.Hour

// WebhookRetention is how long processed raw webhook bodies are kept: they
// hold phone numbers and names, and once applied only serve debugging.
// (Per-org retention settings come with the privacy features.)
const WebhookRetention = 7 * 24 * time.Hour

// Args is the job: no arguments.
type Args struct{}

// Kind names the job for River.
func (Args) Kind() string { return "maintenance" }

// UploadSweeper ends contact imports whose upload was never confirmed and
// deletes their files (contact.Service).
type UploadSweeper interface {
	SweepAbandonedUploads(ctx context.Context, ops *db.Privileged) (int, error)
}

// Worker prunes old rows.
type Worker struct {
	river.WorkerDefaults[Args]
	Ops     *db.Privileged
	Limiter *ratelimit.Limiter
	Clock   clock.Clock
	Log     *slog.Logger
	Uploads UploadSweeper // optional
}

// Work runs one pass.
func (w *Worker) Work(ctx context.Context, _ *river.Job[Args]) error {
	n, err := w.Limiter.Prune(ctx, 24*time.Hour)
	if err != nil {
		return err
	}
	cutoff := w.Clock.Now().Add(-endedSessionRetention)
	res := w.Ops.Conn().Gorm.WithContext(ctx).
		Exec(`DELETE FROM sessions WHERE coalesce(revoked_at, expires_at) < ?`, cutoff)
	if res.Error != nil {
		return fmt.Errorf("maintenance: prune sessions: %w", res.Error)
	}
	hooks := w.Ops.Conn().Gorm.WithContext(ctx).
		Exec(`DELETE FROM webhook_inbox WHERE processed_at IS NOT NULL AND received_at < ?`, w.Clock.Now().Add(-WebhookRetention))
	if hooks.Error != nil {
		return fmt.Errorf("maintenance: prune webhook bodies: %w", hooks.Error)
	}
	var uploads int
	if w.Uploads != nil {
		if uploads, err = w.Uploads.SweepAbandonedUploads(ctx, w.Ops); err != nil {
			return fmt.Errorf("maintenance: %w", err)
		}
	}
	w.Log.InfoContext(ctx, "maintenance done", "rate_events_pruned", n, "sessions_pruned", res.RowsAffected,
		"webhook_bodies_pruned", hooks.RowsAffected, "abandoned_uploads", uploads)
	return nil
}

// Periodic is the schedule to register with the River client.
func Periodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(Interval),
		func() (river.JobArgs, *river.InsertOpts) { return Args{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
