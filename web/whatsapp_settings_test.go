package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tidings/web/paths"
	"tidings/web/webtest"
)

func connectForm(token, secret string) url.Values {
	return url.Values{"waba_id": {"102290129340398"}, "phone_number_id": {"106540352242922"},
		"api_base_url": {"http://127.0.0.1:9"}, "api_version": {"v23.0"}, "access_token": {token}, "app_secret": {secret}}
}

func TestWhatsAppSettingsKeepSecretsSecret(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Conn")
	c := e.Client()
	c.Login(m)
	if r := c.Get(paths.WhatsApp); r.Status != http.StatusOK || !strings.Contains(r.Body, "Connect a number") {
		t.Fatalf("empty settings page: %d", r.Status)
	}
	const token, secret = "EAAGsecrettoken0123456789XYZ", "appsecretvalue0123456789"
	e.Secret(token)
	e.Secret(secret)

	// Bad input is refused field by field and stores nothing.
	bad := connectForm("short", "no spaces allowed here!")
	bad.Set("waba_id", "abc")
	r := c.Post(paths.WhatsApp, bad)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "digits only") || !strings.Contains(r.Body, "access token") {
		t.Fatalf("bad connection form: %d", r.Status)
	}
	if _, err := e.Connections.Get(t.Context(), m.OrgID, m.UserID); err == nil {
		t.Fatal("a refused form stored a connection")
	}

	if r := c.Post(paths.WhatsApp, connectForm(token, secret)); r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	page := c.Get(paths.WhatsApp)
	if strings.Contains(page.Body, token) || strings.Contains(page.Body, secret) {
		t.Fatal("the settings page shows a stored secret")
	}
	conn, err := e.Connections.Get(t.Context(), m.OrgID, m.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(conn.AccessTokenSealed, token) || strings.Contains(conn.AppSecretSealed, secret) {
		t.Fatal("secrets stored in the clear")
	}
	if !strings.Contains(page.Body, paths.WhatsAppWebhook(conn.WebhookKey)) {
		t.Error("the page does not show the webhook URL to paste into Meta's dashboard")
	}
	// Editing without re-entering the secrets keeps them.
	if r := c.Post(paths.WhatsApp, connectForm("", "")); r.Status != http.StatusSeeOther {
		t.Fatalf("edit without secrets: %d", r.Status)
	}
	again, _ := e.Connections.Get(t.Context(), m.OrgID, m.UserID)
	sec, err := e.Connections.Secrets(again)
	if err != nil || sec.AccessToken != token || sec.AppSecret != secret {
		t.Fatalf("secrets after an edit without them: %v", err)
	}
	// Another org cannot claim the same number.
	other := e.NewOwner("Thief")
	oc := e.Client()
	oc.Login(other)
	if r := oc.Post(paths.WhatsApp, connectForm(token, secret)); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "already connected") {
		t.Errorf("second org connecting the same number: %d", r.Status)
	}
	// Members see the page but not the form.
	member := e.NewMember(m, "member")
	mc := e.Client()
	mc.Login(member)
	if r := mc.Get(paths.WhatsApp); r.Status != http.StatusOK || strings.Contains(r.Body, `name="access_token"`) {
		t.Errorf("member's view: %d, form shown %v", r.Status, strings.Contains(r.Body, `name="access_token"`))
	}
}
