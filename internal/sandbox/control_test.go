package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestControlAPI(t *testing.T) {
	f := newFixture(t)
	ctl := func(method, path string, body any) apiResp {
		t.Helper()
		return f.do(method, "/_sandbox/"+path, "", body)
	}

	// Register a number over HTTP, with the handshake.
	r := ctl("POST", "numbers?verify=1", map[string]any{"waba_id": "300", "phone_number_id": "301",
		"display_phone_number": "+33 6 12 34 56 78", "verified_name": "Boulangerie", "token": "tok-c",
		"app_secret": "sec-c", "callback_url": f.rcv.srv.URL + "/hook", "verify_token": "verify-me", "tier": "TIER_250"})
	if r.status != 200 {
		t.Fatalf("add number: %d %s", r.status, r.raw)
	}
	if r := ctl("POST", "numbers", map[string]any{"waba_id": "300"}); r.status != 400 {
		t.Errorf("invalid number: %d %s", r.status, r.raw)
	}
	r = ctl("GET", "numbers", nil)
	if strings.Contains(string(r.raw), "tok-c") || strings.Contains(string(r.raw), "sec-c") || !strings.Contains(string(r.raw), `"301"`) {
		t.Errorf("the listing must not show secrets: %s", r.raw)
	}
	if r := f.do("POST", "/v23.0/301/messages", "tok-c", orderUpdate(userTo)); r.status != 200 {
		t.Errorf("sending through the new number: %s", r.raw)
	}

	// Inject an inbound message: it opens the window.
	r = ctl("POST", "inbound", map[string]any{"phone_number_id": pnidA, "from": userTo, "name": "Anna", "text": "STOP"})
	inID, _ := r.m["id"].(string)
	if r.status != 200 || !strings.HasPrefix(inID, "wamid.") {
		t.Fatalf("inbound: %s", r.raw)
	}
	if r := ctl("POST", "inbound", map[string]any{"phone_number_id": pnidA, "from": userTo}); r.status != 400 {
		t.Errorf("inbound without content: %s", r.raw)
	}
	if r := ctl("POST", "inbound", map[string]any{"phone_number_id": "nope", "from": userTo, "text": "x"}); r.status != 404 {
		t.Errorf("inbound to an unknown number: %s", r.raw)
	}
	if r := ctl("GET", "messages/"+inID, nil); r.m["status"] != "received" || r.m["inbound"] != true {
		t.Errorf("message status: %s", r.raw)
	}
	textID := f.mustSend(textMsg(userTo, "Unsubscribed."))

	// Switches.
	r = ctl("POST", "config", map[string]any{"throughput_per_sec": 2, "pair_limit": true, "sent_delay": "1ms",
		"read_prob": 0.5, "webhook_duplicate": true, "fail_webhooks": 3, "webhook_retry_base": 7})
	var cfg configView
	_ = json.Unmarshal(r.raw, &cfg)
	if r.status != 200 || cfg.ThroughputPerSec != 2 || !cfg.PairLimit || cfg.SentDelay != Duration(time.Millisecond) ||
		cfg.ReadProb != 0.5 || !cfg.WebhookDuplicate || cfg.FailWebhooksPending != 3 || cfg.WebhookRetryBase != Duration(7*time.Millisecond) {
		t.Errorf("config: %s", r.raw)
	}
	if got := f.s.Config(); got.ThroughputPerSec != 2 || !got.PairLimit {
		t.Errorf("Config() = %+v", got)
	}
	if r := ctl("POST", "config", map[string]any{"throughput_per_sec": 5000}); r.status != 400 {
		t.Errorf("throughput over 1000: %s", r.raw)
	}
	if r := ctl("POST", "config", map[string]any{"not_on_whatsapp_pattern": "("}); r.status != 400 {
		t.Errorf("bad pattern: %s", r.raw)
	}
	ctl("POST", "config", map[string]any{"throughput_per_sec": 0, "pair_limit": false, "webhook_duplicate": false, "fail_webhooks": 0})

	// Opt-out and template status.
	if r := ctl("POST", "optout", map[string]any{"phone_number_id": pnidA, "user": userTo}); r.status != 200 || !f.s.OptedOut(pnidA, userWA) {
		t.Errorf("optout: %s", r.raw)
	}
	if r := ctl("POST", "templates/status", map[string]any{"waba_id": wabaA, "name": "order_update", "language": "en_US", "status": "PAUSED"}); r.status != 200 {
		t.Errorf("template status: %s", r.raw)
	}
	if r := f.send(orderUpdate(userTo)); r.code() != 132015 {
		t.Errorf("after pausing: %s", r.raw)
	}
	if r := ctl("POST", "templates/status", map[string]any{"waba_id": wabaA, "name": "nope", "language": "en_US", "status": "PAUSED"}); r.status != 404 {
		t.Errorf("unknown template: %s", r.raw)
	}
	if r := ctl("POST", "numbers/"+pnidA+"/quality", map[string]any{"quality": "YELLOW"}); r.status != 200 {
		t.Errorf("quality: %s", r.raw)
	}
	if r := ctl("POST", "tokens/expire", map[string]any{"token": "tok-c"}); r.status != 200 {
		t.Errorf("expire: %s", r.raw)
	}
	if r := f.do("POST", "/v23.0/301/messages", "tok-c", orderUpdate(userTo)); r.code() != 190 {
		t.Errorf("expired token: %s", r.raw)
	}

	f.idle()
	r = ctl("GET", "stats", nil)
	if r.m["accepted"].(float64) < 2 || r.m["webhook_delivered"].(float64) < 1 {
		t.Errorf("stats: %s", r.raw)
	}
	if r := ctl("GET", "webhooks", nil); !strings.Contains(string(r.raw), `"ok":true`) {
		t.Errorf("webhook attempts: %s", r.raw)
	}
	if r := ctl("GET", "messages/"+textID, nil); r.m["status"] == "" {
		t.Errorf("message: %s", r.raw)
	}

	// Reset: state goes, numbers stay, templates are back to the seed.
	if r := ctl("POST", "reset", nil); r.status != 200 {
		t.Fatal(string(r.raw))
	}
	if n := len(f.s.Ledger("", 0)); n != 0 {
		t.Errorf("ledger after reset: %d", n)
	}
	if f.s.OptedOut(pnidA, userWA) {
		t.Error("opt-out survived reset")
	}
	if r := ctl("GET", "messages/"+textID, nil); r.status != http.StatusNotFound {
		t.Errorf("message after reset: %s", r.raw)
	}
	if r := f.send(orderUpdate(userTo)); r.status != 200 {
		t.Errorf("templates after reset: %s", r.raw)
	}
	if r := f.send(textMsg(userTo, "x")); r.status != 200 {
		t.Errorf("send after reset: %s", r.raw)
	}
}

func TestResetDropsPendingWebhooks(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Delays = Delays{Sent: 100 * time.Millisecond, Delivered: 150 * time.Millisecond, Read: 200 * time.Millisecond}
	})
	f.mustSend(orderUpdate(userTo))
	f.s.Reset()
	f.idle()
	if n := len(f.rcv.all()); n != 0 {
		t.Errorf("%d webhooks from before the reset", n)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := DefaultConfig()
	bad.ThroughputPerSec, bad.ReadProb, bad.RejectTemplatesMatching, bad.ThrottleHTTPStatus = -1, 2, "[", 418
	err := bad.Validate()
	for _, want := range []string{"ThroughputPerSec", "probabilities", "RejectTemplatesMatching", "ThrottleHTTPStatus"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate misses %s: %v", want, err)
		}
	}
	var d Duration
	for in, want := range map[string]time.Duration{`"1.5s"`: 1500 * time.Millisecond, `250`: 250 * time.Millisecond} {
		if err := json.Unmarshal([]byte(in), &d); err != nil || time.Duration(d) != want {
			t.Errorf("Duration %s = %v, %v", in, time.Duration(d), err)
		}
	}
}

// TestLogsHideSecrets runs the usual operations with a debug logger and
// checks that no token, app secret or whole phone number reaches the log.
func TestLogsHideSecrets(t *testing.T) {
	var buf safeBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rcv := newReceiver(t)
	rcv.setAnswer(func(n int) int { return 500 })
	cfg := testConfig()
	cfg.WebhookMaxAttempts = 2
	s := New(cfg, log)
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	t.Cleanup(func() { cancel(); s.Wait() })
	if err := s.AddNumber(Number{WABAID: wabaA, PhoneNumberID: pnidA, DisplayPhoneNumber: "+1 555-078-3881",
		Token: tokA, AppSecret: secretA, CallbackURL: rcv.srv.URL, VerifyToken: "verify-me"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InjectInbound(Inbound{PhoneNumberID: pnidA, From: userTo, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	_ = s.WaitIdle(wctx)
	_ = s.ExpireToken(tokA)
	s.Reset()
	out := buf.String()
	if !strings.Contains(out, "sandbox: number registered") || !strings.Contains(out, "dropped") {
		t.Fatalf("the log is missing expected lines:\n%s", out)
	}
	for _, secret := range []string{tokA, secretA, "verify-me", userWA, "15550783881", "555-078-3881"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows %q:\n%s", secret, out)
		}
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
