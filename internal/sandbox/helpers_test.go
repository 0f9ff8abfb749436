package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The numbers every test starts with: two in one WABA, one in another.
const (
	wabaA   = "102290129340398"
	pnidA   = "106540352242922"
	pnidA2  = "106540352242923"
	wabaB   = "200000000000001"
	pnidB   = "200000000000011"
	tokA    = "EAAG-test-token-A"
	tokB    = "EAAG-test-token-B"
	secretA = "app-secret-A"
	secretB = "app-secret-B"
	userTo  = "+4915112345678"
	userWA  = "4915112345678"
)

// fakeClock is a settable clock for the window and pair-rate tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// post is one webhook the receiver got, raw.
type post struct {
	body   []byte
	sig256 string
	sig1   string
	status int // what the receiver answered
}

// receiver is a webhook endpoint that records every POST and can be told to
// fail. It also answers Meta's GET handshake for verifyToken.
type receiver struct {
	srv         *httptest.Server
	mu          sync.Mutex
	posts       []post
	answer      func(n int) int // status for the n-th POST (1-based)
	verifyToken string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{answer: func(int) int { return http.StatusOK }, verifyToken: "verify-me"}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet {
			q := req.URL.Query()
			if q.Get("hub.mode") == "subscribe" && q.Get("hub.verify_token") == r.verifyToken {
				_, _ = io.WriteString(w, q.Get("hub.challenge"))
				return
			}
			w.WriteHeader(http.StatusForbidden)
			return
		}
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.posts) + 1
		status := r.answer(n)
		r.posts = append(r.posts, post{body: body, sig256: req.Header.Get("X-Hub-Signature-256"),
			sig1: req.Header.Get("X-Hub-Signature"), status: status})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setAnswer(f func(n int) int) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

func (r *receiver) all() []post {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]post(nil), r.posts...)
}

// waitFor polls until ok holds for the posts received so far.
func (r *receiver) waitFor(t *testing.T, what string, ok func([]post) bool) []post {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ps := r.all()
		if ok(ps) {
			return ps
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; got %d posts:\n%s", what, len(ps), dumpPosts(ps))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func dumpPosts(ps []post) string {
	var b strings.Builder
	for _, p := range ps {
		b.Write(p.body)
		b.WriteByte('\n')
	}
	return b.String()
}

// webhook is a decoded webhook body.
type webhook struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Time    int64  `json:"time"`
		Changes []struct {
			Field string          `json:"field"`
			Value json.RawMessage `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type messagesValue struct {
	MessagingProduct string `json:"messaging_product"`
	Metadata         struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Statuses []statusJSON     `json:"statuses"`
	Contacts []inboundContact `json:"contacts"`
	Messages []inboundMessage `json:"messages"`
}

type statusJSON struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	Timestamp    string `json:"timestamp"`
	RecipientID  string `json:"recipient_id"`
	BizOpaque    string `json:"biz_opaque_callback_data"`
	Conversation *struct {
		ID         string `json:"id"`
		Expiration string `json:"expiration_timestamp"`
		Origin     struct {
			Type string `json:"type"`
		} `json:"origin"`
	} `json:"conversation"`
	Pricing *struct {
		Billable     bool   `json:"billable"`
		PricingModel string `json:"pricing_model"`
		Category     string `json:"category"`
		Type         string `json:"type"`
	} `json:"pricing"`
	Errors []struct {
		Code      int    `json:"code"`
		Title     string `json:"title"`
		Message   string `json:"message"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
		Href string `json:"href"`
	} `json:"errors"`
}

func decodeWebhook(t *testing.T, body []byte) webhook {
	t.Helper()
	var w webhook
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatalf("webhook body is not JSON: %v\n%s", err, body)
	}
	if w.Object != "whatsapp_business_account" || len(w.Entry) == 0 || len(w.Entry[0].Changes) == 0 {
		t.Fatalf("webhook envelope: %s", body)
	}
	return w
}

// fieldOf returns the field of a one-change webhook.
func fieldOf(t *testing.T, p post) string { return decodeWebhook(t, p.body).Entry[0].Changes[0].Field }

// statusesIn returns every status item of the messages webhooks in ps.
func statusesIn(t *testing.T, ps []post) []statusJSON {
	t.Helper()
	var out []statusJSON
	for _, p := range ps {
		w := decodeWebhook(t, p.body)
		for _, e := range w.Entry {
			for _, c := range e.Changes {
				if c.Field != "messages" {
					continue
				}
				var v messagesValue
				if err := json.Unmarshal(c.Value, &v); err != nil {
					t.Fatal(err)
				}
				out = append(out, v.Statuses...)
			}
		}
	}
	return out
}

func countStatuses(t *testing.T, ps []post) int { return len(statusesIn(t, ps)) }

// validSignature checks X-Hub-Signature-256 over the raw bytes, independently
// of the sandbox's code.
func validSignature(p post, secret string) bool {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(p.body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(want), []byte(p.sig256))
}

// fixture is a started sandbox behind a real HTTP server, with two WABAs
// and a webhook receiver for WABA A's numbers.
type fixture struct {
	t     *testing.T
	s     *Server
	api   *httptest.Server
	rcv   *receiver
	clock *fakeClock
}

// testConfig is fast and deterministic: no limits, every message delivered
// and read, short delays.
func testConfig() Config {
	c := DefaultConfig()
	c.ThroughputPerSec = 0
	c.PairLimit = false
	c.Delays = Delays{Sent: 2 * time.Millisecond, Delivered: 6 * time.Millisecond, Read: 10 * time.Millisecond}
	c.DeliveredProb, c.ReadProb = 1, 1
	c.TemplateReviewDelay = 20 * time.Millisecond
	c.WebhookRetryBase = 5 * time.Millisecond
	c.WebhookWorkers = 2
	return c
}

func newFixture(t *testing.T, opts ...func(*Config)) *fixture {
	t.Helper()
	cfg := testConfig()
	for _, o := range opts {
		o(&cfg)
	}
	f := &fixture{t: t, rcv: newReceiver(t)}
	if cfg.Clock == nil {
		f.clock = &fakeClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
		cfg.Clock = f.clock.Now
	}
	f.s = New(cfg, nil)
	f.api = httptest.NewServer(f.s.Handler())
	t.Cleanup(f.api.Close)
	ctx, cancel := context.WithCancel(context.Background())
	f.s.Start(ctx)
	t.Cleanup(func() { cancel(); f.s.Wait() })
	for _, n := range []Number{
		{WABAID: wabaA, PhoneNumberID: pnidA, DisplayPhoneNumber: "+1 555-078-3881", VerifiedName: "Demo Bakery",
			Token: tokA, AppSecret: secretA, CallbackURL: f.rcv.srv.URL + "/webhook", VerifyToken: "verify-me"},
		{WABAID: wabaA, PhoneNumberID: pnidA2, DisplayPhoneNumber: "+1 555-078-3882", Token: tokA, AppSecret: secretA},
		{WABAID: wabaB, PhoneNumberID: pnidB, DisplayPhoneNumber: "+44 7700 900001", Token: tokB, AppSecret: secretB},
	} {
		if err := f.s.AddNumber(n); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// apiResp is a decoded Graph answer.
type apiResp struct {
	status int
	header http.Header
	raw    []byte
	m      map[string]any
}

func (r apiResp) code() int {
	if e, ok := r.m["error"].(map[string]any); ok {
		c, _ := e["code"].(float64)
		return int(c)
	}
	return 0
}

func (r apiResp) subcode() int {
	if e, ok := r.m["error"].(map[string]any); ok {
		c, _ := e["error_subcode"].(float64)
		return int(c)
	}
	return 0
}

func (r apiResp) wamid() string {
	if ms, ok := r.m["messages"].([]any); ok && len(ms) == 1 {
		id, _ := ms[0].(map[string]any)["id"].(string)
		return id
	}
	return ""
}

// do calls the API; body may be a string (sent as is), nil, or a value
// encoded as JSON.
func (f *fixture) do(method, path, token string, body any) apiResp {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, f.api.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := apiResp{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.m)
	return r
}

func (f *fixture) send(body any) apiResp {
	f.t.Helper()
	return f.do("POST", "/v23.0/"+pnidA+"/messages", tokA, body)
}

// mustSend sends and fails the test unless it was accepted.
func (f *fixture) mustSend(body any) string {
	f.t.Helper()
	r := f.send(body)
	if r.status != 200 || r.wamid() == "" {
		f.t.Fatalf("send: %d %s", r.status, r.raw)
	}
	return r.wamid()
}

func (f *fixture) idle() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.s.WaitIdle(ctx); err != nil {
		f.t.Fatal(err)
	}
}

func textMsg(to, body string) map[string]any {
	return map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
		"type": "text", "text": map[string]any{"body": body}}
}

func tmplMsg(to, name, lang string, components ...map[string]any) map[string]any {
	t := map[string]any{"name": name, "language": map[string]any{"code": lang, "policy": "deterministic"}}
	if len(components) > 0 {
		t["components"] = components
	}
	return map[string]any{"messaging_product": "whatsapp", "to": to, "type": "template", "template": t}
}

func bodyParams(vals ...string) map[string]any {
	ps := make([]map[string]any, 0, len(vals))
	for _, v := range vals {
		ps = append(ps, map[string]any{"type": "text", "text": v})
	}
	return map[string]any{"type": "body", "parameters": ps}
}

func namedParams(kv ...string) map[string]any {
	var ps []map[string]any
	for i := 0; i+1 < len(kv); i += 2 {
		ps = append(ps, map[string]any{"type": "text", "parameter_name": kv[i], "text": kv[i+1]})
	}
	return map[string]any{"type": "body", "parameters": ps}
}

// orderUpdate is a valid send of the seeded utility template.
func orderUpdate(to string) map[string]any {
	return tmplMsg(to, "order_update", "en_US", bodyParams("Anna", "7781"))
}

func newTestServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
