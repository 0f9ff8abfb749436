// Package ratelimit counts attempts in sliding windows kept in PostgreSQL,
// so every web process shares one count and a restart forgets nothing.
// Keys are stored as keyed hashes: the table never holds an e-mail address
// or an IP address.
package ratelimit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"tidings/internal/platform/clock"
)

// Rule is a limit: at most Limit events per Window in Bucket.
type Rule struct {
	Bucket string
	Limit  int
	Window time.Duration
}

// Limiter checks and records events.
type Limiter struct {
	pool  *pgxpool.Pool
	clock clock.Clock
	key   []byte
}

// New returns a limiter over pool; secret keys the stored hashes.
func New(pool *pgxpool.Pool, c clock.Clock, secret []byte) *Limiter {
	return &Limiter{pool: pool, clock: c, key: secret}
}

// Check returns how long to wait before the next event is allowed under
// rule for key, or zero if it is allowed now. It records nothing.
func (l *Limiter) Check(ctx context.Context, rule Rule, key string) (time.Duration, error) {
	return l.check(ctx, l.pool, rule, l.hash(rule, key))
}

// Record counts one event (e.g. a failed login).
func (l *Limiter) Record(ctx context.Context, rule Rule, key string) error {
	_, err := l.pool.Exec(ctx, `INSERT INTO rate_events (bucket, key, at) VALUES ($1, $2, $3)`,
		rule.Bucket, l.hash(rule, key), l.clock.Now())
	if err != nil {
		return fmt.Errorf("ratelimit: record %s: %w", rule.Bucket, err)
	}
	return nil
}

// Take checks and, when allowed, records one event atomically, for actions
// limited on every attempt (signup, password reset).
func (l *Limiter) Take(ctx context.Context, rule Rule, key string) (time.Duration, error) {
	h := l.hash(rule, key)
	var wait time.Duration
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		// Serialise takers of one key so two racing requests cannot both
		// squeeze under the limit.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, rule.Bucket+":"+hex.EncodeToString(h)); err != nil {
			return err
		}
		var err error
		if wait, err = l.check(ctx, tx, rule, h); err != nil || wait > 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO rate_events (bucket, key, at) VALUES ($1, $2, $3)`, rule.Bucket, h, l.clock.Now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("ratelimit: take %s: %w", rule.Bucket, err)
	}
	return wait, nil
}

// Reset forgets a key's events (e.g. after a successful login).
func (l *Limiter) Reset(ctx context.Context, rule Rule, key string) error {
	_, err := l.pool.Exec(ctx, `DELETE FROM rate_events WHERE bucket = $1 AND key = $2`, rule.Bucket, l.hash(rule, key))
	if err != nil {
		return fmt.Errorf("ratelimit: reset %s: %w", rule.Bucket, err)
	}
	return nil
}

// Prune deletes events older than maxAge; run periodically.
func (l *Limiter) Prune(ctx context.Context, maxAge time.Duration) (int64, error) {
	tag, err := l.pool.Exec(ctx, `DELETE FROM rate_events WHERE at < $1`, l.clock.Now().Add(-maxAge))
	if err != nil {
		return 0, fmt.Errorf("ratelimit: prune: %w", err)
	}
	return tag.RowsAffected(), nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (l *Limiter) check(ctx context.Context, q querier, rule Rule, h []byte) (time.Duration, error) {
	now := l.clock.Now()
	// The Limit-th most recent event in the window: while it is inside the
	// window the key is at its limit, and the next attempt is allowed the
	// moment it slides out.
	var nth time.Time
	err := q.QueryRow(ctx, `SELECT at FROM rate_events WHERE bucket = $1 AND key = $2 AND at > $3
		ORDER BY at DESC OFFSET $4 LIMIT 1`, rule.Bucket, h, now.Add(-rule.Window), rule.Limit-1).Scan(&nth)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ratelimit: check %s: %w", rule.Bucket, err)
	}
	return max(nth.Add(rule.Window).Sub(now), time.Second), nil
}

func (l *Limiter) hash(rule Rule, key string) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(rule.Bucket))
	m.Write([]byte{0})
	m.Write([]byte(key))
	return m.Sum(nil)
}
