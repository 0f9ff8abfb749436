package pgboot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// serverUser is the OS account that initdb, pg_ctl and the server run as.
//
// PostgreSQL refuses to run as root. As a normal user we run the binaries
// directly; as root (our sessions and CI) we run them as the "postgres" system
// user through runuser(1), and hand that user the folders it must write to.
type serverUser struct {
	name    string // "" for the current user
	uid     int
	gid     int
	groups  []int
	runuser string // path of runuser(1) when switching user, else ""
}

func currentServerUser() (*serverUser, error) {
	if os.Geteuid() != 0 {
		groups, _ := os.Getgroups() // only used for a permission pre-check
		return &serverUser{uid: os.Geteuid(), gid: os.Getegid(), groups: groups}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgboot: running as root, so PostgreSQL must run as the postgres system user, "+
			"which does not exist (installing the postgresql package creates it, or `useradd --system postgres`): %w", err)
	}
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		return nil, fmt.Errorf("pgboot: running as root, so PostgreSQL must run as postgres via runuser(1) "+
			"from util-linux, which is missing; run as a normal user instead: %w", err)
	}
	s := &serverUser{name: u.Username, runuser: runuser}
	if s.uid, err = strconv.Atoi(u.Uid); err != nil {
		return nil, fmt.Errorf("pgboot: uid of postgres: %w", err)
	}
	if s.gid, err = strconv.Atoi(u.Gid); err != nil {
		return nil, fmt.Errorf("pgboot: gid of postgres: %w", err)
	}
	gids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("pgboot: groups of postgres: %w", err)
	}
	for _, g := range gids {
		if n, err := strconv.Atoi(g); err == nil {
			s.groups = append(s.groups, n)
		}
	}
	return s, nil
}

// switching reports whether commands run as another user than ours.
func (s *serverUser) switching() bool { return s.runuser != "" }

// command builds a command that runs as the server user, in workDir: the
// server user must be able to enter its working folder, and ours may be
// somewhere it cannot (a clone under /root).
func (s *serverUser) command(ctx context.Context, workDir, name string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if s.switching() {
		cmd = exec.CommandContext(ctx, s.runuser, append([]string{"-u", s.name, "--", name}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, name, args...)
	}
	cmd.Dir = workDir
	// pg_ctl start leaves a server running; should it ever keep our output
	// pipes open, don't wait for it forever.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// own gives path to the server user when we run it as another user.
func (s *serverUser) own(path string) error {
	if !s.switching() {
		return nil
	}
	if err := os.Lchown(path, s.uid, s.gid); err != nil {
		return fmt.Errorf("pgboot: hand %s to %s: %w", path, s.name, err)
	}
	return nil
}

// canEnter reports whether the server user may traverse dir and every folder
// above it (plain mode bits; ACLs are not consulted).
func (s *serverUser) canEnter(dir string) bool {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	for p := real; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return true // cannot tell; PostgreSQL will report it if it is wrong
		}
		need := fs.FileMode(0o001)
		switch {
		case int(st.Uid) == s.uid:
			need = 0o100
		case int(st.Gid) == s.gid || slices.Contains(s.groups, int(st.Gid)):
			need = 0o010
		}
		if fi.Mode().Perm()&need == 0 {
			return false
		}
		if parent := filepath.Dir(p); parent == p {
			return true
		}
	}
}

// clusterDir returns the absolute folder the cluster lives in and whether it
// differs from the requested one.
//
// As a normal user it is always the requested folder. As root the server runs
// as postgres, which must be able to enter every folder above the cluster; a
// clone under /root (mode 0700) is the usual case where it cannot. We do not
// chmod folders we do not own (o+x on /root would open more than the
// cluster): the cluster then lives in os.TempDir(), in a folder named after a
// hash of the requested path, so every run for the same folder finds the same
// cluster again. The cost is that a reboot that clears /tmp loses that
// cluster, which only happens on root-run machines (sessions, CI) where the
// data is disposable.
func clusterDir(requested string, s *serverUser) (dir string, relocated bool, err error) {
	abs, err := filepath.Abs(requested)
	if err != nil {
		return "", false, fmt.Errorf("pgboot: cluster folder %q: %w", requested, err)
	}
	if !s.switching() {
		return abs, false, nil
	}
	existing := filepath.Dir(abs)
	for {
		if _, err := os.Stat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		existing = parent
	}
	// Folders we create below the existing one are made 0755 by prepareDir.
	if s.canEnter(existing) {
		return abs, false, nil
	}
	tmp := os.TempDir()
	if !s.canEnter(tmp) {
		return "", false, fmt.Errorf("pgboot: neither %s nor the temporary folder %s can be entered by the %s user; "+
			"choose a cluster folder outside /root or set TMPDIR", abs, tmp, s.name)
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(tmp, "tidings-pg-"+hex.EncodeToString(sum[:8])), true, nil
}

// prepareDir creates the cluster folder (0700, owned by the server user) and
// any missing parents.
func prepareDir(dir string, s *serverUser) error {
	parent := filepath.Dir(dir)
	if s.switching() {
		// MkdirAll honours root's umask, which may be 077 and would lock the
		// postgres user out of the parents we create: set their mode explicitly.
		var missing []string
		for p := parent; ; p = filepath.Dir(p) {
			if _, err := os.Stat(p); err == nil || filepath.Dir(p) == p {
				break
			}
			missing = append(missing, p)
		}
		for i := len(missing) - 1; i >= 0; i-- {
			if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("pgboot: create %s: %w", missing[i], err)
			}
			if err := os.Chmod(missing[i], 0o755); err != nil {
				return fmt.Errorf("pgboot: chmod %s: %w", missing[i], err)
			}
		}
	} else if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("pgboot: create %s: %w", parent, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgboot: create %s: %w", dir, err)
	}
	// We are about to chmod (and as root chown) the folder: make sure it is
	// empty or ours, not say the repository root passed by mistake.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("pgboot: read %s: %w", dir, err)
	}
	if len(entries) > 0 && !slices.ContainsFunc(entries, func(e fs.DirEntry) bool {
		return e.Name() == "data" || e.Name() == passwordsFile
	}) {
		return fmt.Errorf("pgboot: %s is neither empty nor a cluster folder; choose a new folder for the cluster", dir)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("pgboot: chmod %s: %w", dir, err)
	}
	return s.own(dir)
}

// mkdirOwned creates a folder (0700) that the server user writes to.
func mkdirOwned(path string, s *serverUser) error {
	if err := os.Mkdir(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgboot: create %s: %w", path, err)
	}
	return s.own(path)
}

// writeOwned writes a file that the server user must read.
func writeOwned(path string, data []byte, s *serverUser) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("pgboot: write %s: %w", path, err)
	}
	return s.own(path)
}

// lockDir takes an exclusive lock on the cluster folder so that two processes
// (or goroutines) starting or stopping the same cluster take turns instead of
// racing initdb or pg_ctl. The returned function releases it.
func lockDir(ctx context.Context, dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgboot: open lock file: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("pgboot: lock %s: %w", dir, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("pgboot: waiting for another process using %s: %w", dir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
