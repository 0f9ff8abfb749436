package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"tidings/internal/account"
	"tidings/internal/campaign"
	"tidings/internal/contact"
	"tidings/web"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// Route-complete security sweeps (QUALITY.md, "Security"): every row of
// sweepRoutes (which TestSweepRouteTableComplete keeps equal to the
// registered routes) is sent by the tenant, role, CSRF and header sweeps.

// TestSweepTenantIsolation: the owner of org B throws every id of org A
// (and ids next to them, and junk) at every route. Nothing of A may show,
// nothing of A may change, and no request that names A's things succeeds.
func TestSweepTenantIsolation(t *testing.T) {
	s := newSweepEnv(t)
	// In a fresh database every kind of id counts from 1, so A's user 3,
	// invite 3 and session 3 would be one probe. Spread the sequences as a
	// live database's are, so each of A's ids names one thing.
	for i, seq := range []string{"users_id_seq", "orgs_id_seq", "invites_id_seq", "sessions_id_seq", "audit_log_id_seq", "contact_imports_id_seq", "contacts_id_seq", "contact_lists_id_seq", "campaigns_id_seq"} {
		s.exec(`SELECT setval(?::regclass, ?)`, seq, 1000*(i+1))
	}
	s.exec(`SELECT setval('wa_templates_id_seq', 20000)`)
	rnd := sweepRandom()
	a := s.newOrg("Canary-A", rnd, true)
	// A is busy: more invitations (one withdrawn), a second session for
	// the owner, sessions for everyone else.
	for i := 3; i <= 6; i++ {
		a.InviteIDs = append(a.InviteIDs, s.invite(a, fmt.Sprintf("canary-a-invite%d-%s@example.test", i, rnd), account.RoleMember))
	}
	owner := account.Actor{OrgID: a.Owner.OrgID, UserID: a.Owner.UserID, Role: account.RoleOwner}
	if err := s.Accounts.RevokeInvite(context.Background(), owner, a.InviteIDs[len(a.InviteIDs)-1]); err != nil {
		t.Fatal(err)
	}
	var aSessions []int64
	for _, m := range []*webtest.Member{a.Owner, a.Owner, a.Admin, a.Admin, a.Member, a.Member, a.Target} {
		_, id := s.newSession(m)
		aSessions = append(aSessions, id)
	}
	aBrowser := s.signIn(a.Owner)
	aSessions = append(aSessions, aBrowser.sessionID)
	if r := aBrowser.send(http.MethodGet, paths.Team, nil, nil); r.Status != http.StatusOK || !strings.Contains(r.Body, rnd) {
		t.Fatalf("fixture: A's owner cannot see A's team (status %d)", r.Status)
	}
	// A's imports: one waiting for its mapping, one finished with contacts
	// (their names carry the canary) and rejected rows.
	aImports := []int64{a.ImportID, s.newImport(a, "canary-"+rnd+".csv",
		"phone,name\n07911 200001,Canary "+rnd+"\nnot-a-number,Canary "+rnd+"\n", true)}
	canaries := []string{rnd, "+447911200001"}
	for _, m := range a.people() {
		canaries = append(canaries, m.Phone, m.Email)
	}

	b := s.newOrg("Bee", sweepRandom(), false)
	bBrowser := s.signIn(b.Owner)
	bx := s.newCtx(b, b.Owner)

	// A's ids of every kind. Every id route gets all of them: a session id
	// used as a member id must fail as surely as a member id.
	all := []int64{a.Owner.OrgID}
	all = append(all, a.InviteIDs...)
	all = append(all, aSessions...)
	all = append(all, aImports...)
	all = append(all, a.ContactID, a.ListID, a.CampaignID)
	for _, m := range a.people() {
		all = append(all, m.UserID)
	}
	all = append(all, a.TemplateID)
	slices.Sort(all)
	all = slices.Compact(all)

	aBefore := s.state(a.Owner.OrgID)
	sent, variants := 0, 0
	check := func(label string, r *webtest.Response) {
		t.Helper()
		sent++
		body, loc := strings.ToLower(r.Body), strings.ToLower(r.Header.Get("Location"))
		for _, c := range canaries {
			if c = strings.ToLower(c); strings.Contains(body, c) || strings.Contains(loc, c) {
				t.Errorf("%s: B's response (status %d) contains A's canary %q", label, r.Status, c)
			}
		}
		if r.Status >= 500 {
			t.Errorf("%s: status %d", label, r.Status)
		}
	}

	for _, r := range sweepRoutes {
		if r.Aud == audDev || r.Aud == audWebhook {
			// The dev outbox shows every e-mail by design and exists only
			// in `tidings dev` (TestSweepRouteTableComplete checks that).
			// Webhooks know no session: a signed payload names its org by
			// the key in the URL, which the webhook tests cover.
			continue
		}
		// B may act on B's own things: ids that are B's right now (B makes
		// invitations and sessions as the sweep goes) are left out.
		bOwned := s.ownedBy(b.Owner.OrgID)
		if r.ID != idNone {
			// Routes that take an id: every A id and variant, as a form
			// post, as an htmx post and with the other method; all refused.
			_, form := bx.request(r)
			values := sweepIDVariants(all, bOwned)
			variants = max(variants, len(values))
			for _, v := range values {
				path := sweepParamRE.ReplaceAllLiteralString(r.Path, v)
				for _, variant := range []struct {
					name, method string
					hdr          http.Header
				}{
					{"form", r.Method, nil},
					{"htmx", r.Method, http.Header{"Hx-Request": {"true"}}},
					{"other method", sweepOtherMethod(r.Method), nil},
				} {
					label := fmt.Sprintf("B %s %s (%s; %s route)", variant.method, path, variant.name, r.ID)
					resp := bBrowser.send(variant.method, path, form, variant.hdr)
					check(label, resp)
					switch resp.Status {
					case http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed:
					default:
						t.Errorf("%s: status %d (location %q), want 403, 404 or 405", label, resp.Status, resp.Header.Get("Location"))
					}
					if hx := resp.Header.Get("Hx-Redirect"); hx != "" {
						t.Errorf("%s: htmx was told to go to %s: the action succeeded", label, hx)
					}
				}
			}
		} else {
			// Routes without an id: A's ids go into every id-like field;
			// the route must act on B only (or refuse) and show nothing of A.
			browser, x := bBrowser, bx
			if r.Self {
				// A throwaway owner of B, so B's own browser survives
				// logging out or signing out elsewhere.
				x = s.newCtx(b, s.join(b, s.person("Bee-Self", sweepRandom()), account.RoleOwner))
			}
			for _, id := range all {
				if bOwned[id] {
					continue
				}
				if r.Self {
					browser = s.signIn(x.Actor)
				}
				path, form := x.request(r)
				if form == nil {
					form = url.Values{}
				}
				for _, f := range []string{"org_id", "org", "id", "user_id", "member_id", "invite_id", "session_id"} {
					form.Set(f, strconv.FormatInt(id, 10))
				}
				if r.FormID != "" {
					form.Set(r.FormID, strconv.FormatInt(id, 10))
				}
				label := fmt.Sprintf("B %s %s with A's id %d in the form", r.Method, path, id)
				resp := browser.send(r.Method, path, form, nil)
				check(label, resp)
				if r.FormID != "" && resp.Status != http.StatusNotFound && resp.Status != http.StatusForbidden {
					t.Errorf("%s: status %d, want 404 or 403 (%s names A's %s)", label, resp.Status, r.FormID, r.FormIDKind)
				}
				if r.Self && resp.Status < 400 {
					// Wherever that left the browser, it shows B, never A.
					check(label+", then the dashboard", browser.send(http.MethodGet, paths.Dashboard, url.Values{"org_id": {strconv.FormatInt(id, 10)}}, nil))
				}
			}
		}
		if after := s.state(a.Owner.OrgID); after != aBefore {
			t.Fatalf("after B's requests to %s, A's data changed:\n%s", r.key(), sweepDiff(aBefore, after))
		}
	}

	// B's own pages, with A's ids in the query: B's data only.
	for _, p := range []string{paths.Dashboard, paths.Team, paths.Sessions, paths.Profile} {
		for _, id := range all {
			resp := bBrowser.send(http.MethodGet, p, url.Values{"org_id": {strconv.FormatInt(id, 10)}, "id": {strconv.FormatInt(id, 10)}}, nil)
			check("B GET "+p, resp)
			if resp.Status != http.StatusOK || !strings.Contains(resp.Body, b.Owner.OrgName) {
				t.Errorf("B GET %s?org_id=%d: status %d, or B's org name is missing", p, id, resp.Status)
			}
		}
	}
	// A still works: its owner sees its team.
	if r := aBrowser.send(http.MethodGet, paths.Team, nil, nil); r.Status != http.StatusOK || !strings.Contains(r.Body, a.Member.Name) {
		t.Errorf("A's owner lost A's team page after the sweep (status %d)", r.Status)
	}
	if sent < 1000 {
		t.Errorf("the isolation matrix sent %d requests; QUALITY.md asks for at least 1,000", sent)
	}
	t.Logf("tenant isolation: %d requests as B with %d of A's ids (up to %d path variants per id route)", sent, len(all), variants)
}

// TestSweepRoles: anonymous, member, admin and owner against every route.
func TestSweepRoles(t *testing.T) {
	s := newSweepEnv(t)
	o := s.newOrg("Roles", sweepRandom(), true)
	roles := []struct {
		name string
		m    *webtest.Member
	}{{"anonymous", nil}, {"member", o.Member}, {"admin", o.Admin}, {"owner", o.Owner}}
	ours, _ := url.Parse(s.URL)
	sent := 0
	for _, role := range roles {
		var main *sweepBrowser
		if role.m == nil {
			main = s.anon()
		} else {
			main = s.signIn(role.m)
		}
		x := s.newCtx(o, role.m)
		for _, r := range sweepRoutes {
			browser, rx := main, x
			if r.Self {
				if role.m == nil {
					browser = s.anon()
				} else {
					rx = s.newCtx(o, s.join(o, s.person("Self-"+role.name, sweepRandom()), role.name))
					browser = s.signIn(rx.Actor)
				}
			}
			path, form := rx.request(r)
			label := fmt.Sprintf("%s %s %s", role.name, r.Method, path)
			before := s.state(0)
			resp := browser.send(r.Method, path, form, nil)
			sent++
			s.checkHeaders(label, resp, rx.Actor)
			loc := resp.Header.Get("Location")
			toLogin := resp.Status == http.StatusSeeOther && strings.HasPrefix(loc, paths.Login)
			if u := sweepBrowserURL(ours, loc); loc != "" && (u == nil || u.Host != ours.Host) {
				t.Errorf("%s: redirects off the site, to %q", label, loc)
			}
			if resp.Status >= 500 {
				t.Errorf("%s: status %d", label, resp.Status)
				continue
			}
			switch {
			case r.Aud == audPublic || r.Aud == audOps || r.Aud == audDev:
				if resp.Status != http.StatusOK {
					t.Errorf("%s: status %d, want 200 for everyone (%s)", label, resp.Status, r.Aud)
				}
			case r.Aud == audWebhook:
				if resp.Status < 400 || resp.Status >= 500 {
					t.Errorf("%s: status %d; an unsigned webhook call must get a 4xx", label, resp.Status)
				}
				s.mustNotChange(label, before)
			case r.Aud == audAnyone:
				if resp.Status == http.StatusForbidden || resp.Status == http.StatusUnauthorized {
					t.Errorf("%s: status %d; this route is open to everyone", label, resp.Status)
				}
			case role.m == nil: // user, member, admin and owner routes
				if !toLogin {
					t.Errorf("%s: status %d, location %q; want 303 to %s", label, resp.Status, loc, paths.Login)
				}
				s.mustNotChange(label, before)
			case sweepRank(role.name) < sweepRank(r.Aud):
				if resp.Status != http.StatusForbidden {
					t.Errorf("%s: status %d (location %q); want 403: the %s role may not use %s routes", label, resp.Status, loc, role.name, r.Aud)
				}
				s.mustNotChange(label, before)
			default:
				if resp.Status == http.StatusForbidden || toLogin {
					t.Errorf("%s: status %d (location %q); the %s role may use this %s route", label, resp.Status, loc, role.name, r.Aud)
				}
				if r.Aud == audOwner && r.Method == http.MethodPost && s.state(0) == before {
					// The refusals above prove something only if the same
					// form works for an owner.
					t.Errorf("%s: status %d, but nothing changed: the owner's request should have worked", label, resp.Status)
				}
			}
		}
	}
	t.Logf("roles: %d requests (%d routes x %d roles)", sent, len(sweepRoutes), len(roles))
}

// TestSweepCrossSiteAndCSRF: every POST route refuses a cross-site browser
// request and a missing or wrong token (even with a valid session), while
// the same request from our own pages works; a GET changes nothing.
func TestSweepCrossSiteAndCSRF(t *testing.T) {
	s := newSweepEnv(t)
	o := s.newOrg("Csrf", sweepRandom(), true)
	stranger := s.anon() // its token is valid, but for another cookie
	same := http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {s.URL}}
	attacks := []struct {
		name      string
		hdr       http.Header
		token     func(valid string) url.Values // replaces the _csrf field
		textPlain bool                          // the form, valid token included, as text/plain
	}{
		{name: "cross-site with a valid token", hdr: http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}},
		{name: "same-site (sibling subdomain)", hdr: http.Header{"Sec-Fetch-Site": {"same-site"}, "Origin": {"https://evil.tidings.example"}}},
		{name: "foreign Origin without Fetch metadata", hdr: http.Header{"Origin": {"https://evil.example"}}},
		{name: "Origin: null (sandboxed frame)", hdr: http.Header{"Origin": {"null"}}},
		{name: "cross-site htmx", hdr: http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}, "Hx-Request": {"true"}}},
		{name: "no token", hdr: same, token: func(string) url.Values { return url.Values{"_csrf": {""}} }},
		{name: "wrong token", hdr: same, token: func(v string) url.Values { return url.Values{"_csrf": {strings.Repeat("A", len(v))}} }},
		{name: "token of another browser", hdr: same, token: func(string) url.Values { return url.Values{"_csrf": {stranger.csrf}} }},
		{name: "wrong header token", hdr: http.Header{"Sec-Fetch-Site": {"same-origin"}, "X-Csrf-Token": {"forged"}}, token: func(string) url.Values { return url.Values{"_csrf": {""}} }},
		{name: "text/plain body", hdr: http.Header{"Content-Type": {"text/plain"}}, textPlain: true},
	}
	gets := map[string]bool{}
	for _, r := range sweepRoutes {
		if r.Method == http.MethodGet {
			gets[r.Path] = true
		}
	}
	posts, sent := 0, 0
	for _, r := range sweepRoutes {
		if r.Method != http.MethodPost {
			continue
		}
		posts++
		actor := o.Owner
		if r.Self {
			actor = s.join(o, s.person("Csrf-Self", sweepRandom()), account.RoleOwner)
		}
		x := s.newCtx(o, actor)
		b := s.signIn(actor)
		path, form := x.request(r)
		before := s.state(0)
		for _, atk := range attacks {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if atk.token != nil {
				for k, v := range atk.token(b.csrf) {
					f[k] = v
				}
			}
			var resp *webtest.Response
			if atk.textPlain {
				f.Set("_csrf", b.csrf)
				resp = b.raw(http.MethodPost, path, f.Encode(), atk.hdr)
			} else {
				resp = b.send(http.MethodPost, path, f, atk.hdr)
			}
			sent++
			if r.Aud == audWebhook {
				// Not a browser route: the signature, absent here, is the
				// defence, and any 4xx is a refusal.
				if resp.Status < 400 || resp.Status >= 500 {
					t.Errorf("POST %s, %s: status %d, want a 4xx", path, atk.name, resp.Status)
				}
			} else if resp.Status != http.StatusForbidden {
				t.Errorf("POST %s, %s: status %d, want 403", path, atk.name, resp.Status)
			}
		}
		s.mustNotChange("POST "+path+" under attack", before)

		// A GET of the same URL, with the form as its query, is no way in:
		// 405, or the page that shows the form when the path has one.
		before = s.state(0)
		resp := b.send(http.MethodGet, path, form, same)
		sent++
		if gets[r.Path] {
			if resp.Status >= 500 {
				t.Errorf("GET %s with the POST's form as query: status %d", path, resp.Status)
			}
		} else if resp.Status != http.StatusMethodNotAllowed && resp.Status != http.StatusNotFound {
			t.Errorf("GET %s (a POST-only route): status %d, want 405 or 404", path, resp.Status)
		}
		s.mustNotChange("GET "+path, before)

		// The control: the same request from our own page is accepted,
		// so the refusals above were the CSRF defences at work. (A
		// webhook's control is a signed call: the webhook tests send it.)
		if r.Aud == audWebhook {
			continue
		}
		resp = b.send(http.MethodPost, path, form, same)
		sent++
		if resp.Status == http.StatusForbidden || resp.Status >= 500 {
			t.Errorf("POST %s from our own page: status %d; the sweep's request is not a valid one", path, resp.Status)
		}
	}

	// No GET route changes anything, whoever sends it.
	for _, who := range []*webtest.Member{nil, o.Owner} {
		x := s.newCtx(o, who)
		var b *sweepBrowser
		if who == nil {
			b = s.anon()
		} else {
			b = s.signIn(who)
		}
		for _, r := range sweepRoutes {
			if r.Method != http.MethodGet {
				continue
			}
			path, query := x.request(r)
			before := s.state(0)
			if resp := b.send(http.MethodGet, path, query, nil); resp.Status >= 500 {
				t.Errorf("GET %s: status %d", path, resp.Status)
			}
			sent++
			if r.Audits != "" {
				// An audited GET may add its own audit entries, nothing else.
				if after := sweepWithoutAudit(s.state(0), r.Audits); after != sweepWithoutAudit(before, r.Audits) {
					t.Errorf("GET %s changed data:\n%s", path, sweepDiff(sweepWithoutAudit(before, r.Audits), after))
				}
				continue
			}
			s.mustNotChange("GET "+path, before)
		}
	}
	if posts == 0 {
		t.Fatal("no POST routes in the sweep table")
	}
	t.Logf("CSRF: %d POST routes, %d requests", posts, sent)
}

// TestSweepSecurityHeaders: every HTML response carries the CSP with a
// per-response nonce on every script, and the other headers; pages for
// signed-in people are never stored by caches.
func TestSweepSecurityHeaders(t *testing.T) {
	s := newSweepEnv(t)
	o := s.newOrg("Headers", sweepRandom(), true)
	// Someone who has not confirmed their address (their e-mail shows in a
	// banner on every page) and someone with policies to accept.
	unverified := s.person("Unverified", sweepRandom())
	s.exec(`UPDATE users SET email_verified_at = NULL WHERE id = ?`, unverified.UserID)
	pending := s.person("Pending", sweepRandom())
	s.exec(`DELETE FROM policy_acceptances WHERE user_id = ?`, pending.UserID)

	browsers := []struct {
		name string
		m    *webtest.Member
	}{{"anonymous", nil}, {"owner", o.Owner}, {"member", o.Member}, {"unverified", unverified}, {"pending policies", pending}}
	nonces := map[string]bool{}
	htmlPages := 0
	for _, br := range browsers {
		var b *sweepBrowser
		if br.m == nil {
			b = s.anon()
		} else {
			b = s.signIn(br.m)
		}
		x := s.newCtx(o, br.m)
		get := func(label, path string, query url.Values) {
			resp := b.send(http.MethodGet, path, query, nil)
			s.checkHeaders(br.name+" "+label, resp, br.m)
			if n := sweepNonce(resp); n != "" {
				if nonces[n] {
					t.Errorf("%s %s: CSP nonce %q was used before", br.name, label, n)
				}
				nonces[n] = true
			}
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				htmlPages++
			}
		}
		for _, r := range sweepRoutes {
			if r.Method != http.MethodGet {
				continue
			}
			path, query := x.request(r)
			get("GET "+path, path, query)
		}
		// Error pages are pages too.
		get("unknown URL", "/no/such/page-"+sweepRandom(), nil)
		get("GET on a POST route", paths.Logout, nil)
		resp := b.send(http.MethodPost, paths.Login, url.Values{"_csrf": {""}}, nil)
		s.checkHeaders(br.name+" POST without a token", resp, br.m)
		if br.m != nil {
			resp := b.send(http.MethodPost, paths.TeamInvite, url.Values{"email": {"not-an-address"}, "role": {"member"}}, nil)
			s.checkHeaders(br.name+" POST team invite", resp, br.m)
		}
	}
	if htmlPages < 50 || s.scripts < htmlPages {
		t.Errorf("only %d HTML pages and %d script tags checked: the sweep is not looking", htmlPages, s.scripts)
	}

	// Over TLS: HSTS, and cookies that are Secure, HttpOnly, SameSite=Lax
	// and pinned to the host by the __Host- prefix.
	cfg := s.Config
	base := *cfg.BaseURL
	base.Scheme = "https"
	cfg.BaseURL = &base
	tls := web.New(web.Deps{Config: cfg, Log: slog.New(slog.DiscardHandler), Accounts: s.Accounts, Registry: prometheus.NewRegistry()}).Handler()
	rec := httptest.NewRecorder()
	tls.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://"+base.Host+paths.Login, nil))
	if h := rec.Header().Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
		t.Errorf("over TLS: Strict-Transport-Security = %q", h)
	}
	m := sweepCSRFRE.FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatal("over TLS: no CSRF token on the login page")
	}
	req := httptest.NewRequest(http.MethodPost, "https://"+base.Host+paths.Login, strings.NewReader(url.Values{
		"email": {o.Owner.Email}, "password": {o.Owner.Password}, "_csrf": {m[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	cookies := rec.Result().Cookies()
	rec = httptest.NewRecorder()
	tls.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("over TLS: login status %d", rec.Code)
	}
	cookies = append(cookies, rec.Result().Cookies()...)
	names := map[string]bool{}
	for _, c := range cookies {
		names[c.Name] = true
		if c.Value != "" {
			s.Secret(c.Value)
		}
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("over TLS: cookie %s: Secure=%v HttpOnly=%v SameSite=%v Path=%q Domain=%q; want __Host-, Secure, HttpOnly, Lax, /",
				c.Name, c.Secure, c.HttpOnly, c.SameSite, c.Path, c.Domain)
		}
	}
	for _, want := range []string{"__Host-tidings_session", "__Host-tidings_csrf"} {
		if !names[want] {
			t.Errorf("over TLS: no %s cookie was set (got %v)", want, names)
		}
	}
	t.Logf("headers: %d HTML pages, %d distinct nonces", htmlPages, len(nonces))
}

// TestSweepRedirectsStayOnSite: where a login sends you next stays on this
// site however the address is spelt. Browsers read "\\" as "/" and drop
// tabs and newlines, so "/\\evil.example" opens //evil.example.
func TestSweepRedirectsStayOnSite(t *testing.T) {
	s := newSweepEnv(t)
	m := s.person("Next", sweepRandom())
	ours, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, next := range []string{"/app/settings/team", "//evil.example", "///evil.example", "/\\evil.example", "/\\/evil.example",
		"\\/evil.example", "\\\\evil.example", "https://evil.example", "http:evil.example", "/\t/evil.example", "/\n/evil.example",
		" //evil.example", "javascript:alert(1)", "/%2F%2Fevil.example", "/%5Cevil.example"} {
		r := s.anon().send(http.MethodPost, paths.Login, url.Values{"email": {m.Email}, "password": {m.Password}, "next": {next}}, nil)
		loc := r.Header.Get("Location")
		if r.Status != http.StatusSeeOther {
			t.Errorf("log in with next=%q: status %d", next, r.Status)
		} else if u := sweepBrowserURL(ours, loc); u == nil || u.Scheme != ours.Scheme || u.Host != ours.Host {
			t.Errorf("log in with next=%q redirects to %q, which a browser opens as %v: an open redirect", next, loc, u)
		}
	}
}

// ---- helpers ----

// sweepEnv is a webtest.Env with the sweeps' factories and checks.
type sweepEnv struct {
	*webtest.Env
	t        *testing.T
	n        int
	problems map[string]int // header problems seen, by problem
	scripts  int            // script tags whose nonce was checked
}

func newSweepEnv(t *testing.T) *sweepEnv {
	s := &sweepEnv{Env: webtest.New(t), t: t, problems: map[string]int{}}
	// The sweeps type these into forms: the log scan must never find them.
	for _, pw := range []string{sweepNewPassword, sweepResetPassword, sweepJoinPassword, sweepSignupPass} {
		s.Secret(pw)
	}
	return s
}

// sweepOrg is an organisation with someone in every role, a member for the
// owner-only routes to act on, and open invitations.
type sweepOrg struct {
	Owner, Admin, Member, Target *webtest.Member
	InviteIDs                    []int64
	InviteID                     int64  // an open invitation
	InviteToken                  string // another one's token; its address has no account
	MailID                       int64  // an e-mail in the dev outbox
	ImportID                     int64  // a contact import waiting for its mapping
	TemplateID                   int64  // a message template whose name carries the canary
	ContactID                    int64  // a contact whose name carries the canary
	ListID                       int64  // a list whose name carries the canary, with the contact on it
	CampaignID                   int64  // a draft campaign whose name carries the canary
}

func (o *sweepOrg) people() []*webtest.Member {
	var out []*webtest.Member
	for _, m := range []*webtest.Member{o.Owner, o.Admin, o.Member, o.Target} {
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// newOrg makes an org whose names all carry tag and rnd (the canary); a
// full one also has an admin, members and invitations.
func (s *sweepEnv) newOrg(tag, rnd string, full bool) *sweepOrg {
	s.t.Helper()
	o := &sweepOrg{Owner: s.NewOwner(tag + "-Org-" + rnd)}
	if !full {
		return o
	}
	o.Admin = s.join(o, s.person(tag+"-Admin", rnd), account.RoleAdmin)
	o.Member = s.join(o, s.person(tag+"-Person", rnd), account.RoleMember)
	o.Target = s.join(o, s.person(tag+"-Target", rnd), account.RoleMember)
	for i, role := range []string{account.RoleMember, account.RoleAdmin} {
		addr := fmt.Sprintf("%s-invite%d-%s@example.test", strings.ToLower(tag), i+1, rnd)
		o.InviteIDs = append(o.InviteIDs, s.invite(o, addr, role))
		o.InviteToken, o.MailID = s.mailToken(addr)
	}
	o.InviteID = o.InviteIDs[0]
	o.ImportID = s.newImport(o, "sweep-"+rnd+".csv", sweepImportCSV, false)
	o.TemplateID = s.newTemplate(o, strings.ToLower(tag)+"_"+rnd)
	o.ContactID = s.newContact(o, tag+"-Contact-"+rnd, "07911 200099")
	o.ListID = s.newList(o, tag+"-List-"+rnd, o.ContactID)
	cp, err := s.Campaigns.Create(context.Background(), o.Owner.OrgID, o.Owner.UserID, campaign.Input{Name: tag + "-Campaign-" + rnd})
	if err != nil {
		s.t.Fatalf("fixture: campaign: %v", err)
	}
	o.CampaignID = cp.ID
	return o
}

// sweepImportCSV is the file of the sweep's imports: the confirm row's
// form maps its two columns.
const sweepImportCSV = "phone,name\n07911 100001,Ann\n07911 100002,Ben\n"

// newImport uploads a CSV file to o's org as its owner; run confirms the
// import and runs it to its end.
func (s *sweepEnv) newImport(o *sweepOrg, name, data string, run bool) int64 {
	s.t.Helper()
	ctx := context.Background()
	im, pv, err := s.Contacts.CreateImport(ctx, o.Owner.OrgID, o.Owner.UserID, name, strings.NewReader(data))
	if err != nil {
		s.t.Fatalf("fixture: import: %v", err)
	}
	if run {
		st := contact.ImportSettings{Columns: pv.Guess, HasHeader: pv.HasHeader, DefaultCountry: "GB", Mode: contact.ModeAddNew}
		if _, err := s.Contacts.ConfirmImport(ctx, o.Owner.OrgID, o.Owner.UserID, im.ID, st, nil); err != nil {
			s.t.Fatalf("fixture: confirm import: %v", err)
		}
		s.RunImports()
	}
	return im.ID
}

// newContact adds an opted-in contact to o's org as its owner.
func (s *sweepEnv) newContact(o *sweepOrg, name, phone string) int64 {
	s.t.Helper()
	c, err := s.Contacts.Create(context.Background(), o.Owner.OrgID, o.Owner.UserID, contact.ContactInput{Phone: phone, Country: "GB", Name: name,
		Consent: &contact.ConsentInput{Kind: contact.EventOptIn, Source: contact.SourceManual, LawfulBasis: "consent", Evidence: "sweep fixture"}})
	if err != nil {
		s.t.Fatalf("fixture: contact: %v", err)
	}
	return c.ID
}

// newList makes a list in o's org with the given contacts on it.
func (s *sweepEnv) newList(o *sweepOrg, name string, contactIDs ...int64) int64 {
	s.t.Helper()
	ctx := context.Background()
	l, err := s.Contacts.CreateList(ctx, o.Owner.OrgID, o.Owner.UserID, name, "sweep fixture")
	if err != nil {
		s.t.Fatalf("fixture: list: %v", err)
	}
	if err := s.Contacts.AddToList(ctx, o.Owner.OrgID, o.Owner.UserID, l.ID, contactIDs); err != nil {
		s.t.Fatalf("fixture: list members: %v", err)
	}
	return l.ID
}

// newTemplate stores an approved message template in o's org, as a sync
// would (the sweep's orgs have no WhatsApp number to sync from).
func (s *sweepEnv) newTemplate(o *sweepOrg, name string) int64 {
	s.t.Helper()
	ids := s.ints(`INSERT INTO wa_templates (org_id, connection_id, meta_id, name, language, category, status, components)
		VALUES ($1, 0, $2, $3, 'en_GB', 'UTILITY', 'APPROVED', '[{"type":"BODY","text":"Hi {{1}}, `+name+` is ready."}]') RETURNING id`,
		o.Owner.OrgID, "meta-"+name, name)
	return ids[0]
}

// person makes a verified user (who owns a private org of their own).
func (s *sweepEnv) person(tag, rnd string) *webtest.Member {
	return s.NewOwner(tag + "-" + rnd)
}

// join adds m to o's org with role; it becomes m's first org.
func (s *sweepEnv) join(o *sweepOrg, m *webtest.Member, role string) *webtest.Member {
	s.exec(`INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, now() - interval '1 hour')`,
		o.Owner.OrgID, m.UserID, role)
	m.OrgID, m.OrgName = o.Owner.OrgID, o.Owner.OrgName
	return m
}

// sweepCtx is what the table's Form functions draw on.
type sweepCtx struct {
	s           *sweepEnv
	Actor       *webtest.Member // the sender; nil when anonymous
	Spare       *webtest.Member // a user of their own, for anonymous forms
	OrgID       int64
	TargetID    int64 // a member of OrgID, not the actor
	InviteID    int64
	ImportID    int64 // a contact import of OrgID
	TemplateID  int64 // a message template of OrgID
	ContactID   int64 // a contact of OrgID
	ListID      int64 // a list of OrgID
	CampaignID  int64 // a draft campaign of OrgID
	InviteToken string
	SessionID   int64  // another live session of Actor
	ResetToken  string // a live reset token of Spare
	MailID      int64
	WebhookKey  string // names no connection unless a test sets it
	Terms       int
	Privacy     int
}

func (s *sweepEnv) newCtx(o *sweepOrg, actor *webtest.Member) *sweepCtx {
	s.t.Helper()
	x := &sweepCtx{s: s, Actor: actor, Spare: s.person("Spare", sweepRandom()), OrgID: o.Owner.OrgID,
		ImportID: o.ImportID, ContactID: o.ContactID, ListID: o.ListID, CampaignID: o.CampaignID, InviteID: o.InviteID, InviteToken: o.InviteToken, MailID: o.MailID, WebhookKey: "sweep" + sweepRandom()}
	if o.Target != nil {
		x.TargetID = o.Target.UserID
	}
	x.TemplateID = o.TemplateID
	if actor != nil {
		_, x.SessionID = s.newSession(actor)
	}
	ctx := context.Background()
	s.n++
	meta := account.Meta{IP: netip.AddrFrom4([4]byte{10, 77, byte(s.n >> 8), byte(s.n)})}
	if err := s.Accounts.RequestPasswordReset(ctx, x.Spare.Email, meta); err != nil {
		s.t.Fatalf("fixture: reset: %v", err)
	}
	x.ResetToken, _ = s.mailToken(x.Spare.Email)
	for _, k := range []string{account.PolicyTerms, account.PolicyPrivacy} {
		p, err := s.Accounts.CurrentPolicy(ctx, k)
		if err != nil {
			s.t.Fatal(err)
		}
		if k == account.PolicyTerms {
			x.Terms = p.Version
		} else {
			x.Privacy = p.Version
		}
	}
	if x.MailID == 0 {
		x.MailID = s.Outbox.List()[0].ID
	}
	return x
}

// who is the person a form speaks for: the actor, or the spare user.
func (x *sweepCtx) who() *webtest.Member {
	if x.Actor != nil {
		return x.Actor
	}
	return x.Spare
}

func (x *sweepCtx) fresh(kind string) string {
	x.s.n++
	return fmt.Sprintf("sweep-%s-%d-%s@example.test", kind, x.s.n, sweepRandom()[:6])
}

// freshPhone is a mobile number no contact of the sweep has yet.
func (x *sweepCtx) freshPhone() string {
	x.s.n++
	return fmt.Sprintf("07911 12%04d", x.s.n%10000)
}

// count is how many of x's org's contacts f matches now.
func (x *sweepCtx) count(f contact.Filter) int64 {
	n, err := x.s.Contacts.Count(context.Background(), x.OrgID, f)
	if err != nil {
		x.s.t.Fatalf("fixture: count: %v", err)
	}
	return n
}

// listName is the current name of x's list (routes may rename it); ""
// once it is gone.
func (x *sweepCtx) listName() string {
	l, err := x.s.Contacts.GetList(context.Background(), x.OrgID, x.ListID)
	if err != nil {
		return ""
	}
	return l.Name
}

// param is the path parameter of the given kind that x acts on.
func (x *sweepCtx) param(r sweepRoute) string {
	ids := map[sweepIDKind]int64{idSession: x.SessionID, idInvite: x.InviteID, idMember: x.TargetID, idMail: x.MailID, idOrg: x.OrgID, idImport: x.ImportID, idContact: x.ContactID, idList: x.ListID, idCampaign: x.CampaignID}
	if id, ok := ids[r.ID]; ok {
		return strconv.FormatInt(id, 10)
	}
	if r.ID == idWebhookKey {
		return x.WebhookKey
	}
	if r.ID == idTemplate {
		return strconv.FormatInt(x.TemplateID, 10)
	}
	x.s.t.Fatalf("route %s: the sweeps know no value of kind %q: add one to sweepCtx.param", r.key(), r.ID)
	return ""
}

// request builds route r's path (with the right kind of id) and form.
func (x *sweepCtx) request(r sweepRoute) (string, url.Values) {
	path := r.Path
	if r.ID != idNone {
		path = sweepParamRE.ReplaceAllLiteralString(path, x.param(r))
	}
	var form url.Values
	if r.Form != nil {
		form = r.Form(x)
	}
	return path, form
}

// sweepBrowser is a client with its CSRF token (bound to its csrf cookie).
type sweepBrowser struct {
	s         *sweepEnv
	c         *webtest.Client
	csrf      string
	sessionID int64
}

var sweepCSRFRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (s *sweepEnv) anon() *sweepBrowser {
	s.t.Helper()
	c := s.Client()
	r := c.Get(paths.Login)
	m := sweepCSRFRE.FindStringSubmatch(r.Body)
	if m == nil {
		s.t.Fatalf("no CSRF token on the login page (status %d)", r.Status)
	}
	return &sweepBrowser{s: s, c: c, csrf: m[1]}
}

// signIn returns a browser signed in as m with a session of its own
// (made directly, which is what a login does, without the password hash).
func (s *sweepEnv) signIn(m *webtest.Member) *sweepBrowser {
	s.t.Helper()
	b := s.anon()
	token, id := s.newSession(m)
	u, _ := url.Parse(s.URL)
	b.c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: token, Path: "/"}})
	b.sessionID = id
	return b
}

func (s *sweepEnv) newSession(m *webtest.Member) (string, int64) {
	s.t.Helper()
	token, row, err := s.Accounts.CreateSession(context.Background(), m.UserID, []byte("{}"), account.Meta{})
	if err != nil {
		s.t.Fatal(err)
	}
	s.Secret(token)
	return token, row.ID
}

// send makes a request: a GET carries form as its query; a POST carries it
// as the body, with the browser's CSRF token unless form sets "_csrf"
// (to "" for none). hdr replaces headers.
func (b *sweepBrowser) send(method, path string, form url.Values, hdr http.Header) *webtest.Response {
	vals := url.Values{}
	for k, v := range form {
		vals[k] = v
	}
	if method == http.MethodGet {
		vals.Del("_csrf")
		if len(vals) > 0 {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			path += sep + vals.Encode()
		}
		return b.raw(method, path, "", hdr)
	}
	if _, set := vals["_csrf"]; !set {
		vals.Set("_csrf", b.csrf)
	} else if vals.Get("_csrf") == "" {
		vals.Del("_csrf")
	}
	return b.raw(method, path, vals.Encode(), hdr)
}

func (b *sweepBrowser) raw(method, path, body string, hdr http.Header) *webtest.Response {
	b.s.t.Helper()
	req, err := http.NewRequest(method, b.s.URL+path, strings.NewReader(body))
	if err != nil {
		b.s.t.Fatalf("%s %s: %v", method, path, err)
	}
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	return b.c.Do(req)
}

// state is a fingerprint of everything a request could wrongly change:
// people, orgs, memberships, invitations, sessions, tokens, consent, the
// audit log. orgID > 0 narrows it to that org and its people.
func (s *sweepEnv) state(orgID int64) string {
	s.t.Helper()
	const people = `(SELECT user_id FROM memberships WHERE org_id = $1)`
	queries := []string{
		`SELECT format('org %s name=%s suspended=%s updated=%s', id, name, suspended_at, updated_at) FROM orgs WHERE $1 = 0 OR id = $1 ORDER BY id`,
		`SELECT format('membership org=%s user=%s role=%s', org_id, user_id, role) FROM memberships WHERE $1 = 0 OR org_id = $1 ORDER BY 1`,
		`SELECT format('invite %s/%s %s role=%s accepted=%s revoked=%s', org_id, id, email, role, accepted_at, revoked_at) FROM invites WHERE $1 = 0 OR org_id = $1 ORDER BY org_id, id`,
		`SELECT format('user %s %s name=%s phone=%s pw=%s verified=%s disabled=%s', id, email, name, phone_e164, md5(password_hash), email_verified_at, disabled_at) FROM users WHERE $1 = 0 OR id IN ` + people + ` ORDER BY id`,
		`SELECT format('session %s user=%s revoked=%s data=%s', id, user_id, revoked_at, data) FROM sessions WHERE $1 = 0 OR user_id IN ` + people + ` ORDER BY id`,
		`SELECT format('token %s user=%s %s used=%s', id, user_id, purpose, used_at) FROM user_tokens WHERE $1 = 0 OR user_id IN ` + people + ` ORDER BY id`,
		`SELECT format('accepted user=%s policy=%s', user_id, policy_version_id) FROM policy_acceptances WHERE $1 = 0 OR user_id IN ` + people + ` ORDER BY 1`,
		`SELECT format('audit %s/%s %s %s', org_id, id, action, target) FROM audit_log WHERE $1 = 0 OR org_id = $1 ORDER BY org_id, id`,
		`SELECT format('import %s/%s status=%s', org_id, id, status) FROM contact_imports WHERE $1 = 0 OR org_id = $1 ORDER BY org_id, id`,
		`SELECT format('template %s/%s %s/%s status=%s meta=%s updated=%s', org_id, id, name, language, status, meta_id, updated_at) FROM wa_templates WHERE $1 = 0 OR org_id = $1 ORDER BY org_id, id`,
		`SELECT format('contact %s/%s %s consent=%s updated=%s', org_id, id, phone_e164, consent_state, updated_at) FROM contacts WHERE $1 = 0 OR org_id = $1 ORDER BY org_id, id`,
		`SELECT format('list %s/%s name=%s description=%s', org_id, id, name, description) FROM contact_lists WHERE $1 = 0 OR org_id = $1 ORDER BY org_id, id`,
		`SELECT format('list member %s/%s contact=%s', org_id, list_id, contact_id) FROM contact_list_members WHERE $1 = 0 OR org_id = $1 ORDER BY 1`,
		`SELECT format('campaign %s/%s %s status=%s updated=%s', org_id, id, name, status, updated_at) FROM campaigns WHERE $1 = 0 OR org_id = $1 ORDER BY org_id, id`,
		`SELECT format('message %s/%s status=%s', org_id, id, status) FROM messages WHERE $1 = 0 OR org_id = $1 ORDER BY org_id, id`,
		`SELECT format('login events %s', count(*)) FROM login_events WHERE $1 = 0`,
		`SELECT format('rate events %s', count(*)) FROM rate_events WHERE $1 = 0`,
	}
	var b strings.Builder
	ctx := context.Background()
	for _, q := range queries {
		rows, err := s.Ops.Conn().Pool.Query(ctx, strings.ReplaceAll(q, "$1", "$1::bigint"), orgID)
		if err != nil {
			s.t.Fatalf("state: %v", err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				s.t.Fatalf("state: %v", err)
			}
			b.WriteString(line + "\n")
		}
		if err := rows.Err(); err != nil {
			s.t.Fatalf("state: %v", err)
		}
	}
	if orgID == 0 {
		var last int64
		if l := s.Outbox.List(); len(l) > 0 {
			last = l[0].ID
		}
		fmt.Fprintf(&b, "outbox %d\n", last)
	}
	return b.String()
}

// mustNotChange fails the test if the state moved since before.
// sweepWithoutAudit drops a state's audit entries of the given action.
func sweepWithoutAudit(state, action string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(state, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "audit" && f[2] == action {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

func (s *sweepEnv) mustNotChange(label string, before string) {
	s.t.Helper()
	if after := s.state(0); after != before {
		s.t.Errorf("%s changed data:\n%s", label, sweepDiff(before, after))
	}
}

// checkHeaders checks the security headers of one response sent by m (nil:
// anonymous).
func (s *sweepEnv) checkHeaders(label string, r *webtest.Response, m *webtest.Member) {
	s.t.Helper()
	var problems []string
	h := r.Header
	if h.Get("X-Content-Type-Options") != "nosniff" {
		problems = append(problems, "X-Content-Type-Options is not nosniff")
	}
	if h.Get("Referrer-Policy") == "" {
		problems = append(problems, "no Referrer-Policy")
	}
	if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"'nonce-", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				problems = append(problems, "CSP lacks "+want)
			}
		}
		for _, bad := range []string{"unsafe-inline", "unsafe-eval", "unsafe-hashes", "*"} {
			if strings.Contains(csp, bad) {
				problems = append(problems, "CSP allows "+bad)
			}
		}
		nonce := sweepNonce(r)
		if len(nonce) < 22 { // ≥ 128 bits of base64
			problems = append(problems, fmt.Sprintf("CSP nonce %q is too short", nonce))
		}
		for _, tag := range sweepScriptRE.FindAllString(r.Body, -1) {
			s.scripts++
			if got := sweepNonceAttrRE.FindStringSubmatch(tag); got == nil || got[1] != nonce {
				problems = append(problems, fmt.Sprintf("a script tag's nonce does not match the header: %.120s", tag))
			}
		}
		if m != nil && !strings.Contains(h.Get("Cache-Control"), "no-store") {
			// Any page for a signed-in person carries their name and e-mail
			// (user menu, banners): no cache may keep it.
			personal := strings.Contains(r.Body, m.Email) || strings.Contains(r.Body, m.Phone)
			problems = append(problems, fmt.Sprintf("Cache-Control %q on a page for a signed-in user (their e-mail or phone on it: %v), want no-store",
				h.Get("Cache-Control"), personal))
		}
	}
	for _, p := range problems {
		// A broken header breaks every page: say so three times, not 300.
		if s.problems[p]++; s.problems[p] <= 3 {
			s.t.Errorf("%s (status %d): %s", label, r.Status, p)
		}
	}
}

var (
	sweepCSPNonceRE  = regexp.MustCompile(`'nonce-([^']+)'`)
	sweepScriptRE    = regexp.MustCompile(`(?is)<script\b[^>]*>`)
	sweepNonceAttrRE = regexp.MustCompile(`\bnonce="([^"]*)"`)
)

func sweepNonce(r *webtest.Response) string {
	if m := sweepCSPNonceRE.FindStringSubmatch(r.Header.Get("Content-Security-Policy")); m != nil {
		return m[1]
	}
	return ""
}

func (s *sweepEnv) exec(sql string, args ...any) {
	s.t.Helper()
	if err := s.Ops.Tx(context.Background(), "sweep fixture", func(tx *gorm.DB) error { return tx.Exec(sql, args...).Error }); err != nil {
		s.t.Fatal(err)
	}
}

// ints runs a query (pgx placeholders) that returns one bigint column.
func (s *sweepEnv) ints(sql string, args ...any) []int64 {
	s.t.Helper()
	rows, err := s.Ops.Conn().Pool.Query(context.Background(), sql, args...)
	if err != nil {
		s.t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		s.t.Fatal(err)
	}
	return ids
}

// ownedBy returns the ids of everything an org's people may act on: the
// org and their other orgs, the people, their sessions, the invitations.
func (s *sweepEnv) ownedBy(orgID int64) map[int64]bool {
	out := map[int64]bool{}
	for _, id := range s.ints(`WITH people AS (SELECT user_id FROM memberships WHERE org_id = $1)
		SELECT org_id FROM memberships WHERE user_id IN (SELECT user_id FROM people)
		UNION SELECT user_id FROM people
		UNION SELECT id FROM sessions WHERE user_id IN (SELECT user_id FROM people)
		UNION SELECT id FROM invites WHERE org_id = $1
		UNION SELECT id FROM contacts WHERE org_id = $1
		UNION SELECT id FROM contact_lists WHERE org_id = $1
		UNION SELECT id FROM campaigns WHERE org_id = $1`, orgID) {
		out[id] = true
	}
	return out
}

// invite makes an open invitation of o's owner and returns its id.
func (s *sweepEnv) invite(o *sweepOrg, addr, role string) int64 {
	s.t.Helper()
	owner := account.Actor{OrgID: o.Owner.OrgID, UserID: o.Owner.UserID, Role: account.RoleOwner}
	if err := s.Accounts.Invite(context.Background(), owner, addr, role); err != nil {
		s.t.Fatalf("fixture: invite: %v", err)
	}
	ids := s.ints(`SELECT id FROM invites WHERE org_id = $1 AND email = $2 AND revoked_at IS NULL`, o.Owner.OrgID, addr)
	if len(ids) != 1 {
		s.t.Fatalf("fixture: invite to %s: %d open", addr, len(ids))
	}
	return ids[0]
}

var sweepTokenRE = regexp.MustCompile(`token=([A-Za-z0-9_\-]{20,})`)

// mailToken returns the token in the newest e-mail to addr, and its id.
func (s *sweepEnv) mailToken(addr string) (string, int64) {
	s.t.Helper()
	for _, m := range s.Outbox.List() {
		if m.To == addr {
			if t := sweepTokenRE.FindStringSubmatch(m.Text); t != nil {
				return t[1], m.ID
			}
		}
	}
	s.t.Fatalf("fixture: no e-mail with a token to %s", addr)
	return "", 0
}

// sweepIDVariants turns ids into path segments: each id, its neighbours,
// its negative and other spellings of it, then junk. Values that parse to
// one of skip (the attacker's own things) are left out.
func sweepIDVariants(ids []int64, skip map[int64]bool) []string {
	var out []string
	seen := map[string]bool{}
	add := func(v string) {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && skip[n] {
			return
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, id := range ids {
		n := strconv.FormatInt(id, 10)
		for _, v := range []string{n, strconv.FormatInt(id+1, 10), strconv.FormatInt(id-1, 10), "-" + n, "00" + n, "+" + n, n + "abc"} {
			add(v)
		}
	}
	for _, v := range []string{"0", "-1", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"99999999999999999999999", "abc", "1e3", "0x1", "1.0", "%201", "%00", "null", "..", "%2e%2e", "1%2F2", "%27%20OR%201=1--"} {
		add(v)
	}
	return out
}

func sweepOtherMethod(m string) string {
	if m == http.MethodPost {
		return http.MethodGet
	}
	return http.MethodPost
}

// sweepRank orders roles and audiences: a role may use routes of its rank
// or below.
func sweepRank(x any) int {
	switch fmt.Sprint(x) {
	case account.RoleMember, string(audMember), string(audUser):
		return 1
	case account.RoleAdmin, string(audAdmin):
		return 2
	case account.RoleOwner, string(audOwner):
		return 3
	}
	return 0
}

func sweepRandom() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sweepBrowserURL resolves a Location the way a browser does (WHATWG URL
// parsing, http and https): backslashes count as slashes, tabs and
// newlines are dropped, surrounding spaces trimmed, and any number of
// slashes before a host count as two. Nil if it does not parse.
func sweepBrowserURL(base *url.URL, loc string) *url.URL {
	loc = strings.TrimSpace(strings.NewReplacer("\\", "/", "\t", "", "\n", "", "\r", "").Replace(loc))
	if strings.HasPrefix(loc, "//") {
		loc = "//" + strings.TrimLeft(loc, "/")
	}
	u, err := base.Parse(loc)
	if err != nil {
		return nil
	}
	return u
}

// sweepDiff lists the lines only in before (-) or only in after (+).
func sweepDiff(before, after string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	b, a := in(before), in(after)
	var out []string
	for _, l := range strings.Split(before, "\n") {
		if !a[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(after, "\n") {
		if !b[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
