// Command tidings runs every part of Tidings: the web server, the worker,
// migrations, and `dev`, which runs everything in one process against a
// project-local PostgreSQL. This package only wires parts together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // time zones must resolve in a minimal container image

	"tidings/internal/platform/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Tidings: WhatsApp campaigns with privacy built in.

Usage:
  tidings dev              run web, worker and a local PostgreSQL in one process (development)
  tidings serve            run the web server
  tidings worker           run the background worker
  tidings migrate up       apply pending database migrations (as the schema owner)
  tidings migrate status   list migrations and whether they are applied
  tidings sandbox          run the local WhatsApp Cloud API sandbox alone (SANDBOX_ADDR, default 127.0.0.1:8090)
  tidings version          print the version

Configuration comes from environment variables; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tidings:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return withConfig(config.ModeServe, stderr, func(cfg config.Config, log *slog.Logger) error { return serve(ctx, cfg, log) })
	case "worker":
		return withConfig(config.ModeWorker, stderr, func(cfg config.Config, log *slog.Logger) error { return work(ctx, cfg, log) })
	case "dev":
		return withConfig(config.ModeDev, stderr, func(cfg config.Config, log *slog.Logger) error { return dev(ctx, cfg, log, stdout) })
	case "migrate":
		sub := ""
		if len(args) > 1 {
			sub = args[1]
		}
		return withConfig(config.ModeMigrate, stderr, func(cfg config.Config, log *slog.Logger) error {
			return migrateCmd(ctx, cfg, sub, stdout)
		})
	case "sandbox":
		return runSandbox(ctx, newLogger("info", stderr), stdout)
	case "version":
		fmt.Fprintln(stdout, "tidings", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func withConfig(mode config.Mode, logOut io.Writer, fn func(config.Config, *slog.Logger) error) error {
	cfg, err := config.FromOS(mode)
	if err != nil {
		return err
	}
	cfg.Version = version
	return fn(cfg, newLogger(cfg.LogLevel, logOut))
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
