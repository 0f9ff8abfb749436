package contact

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// textArray passes a []string to PostgreSQL as a text[] through GORM
// (which would otherwise expand a slice into a list of parameters).
type textArray []string

// Value renders the array literal.
func (a textArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range s {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

// int64Array passes a []int64 as a bigint[].
type int64Array []int64

// Value renders the array literal.
func (a int64Array) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(v, 10))
	}
	b.WriteByte('}')
	return b.String(), nil
}

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
