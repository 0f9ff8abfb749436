package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestServeNeedsDatabaseAndSecret(t *testing.T) {
	_, err := Load(ModeServe, env(map[string]string{"SMTP_HOST": "smtp.example"}))
	if err == nil {
		t.Fatal("serve without a database or secret loaded")
	}
	for _, want := range []string{"DATABASE_URL is required", "DATABASE_OPS_URL is required", "SECRET_KEY must be at least 32 bytes", "ENCRYPTION_KEYS is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestDefaultsAndParsing(t *testing.T) {
	c, err := Load(ModeServe, env(map[string]string{
		"DATABASE_URL": "postgres://a", "DATABASE_OPS_URL": "postgres://b", "SECRET_KEY": strings.Repeat("k", 32),
		"SMTP_HOST": "smtp.example", "ENCRYPTION_KEYS": "k1:" + strings.Repeat("A", 43) + "=", "BASE_URL": "https://tidings.example/", "TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
		"SESSION_IDLE_TIMEOUT": "15m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Secure() || c.BaseURL.String() != "https://tidings.example" {
		t.Errorf("BaseURL = %v, secure %v", c.BaseURL, c.Secure())
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[1].String() != "192.0.2.1/32" {
		t.Errorf("TrustedProxies = %v", c.TrustedProxies)
	}
	if c.SessionIdleTimeout != 15*time.Minute || c.SessionMaxAge != 12*time.Hour || c.ListenAddr != ":8080" {
		t.Errorf("durations/listen = %v %v %v", c.SessionIdleTimeout, c.SessionMaxAge, c.ListenAddr)
	}
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	if err := os.WriteFile(path, []byte(strings.Repeat("s", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(ModeDev, env(map[string]string{"SECRET_KEY_FILE": path}))
	if err != nil || string(c.SecretKey) != strings.Repeat("s", 40) {
		t.Fatalf("SECRET_KEY_FILE: %q, %v", c.SecretKey, err)
	}
	_, err = Load(ModeDev, env(map[string]string{"SECRET_KEY_FILE": path, "SECRET_KEY": "x"}))
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("both inline and file: %v", err)
	}
}

func TestBadValuesAreNamed(t *testing.T) {
	_, err := Load(ModeDev, env(map[string]string{
		"SESSION_MAX_AGE": "soon", "TRUSTED_PROXIES": "not-an-ip", "MAIL_TRANSPORT": "pigeon",
		"LOG_LEVEL": "loud", "DATABASE_MAX_CONNS": "0", "BASE_URL": "ftp://x", "ENCRYPTION_KEYS": "k1:c2hvcnQ=",
	}))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, v := range []string{"SESSION_MAX_AGE", "TRUSTED_PROXIES", "MAIL_TRANSPORT", "LOG_LEVEL", "DATABASE_MAX_CONNS", "BASE_URL", "ENCRYPTION_KEYS"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s: %v", v, err)
		}
	}
}

func TestOutboxOnlyInDev(t *testing.T) {
	_, err := Load(ModeServe, env(map[string]string{"DATABASE_URL": "x", "DATABASE_OPS_URL": "y",
		"SECRET_KEY": strings.Repeat("k", 32), "MAIL_TRANSPORT": "outbox"}))
	if err == nil || !strings.Contains(err.Error(), "only for `tidings dev`") {
		t.Errorf("outbox in production: %v", err)
	}
}

func TestSendSettings(t *testing.T) {
	c, err := Load(ModeDev, env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Send.Concurrency != 64 || c.Send.UnknownAfter != 10*time.Minute || c.Send.MaxAttempts != 5 {
		t.Errorf("defaults: %+v", c.Send)
	}
	c, err = Load(ModeDev, env(map[string]string{"SEND_CONCURRENCY": "128", "SEND_UNKNOWN_AFTER": "2m", "SEND_MAX_ATTEMPTS": "8"}))
	if err != nil || c.Send.Concurrency != 128 || c.Send.UnknownAfter != 2*time.Minute || c.Send.MaxAttempts != 8 {
		t.Errorf("set: %+v, %v", c.Send, err)
	}
	_, err = Load(ModeDev, env(map[string]string{"SEND_CONCURRENCY": "0", "SEND_UNKNOWN_AFTER": "5s", "SEND_MAX_ATTEMPTS": "x"}))
	for _, want := range []string{"SEND_CONCURRENCY", "SEND_UNKNOWN_AFTER must be at least 30s", "SEND_MAX_ATTEMPTS"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
