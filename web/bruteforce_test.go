package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"tidings/web/paths"
	"tidings/web/webtest"
)

func loginAttempt(c *webtest.Client, email, password string) int {
	return c.Post(paths.Login, url.Values{"email": {email}, "password": {password}}).Status
}

// Five failures from one IP in five minutes lock that IP out, whatever
// accounts it tries and whatever X-Forwarded-For it claims.
func TestLoginLimitPerIPIgnoresSpoofedForwardedFor(t *testing.T) {
	e := webtest.New(t)
	victim := e.NewOwner("Victim")
	c := e.Client()
	for i := range 5 {
		c.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
		if got := loginAttempt(c, fmt.Sprintf("nobody%d@example.test", i), "wrong-password"); got != http.StatusUnprocessableEntity {
			t.Fatalf("failure %d: status %d, want 422", i+1, got)
		}
	}
	c.Header.Set("X-Forwarded-For", "198.51.100.77")
	if got := loginAttempt(c, victim.Email, victim.Password); got != http.StatusTooManyRequests {
		t.Fatalf("6th attempt from the same IP with a new X-Forwarded-For: %d, want 429", got)
	}
	// The window slides: five minutes later the IP may try again.
	e.Clock.Advance(5*time.Minute + time.Second)
	if got := loginAttempt(c, victim.Email, victim.Password); got != http.StatusSeeOther {
		t.Fatalf("after the window: %d, want a successful login", got)
	}
}

// With a trusted proxy configured, the limit applies to the client the
// proxy names, so one attacker does not lock out everyone behind it.
func TestLoginLimitPerIPBehindTrustedProxy(t *testing.T) {
	e := webtest.New(t, webtest.Options{TrustedProxies: "127.0.0.1/32"})
	m := e.NewOwner("Proxied")
	attacker := e.Client()
	attacker.Header.Set("X-Forwarded-For", "203.0.113.9")
	for range 5 {
		loginAttempt(attacker, "nobody@example.test", "wrong-password")
	}
	if got := loginAttempt(attacker, m.Email, m.Password); got != http.StatusTooManyRequests {
		t.Fatalf("attacker after 5 failures: %d, want 429", got)
	}
	user := e.Client()
	user.Header.Set("X-Forwarded-For", "198.51.100.20")
	if got := loginAttempt(user, m.Email, m.Password); got != http.StatusSeeOther {
		t.Fatalf("another client behind the proxy: %d, want login", got)
	}
}

// Ten failures for one account in fifteen minutes lock that account, even
// when every attempt comes from a different address.
func TestLoginLimitPerAccount(t *testing.T) {
	e := webtest.New(t, webtest.Options{TrustedProxies: "127.0.0.1/32"})
	m := e.NewOwner("Target")
	for i := range 10 {
		c := e.Client()
		c.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
		if got := loginAttempt(c, m.Email, "wrong-password"); got != http.StatusUnprocessableEntity {
			t.Fatalf("failure %d: %d", i+1, got)
		}
		e.Clock.Advance(time.Minute)
	}
	c := e.Client()
	c.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := loginAttempt(c, m.Email, m.Password); got != http.StatusTooManyRequests {
		t.Fatalf("11th attempt with the right password: %d, want 429", got)
	}
	// The first failure leaves the window 15 minutes after it happened.
	e.Clock.Advance(6 * time.Minute)
	if got := loginAttempt(c, m.Email, m.Password); got != http.StatusSeeOther {
		t.Fatalf("after the oldest failure aged out: %d, want login", got)
	}
}

func TestPasswordResetAndSignupLimits(t *testing.T) {
	e := webtest.New(t)
	c := e.Client()
	c.Get(paths.ForgotPassword)
	for i := range 3 {
		if got := c.Post(paths.ForgotPassword, url.Values{"email": {"someone@example.test"}}).Status; got != http.StatusOK {
			t.Fatalf("reset request %d: %d", i+1, got)
		}
	}
	if got := c.Post(paths.ForgotPassword, url.Values{"email": {"someone@example.test"}}).Status; got != http.StatusTooManyRequests {
		t.Fatalf("4th reset for one address within the hour: %d, want 429", got)
	}
	for i := range 7 {
		c.Post(paths.ForgotPassword, url.Values{"email": {fmt.Sprintf("other%d@example.test", i)}})
	}
	if got := c.Post(paths.ForgotPassword, url.Values{"email": {"fresh@example.test"}}).Status; got != http.StatusTooManyRequests {
		t.Fatalf("11th reset from one IP within the hour: %d, want 429", got)
	}
	e.Clock.Advance(time.Hour + time.Second)
	if got := c.Post(paths.ForgotPassword, url.Values{"email": {"someone@example.test"}}).Status; got != http.StatusOK {
		t.Fatalf("after an hour: %d", got)
	}
}
