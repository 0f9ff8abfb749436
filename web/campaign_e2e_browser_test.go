package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tidings/internal/contact"
	"tidings/internal/sandbox"
	"tidings/web/browsertest"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// The product's main job, end to end in a real browser against the
// sandbox, with the worker's sender and webhook processor running: an
// owner writes a marketing template and waits for Meta's approval,
// composes a campaign from it (mapping with the phone preview, audience
// with its live count), reads the pre-send check, sends, and watches the
// report until the campaign completes and the delivery and read receipts
// (signed webhooks → /webhooks/whatsapp/:key → inbox → processor) fill
// the funnel. Then the sandbox's fake phone shows the messages as the
// recipients got them. Screenshots of every step go to
// test-artifacts/screenshots/.
func TestBrowserTemplateToFakePhone(t *testing.T) {
	e := webtest.New(t, webtest.Options{Worker: true})
	if err := e.Sandbox.Configure(func(c *sandbox.Config) {
		c.TemplateReviewDelay = time.Second
		// Every message delivered and read, so the funnel's figures are exact.
		c.DeliveredProb, c.ReadProb = 1, 1
	}); err != nil {
		t.Fatal(err)
	}
	owner := e.NewOwner("Florist")
	connectSandbox(t, e, owner, "100000000000061", "100000000000062", "Petal Florist")
	for i, name := range []string{"Ann Lee", "Ben Okafor", "Cleo Diaz"} {
		newTestContact(t, e, owner, name, fmt.Sprintf("07911 1250%02d", i))
	}
	if _, err := e.Contacts.Create(context.Background(), owner.OrgID, owner.UserID,
		contact.ContactInput{Phone: "07911 125099", Country: "GB", Name: "Dan Unknown", Tags: []string{"vip"}}); err != nil {
		t.Fatal(err)
	}

	tab := browsertest.New(t)
	ctx, cancel := context.WithTimeout(tab, 120*time.Second)
	defer cancel()
	b := &browser{t: t, e: e, ctx: ctx, tab: tab, console: browsertest.WatchConsole(t, tab)}
	start := time.Now()

	b.do("log in", chromedp.Navigate(e.URL+paths.Login), chromedp.WaitVisible(tid("login-form")),
		chromedp.SendKeys(chromedp.ID("f-email"), owner.Email), chromedp.SendKeys(chromedp.ID("f-password"), owner.Password))
	b.submit("log in", `[data-testid="login-form"] form`, tid("login-submit"), chromedp.WaitVisible(tid("dashboard")))

	// 1. The template: written, submitted, approved by Meta's review.
	b.do("open templates", chromedp.Click(tid("nav-templates")), chromedp.WaitVisible(tid("empty-state")))
	b.do("new template", chromedp.Click(chromedp.CSS(`main a[href="`+paths.TemplateNew+`"]`)), chromedp.WaitVisible(tid("template-form")))
	b.do("write it", chromedp.SendKeys(chromedp.ID("f-name"), "weekend_offer"),
		chromedp.SetValue(chromedp.ID("f-category"), "MARKETING"),
		chromedp.SendKeys(chromedp.ID("f-body"), "Hi {{1}}, {{2}} off all bouquets this weekend."),
		chromedp.WaitVisible(chromedp.ID("f-example-2")),
		chromedp.SendKeys(chromedp.ID("f-example-1"), "Ann"),
		chromedp.SendKeys(chromedp.ID("f-example-2"), "20%"),
		chromedp.SendKeys(chromedp.ID("f-footer"), "Reply STOP to opt out"))
	b.do("the preview follows", chromedp.Poll[chromedp.Void](`(document.querySelector('[data-testid="bubble-body"]')||{}).textContent === 'Hi Ann, 20% off all bouquets this weekend.'`,
		chromedp.WithPollingTimeout(10*time.Second)))
	b.settle("preview settles")
	b.page("e2e-template-new")
	b.submit("submit the template", `[data-testid="template-form"] form`, tid("template-submit"), chromedp.WaitVisible(tid("template-facts")))
	if got := b.text("status", tid("template-status")); !strings.Contains(got, "In review") {
		t.Errorf("template status after submitting: %q", got)
	}
	b.page("e2e-template-pending")
	deadline := time.Now().Add(45 * time.Second)
	for !strings.Contains(b.text("status", tid("template-status")), "Approved") {
		if time.Now().After(deadline) {
			b.fail("wait for approval", context.DeadlineExceeded)
		}
		time.Sleep(300 * time.Millisecond)
		b.do("reload", chromedp.Reload(), chromedp.WaitVisible(tid("template-facts")))
	}
	b.page("e2e-template-approved")
	t.Logf("template approved after %s", time.Since(start).Round(time.Millisecond))

	// 2. The campaign: named, the approved template picked, its variables
	// mapped while the phone preview follows, the audience counted live.
	b.do("open campaigns", chromedp.Click(tid("nav-campaigns")), chromedp.WaitVisible(tid("empty-state")))
	b.do("new campaign", chromedp.Click(tid("campaign-new")), chromedp.WaitVisible(tid("campaign-new-form")),
		chromedp.SendKeys(chromedp.ID("f-name"), "Weekend bouquets"))
	tplValue, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(Array.from(document.querySelectorAll('#f-template_id option')).
		find(o => o.textContent.includes('weekend_offer')) || {value: ''}).value`))
	if err != nil || tplValue == "" {
		b.fail("the approved template is offered", fmt.Errorf("%q %v", tplValue, err))
	}
	b.do("pick the template", chromedp.SetValue(chromedp.ID("f-template_id"), tplValue))
	b.submit("create", `[data-testid="campaign-new-form"] form`, tid("campaign-create"), chromedp.WaitVisible(tid("campaign-form")))
	b.choose("map {{1}}", "map.body.1.source", "first_name")
	b.do("fallback for {{1}}", chromedp.SendKeys(chromedp.CSS(`[name="map.body.1.fallback"]`), "there"))
	b.choose("map {{2}}", "map.body.2.source", "text")
	b.do("text for {{2}}", chromedp.SendKeys(chromedp.CSS(`[name="map.body.2.value"]`), "20%"))
	b.waitText("preview renders the first contact", tid("preview-body"), "Hi Ann, 20% off all bouquets this weekend.")
	b.settle("preview settles")
	b.do("next contact", chromedp.Click(tid("preview-next")))
	b.waitText("preview steps to the next contact", tid("preview-body"), "Hi Ben, 20% off all bouquets this weekend.")
	b.settle("preview settles again")
	b.do("tag rule", chromedp.SendKeys(chromedp.CSS(`[name="audience.tags"]`), "vip"),
		chromedp.WaitVisible(chromedp.CSS(`#audience-count[data-count="4"]`)))
	b.settle("count settles")
	b.page("e2e-campaign-composed")

	// 3. The pre-send check: three will receive it, one has no consent.
	b.submit("save", `#campaign-form`, tid("campaign-save"), chromedp.WaitVisible(tid("flash")), chromedp.WaitVisible(tid("presend-check")))
	if b.count(`[data-testid="check-will-receive"][data-count="3"]`) != 1 {
		t.Errorf("the check's recipients: %q", b.text("will receive", tid("check-will-receive")))
	}
	if b.count(`[data-testid="check-reason"][data-reason="no_consent"] td[data-count="1"]`) != 1 {
		t.Error("the check does not show the contact without consent")
	}
	b.page("e2e-campaign-check")

	// 4. Send, and watch it complete: the report polls until the campaign
	// is done, then keeps refreshing while receipts arrive.
	b.do("send now", chromedp.Click(chromedp.CSS(`[data-testid="campaign-send"] summary`)), chromedp.WaitVisible(tid("campaign-send-yes")))
	sent := time.Now()
	b.do("confirm", chromedp.Click(tid("campaign-send-yes")), chromedp.WaitVisible(tid("campaign-status")))
	b.page("e2e-campaign-report-started")
	b.do("completes", chromedp.WaitVisible(chromedp.CSS(`[data-testid="campaign-status"][data-status="completed"]`)))
	t.Logf("campaign completed %s after send", time.Since(sent).Round(time.Millisecond))
	if b.count(`[data-testid="campaign-status"][hx-trigger="every 5s"]`) != 1 {
		t.Error("the report of a campaign that just completed stops refreshing before the receipts arrive")
	}
	if b.count(`[data-testid="campaign-status"] progress[value="3"][max="3"]`) != 1 {
		t.Errorf("progress at completion: %q", b.text("progress", chromedp.CSS(`[data-testid="campaign-status"] [data-testid="progress"]`)))
	}
	b.do("receipts fill the funnel", chromedp.Poll[chromedp.Void](`(() => {
		const fig = id => ((document.querySelector('[data-testid="' + id + '"]') || {closest: () => null}).closest('[data-testid="card"]') || {}).querySelector?.('.card__figure')?.textContent.trim();
		return fig('funnel-sent') === '3' && fig('funnel-delivered') === '3' && fig('funnel-read') === '3';
	})()`, chromedp.WithPollingTimeout(45*time.Second)))
	t.Logf("every message read %s after send", time.Since(sent).Round(time.Millisecond))
	if got := b.text("badge", chromedp.CSS(`[data-testid="campaign-status"] [data-testid="badge"]`)); got != "Sent" {
		t.Errorf("status badge %q", got)
	}
	b.do("reload the report", chromedp.Reload(), chromedp.WaitVisible(tid("recipients-table")))
	if n := b.count(`[data-testid="recipient-row"][data-status="read"]`); n != 3 {
		t.Errorf("%d recipients read, want 3", n)
	}
	b.page("e2e-campaign-report-completed")
	browsertest.ScreenshotMobile(t, ctx, "e2e-campaign-report-completed-mobile")

	// 5. The fake phone (the dev menu links it): each recipient got the
	// message with their name, read; the one without consent got nothing.
	link, err := chromedp.Run(b.ctx, chromedp.AttributeValue(tid("nav-fake-phone"), "href"))
	href := link.Value
	if err != nil || href != e.FakePhoneURL() {
		b.fail("the dev menu links the fake phone", fmt.Errorf("%q %v", href, err))
	}
	b.do("open the fake phone", chromedp.Navigate(href), chromedp.WaitVisible(tid("chat-list")))
	if n := b.count(`[data-testid="chat-link"]`); n != 3 {
		t.Errorf("%d phones in the fake phone, want 3", n)
	}
	if b.count(`[data-testid="chat-link"][href$="/447911125099"]`) != 0 {
		t.Error("the contact without consent got a message")
	}
	b.page("e2e-fake-phone")
	b.do("open Ann's phone", chromedp.Click(chromedp.CSS(`[data-testid="chat-link"][href$="/447911125000"]`)), chromedp.WaitVisible(tid("bubbles")))
	if got := b.text("Ann's message", tid("bubble-body")); got != "Hi Ann, 20% off all bouquets this weekend." {
		t.Errorf("Ann's phone shows %q", got)
	}
	if got := b.text("ticks", chromedp.CSS(`[data-testid="bubble"] .status-word`)); got != "Read" {
		t.Errorf("Ann's message is %q, want Read", got)
	}
	b.page("e2e-fake-phone-ann")
	browsertest.ScreenshotMobile(t, ctx, "e2e-fake-phone-ann-mobile")
	b.do("Cleo's phone", chromedp.Navigate(href+"/447911125002"), chromedp.WaitVisible(tid("bubbles")))
	if got := b.text("Cleo's message", tid("bubble-body")); got != "Hi Cleo, 20% off all bouquets this weekend." {
		t.Errorf("Cleo's phone shows %q", got)
	}
	t.Logf("end to end in %s", time.Since(start).Round(time.Millisecond))
}
