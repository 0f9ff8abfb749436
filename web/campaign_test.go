package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"tidings/internal/account"
	"tidings/internal/campaign"
	"tidings/internal/contact"
	"tidings/web"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// campaignFixture is an org with a WhatsApp number, an approved marketing
// template ("Hi {{1}}, {{2}} off"), three opted-in contacts tagged vip
// and one whose consent is unknown.
type campaignFixture struct {
	owner, admin, member *webtest.Member
	templateID           int64
	contacts             []contact.Contact
}

const campaignTemplateComponents = `[{"type":"BODY","text":"Hi {{1}}, {{2}} off this week."},{"type":"FOOTER","text":"Reply STOP to opt out"}]`

func newCampaignFixture(t *testing.T, e *webtest.Env, label string) campaignFixture {
	t.Helper()
	f := campaignFixture{owner: e.NewOwner(label)}
	f.admin = e.NewMember(f.owner, account.RoleAdmin)
	f.member = e.NewMember(f.owner, account.RoleMember)
	org := f.owner.OrgID
	err := e.Ops.Tx(context.Background(), "test fixture", func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO wa_connections (org_id, waba_id, phone_number_id, api_base_url, api_version,
			access_token_sealed, app_secret_sealed, verify_token_sealed, webhook_key, quality_rating, messaging_limit_tier)
			VALUES (?, ?, ?, 'http://127.0.0.1:9', 'v23.0', 'k:s', 'k:s', 'k:s', ?, 'GREEN', 'TIER_1K')`,
			org, fmt.Sprint("waba", org), fmt.Sprint("pn", org), fmt.Sprint("wk", org)).Error; err != nil {
			return err
		}
		return tx.Raw(`INSERT INTO wa_templates (org_id, connection_id, meta_id, name, language, category, status, components)
			SELECT org_id, id, ?, 'spring_offer', 'en', 'MARKETING', 'APPROVED', ?::jsonb FROM wa_connections WHERE org_id = ? RETURNING id`,
			fmt.Sprint("meta", org), campaignTemplateComponents, org).Scan(&f.templateID).Error
	})
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	for i, name := range []string{"Ann Lee", "Ben Okafor", "Cleo Diaz"} {
		f.contacts = append(f.contacts, newTestContact(t, e, f.owner, name, fmt.Sprintf("07911 1240%02d", i)))
	}
	c, err := e.Contacts.Create(context.Background(), org, f.owner.UserID, contact.ContactInput{Phone: "07911 124099", Country: "GB", Name: "Dan Unknown", Tags: []string{"vip"}})
	if err != nil {
		t.Fatal(err)
	}
	f.contacts = append(f.contacts, c)
	return f
}

// mappingForm fills the template's two variables and targets the vip tag.
func mappingForm(name string) url.Values {
	return url.Values{"name": {name}, "audience.tags": {"vip"}, "audience.match": {"all"},
		"map.body.1.source": {"first_name"}, "map.body.1.fallback": {"there"},
		"map.body.2.source": {"text"}, "map.body.2.value": {"20%"}}
}

func TestCampaignComposeCheckAndSend(t *testing.T) {
	e := webtest.New(t)
	f := newCampaignFixture(t, e, "Composer")
	c := e.Client()
	c.Login(f.admin)

	// The list starts empty and offers "New campaign".
	r := c.Get(paths.Campaigns)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `data-testid="empty-state"`) || !strings.Contains(r.Body, `href="`+paths.CampaignNew+`"`) {
		t.Fatalf("campaigns list: %d", r.Status)
	}
	// A nameless campaign is refused next to the field.
	r = c.Post(paths.Campaigns, url.Values{"name": {" "}, "template_id": {strconv.FormatInt(f.templateID, 10)}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="field-error"`) {
		t.Fatalf("nameless campaign: %d", r.Status)
	}
	r = c.Post(paths.Campaigns, url.Values{"name": {"Spring offer"}, "template_id": {strconv.FormatInt(f.templateID, 10)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d", r.Status)
	}
	loc := r.Header.Get("Location")
	id, _ := strconv.ParseInt(strings.TrimPrefix(loc, paths.Campaigns+"/"), 10, 64)
	if loc != paths.Campaign(id) {
		t.Fatalf("create redirected to %q", loc)
	}
	// The editor: template picker with status, mapping fields, the preview.
	r = c.Get(loc)
	for _, want := range []string{"spring_offer · en · Marketing · Approved", `name="map.body.1.source"`, `name="map.body.2.source"`,
		`data-testid="phone-preview"`, `data-testid="audience-count"`, `data-testid="presend-check"`, "Cannot send"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("editor lacks %q", want)
		}
	}
	// Bad input: errors next to the fields, 422, nothing saved.
	bad := mappingForm("Spring offer")
	bad.Set("template_id", strconv.FormatInt(f.templateID, 10))
	bad.Set("window_start", "25:99")
	bad.Set("window_end", "10:00")
	r = c.Post(loc, bad)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "hours and minutes") {
		t.Fatalf("bad window: %d", r.Status)
	}
	// htmx live bits: the count and the preview for unsaved values.
	good := mappingForm("Spring offer")
	good.Set("template_id", strconv.FormatInt(f.templateID, 10))
	hx := func(path string, q url.Values) *webtest.Response {
		req, _ := http.NewRequest(http.MethodGet, e.URL+path+"?"+q.Encode(), nil)
		req.Header.Set("HX-Request", "true")
		return c.Do(req)
	}
	r = hx(paths.CampaignCount(id), good)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `data-count="4"`) || strings.Contains(r.Body, "<html") {
		t.Errorf("live count: %d %s", r.Status, r.Body)
	}
	r = hx(paths.CampaignPreview(id), good)
	if !strings.Contains(r.Body, "Hi Ann, 20% off this week.") {
		t.Errorf("preview of the first contact: %s", r.Body)
	}
	q := url.Values{}
	for k, v := range good {
		q[k] = v
	}
	q.Set("preview_contact", strconv.FormatInt(f.contacts[0].ID, 10))
	q.Set("dir", "next")
	r = hx(paths.CampaignPreview(id), q)
	if !strings.Contains(r.Body, "Hi Ben, 20% off this week.") {
		t.Errorf("preview of the next contact: %s", r.Body)
	}
	// Save; the check counts 3 to receive and 1 without consent.
	r = c.Post(loc, good)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	r = c.Get(loc)
	for _, want := range []string{`data-testid="check-will-receive" data-count="3"`, `data-reason="no_consent"`, "No recorded consent for marketing",
		`action="` + paths.CampaignStart(id) + `"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("checked editor lacks %q", want)
		}
	}
	// A test send to the admin's own number: a ledger row without campaign.
	if r := c.Post(paths.CampaignTestSend(id), url.Values{"contact": {strconv.FormatInt(f.contacts[1].ID, 10)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("test send: %d", r.Status)
	}
	// A member may look but not send.
	m := e.Client()
	m.Login(f.member)
	if r := m.Get(loc); r.Status != http.StatusOK || strings.Contains(r.Body, `action="`+paths.CampaignStart(id)+`"`) {
		t.Errorf("member view: %d (or it offers sending)", r.Status)
	}
	if r := m.Post(paths.CampaignStart(id), nil); r.Status != http.StatusForbidden {
		t.Errorf("member start: %d", r.Status)
	}
	// Send now: running, the recipients frozen, the report shows progress.
	if r := c.Post(paths.CampaignStart(id), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("start: %d", r.Status)
	}
	e.RunCampaignJobs()
	cp, err := e.Campaigns.Get(context.Background(), f.owner.OrgID, id)
	if err != nil || cp.Status != campaign.StatusRunning || cp.Recipients != 3 || cp.Skipped[campaign.SkipNoConsent] != 1 {
		t.Fatalf("after start: %+v %v", cp, err)
	}
	var rows []struct {
		ToE164, Params string
		CampaignID     *int64
	}
	if err := e.Ops.Tx(context.Background(), "test", func(tx *gorm.DB) error {
		return tx.Raw(`SELECT to_e164, params::text AS params, campaign_id FROM messages WHERE org_id = ? ORDER BY id`, f.owner.OrgID).Scan(&rows).Error
	}); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0].CampaignID != nil || rows[0].ToE164 != f.admin.Phone || !strings.Contains(rows[0].Params, "Ben") {
		t.Errorf("ledger: %+v", rows)
	}
	r = c.Get(loc)
	for _, want := range []string{`data-testid="campaign-status"`, `hx-trigger="every 2s"`, "Sending", `data-testid="campaign-funnel"`,
		`action="` + paths.CampaignPause(id) + `"`, "No recorded consent for marketing"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The drill-down lists the recipients, and filters by status.
	if !strings.Contains(r.Body, `data-testid="recipient-row" data-status="queued"`) || strings.Count(r.Body, `data-testid="recipient-row"`) != 3 ||
		!strings.Contains(r.Body, "Ann Lee") {
		t.Errorf("recipients drill-down: %d rows", strings.Count(r.Body, `data-testid="recipient-row"`))
	}
	if r := c.Get(loc + "?status=failed"); strings.Count(r.Body, `data-testid="recipient-row"`) != 0 {
		t.Error("the failed filter shows queued recipients")
	}
	req, _ := http.NewRequest(http.MethodGet, e.URL+paths.CampaignStatus(id), nil)
	req.Header.Set("HX-Request", "true")
	if r := c.Do(req); r.Status != http.StatusOK || !strings.Contains(r.Body, `id="campaign-status"`) || strings.Contains(r.Body, "<html") {
		t.Errorf("polled status fragment: %d", r.Status)
	}
	// Pause, resume, cancel; the list shows it in words.
	for _, step := range []struct{ path, status string }{
		{paths.CampaignPause(id), campaign.StatusPaused}, {paths.CampaignResume(id), campaign.StatusRunning}, {paths.CampaignCancel(id), campaign.StatusCancelled},
	} {
		if r := c.Post(step.path, nil); r.Status != http.StatusSeeOther {
			t.Fatalf("POST %s: %d", step.path, r.Status)
		}
		if cp, _ := e.Campaigns.Get(context.Background(), f.owner.OrgID, id); cp.Status != step.status {
			t.Errorf("after %s: %s", step.path, cp.Status)
		}
	}
	// Pausing a cancelled campaign is refused in words.
	r = c.Post(paths.CampaignPause(id), nil)
	if r.Status != http.StatusSeeOther {
		t.Errorf("pause cancelled: %d", r.Status)
	}
	r = c.Get(paths.Campaigns)
	if !strings.Contains(r.Body, "no longer possible") || !strings.Contains(r.Body, "Cancelled") {
		t.Errorf("list after cancel lacks the refusal or the status word")
	}
	// Duplicate opens a fresh draft.
	r = c.Post(paths.CampaignDuplicate(id), nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") == loc {
		t.Errorf("duplicate: %d %s", r.Status, r.Header.Get("Location"))
	}
}

func TestCampaignScheduleForm(t *testing.T) {
	e := webtest.New(t)
	f := newCampaignFixture(t, e, "Scheduler")
	c := e.Client()
	c.Login(f.owner)
	cp, err := e.Campaigns.Create(context.Background(), f.owner.OrgID, f.owner.UserID, campaign.Input{Name: "Later", TemplateID: f.templateID,
		Mapping: campaign.Mapping{"body.1": {Source: campaign.SourceName, Fallback: "there"}, "body.2": {Source: campaign.SourceText, Text: "10%"}}})
	if err != nil {
		t.Fatal(err)
	}
	// The fake clock says 2 March 2026 09:00 UTC (the org is in London).
	for _, bad := range []url.Values{{"date": {"yesterday"}, "time": {"09:00"}}, {"date": {"2026-03-01"}, "time": {"09:00"}}} {
		if r := c.Post(paths.CampaignSchedule(cp.ID), bad); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="field-error"`) {
			t.Errorf("schedule %v: %d", bad, r.Status)
		}
	}
	if r := c.Post(paths.CampaignSchedule(cp.ID), url.Values{"date": {"2026-03-03"}, "time": {"10:30"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("schedule: %d", r.Status)
	}
	got, _ := e.Campaigns.Get(context.Background(), f.owner.OrgID, cp.ID)
	if got.Status != campaign.StatusScheduled || got.ScheduledAt == nil || got.ScheduledAt.UTC().Format("2006-01-02 15:04") != "2026-03-03 10:30" {
		t.Errorf("scheduled: %s %v", got.Status, got.ScheduledAt)
	}
	r := c.Get(paths.Campaign(cp.ID))
	if !strings.Contains(r.Body, `data-testid="campaign-scheduled"`) {
		t.Error("the editor does not say it is scheduled")
	}
	// Another org cannot see or touch it.
	other := e.NewOwner("Other")
	o := e.Client()
	o.Login(other)
	for _, p := range []string{paths.Campaign(cp.ID), paths.CampaignStatus(cp.ID), paths.CampaignCount(cp.ID)} {
		if r := o.Get(p); r.Status != http.StatusNotFound || strings.Contains(r.Body, "Later") {
			t.Errorf("other org GET %s: %d", p, r.Status)
		}
	}
	if r := o.Post(paths.CampaignCancel(cp.ID), nil); r.Status != http.StatusNotFound {
		t.Errorf("other org cancel: %d", r.Status)
	}
}

// A large audience's check runs after the page loads (here: any audience
// above one contact counts as large).
func TestCampaignDeferredCheck(t *testing.T) {
	e := webtest.New(t)
	f := newCampaignFixture(t, e, "Deferred")
	defer func(v int64) { web.CheckInlineMax = v }(web.CheckInlineMax)
	web.CheckInlineMax = 1
	cp, err := e.Campaigns.Create(context.Background(), f.owner.OrgID, f.owner.UserID, campaign.Input{Name: "Big", TemplateID: f.templateID,
		Mapping: campaign.Mapping{"body.1": {Source: campaign.SourceName, Fallback: "there"}, "body.2": {Source: campaign.SourceText, Text: "10%"}}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.Client()
	c.Login(f.admin)
	r := c.Get(paths.Campaign(cp.ID))
	if !strings.Contains(r.Body, `data-testid="presend-check-deferred"`) || strings.Contains(r.Body, `data-testid="check-will-receive"`) ||
		!strings.Contains(r.Body, `data-testid="send-waiting"`) || strings.Contains(r.Body, `action="`+paths.CampaignStart(cp.ID)+`"`) {
		t.Errorf("large audience: the check should be deferred (status %d)", r.Status)
	}
	r = c.Get(paths.Campaign(cp.ID) + "?check=1")
	if !strings.Contains(r.Body, `data-testid="check-will-receive" data-count="3"`) || !strings.Contains(r.Body, `action="`+paths.CampaignStart(cp.ID)+`"`) {
		t.Errorf("?check=1 runs the check and offers sending (status %d)", r.Status)
	}
}
