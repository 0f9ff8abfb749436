// Package account renders the signed-in user's own pages: the profile with
// the password change, and the sessions and login history.
package account

import (
	"time"

	"tidings/templates/components"
)

// FormErrors maps a field name to its message; "" is a form-level error.
type FormErrors = components.FormErrors

// PasswordForm is the change-password form; Done shows the confirmation.
type PasswordForm struct {
	Errors FormErrors
	Done   bool
}

// ProfileData is the user as the profile page shows them. TimeZone is an
// IANA name; an unknown one falls back to UTC.
type ProfileData struct {
	Name, Email, Phone string
	EmailVerified      bool
	CreatedAt          time.Time
	TimeZone           string
}

// SessionRow is one signed-in browser.
type SessionRow struct {
	ID                    int64
	Current               bool
	Device, IP            string
	CreatedAt, LastSeenAt time.Time
}

// LoginRow is one log-in attempt.
type LoginRow struct {
	At         time.Time
	IP, Device string
	Success    bool
}

func location(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

func zoneName(tz *time.Location) string {
	if tz == nil {
		return "UTC"
	}
	return tz.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (f PasswordForm) focus() string {
	return f.Errors.First("current_password", "new_password", "new_password_confirm")
}

func hasOthers(rows []SessionRow) bool {
	for _, r := range rows {
		if !r.Current {
			return true
		}
	}
	return false
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
