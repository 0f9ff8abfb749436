package pgboot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
)

// ErrNoBinaries is returned (wrapped) when initdb and pg_ctl cannot be found.
// Its text tells a newcomer exactly what to install.
var ErrNoBinaries = errors.New("PostgreSQL server binaries not found " +
	"(looked for initdb and pg_ctl on PATH and in /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin " +
	"and Homebrew's postgresql@* kegs): install them with `sudo apt-get install postgresql` (Debian/Ubuntu) " +
	"or `brew install postgresql@16` (macOS), or set DATABASE_URL to an existing server")

// defaultSearchGlobs are the places packages put the server binaries when
// they are not on PATH.
var defaultSearchGlobs = []string{
	"/usr/lib/postgresql/*/bin",          // Debian, Ubuntu (only psql is linked into /usr/bin)
	"/usr/pgsql-*/bin",                   // PGDG packages for Fedora, RHEL
	"/opt/homebrew/opt/postgresql@*/bin", // Homebrew on Apple silicon: postgresql@N is keg-only, so not on PATH
	"/usr/local/opt/postgresql@*/bin",    // Homebrew on Intel macs
}

// FindBinaries returns the folder holding initdb, pg_ctl and postgres. PATH
// wins, so a developer can pick a version; otherwise the newest major version
// in the usual package locations is used.
func FindBinaries() (binDir string, err error) {
	return findBinaries(os.Getenv("PATH"), defaultSearchGlobs)
}

// findBinaries is FindBinaries with the search places as arguments, for tests.
func findBinaries(pathList string, globs []string) (string, error) {
	for _, d := range filepath.SplitList(pathList) {
		if d == "" {
			continue // an empty PATH entry means ".", which is never where a server lives
		}
		if dir, ok := serverBinDir(d); ok {
			return dir, nil
		}
	}
	var candidates []string
	for _, g := range globs {
		m, _ := filepath.Glob(g) // the only possible error is a malformed pattern
		candidates = append(candidates, m...)
	}
	slices.SortStableFunc(candidates, func(a, b string) int {
		return majorVersion(b) - majorVersion(a) // newest first
	})
	for _, d := range candidates {
		if dir, ok := serverBinDir(d); ok {
			return dir, nil
		}
	}
	return "", fmt.Errorf("pgboot: %w", ErrNoBinaries)
}

// serverBinDir reports whether d holds both initdb and pg_ctl, and returns the
// folder to use. Symlinks are resolved (Debian's images link
// /usr/local/bin/initdb to /usr/lib/postgresql/15/bin/initdb) because pg_ctl
// looks for the postgres binary next to itself.
func serverBinDir(d string) (string, bool) {
	initdb := filepath.Join(d, "initdb")
	if !isExecutable(initdb) || !isExecutable(filepath.Join(d, "pg_ctl")) {
		return "", false
	}
	if real, err := filepath.EvalSymlinks(initdb); err == nil {
		rd := filepath.Dir(real)
		if isExecutable(filepath.Join(rd, "pg_ctl")) {
			if abs, err := filepath.Abs(rd); err == nil {
				return abs, true
			}
		}
	}
	abs, err := filepath.Abs(d)
	if err != nil {
		return "", false
	}
	return abs, true
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

var trailingVersion = regexp.MustCompile(`(\d+)(?:\.\d+)?$`)

// majorVersion extracts N from ".../postgresql/N/bin", ".../pgsql-N/bin" or
// ".../postgresql@N/bin"; 0 if there is none.
func majorVersion(binDir string) int {
	m := trailingVersion.FindStringSubmatch(filepath.Base(filepath.Dir(binDir)))
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
