package campaign

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
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

// fakeJobs records enqueued jobs instead of running River.
type fakeJobs struct {
	mu     sync.Mutex
	freeze []FreezeArgs
}

func (f *fakeJobs) InsertTx(_ context.Context, _ *sql.Tx, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a, ok := args.(FreezeArgs); ok {
		f.freeze = append(f.freeze, a)
	}
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{}}, nil
}

func (f *fakeJobs) take() []FreezeArgs {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.freeze
	f.freeze = nil
	return out
}

type env struct {
	t      testing.TB
	ctx    context.Context
	svc    *Service
	tenant *db.Tenant
	ops    *db.Conn
	db     *pgtest.DB
	jobs   *fakeJobs
	clock  *clock.Fake
	orgA   int64
	orgB   int64
	user   int64
	connA  int64
	// promo is an approved marketing template of org A; pending a utility
	// one waiting for review.
	promo, pending int64
}

func setup(t testing.TB, o Options) *env {
	t.Helper()
	d := pgtest.New(t, migrations.Key(), migrate.UpURL)
	ctx := context.Background()
	appConn, err := db.Open(ctx, d.AppURL, db.Options{MaxConns: 8, StatementTimeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(appConn.Close)
	opsConn, err := db.Open(ctx, d.OpsURL, db.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(opsConn.Close)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{t: t, ctx: ctx, tenant: db.NewTenant(appConn), ops: opsConn, db: d, jobs: &fakeJobs{},
		clock: clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))}
	e.svc = NewService(e.tenant, db.NewPrivileged(opsConn, quiet), e.jobs, e.clock, quiet, o)
	g := opsConn.Gorm
	e.must(g.Raw(`INSERT INTO users (email, name, phone_e164, password_hash) VALUES ('owner@example.com', 'Owner', '+447911000000', 'x') RETURNING id`).Scan(&e.user).Error)
	for _, p := range []*int64{&e.orgA, &e.orgB} {
		e.must(g.Raw(`INSERT INTO orgs (name, industry, company_size, country, time_zone) VALUES ('Org', 'retail', '1-10', 'GB', 'Europe/London') RETURNING id`).Scan(p).Error)
	}
	for _, org := range []int64{e.orgA, e.orgB} {
		var conn int64
		e.must(g.Raw(`INSERT INTO wa_connections (org_id, waba_id, phone_number_id, api_base_url, api_version,
			access_token_sealed, app_secret_sealed, verify_token_sealed, webhook_key, quality_rating, messaging_limit_tier)
			VALUES (?, ?, ?, 'http://127.0.0.1:1', 'v23.0', 'k:s', 'k:s', 'k:s', ?, 'GREEN', 'TIER_2K')
			RETURNING id`, org, fmt.Sprint("waba-", org), fmt.Sprint("pn-", org), fmt.Sprint("wk-", org)).Scan(&conn).Error)
		if org == e.orgA {
			e.connA = conn
		}
	}
	e.promo = e.template(e.orgA, "spring_sale", "MARKETING", "APPROVED", promoComponents)
	e.pending = e.template(e.orgA, "order_update", "UTILITY", "PENDING", `[{"type":"BODY","text":"Order {{1}} shipped"}]`)
	return e
}

const promoComponents = `[{"type":"HEADER","format":"TEXT","text":"Hello {{1}}"},
	{"type":"BODY","text":"Hi {{1}}, your code {{2}} gives 20% off in {{3}}."},
	{"type":"FOOTER","text":"Reply STOP to opt out"},
	{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Stop"},{"type":"URL","text":"Shop","url":"https://shop.example/{{1}}"}]}]`

// promoMapping fills every variable of spring_sale.
var promoMapping = Mapping{
	"header.1":   {Source: SourceFirstName, Fallback: "there"},
	"body.1":     {Source: SourceName, Fallback: "friend"},
	"body.2":     {Source: SourceText, Text: "SPRING"},
	"body.3":     {Source: SourceAttribute, Key: "city", Fallback: "our shops"},
	"button.1.1": {Source: SourcePhone},
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	e.must(e.ops.Gorm.Exec(q, args...).Error)
}

func (e *env) template(org int64, name, category, status, components string) int64 {
	e.t.Helper()
	var id int64
	e.must(e.ops.Gorm.Raw(`INSERT INTO wa_templates (org_id, connection_id, meta_id, name, language, category, status, components)
		SELECT ?, id, ?, ?, 'en_US', ?, ?, ?::jsonb FROM wa_connections WHERE org_id = ? RETURNING id`,
		org, fmt.Sprintf("meta-%d-%s", org, name), name, category, status, components, org).Scan(&id).Error)
	return id
}

// contact inserts a contact directly (consent state as stored).
func (e *env) contact(org int64, phone, name, consent string, restricted bool, tags []string, attrs string) int64 {
	e.t.Helper()
	var id int64
	if attrs == "" {
		attrs = "{}"
	}
	if tags == nil {
		tags = []string{}
	}
	e.must(e.ops.Gorm.Raw(`INSERT INTO contacts (org_id, phone_e164, name, consent_state, restricted, tags, attributes)
		VALUES (?, ?, ?, ?, ?, ?::text[], ?::jsonb) RETURNING id`, org, phone, name, consent, restricted, db.TextArray(tags), attrs).Scan(&id).Error)
	return id
}

func (e *env) list(org int64, name string, members ...int64) int64 {
	e.t.Helper()
	var id int64
	e.must(e.ops.Gorm.Raw(`INSERT INTO contact_lists (org_id, name) VALUES (?, ?) RETURNING id`, org, name).Scan(&id).Error)
	for _, m := range members {
		e.exec(`INSERT INTO contact_list_members (org_id, list_id, contact_id) VALUES (?, ?, ?)`, org, id, m)
	}
	return id
}

// ledger adds a message to the ledger as if sent earlier.
func (e *env) ledger(org, contactID int64, to, category, status string, code any, at time.Time) {
	e.t.Helper()
	e.exec(`INSERT INTO messages (org_id, connection_id, to_e164, status, contact_id, category, error_code, created_at)
		SELECT ?, id, ?, ?, ?, ?, ?, ? FROM wa_connections WHERE org_id = ?`, org, to, status, nullID(contactID), category, code, at, org)
}

func (e *env) inOrg(org int64, fn func(tx *gorm.DB) error) {
	e.t.Helper()
	e.must(e.tenant.InOrg(e.ctx, org, 0, fn))
}

func (e *env) runJobs() {
	e.t.Helper()
	for _, j := range e.jobs.take() {
		e.must(e.svc.Freeze(e.ctx, j.OrgID, j.CampaignID))
	}
}
