// Package templates_test renders every page with sample data and checks
// the rules that hold across the UI: CSRF on every POST form, labels on
// every control, no inline styles or scripts (the CSP forbids them), the
// legal links in every footer, unique ids, and htmx targets that exist.
package templates_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"tidings/templates/account"
	"tidings/templates/app"
	"tidings/templates/auth"
	"tidings/templates/components"
	"tidings/templates/dev"
	"tidings/templates/errs"
	"tidings/templates/layout"
	"tidings/templates/public"
	"tidings/templates/team"
	"tidings/web/paths"
)

const token = `tok"<en>&`

var (
	op   = layout.Operator{Name: "Op Ltd", Email: "privacy@op.example", Address: "1 High St"}
	user = &layout.UserNav{Name: "Ana", Email: "ana@example.com", OrgName: "Acme", Role: "owner",
		Orgs: []layout.OrgChoice{{ID: 1, Name: "Acme", Current: true}, {ID: 2, Name: "Beta"}}}
	anon   = layout.Page{Title: "T", CSRF: token, Operator: op}
	member = layout.Page{Title: "T", CSRF: token, Operator: op, User: user, Dev: true, Section: "dashboard",
		Flash:   []layout.Flash{{Kind: "success", Text: "Saved."}},
		Banners: []layout.Banner{{Kind: "warning", Text: "Confirm your e-mail.", LinkText: "Profile", LinkURL: paths.Profile}}}
	when  = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	opts  = []components.Option{{Value: "a", Label: "A"}, {Value: "b", Label: "B"}}
	roles = []components.Option{{Value: "admin", Label: "Admin"}, {Value: "member", Label: "Member"}}
	doc   = public.PolicyDoc{Kind: "privacy", Title: "Privacy Policy", Version: 2, PublishedAt: when,
		Body: "1. Data\n1.1 What\n- Name\nText.\n2. Rights\nMore."}
	errsAll = components.FormErrors{"": "Fix this.", "email": "Bad e-mail.", "password": "Too short."}
)

func pages() map[string]templ.Component {
	return map[string]templ.Component{
		"home":          public.Home(anon),
		"home-signedin": public.Home(member),
		"policy":        public.Policy(anon, doc),
		"terms":         public.Terms(anon, doc),
		"privacy":       public.PrivacyCentre(anon, doc),
		"login":         auth.Login(anon, auth.LoginForm{Email: "a@b", Next: paths.Team, Errors: errsAll}),
		"signup": auth.Signup(anon, auth.SignupForm{Name: "Ana", TermsVersion: 3, PrivacyVersion: 4, Errors: errsAll,
			Industries: opts, CompanySizes: opts, Countries: opts, TimeZones: opts}),
		"check-email":  auth.CheckEmail(anon, "a@b"),
		"verify-ok":    auth.VerifyResult(anon, true, "Done."),
		"verify-bad":   auth.VerifyResult(anon, false, "Expired."),
		"forgot":       auth.Forgot(anon, auth.ForgotForm{Errors: errsAll}),
		"forgot-sent":  auth.Forgot(anon, auth.ForgotForm{Sent: true}),
		"reset":        auth.Reset(anon, auth.ResetForm{Token: "t", Errors: components.FormErrors{"token": "Expired."}}),
		"invite-new":   auth.AcceptInvite(anon, auth.InviteForm{Token: "t", OrgName: "Acme", Email: "b@c", Role: "member", NeedsAccount: true, TermsVersion: 1, PrivacyVersion: 1}),
		"invite-join":  auth.AcceptInvite(member, auth.InviteForm{Token: "t", OrgName: "Acme", InviterName: "Ana", Role: "admin"}),
		"policies":     auth.AcceptPolicies(member, auth.PoliciesForm{Docs: []auth.PendingDoc{{Kind: "privacy", Title: "Privacy Policy", Version: 2, URL: paths.PrivacyPolicy}, {Kind: "terms", Title: "Terms", Version: 3, URL: paths.Terms}}}),
		"dashboard":    app.Dashboard(member, app.DashboardData{FirstName: "Ana", OrgName: "Acme"}),
		"dashboard-ok": app.Dashboard(member, app.DashboardData{FirstName: "Ana", EmailVerified: true, Todo: []app.TodoItem{{Text: "One", Done: true}, {Text: "Two", LinkText: "Go", URL: paths.Team}}}),
		"profile":      account.Profile(member, account.ProfileData{Name: "Ana", Email: "a@b", CreatedAt: when, TimeZone: "Europe/Berlin"}, account.PasswordForm{Errors: errsAll}),
		"profile-done": account.Profile(member, account.ProfileData{Name: "Ana", Email: "a@b", EmailVerified: true}, account.PasswordForm{Done: true}),
		"sessions": account.Sessions(member,
			[]account.SessionRow{{ID: 1, Current: true, Device: "Firefox", IP: "192.0.2.1", CreatedAt: when, LastSeenAt: when}, {ID: 2, Device: "Safari", CreatedAt: when, LastSeenAt: when}},
			[]account.LoginRow{{At: when, IP: "192.0.2.1", Success: true}, {At: when}}, time.UTC),
		"sessions-empty": account.Sessions(member, []account.SessionRow{{ID: 1, Current: true, CreatedAt: when, LastSeenAt: when}}, nil, nil),
		"team": team.Team(member, team.TeamData{CanManage: true, Roles: roles,
			Members: []team.MemberRow{{UserID: 1, Name: "Ana", Email: "a@b", Role: "owner", IsYou: true}, {UserID: 2, Email: "c@d", Role: "member"}},
			Invites: []team.InviteRow{{ID: 5, Email: "e@f", Role: "admin", ExpiresAt: when}},
			Form:    team.InviteForm{Email: "x", Errors: components.FormErrors{"email": "Bad."}}}),
		"team-readonly": team.Team(member, team.TeamData{Roles: roles, Members: []team.MemberRow{{UserID: 1, Name: "Ana", Role: "owner", IsYou: true}, {UserID: 2, Name: "Bo", Role: "member"}}}),
		"outbox":        dev.Outbox(member, []dev.Mail{{ID: 1, To: "a@b", Subject: "Hi", SentAt: when}, {ID: 2, To: "c@d", SentAt: when.Add(time.Hour)}}),
		"outbox-empty":  dev.Outbox(member, nil),
		"outbox-msg":    dev.OutboxMessage(member, dev.Mail{ID: 1, To: "a@b", Subject: "Hi", Text: "Open http://localhost:8080/verify-email?token=x.\nBye", SentAt: when}),
		"error":         errs.Error(anon, 404, "", ""),
		"error-app":     errs.Error(member, 500, "Oops", "Try later."),
	}
}

func render(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var sb strings.Builder
	if err := c.Render(templ.WithNonce(context.Background(), "n0nce"), &sb); err != nil {
		t.Fatalf("render: %v", err)
	}
	d, err := goquery.NewDocumentFromReader(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return d, sb.String()
}

func TestEveryPage(t *testing.T) {
	for name, c := range pages() {
		t.Run(name, func(t *testing.T) {
			d, _ := render(t, c)
			checkShell(t, d)
			checkCSP(t, d)
			checkForms(t, d)
			checkLabels(t, d)
			checkIDs(t, d)
			checkLinks(t, d)
		})
	}
}

func checkShell(t *testing.T, d *goquery.Document) {
	t.Helper()
	if d.Find("main#main").Length() != 1 || d.Find(`a.skip-link[href="#main"]`).Length() != 1 {
		t.Error("no main#main with a skip link")
	}
	var h map[string]string
	if err := json.Unmarshal([]byte(d.Find("body").AttrOr("hx-headers", "")), &h); err != nil || h["X-CSRF-Token"] != token {
		t.Errorf("hx-headers %q: %v", d.Find("body").AttrOr("hx-headers", ""), err)
	}
	footer := d.Find(`footer[data-testid="footer"]`)
	if footer.Find(`a[href="`+paths.PrivacyPolicy+`"]`).Length() != 1 || footer.Find(`a[href="`+paths.Terms+`"]`).Length() != 1 {
		t.Error("footer lacks the policy and terms links")
	}
	if !strings.Contains(footer.Text(), op.Address) || footer.Find(`a[href="mailto:`+op.Email+`"]`).Length() != 1 {
		t.Error("footer lacks the operator's contact details")
	}
	if d.Find(`meta[name="htmx-config"]`).Length() != 1 {
		t.Error("no htmx-config")
	}
	if !strings.HasSuffix(d.Find("title").Text(), "· Tidings") {
		t.Errorf("title %q", d.Find("title").Text())
	}
}

// checkCSP: no inline styles, no inline scripts, no event-handler attributes.
func checkCSP(t *testing.T, d *goquery.Document) {
	t.Helper()
	if n := d.Find("[style], style").Length(); n > 0 {
		t.Errorf("%d inline styles", n)
	}
	d.Find("script").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("src", "") == "" || s.AttrOr("nonce", "") != "n0nce" || strings.TrimSpace(s.Text()) != "" {
			t.Errorf("script without src or nonce: %v", s.Nodes[0].Attr)
		}
	})
	d.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(a.Key, "on") || strings.HasPrefix(a.Key, "hx-on") {
				t.Errorf("event handler attribute %s on <%s>", a.Key, s.Nodes[0].Data)
			}
		}
	})
}

func checkForms(t *testing.T, d *goquery.Document) {
	t.Helper()
	d.Find("form").Each(func(_ int, f *goquery.Selection) {
		if f.AttrOr("method", "") != "post" {
			t.Errorf("form to %s is not a POST", f.AttrOr("action", "?"))
		}
		if f.AttrOr("action", "") == "" {
			t.Error("form without action: it would not work without JavaScript")
		}
		if f.Find(`input[type=hidden][name=_csrf]`).AttrOr("value", "") != token {
			t.Errorf("form to %s lacks the _csrf token", f.AttrOr("action", "?"))
		}
		if target, ok := f.Attr("hx-target"); ok {
			if f.AttrOr("hx-post", "") != f.AttrOr("action", "") {
				t.Errorf("hx-post %q differs from action %q", f.AttrOr("hx-post", ""), f.AttrOr("action", ""))
			}
			if f.ParentsFiltered(target).Length() != 1 {
				t.Errorf("hx-target %s is not the form's wrapper", target)
			}
		}
	})
}

func checkLabels(t *testing.T, d *goquery.Document) {
	t.Helper()
	d.Find("input, select, textarea").Each(func(_ int, c *goquery.Selection) {
		switch c.AttrOr("type", "") {
		case "hidden", "submit", "button":
			return
		}
		id := c.AttrOr("id", "")
		if c.AttrOr("aria-label", "") != "" || c.ParentsFiltered("label").Length() > 0 {
			return
		}
		if id == "" || d.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("control %s (id %q) has no label", c.AttrOr("name", "?"), id)
		}
	})
	d.Find(`[aria-describedby]`).Each(func(_ int, c *goquery.Selection) {
		for _, id := range strings.Fields(c.AttrOr("aria-describedby", "")) {
			if d.Find("#"+id).Length() != 1 {
				t.Errorf("aria-describedby points at missing #%s", id)
			}
		}
	})
}

func checkIDs(t *testing.T, d *goquery.Document) {
	t.Helper()
	seen := map[string]bool{}
	d.Find("[id]").Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("id", "")
		if seen[id] {
			t.Errorf("duplicate id %q", id)
		}
		seen[id] = true
	})
}

func checkLinks(t *testing.T, d *goquery.Document) {
	t.Helper()
	d.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		href := a.AttrOr("href", "")
		if href == "" || href == "about:invalid#TemplFailedSanitizationURL" {
			t.Errorf("bad link %q (%s)", href, a.Text())
		}
		if a.AttrOr("target", "") == "_blank" && a.AttrOr("rel", "") != "noopener noreferrer" {
			t.Errorf("link to %s opens a new tab without rel=noopener noreferrer", href)
		}
	})
}

func TestAppShell(t *testing.T) {
	d, _ := render(t, app.Dashboard(member, app.DashboardData{FirstName: "Ana"}))
	if d.Find(`a[data-testid="nav-dashboard"][aria-current="page"]`).AttrOr("href", "") != paths.Dashboard {
		t.Error("dashboard nav item missing or not current")
	}
	for key, href := range map[string]string{"contacts": paths.Contacts, "campaigns": paths.Campaigns, "team": paths.Team, "whatsapp": paths.WhatsApp, "templates": paths.Templates} {
		if got := d.Find(`a[data-testid="nav-`+key+`"]`).AttrOr("href", ""); got != href {
			t.Errorf("nav-%s links to %q, want %q", key, got, href)
		}
	}
	for _, soon := range []string{"privacy-requests"} {
		s := d.Find(`[data-testid="nav-` + soon + `"]`)
		if s.Length() != 1 || goquery.NodeName(s) == "a" || !strings.Contains(s.Text(), "soon") {
			t.Errorf("nav-%s should be text marked soon, not a link", soon)
		}
	}
	if d.Find(`[data-testid="user-menu"] form[action="`+paths.Logout+`"] button[data-testid="logout"]`).Length() != 1 {
		t.Error("log out is not a POST form button in the user menu")
	}
	if d.Find(`[data-testid="org-switcher"] form[action="`+paths.SwitchOrg+`"] select[name=org_id] option[selected]`).AttrOr("value", "") != "1" {
		t.Error("org switcher missing or current org not selected")
	}
	if d.Find(`[data-testid="nav-dev"] a[href="`+paths.DevOutbox+`"]`).Length() != 1 {
		t.Error("dev tools nav missing")
	}
	if d.Find(`[data-testid="banner"] a[href="`+paths.Profile+`"]`).Length() != 1 {
		t.Error("banner missing")
	}
	if d.Find(`[data-testid="flash"]`).Length() != 1 {
		t.Error("flash missing")
	}
	if d.Find(`[data-testid="card"]`).Length() != 5 || !strings.Contains(d.Find(`[data-testid="figures"]`).Text(), "No messages sent yet") {
		t.Error("figure cards")
	}

	// One org: no switcher form; no dev flag: no dev nav.
	single := member
	single.Dev = false
	single.User = &layout.UserNav{Name: "Bo", Email: "bo@example.com", OrgName: "Solo", Role: "member"}
	d, _ = render(t, app.Dashboard(single, app.DashboardData{}))
	if d.Find(`[data-testid="org-switcher"] form`).Length() != 0 || d.Find(`[data-testid="org-name"]`).Text() != "Solo" {
		t.Error("single org should show its name, not a switcher")
	}
	if d.Find(`[data-testid="nav-dev"]`).Length() != 0 {
		t.Error("dev nav shown without Dev")
	}
}

func TestPublicShellNav(t *testing.T) {
	d, _ := render(t, public.Home(anon))
	if d.Find(`[data-testid="nav-login"]`).AttrOr("href", "") != paths.Login || d.Find(`[data-testid="nav-signup"]`).AttrOr("href", "") != paths.Signup {
		t.Error("anonymous header lacks log in / sign up")
	}
	d, _ = render(t, public.Home(member))
	if d.Find(`[data-testid="nav-login"]`).Length() != 0 || d.Find(`[data-testid="nav-open-app"]`).AttrOr("href", "") != paths.Dashboard {
		t.Error("signed-in header should offer Open app instead")
	}
}

func TestSignupForm(t *testing.T) {
	f := auth.SignupForm{Name: "Ana", Email: "a@b", Country: "b", TermsVersion: 3, PrivacyVersion: 4,
		Errors: components.FormErrors{"email": "Bad.", "accept_terms": "Please accept."}, Countries: opts}
	d, _ := render(t, auth.SignupFormFragment(anon, f))
	root := d.Find("body > *").First()
	if root.AttrOr("id", "") != "signup-form" {
		t.Fatalf("fragment root is %q", root.AttrOr("id", ""))
	}
	for _, name := range []string{"name", "email", "phone", "password", "business_name", "industry", "company_size", "country", "time_zone", "website", "adult", "accept_terms", "accept_privacy"} {
		if d.Find(`[name="`+name+`"]`).Length() != 1 {
			t.Errorf("no field %s", name)
		}
	}
	if d.Find(`input[name=terms_version]`).AttrOr("value", "") != "3" || d.Find(`input[name=privacy_version]`).AttrOr("value", "") != "4" {
		t.Error("versions not carried")
	}
	if v := d.Find(`input[name=password]`).AttrOr("value", ""); v != "" {
		t.Error("password refilled")
	}
	if d.Find(`select[name=country] option[selected]`).AttrOr("value", "") != "b" {
		t.Error("country not kept")
	}
	terms := d.Find(`label[for="f-accept_terms"]`)
	if terms.Find(`a[href="`+paths.Terms+`"][target=_blank]`).Length() != 1 || !strings.Contains(terms.Text(), "version 3") {
		t.Errorf("terms label %q", terms.Text())
	}
	if d.Find(`#f-email`).AttrOr("aria-invalid", "") != "true" || d.Find(`#f-email-error`).Text() != "Bad." {
		t.Error("e-mail error not next to the field")
	}
	if _, ok := d.Find(`#f-email`).Attr("autofocus"); !ok {
		t.Error("first invalid field should get the focus")
	}
	for name, ac := range map[string]string{"name": "name", "email": "email", "phone": "tel", "password": "new-password", "business_name": "organization"} {
		if got := d.Find(`[name="`+name+`"]`).AttrOr("autocomplete", ""); got != ac {
			t.Errorf("%s autocomplete %q, want %q", name, got, ac)
		}
	}
}

func TestFragmentsAreTheirOwnTargets(t *testing.T) {
	frags := map[string]templ.Component{
		"login-form":    auth.LoginFormFragment(anon, auth.LoginForm{}),
		"forgot-form":   auth.ForgotFormFragment(anon, auth.ForgotForm{}),
		"reset-form":    auth.ResetFormFragment(anon, auth.ResetForm{Token: "t"}),
		"invite-form":   team.InviteFormFragment(member, team.InviteForm{}, roles),
		"password-form": account.PasswordFormFragment(member, account.PasswordForm{}),
		"policies-form": auth.AcceptPoliciesFormFragment(member, auth.PoliciesForm{}),
	}
	for id, c := range frags {
		d, html := render(t, c)
		if strings.Contains(html, "<html") {
			t.Errorf("%s: fragment renders a whole page", id)
		}
		if got := d.Find("body > *").First().AttrOr("id", ""); got != id {
			t.Errorf("fragment root id %q, want %q", got, id)
		}
		if got := d.Find("form").AttrOr("hx-target", ""); got != "#"+id {
			t.Errorf("%s: hx-target %q", id, got)
		}
		if d.Find("form").AttrOr("hx-swap", "") != "outerHTML" {
			t.Errorf("%s: hx-swap", id)
		}
		checkForms(t, d)
	}
}

func TestTeamControls(t *testing.T) {
	d, _ := render(t, pages()["team"])
	you := d.Find(`[data-testid="member-row"][data-user-id="1"]`)
	if you.Find("form").Length() != 0 {
		t.Error("controls shown for yourself")
	}
	other := d.Find(`[data-testid="member-row"][data-user-id="2"]`)
	if other.Find(`form[action="`+paths.MemberRole(2)+`"] select[name=role]`).Length() != 1 {
		t.Error("no role form for another member")
	}
	if other.Find(`form[action="`+paths.MemberRemove(2)+`"]`).Length() != 1 {
		t.Error("no remove form for another member")
	}
	if d.Find(`[data-testid="invite-row"] form[action="`+paths.InviteRevoke(5)+`"]`).Length() != 1 {
		t.Error("no withdraw form")
	}
	d, _ = render(t, pages()["team-readonly"])
	if d.Find(`main form`).Length() != 0 {
		t.Error("forms shown without CanManage")
	}
}

func TestSessionsAndOutbox(t *testing.T) {
	d, _ := render(t, pages()["sessions"])
	if d.Find(`[data-testid="session-row"][data-current="true"] form`).Length() != 0 {
		t.Error("the current session can be revoked")
	}
	if d.Find(`[data-testid="session-row"] form[action="`+paths.SessionRevoke(2)+`"]`).Length() != 1 {
		t.Error("no revoke for the other session")
	}
	if d.Find(`form[action="`+paths.SessionsRevokeOthers+`"]`).Length() != 1 {
		t.Error("no sign out everywhere else")
	}
	if !strings.Contains(d.Find("main").Text(), "UTC") {
		t.Error("zone not shown")
	}

	d, _ = render(t, pages()["outbox"])
	rows := d.Find(`[data-testid="outbox-link"]`)
	if rows.Length() != 2 || rows.First().AttrOr("href", "") != paths.DevOutboxMessage(2) {
		t.Error("outbox not newest first")
	}
	if !strings.Contains(d.Find(`[data-testid="dev-banner"]`).Text(), "not in production") {
		t.Error("outbox not marked as a development tool")
	}
	d, _ = render(t, pages()["outbox-msg"])
	if d.Find(`pre [data-testid="mail-link"]`).AttrOr("href", "") != "http://localhost:8080/verify-email?token=x" {
		t.Error("mail link not clickable")
	}
}
