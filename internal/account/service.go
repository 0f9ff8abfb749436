package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"gorm.io/gorm"

	"tidings/internal/platform/clock"
	"tidings/internal/platform/db"
	"tidings/internal/platform/mail"
	"tidings/internal/platform/ratelimit"
)

// Lifetimes of the one-time links.
const (
	verifyTokenTTL = 48 * time.Hour
	resetTokenTTL  = time.Hour
	inviteTokenTTL = 7 * 24 * time.Hour
)

// Rate limits (QUALITY.md, "brute force").
var (
	LoginPerAccount = ratelimit.Rule{Bucket: "login-account", Limit: 10, Window: 15 * time.Minute}
	LoginPerIP      = ratelimit.Rule{Bucket: "login-ip", Limit: 5, Window: 5 * time.Minute}
	SignupPerIP     = ratelimit.Rule{Bucket: "signup-ip", Limit: 10, Window: time.Hour}
	SignupPerEmail  = ratelimit.Rule{Bucket: "signup-email", Limit: 3, Window: time.Hour}
	ResetPerIP      = ratelimit.Rule{Bucket: "reset-ip", Limit: 10, Window: time.Hour}
	ResetPerEmail   = ratelimit.Rule{Bucket: "reset-email", Limit: 3, Window: time.Hour}
)

// Options configure the service.
type Options struct {
	// BaseURL starts every link in an e-mail.
	BaseURL *url.URL
	// SessionIdle and SessionMaxAge bound a session's life.
	SessionIdle   time.Duration
	SessionMaxAge time.Duration
	// Paths of the pages that e-mailed links open.
	VerifyPath, ResetPath, InvitePath, LoginPath string
}

// Service is the account room's API.
type Service struct {
	db      *db.Tenant
	ops     *db.Privileged
	clock   clock.Clock
	mail    mail.Sender
	limiter *ratelimit.Limiter
	log     *slog.Logger
	opt     Options
}

// NewService wires the service.
func NewService(tenant *db.Tenant, ops *db.Privileged, c clock.Clock, m mail.Sender, l *ratelimit.Limiter, log *slog.Logger, o Options) *Service {
	return &Service{db: tenant, ops: ops, clock: c, mail: m, limiter: l, log: log, opt: o}
}

// Clock returns the service's clock, so callers judge time the same way.
func (s *Service) Clock() clock.Clock { return s.clock }

// newToken returns a random URL-safe token (256 bits) and its hash, which
// is all the database keeps.
func newToken() (string, []byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("account: token: %w", err)
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	return t, hashToken(t), nil
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

func (s *Service) link(path, token string) string {
	u := *s.opt.BaseURL
	u.Path += path
	u.RawQuery = url.Values{"token": {token}}.Encode()
	return u.String()
}

// send delivers an e-mail; a failure is logged, not returned, where the
// user's action has already been committed and a resend is offered.
func (s *Service) send(ctx context.Context, m mail.Message) {
	if err := s.mail.Send(ctx, m); err != nil {
		s.log.ErrorContext(ctx, "e-mail not sent", "subject", m.Subject, "err", err)
	}
}

// limited turns a limiter verdict into a RateLimitedError.
func limited(wait time.Duration, err error) error {
	if err != nil {
		return err
	}
	if wait > 0 {
		return &RateLimitedError{RetryAfter: wait}
	}
	return nil
}

func isUniqueViolation(err error) bool { return errors.Is(err, gorm.ErrDuplicatedKey) }

// UserByID loads a user.
func (s *Service) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.db.Global(ctx, func(tx *gorm.DB) error {
		return tx.Take(&u, id).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, ErrNotFound
	}
	if err != nil {
		return u, fmt.Errorf("account: load user: %w", err)
	}
	return u, nil
}
