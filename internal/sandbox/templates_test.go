package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// templateEvents returns the message_template_status_update values so far.
func templateEvents(t *testing.T, ps []post) []templateStatusValue {
	t.Helper()
	var out []templateStatusValue
	for _, p := range ps {
		w := decodeWebhook(t, p.body)
		c := w.Entry[0].Changes[0]
		if c.Field != "message_template_status_update" {
			continue
		}
		if w.Entry[0].Time == 0 || w.Entry[0].ID != wabaA {
			t.Errorf("template webhook entry: %s", p.body)
		}
		var v templateStatusValue
		if err := json.Unmarshal(c.Value, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestTemplateLifecycle(t *testing.T) {
	f := newFixture(t)
	base := "/v23.0/" + wabaA + "/message_templates"
	r := f.do("POST", base, tokA, map[string]any{
		"name": "order_ready", "language": "en_US", "category": "UTILITY",
		"components": []any{
			map[string]any{"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
			map[string]any{"type": "BODY", "text": "Hi {{1}}, order {{2}} is ready for pickup.", "example": map[string]any{"body_text": [][]string{{"Anna", "7781"}}}},
			map[string]any{"type": "FOOTER", "text": "Reply STOP to opt out"},
			map[string]any{"type": "BUTTONS", "buttons": []any{map[string]any{"type": "QUICK_REPLY", "text": "Stop updates"}}},
		}})
	if r.status != 200 || r.m["status"] != "PENDING" || r.m["category"] != "UTILITY" || r.m["id"] == "" {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id := r.m["id"].(string)
	send := tmplMsg(userTo, "order_ready", "en_US",
		map[string]any{"type": "header", "parameters": []any{map[string]any{"type": "text", "text": "7781"}}}, bodyParams("Anna", "7781"))
	if r := f.send(send); r.code() != 132001 {
		t.Errorf("sending a PENDING template: %d %s", r.status, r.raw)
	}
	ps := f.rcv.waitFor(t, "approval", func(ps []post) bool { return len(ps) >= 1 })
	ev := templateEvents(t, ps)
	if len(ev) != 1 || ev[0].Event != "APPROVED" || string(ev[0].TemplateID) != id || ev[0].TemplateName != "order_ready" ||
		ev[0].TemplateLang != "en_US" || ev[0].Reason != "NONE" || ev[0].Category != "UTILITY" {
		t.Fatalf("status update: %+v", ev)
	}
	if !validSignature(ps[0], secretA) {
		t.Error("template webhook signature")
	}
	if !strings.Contains(string(ps[0].body), `"message_template_id":`+id) {
		t.Errorf("message_template_id must be a number: %s", ps[0].body)
	}
	f.mustSend(send)

	// Read it back, by id and in the list.
	r = f.do("GET", "/v23.0/"+id+"?fields=name,status,components,language,category", tokA, nil)
	if r.status != 200 || r.m["status"] != "APPROVED" || r.m["id"] != id || r.m["components"] == nil {
		t.Errorf("GET template: %s", r.raw)
	}
	if r := f.do("GET", "/v23.0/"+id, tokB, nil); r.code() != 100 || r.subcode() != 33 {
		t.Errorf("another WABA's token sees the template: %s", r.raw)
	}

	// Rejected by the pattern.
	r = f.do("POST", base, tokA, map[string]any{"name": "please_reject_me", "language": "en_US", "category": "MARKETING",
		"components": []any{map[string]any{"type": "BODY", "text": "Buy now!"}}})
	if r.status != 200 {
		t.Fatal(string(r.raw))
	}
	ps = f.rcv.waitFor(t, "rejection", func(ps []post) bool { return len(templateEvents(t, ps)) >= 2 })
	ev = templateEvents(t, ps)
	if ev[1].Event != "REJECTED" || ev[1].Reason == "NONE" {
		t.Errorf("rejection: %+v", ev[1])
	}

	// Creation errors.
	for name, body := range map[string]map[string]any{
		"duplicate":            {"name": "order_ready", "language": "en_US", "category": "UTILITY", "components": []any{map[string]any{"type": "BODY", "text": "x"}}},
		"bad name":             {"name": "Order Ready", "language": "en_US", "category": "UTILITY", "components": []any{map[string]any{"type": "BODY", "text": "x"}}},
		"bad category":         {"name": "x1", "language": "en_US", "category": "PROMO", "components": []any{map[string]any{"type": "BODY", "text": "x"}}},
		"no body":              {"name": "x2", "language": "en_US", "category": "UTILITY"},
		"variable at the end":  {"name": "x3", "language": "en_US", "category": "UTILITY", "components": []any{map[string]any{"type": "BODY", "text": "Hello {{1}}"}}},
		"gap in variables":     {"name": "x4", "language": "en_US", "category": "UTILITY", "components": []any{map[string]any{"type": "BODY", "text": "Hi {{1}} and {{3}}."}}},
		"named in positional":  {"name": "x5", "language": "en_US", "category": "UTILITY", "components": []any{map[string]any{"type": "BODY", "text": "Hi {{name}}."}}},
		"bad language":         {"name": "x6", "language": "english", "category": "UTILITY", "components": []any{map[string]any{"type": "BODY", "text": "x"}}},
		"variable in a footer": {"name": "x7", "language": "en_US", "category": "UTILITY", "components": []any{map[string]any{"type": "BODY", "text": "x"}, map[string]any{"type": "FOOTER", "text": "{{1}}"}}},
	} {
		r := f.do("POST", base, tokA, body)
		if r.status != 400 || r.code() != 100 {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	if r := f.do("POST", base, tokA, map[string]any{"name": "order_ready", "language": "en_US", "category": "UTILITY",
		"components": []any{map[string]any{"type": "BODY", "text": "x"}}}); r.subcode() != 2388024 {
		t.Errorf("duplicate subcode: %s", r.raw)
	}

	// Named parameters.
	r = f.do("POST", base, tokA, map[string]any{"name": "named_one", "language": "de", "category": "MARKETING", "parameter_format": "NAMED",
		"components": []any{map[string]any{"type": "BODY", "text": "Hallo {{vorname}}, {{rabatt}} Rabatt!"}}})
	if r.status != 200 {
		t.Fatal(string(r.raw))
	}
	f.rcv.waitFor(t, "approval of named_one", func(ps []post) bool { return len(templateEvents(t, ps)) >= 3 })
	f.mustSend(tmplMsg(userTo, "named_one", "de", namedParams("rabatt", "20 %", "vorname", "Jörg")))

	// Pause, unpause, pause twice more: disabled.
	if err := f.s.SetTemplateStatus(wabaA, "order_ready", "en_US", StatusPaused); err != nil {
		t.Fatal(err)
	}
	if r := f.send(send); r.code() != 132015 {
		t.Errorf("paused: %s", r.raw)
	}
	if r := f.do("POST", "/v23.0/"+id+"/unpause", tokA, nil); r.status != 200 || r.m["success"] != true {
		t.Errorf("unpause: %s", r.raw)
	}
	f.mustSend(send)
	_ = f.s.SetTemplateStatus(wabaA, "order_ready", "en_US", StatusPaused)
	_ = f.s.SetTemplateStatus(wabaA, "order_ready", "en_US", StatusApproved)
	_ = f.s.SetTemplateStatus(wabaA, "order_ready", "en_US", StatusPaused)
	if r := f.send(send); r.code() != 132016 {
		t.Errorf("third pause must disable: %s", r.raw)
	}
	ps = f.rcv.waitFor(t, "pause events", func(ps []post) bool { return len(templateEvents(t, ps)) >= 8 })
	var events []string
	for _, e := range templateEvents(t, ps)[3:] {
		title := ""
		if e.OtherInfo != nil {
			title = e.OtherInfo["title"]
		}
		events = append(events, e.Event+":"+title)
	}
	slices.Sort(events) // webhooks may arrive in any order
	if got := strings.Join(events, " "); got != "APPROVED:UNPAUSE APPROVED:UNPAUSE DISABLED:DISABLED PAUSED:FIRST_PAUSE PAUSED:SECOND_PAUSE" {
		t.Errorf("events: %s", got)
	}
	if r := f.do("DELETE", base+"?name=order_ready", tokA, nil); r.status != 400 {
		t.Errorf("deleting a disabled template: %s", r.raw)
	}

	// Delete.
	if r := f.do("DELETE", base+"?name=named_one", tokA, nil); r.status != 200 || r.m["success"] != true {
		t.Errorf("delete: %s", r.raw)
	}
	if r := f.send(tmplMsg(userTo, "named_one", "de", namedParams("rabatt", "1", "vorname", "x"))); r.code() != 132001 {
		t.Errorf("sending a deleted template: %s", r.raw)
	}
	if r := f.do("DELETE", base+"?name=named_one", tokA, nil); r.status != 400 {
		t.Errorf("deleting twice: %s", r.raw)
	}
}

func TestTemplateEdit(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/v23.0/"+wabaA+"/message_templates?name=order_update", tokA, nil)
	id := r.m["data"].([]any)[0].(map[string]any)["id"].(string)
	r = f.do("POST", "/v23.0/"+id, tokA, map[string]any{"components": []any{map[string]any{"type": "BODY", "text": "Hello {{1}}, parcel {{2}} ships today."}}})
	if r.status != 200 {
		t.Fatal(string(r.raw))
	}
	if r := f.send(orderUpdate(userTo)); r.code() != 132001 {
		t.Errorf("an edited template is back in review: %s", r.raw)
	}
	f.rcv.waitFor(t, "re-approval", func(ps []post) bool { return len(templateEvents(t, ps)) == 1 })
	f.mustSend(orderUpdate(userTo))
}

func TestTemplateList(t *testing.T) {
	f := newFixture(t)
	base := "/v23.0/" + wabaA + "/message_templates"
	var names []string
	next := base + "?limit=2&fields=name,status,category"
	for pages := 0; next != ""; pages++ {
		r := f.do("GET", strings.TrimPrefix(next, f.api.URL), tokA, nil)
		if r.status != 200 || pages > 10 {
			t.Fatalf("list: %d %s", r.status, r.raw)
		}
		for _, d := range r.m["data"].([]any) {
			m := d.(map[string]any)
			if m["status"] != "APPROVED" || m["id"] == nil || m["components"] != nil {
				t.Errorf("fields: %v", m)
			}
			names = append(names, m["name"].(string))
		}
		next = ""
		if p, ok := r.m["paging"].(map[string]any); ok {
			if c := p["cursors"].(map[string]any); c["after"] == "" || c["before"] == "" {
				t.Errorf("cursors: %v", c)
			}
			next, _ = p["next"].(string)
		}
		if next != "" {
			if u, err := url.Parse(next); err != nil || u.Host == "" {
				t.Errorf("next is not absolute: %q", next)
			}
		}
	}
	if strings.Join(names, ",") != "hello_world,order_update,spring_offer,weekly_news,verification_code" {
		t.Errorf("listed %v", names)
	}
	r := f.do("GET", base+"?category=MARKETING&fields=name", tokA, nil)
	if n := len(r.m["data"].([]any)); n != 2 {
		t.Errorf("category filter: %s", r.raw)
	}
	r = f.do("GET", base+"?fields=name,nonsense", tokA, nil)
	if r.code() != 100 {
		t.Errorf("unknown field: %s", r.raw)
	}
	if r := f.do("GET", base, tokB, nil); r.code() != 100 || r.subcode() != 33 {
		t.Errorf("another WABA's templates: %s", r.raw)
	}
	r = f.do("GET", base+"?access_token="+tokA, "", nil)
	if r.status != http.StatusOK {
		t.Errorf("access_token in the query: %s", r.raw)
	}
}
