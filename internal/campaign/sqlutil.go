package campaign

import (
	"database/sql/driver"
	"strconv"
	"strings"
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
