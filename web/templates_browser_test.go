package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tidings/internal/sandbox"
	"tidings/web/browsertest"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// An owner syncs the account's templates, writes a new one with a
// variable while the phone preview follows, is told what Meta's rules
// forbid, submits it, sees it in review, and sees it approved once Meta's
// status webhook arrives.
func TestBrowserCreateTemplate(t *testing.T) {
	// Worker: the webhook processor applies Meta's status webhooks.
	e := webtest.New(t, webtest.Options{Worker: true})
	if err := e.Sandbox.Configure(func(c *sandbox.Config) { c.TemplateReviewDelay = 2 * time.Second }); err != nil {
		t.Fatal(err)
	}
	owner := e.NewOwner("Baker")
	connectSandbox(t, e, owner, "100000000000051", "100000000000052", "Browser Bakery")

	tab := browsertest.New(t)
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	defer cancel()
	b := &browser{t: t, e: e, ctx: ctx, tab: tab, console: browsertest.WatchConsole(t, tab)}
	b.console.Ignore(`the server responded with a status of 422 .*\(` + paths.Templates + `\)$`)

	b.do("log in", chromedp.Navigate(e.URL+paths.Login), chromedp.WaitVisible(tid("login-form")),
		chromedp.SendKeys(chromedp.ID("f-email"), owner.Email), chromedp.SendKeys(chromedp.ID("f-password"), owner.Password))
	b.submit("log in", `[data-testid="login-form"] form`, tid("login-submit"), chromedp.WaitVisible(tid("dashboard")))
	b.do("open templates", chromedp.Click(tid("nav-templates")), chromedp.WaitVisible(tid("empty-state")))
	b.page("templates-empty")
	b.do("sync", chromedp.Click(tid("template-sync-submit")), chromedp.WaitVisible(tid("templates-table")))
	if n := b.count(`[data-testid="template-row"]`); n != 5 {
		t.Errorf("%d templates after the sync, want the sandbox's 5", n)
	}
	b.page("templates-synced")

	b.do("new template", chromedp.Navigate(e.URL+paths.TemplateNew), chromedp.WaitVisible(tid("template-form")))
	b.do("write it", chromedp.SendKeys(chromedp.ID("f-name"), "Pickup Ready"),
		chromedp.SendKeys(chromedp.ID("f-header"), "Your order"),
		chromedp.SendKeys(chromedp.ID("f-body"), "Hi {{1}}, your bread is ready. Collect it before 6 pm."),
		// htmx asks for an example field for {{1}} as the text changes.
		chromedp.WaitVisible(chromedp.ID("f-example-1")),
		chromedp.SendKeys(chromedp.ID("f-example-1"), "Ann"),
		chromedp.SendKeys(chromedp.ID("f-footer"), "Reply STOP to opt out"),
		chromedp.SetValue(chromedp.ID("f-button-0-type"), "QUICK_REPLY"),
		chromedp.SendKeys(chromedp.ID("f-button-0-text"), "Thanks!"))
	b.do("the preview follows", chromedp.Poll[chromedp.Void](`(document.querySelector('[data-testid="bubble-body"]')||{}).textContent === 'Hi Ann, your bread is ready. Collect it before 6 pm.'
		&& (document.querySelector('[data-testid="bubble-button"]')||{}).textContent === 'Thanks!'`, chromedp.WithPollingTimeout(10*time.Second)))
	b.page("template-new-preview")

	b.submit("submit with a bad name", `[data-testid="template-form"] form`, tid("template-submit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="field-name"] [data-testid="field-error"]`)))
	if got := b.text("name error", chromedp.CSS(`[data-testid="field-name"] [data-testid="field-error"]`)); !strings.Contains(got, "lowercase") {
		t.Errorf("name error: %q", got)
	}
	if got := b.text("preview kept", tid("bubble-body")); !strings.Contains(got, "Hi Ann") {
		t.Errorf("preview after the refusal: %q", got)
	}
	b.page("template-new-error")
	b.do("fix the name", chromedp.SetValue(chromedp.ID("f-name"), "pickup_ready"))
	b.submit("submit", `[data-testid="template-form"] form`, tid("template-submit"), chromedp.WaitVisible(tid("template-facts")))
	if got := b.text("status", tid("template-status")); !strings.Contains(got, "In review") {
		t.Errorf("status after submitting: %q", got)
	}
	if got := b.text("variables", tid("template-vars")); !strings.Contains(got, "{{1}}") {
		t.Errorf("variables: %q", got)
	}
	b.page("template-pending")

	// Meta approves it after its review; the page shows it on reload.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(b.text("status", tid("template-status")), "Approved") {
		if time.Now().After(deadline) {
			b.fail("wait for approval", context.DeadlineExceeded)
		}
		time.Sleep(300 * time.Millisecond)
		b.do("reload", chromedp.Reload(), chromedp.WaitVisible(tid("template-facts")))
	}
	b.page("template-approved")
	browsertest.ScreenshotMobile(t, ctx, "template-approved-mobile")
	b.do("back to the list", chromedp.Click(tid("nav-templates")), chromedp.WaitVisible(tid("templates-table")))
	if n := b.count(`[data-testid="template-row"]`); n != 6 {
		t.Errorf("%d templates in the list, want 6", n)
	}
	b.page("templates-after")
	browsertest.ScreenshotMobile(t, ctx, "templates-mobile")
	b.do("the form on a phone", chromedp.Navigate(e.URL+paths.TemplateNew), chromedp.WaitVisible(tid("template-form")))
	browsertest.ScreenshotMobile(t, ctx, "template-new-mobile")
}
