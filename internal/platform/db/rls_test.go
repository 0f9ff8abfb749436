package db_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/gorm"

	"tidings/internal/platform/db"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/pgboot"
	"tidings/internal/platform/pgtest"
	"tidings/migrations"
)

// Row-level security, checked in the catalog and by behaviour (QUALITY.md,
// "Security", RLS): every table with org_id has RLS enabled and forced
// with USING and WITH CHECK bound to app_org_id(); the runtime role owns
// nothing and cannot bypass it; and through a pool, a transaction sees its
// own org's rows only, none when it forgets to say which org.

// rlsSeeds inserts one row per org into every table with org_id, in
// foreign-key order ($1 org id, $2 a user of that org). The behaviour
// tests fail for a table with org_id that has no seed here: add one when
// you add such a table, so the probes cover it.
var rlsSeeds = []struct{ table, sql string }{
	{"memberships", `INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'owner')`},
	{"invites", `INSERT INTO invites (org_id, email, role, token_hash, invited_by, expires_at)
		VALUES ($1, 'invitee-' || $1 || '@rls.test', 'member', sha256(random()::text::bytea), $2, now() + interval '7 days')`},
	{"audit_log", `INSERT INTO audit_log (org_id, actor_user_id, action) VALUES ($1, $2, 'rls.seed')`},
	{"wa_connections", `INSERT INTO wa_connections (org_id, waba_id, phone_number_id, api_base_url, api_version,
		access_token_sealed, app_secret_sealed, verify_token_sealed, webhook_key)
		VALUES ($1, 'waba-' || $1, 'pn-' || $1, 'http://127.0.0.1:1', 'v21.0', 'k:sealed', 'k:sealed', 'k:sealed', 'wk-' || $1)`},
	{"messages", `INSERT INTO messages (org_id, connection_id, to_e164, wamid)
		SELECT $1, id, '+447700900001', 'wamid-' || $1 FROM wa_connections WHERE org_id = $1`},
	{"message_status_events", `INSERT INTO message_status_events (org_id, wamid, status, at) VALUES ($1, 'wamid-' || $1, 'sent', now())`},
	{"inbound_messages", `INSERT INTO inbound_messages (org_id, connection_id, wamid, from_e164, kind, sent_at)
		SELECT $1, id, 'in-' || $1, '+447700900002', 'text', now() FROM wa_connections WHERE org_id = $1`},
	{"wa_templates", `INSERT INTO wa_templates (org_id, connection_id, meta_id, name, language)
		SELECT $1, id, 'meta-' || $1, 'welcome', 'en' FROM wa_connections WHERE org_id = $1`},
	{"wa_quality_events", `INSERT INTO wa_quality_events (org_id, connection_id, event, at)
		SELECT $1, id, 'FLAGGED', now() FROM wa_connections WHERE org_id = $1`},
	{"contacts", `INSERT INTO contacts (org_id, phone_e164, name) VALUES ($1, '+4479110' || lpad($1::text, 5, '0'), 'RLS contact')`},
	{"consent_attestations", `INSERT INTO consent_attestations (org_id, method, collected_on, lawful_basis, wording, attested_by, attested_at)
		VALUES ($1, 'web form', '2026', 'consent', 'Yes, message me', $2, now())`},
	{"consent_events", `INSERT INTO consent_events (org_id, contact_id, kind, source, at)
		SELECT $1, id, 'opt_in', 'manual', now() FROM contacts WHERE org_id = $1`},
	{"contact_lists", `INSERT INTO contact_lists (org_id, name) VALUES ($1, 'RLS list')`},
	{"contact_list_members", `INSERT INTO contact_list_members (org_id, list_id, contact_id)
		SELECT $1, l.id, c.id FROM contact_lists l, contacts c WHERE l.org_id = $1 AND c.org_id = $1`},
	{"contact_imports", `INSERT INTO contact_imports (org_id, created_by, filename, size_bytes, status, created_at)
		VALUES ($1, $2, 'rls.csv', 10, 'finished', now())`},
	{"contact_import_rejects", `INSERT INTO contact_import_rejects (org_id, import_id, line, reason)
		SELECT $1, id, 2, 'missing phone' FROM contact_imports WHERE org_id = $1`},
	{"org_send_settings", `INSERT INTO org_send_settings (org_id) VALUES ($1)`},
	{"campaigns", `INSERT INTO campaigns (org_id, name, created_by) VALUES ($1, 'RLS campaign', $2)`},
	{"campaign_stats", `INSERT INTO campaign_stats (org_id, campaign_id) SELECT $1, id FROM campaigns WHERE org_id = $1`},
}

func TestRLSCatalog(t *testing.T) {
	d := rlsDB(t)
	ctx := t.Context()
	conn := rlsConnect(t, d.SuperURL)
	tables := rlsOrgTables(t, conn)
	for _, want := range []string{"orgs", "memberships", "invites", "audit_log"} {
		if !slices.ContainsFunc(tables, func(x rlsTable) bool { return x.name == want }) {
			t.Fatalf("the catalog query found no %s among the tables with org_id (found %v): the test is broken", want, tables)
		}
	}

	var offenders []string
	for _, tb := range tables {
		var problems []string
		var enabled, forced bool
		if err := conn.QueryRow(ctx, `SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = $1::regclass`, tb.name).Scan(&enabled, &forced); err != nil {
			t.Fatal(err)
		}
		if !enabled {
			problems = append(problems, "RLS not enabled")
		}
		if !forced {
			problems = append(problems, "RLS not forced (the owner bypasses it)")
		}
		rows, err := conn.Query(ctx, `SELECT polname, polpermissive, polcmd::text,
				coalesce(pg_get_expr(polqual, polrelid), ''), coalesce(pg_get_expr(polwithcheck, polrelid), '')
			FROM pg_policy WHERE polrelid = $1::regclass ORDER BY polname`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		tenantPolicy := false
		for rows.Next() {
			var name, cmd, using, check string
			var permissive bool
			if err := rows.Scan(&name, &permissive, &cmd, &using, &check); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(using, "app_org_id()") && strings.Contains(check, "app_org_id()") {
				tenantPolicy = true
			}
			if !permissive {
				continue // restrictive policies only narrow what others allow
			}
			// Permissive policies are OR-ed: one that is not bound to the
			// tenant (say USING (true)) opens the table to everyone.
			if cmd != "a" && !strings.Contains(using, "app_org_id()") && !strings.Contains(using, "app_user_id()") {
				problems = append(problems, fmt.Sprintf("permissive policy %s USING (%s) is not bound to app_org_id()", name, using))
			}
			// Without WITH CHECK, USING checks new rows; either way a new
			// row must be bound to the org, not merely to the user (a
			// person belongs to several orgs).
			effective := check
			if effective == "" {
				effective = using
			}
			if cmd != "r" && cmd != "d" && (!strings.Contains(effective, "app_org_id()") || strings.Contains(effective, "app_user_id()")) {
				problems = append(problems, fmt.Sprintf("permissive policy %s lets rows be written outside the current org: WITH CHECK (%s)", name, effective))
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if !tenantPolicy {
			problems = append(problems, "no policy with both USING and WITH CHECK on app_org_id()")
		}
		if len(problems) > 0 {
			offenders = append(offenders, tb.name+": "+strings.Join(problems, "; "))
		}
	}
	if len(offenders) > 0 {
		t.Errorf("tables with org_id whose row-level security is incomplete:\n  %s", strings.Join(offenders, "\n  "))
	}

	// A view runs with its owner's rights (the owner is subject to forced
	// RLS, but only for tables; a materialized view keeps a copy no policy
	// filters). Views over tenant data must be security_invoker.
	rows, err := conn.Query(ctx, `SELECT c.relname, c.relkind::text, coalesce(array_to_string(c.reloptions, ','), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
		WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, kind, opts string
		if err := rows.Scan(&name, &kind, &opts); err != nil {
			t.Fatal(err)
		}
		if kind == "m" {
			t.Errorf("materialized view %s holds org_id: RLS cannot filter it", name)
		} else if !strings.Contains(opts, "security_invoker=true") && !strings.Contains(opts, "security_invoker=on") {
			t.Errorf("view %s holds org_id but is not security_invoker: it would bypass the caller's RLS", name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestRLSRuntimeRoleOwnsNothing(t *testing.T) {
	d := rlsDB(t)
	ctx := t.Context()
	conn := rlsConnect(t, d.SuperURL)
	app := pgboot.AppRole

	var super, bypass, createRole, createDB bool
	if err := conn.QueryRow(ctx, `SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1`, app).
		Scan(&super, &bypass, &createRole, &createDB); err != nil {
		t.Fatalf("role %s: %v", app, err)
	}
	if super || bypass || createRole || createDB {
		t.Errorf("%s: superuser=%v bypassrls=%v createrole=%v createdb=%v; want all false", app, super, bypass, createRole, createDB)
	}

	owned := map[string]string{
		"tables, views and sequences": `SELECT c.oid::regclass::text FROM pg_class c WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
		"functions":                   `SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.proowner = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
		"schemas":                     `SELECT nspname::text FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
		"types":                       `SELECT t.oid::regtype::text FROM pg_type t WHERE t.typowner = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
		"databases":                   `SELECT datname::text FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
		// Membership in another role lends its rights (SET ROLE, or
		// inherited ownership): the runtime role must stand alone.
		"role memberships": `SELECT r.rolname::text FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
			WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
		// TRUNCATE ignores RLS; TRIGGER would let it plant code on a table.
		"TRUNCATE or TRIGGER rights": `SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
			  AND (has_table_privilege($1, c.oid, 'TRUNCATE') OR has_table_privilege($1, c.oid, 'TRIGGER'))`,
		// Whatever it could create, it would own.
		"CREATE on a schema": `SELECT nspname::text FROM pg_namespace
			WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' AND has_schema_privilege($1, oid, 'CREATE')`,
	}
	for what, sql := range owned {
		names := rlsStrings(t, conn, sql, app)
		if len(names) > 0 {
			t.Errorf("%s has %s: %s", app, what, strings.Join(names, ", "))
		}
	}
	var dbCreate bool
	if err := conn.QueryRow(ctx, `SELECT has_database_privilege($1, current_database(), 'CREATE')`, app).Scan(&dbCreate); err != nil {
		t.Fatal(err)
	}
	if dbCreate {
		t.Errorf("%s may CREATE schemas in the database", app)
	}
}

func TestRLSTenantBoundaries(t *testing.T) {
	d := rlsDB(t)
	ctx := t.Context()
	super := rlsConnect(t, d.SuperURL)
	tables := rlsOrgTables(t, super)
	x, y := rlsSeed(t, d, tables)
	app := rlsConnect(t, d.AppURL)
	ops := rlsConnect(t, d.OpsURL)

	// No org set (a fresh connection, and one that forgot inside a
	// transaction): not a single org row anywhere.
	for _, tb := range tables {
		if n := rlsCount(t, app, `SELECT count(*) FROM `+tb.ident()); n != 0 {
			t.Errorf("with no org set, tidings_app sees %d rows of %s", n, tb.name)
		}
	}

	for _, tb := range tables {
		// Bound to Y: Y's rows, none of X's.
		rlsInTx(t, app, y, func(tx pgx.Tx) {
			if n := rlsCount(t, tx, `SELECT count(*) FROM `+tb.ident()+` WHERE org_id = $1`, x.org); n != 0 {
				t.Errorf("%s: bound to org %d, tidings_app sees %d rows of org %d", tb.name, y.org, n, x.org)
			}
			if n := rlsCount(t, tx, `SELECT count(*) FROM `+tb.ident()); n == 0 {
				t.Errorf("%s: bound to org %d, tidings_app sees none of its own rows", tb.name, y.org)
			}
		})

		// INSERT of a row for X while bound to Y: Y's own row, re-labelled.
		var row map[string]any
		if err := ops.QueryRow(ctx, `SELECT to_jsonb(t) FROM `+tb.ident()+` t WHERE org_id = $1 LIMIT 1`, y.org).Scan(&row); err != nil {
			t.Fatalf("%s: read a row of org %d: %v", tb.name, y.org, err)
		}
		if tb.orgGenerated {
			row["id"] = x.org + 1_000_000 // a new org: its org_id follows its id
		} else {
			row["org_id"] = x.org
		}
		cols := tb.writable()
		insert := fmt.Sprintf(`INSERT INTO %s (%s) SELECT %[2]s FROM jsonb_populate_record(NULL::%[1]s, $1::jsonb)`, tb.ident(), strings.Join(cols, ", "))
		raw, _ := json.Marshal(row)
		rlsInTx(t, app, y, func(tx pgx.Tx) {
			_, err := tx.Exec(ctx, insert, string(raw))
			rlsWantDenied(t, err, "%s: INSERT of a row for org %d while bound to org %d", tb.name, x.org, y.org)
		})

		// UPDATE moving Y's rows to X.
		move := `UPDATE ` + tb.ident() + ` SET org_id = $1 WHERE org_id = $2`
		if tb.orgGenerated {
			move = `UPDATE ` + tb.ident() + ` SET id = $1 + 1000000 WHERE org_id = $2`
		}
		rlsInTx(t, app, y, func(tx pgx.Tx) {
			_, err := tx.Exec(ctx, move, x.org, y.org)
			rlsWantDenied(t, err, "%s: UPDATE moving org %d's rows to org %d", tb.name, y.org, x.org)
		})

		// X's rows cannot be touched from Y: invisible (0 rows) or refused.
		touch := `UPDATE ` + tb.ident() + ` SET org_id = org_id WHERE org_id = $1`
		if tb.orgGenerated {
			touch = `UPDATE ` + tb.ident() + ` SET id = id WHERE org_id = $1`
		}
		for _, sql := range []string{touch, `DELETE FROM ` + tb.ident() + ` WHERE org_id = $1`} {
			rlsInTx(t, app, y, func(tx pgx.Tx) {
				tag, err := tx.Exec(ctx, sql, x.org)
				if err == nil && tag.RowsAffected() != 0 {
					t.Errorf("%s: bound to org %d, %q changed %d rows of org %d", tb.name, y.org, sql, tag.RowsAffected(), x.org)
				}
				if err != nil && !rlsDenied(err) {
					t.Errorf("%s: %q: unexpected error %v", tb.name, sql, err)
				}
			})
		}
	}

	// The controls: bound to Y, Y's own rows can be written, so the
	// refusals above are the policies at work and not a broken table.
	rlsInTx(t, app, y, func(tx pgx.Tx) {
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (org_id, actor_user_id, action) VALUES ($1, $2, 'rls.control')`, y.org, y.user); err != nil {
			t.Errorf("bound to org %d, inserting its own audit row failed: %v", y.org, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE invites SET role = 'admin' WHERE org_id = $1`, y.org); err != nil {
			t.Errorf("bound to org %d, updating its own invitation failed: %v", y.org, err)
		}
	})

	// A person of Y who also names themself (app.user_id) still cannot
	// add a membership to X: the WITH CHECK is on the org, not the user.
	rlsInTx(t, app, y, func(tx pgx.Tx) {
		if _, err := tx.Exec(ctx, `SELECT set_config('app.user_id', $1, true)`, strconv.FormatInt(y.user, 10)); err != nil {
			t.Fatal(err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'owner')`, x.org, y.user)
		rlsWantDenied(t, err, "membership of user %d in org %d while bound to org %d", y.user, x.org, y.org)
	})
}

// TestRLSUserScopeIsReadOnly: orgs and memberships let a person read
// their own rows in every org with no org bound (db.Tenant.AsUser, for the
// org switcher). That view must be read-only: with no org bound nothing
// may be deleted or changed, or one careless query in AsUser could delete
// an org (and, by ON DELETE CASCADE, which RLS does not filter, all its
// data) that the person is a mere member of.
func TestRLSUserScopeIsReadOnly(t *testing.T) {
	d := rlsDB(t)
	ctx := t.Context()
	super := rlsConnect(t, d.SuperURL)
	tables := rlsOrgTables(t, super)
	x, _ := rlsSeed(t, d, tables)
	app := rlsConnect(t, d.AppURL)

	for _, tb := range tables {
		rows, err := super.Query(ctx, `SELECT polname, polcmd::text, coalesce(pg_get_expr(polqual, polrelid), '')
			FROM pg_policy WHERE polrelid = $1::regclass AND polpermissive ORDER BY polname`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, cmd, using string
			if err := rows.Scan(&name, &cmd, &using); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(using, "app_user_id()") && cmd != "r" {
				t.Errorf("%s: policy %s grants by app_user_id() for %s, not only SELECT: USING (%s); "+
					"split it into the tenant policy and a FOR SELECT policy for the person's own rows", tb.name, name, rlsCommand(cmd), using)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}

		touch := `UPDATE ` + tb.ident() + ` SET org_id = org_id`
		if tb.orgGenerated {
			touch = `UPDATE ` + tb.ident() + ` SET id = id`
		}
		for _, sql := range []string{touch, `DELETE FROM ` + tb.ident()} {
			rlsInTx(t, app, rlsOrg{user: x.user}, func(tx pgx.Tx) {
				tag, err := tx.Exec(ctx, sql)
				if err != nil && !rlsDenied(err) {
					t.Errorf("%s: %q as user %d with no org: unexpected error %v", tb.name, sql, x.user, err)
				}
				if err == nil && tag.RowsAffected() != 0 {
					t.Errorf("%s: %q as user %d with no org bound changed %d rows (of org %d)", tb.name, sql, x.user, tag.RowsAffected(), x.org)
				}
			})
		}
	}
}

// TestRLSPooledProbe: 10,000 short transactions through one small pool;
// 90 % bind an org and must see only that org's rows, 10 % forget and
// must see no org rows at all. Some end in an error or a rollback, so a
// connection goes back to the pool straight after a failed transaction.
func TestRLSPooledProbe(t *testing.T) {
	d := rlsDB(t)
	ctx := t.Context()
	tables := rlsOrgTables(t, rlsConnect(t, d.SuperURL))
	x, y := rlsSeed(t, d, tables)

	cfg, err := pgxpool.ParseConfig(d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// One statement counts every org table: all rows visible, and those
	// of the bound org.
	var parts []string
	for _, tb := range tables {
		parts = append(parts, `SELECT count(*) AS total, count(*) FILTER (WHERE org_id = $1) AS own FROM `+tb.ident())
	}
	countSQL := `SELECT coalesce(sum(total), 0)::bigint, coalesce(sum(own), 0)::bigint FROM (` + strings.Join(parts, " UNION ALL ") + `) c`

	const total, workers = 10_000, 8
	var bound, forgot, failed, foreign atomic.Int64
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) { errOnce.Do(func() { firstErr = err }) }
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		rng := rand.New(rand.NewPCG(uint64(w), 42)) // fixed seeds: the same mix every run
		wg.Go(func() {
			for range total / workers {
				if ctx.Err() != nil {
					return
				}
				var org rlsOrg
				if rng.IntN(2) == 0 {
					org = x
				} else {
					org = y
				}
				switch r := rng.IntN(100); {
				case r < 5: // forgot, outside any transaction
					var all, own int64
					if err := pool.QueryRow(ctx, countSQL, org.org).Scan(&all, &own); err != nil {
						fail(err)
						return
					}
					forgot.Add(1)
					foreign.Add(all)
				case r < 10: // forgot, inside a transaction
					err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
						var all, own int64
						if err := tx.QueryRow(ctx, countSQL, org.org).Scan(&all, &own); err != nil {
							return err
						}
						forgot.Add(1)
						foreign.Add(all)
						return nil
					})
					if err != nil {
						fail(err)
						return
					}
				default: // bound; a few end in an error after binding
					breakIt := r >= 97
					err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
						if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, strconv.FormatInt(org.org, 10)); err != nil {
							return err
						}
						var all, own int64
						if err := tx.QueryRow(ctx, countSQL, org.org).Scan(&all, &own); err != nil {
							return err
						}
						bound.Add(1)
						foreign.Add(all - own)
						if own == 0 {
							return fmt.Errorf("bound to org %d, saw none of its rows", org.org)
						}
						if breakIt {
							_, err := tx.Exec(ctx, `SELECT 1 / 0`)
							return err
						}
						return nil
					})
					if breakIt {
						var pgErr *pgconn.PgError
						if !errors.As(err, &pgErr) || pgErr.Code != "22012" {
							fail(fmt.Errorf("deliberately failed transaction: %v", err))
							return
						}
						failed.Add(1)
					} else if err != nil {
						fail(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	n := bound.Load() + forgot.Load()
	if n != total {
		t.Errorf("ran %d transactions, want %d", n, total)
	}
	if foreign.Load() != 0 {
		t.Errorf("%d foreign rows seen across %d pooled transactions", foreign.Load(), n)
	}
	if f := forgot.Load(); f < total/20 || f > total/5 {
		t.Errorf("%d of %d transactions forgot the org; the mix is off", f, n)
	}
	t.Logf("pooled probe: %d transactions (%d bound, %d forgot, %d failed after binding) in %v through %d connections: %d foreign rows",
		n, bound.Load(), forgot.Load(), failed.Load(), time.Since(start).Round(time.Millisecond), cfg.MaxConns, foreign.Load())
}

// TestRLSTenantHandle runs the same probe through db.Tenant, the only way
// the app reaches data: InOrg sees its org, Global sees no org's rows,
// AsUser sees the person's own memberships and orgs and nothing else.
func TestRLSTenantHandle(t *testing.T) {
	d := rlsDB(t)
	ctx := t.Context()
	tables := rlsOrgTables(t, rlsConnect(t, d.SuperURL))
	x, y := rlsSeed(t, d, tables)
	conn, err := db.Open(ctx, d.AppURL, db.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tenant := db.NewTenant(conn)

	if err := tenant.InOrg(ctx, 0, x.user, func(*gorm.DB) error { return nil }); !errors.Is(err, db.ErrNoOrg) {
		t.Errorf("InOrg without an org: %v, want ErrNoOrg", err)
	}
	visible := func(tx *gorm.DB) (map[string]map[int64]int64, error) {
		out := map[string]map[int64]int64{}
		for _, tb := range tables {
			rows, err := tx.Raw(`SELECT org_id, count(*) FROM ` + tb.ident() + ` GROUP BY org_id`).Rows()
			if err != nil {
				return nil, err
			}
			out[tb.name] = map[int64]int64{}
			for rows.Next() {
				var org, n int64
				if err := rows.Scan(&org, &n); err != nil {
					rows.Close()
					return nil, err
				}
				out[tb.name][org] = n
			}
			rows.Close()
		}
		return out, nil
	}
	rng := rand.New(rand.NewPCG(7, 7))
	leaks := 0
	for i := range 300 {
		org := []rlsOrg{x, y}[rng.IntN(2)]
		var got map[string]map[int64]int64
		var mode string
		fn := func(tx *gorm.DB) (err error) { got, err = visible(tx); return err }
		switch rng.IntN(3) {
		case 0:
			mode = "InOrg"
			err = tenant.InOrg(ctx, org.org, org.user, fn)
		case 1:
			mode = "Global"
			err = tenant.Global(ctx, fn)
		default:
			mode = "AsUser"
			err = tenant.AsUser(ctx, org.user, fn)
		}
		if err != nil {
			t.Fatalf("%s #%d: %v", mode, i, err)
		}
		for table, byOrg := range got {
			for o, n := range byOrg {
				ok := false
				switch mode {
				case "InOrg":
					ok = o == org.org
				case "AsUser":
					// By design a person sees their own memberships and the
					// orgs they belong to (the org switcher), nothing more.
					ok = o == org.org && (table == "memberships" || table == "orgs")
				}
				if !ok {
					if leaks++; leaks <= 10 {
						t.Errorf("%s(org %d, user %d) #%d sees %d rows of %s in org %d", mode, org.org, org.user, i, n, table, o)
					}
				}
			}
		}
		if mode == "InOrg" {
			for _, tb := range tables {
				if got[tb.name][org.org] == 0 {
					t.Errorf("InOrg(%d) #%d sees none of its own %s", org.org, i, tb.name)
				}
			}
		}
	}
	if leaks > 10 {
		t.Errorf("... %d leaks in all", leaks)
	}
}

// ---- helpers ----

// rlsDB is a fresh database migrated like production's. The template key
// is a hash of the migrations, so a changed schema builds a new template.
func rlsDB(t *testing.T) *pgtest.DB {
	t.Helper()
	return pgtest.New(t, "db_rls_"+migrations.Key(), migrate.UpURL)
}

func rlsConnect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	})
	return conn
}

// rlsTable is a table of schema public with an org_id column.
type rlsTable struct {
	name         string
	columns      []string // insertable columns (not generated)
	orgGenerated bool     // org_id is computed (orgs: from id)
}

func (tb rlsTable) ident() string { return pgx.Identifier{tb.name}.Sanitize() }

func (tb rlsTable) writable() []string {
	out := make([]string, len(tb.columns))
	for i, c := range tb.columns {
		out[i] = pgx.Identifier{c}.Sanitize()
	}
	return out
}

func (tb rlsTable) String() string { return tb.name }

func rlsOrgTables(t *testing.T, conn *pgx.Conn) []rlsTable {
	t.Helper()
	rows, err := conn.Query(t.Context(), `SELECT c.relname::text,
			array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attgenerated = '' AND a.attidentity <> 'a'),
			bool_or(a.attname = 'org_id' AND a.attgenerated <> '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
		GROUP BY c.relname
		HAVING bool_or(a.attname = 'org_id')
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rlsTable, error) {
		var tb rlsTable
		err := r.Scan(&tb.name, &tb.columns, &tb.orgGenerated)
		return tb, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type rlsOrg struct{ org, user int64 }

// rlsSeed makes orgs X and Y, each with a user and a row in every table
// with org_id, through the privileged role (which bypasses RLS).
func rlsSeed(t *testing.T, d *pgtest.DB, tables []rlsTable) (x, y rlsOrg) {
	t.Helper()
	ctx := t.Context()
	ops := rlsConnect(t, d.OpsURL)
	orgs := make([]rlsOrg, 2)
	for i, name := range []string{"X", "Y"} {
		var o rlsOrg
		err := ops.QueryRow(ctx, `INSERT INTO users (email, name, phone_e164, password_hash)
			VALUES ($1, $2, '+447700900000', 'not-a-hash') RETURNING id`, strings.ToLower(name)+"@rls.test", "Person "+name).Scan(&o.user)
		if err != nil {
			t.Fatalf("seed user %s: %v", name, err)
		}
		if err := ops.QueryRow(ctx, `INSERT INTO orgs (name, industry, company_size, country, time_zone)
			VALUES ($1, 'retail', '1', 'GB', 'UTC') RETURNING id`, "Org "+name).Scan(&o.org); err != nil {
			t.Fatalf("seed org %s: %v", name, err)
		}
		for _, s := range rlsSeeds {
			// Typed parameters, so $1 can be both a key and part of a text.
			sql := strings.NewReplacer("$1", "$1::bigint", "$2", "$2::bigint").Replace(s.sql)
			args := []any{o.org}
			if strings.Contains(s.sql, "$2") {
				args = append(args, o.user)
			}
			if _, err := ops.Exec(ctx, sql, args...); err != nil {
				t.Fatalf("seed %s for org %s: %v", s.table, name, err)
			}
		}
		orgs[i] = o
	}
	for _, tb := range tables {
		for _, o := range orgs {
			if rlsCount(t, ops, `SELECT count(*) FROM `+tb.ident()+` WHERE org_id = $1`, o.org) == 0 {
				t.Fatalf("table %s has org_id but rls_test.go seeds no rows in it: add an INSERT to rlsSeeds so the RLS probes cover it", tb.name)
			}
		}
	}
	return orgs[0], orgs[1]
}

type rlsQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func rlsCount(t *testing.T, q rlsQuerier, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := q.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func rlsStrings(t *testing.T, conn *pgx.Conn, sql string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(t.Context(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rlsInTx runs f in a transaction bound to org.org (and to the user
// org.user, when org.org is zero), then rolls it back.
func rlsInTx(t *testing.T, conn *pgx.Conn, org rlsOrg, f func(tx pgx.Tx)) {
	t.Helper()
	ctx := t.Context()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	setting, id := "app.org_id", org.org
	if org.org == 0 {
		setting, id = "app.user_id", org.user
	}
	if _, err := tx.Exec(ctx, `SELECT set_config($1, $2, true)`, setting, strconv.FormatInt(id, 10)); err != nil {
		t.Fatal(err)
	}
	f(tx)
}

func rlsCommand(polcmd string) string {
	switch polcmd {
	case "r":
		return "SELECT"
	case "a":
		return "INSERT"
	case "w":
		return "UPDATE"
	case "d":
		return "DELETE"
	}
	return "ALL commands"
}

// rlsDenied reports a refusal by RLS or by missing privileges (42501).
func rlsDenied(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501"
}

func rlsWantDenied(t *testing.T, err error, format string, args ...any) {
	t.Helper()
	if !rlsDenied(err) {
		t.Errorf(format+": got %v, want a row-level security refusal (42501)", append(args, err)...)
	}
}
