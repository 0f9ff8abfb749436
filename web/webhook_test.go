package web_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"tidings/internal/connection"
	"tidings/internal/delivery"
	"tidings/web/paths"
	"tidings/web/webtest"
)

const (
	hookAppSecret = "sandboxappsecret0123456789abcdef"
	hookPNID      = "106540352242922"
)

// connect gives m's org a WhatsApp connection and returns it.
func connect(t *testing.T, e *webtest.Env, m *webtest.Member, pnid string) connection.Connection {
	t.Helper()
	c, err := e.Connections.Save(context.Background(), m.OrgID, m.UserID, connection.Input{
		WABAID: "102290129340398", PhoneNumberID: pnid, APIBaseURL: "http://127.0.0.1:9", APIVersion: "v23.0",
		AccessToken: "EAAGtesttoken0123456789abcdef", AppSecret: hookAppSecret})
	if err != nil {
		t.Fatal(err)
	}
	e.Secret("EAAGtesttoken0123456789abcdef")
	e.Secret(hookAppSecret)
	return c
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func postHook(t *testing.T, e *webtest.Env, key string, body []byte, sig string) int {
	req, _ := http.NewRequest(http.MethodPost, e.URL+paths.WhatsAppWebhook(key), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

type hookStatus struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Timestamp   string `json:"timestamp"`
	RecipientID string `json:"recipient_id"`
	BizOpaque   string `json:"biz_opaque_callback_data,omitempty"`
}

// statusBody is a webhook body as Meta sends it, with several statuses.
func statusBody(pnid string, sts []hookStatus) []byte {
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"id": "102290129340398", "changes": []any{map[string]any{"field": "messages", "value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]any{"display_phone_number": "15550001111", "phone_number_id": pnid},
			"statuses":          sts,
		}}},
	}}})
	return b
}

// drain applies every stored webhook body.
func drain(t *testing.T, e *webtest.Env) {
	t.Helper()
	p := delivery.NewProcessor(e.Ops.Conn().Pool, e.Clock, e.Log)
	p.Batch = 200
	for {
		n, err := p.ProcessBatch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func ledgerFingerprint(t *testing.T, e *webtest.Env, orgID int64) string {
	var fp string
	err := e.Ops.Tx(context.Background(), "test", func(tx *gorm.DB) error {
		return tx.Raw(`SELECT md5(string_agg(concat_ws('|', id, wamid, status, sent_at, delivered_at, read_at, failed_at, error_code, updated_at), ',' ORDER BY id))
			FROM messages WHERE org_id = ?`, orgID).Scan(&fp).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

// Every status of every message, delivered one to three times in random
// order, ends each message in its highest status; replaying the whole
// stream changes nothing.
func TestWebhookStatusesDuplicatedAndReordered(t *testing.T) {
	messages, seeds := 10000, 20
	if s := os.Getenv("HOOK_SEEDS"); s != "" {
		seeds, _ = strconv.Atoi(s)
	}
	if testing.Short() {
		messages, seeds = 1000, 3
	}
	for seed := range seeds {
		t.Run("seed"+strconv.Itoa(seed), func(t *testing.T) {
			e := webtest.New(t)
			m := e.NewOwner("Hooks")
			conn := connect(t, e, m, hookPNID)
			rng := rand.New(rand.NewPCG(uint64(seed), 42))

			rows := make([][]any, messages)
			for i := range rows {
				rows[i] = []any{m.OrgID, conn.ID, fmt.Sprintf("+4479%08d", i), fmt.Sprintf("wamid.seed%d.%d", seed, i), "sending"}
			}
			_, err := e.Ops.Conn().Pool.CopyFrom(context.Background(), pgx.Identifier{"messages"},
				[]string{"org_id", "connection_id", "to_e164", "wamid", "status"}, pgx.CopyFromRows(rows))
			if err != nil {
				t.Fatal(err)
			}
			var events []hookStatus
			for i := range messages {
				for k, st := range []string{"sent", "delivered", "read"} {
					ev := hookStatus{ID: fmt.Sprintf("wamid.seed%d.%d", seed, i), Status: st,
						Timestamp: strconv.Itoa(1767000000 + i + k), RecipientID: fmt.Sprintf("4479%08d", i)}
					for range 1 + rng.IntN(3) {
						events = append(events, ev)
					}
				}
			}
			rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
			var bodies [][]byte
			for len(events) > 0 {
				n := min(len(events), 1+rng.IntN(100))
				bodies = append(bodies, statusBody(hookPNID, events[:n]))
				events = events[n:]
			}
			send := func() {
				var wg sync.WaitGroup
				next := make(chan []byte)
				for range 8 {
					wg.Go(func() {
						for b := range next {
							if got := postHook(t, e, conn.WebhookKey, b, sign(hookAppSecret, b)); got != http.StatusOK {
								t.Errorf("webhook POST: %d", got)
							}
						}
					})
				}
				for _, b := range bodies {
					next <- b
				}
				close(next)
				wg.Wait()
			}
			send()
			drain(t, e)
			var wrong int64
			err = e.Ops.Tx(context.Background(), "test", func(tx *gorm.DB) error {
				return tx.Raw(`SELECT count(*) FROM messages WHERE org_id = ? AND NOT (status = 'read'
					AND sent_at IS NOT NULL AND delivered_at IS NOT NULL AND read_at IS NOT NULL)`, m.OrgID).Scan(&wrong).Error
			})
			if err != nil || wrong != 0 {
				t.Fatalf("%d of %d messages did not end read with every timestamp (%v)", wrong, messages, err)
			}
			before := ledgerFingerprint(t, e, m.OrgID)
			send()
			drain(t, e)
			if after := ledgerFingerprint(t, e, m.OrgID); after != before {
				t.Fatal("replaying the whole stream changed the ledger")
			}
		})
	}
}

func inboxCount(t *testing.T, e *webtest.Env) int64 {
	var n int64
	if err := e.Ops.Tx(context.Background(), "test", func(tx *gorm.DB) error {
		return tx.Raw(`SELECT count(*) FROM webhook_inbox`).Scan(&n).Error
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWebhookSignatureAndHandshake(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Signer")
	conn := connect(t, e, m, hookPNID)
	// Meta escapes non-ASCII as \uXXXX in the bytes it signs.
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"` + hookPNID + `"},"contacts":[{"profile":{"name":"Jos\u00e9 M\u00fcller \ud83d\ude00"},"wa_id":"447911000001"}],"messages":[{"from":"447911000001","id":"wamid.in1","timestamp":"1767000000","type":"text","text":{"body":"Ol\u00e1"}}]}}]}]}`)
	good := sign(hookAppSecret, body)
	altered := append([]byte{}, body...)
	altered[bytes.Index(altered, []byte("wamid.in1"))+8] = '2'
	cases := []struct {
		name   string
		body   []byte
		sig    string
		status int
	}{
		{"missing signature", body, "", http.StatusUnauthorized},
		{"wrong secret", body, sign("another-secret", body), http.StatusUnauthorized},
		{"not hex", body, "sha256=zzzz", http.StatusUnauthorized},
		{"sha1 only", body, "sha1=" + good[7:47], http.StatusUnauthorized},
		{"body altered by one byte", altered, good, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		if got := postHook(t, e, conn.WebhookKey, tc.body, tc.sig); got != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.status)
		}
	}
	if n := inboxCount(t, e); n != 0 {
		t.Fatalf("rejected webhooks stored %d rows", n)
	}
	if got := postHook(t, e, "no-such-key", body, good); got != http.StatusNotFound {
		t.Errorf("unknown webhook key: %d", got)
	}
	if got := postHook(t, e, conn.WebhookKey, body, good); got != http.StatusOK {
		t.Fatalf("good signature over non-ASCII body: %d", got)
	}
	drain(t, e)
	var name, text string
	if err := e.Ops.Tx(context.Background(), "test", func(tx *gorm.DB) error {
		return tx.Raw(`SELECT profile_name, body FROM inbound_messages WHERE org_id = ?`, m.OrgID).Row().Scan(&name, &text)
	}); err != nil || name != "José Müller 😀" || text != "Olá" {
		t.Errorf("inbound message stored as %q %q (%v)", name, text, err)
	}

	// Handshake.
	sec, err := e.Connections.Secrets(conn)
	if err != nil {
		t.Fatal(err)
	}
	c := e.Client()
	hook := paths.WhatsAppWebhook(conn.WebhookKey)
	if r := c.Get(hook + "?hub.mode=subscribe&hub.verify_token=" + sec.VerifyToken + "&hub.challenge=1158201444"); r.Status != 200 || r.Body != "1158201444" {
		t.Errorf("handshake: %d %q", r.Status, r.Body)
	}
	if r := c.Get(hook + "?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444"); r.Status != http.StatusForbidden {
		t.Errorf("handshake with a wrong token: %d", r.Status)
	}
}

// Bodies that are signed but not understood are stored and flagged, never
// a 5xx (Meta would retry them for days).
func TestWebhookMalformedStoredAndFlagged(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Odd")
	conn := connect(t, e, m, hookPNID)
	for _, b := range []string{`not json`, `{"object":"x","entry":[{"changes":[{"field":"mystery","value":{}}]}]}`,
		string(statusBody("999999999999", []hookStatus{{ID: "wamid.x", Status: "sent", Timestamp: "1"}}))} {
		if got := postHook(t, e, conn.WebhookKey, []byte(b), sign(hookAppSecret, []byte(b))); got != http.StatusOK {
			t.Errorf("signed odd body: %d", got)
		}
	}
	drain(t, e)
	var flagged int64
	if err := e.Ops.Tx(context.Background(), "test", func(tx *gorm.DB) error {
		return tx.Raw(`SELECT count(*) FROM webhook_inbox WHERE processed_at IS NOT NULL AND problem <> ''`).Scan(&flagged).Error
	}); err != nil || flagged != 3 {
		t.Errorf("flagged bodies = %d, want 3 (%v)", flagged, err)
	}
}
