// Package webtest starts a whole Tidings web server over real HTTP on a
// fresh, migrated database for tests, with a fake clock, the dev outbox,
// factories for orgs and users, and a cookie-jar client that reads a
// form's CSRF token before posting. It captures the application's logs and
// fails the test if a seeded secret (password, session id, token, full
// phone number) ever appears in them.
package webtest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

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
	"tidings/internal/platform/pgtest"
	"tidings/internal/platform/ratelimit"
	"tidings/internal/platform/secretbox"
	"tidings/internal/sandbox"
	"tidings/internal/template"
	"tidings/migrations"
	"tidings/web"
	"tidings/web/paths"
)

// Env is one running server and its database.
type Env struct {
	t        testing.TB
	DB       *pgtest.DB
	Server   *web.Server
	HTTP     *httptest.Server
	URL      string
	Clock    *clock.Fake
	Outbox   *mail.Outbox
	Accounts *account.Service
	// Templates serves the message templates pages.
	Templates *template.Service
	// Connections and Inbox back the WhatsApp settings and webhooks.
	Connections *connection.Service
	Inbox       *delivery.Inbox
	// Contacts serves the contacts pages; its import jobs are recorded in
	// Jobs instead of River, and RunImports runs them.
	Contacts *contact.Service
	Jobs     *Jobs
	// Campaigns serves the campaign pages; its freeze jobs are recorded
	// in Jobs too, and RunCampaignJobs runs them.
	Campaigns *campaign.Service
	// Sandbox and SandboxURL are set with Options.Sandbox.
	Sandbox    *sandbox.Server
	SandboxURL string
	// Sender is the sending engine, set with Options.Worker.
	Sender *delivery.Sender
	Tenant *db.Tenant
	Ops    *db.Privileged
	Config config.Config
	// Log is the application's logger; tests may log through it too.
	Log     *slog.Logger
	logs    *syncBuffer
	secrets sync.Map
}

// Options adjust an Env.
type Options struct {
	// TrustedProxies makes the server believe X-Forwarded-For from them.
	TrustedProxies string
	// Sandbox starts a WhatsApp Cloud API sandbox (Meta's timings,
	// compressed) for the test; its URL becomes the default API address.
	Sandbox bool
	// Worker runs what `tidings worker` runs beside the web server for
	// the test's duration: the webhook processor (stored webhooks become
	// statuses) and the sending engine (queued ledger rows are POSTed), on
	// the privileged pool, with short polls. It implies Sandbox. River's
	// jobs still go to Jobs (RunImports, RunCampaignJobs).
	Worker bool
}

// TestEncryptionKeys seal connection secrets in tests.
const TestEncryptionKeys = "test1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

var seq atomic.Int64

// New starts a server on a fresh database; everything stops at cleanup.
func New(t testing.TB, opts ...Options) *Env {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	d := pgtest.New(t, migrations.Key(), migrate.UpURL)
	ctx := context.Background()
	appConn, err := db.Open(ctx, d.AppURL, db.Options{MaxConns: 10, StatementTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	opsConn, err := db.Open(ctx, d.OpsURL, db.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{t: t, DB: d, Clock: clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), logs: &syncBuffer{}}
	e.Outbox = mail.NewOutbox(e.Clock, 1000)
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.Log = log
	e.Tenant, e.Ops = db.NewTenant(appConn), db.NewPrivileged(opsConn, log)

	e.HTTP = httptest.NewUnstartedServer(nil)
	e.URL = "http://" + e.HTTP.Listener.Addr().String()
	env := map[string]string{
		"BASE_URL": e.URL, "SECRET_KEY": "test-secret-key-0123456789abcdefghijklmnop",
		"DATABASE_URL": d.AppURL, "DATABASE_OPS_URL": d.OpsURL, "TRUSTED_PROXIES": o.TrustedProxies,
		"OPERATOR_NAME": "Test Operator Ltd", "OPERATOR_EMAIL": "privacy@operator.test", "OPERATOR_ADDRESS": "1 Test Street, Testville",
	}
	cfg, err := config.Load(config.ModeDev, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	e.Config = cfg
	if err := account.SeedPolicies(ctx, e.Ops, cfg.Operator); err != nil {
		t.Fatal(err)
	}
	limiter := ratelimit.New(appConn.Pool, e.Clock, cfg.SecretKey)
	e.Accounts = account.NewService(e.Tenant, e.Ops, e.Clock, e.Outbox, limiter, log, account.Options{
		BaseURL: cfg.BaseURL, SessionIdle: cfg.SessionIdleTimeout, SessionMaxAge: cfg.SessionMaxAge,
		VerifyPath: paths.VerifyEmail, ResetPath: paths.ResetPassword, InvitePath: paths.AcceptInvite, LoginPath: paths.Login,
	})
	keys, err := secretbox.ParseKeys(TestEncryptionKeys)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	if o.Sandbox || o.Worker {
		e.Sandbox = sandbox.New(sandbox.DefaultConfig(), log.With("component", "sandbox"))
		sbCtx, stop := context.WithCancel(context.Background())
		e.Sandbox.Start(sbCtx)
		sbHTTP := httptest.NewServer(e.Sandbox.Handler())
		e.SandboxURL = sbHTTP.URL
		t.Cleanup(func() { sbHTTP.Close(); stop(); e.Sandbox.Wait() })
	}
	e.Connections = connection.NewService(e.Tenant, e.Ops, box, e.Clock, e.SandboxURL, "v23.0")
	e.Templates = template.NewService(e.Tenant, e.Connections, e.Clock, log)
	e.Inbox = delivery.NewInbox(appConn.Pool, delivery.InboxOptions{})
	e.Jobs = &Jobs{}
	e.Contacts = contact.NewService(e.Tenant, e.Jobs, e.Clock, log, contact.Options{UploadDir: t.TempDir()})
	e.Campaigns = campaign.NewService(e.Tenant, e.Ops, e.Jobs, e.Clock, log, campaign.Options{})
	e.Server = web.New(web.Deps{Config: cfg, Log: log, Accounts: e.Accounts, Outbox: e.Outbox,
		Connections: e.Connections, Inbox: e.Inbox, Contacts: e.Contacts, Templates: e.Templates, Campaigns: e.Campaigns,
		FakePhoneURL: e.FakePhoneURL(),
		Ready:        func(ctx context.Context) error { return migrate.Check(ctx, appConn.Pool) }, Registry: prometheus.NewRegistry()})
	e.HTTP.Config.Handler = e.Server.Handler()
	e.HTTP.Start()
	t.Cleanup(func() {
		e.HTTP.Close()
		e.Inbox.Close()
		appConn.Close()
		opsConn.Close()
		e.scanLogs()
	})
	if o.Worker {
		// Registered after the server's cleanup, so it stops first.
		e.startWorker(opsConn)
	}
	return e
}

// startWorker runs the webhook processor and the sender until cleanup,
// as cmd/tidings's runWorker does, with test timings.
func (e *Env) startWorker(ops *db.Conn) {
	ctx, stop := context.WithCancel(context.Background())
	p := delivery.NewProcessor(ops.Pool, e.Clock, e.Log)
	p.Poll = 50 * time.Millisecond
	e.Sender = delivery.NewSender(ops.Pool, e.Connections, e.Log.With("component", "sender"), delivery.SenderOptions{
		Concurrency: 8, Poll: 50 * time.Millisecond, Housekeeping: 100 * time.Millisecond,
		LeaseTTL: 2 * time.Second, IdleRelease: 500 * time.Millisecond})
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	wg.Go(func() {
		if err := e.Sender.Run(ctx); err != nil {
			e.t.Errorf("webtest: sender: %v", err)
		}
	})
	e.t.Cleanup(func() { stop(); wg.Wait() })
}

// FakePhoneURL is the sandbox's fake phone (linked from the dev menu, as
// in `tidings dev`); "" without a sandbox.
func (e *Env) FakePhoneURL() string {
	if e.SandboxURL == "" {
		return ""
	}
	return e.SandboxURL + "/_sandbox/phone"
}

// Secret registers a value that must never appear in the logs.
func (e *Env) Secret(v string) {
	if len(v) >= 6 {
		e.secrets.Store(v, true)
	}
}

// Logs returns everything the application logged so far.
func (e *Env) Logs() string { return e.logs.String() }

func (e *Env) scanLogs() {
	for _, leak := range e.Leaks() {
		e.t.Errorf("a secret appeared in the application's logs: %.4s… (log scan)", leak)
	}
}

// Leaks lists the registered secrets found in the logs so far.
func (e *Env) Leaks() []string {
	logs := e.logs.String()
	var leaks []string
	// Outbox links carry tokens: register them too.
	for _, m := range e.Outbox.List() {
		for _, tok := range tokenRE.FindAllStringSubmatch(m.Text, -1) {
			e.Secret(tok[1])
		}
	}
	e.secrets.Range(func(k, _ any) bool {
		if strings.Contains(logs, k.(string)) {
			leaks = append(leaks, k.(string))
		}
		return true
	})
	return leaks
}

var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_\-]{20,})`)

// Member is a user in an org, made by a factory.
type Member struct {
	UserID, OrgID   int64
	Email, Password string
	Name, Phone     string
	OrgName         string
}

// NewOwner makes a verified user who owns a new organisation.
func (e *Env) NewOwner(label string) *Member {
	e.t.Helper()
	n := seq.Add(1)
	m := &Member{Email: fmt.Sprintf("%s-%d@example.test", strings.ToLower(label), n), Password: fmt.Sprintf("Correct-Horse-%d-%s", n, label),
		Name: label + " Person", Phone: fmt.Sprintf("+4479111%05d", n), OrgName: fmt.Sprintf("%s Org %d", label, n)}
	if err := e.Accounts.EnsureDemo(context.Background(), account.Demo{Email: m.Email, Password: m.Password, Name: m.Name, Phone: m.Phone, OrgName: m.OrgName}); err != nil {
		e.t.Fatal(err)
	}
	m.UserID = e.userID(m.Email)
	orgs, err := e.Accounts.OrgsOf(context.Background(), m.UserID)
	if err != nil || len(orgs) != 1 {
		e.t.Fatalf("factory: orgs of new owner: %v %v", orgs, err)
	}
	m.OrgID = orgs[0].ID
	e.Secret(m.Password)
	e.Secret(m.Phone)
	return m
}

// NewMember makes a verified user with the given role in org (they also
// own a private org of their own, which tests may ignore).
func (e *Env) NewMember(org *Member, role string) *Member {
	e.t.Helper()
	m := e.NewOwner(role)
	err := e.Ops.Tx(context.Background(), "test factory", func(tx *gorm.DB) error {
		return tx.Exec(`INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, timestamptz '2000-01-01')`,
			org.OrgID, m.UserID, role).Error
	})
	if err != nil {
		e.t.Fatal(err)
	}
	// Their oldest membership (the one the app opens) is now the shared one.
	m.OrgID, m.OrgName = org.OrgID, org.OrgName
	return m
}

func (e *Env) userID(email string) int64 {
	var id int64
	err := e.Ops.Tx(context.Background(), "test factory", func(tx *gorm.DB) error {
		return tx.Raw(`SELECT id FROM users WHERE email = ?`, email).Scan(&id).Error
	})
	if err != nil || id == 0 {
		e.t.Fatalf("factory: user %s: %v", email, err)
	}
	return id
}

// syncBuffer is a log sink safe for concurrent writers.
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

// Client is a browser-like HTTP client: it keeps cookies, does not follow
// redirects (tests assert them), and finds the CSRF token in pages.
type Client struct {
	env  *Env
	HTTP *http.Client
	csrf string
	// Header is added to every request (e.g. X-Forwarded-For).
	Header http.Header
}

// Response is a read response.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Client returns a new client with an empty cookie jar.
func (e *Env) Client() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{env: e, Header: http.Header{}, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// Do sends a request and reads the response.
func (c *Client) Do(req *http.Request) *Response {
	c.env.t.Helper()
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.env.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if m := csrfRE.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	for _, ck := range res.Cookies() {
		if strings.Contains(ck.Name, "session") && ck.Value != "" {
			c.env.Secret(ck.Value)
		}
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// Get fetches a path.
func (c *Client) Get(path string) *Response {
	req, _ := http.NewRequest(http.MethodGet, c.env.URL+path, nil)
	return c.Do(req)
}

// Post submits a form, with the CSRF token read from an earlier page (it
// loads the home page first when it has none).
func (c *Client) Post(path string, form url.Values) *Response {
	if c.csrf == "" {
		c.Get(paths.Login)
	}
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if f.Get("_csrf") == "" {
		f.Set("_csrf", c.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, c.env.URL+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// Login signs m in and fails the test if that does not work.
func (c *Client) Login(m *Member) {
	c.env.t.Helper()
	r := c.Post(paths.Login, url.Values{"email": {m.Email}, "password": {m.Password}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != paths.Dashboard {
		c.env.t.Fatalf("login as %s: status %d, location %q", m.Email, r.Status, r.Header.Get("Location"))
	}
}

// Cookie returns the value of a cookie the client holds for the server.
func (c *Client) Cookie(name string) string {
	u, _ := url.Parse(c.env.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// ForgetSecret stops scanning for v (for tests of the scan itself).
func (e *Env) ForgetSecret(v string) { e.secrets.Delete(v) }

// Jobs records the River jobs the app enqueues (the worker does not run
// inside webtest).
type Jobs struct {
	mu      sync.Mutex
	imports []contact.ImportArgs
	freeze  []campaign.FreezeArgs
}

// InsertTx records an import job.
func (j *Jobs) InsertTx(_ context.Context, _ *sql.Tx, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch a := args.(type) {
	case contact.ImportArgs:
		j.imports = append(j.imports, a)
	case campaign.FreezeArgs:
		j.freeze = append(j.freeze, a)
	}
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{}}, nil
}

// RunImports runs the queued import jobs to their end, as the worker would.
func (e *Env) RunImports() {
	e.t.Helper()
	e.Jobs.mu.Lock()
	jobs := e.Jobs.imports
	e.Jobs.imports = nil
	e.Jobs.mu.Unlock()
	for _, j := range jobs {
		if err := e.Contacts.RunImport(context.Background(), j.OrgID, j.ImportID, true); err != nil {
			e.t.Fatalf("run import %d: %v", j.ImportID, err)
		}
	}
}

// RunCampaignJobs freezes the rest of the started campaigns' recipients,
// as the worker's freeze job would.
func (e *Env) RunCampaignJobs() {
	e.t.Helper()
	e.Jobs.mu.Lock()
	jobs := e.Jobs.freeze
	e.Jobs.freeze = nil
	e.Jobs.mu.Unlock()
	for _, j := range jobs {
		if err := e.Campaigns.Freeze(context.Background(), j.OrgID, j.CampaignID); err != nil {
			e.t.Fatalf("freeze campaign %d: %v", j.CampaignID, err)
		}
	}
}
