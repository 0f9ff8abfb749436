package campaign

import (
	"context"
	"encoding/json"
	"time"

	"github.com/riverqueue/river"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// TickInterval is how often the scheduler runs: scheduled campaigns start
// and sending hours open or close within this much of their time.
const TickInterval = 15 * time.Second

// TickArgs is the scheduler's periodic job: no arguments.
type TickArgs struct{}

// Kind names the job for River.
func (TickArgs) Kind() string { return "campaign_tick" }

// TickWorker runs Tick.
type TickWorker struct {
	river.WorkerDefaults[TickArgs]
	Service *Service
}

// Work runs one scheduler pass.
func (w *TickWorker) Work(ctx context.Context, _ *river.Job[TickArgs]) error {
	return w.Service.Tick(ctx)
}

// Periodic is the scheduler's schedule, to register with the River client.
func Periodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(TickInterval),
		func() (river.JobArgs, *river.InsertOpts) { return TickArgs{}, &river.InsertOpts{MaxAttempts: 1} },
		&river.PeriodicJobOpts{RunOnStart: true})
}
