// Package migrations embeds the schema's SQL files. Files are append-only:
// a change to the schema is a new numbered file, never an edit.
package migrations

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

// FS holds every NNNNN_name.sql file.
//
//go:embed *.sql
var FS embed.FS

// Key is a short hash of every migration file, so test template databases
// are rebuilt whenever the schema changes.
func Key() string {
	h := sha256.New()
	_ = fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(FS, p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16]
}
