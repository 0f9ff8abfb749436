// Command withdb runs a command with TEST_DATABASE_URL pointing at a fresh
// throw-away PostgreSQL cluster, then stops and removes the cluster. `make
// test` uses it so every test binary shares one server (and its template
// databases) instead of starting one each. When TEST_DATABASE_URL is
// already set it just runs the command.
//
//	go run ./internal/platform/pgtest/withdb -- go test ./...
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"tidings/internal/platform/pgboot"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: withdb -- command [args…]")
		os.Exit(2)
	}
	os.Exit(run(args))
}

func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		dir, err := os.MkdirTemp("", "tidings-test-pg-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "withdb:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		cluster, err := pgboot.Start(ctx, pgboot.Options{Dir: dir, Fast: true,
			Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, "withdb: "+f+"\n", a...) }})
		if err != nil {
			fmt.Fprintln(os.Stderr, "withdb:", err)
			return 1
		}
		defer func() {
			if err := cluster.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "withdb: stop:", err)
			}
		}()
		os.Setenv("TEST_DATABASE_URL", cluster.SuperuserURL)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "withdb:", err)
		return 1
	}
	return 0
}
