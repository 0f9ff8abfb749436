package campaign

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"tidings/internal/platform/clock"
	"tidings/internal/platform/db"
)

// JobInserter enqueues River jobs inside the caller's transaction (see
// contact.JobInserter).
type JobInserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Options configure the service.
type Options struct {
	// FirstChunk is the span of contact ids Start freezes before it
	// returns, so the sender can begin at once (default 1,000). Start takes
	// further spans while none of the audience was found, for up to
	// FirstBudget.
	FirstChunk  int
	FirstBudget time.Duration
	// Chunk is the span of contact ids each later step of the freeze job
	// takes (default 20,000).
	Chunk int
	// Prices estimate costs; DefaultPrices when nil.
	Prices *Prices
}

// Service is the campaign room's API.
type Service struct {
	tenant *db.Tenant
	ops    *db.Privileged
	jobs   JobInserter
	clock  clock.Clock
	log    *slog.Logger
	opt    Options
}

// NewService wires the service. ops is only used by the scheduler's scan
// across organisations; it may be nil in the web process.
func NewService(tenant *db.Tenant, ops *db.Privileged, jobs JobInserter, c clock.Clock, log *slog.Logger, o Options) *Service {
	if o.FirstChunk <= 0 {
		o.FirstChunk = 1000
	}
	if o.FirstBudget <= 0 {
		o.FirstBudget = 300 * time.Millisecond
	}
	if o.Chunk <= 0 {
		o.Chunk = 20000
	}
	if o.Prices == nil {
		o.Prices = DefaultPrices()
	}
	return &Service{tenant: tenant, ops: ops, jobs: jobs, clock: c, log: log, opt: o}
}

// Clock is the service's clock (the web layer shows times with it).
func (s *Service) Clock() clock.Clock { return s.clock }

func (s *Service) enqueue(ctx context.Context, tx *gorm.DB, args river.JobArgs) error {
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return errors.New("campaign: enqueue: not in a database/sql transaction")
	}
	_, err := s.jobs.InsertTx(ctx, sqlTx, args, nil)
	return err
}

// Currency is the price table's currency, for showing estimates.
func (s *Service) Currency() string { return s.opt.Prices.Currency }
