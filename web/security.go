package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

const ctxNonce = "csp_nonce"

// securityHeaders sets the headers every response carries, with a fresh
// CSP nonce per response; templates read the nonce from the context for
// the one script tag (htmx). No 'unsafe-inline' and no 'unsafe-eval':
// htmx runs with allowEval=false and without indicator styles.
func securityHeaders(secure bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			nonce := randomToken(18)
			c.Set(ctxNonce, nonce)
			r := c.Request()
			c.SetRequest(r.WithContext(templ.WithNonce(r.Context(), nonce)))
			h := c.Response().Header()
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"'; "+
				"style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "+
				"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
			if secure {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			return next(c)
		}
	}
}

// noStore keeps pages with personal data out of every cache.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// csrf is a second layer behind http.CrossOriginProtection: a signed
// double-submit token. The cookie holds a random value; forms and htmx
// send HMAC(secret, value), which a cross-site page can neither read nor
// compute. It works for visitors without a session (login, signup).
type csrf struct {
	key    []byte
	secure bool
}

const (
	csrfField  = "_csrf"
	csrfHeader = "X-CSRF-Token"
	ctxCSRF    = "csrf_token"
)

func (x csrf) cookieName() string {
	if x.secure {
		return "__Host-tidings_csrf"
	}
	return "tidings_csrf"
}

func (x csrf) sign(v string) string {
	m := hmac.New(sha256.New, x.key)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (x csrf) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		seed := ""
		if ck, err := c.Cookie(x.cookieName()); err == nil && len(ck.Value) >= 20 {
			seed = ck.Value
		} else {
			seed = randomToken(24)
			c.SetCookie(&http.Cookie{Name: x.cookieName(), Value: seed, Path: "/", HttpOnly: true,
				Secure: x.secure, SameSite: http.SameSiteLaxMode})
		}
		want := x.sign(seed)
		c.Set(ctxCSRF, want)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		got := c.Request().Header.Get(csrfHeader)
		if got == "" && isForm(c.Request()) {
			if err := parseForm(c.Request()); err != nil {
				return err
			}
			got = c.FormValue(csrfField)
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return echo.NewHTTPError(http.StatusForbidden, "This form expired. Go back, reload the page and try again.")
		}
		return next(c)
	}
}

// uploadMemory is how much of a multipart body is kept in memory; larger
// file parts spill to temporary files, so an upload never sits in memory
// whole (net/http would otherwise keep up to 32 MB).
const uploadMemory = 1 << 20

// parseForm reads the form now, with the upload memory bound, so the
// handlers' later FormValue/FormFile calls reuse it.
func parseForm(r *http.Request) error {
	if !strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		return nil
	}
	err := r.ParseMultipartForm(uploadMemory)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The file is too large. Split it into smaller files and import them one after another.")
	case err != nil:
		return echo.NewHTTPError(http.StatusBadRequest, "The upload could not be read. Please try again.")
	}
	return nil
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get(echo.HeaderContentType)
	return strings.HasPrefix(ct, echo.MIMEApplicationForm) || strings.HasPrefix(ct, echo.MIMEMultipartForm)
}

// Short-lived notes between a POST and the page it redirects to (flash
// messages, the address a confirmation link went to) travel in signed
// cookies, so they cost no session write and cannot be forged.
const (
	flashCookie        = "tidings_flash"
	pendingEmailCookie = "tidings_pending_email"
)

func (x csrf) setNote(c echo.Context, name, value string, maxAge int) {
	v := base64.RawURLEncoding.EncodeToString([]byte(value))
	c.SetCookie(&http.Cookie{Name: name, Value: v + "." + x.sign(name+":"+v), Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: x.secure, SameSite: http.SameSiteLaxMode})
}

// note reads a signed note; take also deletes it.
func (x csrf) note(c echo.Context, name string, take bool) (string, bool) {
	ck, err := c.Cookie(name)
	if err != nil {
		return "", false
	}
	if take {
		c.SetCookie(&http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: x.secure, SameSite: http.SameSiteLaxMode})
	}
	v, sig, found := strings.Cut(ck.Value, ".")
	if !found || !hmac.Equal([]byte(sig), []byte(x.sign(name+":"+v))) {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return "", false
	}
	return string(raw), true
}

func (x csrf) setFlash(c echo.Context, kind, text string) {
	x.setNote(c, flashCookie, kind+"\x00"+text, 120)
}

func (x csrf) takeFlash(c echo.Context) (kind, text string, ok bool) {
	v, ok := x.note(c, flashCookie, true)
	if !ok {
		return "", "", false
	}
	return strings.Cut(v, "\x00")
}
