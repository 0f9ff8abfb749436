package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"tidings/internal/campaign"
	"tidings/internal/contact"
	"tidings/internal/delivery"
	"tidings/internal/maintenance"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/config"
	"tidings/internal/platform/ratelimit"
	"tidings/internal/template"
)

func work(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	a, err := open(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer a.close()
	return a.runWorker(ctx)
}

// runWorker runs River's job workers on the privileged pool (jobs are
// cross-tenant by nature) until ctx ends, then lets running jobs finish.
func (a *app) runWorker(ctx context.Context) error {
	workers := river.NewWorkers()
	river.AddWorker(workers, &maintenance.Worker{Ops: a.ops, Limiter: ratelimit.New(a.opsConn.Pool, clock.System{}, a.cfg.SecretKey),
		Clock: clock.System{}, Log: a.log, Uploads: a.contacts})
	river.AddWorker(workers, &template.SyncWorker{Service: template.NewService(a.tenant, a.conns, clock.System{}, a.log), Ops: a.ops})
	river.AddWorker(workers, &contact.ImportWorker{Service: a.contacts})
	river.AddWorker(workers, &campaign.FreezeWorker{Service: a.campaigns})
	river.AddWorker(workers, &campaign.TickWorker{Service: a.campaigns})
	client, err := river.NewClient[pgx.Tx](riverpgxv5.New(a.opsConn.Pool), &river.Config{
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
		Workers:      workers,
		PeriodicJobs: []*river.PeriodicJob{maintenance.Periodic(), campaign.Periodic()},
		Logger:       a.log.With("component", "river"),
		// An import runs up to an hour; a job still "running" well after
		// that belonged to a worker that died, and is retried.
		RescueStuckJobsAfter: time.Hour + 10*time.Minute,
	})
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	client.PeriodicJobs().Add(template.Periodic())
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("worker: start: %w", err)
	}
	a.log.Info("worker started")
	// Webhook bodies stored by the web servers are applied here.
	processed := make(chan struct{})
	go func() {
		defer close(processed)
		delivery.NewProcessor(a.opsConn.Pool, clock.System{}, a.log).Run(ctx)
	}()
	// The sending engine: cross-tenant, on the privileged pool. On shutdown
	// it stops claiming, finishes the sends in flight and records them.
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		_ = delivery.NewSender(a.opsConn.Pool, a.conns, a.log.With("component", "sender"), delivery.SenderOptions{
			Concurrency: a.cfg.Send.Concurrency, UnknownAfter: a.cfg.Send.UnknownAfter, MaxAttempts: a.cfg.Send.MaxAttempts,
		}).Run(ctx)
	}()
	<-ctx.Done()
	<-processed
	<-sent
	stopCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := client.Stop(stopCtx); err != nil {
		return fmt.Errorf("worker: stop: %w", err)
	}
	a.log.Info("worker stopped")
	return nil
}
