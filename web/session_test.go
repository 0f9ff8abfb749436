package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tidings/web/paths"
	"tidings/web/webtest"
)

const sessionCookie = "tidings_session"

// A session is replayed from a second client holding only the old cookie,
// as an attacker who stole it would.
func replay(e *webtest.Env, cookie string) int {
	c := e.Client()
	u, _ := url.Parse(e.URL)
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: cookie, Path: "/"}})
	return c.Get(paths.Dashboard).Status
}

func TestLoginThenDashboard(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Ada")
	c := e.Client()
	if r := c.Get(paths.Dashboard); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), paths.Login) {
		t.Fatalf("anonymous dashboard: %d %s", r.Status, r.Header.Get("Location"))
	}
	c.Login(m)
	r := c.Get(paths.Dashboard)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, m.OrgName) {
		t.Fatalf("dashboard after login: %d", r.Status)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("dashboard Cache-Control = %q, want no-store", cc)
	}
}

func TestSessionRejectedAfterLogout(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Bo")
	c := e.Client()
	c.Login(m)
	old := c.Cookie(sessionCookie)
	if replay(e, old) != http.StatusOK {
		t.Fatal("stolen cookie should work before logout (test precondition)")
	}
	if r := c.Post(paths.Logout, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	if got := replay(e, old); got != http.StatusSeeOther {
		t.Errorf("old session after logout: status %d, want redirect to login", got)
	}
}

func TestSessionRejectedAfterPasswordChange(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Cy")
	c, other := e.Client(), e.Client()
	c.Login(m)
	other.Login(m)
	old, otherCookie := c.Cookie(sessionCookie), other.Cookie(sessionCookie)
	c.Get(paths.Profile)
	r := c.Post(paths.ChangePassword, url.Values{"current_password": {m.Password},
		"new_password": {"A-brand-new-passphrase-9"}, "new_password_confirm": {"A-brand-new-passphrase-9"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("change password: %d %s", r.Status, r.Body)
	}
	e.Secret("A-brand-new-passphrase-9")
	for name, ck := range map[string]string{"this browser's old session": old, "another browser's session": otherCookie} {
		if got := replay(e, ck); got != http.StatusSeeOther {
			t.Errorf("%s after password change: %d, want redirect", name, got)
		}
	}
	if c.Cookie(sessionCookie) == old {
		t.Error("the current browser kept its old session id")
	}
	if got := c.Get(paths.Dashboard).Status; got != http.StatusOK {
		t.Errorf("the browser that changed the password was signed out: %d", got)
	}
}

func TestSessionRevokeFromList(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Di")
	c, other := e.Client(), e.Client()
	c.Login(m)
	other.Login(m)
	var otherID int64
	rows, err := e.Accounts.ActiveSessions(t.Context(), m.UserID)
	if err != nil || len(rows) != 2 {
		t.Fatalf("sessions: %v %v", len(rows), err)
	}
	page := c.Get(paths.Sessions)
	for _, r := range rows {
		if strings.Contains(page.Body, paths.SessionRevoke(r.ID)) {
			otherID = r.ID
		}
	}
	if otherID == 0 {
		t.Fatal("sessions page offers no revoke button for the other session")
	}
	if r := c.Post(paths.SessionRevoke(otherID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}
	if got := other.Get(paths.Dashboard).Status; got != http.StatusSeeOther {
		t.Errorf("revoked session still works: %d", got)
	}
	if got := c.Get(paths.Dashboard).Status; got != http.StatusOK {
		t.Errorf("revoking another session signed this one out: %d", got)
	}
}

// Fixation: a session id planted before login is never the signed-in one.
func TestSessionFixationImpossible(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Ed")
	c := e.Client()
	u, _ := url.Parse(e.URL)
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: "attacker-chosen-session-id-0123456789", Path: "/"}})
	c.Login(m)
	if got := c.Cookie(sessionCookie); got == "attacker-chosen-session-id-0123456789" || len(got) < 40 {
		t.Fatalf("session cookie after login = %q; want a fresh random id", got)
	}
	// A second browser also gets a fresh id at login.
	anon := e.Client()
	anon.Get(paths.Login)
	before := anon.Cookie(sessionCookie)
	anon.Login(m)
	if after := anon.Cookie(sessionCookie); after == before || after == "" {
		t.Fatalf("session id not renewed at login")
	}
}

func TestSessionTimeouts(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Fi")
	c := e.Client()
	c.Login(m)
	// Active use keeps a session alive past the idle timeout...
	for range 3 {
		e.Clock.Advance(20 * time.Minute)
		if got := c.Get(paths.Dashboard).Status; got != http.StatusOK {
			t.Fatalf("active session ended early: %d", got)
		}
	}
	// ...but 31 idle minutes end it.
	e.Clock.Advance(31 * time.Minute)
	if got := c.Get(paths.Dashboard).Status; got != http.StatusSeeOther {
		t.Fatalf("idle session still valid: %d", got)
	}
	// The absolute limit ends even a busy session after 12 hours.
	c.Login(m)
	for i := 0; i < 12*60/25; i++ {
		e.Clock.Advance(25 * time.Minute)
		if got := c.Get(paths.Dashboard).Status; got != http.StatusOK {
			t.Fatalf("busy session ended after %d min: %d", (i+1)*25, got)
		}
	}
	e.Clock.Advance(25 * time.Minute)
	if got := c.Get(paths.Dashboard).Status; got != http.StatusSeeOther {
		t.Fatalf("session outlived the 12 h absolute limit: %d", got)
	}
}
