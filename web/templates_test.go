package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tidings/internal/connection"
	"tidings/internal/sandbox"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// connectSandbox connects m's org to a new sandbox number whose webhooks
// come back to this server, as a real Meta app would be configured.
func connectSandbox(t *testing.T, e *webtest.Env, m *webtest.Member, waba, pnid, name string) connection.Connection {
	t.Helper()
	const token, secret = "EAAGtemplatewebtoken0123456789", "templatewebappsecret0123"
	tok := token + pnid[len(pnid)-3:]
	e.Secret(tok)
	e.Secret(secret)
	conn, err := e.Connections.Save(context.Background(), m.OrgID, m.UserID, connection.Input{WABAID: waba, PhoneNumberID: pnid,
		APIBaseURL: e.SandboxURL, APIVersion: "v23.0", AccessToken: tok, AppSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := e.Connections.Secrets(conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Sandbox.AddNumber(sandbox.Number{WABAID: waba, PhoneNumberID: pnid, DisplayPhoneNumber: "+1 555-010-0" + pnid[len(pnid)-3:],
		VerifiedName: name, Token: tok, AppSecret: secret, CallbackURL: e.URL + paths.WhatsAppWebhook(conn.WebhookKey),
		VerifyToken: sec.VerifyToken, Quality: "GREEN", Tier: "TIER_10K"}); err != nil {
		t.Fatal(err)
	}
	return conn
}

func goodTemplateForm(name string) url.Values {
	return url.Values{"name": {name}, "language": {"en_GB"}, "category": {"UTILITY"}, "header": {"Order {{1}}"}, "header_example": {"7781"},
		"body": {"Hi {{1}}, your order is ready to collect at {{2}}."}, "example.1": {"Ann"}, "example.2": {"the shop"},
		"footer": {"Reply STOP to opt out"}, "button.0.type": {"QUICK_REPLY"}, "button.0.text": {"Thanks"},
		"button.1.type": {"URL"}, "button.1.text": {"Track"}, "button.1.url": {"https://shop.example.com/t/{{1}}"}, "button.1.example": {"7781"}}
}

// The templates pages: empty until a number is connected, a sync brings
// the account's templates, members may look but not create or sync, bad
// input is refused next to its field, and a created template goes from
// "In review" to "Approved" when Meta's status webhook arrives.
func TestTemplatePagesListCreateSync(t *testing.T) {
	e := webtest.New(t, webtest.Options{Sandbox: true})
	if err := e.Sandbox.Configure(func(c *sandbox.Config) { c.TemplateReviewDelay = 300 * time.Millisecond }); err != nil {
		t.Fatal(err)
	}
	owner := e.NewOwner("Tpl")
	oc := e.Client()
	oc.Login(owner)
	member := e.NewMember(owner, "member")
	mc := e.Client()
	mc.Login(member)

	if r := oc.Get(paths.Templates); r.Status != http.StatusOK || !strings.Contains(r.Body, "Connect a WhatsApp number first") {
		t.Fatalf("templates before connecting: %d", r.Status)
	}
	if r := oc.Post(paths.TemplatesSync, nil); r.Status != http.StatusNotFound {
		t.Errorf("sync without a number: %d", r.Status)
	}
	if r := oc.Post(paths.Templates, goodTemplateForm("too_early")); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Connect a WhatsApp number first") {
		t.Errorf("create without a number: %d", r.Status)
	}

	connectSandbox(t, e, owner, "100000000000041", "100000000000042", "Tpl Bakery")
	if r := oc.Get(paths.Templates); !strings.Contains(r.Body, "No templates yet") {
		t.Errorf("connected, not synced: %d", r.Status)
	}
	// Members: look only.
	for _, req := range []struct {
		method, path string
	}{{http.MethodGet, paths.TemplateNew}, {http.MethodPost, paths.Templates}, {http.MethodPost, paths.TemplatesSync}, {http.MethodPost, paths.TemplatePreview}} {
		var r *webtest.Response
		if req.method == http.MethodGet {
			r = mc.Get(req.path)
		} else {
			mc.Get(paths.Templates)
			r = mc.Post(req.path, goodTemplateForm("member_try"))
		}
		if r.Status != http.StatusForbidden {
			t.Errorf("member %s %s: %d, want 403", req.method, req.path, r.Status)
		}
	}

	oc.Get(paths.Templates)
	if r := oc.Post(paths.TemplatesSync, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("sync: %d", r.Status)
	}
	list := mc.Get(paths.Templates)
	if list.Status != http.StatusOK || strings.Count(list.Body, `data-testid="template-row"`) != 5 || !strings.Contains(list.Body, "Approved") ||
		!strings.Contains(list.Body, "Marketing") || !strings.Contains(list.Body, "American English") {
		t.Fatalf("list after sync: %d, %d rows", list.Status, strings.Count(list.Body, `data-testid="template-row"`))
	}
	if strings.Contains(list.Body, paths.TemplateNew) {
		t.Error("a member is offered New template")
	}
	if r := mc.Get(paths.Templates + "?category=marketing"); strings.Count(r.Body, `data-testid="template-row"`) != 2 {
		t.Errorf("marketing filter: %d rows", strings.Count(r.Body, `data-testid="template-row"`))
	}

	// The form, then bad input: 422 with the words next to the fields,
	// as a whole page and as the htmx fragment.
	if r := oc.Get(paths.TemplateNew); r.Status != http.StatusOK || !strings.Contains(r.Body, `data-testid="template-rules"`) {
		t.Fatalf("new form: %d", r.Status)
	}
	bad := goodTemplateForm("Bad Name")
	bad.Set("body", "{{1}} your order {{3}}")
	bad.Set("footer", "Bye {{1}}")
	bad.Set("button.0.text", strings.Repeat("x", 30))
	r := oc.Post(paths.Templates, bad)
	for _, want := range []string{"lowercase letters", "{{2}} is missing", "can&#39;t have variables", "at most 25 characters"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("bad form: status %d, no %q", r.Status, want)
		}
	}
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "<html") {
		t.Errorf("bad form: %d", r.Status)
	}
	req, _ := http.NewRequest(http.MethodPost, e.URL+paths.Templates, strings.NewReader(withCSRF(oc, bad).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	if r := oc.Do(req); r.Status != http.StatusUnprocessableEntity || strings.Contains(r.Body, "<html") || !strings.Contains(r.Body, `id="tpl-form"`) {
		t.Errorf("bad form over htmx: %d", r.Status)
	}

	// The live preview: the text's variables get example fields, and
	// the bubble shows the examples.
	pv := url.Values{"body": {"Hi {{1}}, see you at {{2}}."}, "example.1": {"Ann"}}
	req, _ = http.NewRequest(http.MethodPost, e.URL+paths.TemplatePreview, strings.NewReader(withCSRF(oc, pv).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", "tpl-examples")
	if r := oc.Do(req); r.Status != http.StatusOK || !strings.Contains(r.Body, `name="example.2"`) || !strings.Contains(r.Body, "Hi Ann, see you at {{2}}.") ||
		!strings.Contains(r.Body, `hx-swap-oob="true"`) {
		t.Errorf("preview: %d %s", r.Status, r.Body)
	}
	// Without JavaScript, "Update preview" re-renders the page.
	pv.Set("preview", "1")
	if r := oc.Post(paths.Templates, pv); r.Status != http.StatusOK || !strings.Contains(r.Body, `name="example.2"`) {
		t.Errorf("update preview without JS: %d", r.Status)
	}

	r = oc.Post(paths.Templates, goodTemplateForm("order_ready"))
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), paths.Templates+"/") {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	page := r.Header.Get("Location")
	show := oc.Get(page)
	if !strings.Contains(show.Body, "In review") || !strings.Contains(show.Body, "Hi {{1}}, your order is ready") ||
		strings.Count(show.Body, `data-testid="template-var"`) != 4 {
		t.Fatalf("new template's page: %d\n%s", show.Status, show.Body)
	}
	if r := oc.Post(paths.Templates, goodTemplateForm("order_ready")); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "already have a template called order_ready") {
		t.Errorf("same name again: %d", r.Status)
	}
	// Meta reviews it and says so by webhook; the processor applies it.
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(oc.Get(page).Body, ">Approved<") {
		if time.Now().After(deadline) {
			t.Fatal("the template was never approved")
		}
		time.Sleep(100 * time.Millisecond)
		drain(t, e)
	}
	// Another org sees none of it.
	other := e.NewOwner("Other")
	xc := e.Client()
	xc.Login(other)
	if r := xc.Get(page); r.Status != http.StatusNotFound {
		t.Errorf("another org opens the template: %d", r.Status)
	}
}

func withCSRF(c *webtest.Client, v url.Values) url.Values {
	body := c.Get(paths.Templates).Body
	i := strings.Index(body, `name="_csrf" value="`)
	out := url.Values{}
	for k, vs := range v {
		out[k] = vs
	}
	if i >= 0 {
		rest := body[i+len(`name="_csrf" value="`):]
		out.Set("_csrf", rest[:strings.Index(rest, `"`)])
	}
	return out
}

// Connecting a number brings its templates in at once.
func TestTemplatesSyncedOnConnect(t *testing.T) {
	e := webtest.New(t, webtest.Options{Sandbox: true})
	const token, secret = "EAAGconnectsynctoken0123456789", "connectsyncappsecret0123"
	e.Secret(token)
	e.Secret(secret)
	if err := e.Sandbox.AddNumber(sandbox.Number{WABAID: "100000000000061", PhoneNumberID: "100000000000062",
		DisplayPhoneNumber: "+1 555-010-0062", Token: token, AppSecret: secret}); err != nil {
		t.Fatal(err)
	}
	owner := e.NewOwner("Connect")
	c := e.Client()
	c.Login(owner)
	c.Get(paths.WhatsApp)
	r := c.Post(paths.WhatsApp, url.Values{"waba_id": {"100000000000061"}, "phone_number_id": {"100000000000062"},
		"api_base_url": {e.SandboxURL}, "api_version": {"v23.0"}, "access_token": {token}, "app_secret": {secret}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("connect: %d", r.Status)
	}
	if list := c.Get(paths.Templates); strings.Count(list.Body, `data-testid="template-row"`) != 5 {
		t.Errorf("templates after connecting: %d rows", strings.Count(list.Body, `data-testid="template-row"`))
	}
}
