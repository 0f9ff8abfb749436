package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// touchEvery limits last-seen writes to one a minute per session; the idle
// timeout is therefore exact to within a minute.
const touchEvery = time.Minute

// Session is a server-side session. The cookie holds a random token whose
// SHA-256 is TokenHash; Data is the caller's serialised values.
type Session struct {
	ID         int64
	TokenHash  []byte
	UserID     *int64
	Data       []byte  `gorm:"type:jsonb"`
	IP         *string `gorm:"type:inet"`
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}

// CreateSession stores a new session and returns the token for its cookie
// (256 random bits). userID is zero for an anonymous visitor.
func (s *Service) CreateSession(ctx context.Context, userID int64, data []byte, meta Meta) (string, Session, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", Session{}, err
	}
	now := s.clock.Now()
	sess := Session{TokenHash: hash, Data: data, IP: meta.ip(), UserAgent: truncate(meta.UserAgent, 400),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opt.SessionMaxAge)}
	if userID > 0 {
		sess.UserID = &userID
	}
	if err := s.db.Global(ctx, func(tx *gorm.DB) error { return tx.Create(&sess).Error }); err != nil {
		return "", Session{}, fmt.Errorf("account: create session: %w", err)
	}
	return token, sess, nil
}

// LoadSession finds the live session behind a cookie token and notes the
// visit. Revoked, idle and expired sessions are ErrSessionInvalid.
func (s *Service) LoadSession(ctx context.Context, token string) (Session, error) {
	var sess Session
	now := s.clock.Now()
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Where("token_hash = ? AND revoked_at IS NULL", hashToken(token)).Take(&sess).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sess, ErrSessionInvalid
	}
	if err != nil {
		return sess, fmt.Errorf("account: load session: %w", err)
	}
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.opt.SessionIdle {
		return sess, ErrSessionInvalid
	}
	if sess.UserID != nil {
		var disabled int64
		err := s.db.Global(ctx, func(tx *gorm.DB) error {
			return tx.Model(&User{}).Where("id = ? AND disabled_at IS NOT NULL", *sess.UserID).Count(&disabled).Error
		})
		if err != nil {
			return sess, fmt.Errorf("account: load session: %w", err)
		}
		if disabled > 0 {
			return sess, ErrSessionInvalid
		}
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		err := s.db.Global(ctx, func(tx *gorm.DB) error {
			return tx.Model(&Session{}).Where("id = ?", sess.ID).Update("last_seen_at", now).Error
		})
		if err != nil {
			return sess, fmt.Errorf("account: touch session: %w", err)
		}
		sess.LastSeenAt = now
	}
	return sess, nil
}

// SaveSessionData replaces a live session's data.
func (s *Service) SaveSessionData(ctx context.Context, id int64, data []byte) error {
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Model(&Session{}).Where("id = ? AND revoked_at IS NULL", id).Update("data", data).Error
	})
	if err != nil {
		return fmt.Errorf("account: save session: %w", err)
	}
	return nil
}

// EndSession revokes one session by id (logout, or renewal at login).
func (s *Service) EndSession(ctx context.Context, id int64) error {
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Model(&Session{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", s.clock.Now()).Error
	})
	if err != nil {
		return fmt.Errorf("account: end session: %w", err)
	}
	return nil
}

// RevokeSession revokes one of the user's own sessions.
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID int64) error {
	var n int64
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Session{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", sessionID, userID).
			Update("revoked_at", s.clock.Now())
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return fmt.Errorf("account: revoke session: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// RevokeOtherSessions signs the user out everywhere but the given session.
func (s *Service) RevokeOtherSessions(ctx context.Context, userID, keepID int64) error {
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Model(&Session{}).Where("user_id = ? AND id <> ? AND revoked_at IS NULL", userID, keepID).
			Update("revoked_at", s.clock.Now()).Error
	})
	if err != nil {
		return fmt.Errorf("account: revoke other sessions: %w", err)
	}
	return nil
}

func revokeAll(tx *gorm.DB, userID int64, now time.Time) error {
	return tx.Model(&Session{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", now).Error
}

// ActiveSessions lists the user's live sessions, most recent first.
func (s *Service) ActiveSessions(ctx context.Context, userID int64) ([]Session, error) {
	var out []Session
	now := s.clock.Now()
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Where("user_id = ? AND revoked_at IS NULL AND expires_at > ? AND last_seen_at > ?",
			userID, now, now.Add(-s.opt.SessionIdle)).Order("last_seen_at DESC").Find(&out).Error
	})
	if err != nil {
		return nil, fmt.Errorf("account: list sessions: %w", err)
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
