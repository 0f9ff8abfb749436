package migrate_test

import (
	"context"
	"errors"
	"testing"

	"tidings/internal/platform/db"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, url string) *db.Conn {
	t.Helper()
	c, err := db.Open(context.Background(), url, db.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// A fresh database is pending for the runtime role; Up as the owner makes
// it current; a second Up applies nothing.
func TestCheckUpAndIdempotence(t *testing.T) {
	ctx := context.Background()
	d := pgtest.New(t, "empty", func(context.Context, string) error { return nil })
	app, owner := open(t, d.AppURL), open(t, d.OwnerURL)
	if err := migrate.Check(ctx, app.Pool); !errors.Is(err, migrate.ErrPending) {
		t.Fatalf("Check on an empty database = %v, want ErrPending", err)
	}
	res, err := migrate.Up(ctx, owner.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Goose) == 0 || len(res.River) == 0 {
		t.Fatalf("Up applied %v", res)
	}
	if err := migrate.Check(ctx, app.Pool); err != nil {
		t.Fatalf("Check after Up as the runtime role = %v", err)
	}
	again, err := migrate.Up(ctx, owner.Pool)
	if err != nil || len(again.Goose)+len(again.River) != 0 {
		t.Fatalf("second Up applied %v, %v", again, err)
	}
	st, err := migrate.Status(ctx, owner.Pool)
	if err != nil || st == "" {
		t.Fatalf("Status = %q, %v", st, err)
	}
}

// Removing the newest applied version makes the schema look stale, as a
// new binary with an unapplied file would see it.
func TestCheckSeesPendingFile(t *testing.T) {
	ctx := context.Background()
	d := pgtest.New(t, "empty", func(context.Context, string) error { return nil })
	app, owner := open(t, d.AppURL), open(t, d.OwnerURL)
	if _, err := migrate.Up(ctx, owner.Pool); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Pool.Exec(ctx, `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	if err := migrate.Check(ctx, app.Pool); !errors.Is(err, migrate.ErrPending) {
		t.Fatalf("Check with a version missing = %v, want ErrPending", err)
	}
}
