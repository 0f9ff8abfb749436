package account

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"tidings/internal/audit"
	mailer "tidings/internal/platform/mail"
)

// OrgRole is an organisation seen by one of its members.
type OrgRole struct {
	Org
	Role string
}

// OrgsOf lists the organisations a user belongs to, oldest membership first.
func (s *Service) OrgsOf(ctx context.Context, userID int64) ([]OrgRole, error) {
	var out []OrgRole
	err := s.db.AsUser(ctx, userID, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT o.*, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id
			WHERE m.user_id = ? ORDER BY m.created_at, o.id`, userID).Scan(&out).Error
	})
	if err != nil {
		return nil, fmt.Errorf("account: orgs of user: %w", err)
	}
	return out, nil
}

// Member is a row of the team page.
type Member struct {
	UserID int64
	Name   string
	Email  string
	Role   string
}

// Team lists an org's members and open invitations.
func (s *Service) Team(ctx context.Context, orgID, userID int64) ([]Member, []Invite, error) {
	var members []Member
	var invites []Invite
	err := s.db.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT u.id AS user_id, u.name, u.email, m.role FROM memberships m
			JOIN users u ON u.id = m.user_id WHERE m.org_id = ? ORDER BY u.name, u.id`, orgID).Scan(&members).Error; err != nil {
			return err
		}
		return tx.Where("org_id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?", orgID, s.clock.Now()).
			Order("created_at DESC").Find(&invites).Error
	})
	if err != nil {
		return nil, nil, fmt.Errorf("account: team: %w", err)
	}
	return members, invites, nil
}

// Actor is who does something inside an org.
type Actor struct {
	OrgID, UserID int64
	Role          string
	Meta          Meta
}

// Invite e-mails an invitation to join the actor's org. Owners only.
func (s *Service) Invite(ctx context.Context, a Actor, email, role string) error {
	if a.Role != RoleOwner {
		return ErrForbidden
	}
	email = NormaliseEmail(email)
	fe := FieldErrors{}
	if !validEmail(email) {
		fe["email"] = "Enter an e-mail address like name@example.com."
	}
	if role != RoleAdmin && role != RoleMember {
		fe["role"] = "Choose admin or member."
	}
	if len(fe) > 0 {
		return fe
	}
	token, hash, err := newToken()
	if err != nil {
		return err
	}
	now := s.clock.Now()
	var orgName, inviter string
	err = s.db.InOrg(ctx, a.OrgID, a.UserID, func(tx *gorm.DB) error {
		var already int64
		if err := tx.Raw(`SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.org_id = ? AND u.email = ?`, a.OrgID, email).Scan(&already).Error; err != nil {
			return err
		}
		if already > 0 {
			return FieldErrors{"email": "This person is already a member."}
		}
		// A fresh invitation replaces an open one to the same address.
		if err := tx.Model(&Invite{}).Where("org_id = ? AND email = ? AND accepted_at IS NULL AND revoked_at IS NULL", a.OrgID, email).
			Update("revoked_at", now).Error; err != nil {
			return err
		}
		inv := Invite{OrgID: a.OrgID, Email: email, Role: role, TokenHash: hash, InvitedBy: &a.UserID,
			ExpiresAt: now.Add(inviteTokenTTL), CreatedAt: now}
		if err := tx.Create(&inv).Error; err != nil {
			return err
		}
		if err := tx.Raw(`SELECT o.name, u.name FROM orgs o, users u WHERE o.id = ? AND u.id = ?`, a.OrgID, a.UserID).
			Row().Scan(&orgName, &inviter); err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{OrgID: a.OrgID, ActorID: a.UserID, Action: "team.invite",
			Target: fmt.Sprintf("invite:%d", inv.ID), Detail: map[string]any{"role": role}, IP: a.Meta.IP, At: now})
	})
	var fieldErrs FieldErrors
	if errors.As(err, &fieldErrs) {
		return fieldErrs
	}
	if err != nil {
		return fmt.Errorf("account: invite: %w", err)
	}
	s.send(ctx, mailer.Message{To: email, Subject: inviter + " invited you to " + orgName + " on Tidings",
		Text: "Hello,\n\n" + inviter + " invited you to join " + orgName + " on Tidings as " + role + ".\n\n" +
			"Accept the invitation: " + s.link(s.opt.InvitePath, token) + "\n\nThe link expires in 7 days."})
	return nil
}

// RevokeInvite withdraws an open invitation. Owners only.
func (s *Service) RevokeInvite(ctx context.Context, a Actor, inviteID int64) error {
	if a.Role != RoleOwner {
		return ErrForbidden
	}
	return s.inOrgExpectOne(ctx, a, "team.invite_revoke", fmt.Sprintf("invite:%d", inviteID), func(tx *gorm.DB) *gorm.DB {
		return tx.Model(&Invite{}).Where("org_id = ? AND id = ? AND accepted_at IS NULL AND revoked_at IS NULL", a.OrgID, inviteID).
			Update("revoked_at", s.clock.Now())
	})
}

// ChangeRole sets a member's role. Owners only; the last owner stays owner.
func (s *Service) ChangeRole(ctx context.Context, a Actor, userID int64, role string) error {
	if a.Role != RoleOwner {
		return ErrForbidden
	}
	if roleRank(role) == 0 {
		return FieldErrors{"role": "Choose owner, admin or member."}
	}
	return s.db.InOrg(ctx, a.OrgID, a.UserID, func(tx *gorm.DB) error {
		if err := s.keepAnOwner(tx, a.OrgID, userID, role); err != nil {
			return err
		}
		res := tx.Model(&Membership{}).Where("org_id = ? AND user_id = ?", a.OrgID, userID).Update("role", role)
		if res.Error != nil {
			return fmt.Errorf("account: change role: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return audit.Record(tx, audit.Entry{OrgID: a.OrgID, ActorID: a.UserID, Action: "team.role",
			Target: fmt.Sprintf("user:%d", userID), Detail: map[string]any{"role": role}, IP: a.Meta.IP, At: s.clock.Now()})
	})
}

// RemoveMember takes a member out of the org. Owners only; never the last owner.
func (s *Service) RemoveMember(ctx context.Context, a Actor, userID int64) error {
	if a.Role != RoleOwner {
		return ErrForbidden
	}
	return s.db.InOrg(ctx, a.OrgID, a.UserID, func(tx *gorm.DB) error {
		if err := s.keepAnOwner(tx, a.OrgID, userID, ""); err != nil {
			return err
		}
		res := tx.Where("org_id = ? AND user_id = ?", a.OrgID, userID).Delete(&Membership{})
		if res.Error != nil {
			return fmt.Errorf("account: remove member: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return audit.Record(tx, audit.Entry{OrgID: a.OrgID, ActorID: a.UserID, Action: "team.remove",
			Target: fmt.Sprintf("user:%d", userID), IP: a.Meta.IP, At: s.clock.Now()})
	})
}

// keepAnOwner refuses a change that would leave the org without an owner.
func (s *Service) keepAnOwner(tx *gorm.DB, orgID, userID int64, newRole string) error {
	if newRole == RoleOwner {
		return nil
	}
	var otherOwners, isOwner int64
	if err := tx.Model(&Membership{}).Where("org_id = ? AND role = 'owner' AND user_id <> ?", orgID, userID).Count(&otherOwners).Error; err != nil {
		return err
	}
	if err := tx.Model(&Membership{}).Where("org_id = ? AND role = 'owner' AND user_id = ?", orgID, userID).Count(&isOwner).Error; err != nil {
		return err
	}
	if isOwner > 0 && otherOwners == 0 {
		return FieldErrors{"": "An organisation needs at least one owner: make someone else owner first."}
	}
	return nil
}

func (s *Service) inOrgExpectOne(ctx context.Context, a Actor, action, target string, q func(tx *gorm.DB) *gorm.DB) error {
	return s.db.InOrg(ctx, a.OrgID, a.UserID, func(tx *gorm.DB) error {
		res := q(tx)
		if res.Error != nil {
			return fmt.Errorf("account: %s: %w", action, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return audit.Record(tx, audit.Entry{OrgID: a.OrgID, ActorID: a.UserID, Action: action, Target: target, IP: a.Meta.IP, At: s.clock.Now()})
	})
}

// InviteView is what the acceptance page shows about an invitation.
type InviteView struct {
	OrgID                       int64
	OrgName, InviterName, Email string
	Role                        string
	// HasAccount says whether the invited address already has a login.
	HasAccount bool
}

// LookupInvite resolves an invitation link. The token does not name its
// org, so this is cross-tenant work on the privileged handle.
func (s *Service) LookupInvite(ctx context.Context, token string) (InviteView, error) {
	var v InviteView
	err := s.ops.Tx(ctx, "resolve invitation token", func(tx *gorm.DB) error {
		return tx.Raw(`SELECT i.org_id, o.name AS org_name, coalesce(u.name, '') AS inviter_name, i.email, i.role,
				EXISTS (SELECT 1 FROM users x WHERE x.email = i.email) AS has_account
			FROM invites i JOIN orgs o ON o.id = i.org_id LEFT JOIN users u ON u.id = i.invited_by
			WHERE i.token_hash = ? AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?`,
			hashToken(token), s.clock.Now()).Scan(&v).Error
	})
	if err != nil {
		return v, fmt.Errorf("account: lookup invite: %w", err)
	}
	if v.OrgID == 0 {
		return v, ErrTokenInvalid
	}
	return v, nil
}

// AcceptInvite adds userID to the invitation's org. The signed-in user's
// address must be the invited one, so a forwarded link is useless.
func (s *Service) AcceptInvite(ctx context.Context, token string, userID int64, meta Meta) (int64, error) {
	v, err := s.LookupInvite(ctx, token)
	if err != nil {
		return 0, err
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return 0, err
	}
	if !strings.EqualFold(u.Email, v.Email) {
		return 0, FieldErrors{"": "This invitation is for " + v.Email + ". Log in with that address to accept it."}
	}
	now := s.clock.Now()
	err = s.db.InOrg(ctx, v.OrgID, userID, func(tx *gorm.DB) error {
		res := tx.Model(&Invite{}).Where("org_id = ? AND token_hash = ? AND accepted_at IS NULL AND revoked_at IS NULL", v.OrgID, hashToken(token)).
			Update("accepted_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrTokenInvalid
		}
		if err := tx.Exec(`INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (org_id, user_id) DO NOTHING`, v.OrgID, userID, v.Role, now).Error; err != nil {
			return err
		}
		// Following the link proves the address.
		if err := tx.Model(&User{}).Where("id = ? AND email_verified_at IS NULL", userID).Update("email_verified_at", now).Error; err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{OrgID: v.OrgID, ActorID: userID, Action: "team.join",
			Target: fmt.Sprintf("user:%d", userID), Detail: map[string]any{"role": v.Role}, IP: meta.IP, At: now})
	})
	if errors.Is(err, ErrTokenInvalid) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("account: accept invite: %w", err)
	}
	return v.OrgID, nil
}

// NewMemberInput is what an invited person without an account gives.
type NewMemberInput struct {
	Name, Password               string
	Adult                        bool
	AcceptTerms, AcceptPrivacy   bool
	TermsVersion, PrivacyVersion int
}

// JoinWithNewAccount creates a login for the invited address and accepts
// the invitation in one go. The address is proven by the link itself.
func (s *Service) JoinWithNewAccount(ctx context.Context, token string, in NewMemberInput, meta Meta) (User, int64, error) {
	v, err := s.LookupInvite(ctx, token)
	if err != nil {
		return User{}, 0, err
	}
	terms, err := s.CurrentPolicy(ctx, PolicyTerms)
	if err != nil {
		return User{}, 0, err
	}
	privacy, err := s.CurrentPolicy(ctx, PolicyPrivacy)
	if err != nil {
		return User{}, 0, err
	}
	// Reuse the signup rules for the fields this form shares with it.
	full := SignupInput{Name: in.Name, Email: v.Email, Password: in.Password, Adult: in.Adult,
		AcceptTerms: in.AcceptTerms, AcceptPrivacy: in.AcceptPrivacy, TermsVersion: in.TermsVersion, PrivacyVersion: in.PrivacyVersion}
	fe := full.validate(terms, privacy)
	kept := FieldErrors{}
	for _, k := range []string{"name", "password", "adult", "accept_terms", "accept_privacy"} {
		if msg, bad := fe[k]; bad {
			kept[k] = msg
		}
	}
	if len(kept) > 0 {
		return User{}, 0, kept
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, 0, err
	}
	now := s.clock.Now()
	u := User{Email: v.Email, Name: full.Name, PasswordHash: hash, TimeZone: "UTC", EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	err = s.db.Global(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&u).Error; err != nil {
			return err
		}
		if err := tx.Create(&ageAttestation{UserID: u.ID, AttestedAt: now, IP: meta.ip(), UserAgent: meta.UserAgent}).Error; err != nil {
			return err
		}
		for _, p := range []PolicyVersion{terms, privacy} {
			if err := tx.Create(&policyAcceptance{UserID: u.ID, PolicyVersionID: p.ID, AcceptedAt: now, IP: meta.ip(), UserAgent: meta.UserAgent}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if isUniqueViolation(err) {
		return User{}, 0, FieldErrors{"": "An account with this address exists already: log in to accept the invitation."}
	}
	if err != nil {
		return User{}, 0, fmt.Errorf("account: join with new account: %w", err)
	}
	orgID, err := s.AcceptInvite(ctx, token, u.ID, meta)
	return u, orgID, err
}
