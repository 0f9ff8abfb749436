package campaign

import (
	"time"
)

// validWindow checks allowed sending hours: both empty (any time) or two
// "HH:MM" times that differ. A window whose end is before its start runs
// over midnight ("20:00"–"08:00").
func validWindow(start, end string) string {
	if start == "" && end == "" {
		return ""
	}
	a, errA := time.Parse("15:04", start)
	b, errB := time.Parse("15:04", end)
	switch {
	case errA != nil || errB != nil:
		return "Give both times as hours and minutes, like 09:00 and 20:00, or leave both empty."
	case a.Equal(b):
		return "The start and the end must differ."
	}
	return ""
}

// inWindow reports whether t falls inside the sending hours, read in loc.
// No window means any time.
func inWindow(t time.Time, loc *time.Location, start, end string) bool {
	if start == "" || end == "" {
		return true
	}
	a, errA := time.Parse("15:04", start)
	b, errB := time.Parse("15:04", end)
	if errA != nil || errB != nil {
		return true
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	from, to := a.Hour()*60+a.Minute(), b.Hour()*60+b.Minute()
	if from < to {
		return m >= from && m < to
	}
	return m >= from || m < to
}

func location(tz string) *time.Location {
	if tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return time.UTC
}
