package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tidings/internal/platform/clock"
	"tidings/internal/whatsapp"
)

// Processor applies stored webhook bodies: it routes each event to its
// org by phone-number id, drops what it has seen before, and applies
// statuses by rank so they never move backwards. It is cross-tenant work
// and runs on the privileged pool; every statement names its org.
type Processor struct {
	pool  *pgxpool.Pool
	clock clock.Clock
	log   *slog.Logger
	// Batch is how many stored bodies one transaction takes (default 256).
	Batch int
	// Poll is how long to wait when the inbox is empty (default 200 ms).
	Poll time.Duration
}

// NewProcessor returns a processor over the privileged pool.
func NewProcessor(pool *pgxpool.Pool, c clock.Clock, log *slog.Logger) *Processor {
	return &Processor{pool: pool, clock: c, log: log, Batch: 256, Poll: 200 * time.Millisecond}
}

// Run processes until ctx ends. Several processes may run it at once:
// SKIP LOCKED hands each body to one of them.
func (p *Processor) Run(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := p.ProcessBatch(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.ErrorContext(ctx, "webhook processing failed", "err", err)
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(p.Poll):
			}
		}
	}
}

type connRoute struct {
	orgID, connID int64
	// send holds the org's reply rules (opt-out keywords…); see optout.go.
	send *sendSettings
}

type inboxRow struct {
	id   int64
	key  string
	body []byte
}

// ProcessBatch applies up to Batch pending bodies in one transaction and
// returns how many it took.
func (p *Processor) ProcessBatch(ctx context.Context) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, webhook_key, body FROM webhook_inbox
			WHERE processed_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, p.Batch)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (inboxRow, error) {
			var it inboxRow
			return it, r.Scan(&it.id, &it.key, &it.body)
		})
		if err != nil || len(items) == 0 {
			return err
		}
		n = len(items)
		routes, err := p.routes(ctx, tx, items)
		if err != nil {
			return err
		}
		// Separate from the batch: the batch's statements are prepared
		// before any of them runs, and they name this table.
		if _, err := tx.Exec(ctx, movesTableSQL); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, it := range items {
			problem := p.queue(b, it, routes)
			b.Queue(`UPDATE webhook_inbox SET processed_at = $2, problem = $3 WHERE id = $1`, it.id, p.clock.Now(), problem)
		}
		b.Queue(flushMovesSQL)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return 0, fmt.Errorf("delivery: process webhooks: %w", err)
	}
	return n, nil
}

// routes loads the connections the batch can refer to: by webhook key
// (the URL it arrived on) and by phone-number id (what each event names).
func (p *Processor) routes(ctx context.Context, tx pgx.Tx, items []inboxRow) (map[string]connRoute, error) {
	keys := make([]string, 0, len(items))
	for _, it := range items {
		keys = append(keys, it.key)
	}
	rows, err := tx.Query(ctx, `SELECT c.org_id, c.id, c.webhook_key, c.phone_number_id, s.optout_keywords, s.optin_keywords,
			s.optout_payloads, s.optout_confirmation, s.optin_confirmation
		FROM wa_connections c LEFT JOIN org_send_settings s ON s.org_id = c.org_id WHERE c.webhook_key = ANY($1)`, keys)
	if err != nil {
		return nil, err
	}
	out := map[string]connRoute{}
	for rows.Next() {
		var r connRoute
		var key, pnid string
		var optOut, optIn, payloads []string
		var optOutText, optInText *string
		if err := rows.Scan(&r.orgID, &r.connID, &key, &pnid, &optOut, &optIn, &payloads, &optOutText, &optInText); err != nil {
			return nil, err
		}
		r.send = newSendSettings(optOut, optIn, payloads, optOutText, optInText)
		out["key:"+key], out["pnid:"+pnid] = r, r
	}
	return out, rows.Err()
}

// queue adds the statements for one stored body and returns what was
// wrong with it, if anything ("" when all of it was understood).
func (p *Processor) queue(b *pgx.Batch, it inboxRow, routes map[string]connRoute) string {
	home, ok := routes["key:"+it.key]
	if !ok {
		return "the connection this webhook arrived for no longer exists"
	}
	env, err := whatsapp.ParseWebhook(it.body)
	if err != nil {
		return "not a WhatsApp webhook body: " + truncate(err.Error(), 200)
	}
	var problems []string
	for _, ev := range env.Events() {
		r := home
		if ev.PhoneNumberID != "" {
			if r, ok = routes["pnid:"+ev.PhoneNumberID]; !ok || r.orgID != home.orgID {
				// An event for a number that is not this connection's: never
				// apply it to whichever org happens to own that number.
				problems = append(problems, "event for phone number id "+ev.PhoneNumberID+" that this connection does not own")
				continue
			}
		}
		if msg := p.queueEvent(b, r, ev); msg != "" {
			problems = append(problems, msg)
		}
	}
	return strings.Join(problems, "; ")
}

func (p *Processor) queueEvent(b *pgx.Batch, r connRoute, ev whatsapp.Event) string {
	switch ev.Kind {
	case whatsapp.KindStatus:
		queueStatus(b, r, ev.Status)
	case whatsapp.KindMessage:
		m := ev.Message
		b.Queue(`INSERT INTO inbound_messages (org_id, connection_id, wamid, from_e164, profile_name, kind, body, payload, sent_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (org_id, wamid) DO NOTHING`,
			r.orgID, r.connID, m.WAMID, "+"+strings.TrimPrefix(m.From, "+"), m.ContactName, m.Type,
			firstNonEmpty(m.Text, m.ButtonText, m.ReplyTitle, m.Caption), firstNonEmpty(m.ButtonPayload, m.ReplyID), unix(m.Timestamp))
		queueReply(b, r, m)
	case whatsapp.KindTemplateStatus:
		t := ev.Template
		// Matched by Meta's id; a template we know only by name and
		// language (stored before its id was) gets the id too. REINSTATED
		// means approved again.
		b.Queue(`UPDATE wa_templates SET status = CASE WHEN $3 = 'REINSTATED' THEN 'APPROVED' ELSE $3 END, reason = $4,
				meta_id = CASE WHEN $2 <> '' THEN $2 ELSE meta_id END, updated_at = now()
			WHERE org_id = $1 AND (meta_id = $2 OR (name = $5 AND language = $6
				AND NOT EXISTS (SELECT 1 FROM wa_templates w WHERE w.org_id = $1 AND w.meta_id = $2)))`,
			r.orgID, t.TemplateID, t.Event, strings.TrimPrefix(t.Reason, "NONE"), t.Name, t.Language)
	case whatsapp.KindPhoneQuality:
		q := ev.Quality
		tier := firstNonEmpty(q.MaxDailyConversations, q.CurrentLimit)
		b.Queue(`INSERT INTO wa_quality_events (org_id, connection_id, event, limit_tier, at) VALUES ($1, $2, $3, $4, $5)`,
			r.orgID, r.connID, q.Event, tier, p.eventTime(ev.Time))
		if tier != "" {
			b.Queue(`UPDATE wa_connections SET messaging_limit_tier = $3, updated_at = now() WHERE org_id = $1 AND id = $2`, r.orgID, r.connID, tier)
		}
	case whatsapp.KindError:
		codes := make([]string, len(ev.Errors))
		for i, e := range ev.Errors {
			codes[i] = strconv.Itoa(e.Code)
		}
		return "Meta reported errors " + strings.Join(codes, ", ")
	case whatsapp.KindUserPreference:
		// Marketing stop/resume from inside WhatsApp: applied to consent by
		// the contacts feature; kept in the inbox until then.
		return ""
	default:
		if ev.Err != nil {
			return "could not read field " + ev.Field + ": " + truncate(ev.Err.Error(), 120)
		}
		return "unknown field " + truncate(ev.Field, 60)
	}
	return ""
}

// queueStatus records a status once and applies it by rank: the status
// moves only forward (sent < failed < delivered < read), timestamps fill
// in whatever the order, read implies delivered, and a message whose send
// response was lost is matched by our ledger id and gets its wamid.
func queueStatus(b *pgx.Batch, r connRoute, s *whatsapp.StatusUpdate) {
	rank := whatsapp.StatusRank(s.Status)
	if rank == 0 || rank > 4 || s.WAMID == "" { // "played" (voice) is not tracked
		return
	}
	var code *int
	if len(s.Errors) > 0 {
		code = &s.Errors[0].Code
	}
	ledgerID, _ := strconv.ParseInt(s.BizOpaqueCallbackData, 10, 64)
	at := unix(s.Timestamp)
	// The row is locked first (old) so the move recorded for the campaign
	// rollup is from the status it really had; the rollup itself is updated
	// once at the end of the batch (flushMoves), after every message lock,
	// in the same order as the sender's transactions take theirs.
	b.Queue(`WITH seen AS (
			INSERT INTO message_status_events (org_id, wamid, status, message_id, error_code, at)
			VALUES ($1, $2, $3, nullif($4, 0), $5, $6)
			ON CONFLICT DO NOTHING RETURNING 1),
		old AS (
			SELECT m.org_id, m.id, m.status, m.campaign_id FROM messages m
			WHERE EXISTS (SELECT 1 FROM seen) AND m.org_id = $1
			  AND (m.wamid = $2 OR (m.wamid IS NULL AND m.id = $4))
			FOR UPDATE),
		upd AS (
			UPDATE messages m SET
				wamid = coalesce(m.wamid, $2),
				status = CASE WHEN `+rankSQL("m.status")+` < $7 THEN $3 ELSE m.status END,
				error_code = CASE WHEN $3 = 'failed' AND `+rankSQL("m.status")+` < $7 THEN $5 ELSE m.error_code END,
				sent_at = CASE WHEN $3 = 'sent' THEN coalesce(m.sent_at, $6) ELSE m.sent_at END,
				delivered_at = CASE WHEN $3 IN ('delivered', 'read') THEN coalesce(m.delivered_at, $6) ELSE m.delivered_at END,
				read_at = CASE WHEN $3 = 'read' THEN coalesce(m.read_at, $6) ELSE m.read_at END,
				failed_at = CASE WHEN $3 = 'failed' THEN coalesce(m.failed_at, $6) ELSE m.failed_at END,
				updated_at = now()
			FROM old WHERE m.org_id = old.org_id AND m.id = old.id
			RETURNING m.campaign_id, old.status AS old_status, m.status AS new_status)
		INSERT INTO delivery_moves (org_id, campaign_id, old_status, new_status)
		SELECT $1, campaign_id, old_status, new_status FROM upd
		WHERE campaign_id IS NOT NULL AND old_status <> new_status`,
		r.orgID, s.WAMID, s.Status, ledgerID, code, at, rank)
}

// movesTableSQL makes the session's scratch table of status moves (emptied
// at every commit).
const movesTableSQL = `CREATE TEMP TABLE IF NOT EXISTS delivery_moves (
	org_id bigint, campaign_id bigint, old_status text, new_status text) ON COMMIT DELETE ROWS`

// flushMovesSQL folds the batch's status moves into campaign_stats.
var flushMovesSQL = func() string {
	cols := []string{"queued", "sending", "sent", "delivered", "read", "failed", "skipped", "unknown"}
	var sel, set []string
	for _, c := range cols {
		sel = append(sel, "count(*) FILTER (WHERE new_status = '"+c+"') - count(*) FILTER (WHERE old_status = '"+c+"')")
		set = append(set, c+" = s."+c+" + excluded."+c)
	}
	return `INSERT INTO campaign_stats AS s (org_id, campaign_id, ` + strings.Join(cols, ", ") + `, updated_at)
		SELECT org_id, campaign_id, ` + strings.Join(sel, ", ") + `, now()
		FROM delivery_moves GROUP BY org_id, campaign_id ORDER BY org_id, campaign_id
		ON CONFLICT (org_id, campaign_id) DO UPDATE SET ` + strings.Join(set, ", ") + `, updated_at = now()`
}()

// rankSQL mirrors whatsapp.StatusRank for a column.
func rankSQL(col string) string {
	return "(CASE " + col + " WHEN 'sent' THEN 1 WHEN 'failed' THEN 2 WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 ELSE 0 END)"
}

func (p *Processor) eventTime(t int64) time.Time {
	if t > 0 {
		return unix(t)
	}
	return p.clock.Now()
}

func unix(t int64) time.Time { return time.Unix(t, 0).UTC() }

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
