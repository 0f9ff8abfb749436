package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"tidings/internal/account"
	"tidings/internal/campaign"
	"tidings/internal/connection"
	"tidings/internal/contact"
	"tidings/internal/delivery"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/config"
	"tidings/internal/platform/db"
	"tidings/internal/platform/mail"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/ratelimit"
	"tidings/internal/platform/secretbox"
	"tidings/internal/template"
	"tidings/web"
	"tidings/web/paths"
)

// app is the set of parts a web or worker process shares.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	appConn  *db.Conn
	opsConn  *db.Conn
	tenant   *db.Tenant
	ops      *db.Privileged
	accounts *account.Service
	conns    *connection.Service
	contacts *contact.Service
	inbox    *delivery.Inbox
	mail     mail.Sender
	registry *prometheus.Registry

	campaigns *campaign.Service
}

// open connects both roles, refuses a stale schema, and builds services.
func open(ctx context.Context, cfg config.Config, log *slog.Logger, sender mail.Sender) (*app, error) {
	appConn, err := db.Open(ctx, cfg.DatabaseURL, db.Options{MaxConns: cfg.DatabaseMaxConns, StatementTimeout: 30 * time.Second, AppName: "tidings-web"})
	if err != nil {
		return nil, err
	}
	opsConn, err := db.Open(ctx, cfg.DatabaseOpsURL, db.Options{MaxConns: max(cfg.DatabaseMaxConns/2, 4), StatementTimeout: 5 * time.Minute, AppName: "tidings-ops"})
	if err != nil {
		appConn.Close()
		return nil, err
	}
	if err := migrate.Check(ctx, appConn.Pool); err != nil {
		appConn.Close()
		opsConn.Close()
		return nil, err
	}
	c := clock.System{}
	if sender == nil {
		if sender, err = mail.New(cfg.Mail, c); err != nil {
			return nil, err
		}
	}
	a := &app{cfg: cfg, log: log, appConn: appConn, opsConn: opsConn, mail: sender, registry: prometheus.NewRegistry()}
	a.tenant = db.NewTenant(appConn)
	a.ops = db.NewPrivileged(opsConn, log)
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	limiter := ratelimit.New(appConn.Pool, c, cfg.SecretKey)
	a.accounts = account.NewService(a.tenant, a.ops, c, sender, limiter, log, account.Options{
		BaseURL: cfg.BaseURL, SessionIdle: cfg.SessionIdleTimeout, SessionMaxAge: cfg.SessionMaxAge,
		VerifyPath: paths.VerifyEmail, ResetPath: paths.ResetPassword, InvitePath: paths.AcceptInvite, LoginPath: paths.Login,
	})
	keys, err := secretbox.ParseKeys(cfg.EncryptionKeys)
	if err != nil {
		a.close()
		return nil, err
	}
	box, err := secretbox.New(keys)
	if err != nil {
		a.close()
		return nil, err
	}
	a.conns = connection.NewService(a.tenant, a.ops, box, c, cfg.WhatsAppBaseURL, cfg.WhatsAppVersion)
	// The web process only enqueues jobs (inside its own transactions);
	// workers run them.
	sqlDB, err := appConn.Gorm.DB()
	if err != nil {
		a.close()
		return nil, err
	}
	jobs, err := river.NewClient[*sql.Tx](riverdatabasesql.New(sqlDB), &river.Config{})
	if err != nil {
		a.close()
		return nil, fmt.Errorf("river insert client: %w", err)
	}
	a.contacts = contact.NewService(a.tenant, jobs, c, log, contact.Options{UploadDir: cfg.UploadDir,
		MaxUploadBytes: cfg.MaxUploadBytes, MaxRows: cfg.MaxImportRows})
	var prices *campaign.Prices
	if cfg.CampaignPricesFile != "" {
		if prices, err = campaign.LoadPrices(cfg.CampaignPricesFile); err != nil {
			a.close()
			return nil, err
		}
	}
	a.campaigns = campaign.NewService(a.tenant, a.ops, jobs, c, log, campaign.Options{Prices: prices})
	if err := account.SeedPolicies(ctx, a.ops, cfg.Operator); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *app) close() {
	a.appConn.Close()
	a.opsConn.Close()
}

func (a *app) ready(ctx context.Context) error {
	if err := a.appConn.Pool.Ping(ctx); err != nil {
		return err
	}
	return migrate.Check(ctx, a.appConn.Pool)
}

// serveHTTP runs the web server until ctx ends, then drains it.
// wrap, when given, mounts extra handlers beside the app (dev: the sandbox).
func (a *app) serveHTTP(ctx context.Context, outbox *mail.Outbox, ln net.Listener, wrap func(http.Handler) http.Handler, fakePhone string) error {
	a.inbox = delivery.NewInbox(a.appConn.Pool, delivery.InboxOptions{})
	defer a.inbox.Close()
	srv := web.New(web.Deps{Config: a.cfg, Log: a.log, Accounts: a.accounts, Outbox: outbox, Ready: a.ready, Registry: a.registry,
		Connections: a.conns, Inbox: a.inbox, Contacts: a.contacts, Campaigns: a.campaigns, FakePhoneURL: fakePhone,
		Templates: template.NewService(a.tenant, a.conns, clock.System{}, a.log)})
	handler := srv.Handler()
	if wrap != nil {
		handler = wrap(handler)
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	a.log.Info("web server listening", "addr", ln.Addr().String(), "version", a.cfg.Version)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.log.Info("web server stopped")
	return nil
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	a, err := open(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer a.close()
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return a.serveHTTP(ctx, nil, ln, nil, "")
}
