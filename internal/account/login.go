package account

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	mailer "tidings/internal/platform/mail"
)

// Authenticate checks an e-mail and password under the brute-force limits
// and records the attempt in the login history.
func (s *Service) Authenticate(ctx context.Context, email, password string, meta Meta) (User, error) {
	email = NormaliseEmail(email)
	ip := meta.IP.String()
	if err := limited(s.limiter.Check(ctx, LoginPerIP, ip)); err != nil {
		return User{}, err
	}
	if err := limited(s.limiter.Check(ctx, LoginPerAccount, email)); err != nil {
		return User{}, err
	}
	var u User
	err := s.db.Global(ctx, func(tx *gorm.DB) error { return tx.Where("email = ?", email).Take(&u).Error })
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, fmt.Errorf("account: authenticate: %w", err)
	}
	found := err == nil
	hash := u.PasswordHash
	if !found {
		hash = dummyHash()
	}
	ok := VerifyPassword(hash, password) && found
	if err := s.recordLogin(ctx, u.ID, ok, meta); err != nil {
		return User{}, err
	}
	if !ok {
		if err := s.limiter.Record(ctx, LoginPerIP, ip); err != nil {
			return User{}, err
		}
		if err := s.limiter.Record(ctx, LoginPerAccount, email); err != nil {
			return User{}, err
		}
		return User{}, ErrInvalidCredentials
	}
	if u.DisabledAt != nil {
		return User{}, ErrDisabled
	}
	return u, nil
}

func (s *Service) recordLogin(ctx context.Context, userID int64, ok bool, meta Meta) error {
	e := LoginEvent{Success: ok, IP: meta.ip(), UserAgent: meta.UserAgent, At: s.clock.Now()}
	if userID > 0 {
		e.UserID = &userID
	}
	err := s.db.Global(ctx, func(tx *gorm.DB) error { return tx.Create(&e).Error })
	if err != nil {
		return fmt.Errorf("account: record login: %w", err)
	}
	return nil
}

// LoginHistory returns a user's most recent logins.
func (s *Service) LoginHistory(ctx context.Context, userID int64, limit int) ([]LoginEvent, error) {
	var out []LoginEvent
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Where("user_id = ?", userID).Order("at DESC").Limit(limit).Find(&out).Error
	})
	if err != nil {
		return nil, fmt.Errorf("account: login history: %w", err)
	}
	return out, nil
}

// RequestPasswordReset e-mails a reset link when the address has an account.
// The answer is the same either way.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, meta Meta) error {
	email = NormaliseEmail(email)
	if !validEmail(email) {
		return FieldErrors{"email": "Enter the e-mail address you signed up with."}
	}
	if err := limited(s.limiter.Take(ctx, ResetPerIP, meta.IP.String())); err != nil {
		return err
	}
	if err := limited(s.limiter.Take(ctx, ResetPerEmail, email)); err != nil {
		return err
	}
	var u User
	var token string
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("email = ? AND disabled_at IS NULL", email).Take(&u).Error; err != nil {
			return err
		}
		var err error
		token, err = s.issueToken(tx, u.ID, "reset_password", resetTokenTTL)
		return err
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("account: request reset: %w", err)
	}
	s.send(ctx, mailer.Message{To: u.Email, Subject: "Reset your Tidings password",
		Text: "Hello " + u.Name + ",\n\nTo choose a new password, open this link:\n\n" + s.link(s.opt.ResetPath, token) +
			"\n\nThe link works once and expires in one hour. Choosing a new password signs you out everywhere.\n" +
			"If you did not ask for this, ignore this e-mail: your password stays as it is."})
	return nil
}

// CheckResetToken tells whether a reset link is still usable, so the page
// can say so before the person types a new password.
func (s *Service) CheckResetToken(ctx context.Context, token string) error {
	var n int64
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Model(&userToken{}).Where("token_hash = ? AND purpose = 'reset_password' AND used_at IS NULL AND expires_at > ?",
			hashToken(token), s.clock.Now()).Count(&n).Error
	})
	if err != nil {
		return fmt.Errorf("account: check reset token: %w", err)
	}
	if n == 0 {
		return ErrTokenInvalid
	}
	return nil
}

// ResetPassword sets a new password from a reset link and signs the user
// out everywhere. Following the link also proves the address.
func (s *Service) ResetPassword(ctx context.Context, token, password string) (User, error) {
	if err := CheckPassword(password); err != nil {
		return User{}, FieldErrors{"password": capitalise(err.Error()) + "."}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.db.Global(ctx, func(tx *gorm.DB) error {
		userID, err := s.useToken(tx, token, "reset_password")
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{
			"password_hash": hash, "updated_at": now,
			"email_verified_at": gorm.Expr("coalesce(email_verified_at, ?)", now),
		}).Error; err != nil {
			return err
		}
		// Other outstanding reset links die with this one.
		if err := tx.Model(&userToken{}).Where("user_id = ? AND purpose = 'reset_password' AND used_at IS NULL", userID).
			Update("used_at", now).Error; err != nil {
			return err
		}
		if err := revokeAll(tx, userID, now); err != nil {
			return err
		}
		return tx.Take(&u, userID).Error
	})
	if err != nil {
		return User{}, fmt.Errorf("account: reset password: %w", err)
	}
	return u, nil
}

// ChangePassword replaces a password after checking the current one, and
// revokes every session of the user; the caller starts a fresh one.
func (s *Service) ChangePassword(ctx context.Context, userID int64, current, next string) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if !VerifyPassword(u.PasswordHash, current) {
		return FieldErrors{"current_password": "This is not your current password."}
	}
	if err := CheckPassword(next); err != nil {
		return FieldErrors{"new_password": capitalise(err.Error()) + "."}
	}
	if next == current {
		return FieldErrors{"new_password": "Choose a password different from the current one."}
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	err = s.db.Global(ctx, func(tx *gorm.DB) error {
		now := s.clock.Now()
		if err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error; err != nil {
			return err
		}
		return revokeAll(tx, userID, now)
	})
	if err != nil {
		return fmt.Errorf("account: change password: %w", err)
	}
	s.send(ctx, mailer.Message{To: u.Email, Subject: "Your Tidings password was changed",
		Text: "Hello " + u.Name + ",\n\nYour password was just changed and every other session was signed out.\n" +
			"If this was not you, reset your password at once from the login page and contact us."})
	return nil
}
