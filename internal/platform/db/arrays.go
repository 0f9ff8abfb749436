package db

import (
	"database/sql/driver"
	"strconv"
	"strings"
)

// TextArray passes a []string to PostgreSQL as a text[] through GORM,
// which would otherwise expand a slice into a list of parameters.
type TextArray []string

// Value renders the array literal, every element quoted and escaped.
func (a TextArray) Value() (driver.Value, error) {
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

// Int64Array passes a []int64 as a bigint[] (see TextArray).
type Int64Array []int64

// Value renders the array literal.
func (a Int64Array) Value() (driver.Value, error) {
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
