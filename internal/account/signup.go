package account

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	mailer "tidings/internal/platform/mail"
	"tidings/internal/platform/phone"
)

// SignupInput is what the signup form collects (policy §1.1: name, e-mail,
// phone, credentials, business information — nothing else is required).
type SignupInput struct {
	Name, Email, Phone, Password                           string
	BusinessName, Industry, CompanySize, Country, TimeZone string
	Website                                                string
	// Adult is the 18+ attestation (policy §12).
	Adult bool
	// The versions the person saw and accepted.
	AcceptTerms, AcceptPrivacy   bool
	TermsVersion, PrivacyVersion int
}

// NormaliseEmail lower-cases and trims an address.
func NormaliseEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validEmail(s string) bool {
	if len(s) > 254 || s == "" {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

func (in *SignupInput) validate(terms, privacy PolicyVersion) FieldErrors {
	fe := FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	in.Email = NormaliseEmail(in.Email)
	in.BusinessName = strings.TrimSpace(in.BusinessName)
	in.Website = strings.TrimSpace(in.Website)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		fe["name"] = "Enter your name (up to 100 characters)."
	}
	if !validEmail(in.Email) {
		fe["email"] = "Enter an e-mail address like name@example.com."
	}
	if !validChoice(Countries(), in.Country) {
		fe["country"] = "Choose the country your business is in."
	}
	if p, err := phone.Normalise(in.Phone, in.Country); err != nil {
		fe["phone"] = "Enter a mobile number we can reach, with its country code if it is not in your business's country."
	} else {
		in.Phone = p
	}
	if err := CheckPassword(in.Password); err != nil {
		fe["password"] = capitalise(err.Error()) + "."
	}
	if in.BusinessName == "" || utf8.RuneCountInString(in.BusinessName) > 120 {
		fe["business_name"] = "Enter your business's name (up to 120 characters)."
	}
	if !validChoice(Industries, in.Industry) {
		fe["industry"] = "Choose an industry."
	}
	if !validChoice(CompanySizes, in.CompanySize) {
		fe["company_size"] = "Choose a company size."
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "" || in.TimeZone == "Local" {
		fe["time_zone"] = "Choose a time zone."
	}
	if in.Website != "" && (len(in.Website) > 200 || !strings.Contains(in.Website, ".")) {
		fe["website"] = "Enter a web address like example.com, or leave it empty."
	}
	if !in.Adult {
		fe["adult"] = "Tidings is only for people aged 18 or over."
	}
	switch {
	case !in.AcceptTerms:
		fe["accept_terms"] = "Accept the Terms of Service to continue."
	case in.TermsVersion != terms.Version:
		fe["accept_terms"] = "The Terms of Service changed while you were signing up; please read and accept the new version."
	}
	switch {
	case !in.AcceptPrivacy:
		fe["accept_privacy"] = "Accept the Privacy Policy to continue."
	case in.PrivacyVersion != privacy.Version:
		fe["accept_privacy"] = "The Privacy Policy changed while you were signing up; please read and accept the new version."
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Signup creates a user, their organisation (as its owner), the evidence of
// their attestation and acceptances, and e-mails a verification link. When
// the address already has an account nothing is created and that account
// is told instead, so the form never reveals who is registered.
func (s *Service) Signup(ctx context.Context, in SignupInput, meta Meta) error {
	terms, err := s.CurrentPolicy(ctx, PolicyTerms)
	if err != nil {
		return err
	}
	privacy, err := s.CurrentPolicy(ctx, PolicyPrivacy)
	if err != nil {
		return err
	}
	if fe := in.validate(terms, privacy); fe != nil {
		return fe
	}
	if err := limited(s.limiter.Take(ctx, SignupPerIP, meta.IP.String())); err != nil {
		return err
	}
	if err := limited(s.limiter.Take(ctx, SignupPerEmail, in.Email)); err != nil {
		return err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	u := User{Email: in.Email, Name: in.Name, PhoneE164: in.Phone, PasswordHash: hash, TimeZone: in.TimeZone, CreatedAt: now, UpdatedAt: now}
	org := Org{Name: in.BusinessName, Industry: in.Industry, CompanySize: in.CompanySize,
		Country: in.Country, TimeZone: in.TimeZone, Website: in.Website, CreatedAt: now, UpdatedAt: now}
	token, err := s.createOwner(ctx, u, org, []PolicyVersion{terms, privacy}, meta)
	if isUniqueViolation(err) {
		s.send(ctx, mailer.Message{To: in.Email, Subject: "You already have a Tidings account",
			Text: "Someone (hopefully you) tried to sign up to Tidings with this address, which already has an account.\n\n" +
				"Log in: " + s.opt.BaseURL.String() + s.opt.LoginPath + "\n" +
				"Forgot your password? Use \"Forgot password\" on the login page.\n\n" +
				"If this was not you, you can ignore this e-mail."})
		return nil
	}
	if err != nil {
		return fmt.Errorf("account: signup: %w", err)
	}
	s.sendVerification(ctx, in.Email, in.Name, token)
	return nil
}

func (s *Service) issueToken(tx *gorm.DB, userID int64, purpose string, ttl time.Duration) (string, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	t := userToken{UserID: userID, Purpose: purpose, TokenHash: hash, ExpiresAt: now.Add(ttl), CreatedAt: now}
	if err := tx.Create(&t).Error; err != nil {
		return "", fmt.Errorf("account: issue %s token: %w", purpose, err)
	}
	return token, nil
}

// useToken marks a token used and returns its user; it fails for unknown,
// used and expired tokens alike.
func (s *Service) useToken(tx *gorm.DB, token, purpose string) (int64, error) {
	var t userToken
	res := tx.Model(&t).
		Where("token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", hashToken(token), purpose, s.clock.Now()).
		Update("used_at", s.clock.Now())
	if res.Error != nil {
		return 0, fmt.Errorf("account: use token: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return 0, ErrTokenInvalid
	}
	if err := tx.Select("user_id").Where("token_hash = ?", hashToken(token)).Take(&t).Error; err != nil {
		return 0, fmt.Errorf("account: use token: %w", err)
	}
	return t.UserID, nil
}

func (s *Service) sendVerification(ctx context.Context, email, name, token string) {
	s.send(ctx, mailer.Message{To: email, Subject: "Confirm your e-mail address for Tidings",
		Text: "Hello " + name + ",\n\nPlease confirm your e-mail address by opening this link:\n\n" +
			s.link(s.opt.VerifyPath, token) + "\n\nThe link works once and expires in 48 hours.\n" +
			"If you did not sign up to Tidings, ignore this e-mail and nothing will happen."})
}

// VerifyEmail confirms the address behind a verification link.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	return s.db.Global(ctx, func(tx *gorm.DB) error {
		userID, err := s.useToken(tx, token, "verify_email")
		if err != nil {
			return err
		}
		return tx.Model(&User{}).Where("id = ? AND email_verified_at IS NULL", userID).
			Updates(map[string]any{"email_verified_at": s.clock.Now(), "updated_at": s.clock.Now()}).Error
	})
}

// ResendVerification e-mails a new link to an unverified address. Like
// signup, it answers the same whether or not the address is registered.
func (s *Service) ResendVerification(ctx context.Context, email string, meta Meta) error {
	email = NormaliseEmail(email)
	if err := limited(s.limiter.Take(ctx, SignupPerIP, meta.IP.String())); err != nil {
		return err
	}
	if err := limited(s.limiter.Take(ctx, SignupPerEmail, email)); err != nil {
		return err
	}
	var u User
	var token string
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("email = ? AND email_verified_at IS NULL", email).Take(&u).Error; err != nil {
			return err
		}
		var err error
		token, err = s.issueToken(tx, u.ID, "verify_email", verifyTokenTTL)
		return err
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("account: resend verification: %w", err)
	}
	s.sendVerification(ctx, u.Email, u.Name, token)
	return nil
}

// createOwner creates a user with a new organisation they own, with the
// evidence of their 18+ attestation and policy acceptances, and returns an
// e-mail verification token unless the user is already verified.
func (s *Service) createOwner(ctx context.Context, u User, org Org, accepted []PolicyVersion, meta Meta) (string, error) {
	var token string
	err := s.db.NewOrg(ctx, func(tx *gorm.DB, orgID int64) error {
		now := s.clock.Now()
		if err := tx.Create(&u).Error; err != nil {
			return err
		}
		org.ID = orgID
		if err := tx.Omit("org_id").Create(&org).Error; err != nil {
			return err
		}
		if err := tx.Create(&Membership{OrgID: orgID, UserID: u.ID, Role: RoleOwner, CreatedAt: now}).Error; err != nil {
			return err
		}
		if err := tx.Create(&ageAttestation{UserID: u.ID, AttestedAt: now, IP: meta.ip(), UserAgent: meta.UserAgent}).Error; err != nil {
			return err
		}
		for _, p := range accepted {
			if err := tx.Create(&policyAcceptance{UserID: u.ID, PolicyVersionID: p.ID, AcceptedAt: now, IP: meta.ip(), UserAgent: meta.UserAgent}).Error; err != nil {
				return err
			}
		}
		if u.Verified() {
			return nil
		}
		var err error
		token, err = s.issueToken(tx, u.ID, "verify_email", verifyTokenTTL)
		return err
	})
	return token, err
}
