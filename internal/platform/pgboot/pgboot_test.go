package pgboot

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestFindBinariesMissing(t *testing.T) {
	_, err := findBinaries("", []string{filepath.Join(t.TempDir(), "*", "bin")})
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	for _, want := range []string{"initdb", "pg_ctl", "sudo apt-get install postgresql", "brew install postgresql@16", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestFindBinariesPrefersPathThenNewestVersion(t *testing.T) {
	root := t.TempDir()
	fake := func(dir string, tools ...string) string {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, tool := range tools {
			if err := os.WriteFile(filepath.Join(dir, tool), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	fake(filepath.Join(root, "pg", "9", "bin"), "initdb", "pg_ctl")
	v16 := fake(filepath.Join(root, "pg", "16", "bin"), "initdb", "pg_ctl")
	fake(filepath.Join(root, "pg", "17", "bin"), "initdb") // no pg_ctl: unusable
	globs := []string{filepath.Join(root, "pg", "*", "bin")}

	if got, err := findBinaries("", globs); err != nil || got != v16 {
		t.Errorf("findBinaries = %q, %v; want %q", got, err, v16)
	}
	onPath := fake(filepath.Join(root, "onpath"), "initdb", "pg_ctl")
	if got, err := findBinaries(string(os.PathListSeparator)+onPath, globs); err != nil || got != onPath {
		t.Errorf("findBinaries with PATH = %q, %v; want %q", got, err, onPath)
	}
}

func TestQuoteLiteral(t *testing.T) {
	for in, want := range map[string]string{
		"plain":   "'plain'",
		"it's":    "'it''s'",
		`back\sl`: `E'back\\sl'`,
	} {
		if got := quoteLiteral(in); got != want {
			t.Errorf("quoteLiteral(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestConnURL(t *testing.T) {
	got, err := ConnURL("postgres://postgres:s3cret@127.0.0.1:5555/postgres?sslmode=disable&dbname=x&user=y", "app", "tidings_app", "p@ss/word")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(got)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database != "app" || cfg.User != "tidings_app" || cfg.Password != "p@ss/word" || cfg.Port != 5555 || cfg.TLSConfig != nil {
		t.Errorf("ConnURL = %s, parsed as db=%q user=%q password=%q port=%d tls=%v", got, cfg.Database, cfg.User, cfg.Password, cfg.Port, cfg.TLSConfig != nil)
	}
	if _, err := ConnURL("host=localhost password=secret", "app", "", ""); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("ConnURL of a keyword DSN: err = %v, want an error that does not show the password", err)
	}
}

// TestClusterDirRelocatesAsRoot checks where the cluster goes when the
// postgres user cannot enter the requested folder (a clone under /root).
func TestClusterDirRelocatesAsRoot(t *testing.T) {
	su, err := currentServerUser()
	if err != nil {
		t.Fatal(err)
	}
	if !su.switching() {
		t.Skip("only root switches to the postgres user")
	}
	closed := t.TempDir() // under a 0700 folder owned by root
	requested := filepath.Join(closed, ".data", "pg")
	dir, relocated, err := clusterDir(requested, su)
	if err != nil {
		t.Fatal(err)
	}
	if !relocated || filepath.Dir(dir) != filepath.Clean(os.TempDir()) || !strings.HasPrefix(filepath.Base(dir), "tidings-pg-") {
		t.Errorf("clusterDir(%s) = %s, %v; want a tidings-pg-* folder in %s", requested, dir, relocated, os.TempDir())
	}
	again, _, _ := clusterDir(requested, su)
	if again != dir {
		t.Errorf("clusterDir is not stable: %s then %s", dir, again)
	}

	open := openTempDir(t)
	requested = filepath.Join(open, ".data", "pg")
	if dir, relocated, err := clusterDir(requested, su); err != nil || relocated || dir != requested {
		t.Errorf("clusterDir(%s) = %s, %v, %v; want it unchanged", requested, dir, relocated, err)
	}
}

// openTempDir returns a fresh folder that the postgres user may enter too
// (t.TempDir's parent is 0700), removed after the test.
func openTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgboot-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func startCluster(t *testing.T, ctx context.Context, dir string) *Cluster {
	t.Helper()
	c, err := Start(ctx, Options{Dir: dir, Fast: true, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		os.RemoveAll(c.Dir)
	})
	return c
}

func TestClusterLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	requested := filepath.Join(openTempDir(t), ".data", "pg")

	c := startCluster(t, ctx, requested)
	if c.Dir != requested || c.Host != "127.0.0.1" || c.Port == 0 || c.Port == 5432 {
		t.Fatalf("cluster = %+v", c)
	}
	fi, err := os.Stat(filepath.Join(c.Dir, passwordsFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("passwords file mode = %v, want 0600", fi.Mode().Perm())
	}

	urls, err := c.EnsureDatabase(ctx, "tidings_dev")
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.EnsureDatabase(ctx, "tidings_dev")
	if err != nil {
		t.Fatalf("second EnsureDatabase: %v", err)
	}
	if again != urls {
		t.Errorf("second EnsureDatabase returned other URLs")
	}

	owner := connectT(t, ctx, urls.Owner)
	execT(t, ctx, owner, "CREATE TABLE public.notes (id int PRIMARY KEY, body text)")
	execT(t, ctx, owner, "INSERT INTO notes VALUES (1, 'kept across restarts')")
	var dbOwner, schemaOwner string
	queryRow(t, ctx, owner, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()", &dbOwner)
	queryRow(t, ctx, owner, "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'", &schemaOwner)
	if dbOwner != OwnerRole || schemaOwner != OwnerRole {
		t.Errorf("database owned by %s, schema public by %s; want %s", dbOwner, schemaOwner, OwnerRole)
	}

	app := connectT(t, ctx, urls.App)
	var super, bypass, createdb, createrole bool
	queryRow(t, ctx, app, "SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user",
		&super, &bypass, &createdb, &createrole)
	if super || bypass || createdb || createrole {
		t.Errorf("tidings_app: super=%v bypassrls=%v createdb=%v createrole=%v; want all false", super, bypass, createdb, createrole)
	}
	_, err = app.Exec(ctx, "CREATE TABLE public.sneaky (id int)")
	if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Errorf("tidings_app CREATE TABLE in public: err = %v, want insufficient_privilege (42501)", err)
	}
	var canUse bool
	queryRow(t, ctx, app, "SELECT has_schema_privilege('public', 'USAGE')", &canUse)
	if !canUse {
		t.Error("tidings_app lacks USAGE on schema public")
	}

	ops := connectT(t, ctx, urls.Ops)
	queryRow(t, ctx, ops, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user", &super, &bypass)
	if super || !bypass {
		t.Errorf("tidings_ops: super=%v bypassrls=%v; want false, true", super, bypass)
	}

	// Start on a running cluster reuses it.
	running, err := Start(ctx, Options{Dir: requested, Fast: true, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if running.Port != c.Port || running.SuperuserURL != c.SuperuserURL {
		t.Errorf("Start on a running cluster: port %d, want %d", running.Port, c.Port)
	}

	for _, conn := range []*pgx.Conn{owner, app, ops} {
		conn.Close(ctx)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if up, err := c.running(ctx); err != nil || up {
		t.Fatalf("after Stop: running = %v, %v", up, err)
	}

	// A second Start reuses the data, the port and the passwords.
	restarted := startCluster(t, ctx, requested)
	if restarted.Port != c.Port {
		t.Errorf("restart picked port %d, want the saved %d", restarted.Port, c.Port)
	}
	urls2, err := restarted.EnsureDatabase(ctx, "tidings_dev")
	if err != nil {
		t.Fatal(err)
	}
	if urls2 != urls {
		t.Error("EnsureDatabase after a restart returned other URLs")
	}
	var body string
	queryRow(t, ctx, connectT(t, ctx, urls2.Owner), "SELECT body FROM notes WHERE id = 1", &body)
	if body != "kept across restarts" {
		t.Errorf("after restart: body = %q", body)
	}
}

// TestStartRelocatedAsRoot starts a cluster for a folder postgres cannot
// enter, as for a clone under /root.
func TestStartRelocatedAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("relocation only happens as root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	requested := filepath.Join(t.TempDir(), "pg")
	c := startCluster(t, ctx, requested)
	if c.Dir == requested || filepath.Dir(c.Dir) != filepath.Clean(os.TempDir()) {
		t.Errorf("cluster dir = %s, want one in %s", c.Dir, os.TempDir())
	}
	if _, err := c.EnsureDatabase(ctx, "tidings"); err != nil {
		t.Fatal(err)
	}
}

func connectT(t *testing.T, ctx context.Context, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func execT(t *testing.T, ctx context.Context, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryRow(t *testing.T, ctx context.Context, conn *pgx.Conn, sql string, dest ...any) {
	t.Helper()
	if err := conn.QueryRow(ctx, sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestStartPortClashAndFailure covers a saved port taken by someone else and
// a server that will not start.
func TestStartPortClashAndFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := filepath.Join(openTempDir(t), "pg")
	c := startCluster(t, ctx, dir)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}

	squatter, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)))
	if err != nil {
		t.Fatal(err)
	}
	defer squatter.Close()
	moved := startCluster(t, ctx, dir)
	if moved.Port == c.Port {
		t.Fatalf("Start reused port %d although it is taken", c.Port)
	}
	if saved, err := os.ReadFile(filepath.Join(moved.Dir, portFile)); err != nil || strings.TrimSpace(string(saved)) != strconv.Itoa(moved.Port) {
		t.Errorf("port file = %q, %v; want %d", saved, err, moved.Port)
	}
	if err := moved.Stop(); err != nil {
		t.Fatal(err)
	}

	// Break a setting that pgboot.conf (included last) does not override.
	f, err := os.OpenFile(filepath.Join(moved.Dir, "data", "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("work_mem = 'plenty'\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Start(ctx, Options{Dir: dir, Fast: true})
	if err == nil {
		t.Fatal("Start with a broken postgresql.conf succeeded")
	}
	if !strings.Contains(err.Error(), "work_mem") || !strings.Contains(err.Error(), "last lines of") {
		t.Errorf("error does not show the server log: %v", err)
	}
	t.Logf("failure reads: %v", err)
	if up, _ := moved.running(ctx); up {
		t.Error("a server was left running after a failed start")
	}
}

func TestStartRefusesForeignFolder(t *testing.T) {
	dir := openTempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "neither empty nor a cluster folder") {
		t.Fatalf("Start on a non-empty foreign folder: err = %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("folder mode changed to %v (%v)", fi.Mode().Perm(), err)
	}
}
