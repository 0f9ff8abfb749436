package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"
)

func TestStatusWebhooks(t *testing.T) {
	for _, tc := range []struct {
		version  string
		wantConv bool
	}{{"v23.0", true}, {"v24.0", false}} {
		t.Run(tc.version, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				c.Delays = Delays{Sent: 5 * time.Millisecond, Delivered: 40 * time.Millisecond, Read: 80 * time.Millisecond}
			})
			body := tmplMsg("+49 151 1234 5678", "weekly_news", "en_US", bodyParams("Anna"))
			body["biz_opaque_callback_data"] = "campaign=7;recipient=42"
			r := f.do("POST", "/"+tc.version+"/"+pnidA+"/messages", tokA, body)
			if r.status != 200 {
				t.Fatalf("send: %s", r.raw)
			}
			if r.header.Get("Facebook-Api-Version") != tc.version {
				t.Errorf("facebook-api-version header %q", r.header.Get("Facebook-Api-Version"))
			}
			ps := f.rcv.waitFor(t, "3 statuses", func(ps []post) bool { return len(ps) >= 3 })
			sts := statusesIn(t, ps)
			var order []string
			for i, st := range sts {
				order = append(order, st.Status)
				if st.ID != r.wamid() || st.RecipientID != userWA || st.BizOpaque != "campaign=7;recipient=42" {
					t.Errorf("status %d: %+v", i, st)
				}
				if _, err := strconv.ParseInt(st.Timestamp, 10, 64); err != nil {
					t.Errorf("timestamp %q is not a unix-seconds string", st.Timestamp)
				}
				wantPricing := st.Status != "read" // sent and delivered carry it, read does not
				if (st.Pricing != nil) != wantPricing {
					t.Errorf("%s: pricing present = %v", st.Status, st.Pricing != nil)
				}
				if p := st.Pricing; p != nil && (p.PricingModel != "PMP" || p.Category != "marketing" || p.Type != "regular" || !p.Billable) {
					t.Errorf("%s pricing: %+v", st.Status, p)
				}
				if (st.Conversation != nil) != tc.wantConv {
					t.Errorf("%s: conversation present = %v", st.Status, st.Conversation != nil)
				}
				if c := st.Conversation; c != nil && (c.Origin.Type != "marketing" || (st.Status == "sent") != (c.Expiration != "")) {
					t.Errorf("%s conversation: %+v", st.Status, c)
				}
			}
			if !slices.Equal(order, []string{"sent", "delivered", "read"}) {
				t.Errorf("statuses arrived as %v", order)
			}
			for _, p := range ps {
				if !validSignature(p, secretA) {
					t.Errorf("bad signature on %s", p.body)
				}
				var v messagesValue
				w := decodeWebhook(t, p.body)
				_ = json.Unmarshal(w.Entry[0].Changes[0].Value, &v)
				if w.Entry[0].ID != wabaA || v.Metadata.PhoneNumberID != pnidA || v.Metadata.DisplayPhoneNumber != "15550783881" || v.MessagingProduct != "whatsapp" {
					t.Errorf("envelope: %s", p.body)
				}
			}
			if st, _ := f.s.MessageStatus(r.wamid()); st.Status != "read" {
				t.Errorf("MessageStatus = %+v", st)
			}
		})
	}
}

func TestReadAtOnceSkipsDelivered(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Delays = Delays{Sent: 2 * time.Millisecond, Delivered: 10 * time.Millisecond, Read: 10 * time.Millisecond}
	})
	f.mustSend(orderUpdate(userTo))
	f.idle()
	sts := statusesIn(t, f.rcv.all())
	if len(sts) != 2 || sts[0].Status != "sent" || sts[1].Status != "read" || sts[1].Pricing == nil {
		t.Fatalf("want sent then read with pricing, got %+v", sts)
	}
}

func TestAsyncOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(f *fixture)
		body     map[string]any
		want     []string
		code     int
		category string
		ptype    string
	}{
		{name: "not on WhatsApp", body: orderUpdate("+999 555 0100"), want: []string{"failed"}, code: 131026},
		{name: "text outside the 24h window", body: textMsg(userTo, "hello?"), want: []string{"failed"}, code: 131047},
		{name: "text inside the window is free", setup: func(f *fixture) { inbound(f, "hi") }, body: textMsg(userTo, "hello!"),
			want: []string{"sent", "delivered", "read"}, category: "service", ptype: "free_customer_service"},
		{name: "window closes after 24h", setup: func(f *fixture) { inbound(f, "hi"); f.clock.Advance(24*time.Hour + time.Second) },
			body: textMsg(userTo, "too late"), want: []string{"failed"}, code: 131047},
		{name: "marketing to an opted-out user", setup: func(f *fixture) { _ = f.s.SetOptOut(pnidA, userTo, true) },
			body: tmplMsg(userTo, "weekly_news", "en_US", bodyParams("Anna")), want: []string{"failed"}, code: 131050},
		{name: "opt-out covers the whole business", setup: func(f *fixture) { _ = f.s.SetOptOut(pnidA2, userTo, true) },
			body: tmplMsg(userTo, "weekly_news", "en_US", bodyParams("Anna")), want: []string{"failed"}, code: 131050},
		{name: "utility to an opted-out user is delivered", setup: func(f *fixture) { _ = f.s.SetOptOut(pnidA, userTo, true) },
			body: orderUpdate(userTo), want: []string{"sent", "delivered", "read"}, category: "utility", ptype: "regular"},
		{name: "utility inside the window is free", setup: func(f *fixture) { inbound(f, "hi") },
			body: orderUpdate(userTo), want: []string{"sent", "delivered", "read"}, category: "utility", ptype: "free_customer_service"},
		{name: "authentication is billed", body: tmplMsg(userTo, "verification_code", "en_US", bodyParams("123456"),
			map[string]any{"type": "button", "sub_type": "url", "index": "0", "parameters": []any{map[string]any{"type": "text", "text": "123456"}}}),
			want: []string{"sent", "delivered", "read"}, category: "authentication", ptype: "regular"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			id := f.mustSend(tc.body) // asynchronous failures are accepted first
			f.idle()
			var got []string
			for _, st := range statusesIn(t, f.rcv.all()) {
				if st.ID != id {
					continue
				}
				got = append(got, st.Status)
				if st.Status == "failed" {
					if len(st.Errors) != 1 || st.Errors[0].Code != tc.code || st.Errors[0].Title == "" ||
						st.Errors[0].Message != st.Errors[0].Title || st.Errors[0].ErrorData.Details == "" || st.Errors[0].Href == "" {
						t.Errorf("failed status errors: %+v", st.Errors)
					}
					if st.Pricing != nil {
						t.Errorf("failed status carries pricing")
					}
				}
				if st.Status == "sent" && (st.Pricing == nil || st.Pricing.Category != tc.category || st.Pricing.Type != tc.ptype ||
					st.Pricing.Billable != (tc.ptype == "regular")) {
					t.Errorf("sent pricing %+v, want %s/%s", st.Pricing, tc.category, tc.ptype)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("statuses %v, want %v", got, tc.want)
			}
			ms, _ := f.s.MessageStatus(id)
			if want := tc.want[len(tc.want)-1]; ms.Status != want || ms.ErrorCode != tc.code {
				t.Errorf("MessageStatus %+v, want %s/%d", ms, want, tc.code)
			}
		})
	}
}

func inbound(f *fixture, text string) string {
	f.t.Helper()
	id, err := f.s.InjectInbound(Inbound{PhoneNumberID: pnidA, From: userTo, Name: "Anna", Text: text})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func TestProbabilities(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.DeliveredProb, c.ReadProb = 0, 0 })
	f.mustSend(orderUpdate(userTo))
	f.idle()
	sts := statusesIn(t, f.rcv.all())
	if len(sts) != 1 || sts[0].Status != "sent" {
		t.Fatalf("with DeliveredProb 0 only sent is reported, got %+v", sts)
	}
}

// TestSignatureNonASCII verifies the signature independently over the raw
// bytes, with a profile name outside ASCII (and outside the BMP).
func TestSignatureNonASCII(t *testing.T) {
	f := newFixture(t)
	name := "Zoë Ångström 😀 \"quoted\" </script>"
	id, err := f.s.InjectInbound(Inbound{PhoneNumberID: pnidA, From: userTo, Name: name, Text: "Größe? ✓"})
	if err != nil {
		t.Fatal(err)
	}
	ps := f.rcv.waitFor(t, "the inbound webhook", func(ps []post) bool { return len(ps) == 1 })
	p := ps[0]
	if !validSignature(p, secretA) {
		t.Fatalf("signature %q does not match HMAC-SHA256 of the raw body", p.sig256)
	}
	if validSignature(p, secretB) {
		t.Fatal("signature matches the wrong secret")
	}
	for i := 0; i < len(p.body); i++ {
		if p.body[i] >= utf8.RuneSelf {
			t.Fatalf("raw body has a non-ASCII byte at %d: %s", i, p.body)
		}
	}
	for _, esc := range []string{`Zo\u00eb`, `\u00c5ngstr\u00f6m`, `\ud83d\ude00`, `Gr\u00f6\u00dfe? \u2713`, `</script>`} {
		if !bytes.Contains(p.body, []byte(esc)) {
			t.Errorf("body lacks %s: %s", esc, p.body)
		}
	}
	// Re-encoding the decoded body changes the bytes, so its signature fails:
	// the receiver must hash the raw bytes, as with Meta.
	var anyv any
	_ = json.Unmarshal(p.body, &anyv)
	reenc, _ := json.Marshal(anyv)
	if validSignature(post{body: reenc, sig256: p.sig256}, secretA) {
		t.Error("a re-encoded body still verifies; the escaping is not Meta's")
	}
	w := decodeWebhook(t, p.body)
	var v messagesValue
	if err := json.Unmarshal(w.Entry[0].Changes[0].Value, &v); err != nil {
		t.Fatal(err)
	}
	if w.Entry[0].Changes[0].Field != "messages" || len(v.Contacts) != 1 || v.Contacts[0].Profile.Name != name || v.Contacts[0].WaID != userWA {
		t.Errorf("contacts: %+v", v.Contacts)
	}
	if len(v.Messages) != 1 || v.Messages[0].ID != id || v.Messages[0].From != userWA || v.Messages[0].Type != "text" ||
		v.Messages[0].Text.Body != "Größe? ✓" || v.Messages[0].Timestamp == "" {
		t.Errorf("messages: %+v", v.Messages)
	}
	if v.Metadata.PhoneNumberID != pnidA {
		t.Errorf("metadata: %+v", v.Metadata)
	}
}

func TestInboundButtonWebhook(t *testing.T) {
	f := newFixture(t)
	tmplID := f.mustSend(tmplMsg(userTo, "spring_offer", "en_US", namedParams("first_name", "Anna", "discount", "20%")))
	f.idle()
	n := len(f.rcv.all())
	if _, err := f.s.InjectInbound(Inbound{PhoneNumberID: pnidA, From: userTo, ButtonPayload: "STOP_PROMOS", ButtonText: "Stop promotions", ContextID: tmplID}); err != nil {
		t.Fatal(err)
	}
	ps := f.rcv.waitFor(t, "the button webhook", func(ps []post) bool { return len(ps) > n })
	var v messagesValue
	_ = json.Unmarshal(decodeWebhook(t, ps[n].body).Entry[0].Changes[0].Value, &v)
	m := v.Messages[0]
	if m.Type != "button" || m.Button == nil || m.Button.Payload != "STOP_PROMOS" || m.Button.Text != "Stop promotions" ||
		m.Context == nil || m.Context.ID != tmplID || m.Context.From != "15550783881" {
		t.Errorf("button message: %+v", m)
	}
	// The tap opened the window: a free-form reply is delivered.
	id := f.mustSend(textMsg(userTo, "Done, no more offers."))
	f.idle()
	if st, _ := f.s.MessageStatus(id); st.Status != "read" {
		t.Errorf("reply after the tap: %+v", st)
	}
}

func TestWebhookRetries(t *testing.T) {
	f := newFixture(t)
	f.rcv.setAnswer(func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	inbound(f, "retry me")
	f.idle()
	ps := f.rcv.all()
	if len(ps) != 3 {
		t.Fatalf("want 2 failures and 1 success, got %d posts", len(ps))
	}
	for _, p := range ps[1:] {
		if !bytes.Equal(p.body, ps[0].body) || p.sig256 != ps[0].sig256 {
			t.Error("a retry changed the body or signature")
		}
	}
	st := f.s.Stats()
	if st.WebhookDelivered != 1 || st.WebhookFailedAttempts != 2 || st.WebhookDropped != 0 {
		t.Errorf("stats %+v", st)
	}

	// A receiver that never answers 200 gets WebhookMaxAttempts tries.
	f.rcv.setAnswer(func(int) int { return http.StatusNoContent }) // only 200 counts
	_ = f.s.Configure(func(c *Config) { c.WebhookMaxAttempts = 4 })
	inbound(f, "never acknowledged")
	f.idle()
	if got := len(f.rcv.all()) - 3; got != 4 {
		t.Errorf("%d attempts, want 4", got)
	}
	if st := f.s.Stats(); st.WebhookDropped != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestWebhookBackoffGrows(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.WebhookRetryBase = 20 * time.Millisecond; c.WebhookMaxAttempts = 4 })
	var times []time.Time
	f.rcv.setAnswer(func(int) int { times = append(times, time.Now()); return http.StatusServiceUnavailable })
	inbound(f, "x")
	f.idle()
	f.rcv.mu.Lock()
	defer f.rcv.mu.Unlock()
	if len(times) != 4 {
		t.Fatalf("%d attempts", len(times))
	}
	for i := 1; i < len(times); i++ {
		gap, min := times[i].Sub(times[i-1]), 20*time.Millisecond<<(i-1)
		if gap < min {
			t.Errorf("retry %d after %v, want at least %v", i, gap, min)
		}
	}
}

func TestFailWebhooks(t *testing.T) {
	f := newFixture(t)
	f.s.FailWebhooks(2)
	inbound(f, "ack lost")
	f.idle()
	ps := f.rcv.all()
	if len(ps) != 3 {
		t.Fatalf("the receiver saw the webhook %d times, want 3", len(ps))
	}
	for _, p := range ps {
		if p.status != 200 || !bytes.Equal(p.body, ps[0].body) {
			t.Errorf("post: %d %s", p.status, p.body)
		}
	}
}

func TestWebhookDuplicate(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.WebhookDuplicate = true })
	f.mustSend(orderUpdate(userTo))
	f.idle()
	ps := f.rcv.all()
	if len(ps) != 6 {
		t.Fatalf("3 statuses duplicated = 6 posts, got %d", len(ps))
	}
	count := map[string]int{}
	for _, p := range ps {
		if !validSignature(p, secretA) {
			t.Error("bad signature on a duplicate")
		}
		count[string(p.body)]++
	}
	for body, n := range count {
		if n != 2 {
			t.Errorf("body posted %d times: %s", n, body)
		}
	}
}

func TestWebhookReorder(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.WebhookReorder = true; c.WebhookWorkers = 1 })
	id := f.mustSend(orderUpdate(userTo))
	f.idle()
	var order []string
	for _, st := range statusesIn(t, f.rcv.all()) {
		if st.ID == id {
			order = append(order, st.Status)
		}
	}
	if !slices.Equal(order, []string{"read", "delivered", "sent"}) {
		t.Errorf("with reordering on, statuses arrived as %v", order)
	}
	if st, _ := f.s.MessageStatus(id); st.Status != "read" {
		t.Errorf("the message's own status must still be read: %+v", st)
	}
}

func TestWebhookBatching(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.WebhookBatch, c.WebhookBatchWait, c.WebhookWorkers = 10, 80*time.Millisecond, 1
		c.Delays = Delays{Sent: 30 * time.Millisecond, Delivered: 200 * time.Millisecond, Read: 400 * time.Millisecond}
	})
	for i := range 5 {
		f.mustSend(orderUpdate("+4915100000" + strconv.Itoa(100+i)))
	}
	f.idle()
	ps := f.rcv.all()
	if n := countStatuses(t, ps); n != 15 {
		t.Fatalf("%d statuses, want 15", n)
	}
	largest := 0
	for _, p := range ps {
		largest = max(largest, countStatuses(t, []post{p}))
		if !validSignature(p, secretA) {
			t.Error("bad signature on a batch")
		}
	}
	if largest < 2 || len(ps) >= 15 {
		t.Errorf("no batching: %d posts, largest has %d statuses", len(ps), largest)
	}
}

func TestWebhookQueueDoesNotBlockSends(t *testing.T) {
	// A receiver that hangs must not slow the send path.
	block := make(chan struct{})
	f := newFixture(t)
	f.rcv.setAnswer(func(int) int { <-block; return http.StatusOK })
	t.Cleanup(func() { close(block) })
	_ = f.s.Configure(func(c *Config) { c.WebhookTimeout = 10 * time.Second })
	start := time.Now()
	for i := range 300 {
		f.mustSend(orderUpdate("+4915100" + strconv.Itoa(100000+i)))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("300 sends took %v with a stuck receiver", d)
	}
}
