package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"tidings/internal/account"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/config"
	"tidings/internal/platform/mail"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/pgboot"
	"tidings/internal/sandbox"
)

// The demo login `tidings dev` creates and prints.
var demo = account.Demo{Email: "demo@tidings.test", Password: "tidings-demo-2026", Name: "Dana Demo",
	Phone: "+447911123456", OrgName: "Demo Bakery"}

// dev runs everything in one process: a project-local PostgreSQL (unless
// DATABASE_URL is set), migrations, the demo data, the web server with the
// mail outbox, and the worker. Ctrl-C stops all of it, the database too.
func dev(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) error {
	if cfg.DatabaseURL == "" {
		cluster, err := pgboot.Start(ctx, pgboot.Options{Dir: filepath.Join(cfg.DataDir, "pg"),
			Logf: func(f string, a ...any) { fmt.Fprintf(out, "postgres: "+f+"\n", a...) }})
		if err != nil {
			return err
		}
		defer func() {
			if err := cluster.Stop(); err != nil {
				log.Error("stopping postgres", "err", err)
			} else {
				fmt.Fprintln(out, "postgres: stopped")
			}
		}()
		urls, err := cluster.EnsureDatabase(ctx, "tidings")
		if err != nil {
			return err
		}
		cfg.DatabaseURL, cfg.DatabaseOwnerURL, cfg.DatabaseOpsURL = urls.App, urls.Owner, urls.Ops
	} else if cfg.DatabaseOwnerURL == "" || cfg.DatabaseOpsURL == "" {
		return errors.New("dev: with DATABASE_URL set, also set DATABASE_OWNER_URL and DATABASE_OPS_URL")
	}
	if len(cfg.SecretKey) == 0 {
		key, err := devSecret(cfg.DataDir, "secret-key", 48)
		if err != nil {
			return err
		}
		cfg.SecretKey = []byte(key)
	}
	if cfg.EncryptionKeys == "" {
		key, err := devSecret(cfg.DataDir, "encryption-key", 32)
		if err != nil {
			return err
		}
		cfg.EncryptionKeys = "dev1:" + key
	}
	if err := migrate.UpURL(ctx, cfg.DatabaseOwnerURL); err != nil {
		return err
	}
	outbox := mail.NewOutbox(clock.System{}, 500)
	a, err := open(ctx, cfg, log, outbox)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.accounts.EnsureDemo(ctx, demo); err != nil {
		return err
	}
	// The WhatsApp sandbox stands in for Meta, on the same port under /sandbox.
	sb := sandbox.New(sandbox.DefaultConfig(), log.With("component", "sandbox"))
	sbCtx, stopSandbox := context.WithCancel(context.WithoutCancel(ctx))
	defer func() { stopSandbox(); sb.Wait() }()
	sb.Start(sbCtx)
	demoUser, demoOrg, err := a.accounts.DemoIDs(ctx, demo.Email)
	if err != nil {
		return err
	}
	if err := a.connectDemoToSandbox(ctx, sb, demoOrg, demoUser); err != nil {
		return err
	}
	if err := a.seedDemoContacts(ctx, demoOrg, demoUser); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("dev: listen on %s (set LISTEN_ADDR to use another port): %w", cfg.ListenAddr, err)
	}
	base := cfg.BaseURL.String()
	fmt.Fprintf(out, "\nTidings is running at %s\n  log in as %s / %s\n  e-mails it sends appear at %s/dev/outbox\n  the WhatsApp sandbox's fake phone is at %s%s/_sandbox/phone\n  press Ctrl-C to stop\n\n",
		base, demo.Email, demo.Password, base, base, sandboxPrefix)

	var wg sync.WaitGroup
	errs := make([]error, 2)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	mount := func(h http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle(sandboxPrefix+"/", http.StripPrefix(sandboxPrefix, sb.Handler()))
		mux.Handle("/", h)
		return mux
	}
	wg.Go(func() { errs[0] = a.serveHTTP(runCtx, outbox, ln, mount, sandboxPrefix+"/_sandbox/phone"); cancel() })
	wg.Go(func() { errs[1] = a.runWorker(runCtx); cancel() })
	wg.Wait()
	return errors.Join(errs...)
}

// devSecret keeps one random secret of n bytes per checkout (base64), so
// sessions and sealed values survive restarts of `tidings dev`.
func devSecret(dir, name string, n int) (string, error) {
	path := filepath.Join(dir, name)
	if b, err := os.ReadFile(path); err == nil {
		if key := strings.TrimSpace(string(b)); len(key) >= 32 {
			return key, nil
		}
	}
	raw := make([]byte, n)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	key := base64.StdEncoding.EncodeToString(raw)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("dev: %w", err)
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("dev: %w", err)
	}
	return key, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
