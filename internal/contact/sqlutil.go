package contact

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// jsonStrings scans a JSON array of strings (select to_json(text[])).
type jsonStrings []string

// Scan implements sql.Scanner.
func (j *jsonStrings) Scan(src any) error { return scanJSON(src, (*[]string)(j)) }

// jsonInts scans a JSON array of numbers.
type jsonInts []int64

// Scan implements sql.Scanner.
func (j *jsonInts) Scan(src any) error { return scanJSON(src, (*[]int64)(j)) }

// jsonMap scans a JSON object of strings.
type jsonMap map[string]string

// Scan implements sql.Scanner.
func (j *jsonMap) Scan(src any) error {
	var m map[string]any
	if err := scanJSON(src, &m); err != nil {
		return err
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case nil:
		default:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	*j = out
	return nil
}

func scanJSON(src any, dst any) error {
	switch s := src.(type) {
	case nil:
		return nil
	case []byte:
		return json.Unmarshal(s, dst)
	case string:
		return json.Unmarshal([]byte(s), dst)
	}
	return fmt.Errorf("contact: cannot scan %T as JSON", src)
}

// likeEscape escapes LIKE wildcards in s (the escape character is \).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func isDuplicate(err error) bool {
	var pe *pgconn.PgError
	return errors.Is(err, gorm.ErrDuplicatedKey) || (errors.As(err, &pe) && pe.Code == "23505")
}

// GormDataType tells GORM's schema parser what the scan-only types hold.
func (jsonStrings) GormDataType() string { return "json" }

// GormDataType tells GORM's schema parser what the scan-only types hold.
func (jsonInts) GormDataType() string { return "json" }

// GormDataType tells GORM's schema parser what the scan-only types hold.
func (jsonMap) GormDataType() string { return "json" }
