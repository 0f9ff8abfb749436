package account

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"tidings/internal/platform/config"
	"tidings/internal/platform/db"
)

// The owner's privacy policy (shared/seed/privacy-policy.txt) and our terms,
// seeded as version 1 of each.
var (
	//go:embed data/privacy-v1.txt
	privacyV1 string
	//go:embed data/terms-v1.txt
	termsV1 string
)

// Placeholders in the seed texts, replaced by the operator's details.
const (
	placeholderEmail   = "your-email@example.com"
	placeholderAddress = "Your Business Address"
)

// SeedPolicies publishes version 1 of the terms and the privacy policy when
// none exists, with the operator's contact details in place of the
// placeholders. Later versions are published by staff.
func SeedPolicies(ctx context.Context, ops *db.Privileged, op config.Operator) error {
	fill := strings.NewReplacer(placeholderEmail, op.Email, placeholderAddress, op.Address)
	seeds := []PolicyVersion{
		{Kind: PolicyTerms, Version: 1, Title: "Terms of Service", Summary: "First version.", Body: fill.Replace(termsV1)},
		{Kind: PolicyPrivacy, Version: 1, Title: "Privacy Policy", Summary: "First version.", Body: fill.Replace(privacyV1)},
	}
	return ops.Tx(ctx, "seed policy versions", func(tx *gorm.DB) error {
		for _, p := range seeds {
			err := tx.Exec(`INSERT INTO policy_versions (kind, version, title, summary, body)
				SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM policy_versions WHERE kind = ?)`,
				p.Kind, p.Version, p.Title, p.Summary, p.Body, p.Kind).Error
			if err != nil {
				return fmt.Errorf("account: seed %s policy: %w", p.Kind, err)
			}
		}
		return nil
	})
}

// CurrentPolicy returns the newest version of a policy kind.
func (s *Service) CurrentPolicy(ctx context.Context, kind string) (PolicyVersion, error) {
	var p PolicyVersion
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Where("kind = ?", kind).Order("version DESC").Take(&p).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, fmt.Errorf("account: no %s policy published: %w", kind, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("account: current %s policy: %w", kind, err)
	}
	return p, nil
}

// PendingPolicies lists the current versions the user has not accepted yet.
func (s *Service) PendingPolicies(ctx context.Context, userID int64) ([]PolicyVersion, error) {
	var out []PolicyVersion
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT p.* FROM policy_versions p
			WHERE p.version = (SELECT max(version) FROM policy_versions q WHERE q.kind = p.kind)
			  AND NOT EXISTS (SELECT 1 FROM policy_acceptances a WHERE a.user_id = ? AND a.policy_version_id = p.id)
			ORDER BY p.kind`, userID).Scan(&out).Error
	})
	if err != nil {
		return nil, fmt.Errorf("account: pending policies: %w", err)
	}
	return out, nil
}

// AcceptPolicies records acceptance of the given current versions.
func (s *Service) AcceptPolicies(ctx context.Context, userID int64, versionIDs []int64, meta Meta) error {
	pending, err := s.PendingPolicies(ctx, userID)
	if err != nil {
		return err
	}
	accepted := map[int64]bool{}
	for _, id := range versionIDs {
		accepted[id] = true
	}
	fe := FieldErrors{}
	for _, p := range pending {
		if !accepted[p.ID] {
			fe["accept_"+p.Kind] = "Accept the new " + p.Title + " to continue using Tidings."
		}
	}
	if len(fe) > 0 {
		return fe
	}
	now := s.clock.Now()
	return s.db.Global(ctx, func(tx *gorm.DB) error {
		for _, p := range pending {
			a := policyAcceptance{UserID: userID, PolicyVersionID: p.ID, AcceptedAt: now, IP: meta.ip(), UserAgent: meta.UserAgent}
			if err := tx.Create(&a).Error; err != nil {
				return fmt.Errorf("account: accept %s: %w", p.Kind, err)
			}
		}
		return nil
	})
}
