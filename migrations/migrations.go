// Package migrations embeds the schema's SQL files. Files are append-only:
// a change to the schema is a new numbered file, never an edit.
package migrations

import "embed"

// FS holds every NNNNN_name.sql file.
//
//go:embed *.sql
var FS embed.FS
