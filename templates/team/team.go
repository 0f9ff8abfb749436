// Package team renders the organisation's team settings: members with
// their roles, pending invitations, and the invite form.
package team

import (
	"strconv"
	"time"

	"tidings/templates/components"
)

// FormErrors maps a field name to its message; "" is a form-level error.
type FormErrors = components.FormErrors

// MemberRow is one member of the organisation.
type MemberRow struct {
	UserID            int64
	Name, Email, Role string
	IsYou             bool
}

// InviteRow is one pending invitation.
type InviteRow struct {
	ID          int64
	Email, Role string
	ExpiresAt   time.Time
}

// InviteForm is the form that invites someone by e-mail.
type InviteForm struct {
	Email, Role string
	Errors      FormErrors
}

// TeamData is the whole page. CanManage shows the invite form and the
// per-member controls.
type TeamData struct {
	Members   []MemberRow
	Invites   []InviteRow
	CanManage bool
	Form      InviteForm
	Roles     []components.Option
	TZ        *time.Location // the org's time zone for expiry times; nil means UTC
}

func roleLabel(role string, roles []components.Option) string {
	for _, o := range roles {
		if o.Value == role {
			return o.Label
		}
	}
	switch role {
	case "owner":
		return "Owner"
	case "admin":
		return "Admin"
	case "member":
		return "Member"
	}
	return role
}

func memberName(m MemberRow) string {
	if m.Name != "" {
		return m.Name
	}
	return m.Email
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
