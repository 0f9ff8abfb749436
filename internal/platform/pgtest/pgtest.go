// Package pgtest gives each test an isolated, migrated database cloned from a
// template.
//
// The server is, in this order:
//
//  1. TEST_DATABASE_URL, a postgres:// URL of a superuser connection (`make
//     test` starts one shared cluster and exports it, so all test binaries
//     share one server and its templates);
//  2. DATABASE_URL, but only if it connects as a superuser: it usually names
//     the app's unprivileged role, and is then ignored;
//  3. otherwise a private cluster that pgtest starts once per test binary with
//     pgboot (Fast) in a fresh folder under os.TempDir(). That needs
//     `func TestMain(m *testing.M) { pgtest.Main(m) }`, which stops and
//     removes it when the tests end.
//
// On that server pgtest creates the roles tidings_owner, tidings_app and
// tidings_ops if missing and sets their passwords to TestPassword, and it
// creates and drops databases: never point either variable at a server whose
// data or role passwords matter.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tidings/internal/platform/pgboot"
)

// TestPassword is the password pgtest gives the three roles on its server.
const TestPassword = "tidings-test"

var testPasswords = pgboot.Passwords{Owner: TestPassword, App: TestPassword, Ops: TestPassword}

// MigrateFunc is run once per template, connected as the owner role.
type MigrateFunc func(ctx context.Context, ownerURL string) error

// DB is one test's database; the URLs connect to it as each role.
type DB struct {
	Name                               string
	OwnerURL, AppURL, OpsURL, SuperURL string
}

// New returns a fresh database cloned from a template migrated with migrate.
// The template is built once per distinct key (callers pass a hash of the
// migration files) and shared across test binaries on the same server; it is
// named "tidings_tmpl_<key>" (see templateName). The database is dropped when
// the test ends.
func New(t testing.TB, key string, migrate MigrateFunc) *DB {
	t.Helper()
	if migrate == nil {
		t.Fatal("pgtest: New needs a migrate function")
	}
	tmpl, err := templateName(key)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := theServer()
	if err != nil {
		t.Fatal(err)
	}
	if srv.note != "" {
		noteOnce.Do(func() { t.Log(srv.note) })
	}
	if err := ensureTemplate(srv.superURL, tmpl, migrate); err != nil {
		t.Fatal(err)
	}

	name := "tidings_test_" + strings.ToLower(rand.Text())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = withConn(ctx, srv.superURL, func(conn *pgx.Conn) error {
		sql := fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s OWNER %s", quoteIdent(name), quoteIdent(tmpl), quoteIdent(pgboot.OwnerRole))
		if srv.fileCopy {
			// PostgreSQL 15's default (WAL_LOG) writes the whole template
			// to the WAL; copying the files clones a small database about
			// twice as fast.
			sql += " STRATEGY FILE_COPY"
		}
		_, err := conn.Exec(ctx, sql)
		return err
	})
	if err != nil {
		t.Fatalf("pgtest: clone %s from %s: %v", name, tmpl, err)
	}
	t.Cleanup(func() {
		// The test's own context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := dropDatabase(ctx, srv.superURL, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})

	urls, err := pgboot.RoleURLs(srv.superURL, name, testPasswords)
	if err != nil {
		t.Fatal(err)
	}
	superURL, err := pgboot.ConnURL(srv.superURL, name, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return &DB{Name: name, OwnerURL: urls.Owner, AppURL: urls.App, OpsURL: urls.Ops, SuperURL: superURL}
}

// Main runs the tests of a package that uses New and, if pgtest started its
// own cluster, stops and removes it before the process exits (also on SIGINT
// and SIGTERM). Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	mainActive.Store(true)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		cleanup()
		os.Exit(1)
	}()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

type server struct {
	superURL string
	note     string // said once to the first test, e.g. why DATABASE_URL was ignored
	fileCopy bool   // CREATE DATABASE takes STRATEGY (PostgreSQL 15 and later)
}

var (
	mainActive atomic.Bool
	serverOnce sync.Once
	srv        server
	srvErr     error
	noteOnce   sync.Once

	// What cleanup must stop and remove: set once the private cluster exists.
	ownedMu      sync.Mutex
	ownedCluster *pgboot.Cluster
	ownedDirs    []string
	cleanupOnce  sync.Once
)

// theServer finds or starts the server once per process and makes sure the
// roles exist on it.
func theServer() (server, error) {
	serverOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		srv, srvErr = findServer(ctx)
		if srvErr != nil {
			return
		}
		if err := pgboot.EnsureRoles(ctx, srv.superURL, testPasswords); err != nil {
			srvErr = fmt.Errorf("pgtest: %w", err)
			return
		}
		var version int
		srvErr = withConn(ctx, srv.superURL, func(conn *pgx.Conn) error {
			return conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version)
		})
		if srvErr != nil {
			srvErr = fmt.Errorf("pgtest: server version: %w", srvErr)
		}
		srv.fileCopy = version >= 150000
	})
	return srv, srvErr
}

func findServer(ctx context.Context) (server, error) {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		super, err := isSuperuser(ctx, u)
		if err != nil {
			return server{}, fmt.Errorf("pgtest: TEST_DATABASE_URL: %w", err)
		}
		if !super {
			return server{}, errors.New("pgtest: TEST_DATABASE_URL must connect as a superuser: pgtest creates roles and databases")
		}
		return server{superURL: u}, nil
	}
	var note string
	if u := os.Getenv("DATABASE_URL"); u != "" {
		if super, err := isSuperuser(ctx, u); err == nil && super {
			return server{superURL: u}, nil
		}
		note = "pgtest: DATABASE_URL is not a reachable superuser connection, so pgtest starts its own PostgreSQL (set TEST_DATABASE_URL to choose a server)"
	}
	if !mainActive.Load() {
		return server{}, errors.New("pgtest: TEST_DATABASE_URL is not set, so pgtest would start its own PostgreSQL, " +
			"and only pgtest.Main can stop it afterwards: add `func TestMain(m *testing.M) { pgtest.Main(m) }` to this package's tests")
	}
	c, err := startPrivateCluster(ctx)
	if err != nil {
		return server{}, err
	}
	return server{superURL: c.SuperuserURL, note: note}, nil
}

// privatePrefix names the folders of private clusters under os.TempDir();
// each holds ownerFile with the pid of the test binary that owns it.
const (
	privatePrefix = "tidings-pgtest-"
	ownerFile     = "owner.pid"
)

func startPrivateCluster(ctx context.Context) (*pgboot.Cluster, error) {
	reapOrphans()
	dir, err := os.MkdirTemp("", privatePrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	ownedMu.Lock()
	ownedDirs = append(ownedDirs, dir)
	ownedMu.Unlock()
	c, err := pgboot.Start(ctx, pgboot.Options{Dir: dir, Fast: true})
	if c == nil {
		// Start may fail after the server came up (say, at its final
		// check): make cleanup stop whatever is in the folder.
		c = &pgboot.Cluster{Dir: dir}
	}
	ownedMu.Lock()
	ownedCluster = c
	if c.Dir != dir {
		ownedDirs = append(ownedDirs, c.Dir)
	}
	ownedMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("pgtest: start a private PostgreSQL: %w", err)
	}
	// Written after Start, which wants an empty folder. A folder whose owner
	// died before this is reaped once it is an hour old.
	if err := os.WriteFile(filepath.Join(c.Dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	return c, nil
}

// cleanup stops and removes the private cluster, if any.
func cleanup() {
	cleanupOnce.Do(func() {
		ownedMu.Lock()
		c, dirs := ownedCluster, ownedDirs
		ownedMu.Unlock()
		if c != nil {
			if err := c.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "pgtest:", err)
			}
		}
		for _, d := range dirs {
			if err := os.RemoveAll(d); err != nil {
				fmt.Fprintln(os.Stderr, "pgtest:", err)
			}
		}
	})
}

// reapOrphans stops and removes private clusters of earlier test binaries
// that died without cleaning up (go test -timeout panics, SIGKILL), so they
// don't pile up on a developer's machine.
func reapOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), privatePrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			// A folder so new that its owner has not written the file yet
			// is not an orphan; one an hour old is.
			if fi, serr := os.Stat(dir); serr != nil || time.Since(fi.ModTime()) < time.Hour {
				continue
			}
		} else if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && processAlive(pid) {
			continue
		}
		if err := (&pgboot.Cluster{Dir: dir}).Stop(); err != nil {
			continue // leave it rather than delete files under a running server
		}
		_ = os.RemoveAll(dir) // best effort: a leftover folder only costs disk
	}
}

func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// A killed test binary can linger as a zombie until its parent reaps it;
	// on Linux, /proc tells.
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	return true
}

// templateState records the one build (or check) of a template per process.
type templateState struct {
	once sync.Once
	err  error
}

var templates sync.Map // template name -> *templateState

func ensureTemplate(superURL, name string, migrate MigrateFunc) error {
	v, _ := templates.LoadOrStore(name, &templateState{})
	st := v.(*templateState)
	st.once.Do(func() { st.err = buildTemplate(superURL, name, migrate) })
	return st.err
}

// buildTemplate makes sure template database name exists and is complete,
// building it if not. A template is complete once it is marked IS_TEMPLATE,
// the last step of a build; one that is not was left by an interrupted build
// and is rebuilt.
func buildTemplate(superURL, name string, migrate MigrateFunc) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return withConn(ctx, superURL, func(conn *pgx.Conn) error {
		// Other test binaries on the same server may want the same template
		// right now: one builds it, the others wait and then reuse it. The
		// lock is released when conn closes.
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey("tidings:template:"+name)); err != nil {
			return fmt.Errorf("pgtest: lock template %s: %w", name, err)
		}
		var complete bool
		err := conn.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", name).Scan(&complete)
		switch {
		case err == nil && complete:
			return nil
		case err == nil:
			if err := dropDatabase(ctx, superURL, name); err != nil {
				return fmt.Errorf("pgtest: remove unfinished template: %w", err)
			}
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("pgtest: look up template %s: %w", name, err)
		}

		if err := pgboot.PrepareDatabase(ctx, superURL, name); err != nil {
			return fmt.Errorf("pgtest: create template: %w", err)
		}
		ownerURL, err := pgboot.ConnURL(superURL, name, pgboot.OwnerRole, TestPassword)
		if err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		if err := migrate(ctx, ownerURL); err != nil {
			_ = dropDatabase(ctx, superURL, name) // so the next run rebuilds it; the migration error matters more
			return fmt.Errorf("pgtest: migrate template %s: %w", name, err)
		}
		// CREATE DATABASE ... TEMPLATE fails while anyone is connected to the
		// template: refuse new connections, then end those the migration may
		// have left open (CREATE DATABASE waits a few seconds for them to go).
		if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s WITH ALLOW_CONNECTIONS false", quoteIdent(name))); err != nil {
			return fmt.Errorf("pgtest: finish template %s: %w", name, err)
		}
		if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
			return fmt.Errorf("pgtest: finish template %s: %w", name, err)
		}
		if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s WITH IS_TEMPLATE true", quoteIdent(name))); err != nil {
			return fmt.Errorf("pgtest: finish template %s: %w", name, err)
		}
		return nil
	})
}

func dropDatabase(ctx context.Context, superURL, name string) error {
	return withConn(ctx, superURL, func(conn *pgx.Conn) error {
		var isTemplate bool
		err := conn.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", name).Scan(&isTemplate)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		if isTemplate { // a template cannot be dropped
			if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s WITH IS_TEMPLATE false", quoteIdent(name))); err != nil {
				return fmt.Errorf("drop database %s: %w", name, err)
			}
		}
		if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", quoteIdent(name))); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	})
}

func isSuperuser(ctx context.Context, connURL string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var super bool
	err := withConn(ctx, connURL, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super)
	})
	return super, err
}

// withConn runs f on a connection of its own, closed afterwards.
func withConn(ctx context.Context, connURL string, f func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx) // nothing useful to do with a failed goodbye
	}()
	return f(conn)
}

const (
	templatePrefix = "tidings_tmpl_"
	maxIdentLen    = 63 // PostgreSQL truncates longer names (NAMEDATALEN-1)
)

var plainKey = regexp.MustCompile(`^[a-z0-9_]+$`)

// templateName returns "tidings_tmpl_<key>" when key is lowercase letters,
// digits and underscores and the name fits PostgreSQL's 63-byte limit;
// otherwise (say, a 64-character sha256 hex) the key is replaced by 50 hex
// digits of its SHA-256, so distinct keys still get distinct templates.
func templateName(key string) (string, error) {
	if key == "" {
		return "", errors.New("pgtest: New needs a non-empty template key (a hash of the migration files)")
	}
	if plainKey.MatchString(key) && len(templatePrefix)+len(key) <= maxIdentLen {
		return templatePrefix + key, nil
	}
	sum := sha256.Sum256([]byte(key))
	return templatePrefix + hex.EncodeToString(sum[:])[:maxIdentLen-len(templatePrefix)], nil
}

func lockKey(name string) int64 {
	sum := sha256.Sum256([]byte(name))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }
