package main

import (
	"context"
	"fmt"
	"io"

	"tidings/internal/platform/config"
	"tidings/internal/platform/db"
	"tidings/internal/platform/migrate"
)

func migrateCmd(ctx context.Context, cfg config.Config, sub string, out io.Writer) error {
	conn, err := db.Open(ctx, cfg.DatabaseOwnerURL, db.Options{MaxConns: 2, AppName: "tidings-migrate"})
	if err != nil {
		return err
	}
	defer conn.Close()
	switch sub {
	case "up":
		res, err := migrate.Up(ctx, conn.Pool)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "applied %d schema and %d job-queue migrations\n", len(res.Goose), len(res.River))
		return nil
	case "status":
		st, err := migrate.Status(ctx, conn.Pool)
		if err != nil {
			return err
		}
		fmt.Fprint(out, st)
		return nil
	}
	return fmt.Errorf("migrate: say `up` or `status`, not %q", sub)
}
