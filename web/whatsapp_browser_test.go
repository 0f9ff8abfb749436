package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tidings/internal/sandbox"
	"tidings/web/browsertest"
	"tidings/web/paths"
	"tidings/web/webtest"
)

const (
	sbWABA   = "100000000000011"
	sbPNID   = "100000000000012"
	sbToken  = "EAAGbrowsertesttoken0123456789"
	sbSecret = "browsertestappsecret0123"
)

// An owner connects their org to the sandbox in a real browser, tests the
// connection and sees the number's quality and messaging limit.
func TestBrowserConnectWhatsAppNumber(t *testing.T) {
	e := webtest.New(t, webtest.Options{Sandbox: true})
	e.Secret(sbToken)
	e.Secret(sbSecret)
	if err := e.Sandbox.AddNumber(sandbox.Number{WABAID: sbWABA, PhoneNumberID: sbPNID, DisplayPhoneNumber: "+1 555-010-0042",
		VerifiedName: "Browser Bakery", Token: sbToken, AppSecret: sbSecret, Quality: "GREEN", Tier: "TIER_10K"}); err != nil {
		t.Fatal(err)
	}
	owner := e.NewOwner("Browser")
	tab := browsertest.New(t)
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	b := &browser{t: t, e: e, ctx: ctx, tab: tab, console: browsertest.WatchConsole(t, tab)}
	b.console.Ignore(`the server responded with a status of 422 .*\(` + paths.WhatsApp + `\)$`)

	b.do("log in", chromedp.Navigate(e.URL+paths.Login), chromedp.WaitVisible(tid("login-form")),
		chromedp.SendKeys(chromedp.ID("f-email"), owner.Email), chromedp.SendKeys(chromedp.ID("f-password"), owner.Password))
	b.submit("log in", `[data-testid="login-form"] form`, tid("login-submit"), chromedp.WaitVisible(tid("dashboard")))
	b.do("open settings", chromedp.Click(tid("nav-whatsapp")), chromedp.WaitVisible(tid("wa-form")))
	b.page("whatsapp-empty")

	// A mistyped phone-number id is refused next to the field.
	b.do("fill the form", chromedp.SendKeys(chromedp.ID("f-waba_id"), sbWABA),
		chromedp.SendKeys(chromedp.ID("f-phone_number_id"), "12ab"),
		chromedp.SendKeys(chromedp.ID("f-access_token"), sbToken),
		chromedp.SendKeys(chromedp.ID("f-app_secret"), sbSecret))
	b.submit("save with a bad id", `[data-testid="wa-form"] form`, tid("wa-save"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="field-phone_number_id"] [data-testid="field-error"]`)))
	b.page("whatsapp-error")
	b.do("fix the id", chromedp.SetValue(chromedp.ID("f-phone_number_id"), sbPNID),
		chromedp.SendKeys(chromedp.ID("f-access_token"), sbToken), chromedp.SendKeys(chromedp.ID("f-app_secret"), sbSecret))
	b.submit("save", `[data-testid="wa-form"] form`, tid("wa-save"), chromedp.WaitVisible(tid("wa-status")))
	if body := b.text("page after save", chromedp.CSS("main")); strings.Contains(body, sbToken) || strings.Contains(body, sbSecret) {
		t.Fatal("the page shows a secret after saving")
	}
	b.page("whatsapp-saved")

	b.do("test the connection", chromedp.Click(tid("wa-test")), chromedp.WaitVisible(tid("wa-facts")))
	if got := b.text("quality", tid("wa-quality")); !strings.Contains(got, "green") {
		t.Errorf("quality shown as %q", got)
	}
	if got := b.text("tier", tid("wa-tier")); !strings.Contains(got, "10,000") {
		t.Errorf("messaging limit shown as %q", got)
	}
	if got := b.text("number", tid("wa-display-number")); !strings.Contains(got, "555-010-0042") || !strings.Contains(got, "Browser Bakery") {
		t.Errorf("number shown as %q", got)
	}
	hook := b.text("webhook URL", tid("wa-webhook-url"))
	if u, err := url.Parse(hook); err != nil || !strings.HasPrefix(u.Path, "/webhooks/whatsapp/") {
		t.Errorf("webhook URL %q", hook)
	}
	b.page("whatsapp-tested")
	browsertest.ScreenshotMobile(t, ctx, "whatsapp-tested-mobile")

	// A revoked token is explained in words, not as an error page.
	if err := e.Sandbox.ExpireToken(sbToken); err != nil {
		t.Fatal(err)
	}
	b.do("test with an expired token", chromedp.Click(tid("wa-test")), chromedp.WaitVisible(tid("wa-test-error")))
	if got := b.text("error", tid("wa-test-error")); !strings.Contains(got, "190") {
		t.Errorf("expired token explained as %q", got)
	}
	b.page("whatsapp-token-expired")
}
