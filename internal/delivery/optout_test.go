package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"tidings/internal/contact"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/pgtest"
	"tidings/migrations"
)

func TestNormalizeKeywords(t *testing.T) {
	for in, want := range map[string]string{
		"Stop": "STOP", " stop ": "STOP", "ARRÊT": "ARRET", "arrêt.": "ARRET", "Baja": "BAJA", "STOP!": "STOP",
		"  désabonner  moi ": "DESABONNER MOI", "Stopp": "STOPP", "where is my parcel?": "WHERE IS MY PARCEL",
		strings.Repeat("stop ", 20): "",
	} {
		if got := contact.NormalizeKeyword(in); got != want {
			t.Errorf("contact.NormalizeKeyword(%q) = %q, want %q", in, got, want)
		}
	}
}

// replyEnv is a database with two orgs, each with a connection, and the
// processor that applies stored webhook bodies.
type replyEnv struct {
	t      *testing.T
	ctx    context.Context
	pool   *pgxpool.Pool
	p      *Processor
	orgA   int64
	orgB   int64
	connA  int64
	connB  int64
	keyA   string
	pnidA  string
	seq    int
	clock  *clock.Fake
	msgSeq int
}

func setupReplies(t *testing.T) *replyEnv {
	t.Helper()
	d := pgtest.New(t, migrations.Key(), migrate.UpURL)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, d.OpsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := &replyEnv{t: t, ctx: ctx, pool: pool, keyA: "keyA", pnidA: "106540352242901",
		clock: clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))}
	e.p = NewProcessor(pool, e.clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for i, org := range []*int64{&e.orgA, &e.orgB} {
		e.scan(org, `INSERT INTO orgs (name, industry, company_size, country, time_zone) VALUES ('Org', 'retail', '1-10', 'GB', 'Europe/London') RETURNING id`)
		conn := []*int64{&e.connA, &e.connB}[i]
		e.scan(conn, `INSERT INTO wa_connections (org_id, waba_id, phone_number_id, api_base_url, api_version, access_token_sealed,
			app_secret_sealed, verify_token_sealed, webhook_key) VALUES ($1, '1', $2, 'http://127.0.0.1:9', 'v23.0', 'x', 'x', 'x', $3) RETURNING id`,
			*org, fmt.Sprintf("10654035224290%d", i+1), []string{"keyA", "keyB"}[i])
	}
	return e
}

func (e *replyEnv) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *replyEnv) scan(dst any, sql string, args ...any) {
	e.t.Helper()
	if err := e.pool.QueryRow(e.ctx, sql, args...).Scan(dst); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *replyEnv) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	e.scan(&n, sql, args...)
	return n
}

// contact adds an opted-in contact (from an attested import) to org.
func (e *replyEnv) contact(org int64, phone string) int64 {
	e.t.Helper()
	var id int64
	e.scan(&id, `INSERT INTO contacts (org_id, phone_e164, consent_state) VALUES ($1, $2, 'opted_in') RETURNING id`, org, phone)
	e.exec(`INSERT INTO consent_events (org_id, contact_id, kind, source, lawful_basis, at) VALUES ($1, $2, 'opt_in', 'import', 'consent', $3)`,
		org, id, e.clock.Now().Add(-48*time.Hour))
	return id
}

// campaignMessage records a delivered campaign message to a contact.
func (e *replyEnv) campaignMessage(org, conn, campaign, contactID int64, phone string) (int64, string) {
	e.t.Helper()
	e.msgSeq++
	wamid := fmt.Sprintf("wamid.campaign.%d", e.msgSeq)
	var id int64
	e.scan(&id, `INSERT INTO messages (org_id, connection_id, to_e164, wamid, status, campaign_id, contact_id, created_at)
		VALUES ($1, $2, $3, $4, 'delivered', $5, $6, $7) RETURNING id`, org, conn, phone, wamid, campaign, contactID, e.clock.Now().Add(-time.Hour))
	return id, wamid
}

func (e *replyEnv) campaign(org int64) int64 {
	var id int64
	e.scan(&id, `INSERT INTO campaigns (org_id, name, status) VALUES ($1, 'Spring', 'running') RETURNING id`, org)
	e.exec(`INSERT INTO campaign_stats (org_id, campaign_id) VALUES ($1, $2)`, org, id)
	return id
}

// inbound is one user message in Meta's webhook shape.
type inbound struct {
	From, Type, Text, Payload, ButtonText, Context string
	WAMID                                          string
}

func (e *replyEnv) body(ms ...inbound) []byte {
	var msgs []any
	for _, m := range ms {
		msg := map[string]any{"from": strings.TrimPrefix(m.From, "+"), "id": m.WAMID, "timestamp": fmt.Sprint(e.clock.Now().Unix()), "type": m.Type}
		switch m.Type {
		case "text":
			msg["text"] = map[string]any{"body": m.Text}
		case "button":
			msg["button"] = map[string]any{"payload": m.Payload, "text": m.ButtonText}
		}
		if m.Context != "" {
			msg["context"] = map[string]any{"from": "15550001111", "id": m.Context}
		}
		msgs = append(msgs, msg)
	}
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"id": "1", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]any{"display_phone_number": "15550001111", "phone_number_id": e.pnidA},
			"contacts":          []any{map[string]any{"profile": map[string]any{"name": "Anna"}, "wa_id": strings.TrimPrefix(ms[0].From, "+")}},
			"messages":          msgs,
		}}},
	}}})
	return b
}

// deliver stores a body for org A's connection and applies everything.
func (e *replyEnv) deliver(body []byte) {
	e.t.Helper()
	e.exec(`INSERT INTO webhook_inbox (webhook_key, body) VALUES ($1, $2)`, e.keyA, body)
	e.drain()
}

func (e *replyEnv) drain() {
	e.t.Helper()
	for {
		n, err := e.p.ProcessBatch(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	var problems []string
	rows, _ := e.pool.Query(e.ctx, `SELECT problem FROM webhook_inbox WHERE problem <> ''`)
	for rows.Next() {
		var p string
		_ = rows.Scan(&p)
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		e.t.Fatalf("webhook problems: %v", problems)
	}
}

func (e *replyEnv) reply(from, text string) string {
	e.seq++
	w := fmt.Sprintf("wamid.reply.%d", e.seq)
	e.deliver(e.body(inbound{From: from, Type: "text", Text: text, WAMID: w}))
	return w
}

func (e *replyEnv) state(org int64, phone string) string {
	var s string
	e.scan(&s, `SELECT consent_state FROM contacts WHERE org_id = $1 AND phone_e164 = $2`, org, phone)
	return s
}

// derived recomputes the contact's consent from its ledger with the
// contact package's rule, which the stored state must equal.
func (e *replyEnv) derived(org int64, phone string) string {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT e.id, e.kind, e.source, e.at FROM consent_events e JOIN contacts c ON c.org_id = e.org_id AND c.id = e.contact_id
		WHERE c.org_id = $1 AND c.phone_e164 = $2`, org, phone)
	if err != nil {
		e.t.Fatal(err)
	}
	var evs []contact.ConsentEvent
	for rows.Next() {
		var ev contact.ConsentEvent
		if err := rows.Scan(&ev.ID, &ev.Kind, &ev.Source, &ev.At); err != nil {
			e.t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	st, _ := contact.DeriveConsent(evs)
	return string(st)
}

func (e *replyEnv) confirmations(org int64, phone string) []string {
	e.t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT params->>'body' FROM messages WHERE org_id = $1 AND to_e164 = $2 AND kind = 'text'
		AND campaign_id IS NULL AND status = 'queued' AND contact_id IS NOT NULL ORDER BY id`, org, phone)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// STOP in any case, spacing or accent (and the other built-in words) opts
// the contact out with evidence, and queues one confirmation.
func TestOptOutKeywordsAnyCaseOrAccent(t *testing.T) {
	e := setupReplies(t)
	for i, word := range []string{"Stop", " stop ", "ARRÊT", "Baja", "unsubscribe", "Stopp", "alto!", "arret"} {
		phone := fmt.Sprintf("+4479110000%02d", i)
		e.contact(e.orgA, phone)
		w := e.reply(phone, word)
		if got := e.state(e.orgA, phone); got != "opted_out" {
			t.Errorf("%q: state %s", word, got)
		}
		if got := e.derived(e.orgA, phone); got != "opted_out" {
			t.Errorf("%q: ledger derives %s", word, got)
		}
		var evidence, source string
		e.scan(&evidence, `SELECT evidence FROM consent_events e JOIN contacts c ON c.id = e.contact_id AND c.org_id = e.org_id
			WHERE c.phone_e164 = $1 AND e.kind = 'opt_out'`, phone)
		e.scan(&source, `SELECT source FROM consent_events e JOIN contacts c ON c.id = e.contact_id AND c.org_id = e.org_id
			WHERE c.phone_e164 = $1 AND e.kind = 'opt_out'`, phone)
		if !strings.Contains(evidence, "on WhatsApp") || !strings.Contains(evidence, w) || source != "contact" {
			t.Errorf("%q: evidence %q source %q", word, evidence, source)
		}
		if c := e.confirmations(e.orgA, phone); len(c) != 1 || c[0] != defaultOptOutConfirmation {
			t.Errorf("%q: confirmations %q", word, c)
		}
	}
	// Words that are not keywords change nothing.
	phone := "+447911000099"
	e.contact(e.orgA, phone)
	for _, text := range []string{"stop sending me the wrong size", "Where is my parcel?", "🛑"} {
		e.reply(phone, text)
	}
	if got := e.state(e.orgA, phone); got != "opted_in" || len(e.confirmations(e.orgA, phone)) != 0 {
		t.Errorf("ordinary replies: state %s", got)
	}
}

// START brings a contact who opted out back, with its own confirmation.
func TestOptInStartAfterStop(t *testing.T) {
	e := setupReplies(t)
	phone := "+447911000001"
	e.contact(e.orgA, phone)
	e.reply(phone, "STOP")
	e.clock.Advance(time.Minute)
	e.reply(phone, "start")
	if got := e.state(e.orgA, phone); got != "opted_in" || e.derived(e.orgA, phone) != "opted_in" {
		t.Fatalf("after START: %s", got)
	}
	if c := e.confirmations(e.orgA, phone); len(c) != 2 || c[1] != defaultOptInConfirmation {
		t.Errorf("confirmations %q", c)
	}
	e.clock.Advance(time.Minute)
	e.reply(phone, "Stop")
	if got := e.state(e.orgA, phone); got != "opted_out" {
		t.Errorf("after the second STOP: %s", got)
	}
}

// The org's own words and quick-reply payloads work like the built-in
// ones, with the org's confirmation texts.
func TestOptOutOrgKeywordsAndPayloads(t *testing.T) {
	e := setupReplies(t)
	e.exec(`INSERT INTO org_send_settings (org_id, optout_keywords, optin_keywords, optout_payloads, optout_confirmation, optin_confirmation)
		VALUES ($1, '{"Désabonner", "NO MORE"}', '{"Réabonner"}', '{STOP_PROMOS}', 'Bye from Bakery.', 'Welcome back to Bakery.')`, e.orgA)
	a, b, c := "+447911000001", "+447911000002", "+447911000003"
	for _, p := range []string{a, b, c} {
		e.contact(e.orgA, p)
	}
	e.reply(a, "desabonner")
	e.reply(b, "no   more.")
	if e.state(e.orgA, a) != "opted_out" || e.state(e.orgA, b) != "opted_out" {
		t.Fatalf("org keywords: %s %s", e.state(e.orgA, a), e.state(e.orgA, b))
	}
	if got := e.confirmations(e.orgA, a); len(got) != 1 || got[0] != "Bye from Bakery." {
		t.Errorf("confirmation %q", got)
	}
	var purpose string
	e.scan(&purpose, `SELECT params->>'purpose' FROM messages WHERE org_id = $1 AND to_e164 = $2`, e.orgA, a)
	if purpose != "opt_out_confirmation" {
		t.Errorf("purpose %q", purpose)
	}
	e.clock.Advance(time.Minute)
	e.reply(a, "RÉABONNER")
	if e.state(e.orgA, a) != "opted_in" {
		t.Errorf("org opt-in word: %s", e.state(e.orgA, a))
	}

	// A tap on a quick reply whose payload the org mapped to opt-out,
	// answering a campaign message: opted out, counted for the campaign.
	camp := e.campaign(e.orgA)
	id, wamid := e.campaignMessage(e.orgA, e.connA, camp, e.contactID(e.orgA, c), c)
	e.deliver(e.body(inbound{From: c, Type: "button", Payload: "STOP_PROMOS", ButtonText: "No thanks", Context: wamid, WAMID: "wamid.tap.1"}))
	if e.state(e.orgA, c) != "opted_out" {
		t.Fatalf("payload: %s", e.state(e.orgA, c))
	}
	var replied, optedOut int
	e.scan(&replied, `SELECT replied FROM campaign_stats WHERE org_id = $1 AND campaign_id = $2`, e.orgA, camp)
	e.scan(&optedOut, `SELECT opted_out FROM campaign_stats WHERE org_id = $1 AND campaign_id = $2`, e.orgA, camp)
	if replied != 1 || optedOut != 1 {
		t.Errorf("campaign stats: replied %d, opted out %d", replied, optedOut)
	}
	if n := e.count(`SELECT count(*) FROM messages WHERE org_id = $1 AND id = $2 AND replied_at IS NOT NULL`, e.orgA, id); n != 1 {
		t.Error("the campaign message is not marked replied")
	}
	// A tap on another button is a reply, not an opt-out.
	d := "+447911000004"
	e.contact(e.orgA, d)
	e.deliver(e.body(inbound{From: d, Type: "button", Payload: "MORE", ButtonText: "Tell me more", WAMID: "wamid.tap.2"}))
	if e.state(e.orgA, d) != "opted_in" {
		t.Errorf("other payload: %s", e.state(e.orgA, d))
	}
}

func (e *replyEnv) contactID(org int64, phone string) int64 {
	var id int64
	e.scan(&id, `SELECT id FROM contacts WHERE org_id = $1 AND phone_e164 = $2`, org, phone)
	return id
}

// Any reply marks the latest campaign message once; later replies and a
// redelivered webhook change nothing; another org's contact with the same
// number is untouched.
func TestRepliesCountedOnceAndIdempotent(t *testing.T) {
	e := setupReplies(t)
	phone := "+447911000001"
	ca, cb := e.contact(e.orgA, phone), e.contact(e.orgB, phone)
	camp, campB := e.campaign(e.orgA), e.campaign(e.orgB)
	older, _ := e.campaignMessage(e.orgA, e.connA, e.campaign(e.orgA), ca, phone)
	e.exec(`UPDATE messages SET created_at = created_at - interval '1 hour' WHERE id = $1`, older)
	latest, _ := e.campaignMessage(e.orgA, e.connA, camp, ca, phone)
	e.campaignMessage(e.orgB, e.connB, campB, cb, phone)

	thanks := e.body(inbound{From: phone, Type: "text", Text: "Thanks, see you Saturday", WAMID: "wamid.r.1"})
	e.deliver(thanks)
	e.deliver(thanks)
	e.clock.Advance(time.Minute)
	stop := e.body(inbound{From: phone, Type: "text", Text: "STOP", WAMID: "wamid.r.2"})
	// The same STOP twice in one body, then again later.
	both := e.body(inbound{From: phone, Type: "text", Text: "STOP", WAMID: "wamid.r.2"}, inbound{From: phone, Type: "text", Text: "STOP", WAMID: "wamid.r.2"})
	e.deliver(both)
	e.deliver(stop)

	stats := func(org, c int64) (replied, out int) {
		e.scan(&replied, `SELECT replied FROM campaign_stats WHERE org_id = $1 AND campaign_id = $2`, org, c)
		e.scan(&out, `SELECT opted_out FROM campaign_stats WHERE org_id = $1 AND campaign_id = $2`, org, c)
		return
	}
	if r, o := stats(e.orgA, camp); r != 1 || o != 1 {
		t.Errorf("campaign: replied %d, opted out %d", r, o)
	}
	if n := e.count(`SELECT count(*) FROM messages WHERE org_id = $1 AND replied_at IS NOT NULL`, e.orgA); n != 1 {
		t.Errorf("%d messages marked replied", n)
	}
	if n := e.count(`SELECT count(*) FROM messages WHERE org_id = $1 AND id = $2 AND replied_at IS NOT NULL`, e.orgA, latest); n != 1 {
		t.Error("the latest campaign message is not the one marked")
	}
	if n := e.count(`SELECT count(*) FROM consent_events WHERE org_id = $1 AND contact_id = $2 AND source = 'contact'`, e.orgA, ca); n != 1 {
		t.Errorf("%d consent events for one STOP", n)
	}
	if c := e.confirmations(e.orgA, phone); len(c) != 1 {
		t.Errorf("%d confirmations for one STOP", len(c))
	}
	if n := e.count(`SELECT count(*) FROM inbound_messages WHERE org_id = $1`, e.orgA); n != 2 {
		t.Errorf("%d inbound messages stored", n)
	}
	// A second STOP (a new message) is recorded and confirmed, but the
	// contact was already out: the campaign's figure stays.
	e.clock.Advance(time.Minute)
	e.reply(phone, "stop")
	if r, o := stats(e.orgA, camp); r != 1 || o != 1 {
		t.Errorf("after a second STOP: replied %d, opted out %d", r, o)
	}
	// Org B: same number, nothing changed.
	if got := e.state(e.orgB, phone); got != "opted_in" {
		t.Errorf("org B's contact: %s", got)
	}
	if r, o := stats(e.orgB, campB); r != 0 || o != 0 {
		t.Errorf("org B's campaign: replied %d, opted out %d", r, o)
	}
	if n := e.count(`SELECT count(*) FROM consent_events WHERE org_id = $1 AND source = 'contact'`, e.orgB); n != 0 {
		t.Errorf("org B has %d contact consent events", n)
	}
	if n := e.count(`SELECT count(*) FROM messages WHERE org_id = $1 AND kind = 'text'`, e.orgB); n != 0 {
		t.Errorf("org B has %d confirmations", n)
	}
}

// A STOP from a number that is not a contact creates a contact holding
// only the number and the opt-out, so a later import cannot message it;
// START from a stranger creates nothing.
func TestOptOutFromUnknownNumber(t *testing.T) {
	e := setupReplies(t)
	e.reply("+447911000050", "STOP")
	if got := e.state(e.orgA, "+447911000050"); got != "opted_out" {
		t.Fatalf("unknown number: %s", got)
	}
	var name string
	e.scan(&name, `SELECT name FROM contacts WHERE org_id = $1 AND phone_e164 = '+447911000050'`, e.orgA)
	if name != "" {
		t.Errorf("stored the profile name %q", name)
	}
	if c := e.confirmations(e.orgA, "+447911000050"); len(c) != 1 {
		t.Errorf("confirmations %q", c)
	}
	e.reply("+447911000051", "START")
	if n := e.count(`SELECT count(*) FROM contacts WHERE org_id = $1 AND phone_e164 = '+447911000051'`, e.orgA); n != 0 {
		t.Error("START from a stranger created a contact")
	}
	if n := e.count(`SELECT count(*) FROM contacts WHERE org_id = $1`, e.orgB); n != 0 {
		t.Error("org B got contacts")
	}
}
