package pgboot

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// passwordsFile holds the generated passwords of a cluster, inside its folder.
// Generating them once and keeping them lets re-runs reuse the same URLs.
const passwordsFile = "passwords.json"

type secrets struct {
	Superuser string `json:"postgres"`
	Owner     string `json:"tidings_owner"`
	App       string `json:"tidings_app"`
	Ops       string `json:"tidings_ops"`
}

func (s secrets) roles() Passwords {
	return Passwords{Owner: s.Owner, App: s.App, Ops: s.Ops}
}

// readSecrets reads the passwords file of a cluster folder.
func readSecrets(dir string) (secrets, error) {
	var s secrets
	b, err := os.ReadFile(filepath.Join(dir, passwordsFile))
	if err != nil {
		return s, fmt.Errorf("pgboot: read passwords: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("pgboot: parse %s: %w", filepath.Join(dir, passwordsFile), err)
	}
	return s, nil
}

// loadOrCreateSecrets reads the passwords file, generating (and saving, 0600)
// whichever passwords are missing.
func loadOrCreateSecrets(dir string) (secrets, error) {
	s, err := readSecrets(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	changed := false
	for _, p := range []*string{&s.Superuser, &s.Owner, &s.App, &s.Ops} {
		if *p == "" {
			*p = randomPassword()
			changed = true
		}
	}
	if !changed {
		return s, nil
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return s, fmt.Errorf("pgboot: encode passwords: %w", err)
	}
	// Write then rename, so an interrupted run never leaves half a file.
	tmp, err := os.CreateTemp(dir, passwordsFile+".*")
	if err != nil {
		return s, fmt.Errorf("pgboot: save passwords: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return s, fmt.Errorf("pgboot: save passwords: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return s, fmt.Errorf("pgboot: save passwords: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return s, fmt.Errorf("pgboot: save passwords: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, passwordsFile)); err != nil {
		return s, fmt.Errorf("pgboot: save passwords: %w", err)
	}
	return s, nil
}

// randomPassword returns 128 random bits as base32 letters and digits, which
// need no escaping in URLs or SQL literals.
func randomPassword() string {
	return rand.Text()
}
