package contact

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
)

// TestImportThroughRiver runs an import the way production does: the web
// side confirms it (enqueueing in its transaction), a River worker picks
// the job up and runs it.
func TestImportThroughRiver(t *testing.T) {
	e := setup(t)
	sqlDB, err := e.tenant.Conn().Gorm.DB()
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	inserter, err := river.NewClient[*sql.Tx](riverdatabasesql.New(sqlDB), &river.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(e.tenant, inserter, e.clock, quiet, Options{UploadDir: e.dir})
	workers := river.NewWorkers()
	river.AddWorker(workers, &ImportWorker{Service: svc})
	worker, err := river.NewClient[pgx.Tx](riverpgxv5.New(e.ops.Pool), &river.Config{
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}}, Workers: workers, Logger: quiet,
		FetchPollInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = worker.Stop(ctx)
	})
	im, pv, err := svc.CreateImport(e.ctx, e.orgA, e.user, "r.csv", strings.NewReader("phone,name\n07911 100001,Ann\n07911 100002,Ben\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ConfirmImport(e.ctx, e.orgA, e.user, im.ID, ImportSettings{Columns: pv.Guess, HasHeader: true, DefaultCountry: "GB", Mode: ModeAddNew}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := svc.GetImport(e.ctx, e.orgA, im.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Done() {
			if got.Status != StatusFinished || got.Counts.Imported != 2 {
				t.Fatalf("import ended %s %+v %s", got.Status, got.Counts, got.Error)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("import still %s after 30 s", got.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var args string
	if err := e.ops.Gorm.Raw(`SELECT args::text FROM river_job WHERE kind = 'contact_import'`).Scan(&args).Error; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(args, "7911") || strings.Contains(args, "Ann") {
		t.Errorf("job arguments hold personal data: %s", args)
	}
}
