package pgtest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"tidings/internal/platform/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var migrations atomic.Int32

// migrate is a tiny stand-in for the real migrations: one table the app role may use.
func migrate(ctx context.Context, ownerURL string) error {
	migrations.Add(1)
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL);
GRANT SELECT, INSERT ON widgets TO tidings_app;`)
	return err
}

// The key names the schema above; bump it when migrate changes, as callers
// do by hashing their migration files.
const key = "pgtest_selftest_v1"

func TestNewGivesIsolatedMigratedDatabases(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := pgtest.New(t, key, migrate)
	b := pgtest.New(t, key, migrate)
	if a.Name == b.Name {
		t.Fatalf("two New calls gave the same database %s", a.Name)
	}
	if n := migrations.Load(); n > 1 {
		t.Errorf("migrate ran %d times, want at most once per process", n)
	}

	appA := connect(t, ctx, a.AppURL)
	if _, err := appA.Exec(ctx, "INSERT INTO widgets VALUES (1, 'only in a')"); err != nil {
		t.Fatal(err)
	}
	for _, db := range []*pgtest.DB{a, b} {
		owner := connect(t, ctx, db.OwnerURL)
		var user, tableOwner, dbOwner string
		err := owner.QueryRow(ctx, `SELECT current_user, tableowner,
			(SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())
			FROM pg_tables WHERE schemaname = 'public' AND tablename = 'widgets'`).Scan(&user, &tableOwner, &dbOwner)
		if err != nil {
			t.Fatalf("%s: migrated table missing? %v", db.Name, err)
		}
		if user != "tidings_owner" || tableOwner != "tidings_owner" || dbOwner != "tidings_owner" {
			t.Errorf("%s: user %s, table owner %s, database owner %s; want tidings_owner for all", db.Name, user, tableOwner, dbOwner)
		}
	}
	var n int
	if err := connect(t, ctx, b.AppURL).QueryRow(ctx, "SELECT count(*) FROM widgets").Scan(&n); err != nil || n != 0 {
		t.Errorf("b sees %d widgets (err %v); a's row leaked", n, err)
	}

	var bypass bool
	if err := connect(t, ctx, a.OpsURL).QueryRow(ctx, "SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user").Scan(&bypass); err != nil || !bypass {
		t.Errorf("ops role: bypassrls = %v, %v; want true", bypass, err)
	}
	_, err := appA.Exec(ctx, "CREATE TABLE sneaky (id int)")
	if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("app role CREATE TABLE: err = %v, want insufficient_privilege", err)
	}

	var isTemplate, allowConn bool
	err = connect(t, ctx, a.SuperURL).QueryRow(ctx,
		"SELECT datistemplate, datallowconn FROM pg_database WHERE datname = 'tidings_tmpl_'||$1", key).Scan(&isTemplate, &allowConn)
	if err != nil || !isTemplate || allowConn {
		t.Errorf("template: datistemplate=%v datallowconn=%v err=%v; want true, false", isTemplate, allowConn, err)
	}
}

func TestNewDropsDatabaseAfterTest(t *testing.T) {
	var name, superURL string
	t.Run("uses a database", func(t *testing.T) {
		db := pgtest.New(t, key, migrate)
		name, superURL = db.Name, db.SuperURL
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	super, err := pgx.Connect(ctx, superURL)
	if err != nil {
		// The URL names the dropped database; any other will do.
		cfg, perr := pgx.ParseConfig(superURL)
		if perr != nil {
			t.Fatal(perr)
		}
		cfg.Database = "postgres"
		if super, err = pgx.ConnectConfig(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	defer super.Close(ctx)
	var exists bool
	if err := super.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

// A migration that leaves a connection to the template open must not stop
// cloning.
func TestNewWithLeakyMigration(t *testing.T) {
	var leaked *pgx.Conn
	leaky := func(ctx context.Context, ownerURL string) error {
		conn, err := pgx.Connect(ctx, ownerURL)
		if err != nil {
			return err
		}
		leaked = conn // deliberately not closed
		_, err = conn.Exec(ctx, "CREATE TABLE gadgets (id int)")
		return err
	}
	t.Cleanup(func() {
		if leaked != nil {
			leaked.Close(context.Background())
		}
	})
	pgtest.New(t, "pgtest_selftest_leaky_v1", leaky)
}

func TestNewInParallel(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	for i := range 6 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t, key, migrate)
			mu.Lock()
			defer mu.Unlock()
			if seen[db.Name] {
				t.Errorf("database %s handed out twice", db.Name)
			}
			seen[db.Name] = true
		})
	}
}

func TestMigrationErrorFailsClearly(t *testing.T) {
	// New reports through t.Fatal, so watch it on a stand-in TB.
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pgtest.New(ft, "pgtest_selftest_broken_v1", func(context.Context, string) error {
			return errors.New("boom")
		})
	}()
	<-done
	if ft.msg == "" {
		t.Fatal("New with a failing migration did not fail")
	}
	t.Logf("failure reads: %s", ft.msg)
}

// fatalRecorder turns Fatal into a recorded message and ends the goroutine,
// as testing.T does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func connect(t *testing.T, ctx context.Context, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
