package maintenance_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"tidings/internal/maintenance"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/db"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/pgtest"
	"tidings/internal/platform/ratelimit"
	"tidings/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestPrunesWhatIsPastRetention(t *testing.T) {
	ctx := context.Background()
	d := pgtest.New(t, migrations.Key(), migrate.UpURL)
	conn, err := db.Open(ctx, d.OpsURL, db.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO webhook_inbox (webhook_key, body, received_at, processed_at) VALUES
			('k', 'old', $1::timestamptz - interval '8 days', $1::timestamptz - interval '8 days'),
			('k', 'old but pending', $1::timestamptz - interval '8 days', NULL),
			('k', 'recent', $1::timestamptz - interval '1 day', $1::timestamptz - interval '1 day')`,
		`INSERT INTO rate_events (bucket, key, at) VALUES ('b', 'k', $1::timestamptz - interval '2 days'), ('b', 'k', $1::timestamptz)`,
	} {
		if _, err := conn.Pool.Exec(ctx, q, now); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := &maintenance.Worker{Ops: db.NewPrivileged(conn, log), Limiter: ratelimit.New(conn.Pool, clock.NewFake(now), []byte("k")),
		Clock: clock.NewFake(now), Log: log, Uploads: &fakeSweeper{}}
	if err := w.Work(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if w.Uploads.(*fakeSweeper).calls != 1 {
		t.Error("abandoned uploads were not swept")
	}
	var bodies []string
	rows, _ := conn.Pool.Query(ctx, `SELECT convert_from(body, 'UTF8') FROM webhook_inbox ORDER BY id`)
	for rows.Next() {
		var b string
		_ = rows.Scan(&b)
		bodies = append(bodies, b)
	}
	if len(bodies) != 2 || bodies[0] != "old but pending" || bodies[1] != "recent" {
		t.Errorf("webhook bodies left: %v", bodies)
	}
	var events int
	_ = conn.Pool.QueryRow(ctx, `SELECT count(*) FROM rate_events`).Scan(&events)
	if events != 1 {
		t.Errorf("rate events left: %d, want 1", events)
	}
}

type fakeSweeper struct{ calls int }

func (f *fakeSweeper) SweepAbandonedUploads(context.Context, *db.Privileged) (int, error) {
	f.calls++
	return 0, nil
}
