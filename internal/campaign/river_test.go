package campaign

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"tidings/internal/platform/db"
)

// TestFreezeAndTickThroughRiver runs the jobs the way the worker does:
// Start enqueues the freeze job in its transaction (through the web
// process's database/sql insert client), a River worker freezes the rest;
// the periodic scheduler job starts a due campaign.
func TestFreezeAndTickThroughRiver(t *testing.T) {
	e := setup(t, Options{})
	s := e.seed()
	sqlDB, err := e.tenant.Conn().Gorm.DB()
	e.must(err)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	inserter, err := river.NewClient[*sql.Tx](riverdatabasesql.New(sqlDB), &river.Config{Logger: quiet})
	e.must(err)
	svc := NewService(e.tenant, db.NewPrivileged(e.ops, quiet), inserter, e.clock, quiet, Options{FirstChunk: 4, Chunk: 5})
	workers := river.NewWorkers()
	river.AddWorker(workers, &FreezeWorker{Service: svc})
	river.AddWorker(workers, &TickWorker{Service: svc})
	worker, err := river.NewClient[pgx.Tx](riverpgxv5.New(e.ops.Pool), &river.Config{
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}}, Workers: workers, Logger: quiet,
		FetchPollInterval: 100 * time.Millisecond, PeriodicJobs: []*river.PeriodicJob{Periodic()},
	})
	e.must(err)
	e.must(worker.Start(e.ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = worker.Stop(ctx)
	})
	waitFor := func(what string, id int64, ok func(Campaign) bool) Campaign {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			c, err := svc.Get(e.ctx, e.orgA, id)
			e.must(err)
			if ok(c) {
				return c
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %+v after 30 s", what, c)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	c := e.draft(s)
	_, err = svc.Start(e.ctx, e.orgA, e.user, c.ID)
	e.must(err)
	got := waitFor("freeze", c.ID, func(c Campaign) bool { return c.Frozen })
	if got.Recipients != 11 || got.SkippedTotal() != 14 || got.Status != StatusRunning {
		t.Errorf("frozen through River: %+v", got)
	}
	var args string
	e.must(e.ops.Gorm.Raw(`SELECT string_agg(args::text, ' ') FROM river_job WHERE kind = 'campaign_freeze'`).Scan(&args).Error)
	if args == "" || strings.Contains(args, "+44") || strings.Contains(args, "Ann") {
		t.Errorf("freeze job arguments: %q", args)
	}

	// Scheduled a minute ago (by the fake clock): the periodic job starts it.
	c2 := e.draft(s)
	_, err = svc.Schedule(e.ctx, e.orgA, e.user, c2.ID, e.clock.Now().Add(time.Minute))
	e.must(err)
	e.clock.Advance(2 * time.Minute)
	// The periodic job runs on start and every TickInterval; a manual
	// insert stands in for the next tick so the test need not wait 15 s.
	_, err = worker.Insert(e.ctx, TickArgs{}, nil)
	e.must(err)
	waitFor("scheduled start", c2.ID, func(c Campaign) bool { return c.Status == StatusRunning && c.Frozen })
}
