package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"tidings/web/browsertest"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// tid selects by data-testid.
func tid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// browser drives one Chromium tab against one webtest server and fails
// the test, with a screenshot of where it stood, at the first step that
// does not work.
type browser struct {
	t       *testing.T
	e       *webtest.Env
	ctx     context.Context // bounded: the whole test's deadline
	tab     context.Context // unbounded: for the failure screenshot
	console *browsertest.Watch
}

func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.fail(step, err)
	}
}

func (b *browser) fail(step string, err error) {
	b.t.Helper()
	b.t.Errorf("%s: %v", step, err)
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	defer cancel()
	if loc, lerr := chromedp.Run(ctx, chromedp.Location()); lerr == nil {
		b.t.Logf("the browser was at %s", loc)
	}
	browsertest.Screenshot(b.t, ctx, "FAILED-"+step)
	b.t.FailNow()
}

func (b *browser) text(step string, sel chromedp.CSS) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(sel))
	if err != nil {
		b.fail(step, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// count is the number of elements that match sel now, without waiting.
func (b *browser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	if err != nil {
		b.fail("count "+sel, err)
	}
	return n
}

// at asserts the page's path (and, if non-empty, its query).
func (b *browser) at(step, path string, query url.Values) {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.fail(step, err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.fail(step, err)
	}
	if u.Path != path || (query != nil && u.Query().Encode() != query.Encode()) {
		b.t.Fatalf("%s: the browser is at %s, want %s?%s", step, loc, path, query.Encode())
	}
}

// page takes the screenshot of a page and reports what its console said.
func (b *browser) page(name string) {
	b.t.Helper()
	browsertest.Screenshot(b.t, b.ctx, name)
	b.console.Check(b.t, name)
}

// tick checks a checkbox unless it already is (a re-rendered form keeps
// the ticks).
func (b *browser) tick(step, id string) {
	b.t.Helper()
	checked, err := chromedp.Run(b.ctx, chromedp.JavascriptAttribute[bool](chromedp.ID(id), "checked"))
	if err != nil {
		b.fail(step, err)
	}
	if !checked {
		b.do(step, chromedp.Click(chromedp.ID(id)))
	}
}

// submit clicks a form's submit button, after checking the browser's own
// validation would let the form go (else the click does nothing and the
// test would only time out).
func (b *browser) submit(step, form string, button chromedp.CSS, then ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	invalid, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(`+jsString(form+` :invalid`)+`)).
		filter(el => el.willValidate).map(el => el.name + ": " + el.validationMessage)`))
	if err != nil {
		b.fail(step, err)
	}
	if len(invalid) > 0 {
		b.fail(step, fmt.Errorf("the browser will not submit the form: %s", strings.Join(invalid, "; ")))
	}
	b.do(step, append([]chromedp.Action[chromedp.Void]{chromedp.Click(button)}, then...)...)
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}

func (b *browser) users() int64 {
	b.t.Helper()
	var n int64
	err := b.e.Ops.Tx(context.Background(), "browser test", func(tx *gorm.DB) error {
		return tx.Raw(`SELECT count(*) FROM users`).Scan(&n).Error
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

// A new visitor signs up in a real browser, confirms the address from the
// e-mail in the dev outbox, logs in, sees their dashboard and logs out.
// Along the way: a first sign-up attempt with a bad address and a short
// password shows the errors next to those fields (htmx swaps the form on
// 422) and creates nothing; every page is screenshotted under
// test-artifacts/screenshots/; and nothing goes to the console or
// violates the Content Security Policy.
func TestBrowserSignupVerifyLoginLogout(t *testing.T) {
	e := webtest.New(t)
	tab := browsertest.New(t)
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	b := &browser{t: t, e: e, ctx: ctx, tab: tab, console: browsertest.WatchConsole(t, tab)}
	// Chromium logs every 4xx answer to a script's request as an error; the
	// 422 of the failed sign-up is on purpose (htmx swaps the form with it).
	b.console.Ignore(`the server responded with a status of 422 .*\(` + paths.Signup + `\)$`)

	const (
		name     = "Ada Lovelace"
		email    = "ada.lovelace@example.test"
		phone    = "07911 123456"
		password = "Analytical-Engine-1843"
		business = "Lovelace Analytics"
	)
	e.Secret(password)
	e.Secret("+447911123456")

	// Home → Sign up.
	b.do("home", chromedp.Navigate(e.URL+paths.Home), chromedp.WaitVisible(tid("home-hero")))
	b.page("home")
	b.do("click Sign up", chromedp.Click(tid("nav-signup")), chromedp.WaitVisible(tid("signup-form")))
	b.at("sign-up page", paths.Signup, nil)
	b.page("signup")

	// Everything right but the address (fine for the browser's own
	// type=email check, not for the server) and the password (too short).
	b.do("fill the sign-up form",
		chromedp.SendKeys(chromedp.ID("f-name"), name),
		chromedp.SendKeys(chromedp.ID("f-email"), "ada@localhost"),
		chromedp.SendKeys(chromedp.ID("f-phone"), phone),
		chromedp.SendKeys(chromedp.ID("f-password"), "short"),
		chromedp.SendKeys(chromedp.ID("f-business_name"), business),
		// The field is type=url: the browser wants the scheme, although the
		// server would take "lovelace.example".
		chromedp.SendKeys(chromedp.ID("f-website"), "https://lovelace.example"),
		chromedp.SetValue(chromedp.ID("f-industry"), "services"),
		chromedp.SetValue(chromedp.ID("f-company_size"), "2-10"),
		chromedp.SetValue(chromedp.ID("f-country"), "GB"),
		chromedp.SetValue(chromedp.ID("f-time_zone"), "Europe/London"),
	)
	for _, id := range []string{"f-adult", "f-accept_terms", "f-accept_privacy"} {
		b.tick("tick "+id, id)
	}
	b.submit("submit the sign-up form with errors", `[data-testid="signup-form"] form`, tid("signup-submit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="field-email"] [data-testid="field-error"]`)),
	)
	b.at("after the failed sign-up", paths.Signup, nil)
	if got := b.text("e-mail error", `[data-testid="field-email"] [data-testid="field-error"]`); !strings.Contains(got, "e-mail address like") {
		t.Errorf("e-mail error = %q", got)
	}
	if got := b.text("password error", `[data-testid="field-password"] [data-testid="field-error"]`); !strings.Contains(got, "at least") {
		t.Errorf("password error = %q", got)
	}
	if n := b.count(`[data-testid="field-error"]`); n != 2 {
		t.Errorf("%d field errors shown, want 2 (e-mail and password only)", n)
	}
	for _, id := range []string{"f-email", "f-password"} {
		if n := b.count(`#` + id + `[aria-invalid="true"][aria-describedby~="` + id + `-error"]`); n != 1 {
			t.Errorf("#%s is not marked invalid and tied to its error", id)
		}
	}
	if n := b.count(`[data-testid="signup-form"]`); n != 1 {
		t.Errorf("%d sign-up forms on the page after the swap, want 1", n)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-business_name"))); got != business {
		t.Errorf("business name after the failed sign-up = %q, want it kept", got)
	}
	if n := b.users(); n != 0 {
		t.Errorf("the failed sign-up created %d users", n)
	}
	if n := len(e.Outbox.List()); n != 0 {
		t.Errorf("the failed sign-up sent %d e-mails", n)
	}
	b.page("signup-errors")

	// Put it right: the address, and the password again (never sent back).
	b.do("correct the sign-up form",
		chromedp.Clear(chromedp.ID("f-email")),
		chromedp.SendKeys(chromedp.ID("f-email"), email),
		chromedp.SendKeys(chromedp.ID("f-password"), password),
	)
	for _, id := range []string{"f-adult", "f-accept_terms", "f-accept_privacy"} {
		b.tick("tick "+id+" again", id)
	}
	b.submit("submit the sign-up form", `[data-testid="signup-form"] form`, tid("signup-submit"), chromedp.WaitVisible(tid("check-email")))
	if got := b.text("check-email address", tid("check-email-address")); got != email {
		t.Errorf("check-your-inbox page names %q, want %q", got, email)
	}
	if n := b.count(`.site-header`); n != 1 {
		t.Errorf("the check-your-inbox page has %d site headers, want 1 (a whole page swapped into the form?)", n)
	}
	if n := b.users(); n != 1 {
		t.Errorf("sign-up made %d users, want 1", n)
	}
	b.page("check-email")

	// The dev outbox: the newest e-mail is the verification link.
	b.do("outbox", chromedp.Navigate(e.URL+paths.DevOutbox), chromedp.WaitVisible(tid("outbox-table")))
	if got := b.text("newest e-mail's recipient", `[data-testid="outbox-row"]:first-child td[data-label="To"]`); got != email {
		t.Errorf("newest e-mail went to %q, want %q", got, email)
	}
	b.page("outbox")
	b.do("open the newest e-mail",
		chromedp.Click(chromedp.CSS(`[data-testid="outbox-row"]:first-child [data-testid="outbox-link"]`)),
		chromedp.WaitVisible(tid("mail-body")))
	if got := b.text("e-mail recipient", tid("mail-to")); got != email {
		t.Errorf("the e-mail is to %q, want %q", got, email)
	}
	b.page("outbox-message")
	b.do("click the verification link",
		chromedp.Click(chromedp.CSS(`[data-testid="mail-link"][href*="`+paths.VerifyEmail+`?token="]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="verify-result"][data-ok="true"]`)))
	if got := b.text("verification message", tid("verify-message")); !strings.Contains(got, "confirmed") {
		t.Errorf("verification message = %q", got)
	}
	b.page("verified")

	// "Continue to Tidings" asks a visitor who is not signed in to log in
	// first, and comes back to the dashboard after.
	b.do("continue to Tidings", chromedp.Click(chromedp.CSS(`[data-testid="verify-result"] a.btn--primary`)), chromedp.WaitVisible(tid("login-form")))
	b.at("login page", paths.Login, url.Values{"next": {paths.Dashboard}})
	b.page("login")
	b.do("fill the login form",
		chromedp.SendKeys(chromedp.ID("f-email"), email),
		chromedp.SendKeys(chromedp.ID("f-password"), password))
	b.submit("log in", `[data-testid="login-form"] form`, tid("login-submit"), chromedp.WaitVisible(tid("dashboard")))
	b.at("dashboard", paths.Dashboard, nil)
	head := b.text("dashboard header", tid("dashboard"))
	if !strings.Contains(head, business) {
		t.Errorf("dashboard header %q does not name the business %q", head, business)
	}
	if !strings.Contains(head, "Welcome, Ada") {
		t.Errorf("dashboard header %q does not greet Ada by her first name", head)
	}
	if got := b.text("org name", tid("org-name")); got != business {
		t.Errorf("sidebar organisation = %q, want %q", got, business)
	}
	if got := b.text("user menu", tid("user-menu")); !strings.Contains(got, name) || !strings.Contains(got, email) {
		t.Errorf("user menu = %q, want the name and the e-mail", got)
	}
	if n := b.count(`[data-testid="banner"]`); n != 0 {
		t.Errorf("%d banners on the dashboard of a verified user, want none: %q", n, b.text("banners", tid("banners")))
	}
	if n := b.count(`[data-testid="checklist"] [data-testid="todo"][data-done="true"]`); n != 1 {
		t.Errorf("%d done items in Getting started, want 1 (the confirmed e-mail)", n)
	}
	b.page("dashboard")
	browsertest.ScreenshotMobile(t, ctx, "dashboard-mobile")
	b.console.Check(t, "dashboard (mobile)")

	// Log out from the user menu.
	b.do("log out",
		chromedp.Click(chromedp.CSS(`[data-testid="user-menu"] [data-testid="logout"]`)),
		chromedp.WaitVisible(tid("login-form")),
		chromedp.WaitVisible(tid("flash")))
	b.at("after logout", paths.Login, nil)
	if got := b.text("logout flash", tid("flash")); !strings.HasSuffix(got, "You are logged out.") {
		t.Errorf("flash after logout = %q", got)
	}
	b.page("logged-out")

	b.do("dashboard after logout", chromedp.Navigate(e.URL+paths.Dashboard), chromedp.WaitVisible(tid("login-form")))
	b.at("dashboard after logout", paths.Login, url.Values{"next": {paths.Dashboard}})
	if n := b.count(`[data-testid="dashboard"]`); n != 0 {
		t.Error("the dashboard shows after logout")
	}
	b.console.Check(t, "dashboard after logout")
}
