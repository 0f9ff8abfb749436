package template

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"tidings/internal/connection"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/db"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/pgtest"
	"tidings/internal/platform/secretbox"
	"tidings/internal/sandbox"
	"tidings/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	tWABA   = "100000000000031"
	tPNID   = "100000000000032"
	tToken  = "EAAGtemplatetesttoken0123456789"
	tSecret = "templatetestappsecret01"
)

type env struct {
	t      *testing.T
	ctx    context.Context
	svc    *Service
	sb     *sandbox.Server
	ops    *db.Conn
	orgA   int64
	orgB   int64
	user   int64
	conns  *connection.Service
	sbURL  string
	tenant *db.Tenant
}

func setup(t *testing.T) *env {
	t.Helper()
	d := pgtest.New(t, migrations.Key(), migrate.UpURL)
	ctx := context.Background()
	appConn, err := db.Open(ctx, d.AppURL, db.Options{MaxConns: 4, StatementTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(appConn.Close)
	opsConn, err := db.Open(ctx, d.OpsURL, db.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(opsConn.Close)
	cfg := sandbox.DefaultConfig()
	cfg.Delays = sandbox.Delays{}
	cfg.TemplateReviewDelay = 100 * time.Millisecond
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sb := sandbox.New(cfg, log)
	sbCtx, cancel := context.WithCancel(ctx)
	sb.Start(sbCtx)
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { srv.Close(); cancel(); sb.Wait() })
	if err := sb.AddNumber(sandbox.Number{WABAID: tWABA, PhoneNumberID: tPNID, DisplayPhoneNumber: "+1 555-010-0031",
		Token: tToken, AppSecret: tSecret}); err != nil {
		t.Fatal(err)
	}
	keys, _ := secretbox.ParseKeys("test1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	box, err := secretbox.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	c := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	tenant := db.NewTenant(appConn)
	conns := connection.NewService(tenant, db.NewPrivileged(opsConn, log), box, c, srv.URL, "v23.0")
	e := &env{t: t, ctx: ctx, sb: sb, ops: opsConn, conns: conns, sbURL: srv.URL, tenant: tenant,
		svc: NewService(tenant, conns, c, log)}
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

func (e *env) connect(org int64) {
	e.t.Helper()
	if _, err := e.conns.Save(e.ctx, org, e.user, connection.Input{WABAID: tWABA, PhoneNumberID: tPNID, APIBaseURL: e.sbURL,
		APIVersion: "v23.0", AccessToken: tToken, AppSecret: tSecret}); err != nil {
		e.t.Fatal(err)
	}
}

// Sync copies the sandbox's seeded templates with their variables; a
// template gone from Meta is marked deleted; another org sees none.
func TestTemplateSyncFromSandbox(t *testing.T) {
	e := setup(t)
	if _, err := e.svc.Sync(e.ctx, e.orgA, e.user); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("sync without a connection: %v", err)
	}
	e.connect(e.orgA)
	res, err := e.svc.Sync(e.ctx, e.orgA, e.user)
	if err != nil || res.Seen != 5 || res.Gone != 0 {
		t.Fatalf("sync: %+v %v", res, err)
	}
	list, err := e.svc.List(e.ctx, e.orgA, Filter{})
	if err != nil || len(list) != 5 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	var offer Template
	for _, tp := range list {
		if tp.Name == "spring_offer" {
			offer = tp
		}
		if tp.SyncedAt == nil || tp.Status != StatusApproved || tp.MetaID == "" {
			t.Errorf("synced template %+v", tp)
		}
	}
	if offer.Category != "MARKETING" || !offer.Named() || offer.Quality != "UNKNOWN" || offer.Text("BODY") == "" || len(offer.Buttons()) != 2 {
		t.Errorf("spring_offer: %+v", offer)
	}
	ph := offer.Placeholders()
	if len(ph) != 2 || ph[0].Name != "first_name" || ph[1].Name != "discount" {
		t.Errorf("placeholders %+v", ph)
	}
	got, err := e.svc.Get(e.ctx, e.orgA, offer.ID)
	if err != nil || got.Name != "spring_offer" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := e.svc.Get(e.ctx, e.orgB, offer.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("org B reads org A's template: %v", err)
	}
	if l, _ := e.svc.List(e.ctx, e.orgB, Filter{}); len(l) != 0 {
		t.Errorf("org B lists %d templates", len(l))
	}
	if l, _ := e.svc.List(e.ctx, e.orgA, Filter{Category: "utility"}); len(l) != 2 {
		t.Errorf("utility templates: %d", len(l))
	}

	// Meta pauses one and deletes another; the next sync follows.
	if err := e.sb.SetTemplateStatus(tWABA, "weekly_news", "en_US", "PAUSED"); err != nil {
		t.Fatal(err)
	}
	tok, _ := e.conns.Get(e.ctx, e.orgA, e.user)
	sec, _ := e.conns.Secrets(tok)
	if err := e.conns.Client(tok).DeleteTemplate(e.ctx, sec.AccessToken, tWABA, "order_update"); err != nil {
		t.Fatal(err)
	}
	res, err = e.svc.Sync(e.ctx, e.orgA, 0)
	if err != nil || res.Seen != 4 || res.Gone != 1 {
		t.Fatalf("second sync: %+v %v", res, err)
	}
	byName := map[string]Template{}
	all, _ := e.svc.List(e.ctx, e.orgA, Filter{Status: StatusDeleted})
	for _, tp := range all {
		byName[tp.Name] = tp
	}
	if len(all) != 1 || byName["order_update"].Status != StatusDeleted {
		t.Errorf("deleted: %+v", all)
	}
	if l, _ := e.svc.List(e.ctx, e.orgA, Filter{Sendable: true}); len(l) != 3 {
		t.Errorf("sendable: %d", len(l))
	}
	if l, _ := e.svc.List(e.ctx, e.orgA, Filter{Status: "paused"}); len(l) != 1 || l[0].Name != "weekly_news" {
		t.Errorf("paused: %+v", l)
	}
}

// Create checks the rules first (nothing reaches Meta), then submits; the
// template is PENDING until the sandbox's review approves it.
func TestTemplateCreateThenApproved(t *testing.T) {
	e := setup(t)
	in := Input{Name: "parcel_ready", Language: "en_GB", Category: "utility", HeaderText: "Parcel {{1}}", HeaderExample: "7781",
		Body: "Hi {{1}}, your parcel is ready at {{2}}.", Examples: map[string]string{"1": "Ana", "2": "the shop"},
		Footer: "Reply STOP to opt out", Buttons: []ButtonInput{{Type: "QUICK_REPLY", Text: "Stop updates"},
			{Type: "URL", Text: "Track", URL: "https://shop.example.com/t/{{1}}", Example: "7781"}}}
	if _, err := e.svc.Create(e.ctx, e.orgA, e.user, in); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("create without a connection: %v", err)
	}
	e.connect(e.orgA)
	bad := in
	bad.Body = "{{1}} is ready."
	var fe FieldErrors
	if _, err := e.svc.Create(e.ctx, e.orgA, e.user, bad); !errors.As(err, &fe) || fe["body"] == "" {
		t.Fatalf("bad body: %v", err)
	}
	tp, err := e.svc.Create(e.ctx, e.orgA, e.user, in)
	if err != nil {
		t.Fatal(err)
	}
	if tp.Status != StatusPending || tp.MetaID == "" || tp.CreatedBy != e.user || tp.Category != "UTILITY" {
		t.Fatalf("created: %+v", tp)
	}
	ph := tp.Placeholders()
	if len(ph) != 4 || ph[0].Component != "header" || ph[3].Component != "button" {
		t.Errorf("placeholders %+v", ph)
	}
	// The same name and language again is refused next to the name.
	if _, err := e.svc.Create(e.ctx, e.orgA, e.user, in); !errors.As(err, &fe) || fe["name"] == "" {
		t.Fatalf("duplicate: %v", err)
	}
	// Meta's own refusal (the sandbox rejects two templates of one name
	// and language) is explained too when our copy did not know it.
	e.ops.Gorm.Exec(`DELETE FROM wa_templates WHERE org_id = ?`, e.orgA)
	if _, err := e.svc.Create(e.ctx, e.orgA, e.user, in); !errors.As(err, &fe) || fe["name"] == "" {
		t.Fatalf("duplicate at Meta: %v", err)
	}

	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := e.svc.Sync(e.ctx, e.orgA, 0); err != nil {
			t.Fatal(err)
		}
		l, _ := e.svc.List(e.ctx, e.orgA, Filter{Status: StatusApproved})
		found := false
		for _, x := range l {
			found = found || x.Name == "parcel_ready"
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sandbox never approved the template")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A refusal Meta gives that we did not foresee is a RefusedError in words.
func TestTemplateCreateRefusedByMeta(t *testing.T) {
	e := setup(t)
	e.connect(e.orgA)
	if err := e.sb.ExpireToken(tToken); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Create(e.ctx, e.orgA, e.user, good())
	var re *RefusedError
	if !errors.As(err, &re) || re.Message == "" {
		t.Fatalf("expired token: %v", err)
	}
	t.Log(re.Message)
}
