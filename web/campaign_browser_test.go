package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"tidings/internal/campaign"
	"tidings/web"
	"tidings/web/browsertest"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// An admin composes a campaign in a real browser from an approved
// template: names it, maps the template's variables (watching the phone
// preview change and stepping to the next contact), builds the audience
// with its live count, saves, reads the pre-send check (one contact has no
// recorded consent), sends, and lands on the report while the campaign
// runs with its recipients frozen in the ledger (the sender is not running
// here: TestBrowserTemplateToFakePhone goes on to the end). Screenshots of every step
// go to test-artifacts/screenshots/.
func TestBrowserComposeAndSendCampaign(t *testing.T) {
	e := webtest.New(t)
	f := newCampaignFixture(t, e, "Bloom")
	tab := browsertest.New(t)
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	defer cancel()
	b := &browser{t: t, e: e, ctx: ctx, tab: tab, console: browsertest.WatchConsole(t, tab)}

	b.do("log in", chromedp.Navigate(e.URL+paths.Login), chromedp.WaitVisible(tid("login-form")),
		chromedp.SendKeys(chromedp.ID("f-email"), f.admin.Email), chromedp.SendKeys(chromedp.ID("f-password"), f.admin.Password))
	b.submit("log in", `[data-testid="login-form"] form`, tid("login-submit"), chromedp.WaitVisible(tid("dashboard")))
	b.do("open campaigns", chromedp.Click(tid("nav-campaigns")), chromedp.WaitVisible(tid("empty-state")))
	b.page("campaigns-empty")

	b.do("new campaign", chromedp.Click(tid("campaign-new")), chromedp.WaitVisible(tid("campaign-new-form")),
		chromedp.SendKeys(chromedp.ID("f-name"), "Spring offer"),
		chromedp.SetValue(chromedp.ID("f-template_id"), strconv.FormatInt(f.templateID, 10)))
	b.submit("create", `[data-testid="campaign-new-form"] form`, tid("campaign-create"), chromedp.WaitVisible(tid("campaign-form")))
	b.page("campaign-editor-new")

	// Map {{1}} to the first name and {{2}} to a fixed text: the preview
	// follows without a save.
	b.choose("map {{1}}", "map.body.1.source", "first_name")
	b.do("fallback for {{1}}", chromedp.SendKeys(chromedp.CSS(`[name="map.body.1.fallback"]`), "there"))
	b.choose("map {{2}}", "map.body.2.source", "text")
	b.do("text for {{2}}", chromedp.SendKeys(chromedp.CSS(`[name="map.body.2.value"]`), "20%"))
	b.waitText("preview renders the first contact", tid("preview-body"), "Hi Ann, 20% off this week.")
	b.settle("preview settles")
	b.do("next contact", chromedp.Click(tid("preview-next")))
	b.waitText("preview steps to the next contact", tid("preview-body"), "Hi Ben, 20% off this week.")

	// The audience: everyone tagged vip, counted live.
	b.settle("preview settles again")
	b.do("tag rule", chromedp.SendKeys(chromedp.CSS(`[name="audience.tags"]`), "vip"),
		chromedp.WaitVisible(chromedp.CSS(`#audience-count[data-count="4"]`)))
	b.page("campaign-editor-composed")

	b.settle("count settles")
	b.submit("save", `#campaign-form`, tid("campaign-save"), chromedp.WaitVisible(tid("flash")), chromedp.WaitVisible(tid("presend-check")))
	if got := b.text("will receive", tid("check-will-receive")); got == "" || b.count(`[data-testid="check-will-receive"][data-count="3"]`) != 1 {
		t.Errorf("the check's recipients: %q", got)
	}
	if b.count(`[data-testid="check-reason"][data-reason="no_consent"] td[data-count="1"]`) != 1 {
		t.Error("the check does not show the contact without consent")
	}
	b.page("campaign-check")
	browsertest.ScreenshotMobile(t, ctx, "campaign-check-mobile")

	b.do("send now", chromedp.Click(chromedp.CSS(`[data-testid="campaign-send"] summary`)), chromedp.WaitVisible(tid("campaign-send-yes")))
	b.page("campaign-send-confirm")
	b.do("confirm", chromedp.Click(tid("campaign-send-yes")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="campaign-status"][data-status="running"]`)))
	b.page("campaign-report-running")

	// The campaign runs and its recipients are in the ledger, queued for
	// the sender.
	list, err := e.Campaigns.List(context.Background(), f.owner.OrgID, 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("campaigns: %v %v", list, err)
	}
	cp := list[0]
	if cp.Status != campaign.StatusRunning || !cp.Frozen || cp.Recipients != 3 || cp.TemplateName != "spring_offer" {
		t.Errorf("campaign after send: %+v", cp)
	}
	var queued int64
	if err := e.Ops.Tx(context.Background(), "browser test", func(tx *gorm.DB) error {
		return tx.Raw(`SELECT count(*) FROM messages WHERE org_id = ? AND campaign_id = ? AND status = 'queued' AND params::text LIKE '%20\%%'`,
			f.owner.OrgID, cp.ID).Scan(&queued).Error
	}); err != nil {
		t.Fatal(err)
	}
	if queued != 3 {
		t.Errorf("%d queued ledger rows with the rendered text; want 3", queued)
	}

	// Watching it complete, with the sender and the sandbox, is
	// TestBrowserTemplateToFakePhone's part; here nothing sends.

	b.do("back to the list", chromedp.Click(tid("nav-campaigns")), chromedp.WaitVisible(tid("campaigns-table")))
	if got := b.text("status in the list", chromedp.CSS(`[data-testid="campaign-row"] [data-testid="badge"]`)); got != "Sending" {
		t.Errorf("list status %q", got)
	}
	b.page("campaigns-list")

	// A large audience: the page comes first, the check and the send
	// button follow (here every audience counts as large).
	defer func(v int64) { web.CheckInlineMax = v }(web.CheckInlineMax)
	web.CheckInlineMax = 1
	big, err := e.Campaigns.Create(context.Background(), f.owner.OrgID, f.admin.UserID, campaign.Input{Name: "Big audience", TemplateID: f.templateID,
		Mapping: campaign.Mapping{"body.1": {Source: campaign.SourceName, Fallback: "there"}, "body.2": {Source: campaign.SourceText, Text: "10%"}}})
	if err != nil {
		t.Fatal(err)
	}
	b.do("open a large campaign", chromedp.Navigate(e.URL+paths.Campaign(big.ID)), chromedp.WaitVisible(tid("campaign-form")),
		chromedp.WaitVisible(tid("check-will-receive")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="campaign-send"] summary`)))
	b.page("campaign-check-deferred")
}

// settle waits until htmx has no request in flight and nothing swapping,
// so the next click lands on elements htmx has wired up.
func (b *browser) settle(step string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added').length`))
		if err == nil && n == 0 {
			time.Sleep(150 * time.Millisecond)
			return
		}
		if time.Now().After(deadline) {
			b.fail(step, fmt.Errorf("htmx still busy (%d elements): %v", n, err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// choose picks a select's option and tells htmx, as a person's pick would.
func (b *browser) choose(step, name, value string) {
	b.t.Helper()
	js := `(() => { const el = document.querySelector('[name="` + name + `"]'); el.value = ` + jsString(value) + `;
		el.dispatchEvent(new Event('change', {bubbles: true})); return el.value; })()`
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil || got != value {
		b.fail(step, err)
	}
}

// waitText waits until sel's text contains want.
func (b *browser) waitText(step string, sel chromedp.CSS, want string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := chromedp.Run(b.ctx, chromedp.Text(sel))
		if err == nil && strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			b.fail(step, fmt.Errorf("%q does not contain %q", s, want))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
