// Package migrate applies the schema (goose files from /migrations, then
// River's own tables) and tells whether a database is current. Servers call
// Check at start and from /readyz, and refuse to serve a stale schema.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"tidings/migrations"
)

// ErrPending means the database schema is behind this binary.
var ErrPending = errors.New("migrate: migrations are pending; run `tidings migrate up`")

// Result says what Up applied.
type Result struct {
	Goose []int64
	River []int
}

// Up applies every pending migration. It must run as the schema owner.
func Up(ctx context.Context, pool *pgxpool.Pool) (Result, error) {
	var res Result
	p, closeDB, err := provider(pool)
	if err != nil {
		return res, err
	}
	defer closeDB()
	applied, err := p.Up(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: schema: %w", err)
	}
	for _, a := range applied {
		res.Goose = append(res.Goose, a.Source.Version)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return res, fmt.Errorf("migrate: river: %w", err)
	}
	rr, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return res, fmt.Errorf("migrate: river: %w", err)
	}
	for _, v := range rr.Versions {
		res.River = append(res.River, v.Version)
	}
	return res, nil
}

// Status describes each schema migration and River's state, for humans.
func Status(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	p, closeDB, err := provider(pool)
	if err != nil {
		return "", err
	}
	defer closeDB()
	st, err := p.Status(ctx)
	if err != nil {
		return "", fmt.Errorf("migrate: status: %w", err)
	}
	var b strings.Builder
	for _, s := range st {
		when := "pending"
		if s.State == goose.StateApplied {
			when = "applied " + s.AppliedAt.Format("2006-01-02 15:04:05 MST")
		}
		fmt.Fprintf(&b, "%05d  %-40s %s\n", s.Source.Version, s.Source.Path, when)
	}
	riverOK, err := riverCurrent(ctx, pool)
	if err != nil {
		return "", err
	}
	if riverOK {
		b.WriteString("river  job tables current\n")
	} else {
		b.WriteString("river  job tables pending\n")
	}
	return b.String(), nil
}

// Check returns ErrPending when anything is left to apply. Any role that
// can read the version tables may call it.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	// goose would try to create its version table on a fresh database,
	// which the runtime role may not do: look for it first.
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("migrate: check: %w", err)
	}
	if !exists {
		return ErrPending
	}
	p, closeDB, err := provider(pool)
	if err != nil {
		return err
	}
	defer closeDB()
	pending, err := p.HasPending(ctx)
	if err != nil {
		if isMissingTable(err) {
			return ErrPending
		}
		return fmt.Errorf("migrate: check: %w", err)
	}
	if pending {
		return ErrPending
	}
	ok, err := riverCurrent(ctx, pool)
	if err != nil {
		return err
	}
	if !ok {
		return ErrPending
	}
	return nil
}

func riverCurrent(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return false, fmt.Errorf("migrate: river: %w", err)
	}
	res, err := m.Validate(ctx, nil)
	if err != nil {
		if isMissingTable(err) {
			return false, nil
		}
		return false, fmt.Errorf("migrate: river validate: %w", err)
	}
	return res.OK, nil
}

func provider(pool *pgxpool.Pool) (*goose.Provider, func(), error) {
	sqlDB := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		_ = sqlDB.Close()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	return p, func() { _ = sqlDB.Close() }, nil
}

// isMissingTable spots a database that has never been migrated.
func isMissingTable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P01" // undefined_table
}

// UpURL connects to url as the schema owner and applies every pending
// migration; its signature fits pgtest's template builder.
func UpURL(ctx context.Context, url string) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	defer pool.Close()
	_, err = Up(ctx, pool)
	return err
}
