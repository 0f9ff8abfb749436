package pgboot

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The three roles of the application. Each is a LOGIN role with its own
// password; none is a superuser.
const (
	// OwnerRole owns the database, the public schema and every table; migrations run as it.
	OwnerRole = "tidings_owner"
	// AppRole is what the running app connects as: it owns nothing and is
	// subject to row-level security.
	AppRole = "tidings_app"
	// OpsRole bypasses row-level security, for explicitly named cross-tenant work; it owns nothing.
	OpsRole = "tidings_ops"
)

// roleAttributes are applied on every EnsureRoles, so a role that drifted
// (say, someone granted it BYPASSRLS by hand) is put back.
var roleAttributes = []struct {
	name     string
	attrs    string
	password func(Passwords) string
}{
	{OwnerRole, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT", func(p Passwords) string { return p.Owner }},
	{AppRole, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT", func(p Passwords) string { return p.App }},
	{OpsRole, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION BYPASSRLS INHERIT", func(p Passwords) string { return p.Ops }},
}

// Passwords of the three roles.
type Passwords struct{ Owner, App, Ops string }

// URLs to connect to one database as each of the three roles.
type URLs struct{ Owner, App, Ops string }

// rolesLockKey is the advisory lock that serialises EnsureRoles across
// processes sharing a server (parallel test packages): concurrent CREATE or
// ALTER ROLE on the same role fail with "tuple concurrently updated".
var rolesLockKey = lockKey("tidings:roles")

// EnsureRoles creates the three roles on the server reached by superuserURL if
// they are missing, and (re)applies their attributes and the given passwords,
// so URLs built from those passwords work afterwards. Roles are server-wide:
// every database on the server shares them. The connection must be a superuser
// one (only a superuser may grant BYPASSRLS).
func EnsureRoles(ctx context.Context, superuserURL string, pw Passwords) error {
	if pw.Owner == "" || pw.App == "" || pw.Ops == "" {
		return errors.New("pgboot: EnsureRoles needs a password for each role")
	}
	conn, err := connect(ctx, superuserURL)
	if err != nil {
		return err
	}
	defer closeConn(conn)
	unlock, err := advisoryLock(ctx, conn, rolesLockKey)
	if err != nil {
		return err
	}
	defer unlock()
	for _, r := range roleAttributes {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", r.name).Scan(&exists); err != nil {
			return fmt.Errorf("pgboot: look up role %s: %w", r.name, err)
		}
		verb := "CREATE"
		if exists {
			verb = "ALTER"
		}
		sql := fmt.Sprintf("%s ROLE %s WITH %s PASSWORD %s", verb, quoteIdent(r.name), r.attrs, quoteLiteral(r.password(pw)))
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("pgboot: %s role %s: %w", strings.ToLower(verb), r.name, err)
		}
	}
	return nil
}

// PrepareDatabase creates database name (owned by OwnerRole, UTF8, from
// template0 so nothing a DBA added to template1 leaks in) if it is missing, and
// applies the ownership and schema privileges the app relies on:
//
//	ALTER SCHEMA public OWNER TO tidings_owner;
//	REVOKE ALL ON SCHEMA public FROM PUBLIC;
//	GRANT USAGE ON SCHEMA public TO tidings_app, tidings_ops;
//	GRANT CREATE, USAGE ON SCHEMA public TO tidings_owner;
//
// The roles must exist (EnsureRoles). Idempotent; the connection must be a
// superuser one.
func PrepareDatabase(ctx context.Context, superuserURL, name string) error {
	if name == "" {
		return errors.New("pgboot: empty database name")
	}
	conn, err := connect(ctx, superuserURL)
	if err != nil {
		return err
	}
	defer closeConn(conn)
	// Two processes preparing the same database would race CREATE DATABASE.
	unlock, err := advisoryLock(ctx, conn, lockKey("tidings:database:"+name))
	if err != nil {
		return err
	}
	defer unlock()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("pgboot: look up database %s: %w", name, err)
	}
	db := quoteIdent(name)
	sql := fmt.Sprintf("CREATE DATABASE %s OWNER %s TEMPLATE template0 ENCODING 'UTF8'", db, quoteIdent(OwnerRole))
	if exists {
		sql = fmt.Sprintf("ALTER DATABASE %s OWNER TO %s", db, quoteIdent(OwnerRole))
	}
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pgboot: database %s: %w", name, err)
	}

	dbURL, err := ConnURL(superuserURL, name, "", "")
	if err != nil {
		return err
	}
	dconn, err := connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer closeConn(dconn)
	owner, app, ops := quoteIdent(OwnerRole), quoteIdent(AppRole), quoteIdent(OpsRole)
	// PUBLIC loses even USAGE: only our three roles may see the schema.
	schemaSQL := fmt.Sprintf(`ALTER SCHEMA public OWNER TO %[1]s;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO %[2]s, %[3]s;
GRANT CREATE, USAGE ON SCHEMA public TO %[1]s;`, owner, app, ops)
	if _, err := dconn.Exec(ctx, schemaSQL); err != nil {
		return fmt.Errorf("pgboot: schema privileges in %s: %w", name, err)
	}
	return nil
}

// ConnURL returns the postgres:// URL base with its database replaced by
// dbname and, if user is not empty, its credentials replaced by user and
// password. Other settings (host, port, sslmode, ...) are kept.
func ConnURL(base, dbname, user, password string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// The parse error would quote the URL, password included.
		return "", errors.New("pgboot: database URL is not a postgres:// URL (not shown: it may hold a password)")
	}
	q := u.Query()
	if dbname != "" {
		u.Path, u.RawPath = "/"+dbname, ""
		q.Del("dbname") // would override the path
	}
	if user != "" {
		u.User = url.UserPassword(user, password)
		q.Del("user")
		q.Del("password")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// RoleURLs returns the URLs of database dbname for the three roles, on the
// server of superuserURL.
func RoleURLs(superuserURL, dbname string, pw Passwords) (URLs, error) {
	var urls URLs
	var err error
	if urls.Owner, err = ConnURL(superuserURL, dbname, OwnerRole, pw.Owner); err != nil {
		return URLs{}, err
	}
	if urls.App, err = ConnURL(superuserURL, dbname, AppRole, pw.App); err != nil {
		return URLs{}, err
	}
	if urls.Ops, err = ConnURL(superuserURL, dbname, OpsRole, pw.Ops); err != nil {
		return URLs{}, err
	}
	return urls, nil
}

func connect(ctx context.Context, connURL string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return nil, fmt.Errorf("pgboot: connect: %w", err)
	}
	return conn, nil
}

// closeConn closes conn even when the caller's context is already done.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Close(ctx) // nothing useful to do with a failed goodbye
}

// advisoryLock takes a session-level advisory lock on conn, waiting as long as
// ctx allows. The returned function releases it; closing conn does too.
func advisoryLock(ctx context.Context, conn *pgx.Conn, key int64) (func(), error) {
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return nil, fmt.Errorf("pgboot: advisory lock: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", key) // closing the connection releases it anyway
	}, nil
}

// lockKey maps a name to an advisory lock key.
func lockKey(name string) int64 {
	sum := sha256.Sum256([]byte(name))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// quoteLiteral quotes s as an SQL string literal. DDL such as CREATE ROLE
// takes no bind parameters, so values must be quoted by hand.
func quoteLiteral(s string) string {
	s = strings.ReplaceAll(s, "'", "''")
	if strings.Contains(s, `\`) {
		// E'' makes the meaning of backslashes independent of standard_conforming_strings.
		return "E'" + strings.ReplaceAll(s, `\`, `\\`) + "'"
	}
	return "'" + s + "'"
}
