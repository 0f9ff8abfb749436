// Package pgboot starts and stops a project-local PostgreSQL cluster for
// development and tests; it is never used in production.
//
// A cluster folder (Options.Dir) holds:
//
//	data/           the data directory made by initdb
//	run/            the unix socket directory (only the server's OS user may enter)
//	server.log      the server log
//	port            the TCP port, reused by the next Start while it is free
//	passwords.json  generated passwords of the superuser and the three roles (mode 0600)
//
// The server listens on 127.0.0.1 only, on a port picked free on first start
// (never the default 5432, so a system PostgreSQL or another clone's cluster
// does not clash). TCP connections need a scram-sha-256 password rather than
// trust, because every local user of a shared machine can reach 127.0.0.1.
// Connections over the unix socket are trusted: its folder can be entered by
// the server's OS user (and root) only, so `psql -h DIR/run -p PORT -U postgres`
// works there without a password.
//
// PostgreSQL refuses to run as root. As root (our sessions and CI) initdb and
// pg_ctl therefore run as the postgres system user via runuser(1), and the
// cluster folder is handed to that user. When postgres cannot enter every
// folder above the requested one (a clone under /root), the cluster lives in
// os.TempDir()/tidings-pg-<hash of the requested path> instead, found again
// by every later run; Cluster.Dir says where.
package pgboot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	superuser = "postgres"
	// startWait is how long pg_ctl waits for the server to accept connections
	// (and to shut down); a cold start takes a second or two.
	startWait = 60 * time.Second
	confFile  = "pgboot.conf"
	portFile  = "port"
	logFile   = "server.log"
)

// Options for a local cluster.
type Options struct {
	Dir string // cluster folder (e.g. ".data/pg"); created if missing
	// Fast turns off fsync, synchronous_commit and full_page_writes (and syncing
	// at initdb), for tests: much faster, but a crash of the machine may
	// corrupt the cluster. A running cluster is reused with its settings as
	// they are.
	Fast bool
	Logf func(format string, args ...any) // progress lines for humans; may be nil
}

// Cluster is a local PostgreSQL cluster started by Start.
type Cluster struct {
	// Dir is the absolute cluster folder. As root it may differ from
	// Options.Dir (see clusterDir).
	Dir  string
	Port int
	Host string // "127.0.0.1"
	// SuperuserURL is a postgres:// URL for the bootstrap superuser "postgres"
	// over TCP to 127.0.0.1:Port with sslmode=disable, authenticated by its
	// generated password.
	SuperuserURL string

	bin  string
	user *serverUser
}

// Start initialises the cluster if Dir has none, then starts it with pg_ctl
// unless it is already running, in which case it is reused. Running it again
// reuses the same cluster and data.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if o.Dir == "" {
		return nil, errors.New("pgboot: Options.Dir is empty")
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	su, err := currentServerUser()
	if err != nil {
		return nil, err
	}
	dir, relocated, err := clusterDir(o.Dir, su)
	if err != nil {
		return nil, err
	}
	if relocated {
		logf("pgboot: the %s user cannot enter %s, so the cluster lives in %s", su.name, o.Dir, dir)
	}
	if err := prepareDir(dir, su); err != nil {
		return nil, err
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	c := &Cluster{Dir: dir, Host: "127.0.0.1", bin: bin, user: su}
	initialised, err := c.initialised()
	if err != nil {
		return nil, err
	}
	if initialised {
		// Without the superuser password the cluster is unusable; say so
		// rather than generate a new password that won't match.
		if old, err := readSecrets(dir); err != nil || old.Superuser == "" {
			return nil, fmt.Errorf("pgboot: %s holds a cluster but its superuser password (in %s) is lost; remove the folder to start afresh",
				dir, filepath.Join(dir, passwordsFile))
		}
	}
	sec, err := loadOrCreateSecrets(dir)
	if err != nil {
		return nil, err
	}
	if !initialised {
		logf("pgboot: initialising a PostgreSQL cluster in %s", c.dataDir())
		if err := c.initdb(ctx, sec.Superuser, o.Fast); err != nil {
			return nil, err
		}
	}

	running, err := c.running(ctx)
	if err != nil {
		return nil, err
	}
	if running {
		if c.Port, err = c.runningPort(); err != nil {
			return nil, err
		}
		logf("pgboot: reusing the PostgreSQL server already running on 127.0.0.1:%d", c.Port)
	} else if err := c.start(ctx, o.Fast, logf); err != nil {
		return nil, err
	}
	c.SuperuserURL = (&url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, sec.Superuser),
		Host:     net.JoinHostPort(c.Host, strconv.Itoa(c.Port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}).String()

	// Catch a server that runs but does not know our password (say, one
	// started by hand from another folder) here rather than at first use.
	conn, err := connect(ctx, c.SuperuserURL)
	if err != nil {
		return nil, fmt.Errorf("pgboot: the server of %s is up but the superuser cannot connect: %w", dir, err)
	}
	closeConn(conn)
	logf("pgboot: PostgreSQL ready on 127.0.0.1:%d (for psql as superuser: psql -h %s -p %d -U postgres)",
		c.Port, filepath.Join(dir, "run"), c.Port)
	return c, nil
}

// Stop runs pg_ctl stop -m fast. Stopping a cluster that is not running (or
// whose folder is gone) is not an error. A Cluster made by hand with only Dir
// set can be stopped too.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), startWait+30*time.Second)
	defer cancel()
	if err := c.resolveTools(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	unlock, err := lockDir(ctx, c.Dir)
	if err != nil {
		return err
	}
	defer unlock()
	running, err := c.running(ctx)
	if err != nil || !running {
		return err
	}
	out, err := c.run(ctx, "pg_ctl", "stop", "-D", c.dataDir(), "-m", "fast", "-w", "-t", waitSeconds())
	if err != nil {
		return fmt.Errorf("pgboot: pg_ctl stop: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// RestartImmediate stops the server the way a crash would (pg_ctl stop -m
// immediate: no checkpoint, crash recovery at the next start) and starts it
// again on the same port, as `pg_ctl restart -m immediate` does; restart
// itself is not used because it cannot send the server's output to the log
// file. For crash-safety tests.
func (c *Cluster) RestartImmediate(ctx context.Context) error {
	if err := c.resolveTools(); err != nil {
		return err
	}
	unlock, err := lockDir(ctx, c.Dir)
	if err != nil {
		return err
	}
	defer unlock()
	if out, err := c.run(ctx, "pg_ctl", "stop", "-D", c.dataDir(), "-m", "immediate", "-w", "-t", waitSeconds()); err != nil {
		return fmt.Errorf("pgboot: pg_ctl stop -m immediate: %w: %s", err, strings.TrimSpace(string(out)))
	}
	out, err := c.run(ctx, "pg_ctl", "start", "-D", c.dataDir(), "-l", filepath.Join(c.Dir, logFile), "-w", "-t", waitSeconds())
	if err != nil {
		return fmt.Errorf("pgboot: pg_ctl start after an immediate stop: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// EnsureDatabase creates (if missing) the database name and the three roles
// (see EnsureRoles and PrepareDatabase) and returns their connection URLs. The
// role passwords are generated once and kept in the cluster's passwords file,
// so re-runs return the same URLs. Idempotent.
func (c *Cluster) EnsureDatabase(ctx context.Context, name string) (URLs, error) {
	if c.SuperuserURL == "" {
		return URLs{}, errors.New("pgboot: EnsureDatabase on a cluster that was not started")
	}
	sec, err := readSecrets(c.Dir)
	if err != nil {
		return URLs{}, err
	}
	if err := EnsureRoles(ctx, c.SuperuserURL, sec.roles()); err != nil {
		return URLs{}, err
	}
	if err := PrepareDatabase(ctx, c.SuperuserURL, name); err != nil {
		return URLs{}, err
	}
	return RoleURLs(c.SuperuserURL, name, sec.roles())
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }

// resolveTools fills in the binaries and OS user for a Cluster made by hand.
func (c *Cluster) resolveTools() error {
	var err error
	if c.bin == "" {
		if c.bin, err = FindBinaries(); err != nil {
			return err
		}
	}
	if c.user == nil {
		if c.user, err = currentServerUser(); err != nil {
			return err
		}
	}
	return nil
}

// run runs a PostgreSQL tool as the server user and returns its output.
func (c *Cluster) run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	return c.user.command(ctx, c.Dir, filepath.Join(c.bin, tool), args...).CombinedOutput()
}

// initialised reports whether the data directory holds a cluster. A data
// directory without PG_VERSION is what an interrupted initdb leaves behind.
func (c *Cluster) initialised() (bool, error) {
	data := c.dataDir()
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err == nil {
		return true, nil
	}
	entries, err := os.ReadDir(data)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pgboot: read %s: %w", data, err)
	}
	if len(entries) > 0 {
		return false, fmt.Errorf("pgboot: %s is not empty but holds no cluster (an interrupted initdb?); remove it to start afresh", data)
	}
	if err := os.Remove(data); err != nil { // initdb wants to create it with its own mode and owner
		return false, fmt.Errorf("pgboot: %w", err)
	}
	return false, nil
}

func (c *Cluster) initdb(ctx context.Context, password string, fast bool) error {
	pwfile := filepath.Join(c.Dir, ".initdb-password")
	if err := writeOwned(pwfile, []byte(password+"\n"), c.user); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	args := []string{
		"-D", c.dataDir(),
		"-U", superuser,
		"-E", "UTF8",
		"--locale=" + initLocale(),
		"--auth-local=trust",        // socket folder is owner-only, see the package comment
		"--auth-host=scram-sha-256", // TCP on 127.0.0.1 needs the password
		"--pwfile=" + pwfile,
	}
	if fast {
		args = append(args, "--no-sync") // syncing a fresh cluster to disk costs seconds per test binary
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if out, err := c.run(ctx, "initdb", args...); err != nil {
		return fmt.Errorf("pgboot: initdb: %w\n%s", err, lastLines(string(out), 20))
	}
	// Our settings live in a file of their own, rewritten on every start;
	// postgresql.conf only includes it, last, so it wins over the defaults.
	f, err := os.OpenFile(filepath.Join(c.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgboot: %w", err)
	}
	_, err = fmt.Fprintf(f, "\n# Settings managed by pgboot, rewritten on every start.\ninclude_if_exists = '%s'\n", confFile)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgboot: extend postgresql.conf: %w", err)
	}
	return nil
}

// initLocale prefers C.UTF-8: byte-order collation like C (fast, the same on
// every machine) but Unicode-aware upper()/lower(). Systems without it
// (older macOS) get C.
func initLocale() string {
	out, err := exec.Command("locale", "-a").Output()
	if err == nil {
		for _, l := range strings.Fields(string(out)) {
			if n := strings.ToLower(strings.ReplaceAll(l, "-", "")); n == "c.utf8" {
				return "C.UTF-8"
			}
		}
	}
	return "C"
}

// running asks pg_ctl whether the cluster's server is up.
func (c *Cluster) running(ctx context.Context) (bool, error) {
	out, err := c.run(ctx, "pg_ctl", "status", "-D", c.dataDir())
	if err == nil {
		return true, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 { // 3: not running
		return false, nil
	}
	return false, fmt.Errorf("pgboot: pg_ctl status: %w: %s", err, strings.TrimSpace(string(out)))
}

// runningPort reads the port of a running server from postmaster.pid, whose
// fourth line it is.
func (c *Cluster) runningPort() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("pgboot: port of the running server: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, errors.New("pgboot: postmaster.pid has no port line")
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return 0, fmt.Errorf("pgboot: port in postmaster.pid: %w", err)
	}
	return port, nil
}

// start writes the settings and starts the server, picking another port if
// the saved one turns out to be taken (another process may grab a port
// between our check and the server's bind).
func (c *Cluster) start(ctx context.Context, fast bool, logf func(string, ...any)) error {
	if err := mkdirOwned(filepath.Join(c.Dir, "run"), c.user); err != nil {
		return err
	}
	logPath := filepath.Join(c.Dir, logFile)
	var lastErr error
	for attempt := range 3 {
		port, err := choosePort(filepath.Join(c.Dir, portFile), attempt == 0)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(c.Dir, portFile), []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
			return fmt.Errorf("pgboot: save port: %w", err)
		}
		if err := c.writeConf(port, fast); err != nil {
			return err
		}
		var offset int64
		if fi, err := os.Stat(logPath); err == nil {
			offset = fi.Size()
		}
		logf("pgboot: starting PostgreSQL on 127.0.0.1:%d (log: %s)", port, logPath)
		out, err := c.run(ctx, "pg_ctl", "start", "-D", c.dataDir(), "-l", logPath, "-w", "-t", waitSeconds())
		if err == nil {
			c.Port = port
			return nil
		}
		serverLog := readFrom(logPath, offset)
		lastErr = fmt.Errorf("pgboot: start PostgreSQL in %s: %w\n%s\nlast lines of %s:\n%s",
			c.Dir, err, strings.TrimSpace(string(out)), logPath, lastLines(serverLog, 25))
		// pg_ctl gives up after startWait but the server may still be coming
		// up; don't leave it behind half-started.
		if up, _ := c.running(ctx); up {
			_, _ = c.run(ctx, "pg_ctl", "stop", "-D", c.dataDir(), "-m", "immediate", "-w")
		}
		if !strings.Contains(serverLog, "could not bind") && portFree(port) {
			return lastErr // not a port clash: retrying would fail the same way
		}
		logf("pgboot: port %d is taken, trying another", port)
	}
	return lastErr
}

// writeConf writes the settings pgboot owns.
func (c *Cluster) writeConf(port int, fast bool) error {
	sockets := filepath.Join(c.Dir, "run")
	// A socket path must fit in sun_path (104 bytes on macOS, 108 on Linux);
	// a deep cluster folder gets TCP only rather than a server that won't start.
	if len(filepath.Join(sockets, ".s.PGSQL.65535")) > 100 {
		sockets = ""
	}
	durable := "on"
	if fast {
		durable = "off"
	}
	conf := fmt.Sprintf(`# Written by pgboot (tidings/internal/platform/pgboot) on every start: edits are lost.
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = %s
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 256MB
# Fewer, larger checkpoints: imports and webhook bursts write a lot of WAL,
# and a checkpoint every few seconds would stall commits (README: the
# same is recommended in production).
max_wal_size = 4GB
checkpoint_timeout = 15min
# "off" is Options.Fast: fast tests at the price of crash safety.
fsync = %s
synchronous_commit = %s
full_page_writes = %s
`, port, quoteLiteral(sockets), durable, durable, durable)
	return writeOwned(filepath.Join(c.dataDir(), confFile), []byte(conf), c.user)
}

// choosePort returns the saved port if asked to and it is still free, else a
// free port picked by the kernel (from its ephemeral range, so never 5432).
func choosePort(path string, preferSaved bool) (int, error) {
	if preferSaved {
		if b, err := os.ReadFile(path); err == nil {
			if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && p > 0 && p < 65536 && p != 5432 && portFree(p) {
				return p, nil
			}
		}
	}
	for range 10 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("pgboot: find a free port: %w", err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if p != 5432 {
			return p, nil
		}
	}
	return 0, errors.New("pgboot: find a free port: the kernel keeps offering 5432")
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func waitSeconds() string { return strconv.Itoa(int(startWait / time.Second)) }

// readFrom returns a file's contents from offset on, or "" if unreadable.
func readFrom(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return string(b)
}

// lastLines returns the last n lines of s, indented for error messages.
func lastLines(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	if len(lines) == 0 {
		return "  (empty)"
	}
	return "  " + strings.Join(lines, "\n  ")
}
