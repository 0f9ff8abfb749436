package account

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// Demo describes the demonstration login `tidings dev` creates.
type Demo struct {
	Email, Password, Name, Phone, OrgName string
}

// EnsureDemo creates the demo user and organisation once: verified, the
// current policies accepted, so a newcomer can log straight in.
func (s *Service) EnsureDemo(ctx context.Context, d Demo) error {
	var existing int64
	if err := s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Model(&User{}).Where("email = ?", d.Email).Count(&existing).Error
	}); err != nil {
		return fmt.Errorf("account: demo: %w", err)
	}
	if existing > 0 {
		return nil
	}
	hash, err := HashPassword(d.Password)
	if err != nil {
		return err
	}
	var policies []PolicyVersion
	for _, k := range []string{PolicyTerms, PolicyPrivacy} {
		p, err := s.CurrentPolicy(ctx, k)
		if err != nil {
			return err
		}
		policies = append(policies, p)
	}
	now := s.clock.Now()
	u := User{Email: d.Email, Name: d.Name, PhoneE164: d.Phone, PasswordHash: hash, TimeZone: "Europe/London",
		EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	org := Org{Name: d.OrgName, Industry: "retail", CompanySize: "2-10", Country: "GB", TimeZone: "Europe/London", CreatedAt: now, UpdatedAt: now}
	_, err = s.createOwner(ctx, u, org, policies, Meta{})
	if err != nil && !errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("account: demo: %w", err)
	}
	return nil
}

// DemoIDs returns the demo user's id and their (first) organisation's.
func (s *Service) DemoIDs(ctx context.Context, email string) (userID, orgID int64, err error) {
	err = s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT id FROM users WHERE email = ?`, email).Scan(&userID).Error
	})
	if err != nil || userID == 0 {
		return 0, 0, fmt.Errorf("account: demo user: %w", errors.Join(err, ErrNotFound))
	}
	orgs, err := s.OrgsOf(ctx, userID)
	if err != nil || len(orgs) == 0 {
		return 0, 0, fmt.Errorf("account: demo org: %w", errors.Join(err, ErrNotFound))
	}
	return userID, orgs[0].ID, nil
}
