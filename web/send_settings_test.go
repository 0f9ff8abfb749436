package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tidings/internal/contact"
	"tidings/internal/sandbox"
	"tidings/web/paths"
	"tidings/web/webtest"
)

func sendSettingsForm() url.Values {
	return url.Values{"cap_count": {"3"}, "cap_days": {"14"}, "optout_keywords": {"Désabonner, no more"}, "optin_keywords": {"Réabonner"},
		"optout_payloads": {"STOP_PROMOS"}, "optout_confirmation": {"Bye from Bakery."}, "optin_confirmation": {"Welcome back to Bakery."},
		"pause_error_percent": {"5"}, "send_rate": {"200"}}
}

// An owner saves the sending settings; bad input is a 422 with the error
// next to its field (a fragment for htmx) and stores nothing; a member
// sees them but cannot change them; and a reply with a saved word opts
// the person out, with the saved confirmation.
func TestSendSettingsPage(t *testing.T) {
	e := webtest.New(t, webtest.Options{Sandbox: true})
	owner := e.NewOwner("Bakery")
	c := e.Client()
	c.Login(owner)
	r := c.Get(paths.SendSettings)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "UNSUBSCRIBE") || !strings.Contains(r.Body, `name="cap_count"`) ||
		!strings.Contains(r.Body, "once a WhatsApp number is connected") || !strings.Contains(r.Body, paths.SendSettings) {
		t.Fatalf("settings page before connecting: %d", r.Status)
	}
	connectSandbox(t, e, owner, "100000000000081", "100000000000082", "Bakery")
	if r := c.Get(paths.SendSettings); !strings.Contains(r.Body, `name="send_rate"`) || !strings.Contains(r.Body, "80 a second by default") {
		t.Fatal("no send rate field with a connected number")
	}

	// Bad input: the whole page without JS, the form alone for htmx.
	bad := sendSettingsForm()
	bad.Set("optout_keywords", "stop")
	bad.Set("send_rate", "5000")
	r = c.Post(paths.SendSettings, bad)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "built-in word") || !strings.Contains(r.Body, "Meta upgrades") ||
		!strings.Contains(r.Body, `id="f-send_rate-error"`) || !strings.Contains(r.Body, "nav-settings-title") {
		t.Fatalf("bad form: %d", r.Status)
	}
	hx := e.Client()
	hx.Login(owner)
	hx.Get(paths.SendSettings)
	hx.Header = http.Header{"HX-Request": {"true"}}
	if r := hx.Post(paths.SendSettings, bad); r.Status != http.StatusUnprocessableEntity || strings.Contains(r.Body, "nav-settings-title") ||
		!strings.Contains(r.Body, `id="send-form"`) {
		t.Errorf("htmx bad form: %d", r.Status)
	}
	st, err := e.Campaigns.SendSettings(t.Context(), owner.OrgID, owner.UserID)
	if err != nil || st.Saved {
		t.Fatalf("a refused form was stored: %+v %v", st, err)
	}

	if r := c.Post(paths.SendSettings, sendSettingsForm()); r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	st, _ = e.Campaigns.SendSettings(t.Context(), owner.OrgID, owner.UserID)
	if st.CapCount != 3 || st.CapDays != 14 || st.SendRate != 200 || st.PauseErrorRate != 0.05 || len(st.OptOutKeywords) != 2 {
		t.Fatalf("stored %+v", st)
	}
	if r := c.Get(paths.SendSettings); !strings.Contains(r.Body, "Désabonner, no more") || !strings.Contains(r.Body, `value="5"`) {
		t.Error("the saved settings are not shown back")
	}

	// A member sees the settings, not the form, and cannot post it.
	member := e.NewMember(owner, "member")
	mc := e.Client()
	mc.Login(member)
	if r := mc.Get(paths.SendSettings); r.Status != http.StatusOK || strings.Contains(r.Body, `name="cap_count"`) || !strings.Contains(r.Body, "Désabonner") {
		t.Errorf("member's view: %d", r.Status)
	}
	changed := sendSettingsForm()
	changed.Set("cap_count", "50")
	if r := mc.Post(paths.SendSettings, changed); r.Status != http.StatusForbidden {
		t.Errorf("member saving: %d", r.Status)
	}
	if st, _ := e.Campaigns.SendSettings(t.Context(), owner.OrgID, owner.UserID); st.CapCount != 3 {
		t.Errorf("a member changed the cap to %d", st.CapCount)
	}

	// The saved word opts a person out, with the saved confirmation.
	ctx := context.Background()
	ct, err := e.Contacts.Create(ctx, owner.OrgID, owner.UserID, contact.ContactInput{Phone: "+447911123457", Country: "GB", Name: "Ann",
		Consent: &contact.ConsentInput{Kind: contact.EventOptIn, Source: contact.SourceManual, LawfulBasis: "consent", Evidence: "asked in the shop"}})
	if err != nil {
		t.Fatal(err)
	}
	e.Secret("447911123457")
	if _, err := e.Sandbox.InjectInbound(sandbox.Inbound{PhoneNumberID: "100000000000082", From: "+447911123457", Text: "desabonner!"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		drain(t, e)
		d, err := e.Contacts.Get(ctx, owner.OrgID, ct.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.ConsentState == contact.ConsentOptedOut {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s after the saved opt-out word", d.ConsentState)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var body string
	if err := e.Ops.Conn().Pool.QueryRow(ctx, `SELECT params->>'body' FROM messages WHERE org_id = $1 AND kind = 'text' AND status = 'queued'`,
		owner.OrgID).Scan(&body); err != nil || !strings.Contains(body, "Bye from Bakery.") {
		t.Errorf("confirmation %q %v", body, err)
	}
}
