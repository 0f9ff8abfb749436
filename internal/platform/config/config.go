// Package config reads Tidings' configuration from the environment, once,
// into a typed and validated struct that is passed down explicitly. It is the
// only package that reads the environment. Secrets may be given inline or as
// a path in the variable's *_FILE twin (for Docker/Kubernetes secrets).
package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"tidings/internal/platform/secretbox"
)

// Mode says which command is loading the configuration; required settings
// differ between them.
type Mode string

// The modes.
const (
	ModeServe   Mode = "serve"
	ModeWorker  Mode = "worker"
	ModeDev     Mode = "dev"
	ModeMigrate Mode = "migrate"
)

// Config is everything Tidings can be told from outside.
type Config struct {
	Mode Mode

	// DatabaseURL connects as the runtime role (owns nothing, subject to RLS).
	DatabaseURL string
	// DatabaseOwnerURL connects as the role that owns the schema; used by
	// `tidings migrate` only.
	DatabaseOwnerURL string
	// DatabaseOpsURL connects as the privileged role (BYPASSRLS) behind the
	// explicitly named cross-tenant handle.
	DatabaseOpsURL   string
	DatabaseMaxConns int32

	ListenAddr string
	// BaseURL is where users reach the app; links in e-mails start with it
	// and cookies are marked Secure when it is https.
	BaseURL *url.URL
	// SecretKey keys HMACs (CSRF tokens, hashed lookup tokens). At least 32 bytes.
	SecretKey []byte
	// EncryptionKeys seal secrets at rest: "id:base64-32-bytes,…", the
	// first is used for new values, the rest only to open old ones.
	EncryptionKeys string

	SessionIdleTimeout time.Duration
	SessionMaxAge      time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix

	// WhatsAppBaseURL and WhatsAppVersion are what a new connection is
	// offered: Meta's Graph API in production, the sandbox in dev.
	WhatsAppBaseURL string
	WhatsAppVersion string

	// UploadDir keeps uploaded contact files until their import ends; web
	// servers and workers must share it.
	UploadDir      string
	MaxUploadBytes int64
	MaxImportRows  int64
	// CampaignPricesFile, when set, is a JSON price table that replaces
	// the built-in one the pre-send check estimates costs with
	// (campaign.LoadPrices documents the shape).
	CampaignPricesFile string

	Mail     MailConfig
	Operator Operator

	Send SendConfig

	LogLevel        string
	ShutdownTimeout time.Duration
	// DataDir holds the development cluster and generated dev secrets.
	DataDir string
	Version string
}

// MailConfig selects and configures the e-mail transport.
type MailConfig struct {
	// Transport is "smtp" or "outbox" (keeps mail in memory for the dev page;
	// only allowed in dev).
	Transport    string
	From         string
	SMTPHost     string
	SMTPPort     int
	SMTPUser     string
	SMTPPassword string
	// SMTPTLS is "starttls" (default), "tls" or "none".
	SMTPTLS string
}

// SendConfig tunes the sending engine in `tidings worker`.
type SendConfig struct {
	// Concurrency is how many sends one worker process has in flight
	// (SEND_CONCURRENCY).
	Concurrency int
	// UnknownAfter is how long a message may stay "sending" (its POST made,
	// no answer recorded: the worker died or the answer was lost) before it
	// is shown as unknown; a later status webhook still settles it
	// (SEND_UNKNOWN_AFTER).
	UnknownAfter time.Duration
	// MaxAttempts bounds the tries of a message that keeps failing with
	// transient errors (SEND_MAX_ATTEMPTS).
	MaxAttempts int
}

// Operator is who runs this Tidings installation; it replaces the
// placeholders of the privacy policy and fills the footer.
type Operator struct {
	Name, Email, Address string
}

// Secure reports whether the app is served over TLS.
func (c Config) Secure() bool { return c.BaseURL != nil && c.BaseURL.Scheme == "https" }

// Getenv looks a variable up; os.Getenv in production, a map in tests.
type Getenv func(string) string

// Load reads and validates the configuration. Every problem is reported at
// once so an operator fixes them in one go.
func Load(mode Mode, getenv Getenv) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{Mode: mode}
	c.DataDir = r.str("TIDINGS_DATA_DIR", ".data")
	c.DatabaseURL = r.secret("DATABASE_URL", "")
	c.DatabaseOwnerURL = r.secret("DATABASE_OWNER_URL", "")
	c.DatabaseOpsURL = r.secret("DATABASE_OPS_URL", "")
	c.DatabaseMaxConns = int32(r.integer("DATABASE_MAX_CONNS", 20, 2, 1000))
	c.ListenAddr = r.str("LISTEN_ADDR", defaultListen(mode))
	c.BaseURL = r.url("BASE_URL", "http://"+loopbackHost(c.ListenAddr))
	c.SecretKey = []byte(r.secret("SECRET_KEY", ""))
	c.EncryptionKeys = r.secret("ENCRYPTION_KEYS", "")
	c.SessionIdleTimeout = r.duration("SESSION_IDLE_TIMEOUT", 30*time.Minute)
	c.SessionMaxAge = r.duration("SESSION_MAX_AGE", 12*time.Hour)
	c.TrustedProxies = r.prefixes("TRUSTED_PROXIES")
	c.WhatsAppBaseURL = r.url("WHATSAPP_API_BASE_URL", "https://graph.facebook.com").String()
	c.WhatsAppVersion = r.str("WHATSAPP_API_VERSION", "v23.0")
	c.UploadDir = r.str("UPLOAD_DIR", defaultUploadDir(mode, c.DataDir))
	c.MaxUploadBytes = int64(r.integer("IMPORT_MAX_UPLOAD_MB", 100, 1, 10240)) << 20
	c.MaxImportRows = int64(r.integer("IMPORT_MAX_ROWS", 1_000_000, 1, 100_000_000))
	c.CampaignPricesFile = r.str("CAMPAIGN_PRICES_FILE", "")
	c.Mail = MailConfig{
		Transport:    r.str("MAIL_TRANSPORT", defaultTransport(mode)),
		From:         r.str("MAIL_FROM", "Tidings <no-reply@localhost>"),
		SMTPHost:     r.str("SMTP_HOST", ""),
		SMTPPort:     r.integer("SMTP_PORT", 587, 1, 65535),
		SMTPUser:     r.str("SMTP_USERNAME", ""),
		SMTPPassword: r.secret("SMTP_PASSWORD", ""),
		SMTPTLS:      r.str("SMTP_TLS", "starttls"),
	}
	c.Operator = Operator{
		Name:    r.str("OPERATOR_NAME", "Tidings"),
		Email:   r.str("OPERATOR_EMAIL", "privacy@localhost"),
		Address: r.str("OPERATOR_ADDRESS", "Address not configured"),
	}
	c.Send = SendConfig{
		Concurrency:  r.integer("SEND_CONCURRENCY", 64, 1, 4096),
		UnknownAfter: r.duration("SEND_UNKNOWN_AFTER", 10*time.Minute),
		MaxAttempts:  r.integer("SEND_MAX_ATTEMPTS", 5, 1, 100),
	}
	c.LogLevel = r.str("LOG_LEVEL", "info")
	c.ShutdownTimeout = r.duration("SHUTDOWN_TIMEOUT", 20*time.Second)
	c.validate(&r)
	if len(r.errs) > 0 {
		return Config{}, fmt.Errorf("config: %w", errors.Join(r.errs...))
	}
	return c, nil
}

// FromOS loads the configuration from the process environment.
func FromOS(mode Mode) (Config, error) { return Load(mode, os.Getenv) }

func (c *Config) validate(r *reader) {
	// dev fills the database URLs and the secret itself when they are absent.
	if c.Mode != ModeDev {
		switch c.Mode {
		case ModeMigrate:
			if c.DatabaseOwnerURL == "" {
				r.fail("DATABASE_OWNER_URL is required: migrations run as the role that owns the schema")
			}
		default:
			if c.DatabaseURL == "" {
				r.fail("DATABASE_URL is required (the runtime role, subject to row-level security)")
			}
			if c.DatabaseOpsURL == "" {
				r.fail("DATABASE_OPS_URL is required (the privileged role for cross-tenant work)")
			}
			if len(c.SecretKey) < 32 {
				r.fail("SECRET_KEY must be at least 32 bytes (e.g. `openssl rand -base64 48`)")
			}
			if c.EncryptionKeys == "" {
				r.fail("ENCRYPTION_KEYS is required, e.g. k1:$(openssl rand -base64 32)")
			}
		}
	}
	if c.EncryptionKeys != "" {
		if keys, err := secretbox.ParseKeys(c.EncryptionKeys); err != nil {
			r.fail("ENCRYPTION_KEYS: " + err.Error())
		} else if _, err := secretbox.New(keys); err != nil {
			r.fail("ENCRYPTION_KEYS: " + err.Error())
		}
	}
	if c.Mode == ModeServe || c.Mode == ModeWorker {
		if c.Mail.Transport == "outbox" {
			r.fail("MAIL_TRANSPORT=outbox keeps mail in memory and is only for `tidings dev`; use smtp")
		}
	}
	switch c.Mail.Transport {
	case "smtp":
		if c.Mode != ModeMigrate && c.Mode != ModeDev && c.Mail.SMTPHost == "" {
			r.fail("SMTP_HOST is required when MAIL_TRANSPORT=smtp")
		}
	case "outbox":
	default:
		r.fail(fmt.Sprintf("MAIL_TRANSPORT must be smtp or outbox, not %q", c.Mail.Transport))
	}
	switch c.Mail.SMTPTLS {
	case "starttls", "tls", "none":
	default:
		r.fail(fmt.Sprintf("SMTP_TLS must be starttls, tls or none, not %q", c.Mail.SMTPTLS))
	}
	if _, err := mail.ParseAddress(c.Mail.From); err != nil {
		r.fail(fmt.Sprintf("MAIL_FROM is not an e-mail address: %v", err))
	}
	if c.SessionIdleTimeout <= 0 || c.SessionMaxAge < c.SessionIdleTimeout {
		r.fail("SESSION_IDLE_TIMEOUT must be positive and no longer than SESSION_MAX_AGE")
	}
	if c.Send.UnknownAfter < 30*time.Second {
		// A send may legitimately wait for its answer up to the client's
		// timeout (15 s); calling it unknown before then would be wrong.
		r.fail("SEND_UNKNOWN_AFTER must be at least 30s (a send may wait 15s for its answer)")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		r.fail(fmt.Sprintf("LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel))
	}
}

func defaultUploadDir(m Mode, dataDir string) string {
	if m == ModeDev {
		return filepath.Join(dataDir, "uploads")
	}
	return filepath.Join(os.TempDir(), "tidings-uploads")
}

func defaultListen(m Mode) string {
	if m == ModeDev {
		return "127.0.0.1:8080"
	}
	return ":8080"
}

func defaultTransport(m Mode) string {
	if m == ModeDev {
		return "outbox"
	}
	return "smtp"
}

// loopbackHost turns ":8080" into "localhost:8080" for a default BASE_URL.
func loopbackHost(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "localhost" + addr
	}
	return addr
}

// reader collects every problem instead of stopping at the first.
type reader struct {
	getenv Getenv
	errs   []error
}

func (r *reader) fail(msg string) { r.errs = append(r.errs, errors.New(msg)) }

func (r *reader) str(key, def string) string {
	if v := strings.TrimSpace(r.getenv(key)); v != "" {
		return v
	}
	return def
}

// secret reads KEY, or the file named by KEY_FILE; giving both is an error
// because one of them would be silently ignored.
func (r *reader) secret(key, def string) string {
	inline, path := r.getenv(key), r.getenv(key+"_FILE")
	switch {
	case inline != "" && path != "":
		r.fail(fmt.Sprintf("set %s or %s_FILE, not both", key, key))
		return ""
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			r.fail(fmt.Sprintf("%s_FILE: %v", key, err))
			return ""
		}
		return strings.TrimSpace(string(b))
	case inline != "":
		return strings.TrimSpace(inline)
	}
	return def
}

func (r *reader) integer(key string, def, lo, hi int) int {
	s := r.str(key, "")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		r.fail(fmt.Sprintf("%s must be a whole number from %d to %d, not %q", key, lo, hi, s))
		return def
	}
	return n
}

func (r *reader) duration(key string, def time.Duration) time.Duration {
	s := r.str(key, "")
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		r.fail(fmt.Sprintf("%s must be a positive duration such as 30m or 12h, not %q", key, s))
		return def
	}
	return d
}

func (r *reader) url(key, def string) *url.URL {
	s := r.str(key, def)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(fmt.Sprintf("%s must be an absolute http(s) URL, not %q", key, s))
		return &url.URL{Scheme: "http", Host: "localhost"}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u
}

func (r *reader) prefixes(key string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(r.str(key, ""), func(c rune) bool { return c == ',' || c == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		r.fail(fmt.Sprintf("%s: %q is neither an IP address nor a CIDR prefix", key, f))
	}
	return out
}
