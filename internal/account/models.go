// Package account owns people and their organisations: users, orgs
// (tenants), memberships and roles, invitations, server-side sessions,
// e-mailed one-time tokens, policy versions and acceptances, and the login
// history. It knows nothing of HTTP: callers pass what they read from the
// request (Meta) and get typed errors back.
package account

import (
	"net/netip"
	"time"
)

// Roles within an organisation, weakest first.
const (
	RoleMember = "member"
	RoleAdmin  = "admin"
	RoleOwner  = "owner"
)

// RoleAtLeast reports whether role grants at least min.
func RoleAtLeast(role, min string) bool { return roleRank(role) >= roleRank(min) && roleRank(min) > 0 }

func roleRank(r string) int {
	switch r {
	case RoleMember:
		return 1
	case RoleAdmin:
		return 2
	case RoleOwner:
		return 3
	}
	return 0
}

// Meta is what the caller knows about the request behind an action, kept as
// evidence (acceptances, login history).
type Meta struct {
	IP        netip.Addr
	UserAgent string
}

func (m Meta) ip() *string {
	if !m.IP.IsValid() {
		return nil
	}
	s := m.IP.String()
	return &s
}

// User is a person who can log in.
type User struct {
	ID              int64
	Email           string
	Name            string
	PhoneE164       string
	PasswordHash    string `gorm:"column:password_hash"`
	TimeZone        string
	EmailVerifiedAt *time.Time
	DisabledAt      *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Verified reports whether the e-mail address was confirmed.
func (u User) Verified() bool { return u.EmailVerifiedAt != nil }

// Org is a tenant: one business.
type Org struct {
	ID          int64
	Name        string
	Industry    string
	CompanySize string
	Country     string
	TimeZone    string
	Website     string
	SuspendedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Membership ties a user to an org with a role.
type Membership struct {
	OrgID     int64
	UserID    int64
	Role      string
	CreatedAt time.Time
}

// Invite is a pending invitation to join an org.
type Invite struct {
	OrgID      int64
	ID         int64 `gorm:"primaryKey;autoIncrement"`
	Email      string
	Role       string
	TokenHash  []byte
	InvitedBy  *int64
	ExpiresAt  time.Time
	AcceptedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

// PolicyVersion is one published version of the terms or the privacy policy.
type PolicyVersion struct {
	ID          int64
	Kind        string
	Version     int
	Title       string
	Summary     string
	Body        string
	PublishedAt time.Time
}

// Policy kinds.
const (
	PolicyTerms   = "terms"
	PolicyPrivacy = "privacy"
)

// LoginEvent is one line of a user's login history.
type LoginEvent struct {
	ID        int64
	UserID    *int64
	Success   bool
	IP        *string `gorm:"type:inet"`
	UserAgent string
	At        time.Time
}

type userToken struct {
	ID        int64
	UserID    int64
	Purpose   string
	TokenHash []byte
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

func (userToken) TableName() string { return "user_tokens" }

type policyAcceptance struct {
	UserID          int64
	PolicyVersionID int64
	AcceptedAt      time.Time
	IP              *string `gorm:"type:inet"`
	UserAgent       string
}

type ageAttestation struct {
	UserID     int64 `gorm:"primaryKey"`
	AttestedAt time.Time
	IP         *string `gorm:"type:inet"`
	UserAgent  string
}
