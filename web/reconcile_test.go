package web_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"tidings/internal/connection"
	"tidings/internal/sandbox"
	"tidings/internal/whatsapp"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// lossy delivers the request but loses the answer, as a timeout after
// Meta accepted the message would.
type lossy struct{ next http.RoundTripper }

func (l lossy) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := l.next.RoundTrip(r)
	if err == nil {
		res.Body.Close()
	}
	return nil, errors.New("connection reset after the request was sent")
}

// A send whose response is lost is not sent again: the status webhook,
// matched by biz_opaque_callback_data (our ledger id), gives the message
// its wamid and status.
func TestLostSendResponseReconciledFromWebhook(t *testing.T) {
	e := webtest.New(t, webtest.Options{Sandbox: true})
	m := e.NewOwner("Lost")
	const token, secret = "EAAGlostresponsetoken0123456789", "lostresponseappsecret01"
	e.Secret(token)
	e.Secret(secret)
	conn, err := e.Connections.Save(context.Background(), m.OrgID, m.UserID, connection.Input{WABAID: "100000000000031",
		PhoneNumberID: "100000000000032", APIBaseURL: e.SandboxURL, APIVersion: "v23.0", AccessToken: token, AppSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := e.Connections.Secrets(conn)
	if err := e.Sandbox.AddNumber(sandbox.Number{WABAID: conn.WABAID, PhoneNumberID: conn.PhoneNumberID, DisplayPhoneNumber: "+1 555-010-0032", Token: token, AppSecret: secret,
		VerifyToken: sec.VerifyToken, CallbackURL: e.URL + paths.WhatsAppWebhook(conn.WebhookKey)}); err != nil {
		t.Fatal(err)
	}
	var msgID int64
	err = e.Ops.Tx(context.Background(), "test", func(tx *gorm.DB) error {
		return tx.Raw(`INSERT INTO messages (org_id, connection_id, to_e164, status) VALUES (?, ?, '+447911000401', 'sending') RETURNING id`,
			m.OrgID, conn.ID).Scan(&msgID).Error
	})
	if err != nil {
		t.Fatal(err)
	}

	client := whatsapp.NewClient(whatsapp.Config{BaseURL: e.SandboxURL, Version: "v23.0"}, &http.Client{Transport: lossy{http.DefaultTransport}})
	_, err = client.SendTemplate(context.Background(), token, conn.PhoneNumberID, whatsapp.TemplateMessage{To: "+447911000401",
		Name: "hello_world", Language: "en_US", BizOpaqueCallbackData: strconv.FormatInt(msgID, 10)})
	if err == nil || !whatsapp.OutcomeUnknown(err) {
		t.Fatalf("lost response: %v, want an unknown outcome", err)
	}
	if got := len(e.Sandbox.Ledger(conn.PhoneNumberID, 0)); got != 1 {
		t.Fatalf("sandbox accepted %d sends, want 1", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wamid, status string
	for ctx.Err() == nil {
		if err := e.Sandbox.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		drain(t, e)
		_ = e.Ops.Tx(ctx, "test", func(tx *gorm.DB) error {
			return tx.Raw(`SELECT coalesce(wamid, ''), status FROM messages WHERE org_id = ? AND id = ?`, m.OrgID, msgID).Row().Scan(&wamid, &status)
		})
		if status == "read" || status == "delivered" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if want := e.Sandbox.Ledger(conn.PhoneNumberID, 0)[0].WAMID; wamid != want {
		t.Fatalf("message reconciled to wamid %q (status %s), want %q", wamid, status, want)
	}
}
