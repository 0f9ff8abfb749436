package whatsapp

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseWebhook feeds arbitrary bodies to ParseWebhook: it must never
// panic, and whatever it accepts must flatten into well-formed events.
func FuzzParseWebhook(f *testing.F) {
	for _, h := range docHooks {
		f.Add([]byte(h))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"entry":[{"changes":[{"field":"messages","value":null}]}]}`))
	f.Add([]byte(`{"entry":[{"id":{},"time":"x","changes":[{"field":"messages","value":{"statuses":[{"timestamp":{}}]}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := ParseWebhook(body)
		if err != nil {
			if len(env.Events()) != 0 || len(env.Entries) != 0 {
				t.Fatalf("error %v with a non-empty envelope", err)
			}
			return
		}
		if len(body) > MaxWebhookBody {
			t.Fatal("accepted an oversized body")
		}
		changes := 0
		for _, e := range env.Entries {
			changes += len(e.Changes)
		}
		evs := env.Events()
		if len(evs) < changes {
			t.Fatalf("%d events for %d changes: a change was dropped", len(evs), changes)
		}
		for i, ev := range evs {
			if ev.Kind == "" {
				t.Fatalf("event %d has no kind", i)
			}
			ok := false
			switch ev.Kind {
			case KindStatus:
				ok = ev.Status != nil && StatusRank(ev.Status.Status) >= 0
			case KindMessage:
				ok = ev.Message != nil
			case KindError:
				ok = len(ev.Errors) > 0
			case KindTemplateStatus:
				ok = ev.Template != nil
			case KindPhoneQuality:
				ok = ev.Quality != nil
			case KindUserPreference:
				ok = ev.Preference != nil
			case KindUnknown:
				ok = json.Valid(ev.Raw)
			}
			if !ok {
				t.Fatalf("event %d of kind %q lacks its payload: %+v", i, ev.Kind, ev)
			}
			if ev.Err != nil && ev.Kind != KindUnknown {
				t.Fatalf("event %d: Err on a %q event", i, ev.Kind)
			}
		}
		// Parsing is a pure function of the bytes.
		again, err := ParseWebhook(body)
		if err != nil || !reflect.DeepEqual(again.Events(), evs) {
			t.Fatalf("second parse differs (%v)", err)
		}
	})
}

// FuzzAppendString checks the hand-written JSON string encoder against
// encoding/json: same decoded value, always valid JSON.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\ nl\n tab\t", "\x00\x1f\x7f", "ünï 😀", "\u2028\u2029", "\xff\xfe bad utf8 \xc3", "<>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendString(nil, s)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("appendString(%q) = %s: invalid JSON: %v", s, out, err)
		}
		ref, _ := json.Marshal(s)
		var want string
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("appendString(%q) decodes to %q, encoding/json to %q", s, got, want)
		}
	})
}
