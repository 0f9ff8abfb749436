// Package db owns the connection pools and the only two ways to reach data:
// a tenant-bound transaction (Tenant), which sets the organisation for row-
// level security, and an explicitly named privileged handle (Privileged) for
// the few cross-tenant jobs. Each is one pgx pool with GORM running over it,
// so COPY and batch claims can use pgx while CRUD uses GORM.
package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrNoOrg is returned when a tenant transaction is asked for without an org.
var ErrNoOrg = errors.New("db: no organisation given for a tenant transaction")

// Options tune a pool.
type Options struct {
	MaxConns int32
	// StatementTimeout bounds every statement so no request hangs on a stuck
	// query; zero leaves the server's default.
	StatementTimeout time.Duration
	// AppName shows in pg_stat_activity.
	AppName string
}

// Conn is one pgx pool and the GORM handle over it.
type Conn struct {
	Pool *pgxpool.Pool
	Gorm *gorm.DB
}

// Open connects and pings.
func Open(ctx context.Context, url string, o Options) (*Conn, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("db: parse url: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	if o.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
	}
	if o.AppName != "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = o.AppName
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: ping %s@%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, err)
	}
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: stdlib.OpenDBFromPool(pool)}), &gorm.Config{
		// SQL is logged by nobody: statements carry personal data.
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		TranslateError:         true,
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: open gorm: %w", err)
	}
	return &Conn{Pool: pool, Gorm: g}, nil
}

// Close closes the pool.
func (c *Conn) Close() {
	if sqlDB, err := c.Gorm.DB(); err == nil {
		_ = sqlDB.Close()
	}
	c.Pool.Close()
}

// Tenant is the runtime role's handle. Handlers reach organisation data only
// through InOrg, which binds the transaction to one org; RLS then hides
// every other org's rows even if a query forgets its WHERE clause.
type Tenant struct{ conn *Conn }

// NewTenant wraps a connection made as the runtime role.
func NewTenant(c *Conn) *Tenant { return &Tenant{conn: c} }

// Conn exposes the underlying pool, for health checks and River inserts.
func (t *Tenant) Conn() *Conn { return t.conn }

// InOrg runs fn in a transaction bound to orgID (and, for policies that let a
// person see their own memberships, userID; zero means none).
func (t *Tenant) InOrg(ctx context.Context, orgID, userID int64, fn func(tx *gorm.DB) error) error {
	if orgID <= 0 {
		return ErrNoOrg
	}
	return t.tx(ctx, orgID, userID, fn)
}

// AsUser runs fn in a transaction bound to a user but to no organisation:
// it sees the user's own memberships and orgs, and the tables that belong to
// no tenant (users, sessions), but no organisation's data.
func (t *Tenant) AsUser(ctx context.Context, userID int64, fn func(tx *gorm.DB) error) error {
	return t.tx(ctx, 0, userID, fn)
}

// Global runs fn with no tenant and no user: only tables outside tenancy
// (users, sessions, tokens, policies, rate events) are visible.
func (t *Tenant) Global(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return t.tx(ctx, 0, 0, fn)
}

func (t *Tenant) tx(ctx context.Context, orgID, userID int64, fn func(tx *gorm.DB) error) error {
	return t.conn.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// is_local=true: the setting dies with the transaction, so a pooled
		// connection never carries one request's tenant into the next.
		if err := tx.Exec("SELECT set_config('app.org_id', ?, true), set_config('app.user_id', ?, true)",
			idSetting(orgID), idSetting(userID)).Error; err != nil {
			return fmt.Errorf("db: bind tenant: %w", err)
		}
		return fn(tx)
	})
}

func idSetting(id int64) string {
	if id <= 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// Privileged is the handle for cross-tenant work (webhook routing, the
// sender loop, invitation look-up, the admin panel). It connects as a role
// that bypasses RLS, so every use names its reason, which is logged.
type Privileged struct {
	conn *Conn
	log  *slog.Logger
}

// NewPrivileged wraps a connection made as the privileged role.
func NewPrivileged(c *Conn, log *slog.Logger) *Privileged {
	return &Privileged{conn: c, log: log}
}

// Conn exposes the underlying pool for bulk paths.
func (p *Privileged) Conn() *Conn { return p.conn }

// Tx runs fn in a transaction that can see every organisation.
func (p *Privileged) Tx(ctx context.Context, reason string, fn func(tx *gorm.DB) error) error {
	p.log.DebugContext(ctx, "privileged transaction", "reason", reason)
	return p.conn.Gorm.WithContext(ctx).Transaction(fn)
}

// NewOrg runs fn in a transaction bound to a freshly drawn organisation id,
// so the org's first rows pass the WITH CHECK policies. fn must insert the
// orgs row with that id.
func (t *Tenant) NewOrg(ctx context.Context, fn func(tx *gorm.DB, orgID int64) error) error {
	return t.conn.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var id int64
		if err := tx.Raw("SELECT nextval('orgs_id_seq')").Scan(&id).Error; err != nil {
			return fmt.Errorf("db: draw org id: %w", err)
		}
		if err := tx.Exec("SELECT set_config('app.org_id', ?, true)", idSetting(id)).Error; err != nil {
			return fmt.Errorf("db: bind tenant: %w", err)
		}
		return fn(tx, id)
	})
}
