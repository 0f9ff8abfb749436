package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// Webhook payloads from the design doc (§3.5–§3.8), as Meta sends them.
const (
	hookStatusSent = `{ "object": "whatsapp_business_account",
  "entry": [ { "id": "102290129340398", "changes": [ { "field": "messages", "value": {
    "messaging_product": "whatsapp",
    "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
    "statuses": [ {
      "id": "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",
      "status": "sent", "timestamp": "1750030073", "recipient_id": "16505551234",
      "biz_opaque_callback_data": "ledger:42",
      "pricing": { "billable": true, "pricing_model": "PMP", "type": "regular", "category": "marketing" }
    } ] } } ] } ] }`

	hookStatusBatch = `{ "object": "whatsapp_business_account",
  "entry": [ { "id": "102290129340398", "changes": [ { "field": "messages", "value": {
    "messaging_product": "whatsapp",
    "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
    "statuses": [
      { "id": "wamid.XYZ", "status": "delivered", "timestamp": "1750030080", "recipient_id": "16505551234",
        "pricing": { "billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service" } },
      { "id": "wamid.XYZ", "status": "failed", "timestamp": "1751142888", "recipient_id": "16505551234",
        "errors": [ { "code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
          "error_data": { "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number." },
          "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/" } ] },
      { "id": "wamid.OLD", "status": "sent", "timestamp": "1750030073", "recipient_id": "16505551234",
        "conversation": { "id": "CONV1", "expiration_timestamp": "1750116473", "origin": { "type": "utility" } } }
    ] } } ] } ] }`

	hookInboundText = `{ "object": "whatsapp_business_account",
  "entry": [ { "id": "102290129340398", "changes": [ { "field": "messages", "value": {
    "messaging_product": "whatsapp",
    "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
    "contacts": [ { "profile": { "name": "Anna Schmidt" }, "wa_id": "4915112345678" } ],
    "messages": [ { "from": "4915112345678", "id": "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDNBQjEyMzQ1Njc4OUFCQ0RFRkcA",
                    "timestamp": "1750091045", "type": "text", "text": { "body": "Where is my parcel?" } } ]
  } } ] } ] }`

	hookInboundButtons = `{ "object": "whatsapp_business_account",
  "entry": [ { "id": "102290129340398", "changes": [ { "field": "messages", "value": {
    "messaging_product": "whatsapp",
    "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
    "contacts": [ { "profile": { "name": "Anna Schmidt" }, "wa_id": "4915112345678" },
                  { "profile": { "name": "Ben" }, "wa_id": "4915100000000" } ],
    "messages": [
      { "context": { "from": "15550783881", "id": "wamid.TEMPLATE" },
        "from": "4915112345678", "id": "wamid.B1", "timestamp": "1750091100",
        "type": "button", "button": { "payload": "STOP_SHIPPING_UPDATES", "text": "Stop updates" } },
      { "context": { "from": "15550783881", "id": "wamid.INTERACTIVE" },
        "from": "4915100000000", "id": "wamid.B2", "timestamp": "1750025136",
        "type": "interactive",
        "interactive": { "type": "button_reply", "button_reply": { "id": "slot_am", "title": "Morning" } } },
      { "from": "4915100000000", "id": "wamid.B3", "timestamp": "1750025137", "type": "image",
        "image": { "id": "1037543291543636", "mime_type": "image/jpeg", "sha256": "abc", "caption": "my box" } },
      { "from": "4915100000000", "id": "wamid.B4", "timestamp": "1750025138", "type": "unsupported",
        "errors": [ { "code": 131051, "title": "Message type unknown", "message": "Message type unknown" } ] }
    ] } } ] } ] }`

	hookSystemError = `{ "object": "whatsapp_business_account",
  "entry": [ { "id": "102290129340398", "changes": [ { "field": "messages", "value": {
    "messaging_product": "whatsapp",
    "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
    "errors": [ { "code": 130429, "title": "Rate limit hit", "message": "Rate limit hit",
                  "error_data": { "details": "Message failed to send because there were too many messages sent from this phone number in a short period of time" },
                  "href": "/documentation/business-messaging/whatsapp/support/error-codes" } ]
  } } ] } ] }`

	hookTemplateStatus = `{ "object": "whatsapp_business_account",
  "entry": [ { "id": "102290129340398", "time": 1751247548, "changes": [ {
    "field": "message_template_status_update",
    "value": { "event": "APPROVED", "message_template_id": 1689556908129832,
               "message_template_name": "order_shipped", "message_template_language": "en_US",
               "reason": "NONE", "message_template_category": "UTILITY" } } ] } ] }`

	hookTemplatePaused = `{ "object": "whatsapp_business_account",
  "entry": [ { "id": "102290129340398", "time": 1751247600, "changes": [ {
    "field": "message_template_status_update",
    "value": { "event": "PAUSED", "message_template_id": 1689556908129832,
               "message_template_name": "order_shipped", "message_template_language": "en_US", "reason": null,
               "other_info": { "title": "FIRST_PAUSE", "description": "paused for 3 hours" } } } ] } ] }`

	hookQuality = `{ "object": "whatsapp_business_account",
  "entry": [ { "id": "102290129340398", "time": 1751247700, "changes": [ {
    "field": "phone_number_quality_update",
    "value": { "display_phone_number": "15550783881", "event": "THROUGHPUT_UPGRADE",
               "current_limit": "TIER_10K", "max_daily_conversations_per_business": "TIER_10K" } } ] } ] }`

	hookUserPreferences = `{ "object": "whatsapp_business_account",
  "entry": [ { "id": "102290129340398", "changes": [ { "field": "user_preferences", "value": {
    "messaging_product": "whatsapp",
    "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
    "contacts": [ { "wa_id": "4915112345678" } ],
    "user_preferences": [ { "wa_id": "4915112345678", "category": "marketing_messages", "value": "stop",
                            "detail": "User requested to stop marketing messages", "timestamp": 1731705721 } ] } } ] } ] }`

	hookUnknownField = `{ "object": "whatsapp_business_account",
  "entry": [ { "id": "102290129340398", "time": 1751247800, "changes": [
    { "field": "account_update", "value": { "event": "VOLUME_BASED_PRICING_TIER_UPDATE" } },
    { "field": "messages", "value": { "statuses": "not a list" } },
    { "field": "messages", "value": { "messaging_product": "whatsapp" } },
    { "field": "business_capability_update" } ] } ] }`
)

var docHooks = []string{hookStatusSent, hookStatusBatch, hookInboundText, hookInboundButtons, hookSystemError,
	hookTemplateStatus, hookTemplatePaused, hookQuality, hookUserPreferences, hookUnknownField}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifySignature(t *testing.T) {
	const secret = "app-secret-123"
	body := []byte(hookStatusSent)
	good := sign(secret, body)

	// Meta signs the body as sent, with non-ASCII escaped as \uXXXX.
	escaped := []byte(`{"entry":[{"changes":[{"value":{"contacts":[{"profile":{"name":"J\u00fcrgen \u00e4\u00f6\u00e5 \ud83d\ude00"}}]}}]}]}`)
	var decoded any
	if err := json.Unmarshal(escaped, &decoded); err != nil {
		t.Fatal(err)
	}
	reencoded, _ := json.Marshal(decoded) // "Jürgen äöå 😀" as raw UTF-8
	rawUTF8 := []byte(`{"name":"Jürgen"}`)

	altered := append([]byte(nil), body...)
	altered[len(altered)/2] ^= 1

	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		want   bool
	}{
		{"good", secret, body, good, true},
		{"good, upper-case hex", secret, body, "sha256=" + strings.ToUpper(good[len("sha256="):]), true},
		{"good, surrounding space", secret, body, " " + good + " ", true},
		{"wrong secret", "other", body, good, false},
		{"empty secret", "", body, sign("", body), false},
		{"missing header", secret, body, "", false},
		{"sha1 header", secret, body, "sha1=" + good[len("sha256="):len("sha256=")+40], false},
		{"no prefix", secret, body, good[len("sha256="):], false},
		{"not hex", secret, body, "sha256=" + strings.Repeat("zz", 32), false},
		{"too short", secret, body, good[:len(good)-2], false},
		{"too long", secret, body, good + "00", false},
		{"body altered by one bit", secret, altered, good, false},
		{"body with a byte appended", secret, append(append([]byte(nil), body...), ' '), good, false},
		{"escaped non-ASCII, as sent", secret, escaped, sign(secret, escaped), true},
		{"escaped non-ASCII, re-encoded by us", secret, reencoded, sign(secret, escaped), false},
		{"raw UTF-8 body, as sent", secret, rawUTF8, sign(secret, rawUTF8), true},
		{"empty body", secret, nil, sign(secret, nil), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifySignature(tt.secret, tt.body, tt.header); got != tt.want {
				t.Fatalf("VerifySignature = %v, want %v", got, tt.want)
			}
		})
	}
	if string(reencoded) == string(escaped) {
		t.Fatal("re-encoding kept the escapes; the escaped-vs-raw case tests nothing")
	}
}

func TestVerifyHandshake(t *testing.T) {
	q := func(mode, token, challenge string) url.Values {
		v := url.Values{}
		if mode != "" {
			v.Set("hub.mode", mode)
		}
		if token != "" {
			v.Set("hub.verify_token", token)
		}
		if challenge != "" {
			v.Set("hub.challenge", challenge)
		}
		return v
	}
	tests := []struct {
		name  string
		q     url.Values
		token string
		want  string
		ok    bool
	}{
		{"valid", q("subscribe", "s3cret", "1158201444"), "s3cret", "1158201444", true},
		{"wrong token", q("subscribe", "guess", "1158201444"), "s3cret", "", false},
		{"token prefix", q("subscribe", "s3cre", "1158201444"), "s3cret", "", false},
		{"wrong mode", q("unsubscribe", "s3cret", "1158201444"), "s3cret", "", false},
		{"no mode", q("", "s3cret", "1158201444"), "s3cret", "", false},
		{"no challenge", q("subscribe", "s3cret", ""), "s3cret", "", false},
		{"markup in challenge", q("subscribe", "s3cret", "<script>alert(1)</script>"), "s3cret", "", false},
		{"overlong challenge", q("subscribe", "s3cret", strings.Repeat("1", 257)), "s3cret", "", false},
		{"empty configured token", q("subscribe", "", "1"), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := VerifyHandshake(tt.q, tt.token)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("got %q, %v", got, ok)
			}
		})
	}
}

func TestParseWebhook(t *testing.T) {
	meta := func(e Event) Event {
		e.WABAID, e.PhoneNumberID, e.DisplayPhoneNumber = "102290129340398", "106540352242922", "15550783881"
		if e.Field == "" {
			e.Field = "messages"
		}
		return e
	}
	tests := []struct {
		name string
		body string
		want []Event
	}{
		{"sent with pricing", hookStatusSent, []Event{meta(Event{Kind: KindStatus, Status: &StatusUpdate{
			WAMID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", Status: "sent", Timestamp: 1750030073,
			RecipientID: "16505551234", BizOpaqueCallbackData: "ledger:42",
			Pricing: &Pricing{Billable: true, PricingModel: "PMP", Type: "regular", Category: "marketing"}}})}},
		{"batch: delivered, failed, sent with conversation", hookStatusBatch, []Event{
			meta(Event{Kind: KindStatus, Status: &StatusUpdate{WAMID: "wamid.XYZ", Status: "delivered", Timestamp: 1750030080, RecipientID: "16505551234",
				Pricing: &Pricing{PricingModel: "PMP", Type: "free_customer_service", Category: "service"}}}),
			meta(Event{Kind: KindStatus, Status: &StatusUpdate{WAMID: "wamid.XYZ", Status: "failed", Timestamp: 1751142888, RecipientID: "16505551234",
				Errors: []ErrorDetail{{Code: 131047, Title: "Re-engagement message", Message: "Re-engagement message",
					Details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
					Href:    "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}}}}),
			meta(Event{Kind: KindStatus, Status: &StatusUpdate{WAMID: "wamid.OLD", Status: "sent", Timestamp: 1750030073, RecipientID: "16505551234",
				Conversation: &Conversation{ID: "CONV1", ExpirationTimestamp: 1750116473, OriginType: "utility"}}}),
		}},
		{"inbound text", hookInboundText, []Event{meta(Event{Kind: KindMessage, Message: &InboundMessage{
			From: "4915112345678", WAMID: "wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDNBQjEyMzQ1Njc4OUFCQ0RFRkcA", Timestamp: 1750091045,
			Type: "text", Text: "Where is my parcel?", ContactName: "Anna Schmidt"}})}},
		{"inbound buttons, media, unsupported", hookInboundButtons, []Event{
			meta(Event{Kind: KindMessage, Message: &InboundMessage{From: "4915112345678", WAMID: "wamid.B1", Timestamp: 1750091100, Type: "button",
				ButtonPayload: "STOP_SHIPPING_UPDATES", ButtonText: "Stop updates", ContextWAMID: "wamid.TEMPLATE", ContactName: "Anna Schmidt"}}),
			meta(Event{Kind: KindMessage, Message: &InboundMessage{From: "4915100000000", WAMID: "wamid.B2", Timestamp: 1750025136, Type: "interactive",
				ReplyID: "slot_am", ReplyTitle: "Morning", ContextWAMID: "wamid.INTERACTIVE", ContactName: "Ben"}}),
			meta(Event{Kind: KindMessage, Message: &InboundMessage{From: "4915100000000", WAMID: "wamid.B3", Timestamp: 1750025137, Type: "image",
				MediaID: "1037543291543636", MIMEType: "image/jpeg", Caption: "my box", ContactName: "Ben"}}),
			meta(Event{Kind: KindMessage, Message: &InboundMessage{From: "4915100000000", WAMID: "wamid.B4", Timestamp: 1750025138, Type: "unsupported",
				ContactName: "Ben", Errors: []ErrorDetail{{Code: 131051, Title: "Message type unknown", Message: "Message type unknown"}}}}),
		}},
		{"system error", hookSystemError, []Event{meta(Event{Kind: KindError, Errors: []ErrorDetail{{Code: 130429, Title: "Rate limit hit", Message: "Rate limit hit",
			Details: "Message failed to send because there were too many messages sent from this phone number in a short period of time",
			Href:    "/documentation/business-messaging/whatsapp/support/error-codes"}}})}},
		{"template approved", hookTemplateStatus, []Event{{Kind: KindTemplateStatus, Field: "message_template_status_update",
			WABAID: "102290129340398", Time: 1751247548, Template: &TemplateUpdate{TemplateID: "1689556908129832", Name: "order_shipped",
				Language: "en_US", Event: "APPROVED", Reason: "NONE", Category: "UTILITY"}}}},
		{"template paused, null reason", hookTemplatePaused, []Event{{Kind: KindTemplateStatus, Field: "message_template_status_update",
			WABAID: "102290129340398", Time: 1751247600, Template: &TemplateUpdate{TemplateID: "1689556908129832", Name: "order_shipped",
				Language: "en_US", Event: "PAUSED", Title: "FIRST_PAUSE", Description: "paused for 3 hours"}}}},
		{"quality update", hookQuality, []Event{{Kind: KindPhoneQuality, Field: "phone_number_quality_update", WABAID: "102290129340398",
			Time: 1751247700, DisplayPhoneNumber: "15550783881",
			Quality: &QualityUpdate{Event: "THROUGHPUT_UPGRADE", MaxDailyConversations: "TIER_10K", CurrentLimit: "TIER_10K"}}}},
		{"user preferences", hookUserPreferences, []Event{meta(Event{Kind: KindUserPreference, Field: "user_preferences",
			Preference: &PreferenceUpdate{WAID: "4915112345678", Category: "marketing_messages", Value: "stop",
				Detail: "User requested to stop marketing messages", Timestamp: 1731705721}})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := ParseWebhook([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if env.Object != "whatsapp_business_account" {
				t.Fatalf("object %q", env.Object)
			}
			got := env.Events()
			if !reflect.DeepEqual(got, tt.want) {
				gj, _ := json.MarshalIndent(got, "", " ")
				wj, _ := json.MarshalIndent(tt.want, "", " ")
				t.Fatalf("events differ\n got: %s\nwant: %s", gj, wj)
			}
		})
	}
}

func TestParseWebhookUnknownAndOdd(t *testing.T) {
	env, err := ParseWebhook([]byte(hookUnknownField))
	if err != nil {
		t.Fatal(err)
	}
	evs := env.Events()
	if len(evs) != 4 {
		t.Fatalf("%d events", len(evs))
	}
	for i, ev := range evs {
		if ev.Kind != KindUnknown || len(ev.Raw) == 0 || ev.Time != 1751247800 {
			t.Errorf("event %d: %+v", i, ev)
		}
	}
	if evs[0].Field != "account_update" || evs[0].Err != nil || !strings.Contains(string(evs[0].Raw), "VOLUME_BASED") {
		t.Errorf("unknown field: %+v", evs[0])
	}
	if evs[1].Err == nil || !strings.HasPrefix(evs[1].Err.Error(), "whatsapp: ") {
		t.Errorf("unreadable messages value should carry Err: %+v", evs[1])
	}
	if evs[2].Err != nil {
		t.Errorf("empty messages value is not an error: %+v", evs[2])
	}
	if string(evs[3].Raw) != "null" {
		t.Errorf("missing value raw = %q", evs[3].Raw)
	}
	if len(env.Entries) != 1 || len(env.Entries[0].Changes) != 4 || env.Entries[0].Changes[0].Field != "account_update" {
		t.Errorf("entries %+v", env.Entries)
	}

	// Several entries and changes in one POST; numbers where strings are
	// usual; BSUID extras are tolerated.
	multi := `{"object":"whatsapp_business_account","entry":[
	  {"id":1,"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":106540352242922},
	    "statuses":[{"id":"wamid.1","status":"read","timestamp":1750030090,"recipient_id":16505551234,"recipient_user_id":"US.1"}]}}]},
	  {"id":"2","changes":[{"field":"messages","value":{"contacts":[{"wa_id":"1","user_id":"US.13491208655302741918","profile":{"name":"X"}}],
	    "messages":[{"from":"1","id":"wamid.2","timestamp":"bogus","type":"text","text":{"body":"hi"}}]}}]}]}`
	env, err = ParseWebhook([]byte(multi))
	if err != nil {
		t.Fatal(err)
	}
	evs = env.Events()
	if len(evs) != 2 || evs[0].WABAID != "1" || evs[0].PhoneNumberID != "106540352242922" ||
		evs[0].Status.RecipientID != "16505551234" || evs[0].Status.Timestamp != 1750030090 ||
		evs[1].WABAID != "2" || evs[1].Message.Timestamp != 0 || evs[1].Message.ContactName != "X" {
		t.Fatalf("events %+v", evs)
	}
}

func TestParseWebhookErrors(t *testing.T) {
	for name, body := range map[string]string{
		"empty":           ``,
		"not JSON":        `hello`,
		"truncated":       hookStatusSent[:100],
		"array":           `[]`,
		"entry not array": `{"object":"whatsapp_business_account","entry":5}`,
		"trailing data":   hookStatusSent + `{}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseWebhook([]byte(body)); err == nil || !strings.HasPrefix(err.Error(), "whatsapp: ") {
				t.Fatalf("err = %v", err)
			}
		})
	}
	big := make([]byte, MaxWebhookBody+1)
	if _, err := ParseWebhook(big); !errors.Is(err, ErrWebhookTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
	// Well-formed but not an envelope: nothing to do, no error.
	env, err := ParseWebhook([]byte(`{"object":"page"}`))
	if err != nil || len(env.Events()) != 0 || env.Object != "page" {
		t.Fatalf("env %+v, %v", env, err)
	}
}

func TestStatusRank(t *testing.T) {
	order := []string{"", "sent", "failed", "delivered", "read", "played"}
	for i := 1; i < len(order); i++ {
		if StatusRank(order[i-1]) >= StatusRank(order[i]) {
			t.Errorf("%q should rank below %q", order[i-1], order[i])
		}
	}
	for _, s := range []string{"deleted", "warning", "accepted", "READ", "x"} {
		if StatusRank(s) != 0 {
			t.Errorf("StatusRank(%q) = %d", s, StatusRank(s))
		}
	}
}

func TestErrorDetailClass(t *testing.T) {
	for code, want := range map[int]Class{131047: ClassPermanent, 130429: ClassThrottled, 131000: ClassTransient, 4242: ClassPermanent} {
		if got := (ErrorDetail{Code: code}).Class(); got != want {
			t.Errorf("class of async %d = %v", code, got)
		}
	}
}
