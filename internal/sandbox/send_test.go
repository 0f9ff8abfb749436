package sandbox

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// TestSendErrors covers every synchronous error of the send path, and Meta's
// validation order (§9.2): rows with several faults must report the first.
func TestSendErrors(t *testing.T) {
	okText := textMsg(userTo, "hello")
	self := textMsg("+1 (555) 078-3881", "hi me")
	tests := []struct {
		name        string
		setup       func(f *fixture)
		path, token string
		body        any
		status      int
		code        int
		subcode     int
	}{
		{name: "no token", token: "-", body: okText, status: 401, code: 190},
		{name: "unknown token", token: "nope", body: okText, status: 401, code: 190},
		{name: "expired token", setup: func(f *fixture) { _ = f.s.ExpireToken(tokA) }, body: okText, status: 401, code: 190, subcode: 463},
		{name: "auth before unknown number", token: "nope", path: "/v23.0/999/messages", body: "{", status: 401, code: 190},
		{name: "bad version", path: "/x23/" + pnidA + "/messages", body: okText, status: 400, code: 100},
		{name: "unknown phone number id", path: "/v23.0/999/messages", body: okText, status: 400, code: 100, subcode: 33},
		{name: "number of another WABA", path: "/v23.0/" + pnidB + "/messages", body: okText, status: 400, code: 100, subcode: 33},
		{name: "unknown number before schema", path: "/v23.0/999/messages", body: "{not json", status: 400, code: 100, subcode: 33},
		{name: "invalid JSON", body: "{not json", status: 400, code: 100},
		{name: "messaging_product missing", body: map[string]any{"to": userTo, "type": "text", "text": map[string]any{"body": "x"}}, status: 400, code: 100},
		{name: "messaging_product wrong", body: map[string]any{"messaging_product": "sms", "to": userTo, "text": map[string]any{"body": "x"}}, status: 400, code: 100},
		{name: "unknown key", body: map[string]any{"messaging_product": "whatsapp", "to": userTo, "text": map[string]any{"body": "x"}, "biz_opaque": "x"}, status: 400, code: 100},
		{name: "wrong JSON type", body: map[string]any{"messaging_product": "whatsapp", "to": 4915112345678, "text": map[string]any{"body": "x"}}, status: 400, code: 100},
		{name: "to missing", body: map[string]any{"messaging_product": "whatsapp", "type": "text", "text": map[string]any{"body": "x"}}, status: 400, code: 131008},
		{name: "text object missing", body: map[string]any{"messaging_product": "whatsapp", "to": userTo, "type": "text"}, status: 400, code: 131008},
		{name: "text body empty", body: textMsg(userTo, ""), status: 400, code: 131008},
		{name: "text too long", body: textMsg(userTo, strings.Repeat("a", 4097)), status: 400, code: 100},
		{name: "unknown type", body: map[string]any{"messaging_product": "whatsapp", "to": userTo, "type": "fax"}, status: 400, code: 100},
		{name: "biz_opaque too long", body: map[string]any{"messaging_product": "whatsapp", "to": userTo, "text": map[string]any{"body": "x"}, "biz_opaque_callback_data": strings.Repeat("b", 513)}, status: 400, code: 100},
		{name: "invalid recipient", body: textMsg("call me maybe", "x"), status: 400, code: 131009},
		{name: "recipient too short", body: textMsg("+12", "x"), status: 400, code: 131009},
		{name: "template missing name", body: map[string]any{"messaging_product": "whatsapp", "to": userTo, "type": "template", "template": map[string]any{"language": map[string]any{"code": "en_US"}}}, status: 400, code: 131008},
		{name: "template missing language", body: map[string]any{"messaging_product": "whatsapp", "to": userTo, "type": "template", "template": map[string]any{"name": "hello_world"}}, status: 400, code: 131008},
		{name: "template language as string", body: map[string]any{"messaging_product": "whatsapp", "to": userTo, "type": "template", "template": map[string]any{"name": "hello_world", "language": "en_US"}}, status: 400, code: 100},
		{name: "media without id or link", body: map[string]any{"messaging_product": "whatsapp", "to": userTo, "type": "image", "image": map[string]any{"caption": "x"}}, status: 400, code: 131008},
		{name: "media id unknown", body: map[string]any{"messaging_product": "whatsapp", "to": userTo, "type": "image", "image": map[string]any{"id": "123"}}, status: 400, code: 131009},
		{name: "schema before recipient=sender", body: textMsg("+1 (555) 078-3881", ""), status: 400, code: 131008},
		{name: "recipient is sender", body: self, status: 400, code: 131021},
		{name: "recipient=sender before throughput", setup: exhaustThroughput, body: self, status: 400, code: 131021},
		{name: "throughput", setup: exhaustThroughput, body: okText, status: 400, code: 130429, subcode: 2494055},
		{name: "throughput before pair rate and template", setup: func(f *fixture) { exhaustPair(f); exhaustThroughput(f) },
			body: tmplMsg(userTo, "no_such_template", "en_US"), status: 400, code: 130429},
		{name: "throughput as 429", setup: func(f *fixture) {
			_ = f.s.Configure(func(c *Config) { c.ThrottleHTTPStatus = 429 })
			exhaustThroughput(f)
		}, body: okText, status: 429, code: 130429},
		{name: "pair rate", setup: exhaustPair, body: okText, status: 400, code: 131056},
		{name: "pair rate before template", setup: exhaustPair, body: tmplMsg(userTo, "no_such_template", "en_US"), status: 400, code: 131056},
		{name: "template does not exist", body: tmplMsg(userTo, "no_such_template", "en_US"), status: 404, code: 132001},
		{name: "template language does not exist", body: tmplMsg(userTo, "hello_world", "fr"), status: 404, code: 132001},
		{name: "template of another WABA's number is per WABA", path: "/v23.0/" + pnidB + "/messages", token: tokB,
			setup: func(f *fixture) { createTemplate(f, wabaA, "only_in_a", "Hello {{1}} there.") },
			body:  tmplMsg(userTo, "only_in_a", "en_US", bodyParams("x")), status: 404, code: 132001},
		{name: "template pending", setup: func(f *fixture) { _ = f.s.SetTemplateStatus(wabaA, "order_update", "en_US", StatusPending) },
			body: orderUpdate(userTo), status: 404, code: 132001},
		{name: "template rejected", setup: func(f *fixture) { _ = f.s.SetTemplateStatus(wabaA, "order_update", "en_US", StatusRejected) },
			body: orderUpdate(userTo), status: 404, code: 132001},
		{name: "template paused", setup: func(f *fixture) { _ = f.s.SetTemplateStatus(wabaA, "order_update", "en_US", StatusPaused) },
			body: orderUpdate(userTo), status: 400, code: 132015},
		{name: "template disabled", setup: func(f *fixture) { _ = f.s.SetTemplateStatus(wabaA, "order_update", "en_US", StatusDisabled) },
			body: orderUpdate(userTo), status: 400, code: 132016},
		{name: "paused before parameter checks", setup: func(f *fixture) { _ = f.s.SetTemplateStatus(wabaA, "order_update", "en_US", StatusPaused) },
			body: tmplMsg(userTo, "order_update", "en_US"), status: 400, code: 132015},
		{name: "too few body parameters", body: tmplMsg(userTo, "order_update", "en_US", bodyParams("Anna")), status: 400, code: 132000},
		{name: "too many body parameters", body: tmplMsg(userTo, "order_update", "en_US", bodyParams("Anna", "1", "2")), status: 400, code: 132000},
		{name: "no parameters for a template with variables", body: tmplMsg(userTo, "order_update", "en_US"), status: 400, code: 132000},
		{name: "parameters for a template without variables", body: tmplMsg(userTo, "hello_world", "en_US", bodyParams("x")), status: 400, code: 132000},
		{name: "named parameters for a positional template", body: tmplMsg(userTo, "order_update", "en_US", namedParams("a", "1", "b", "2")), status: 400, code: 132012},
		{name: "positional parameters for a named template", body: tmplMsg(userTo, "spring_offer", "en_US", bodyParams("Anna", "20%")), status: 400, code: 132012},
		{name: "unknown parameter name", body: tmplMsg(userTo, "spring_offer", "en_US", namedParams("first_name", "Anna", "percent", "20%")), status: 400, code: 132000},
		{name: "wrong parameter type", body: tmplMsg(userTo, "order_update", "en_US", map[string]any{"type": "body", "parameters": []any{
			map[string]any{"type": "image", "image": map[string]any{"link": "https://x.test/a.png"}}, map[string]any{"type": "text", "text": "1"}}}), status: 400, code: 132012},
		{name: "dynamic URL button parameter missing", body: tmplMsg(userTo, "verification_code", "en_US", bodyParams("123456")), status: 400, code: 132000},
		{name: "button sub_type mismatch", body: tmplMsg(userTo, "spring_offer", "en_US", namedParams("first_name", "Anna", "discount", "20%"),
			map[string]any{"type": "button", "sub_type": "url", "index": "0", "parameters": []any{map[string]any{"type": "text", "text": "x"}}}), status: 400, code: 132012},
		{name: "filled-in text too long", body: tmplMsg(userTo, "order_update", "en_US", bodyParams(strings.Repeat("a", 1000), "7781")), status: 400, code: 132005},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			path, token := tc.path, tc.token
			if path == "" {
				path = "/v23.0/" + pnidA + "/messages"
			}
			switch token {
			case "":
				token = tokA
			case "-":
				token = ""
			}
			before := len(f.s.Ledger("", 0))
			r := f.do("POST", path, token, tc.body)
			if r.status != tc.status || r.code() != tc.code || (tc.subcode != 0 && r.subcode() != tc.subcode) {
				t.Fatalf("got HTTP %d code %d subcode %d, want HTTP %d code %d subcode %d\n%s",
					r.status, r.code(), r.subcode(), tc.status, tc.code, tc.subcode, r.raw)
			}
			checkEnvelope(t, r)
			if after := len(f.s.Ledger("", 0)); after != before {
				t.Errorf("a rejected send reached the ledger (%d → %d)", before, after)
			}
		})
	}
}

// checkEnvelope checks the Graph error envelope (§2.7).
func checkEnvelope(t *testing.T, r apiResp) {
	t.Helper()
	e, ok := r.m["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object: %s", r.raw)
	}
	for _, k := range []string{"message", "type", "fbtrace_id"} {
		if s, _ := e[k].(string); s == "" {
			t.Errorf("error.%s missing: %s", k, r.raw)
		}
	}
	if code := r.code(); code >= 130000 {
		msg, _ := e["message"].(string)
		if !strings.HasPrefix(msg, "(#") {
			t.Errorf("message %q does not start with (#code)", msg)
		}
		data, _ := e["error_data"].(map[string]any)
		if data["messaging_product"] != "whatsapp" || data["details"] == "" {
			t.Errorf("error_data: %v", data)
		}
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
}

func exhaustThroughput(f *fixture) {
	f.t.Helper()
	if err := f.s.Configure(func(c *Config) { c.ThroughputPerSec, c.ThroughputBurst = 5, 5 }); err != nil {
		f.t.Fatal(err)
	}
	for i := range 5 {
		f.mustSend(orderUpdate("+4915100000" + string(rune('0'+i)) + "00"))
	}
}

func exhaustPair(f *fixture) {
	f.t.Helper()
	if err := f.s.Configure(func(c *Config) { c.PairLimit, c.PairBurst = true, 3 }); err != nil {
		f.t.Fatal(err)
	}
	for range 3 {
		f.mustSend(orderUpdate(userTo))
	}
}

func createTemplate(f *fixture, waba, name, body string) string {
	f.t.Helper()
	r := f.do("POST", "/v23.0/"+waba+"/message_templates", tokA, map[string]any{
		"name": name, "language": "en_US", "category": "UTILITY",
		"components": []any{map[string]any{"type": "BODY", "text": body}}})
	if r.status != 200 {
		f.t.Fatalf("create template: %d %s", r.status, r.raw)
	}
	id, _ := r.m["id"].(string)
	return id
}

func TestSendSuccess(t *testing.T) {
	f := newFixture(t)
	if _, err := f.s.InjectInbound(Inbound{PhoneNumberID: pnidA, From: userTo, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		body       map[string]any
		input      string
		template   bool
	}{
		{"template, formatted number", "/v23.0/", orderUpdate("+49 (151) 1234-5678"), "+49 (151) 1234-5678", true},
		{"text in the window", "/v24.0/", textMsg(userTo, "Your parcel is here."), userTo, false},
		{"named template", "/v25.0/", tmplMsg(userTo, "spring_offer", "en_US", namedParams("discount", "20%", "first_name", "Anna")), userTo, true},
		{"template without variables, any version", "/v17.0/", tmplMsg(userTo, "hello_world", "en_US"), userTo, true},
		{"auth template with URL button", "/v23.0/", tmplMsg(userTo, "verification_code", "en_US", bodyParams("123456"),
			map[string]any{"type": "button", "sub_type": "url", "index": "0", "parameters": []any{map[string]any{"type": "text", "text": "123456"}}}), userTo, true},
		{"quick reply payload, numeric index", "/v23.0/", tmplMsg(userTo, "weekly_news", "en_US", bodyParams("Anna"),
			map[string]any{"type": "button", "sub_type": "quick_reply", "index": 0, "parameters": []any{map[string]any{"type": "payload", "payload": "UNSUB_42"}}}), userTo, true},
		{"currency parameter", "/v23.0/", tmplMsg(userTo, "order_update", "en_US", map[string]any{"type": "body", "parameters": []any{
			map[string]any{"type": "text", "text": "Anna"},
			map[string]any{"type": "currency", "currency": map[string]any{"fallback_value": "€49.90", "code": "EUR", "amount_1000": 49900}}}}), userTo, true},
		{"reply with context", "/v23.0/", func() map[string]any {
			m := textMsg(userTo, "re")
			m["context"] = map[string]any{"message_id": "wamid.x"}
			return m
		}(), userTo, false},
		{"interactive", "/v23.0/", map[string]any{"messaging_product": "whatsapp", "to": userTo, "type": "interactive",
			"interactive": map[string]any{"type": "button", "body": map[string]any{"text": "Pick"}}}, userTo, false},
		{"image by link", "/v23.0/", map[string]any{"messaging_product": "whatsapp", "to": userTo, "type": "image",
			"image": map[string]any{"link": "https://cdn.example.com/box.jpg", "caption": "Box"}}, userTo, false},
		{"access_token query parameter", "/v23.0/", orderUpdate(userTo), userTo, true},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path + pnidA + "/messages"
			token := tokA
			if strings.HasPrefix(tc.name, "access_token") {
				path += "?access_token=" + tokA
				token = ""
			}
			r := f.do("POST", path, token, tc.body)
			if r.status != 200 {
				t.Fatalf("HTTP %d: %s", r.status, r.raw)
			}
			if r.m["messaging_product"] != "whatsapp" {
				t.Errorf("messaging_product: %s", r.raw)
			}
			contacts, _ := r.m["contacts"].([]any)
			if len(contacts) != 1 {
				t.Fatalf("contacts: %s", r.raw)
			}
			c := contacts[0].(map[string]any)
			if c["input"] != tc.input || c["wa_id"] != userWA {
				t.Errorf("contacts[0] = %v, want input %q wa_id %q", c, tc.input, userWA)
			}
			msg := r.m["messages"].([]any)[0].(map[string]any)
			id := msg["id"].(string)
			checkWamid(t, id, userWA)
			if seen[id] {
				t.Errorf("wamid %s repeated", id)
			}
			seen[id] = true
			status, has := msg["message_status"]
			if tc.template && status != "accepted" {
				t.Errorf("message_status = %v, want accepted", status)
			}
			if !tc.template && has {
				t.Errorf("message_status on a non-template send: %s", r.raw)
			}
		})
	}
	if got := len(f.s.Ledger(pnidA, 0)); got != len(tests) {
		t.Errorf("ledger has %d entries, want %d", got, len(tests))
	}
}

// checkWamid checks the id looks like Meta's: "wamid." + base64 of a record
// that carries the recipient's wa_id.
func checkWamid(t *testing.T, id, waid string) {
	t.Helper()
	raw, ok := strings.CutPrefix(id, "wamid.")
	if !ok {
		t.Fatalf("id %q does not start with wamid.", id)
	}
	dec, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatalf("wamid %q is not base64: %v", id, err)
	}
	if !strings.Contains(string(dec), waid) || !strings.HasPrefix(raw, "HBg") {
		t.Errorf("wamid %q does not look like Meta's (decoded %q)", id, dec)
	}
}

func TestWamidsUnique(t *testing.T) {
	g := newIDGen()
	seen := make(map[string]bool, 100000)
	for range 100000 {
		id := g.wamid(userWA, false)
		if seen[id] {
			t.Fatalf("duplicate wamid %s", id)
		}
		seen[id] = true
	}
}

func TestMarkRead(t *testing.T) {
	f := newFixture(t)
	first, _ := f.s.InjectInbound(Inbound{PhoneNumberID: pnidA, From: userTo, Text: "one"})
	f.clock.Advance(1)
	second, _ := f.s.InjectInbound(Inbound{PhoneNumberID: pnidA, From: userTo, Text: "two"})
	r := f.send(map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": second,
		"typing_indicator": map[string]any{"type": "text"}})
	if r.status != 200 || r.m["success"] != true {
		t.Fatalf("mark read: %d %s", r.status, r.raw)
	}
	for _, id := range []string{first, second} { // earlier messages are read too
		if st, _ := f.s.MessageStatus(id); st.Status != "read" {
			t.Errorf("%s: status %q, want read", id, st.Status)
		}
	}
	for name, body := range map[string]map[string]any{
		"unknown message": {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.nope"},
		"bad status":      {"messaging_product": "whatsapp", "status": "seen", "message_id": second},
	} {
		r := f.send(body)
		if r.status != 400 {
			t.Errorf("%s: HTTP %d %s", name, r.status, r.raw)
		}
	}
	if got := len(f.s.Ledger("", 0)); got != 0 {
		t.Errorf("mark-read reached the ledger: %d", got)
	}
	// Another number of the same WABA did not receive it.
	r = f.do("POST", "/v23.0/"+pnidA2+"/messages", tokA, map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": first})
	if r.code() != 131009 {
		t.Errorf("mark read through another number: %d %s", r.status, r.raw)
	}
}

func TestUnknownRoutes(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/v23.0/" + pnidA + "/nothing_here"},
		{"PUT", "/v23.0/" + pnidA + "/messages"},
		{"GET", "/v23.0/" + pnidA + "/messages/extra/segments"},
	} {
		r := f.do(tc.method, tc.path, tokA, nil)
		if r.status != http.StatusBadRequest || r.code() != 100 {
			t.Errorf("%s %s: HTTP %d %s", tc.method, tc.path, r.status, r.raw)
		}
	}
}

func TestPositionalOrder(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TemplateReviewDelay = 0 })
	createTemplate(f, wabaA, "swapped", "Order {{2}} for {{1}} is ready.")
	f.rcv.waitFor(t, "approval", func(ps []post) bool { return len(ps) == 1 })
	f.mustSend(tmplMsg(userTo, "swapped", "en_US", bodyParams("Anna", "7781")))
	m, _ := f.s.st.Load().msgs.get(f.s.Ledger("", 0)[0].WAMID)
	if got := m.bound.bodyText(); got != "Order 7781 for Anna is ready." {
		t.Errorf("rendered %q", got)
	}
}
