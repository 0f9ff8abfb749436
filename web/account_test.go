package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"tidings/web/paths"
	"tidings/web/webtest"
)

func signupForm(email string) url.Values {
	return url.Values{
		"name": {"Grace Hopper"}, "email": {email}, "phone": {"07911 123456"}, "password": {"Navy-Cobol-1906"},
		"business_name": {"Hopper Compilers"}, "industry": {"services"}, "company_size": {"2-10"},
		"country": {"GB"}, "time_zone": {"Europe/London"}, "website": {"hopper.example"},
		"adult": {"on"}, "accept_terms": {"on"}, "accept_privacy": {"on"}, "terms_version": {"1"}, "privacy_version": {"1"},
	}
}

var linkRE = regexp.MustCompile(`https?://\S+token=[A-Za-z0-9_\-]+`)

// lastLink returns the path and query of the link in the newest e-mail to addr.
func lastLink(t *testing.T, e *webtest.Env, addr string) string {
	t.Helper()
	for _, m := range e.Outbox.List() {
		if m.To == addr {
			u, err := url.Parse(linkRE.FindString(m.Text))
			if err != nil || u.Path == "" {
				t.Fatalf("no link in %q", m.Subject)
			}
			return u.RequestURI()
		}
	}
	t.Fatalf("no e-mail to %s", addr)
	return ""
}

func count(t *testing.T, e *webtest.Env, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.Ops.Tx(context.Background(), "test", func(tx *gorm.DB) error { return tx.Raw(sql, args...).Scan(&n).Error }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignupRecordsEvidenceAndVerifies(t *testing.T) {
	e := webtest.New(t)
	e.Secret("Navy-Cobol-1906")
	e.Secret("+447911123456")
	c := e.Client()
	c.Header.Set("User-Agent", "SignupTest/1.0")
	c.Get(paths.Signup)
	r := c.Post(paths.Signup, signupForm("grace@example.test"))
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != paths.ResendVerify {
		t.Fatalf("signup: %d %s", r.Status, r.Header.Get("Location"))
	}
	if r := c.Get(paths.ResendVerify); r.Status != http.StatusOK || !strings.Contains(r.Body, "grace@example.test") {
		t.Fatalf("check-your-e-mail page: %d", r.Status)
	}
	if n := count(t, e, `SELECT count(*) FROM users WHERE email = 'grace@example.test' AND phone_e164 = '+447911123456' AND email_verified_at IS NULL`); n != 1 {
		t.Fatalf("user rows = %d", n)
	}
	if n := count(t, e, `SELECT count(*) FROM policy_acceptances a JOIN users u ON u.id = a.user_id
		WHERE u.email = 'grace@example.test' AND a.ip IS NOT NULL AND a.user_agent = 'SignupTest/1.0'`); n != 2 {
		t.Errorf("acceptances with IP and user agent = %d, want 2 (terms and privacy)", n)
	}
	if n := count(t, e, `SELECT count(*) FROM age_attestations a JOIN users u ON u.id = a.user_id WHERE u.email = 'grace@example.test'`); n != 1 {
		t.Errorf("18+ attestations = %d", n)
	}
	if n := count(t, e, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = m.org_id
		WHERE u.email = 'grace@example.test' AND m.role = 'owner' AND o.name = 'Hopper Compilers' AND o.country = 'GB'`); n != 1 {
		t.Errorf("owner memberships = %d", n)
	}
	link := lastLink(t, e, "grace@example.test")
	if r := c.Get(link); r.Status != http.StatusOK {
		t.Fatalf("verify: %d", r.Status)
	}
	if n := count(t, e, `SELECT count(*) FROM users WHERE email = 'grace@example.test' AND email_verified_at IS NOT NULL`); n != 1 {
		t.Error("e-mail not verified by the link")
	}
	if r := c.Get(link); r.Status != http.StatusBadRequest {
		t.Errorf("verification link reused: %d, want 400", r.Status)
	}
}

func TestSignupRejectsBadInputAndStoresNothing(t *testing.T) {
	e := webtest.New(t)
	cases := map[string]struct {
		change func(url.Values)
		field  string
	}{
		"not 18":            {func(v url.Values) { v.Del("adult") }, "18"},
		"terms not ticked":  {func(v url.Values) { v.Del("accept_terms") }, "Terms"},
		"old policy":        {func(v url.Values) { v.Set("privacy_version", "0") }, "changed"},
		"common password":   {func(v url.Values) { v.Set("password", "password1") }, "common"},
		"short password":    {func(v url.Values) { v.Set("password", "abc") }, "at least 8"},
		"bad phone":         {func(v url.Values) { v.Set("phone", "12") }, "mobile number"},
		"bad e-mail":        {func(v url.Values) { v.Set("email", "not-an-address") }, "e-mail address like"},
		"unknown industry":  {func(v url.Values) { v.Set("industry", "piracy") }, "industry"},
		"unknown time zone": {func(v url.Values) { v.Set("time_zone", "Mars/Olympus") }, "time zone"},
	}
	c := e.Client()
	for name, tc := range cases {
		f := signupForm("bad@example.test")
		tc.change(f)
		r := c.Post(paths.Signup, f)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.field) {
			t.Errorf("%s: status %d, message containing %q shown: %v", name, r.Status, tc.field, strings.Contains(r.Body, tc.field))
		}
	}
	if n := count(t, e, `SELECT count(*) FROM users`); n != 0 {
		t.Errorf("rejected signups stored %d users", n)
	}
}

// Signing up with a registered address reveals nothing on the page; the
// address's owner is told by e-mail.
func TestSignupExistingAddressRevealsNothing(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Existing")
	c := e.Client()
	r := c.Post(paths.Signup, signupForm(m.Email))
	if r.Status != http.StatusSeeOther || !strings.Contains(c.Get(r.Header.Get("Location")).Body, m.Email) {
		t.Fatalf("signup with an existing address: %d", r.Status)
	}
	if n := count(t, e, `SELECT count(*) FROM users WHERE email = ?`, m.Email); n != 1 {
		t.Errorf("users with that address = %d", n)
	}
	if got := e.Outbox.List()[0]; got.To != m.Email || !strings.Contains(got.Subject, "already have") {
		t.Errorf("newest mail = %q to %s", got.Subject, got.To)
	}
}

func TestPasswordResetIsSingleUseAndExpires(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Forgetful")
	c := e.Client()
	c.Login(m)
	c.Post(paths.ForgotPassword, url.Values{"email": {m.Email}})
	link := lastLink(t, e, m.Email)
	anon := e.Client()
	if r := anon.Get(link); r.Status != http.StatusOK {
		t.Fatalf("reset page: %d", r.Status)
	}
	token := strings.TrimPrefix(link[strings.Index(link, "token="):], "token=")
	post := func(tok, pw string) *webtest.Response {
		return anon.Post(paths.ResetPassword, url.Values{"token": {tok}, "password": {pw}, "password_confirm": {pw}})
	}
	if r := post(token, "short"); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("weak password accepted: %d", r.Status)
	}
	if r := post(token, "Fresh-Start-2026"); r.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	e.Secret("Fresh-Start-2026")
	if got := c.Get(paths.Dashboard).Status; got != http.StatusSeeOther {
		t.Errorf("a session from before the reset still works: %d", got)
	}
	if r := post(token, "Another-Start-2027"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("reset link reused: %d", r.Status)
	}
	m.Password = "Fresh-Start-2026"
	e.Client().Login(m)

	// A link older than an hour is refused.
	anon.Post(paths.ForgotPassword, url.Values{"email": {m.Email}})
	late := lastLink(t, e, m.Email)
	e.Clock.Advance(61 * time.Minute)
	if r := anon.Get(late); r.Status != http.StatusBadRequest {
		t.Errorf("expired reset link page: %d, want 400", r.Status)
	}
}

func TestInviteJoinAndRoles(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Boss")
	c := e.Client()
	c.Login(owner)
	c.Get(paths.Team)
	if r := c.Post(paths.TeamInvite, url.Values{"email": {"newbie@example.test"}, "role": {"member"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("invite: %d", r.Status)
	}
	if r := c.Post(paths.TeamInvite, url.Values{"email": {"nope"}, "role": {"member"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad invite: %d", r.Status)
	}
	link := lastLink(t, e, "newbie@example.test")
	n := e.Client()
	if r := n.Get(link); r.Status != http.StatusOK || !strings.Contains(r.Body, owner.OrgName) {
		t.Fatalf("invite page: %d", r.Status)
	}
	token := link[strings.Index(link, "token=")+len("token="):]
	r := n.Post(paths.AcceptInvite, url.Values{"token": {token}, "name": {"New Bie"}, "password": {"Joining-Today-42"},
		"adult": {"on"}, "accept_terms": {"on"}, "accept_privacy": {"on"}, "terms_version": {"1"}, "privacy_version": {"1"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("join: %d %s", r.Status, r.Body)
	}
	e.Secret("Joining-Today-42")
	if r := n.Get(paths.Dashboard); r.Status != http.StatusOK || !strings.Contains(r.Body, owner.OrgName) {
		t.Fatalf("new member's dashboard: %d", r.Status)
	}
	// A member may see the team but not manage it.
	if r := n.Post(paths.TeamInvite, url.Values{"email": {"x@example.test"}, "role": {"admin"}}); r.Status != http.StatusForbidden {
		t.Errorf("member invited someone: %d", r.Status)
	}
	if n := count(t, e, `SELECT count(*) FROM audit_log WHERE org_id = ? AND action IN ('team.invite', 'team.join')`, owner.OrgID); n != 2 {
		t.Errorf("audit entries = %d, want invite and join", n)
	}
	// The last owner cannot step down.
	if r := c.Post(paths.MemberRole(owner.UserID), url.Values{"role": {"member"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("role change: %d", r.Status)
	}
	if n := count(t, e, `SELECT count(*) FROM memberships WHERE org_id = ? AND role = 'owner'`, owner.OrgID); n != 1 {
		t.Errorf("owners = %d after the last owner tried to step down", n)
	}
}

// A new policy version holds users at the acceptance page until accepted.
func TestNewPolicyVersionMustBeAccepted(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Reader")
	c := e.Client()
	c.Login(m)
	err := e.Ops.Tx(context.Background(), "test", func(tx *gorm.DB) error {
		return tx.Exec(`INSERT INTO policy_versions (kind, version, title, summary, body) VALUES ('privacy', 2, 'Privacy Policy', 'We now keep logs for 90 days.', 'New text')`).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	r := c.Get(paths.Dashboard)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != paths.AcceptPolicies {
		t.Fatalf("dashboard with a pending policy: %d %s", r.Status, r.Header.Get("Location"))
	}
	if r := c.Get(paths.AcceptPolicies); !strings.Contains(r.Body, "90 days") {
		t.Error("acceptance page does not show the summary of changes")
	}
	if r := c.Post(paths.AcceptPolicies, nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("accepting nothing: %d", r.Status)
	}
	if r := c.Post(paths.AcceptPolicies, url.Values{"accept_privacy": {"on"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d", r.Status)
	}
	if got := c.Get(paths.Dashboard).Status; got != http.StatusOK {
		t.Errorf("dashboard after accepting: %d", got)
	}
	if n := count(t, e, `SELECT count(*) FROM policy_acceptances a JOIN policy_versions p ON p.id = a.policy_version_id
		WHERE a.user_id = ? AND p.version = 2 AND a.ip IS NOT NULL`, m.UserID); n != 1 {
		t.Errorf("acceptance of version 2 recorded %d times", n)
	}
}

func TestProbesAndMetrics(t *testing.T) {
	e := webtest.New(t)
	c := e.Client()
	for path, want := range map[string]string{paths.Healthz: "ok", paths.Readyz: "ready"} {
		if r := c.Get(path); r.Status != http.StatusOK || r.Body != want {
			t.Errorf("%s: %d %q", path, r.Status, r.Body)
		}
	}
	c.Get(paths.Login)
	if r := c.Get(paths.Metrics); r.Status != http.StatusOK || !strings.Contains(r.Body, `tidings_http_requests_total{method="GET",route="/login",status="200"}`) {
		t.Errorf("metrics: %d", r.Status)
	}
	if r := c.Get("/no/such/page"); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "Page not found") {
		t.Errorf("unknown page: %d", r.Status)
	}
}
