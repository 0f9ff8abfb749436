package contact

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"tidings/internal/platform/clock"
	"tidings/internal/platform/db"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/pgtest"
	"tidings/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fakeJobs records enqueued imports instead of running River.
type fakeJobs struct {
	mu   sync.Mutex
	args []ImportArgs
}

func (f *fakeJobs) InsertTx(_ context.Context, _ *sql.Tx, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.args = append(f.args, args.(ImportArgs))
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{}}, nil
}

type env struct {
	t      *testing.T
	ctx    context.Context
	svc    *Service
	tenant *db.Tenant
	ops    *db.Conn
	jobs   *fakeJobs
	clock  *clock.Fake
	dir    string
	db     *pgtest.DB
	logs   *syncBuffer
	orgA   int64
	orgB   int64
	user   int64
}

func setup(t *testing.T) *env {
	t.Helper()
	d := pgtest.New(t, migrations.Key(), migrate.UpURL)
	ctx := context.Background()
	appConn, err := db.Open(ctx, d.AppURL, db.Options{MaxConns: 8, StatementTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(appConn.Close)
	opsConn, err := db.Open(ctx, d.OpsURL, db.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(opsConn.Close)
	e := &env{t: t, ctx: ctx, tenant: db.NewTenant(appConn), ops: opsConn, jobs: &fakeJobs{}, db: d,
		clock: clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), dir: t.TempDir(), logs: &syncBuffer{}}
	e.svc = NewService(e.tenant, e.jobs, e.clock, slog.New(slog.NewTextHandler(e.logs, nil)), Options{UploadDir: e.dir})
	t.Cleanup(func() {
		// No warnings, and no phone numbers in the logs (whole prefixes: a
		// bare "7911" also turns up inside logged durations).
		if l := e.logs.String(); strings.Contains(l, "level=WARN") || strings.Contains(l, "+44") || strings.Contains(l, "447911") || strings.Contains(l, "07911") {
			t.Errorf("logs:\n%s", l)
		}
	})
	g := opsConn.Gorm
	if err := g.Raw(`INSERT INTO users (email, name, phone_e164, password_hash) VALUES ('owner@example.com', 'Owner', '+447911000000', 'x') RETURNING id`).Scan(&e.user).Error; err != nil {
		t.Fatal(err)
	}
	for _, p := range []*int64{&e.orgA, &e.orgB} {
		if err := g.Raw(`INSERT INTO orgs (name, industry, company_size, country, time_zone) VALUES ('Org', 'retail', '1-10', 'GB', 'Europe/London') RETURNING id`).Scan(p).Error; err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// importFile uploads and confirms a file and runs the import to its end.
func (e *env) importFile(org int64, name string, data []byte, settings func(*Preview) ImportSettings, att *Attestation) (Import, error) {
	e.t.Helper()
	im, pv, err := e.svc.CreateImport(e.ctx, org, e.user, name, bytes.NewReader(data))
	if err != nil {
		return Import{}, err
	}
	st := settings(&pv)
	if _, err := e.svc.ConfirmImport(e.ctx, org, e.user, im.ID, st, att); err != nil {
		return Import{}, err
	}
	if err := e.svc.RunImport(e.ctx, org, im.ID, true); err != nil {
		return Import{}, err
	}
	return e.svc.GetImport(e.ctx, org, im.ID)
}

func (e *env) inOrg(org int64, fn func(tx *gorm.DB) error) {
	e.t.Helper()
	if err := e.tenant.InOrg(e.ctx, org, 0, fn); err != nil {
		e.t.Fatal(err)
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var testAttestation = Attestation{Method: "Sign-up form on our website", CollectedOn: "2025", LawfulBasis: "consent",
	Wording: "Yes, send me offers on WhatsApp. Reply STOP to opt out."}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func osReadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}
