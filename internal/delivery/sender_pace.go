package delivery

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pacer spaces sends at a rate by virtual scheduling: each send takes the
// next slot, one interval after the previous one, so the long-run rate is
// exact however late the timer fires; a send that finds itself behind
// goes at once, but never more than burstWindow of slots are caught up.
type pacer struct {
	mu   sync.Mutex
	next time.Time
}

// burstWindow bounds the catch-up after a pause in the pipeline (a slow
// claim): 250 ms of slots, well inside the one second of burst Meta's
// bucket (and the sandbox's) allows.
const burstWindow = 250 * time.Millisecond

func (p *pacer) wait(ctx context.Context, rate int) error {
	if rate <= 0 {
		rate = 1
	}
	interval := time.Second / time.Duration(rate)
	p.mu.Lock()
	now := time.Now()
	if p.next.IsZero() {
		p.next = now // a fresh lease starts without a burst
	}
	if floor := now.Add(-max(burstWindow, interval)); p.next.Before(floor) {
		p.next = floor
	}
	at := p.next
	p.next = p.next.Add(interval)
	p.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff holds every send for d (Meta said 130429: too fast).
func (p *pacer) backoff(d time.Duration) {
	p.mu.Lock()
	if until := time.Now().Add(d); p.next.Before(until) {
		p.next = until
	}
	p.mu.Unlock()
}

// pairLimiter is Meta's per-recipient limit (doc §6.2): a bucket per
// recipient refilled one token per interval, burst tokens deep. Only the
// claim loops of the connection use it, and only one process paces a
// connection at a time (the lease), so it needs no database.
type pairLimiter struct {
	mu       sync.Mutex
	interval time.Duration
	burst    float64
	m        map[string]*pairState
	swept    time.Time
}

type pairState struct {
	tokens float64
	last   time.Time
}

func (p *pairLimiter) init(interval time.Duration, burst int) {
	p.interval, p.burst, p.m = interval, float64(burst), map[string]*pairState{}
}

// take spends one token for to and returns 0, or returns how long until a
// token is there.
func (p *pairLimiter) take(to string, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.swept) > time.Duration(p.burst)*p.interval {
		// Forget recipients whose bucket is full again: a campaign sends
		// each person one message, and a million entries would otherwise stay.
		for k, st := range p.m {
			if now.Sub(st.last) >= time.Duration(p.burst)*p.interval {
				delete(p.m, k)
			}
		}
		p.swept = now
	}
	st := p.m[to]
	if st == nil {
		st = &pairState{tokens: p.burst, last: now}
		p.m[to] = st
	}
	st.tokens = min(p.burst, st.tokens+float64(now.Sub(st.last))/float64(p.interval))
	st.last = now
	if st.tokens >= 1 {
		st.tokens--
		return 0
	}
	return time.Duration((1 - st.tokens) * float64(p.interval))
}

// pauseTracker keeps each campaign's recent answers (a ring of the last
// PauseWindow): the error rate that pauses a campaign is over these, so a
// resumed campaign starts with a clean slate.
type pauseTracker struct {
	mu     sync.Mutex
	window int
	m      map[[2]int64]*ring
}

type ring struct {
	bits   []bool
	n, pos int
	errors int
}

func (t *pauseTracker) init(window int) { t.window, t.m = window, map[[2]int64]*ring{} }

// note records one answer and reports whether the rate should be checked.
func (t *pauseTracker) note(org, campaign int64, failed bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.m[[2]int64{org, campaign}]
	if r == nil {
		r = &ring{bits: make([]bool, t.window)}
		t.m[[2]int64{org, campaign}] = r
	}
	if r.n == len(r.bits) {
		if r.bits[r.pos] {
			r.errors--
		}
	} else {
		r.n++
	}
	r.bits[r.pos] = failed
	if failed {
		r.errors++
	}
	r.pos = (r.pos + 1) % len(r.bits)
	return failed
}

func (t *pauseTracker) rate(org, campaign int64) (float64, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.m[[2]int64{org, campaign}]
	if r == nil || r.n == 0 {
		return 0, 0
	}
	return float64(r.errors) / float64(r.n), r.n
}

func (t *pauseTracker) reset(org, campaign int64) {
	t.mu.Lock()
	delete(t.m, [2]int64{org, campaign})
	t.mu.Unlock()
}

// defaultPauseErrorRate is org_send_settings.pause_error_rate's default,
// for orgs without a settings row.
const defaultPauseErrorRate = 0.2

// maybePause pauses a running campaign whose recent error rate passed the
// org's threshold.
func (s *Sender) maybePause(org, campaign int64) {
	rate, n := s.pause.rate(org, campaign)
	if n < s.o.PauseMinSample {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var threshold float64
	err := s.pool.QueryRow(ctx, `SELECT coalesce((SELECT pause_error_rate FROM org_send_settings WHERE org_id = $1), $2)`,
		org, defaultPauseErrorRate).Scan(&threshold)
	if err != nil || rate <= threshold {
		return
	}
	reason := fmt.Sprintf("Paused automatically: %.0f%% of the last %d messages failed (the limit is %.0f%%). Check the failures, then resume.",
		rate*100, n, threshold*100)
	tag, err := s.pool.Exec(ctx, `UPDATE campaigns SET status = 'paused', pause_reason = $3, updated_at = now()
		WHERE org_id = $1 AND id = $2 AND status = 'running'`, org, campaign, reason)
	if err != nil {
		s.log.Warn("sender: auto-pause", "campaign_id", campaign, "err", err)
		return
	}
	s.pause.reset(org, campaign)
	if tag.RowsAffected() > 0 {
		s.log.Info("sender: campaign paused for its error rate", "org_id", org, "campaign_id", campaign, "rate", rate)
	}
}

// ReasonUnknown is shown for a message whose send outcome is unknown.
const ReasonUnknown = "Unknown: the send was attempted but no answer was recorded (the worker stopped or the answer was lost). A later status from WhatsApp will settle it."

// housekeeping runs Housekeep every period until ctx ends.
func (s *Sender) housekeeping(ctx context.Context) {
	t := time.NewTicker(s.o.Housekeeping)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Housekeep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sender: housekeeping", "err", err)
		}
	}
}

// Housekeep shows long-'sending' rows as unknown and completes campaigns
// with nothing left to send. Safe to run from any number of processes.
func (s *Sender) Housekeep(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH u AS (
				UPDATE messages SET status = 'unknown', reason = $2, updated_at = now()
				WHERE status = 'sending' AND sending_at < now() - $1::bigint * interval '1 millisecond'
				RETURNING org_id, campaign_id)
			SELECT org_id, campaign_id, count(*) FROM u WHERE campaign_id IS NOT NULL GROUP BY 1, 2`,
			s.o.UnknownAfter.Milliseconds(), ReasonUnknown)
		if err != nil {
			return err
		}
		var st statDeltas
		for rows.Next() {
			var org, campaign, n int64
			if err := rows.Scan(&org, &campaign, &n); err != nil {
				rows.Close()
				return err
			}
			st.add(org, campaign, stSending, -n)
			st.add(org, campaign, stUnknown, n)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		b := &pgx.Batch{}
		st.queue(b)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("delivery: mark unknown: %w", err)
	}
	_, err = s.pool.Exec(ctx, `UPDATE campaigns k SET status = 'completed', finished_at = now(), updated_at = now()
		WHERE k.status = 'running' AND k.frozen
		  AND NOT EXISTS (SELECT 1 FROM wa_connections c, LATERAL (
		                    SELECT 1 FROM messages m WHERE m.org_id = c.org_id AND m.connection_id = c.id
		                      AND m.campaign_id = k.id AND m.status = 'queued' LIMIT 1) q
		                  WHERE c.org_id = k.org_id)
		  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.org_id = k.org_id AND m.status = 'sending' AND m.campaign_id = k.id)`)
	if err != nil {
		return fmt.Errorf("delivery: complete campaigns: %w", err)
	}
	return nil
}
