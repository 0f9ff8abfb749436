package contact

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"runtime"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"tidings/internal/platform/clock"
	"tidings/internal/platform/db"
)

// JobInserter enqueues River jobs inside the caller's transaction: a
// *river.Client[*sql.Tx] built on riverdatabasesql over the runtime pool
// (ARCHITECTURE.md, "River inside a GORM transaction").
type JobInserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Options configure the service.
type Options struct {
	// UploadDir holds uploaded files until their import ends. The web and
	// worker processes must see the same folder.
	UploadDir string
	// MaxUploadBytes caps an upload (default 100 MB).
	MaxUploadBytes int64
	// MaxRows caps the data rows of one file (default 1,000,000).
	MaxRows int64
	// Parsers is how many goroutines normalise rows (default GOMAXPROCS).
	Parsers int
}

// Defaults.
const (
	DefaultMaxUploadBytes = 100 << 20
	DefaultMaxRows        = 1_000_000
)

// Service is the contact room's API.
type Service struct {
	tenant *db.Tenant
	jobs   JobInserter
	clock  clock.Clock
	log    *slog.Logger
	opt    Options
}

// NewService wires the service. jobs may be nil in a process that never
// confirms imports (the worker).
func NewService(tenant *db.Tenant, jobs JobInserter, c clock.Clock, log *slog.Logger, o Options) *Service {
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.Parsers <= 0 {
		o.Parsers = runtime.GOMAXPROCS(0)
	}
	if o.UploadDir != "" {
		if abs, err := filepath.Abs(o.UploadDir); err == nil {
			o.UploadDir = abs
		}
	}
	return &Service{tenant: tenant, jobs: jobs, clock: c, log: log, opt: o}
}

// MaxUploadBytes is the upload cap, for the handler's own request limit.
func (s *Service) MaxUploadBytes() int64 { return s.opt.MaxUploadBytes }
