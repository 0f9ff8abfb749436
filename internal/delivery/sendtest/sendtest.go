// Package sendtest builds what the sending engine's tests, benchmark and
// crash harness need: orgs connected to a sandbox number, contacts, and
// campaigns whose recipients are frozen into the ledger directly (the way
// campaign.Start leaves them: status 'queued', campaign running and
// frozen, campaign_stats.queued counted). It is test support: it writes
// with the privileged pool and skips the product's validation.
package sendtest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tidings/internal/connection"
	"tidings/internal/delivery"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/db"
	"tidings/internal/platform/secretbox"
	"tidings/internal/sandbox"
	"tidings/internal/whatsapp"
)

// EncryptionKeys seal the fixtures' connection secrets (also give them to a
// `tidings worker` process as ENCRYPTION_KEYS).
const EncryptionKeys = "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// World is a database (as the app and ops roles) plus the connection
// service over it.
type World struct {
	App, Ops *db.Conn
	Tenant   *db.Tenant
	Priv     *db.Privileged
	Conns    *connection.Service
	UserID   int64
}

// Open connects to a migrated database.
func Open(ctx context.Context, appURL, opsURL string, maxConns int32) (*World, error) {
	app, err := db.Open(ctx, appURL, db.Options{MaxConns: 4})
	if err != nil {
		return nil, err
	}
	ops, err := db.Open(ctx, opsURL, db.Options{MaxConns: maxConns})
	if err != nil {
		app.Close()
		return nil, err
	}
	keys, err := secretbox.ParseKeys(EncryptionKeys)
	if err != nil {
		return nil, err
	}
	box, err := secretbox.New(keys)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := &World{App: app, Ops: ops, Tenant: db.NewTenant(app), Priv: db.NewPrivileged(ops, log)}
	w.Conns = connection.NewService(w.Tenant, w.Priv, box, clock.System{}, "http://127.0.0.1", "v23.0")
	err = ops.Pool.QueryRow(ctx, `INSERT INTO users (email, name, phone_e164, password_hash)
		VALUES ('sender-`+strings.ToLower(rand.Text()[:8])+`@example.test', 'Sender Test', '+447700900000', 'x') RETURNING id`).Scan(&w.UserID)
	if err != nil {
		return nil, fmt.Errorf("sendtest: user: %w", err)
	}
	return w, nil
}

// Close closes both pools.
func (w *World) Close() { w.App.Close(); w.Ops.Close() }

// Org is one org connected to a sandbox number.
type Org struct {
	ID, ConnID int64
	PNID       string
	Token      string
	AppSecret  string
	WebhookKey string
}

// NewOrg creates an org and connects it to a new sandbox number at
// apiBase; rate is its wa_connections.send_rate. The caller registers
// the number with the sandbox (RegisterNumber).
func (w *World) NewOrg(ctx context.Context, n int, apiBase string, rate int) (Org, error) {
	var o Org
	err := w.Ops.Pool.QueryRow(ctx, `INSERT INTO orgs (name, industry, company_size, country, time_zone)
		VALUES ($1, 'retail', '1-10', 'GB', 'Europe/London') RETURNING id`, "Org "+strconv.Itoa(n)).Scan(&o.ID)
	if err != nil {
		return o, fmt.Errorf("sendtest: org: %w", err)
	}
	if _, err := w.Ops.Pool.Exec(ctx, `INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'owner')`, o.ID, w.UserID); err != nil {
		return o, fmt.Errorf("sendtest: membership: %w", err)
	}
	o.PNID = strconv.Itoa(300000000000000 + n)
	o.Token = "EAAGsendtest" + strconv.Itoa(1000000000+n) + "abcdefghij"
	o.AppSecret = "sendtestappsecret" + strconv.Itoa(100000+n)
	c, err := w.Conns.Save(ctx, o.ID, w.UserID, connection.Input{WABAID: strconv.Itoa(200000000000000 + n), PhoneNumberID: o.PNID,
		APIBaseURL: apiBase, APIVersion: "v23.0", AccessToken: o.Token, AppSecret: o.AppSecret})
	if err != nil {
		return o, fmt.Errorf("sendtest: connect: %w", err)
	}
	o.ConnID, o.WebhookKey = c.ID, c.WebhookKey
	if _, err := w.Ops.Pool.Exec(ctx, `UPDATE wa_connections SET send_rate = $2 WHERE id = $1`, c.ID, rate); err != nil {
		return o, err
	}
	return o, nil
}

// RegisterNumber adds the org's number to a sandbox; webhooks go to
// callback (empty: none); limit caps its throughput (0: the sandbox's
// setting).
func (o Org) RegisterNumber(sb interface{ AddNumber(sandbox.Number) error }, n int, callback string, limit int) error {
	return sb.AddNumber(sandbox.Number{WABAID: strconv.Itoa(200000000000000 + n), PhoneNumberID: o.PNID,
		DisplayPhoneNumber: "+1 555-020-" + fmt.Sprintf("%04d", n%10000), VerifiedName: "Org " + strconv.Itoa(n),
		Token: o.Token, AppSecret: o.AppSecret, CallbackURL: callback, Quality: "GREEN", Tier: "TIER_UNLIMITED",
		ThroughputPerSec: limit})
}

// Phone is the n-th test recipient of org (distinct across orgs).
func Phone(org int64, n int) string {
	return fmt.Sprintf("+4477%03d%05d", org%1000, n)
}

// Contacts inserts n contacts with the given consent state and returns
// their ids in order.
func (w *World) Contacts(ctx context.Context, org int64, from, n int, consent string) ([]int64, error) {
	rows, err := w.Ops.Pool.Query(ctx, `INSERT INTO contacts (org_id, phone_e164, name, consent_state)
		SELECT $1::bigint, format('+4477%s%s', lpad(($1::bigint % 1000)::text, 3, '0'), lpad(g::text, 5, '0')), 'Person ' || g, $4
		FROM generate_series($2::int, $2::int + $3::int - 1) g ORDER BY g RETURNING id`, org, from, n, consent)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// Campaign describes a campaign to freeze directly into the ledger.
type Campaign struct {
	Org      Org
	Template string // default "spring_offer" (MARKETING, named first_name + discount)
	Category string // default "MARKETING"
	Status   string // default "running"
	Frozen   *bool  // default true
}

// SpringOfferParams are the parameters of the sandbox's spring_offer.
var SpringOfferParams = func() []byte {
	b, _ := json.Marshal(whatsapp.TemplateParams{Body: []whatsapp.Parameter{
		whatsapp.NamedParam("first_name", "Ana"), whatsapp.NamedParam("discount", "20%")}})
	return b
}()

// NewCampaign creates the campaign row and its (empty) stats row.
func (w *World) NewCampaign(ctx context.Context, c Campaign) (int64, error) {
	if c.Template == "" {
		c.Template = "spring_offer"
	}
	if c.Category == "" {
		c.Category = "MARKETING"
	}
	if c.Status == "" {
		c.Status = "running"
	}
	frozen := c.Frozen == nil || *c.Frozen
	var id int64
	err := w.Ops.Pool.QueryRow(ctx, `INSERT INTO campaigns (org_id, name, status, connection_id, template_name, template_language, category, frozen, started_at)
		VALUES ($1, 'Campaign', $2, $3, $4, 'en_US', $5, $6, now()) RETURNING id`,
		c.Org.ID, c.Status, c.Org.ConnID, c.Template, c.Category, frozen).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("sendtest: campaign: %w", err)
	}
	_, err = w.Ops.Pool.Exec(ctx, `INSERT INTO campaign_stats (org_id, campaign_id) VALUES ($1, $2)`, c.Org.ID, id)
	return id, err
}

// Freeze inserts one queued ledger row per contact (set-based, as
// campaign.Start does) and counts them in campaign_stats.queued, in one
// transaction. TODO(campaign.Start): the benchmark's time-to-first-send
// measures this until campaign.Start is merged.
func (w *World) Freeze(ctx context.Context, c Campaign, campaignID int64, contactIDs []int64, params []byte) error {
	if c.Template == "" {
		c.Template = "spring_offer"
	}
	if c.Category == "" {
		c.Category = "MARKETING"
	}
	if params == nil {
		params = SpringOfferParams
	}
	return pgx.BeginFunc(ctx, w.Ops.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO messages (org_id, connection_id, to_e164, campaign_id, contact_id, kind, category,
				template_name, template_language, params)
			SELECT $1, $2, c.phone_e164, $3, c.id, 'template', $4, $5, 'en_US', $6
			FROM contacts c JOIN unnest($7::bigint[]) WITH ORDINALITY AS u(id, n) ON c.org_id = $1 AND c.id = u.id
			ORDER BY u.n`, c.Org.ID, c.Org.ConnID, campaignID, c.Category, c.Template, params, contactIDs)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE campaign_stats SET queued = queued + $3 WHERE org_id = $1 AND campaign_id = $2`,
			c.Org.ID, campaignID, tag.RowsAffected())
		return err
	})
}

// QueueText queues a one-off text message (campaign_id NULL), as the
// opt-out confirmation does.
func (w *World) QueueText(ctx context.Context, o Org, contactID int64, to, body string) (int64, error) {
	p, _ := json.Marshal(map[string]string{"body": body})
	var id int64
	var contact any
	if contactID != 0 {
		contact = contactID
	}
	err := w.Ops.Pool.QueryRow(ctx, `INSERT INTO messages (org_id, connection_id, to_e164, contact_id, kind, category, params)
		VALUES ($1, $2, $3, $4, 'text', 'UTILITY', $5) RETURNING id`, o.ID, o.ConnID, to, contact, p).Scan(&id)
	return id, err
}

// OptOut records a contact's opt-out the way the contacts feature derives
// it (consent event + contacts.consent_state).
func (w *World) OptOut(ctx context.Context, org, contactID int64) error {
	return pgx.BeginFunc(ctx, w.Ops.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO consent_events (org_id, contact_id, kind, source, at) VALUES ($1, $2, 'opt_out', 'contact', now())`, org, contactID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE contacts SET consent_state = 'opted_out', updated_at = now() WHERE org_id = $1 AND id = $2`, org, contactID)
		return err
	})
}

// Stats is a campaign's rollup row.
type Stats struct {
	Queued, Sending, Sent, Delivered, Read, Failed, Skipped, Unknown int64
}

// Querier is a pool or a transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// RollupAndLedger reads a campaign's rollup and counts its ledger in one
// REPEATABLE READ snapshot: webhooks may still be moving messages along,
// and the rollup moves in the same transaction as the ledger, so the two
// agree exactly in any one snapshot.
func RollupAndLedger(ctx context.Context, pool *pgxpool.Pool, org, campaign int64) (rollup, ledger Stats, err error) {
	err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if rollup, err = CampaignStats(ctx, tx, org, campaign); err != nil {
			return err
		}
		ledger, err = CountedStats(ctx, tx, org, campaign)
		return err
	})
	return rollup, ledger, err
}

// CampaignStats reads a campaign's rollup.
func CampaignStats(ctx context.Context, pool Querier, org, campaign int64) (Stats, error) {
	var s Stats
	err := pool.QueryRow(ctx, `SELECT queued, sending, sent, delivered, read, failed, skipped, unknown FROM campaign_stats
		WHERE org_id = $1 AND campaign_id = $2`, org, campaign).Scan(&s.Queued, &s.Sending, &s.Sent, &s.Delivered, &s.Read, &s.Failed, &s.Skipped, &s.Unknown)
	return s, err
}

// CountedStats counts the same figures from the ledger itself.
func CountedStats(ctx context.Context, pool Querier, org, campaign int64) (Stats, error) {
	var s Stats
	err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'queued'), count(*) FILTER (WHERE status = 'sending'),
		count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'delivered'), count(*) FILTER (WHERE status = 'read'),
		count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'skipped'), count(*) FILTER (WHERE status = 'unknown')
		FROM messages WHERE org_id = $1 AND campaign_id = $2`, org, campaign).Scan(&s.Queued, &s.Sending, &s.Sent, &s.Delivered, &s.Read, &s.Failed, &s.Skipped, &s.Unknown)
	return s, err
}

// WebhookReceiver stores webhook POSTs at /wh/{key} in the durable inbox,
// answering 200 only after the commit (as the web handler does, minus
// the signature check and the parsing, which have their own tests).
func WebhookReceiver(inbox *delivery.Inbox) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /wh/{key}", func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			http.Error(rw, "read", http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		if err := inbox.Store(ctx, r.PathValue("key"), body); err != nil {
			http.Error(rw, "store", http.StatusServiceUnavailable)
			return
		}
		rw.WriteHeader(http.StatusOK)
	})
	return mux
}
