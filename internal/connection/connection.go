// Package connection keeps each organisation's WhatsApp Business number:
// the identifiers Meta gave it, the access token and app secret (sealed at
// rest, never shown again after saving), the webhook key and verify token
// that route Meta's webhooks to it, and what Meta last said about the
// number (quality, messaging tier, throughput).
package connection

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"tidings/internal/audit"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/db"
	"tidings/internal/platform/secretbox"
	"tidings/internal/whatsapp"
)

// Errors the web layer turns into words.
var (
	ErrNotFound = errors.New("connection: not connected")
)

// FieldErrors maps a form field to what is wrong with it.
type FieldErrors map[string]string

func (f FieldErrors) Error() string { return "connection: invalid input" }

// Connection is an org's number, secrets sealed.
type Connection struct {
	OrgID              int64
	ID                 int64  `gorm:"primaryKey;autoIncrement"`
	WABAID             string `gorm:"column:waba_id"`
	PhoneNumberID      string
	APIBaseURL         string `gorm:"column:api_base_url"`
	APIVersion         string `gorm:"column:api_version"`
	AccessTokenSealed  string
	AppSecretSealed    string
	VerifyTokenSealed  string
	WebhookKey         string
	DisplayPhoneNumber string
	VerifiedName       string
	QualityRating      string
	MessagingLimitTier string
	ThroughputLevel    string
	CheckedAt          *time.Time
	StoppedAt          *time.Time
	StopReason         string
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// TableName names the table.
func (Connection) TableName() string { return "wa_connections" }

// Secrets are a connection's opened credentials, for the client only.
type Secrets struct {
	AccessToken, AppSecret, VerifyToken string
}

// Input is what the settings form collects.
type Input struct {
	WABAID, PhoneNumberID, APIBaseURL, APIVersion string
	// AccessToken and AppSecret may be empty when editing: the stored ones
	// are kept (they are never shown back).
	AccessToken, AppSecret string
}

// Service stores connections.
type Service struct {
	db    *db.Tenant
	ops   *db.Privileged
	box   *secretbox.Box
	clock clock.Clock
	// DefaultBaseURL and DefaultVersion prefill the form (the sandbox in dev,
	// Meta's Graph API in production).
	DefaultBaseURL, DefaultVersion string

	cache   sync.Map // webhook key -> cachedRoute
	clients clients
}

// NewService wires the service.
func NewService(tenant *db.Tenant, ops *db.Privileged, box *secretbox.Box, c clock.Clock, baseURL, version string) *Service {
	return &Service{db: tenant, ops: ops, box: box, clock: c, DefaultBaseURL: baseURL, DefaultVersion: version}
}

var (
	digitsRE  = regexp.MustCompile(`^[0-9]{5,30}$`)
	versionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)
	secretRE  = regexp.MustCompile(`^[A-Za-z0-9]{16,64}$`)
)

func (in *Input) validate(editing bool) FieldErrors {
	fe := FieldErrors{}
	in.WABAID, in.PhoneNumberID = strings.TrimSpace(in.WABAID), strings.TrimSpace(in.PhoneNumberID)
	in.APIBaseURL, in.APIVersion = strings.TrimRight(strings.TrimSpace(in.APIBaseURL), "/"), strings.TrimSpace(in.APIVersion)
	in.AccessToken, in.AppSecret = strings.TrimSpace(in.AccessToken), strings.TrimSpace(in.AppSecret)
	if !digitsRE.MatchString(in.WABAID) {
		fe["waba_id"] = "Enter the WhatsApp Business Account ID: digits only, from Meta's WhatsApp Manager."
	}
	if !digitsRE.MatchString(in.PhoneNumberID) {
		fe["phone_number_id"] = "Enter the phone number ID (digits only; not the phone number itself)."
	}
	if u, err := url.Parse(in.APIBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		fe["api_base_url"] = "Enter the API address, e.g. https://graph.facebook.com."
	}
	if !versionRE.MatchString(in.APIVersion) {
		fe["api_version"] = "Enter a Graph API version such as v23.0."
	}
	if (!editing || in.AccessToken != "") && (len(in.AccessToken) < 20 || strings.ContainsAny(in.AccessToken, " \t\n")) {
		fe["access_token"] = "Paste the permanent access token of your system user (it is long and has no spaces)."
	}
	if (!editing || in.AppSecret != "") && !secretRE.MatchString(in.AppSecret) {
		fe["app_secret"] = "Paste your Meta app's secret (letters and digits, from App settings → Basic)."
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func sealContext(orgID int64, field string) string {
	return "wa_connections:" + strconv.FormatInt(orgID, 10) + ":" + field
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Get returns the org's connection.
func (s *Service) Get(ctx context.Context, orgID, userID int64) (Connection, error) {
	var c Connection
	err := s.db.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		return tx.Where("org_id = ?", orgID).Take(&c).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("connection: get: %w", err)
	}
	return c, nil
}

// Save creates or updates the org's connection. New secrets are sealed;
// blank ones on an edit keep the stored values.
func (s *Service) Save(ctx context.Context, orgID, userID int64, in Input) (Connection, error) {
	existing, err := s.Get(ctx, orgID, userID)
	editing := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Connection{}, err
	}
	if fe := in.validate(editing); fe != nil {
		return Connection{}, fe
	}
	c := existing
	now := s.clock.Now()
	if !editing {
		verify := randomToken(24)
		if c.VerifyTokenSealed, err = s.box.Seal(verify, sealContext(orgID, "verify_token")); err != nil {
			return Connection{}, err
		}
		c.WebhookKey = randomToken(18)
		c.OrgID, c.CreatedAt = orgID, now
	}
	if in.PhoneNumberID != existing.PhoneNumberID || in.WABAID != existing.WABAID {
		// A different number: what Meta said about the old one is void.
		c.DisplayPhoneNumber, c.VerifiedName, c.QualityRating, c.MessagingLimitTier, c.ThroughputLevel, c.CheckedAt = "", "", "", "", "", nil
	}
	c.WABAID, c.PhoneNumberID, c.APIBaseURL, c.APIVersion, c.UpdatedAt = in.WABAID, in.PhoneNumberID, in.APIBaseURL, in.APIVersion, now
	if in.AccessToken != "" {
		if c.AccessTokenSealed, err = s.box.Seal(in.AccessToken, sealContext(orgID, "access_token")); err != nil {
			return Connection{}, err
		}
		c.StoppedAt, c.StopReason = nil, ""
	}
	if in.AppSecret != "" {
		if c.AppSecretSealed, err = s.box.Seal(in.AppSecret, sealContext(orgID, "app_secret")); err != nil {
			return Connection{}, err
		}
	}
	err = s.db.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		if err := tx.Save(&c).Error; err != nil {
			return err
		}
		action := "whatsapp.connect"
		if editing {
			action = "whatsapp.update"
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: action,
			Target: "wa_connection:" + strconv.FormatInt(c.ID, 10), At: now})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return Connection{}, FieldErrors{"phone_number_id": "This phone number ID is already connected to an organisation on Tidings."}
	}
	if err != nil {
		return Connection{}, fmt.Errorf("connection: save: %w", err)
	}
	s.cache.Delete(c.WebhookKey)
	return c, nil
}

// Secrets opens a connection's credentials.
func (s *Service) Secrets(c Connection) (Secrets, error) {
	var out Secrets
	var err error
	if out.AccessToken, err = s.box.Open(c.AccessTokenSealed, sealContext(c.OrgID, "access_token")); err != nil {
		return out, fmt.Errorf("connection: open token: %w", err)
	}
	if out.AppSecret, err = s.box.Open(c.AppSecretSealed, sealContext(c.OrgID, "app_secret")); err != nil {
		return out, fmt.Errorf("connection: open app secret: %w", err)
	}
	if out.VerifyToken, err = s.box.Open(c.VerifyTokenSealed, sealContext(c.OrgID, "verify_token")); err != nil {
		return out, fmt.Errorf("connection: open verify token: %w", err)
	}
	return out, nil
}

// NumberInfo is what Meta says about a number.
type NumberInfo struct {
	DisplayPhoneNumber, VerifiedName, QualityRating, MessagingLimitTier, ThroughputLevel string
}

// RecordCheck stores what a connection test learned.
func (s *Service) RecordCheck(ctx context.Context, orgID, userID int64, info NumberInfo) error {
	err := s.db.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		return tx.Model(&Connection{}).Where("org_id = ?", orgID).Updates(map[string]any{
			"display_phone_number": info.DisplayPhoneNumber, "verified_name": info.VerifiedName,
			"quality_rating": info.QualityRating, "messaging_limit_tier": info.MessagingLimitTier,
			"throughput_level": info.ThroughputLevel, "checked_at": s.clock.Now(), "updated_at": s.clock.Now(),
		}).Error
	})
	if err != nil {
		return fmt.Errorf("connection: record check: %w", err)
	}
	return nil
}

// Route is what the webhook endpoint needs to know about a webhook key.
type Route struct {
	OrgID         int64
	ConnectionID  int64
	PhoneNumberID string
	AppSecret     string
	VerifyToken   string
}

type cachedRoute struct {
	route Route
	until time.Time
}

// routeTTL bounds how long a rotated app secret may still be accepted.
const routeTTL = 30 * time.Second

// RouteFor resolves a webhook key. It is cross-tenant by nature (the
// request names no org), so it uses the privileged handle, and it is
// cached briefly because every webhook POST needs it.
func (s *Service) RouteFor(ctx context.Context, key string) (Route, error) {
	if v, ok := s.cache.Load(key); ok && s.clock.Now().Before(v.(cachedRoute).until) {
		return v.(cachedRoute).route, nil
	}
	var c Connection
	err := s.ops.Tx(ctx, "route webhook", func(tx *gorm.DB) error {
		return tx.Where("webhook_key = ?", key).Take(&c).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Route{}, ErrNotFound
	}
	if err != nil {
		return Route{}, fmt.Errorf("connection: route: %w", err)
	}
	sec, err := s.Secrets(c)
	if err != nil {
		return Route{}, err
	}
	r := Route{OrgID: c.OrgID, ConnectionID: c.ID, PhoneNumberID: c.PhoneNumberID, AppSecret: sec.AppSecret, VerifyToken: sec.VerifyToken}
	s.cache.Store(key, cachedRoute{route: r, until: s.clock.Now().Add(routeTTL)})
	return r, nil
}

// clients keeps one Cloud API client per base URL and version, all over
// one shared HTTP connection pool.
type clients struct {
	mu sync.Mutex
	hc *http.Client
	m  map[string]*whatsapp.Client
}

func (cs *clients) get(baseURL, version string) *whatsapp.Client {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	k := baseURL + " " + version
	if c, ok := cs.m[k]; ok {
		return c
	}
	if cs.m == nil {
		cs.m = map[string]*whatsapp.Client{}
	}
	c := whatsapp.NewClient(whatsapp.Config{BaseURL: baseURL, Version: version, Timeout: 15 * time.Second}, cs.hc)
	cs.m[k] = c
	return c
}

// Client returns the Cloud API client for a connection.
func (s *Service) Client(c Connection) *whatsapp.Client {
	return s.clients.get(c.APIBaseURL, c.APIVersion)
}

// Test asks Meta for the number's details with the stored credentials and
// records what it says. An error from Meta is returned as is (a
// *whatsapp.APIError the caller can explain).
func (s *Service) Test(ctx context.Context, orgID, userID int64) (NumberInfo, error) {
	c, err := s.Get(ctx, orgID, userID)
	if err != nil {
		return NumberInfo{}, err
	}
	sec, err := s.Secrets(c)
	if err != nil {
		return NumberInfo{}, err
	}
	n, err := s.Client(c).GetPhoneNumber(ctx, sec.AccessToken, c.PhoneNumberID)
	if err != nil {
		return NumberInfo{}, err
	}
	info := NumberInfo{DisplayPhoneNumber: n.DisplayPhoneNumber, VerifiedName: n.VerifiedName,
		QualityRating: n.QualityRating, MessagingLimitTier: n.MessagingLimitTier, ThroughputLevel: n.Throughput}
	return info, s.RecordCheck(ctx, orgID, userID, info)
}
