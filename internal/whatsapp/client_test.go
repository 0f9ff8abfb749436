package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testToken = "EAAtestSECRETtoken123"
	testPNID  = "106540352242922"
	testWABA  = "102290129340398"
)

// meta starts a stand-in for graph.facebook.com that runs h, and returns a
// client pointed at it.
func meta(t *testing.T, h http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return NewClient(Config{BaseURL: srv.URL, Timeout: 5 * time.Second}, nil), srv
}

// jsonEqual compares two JSON documents structurally.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is invalid JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}

// checkSendRequest asserts the transport details every send must have.
func checkSendRequest(t *testing.T, r *http.Request) []byte {
	t.Helper()
	if r.Method != http.MethodPost || r.URL.Path != "/v23.0/"+testPNID+"/messages" {
		t.Errorf("request %s %s", r.Method, r.URL.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("read body: %v", err)
	}
	if r.ContentLength != int64(len(body)) {
		t.Errorf("Content-Length %d for a body of %d bytes", r.ContentLength, len(body))
	}
	return body
}

// Meta's success answer (doc §2.6).
const sendOK = `{
  "messaging_product": "whatsapp",
  "contacts": [ { "input": "+4915112345678", "wa_id": "4915112345678" } ],
  "messages": [ { "id": "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjk1QzJGQTc2QjRDNDg0RjY3QQA=",
                  "message_status": "accepted" } ]
}`

func TestSendTemplateBodies(t *testing.T) {
	tests := []struct {
		name string
		msg  TemplateMessage
		want string
	}{
		{
			// The doc's §2.3 example, verbatim.
			name: "positional with image header, currency, quick reply and url buttons",
			msg: TemplateMessage{
				To: "+4915112345678", Name: "order_shipped", Language: "en_US",
				Header: []Parameter{MediaParam(ParamImage, "https://cdn.example.com/box.jpg")},
				Body: []Parameter{TextParam("Anna"), TextParam("7781"),
					{Type: ParamCurrency, Text: "€49.90", CurrencyCode: "EUR", Amount1000: 49900}},
				Buttons: []ButtonParameter{
					{Type: ButtonQuickReply, Index: 0, Value: "STOP_SHIPPING_UPDATES"},
					{Type: ButtonURL, Index: 1, Value: "7781"},
				},
			},
			want: `{
  "messaging_product": "whatsapp", "recipient_type": "individual", "to": "+4915112345678", "type": "template",
  "template": { "name": "order_shipped", "language": { "policy": "deterministic", "code": "en_US" },
    "components": [
      { "type": "header", "parameters": [ { "type": "image", "image": { "link": "https://cdn.example.com/box.jpg" } } ] },
      { "type": "body", "parameters": [
          { "type": "text", "text": "Anna" }, { "type": "text", "text": "7781" },
          { "type": "currency", "currency": { "fallback_value": "€49.90", "code": "EUR", "amount_1000": 49900 } } ] },
      { "type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [ { "type": "payload", "payload": "STOP_SHIPPING_UPDATES" } ] },
      { "type": "button", "sub_type": "url", "index": "1", "parameters": [ { "type": "text", "text": "7781" } ] } ] } }`,
		},
		{
			name: "named parameters with text header and callback data",
			msg: TemplateMessage{
				To: "+4915112345678", Name: "order_update", Language: "de", BizOpaqueCallbackData: "ledger:42",
				Header: []Parameter{NamedParam("shop", "Kiosk")},
				Body:   []Parameter{NamedParam("first_name", "Anna"), NamedParam("order_id", "7781")},
			},
			want: `{
  "messaging_product": "whatsapp", "recipient_type": "individual", "to": "+4915112345678", "type": "template",
  "biz_opaque_callback_data": "ledger:42",
  "template": { "name": "order_update", "language": { "policy": "deterministic", "code": "de" },
    "components": [
      { "type": "header", "parameters": [ { "type": "text", "parameter_name": "shop", "text": "Kiosk" } ] },
      { "type": "body", "parameters": [
          { "type": "text", "parameter_name": "first_name", "text": "Anna" },
          { "type": "text", "parameter_name": "order_id", "text": "7781" } ] } ] } }`,
		},
		{
			name: "minimal template without components",
			msg:  TemplateMessage{To: "+4915112345678", Name: "hello_world", Language: "en_US"},
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+4915112345678","type":"template",
  "template":{"name":"hello_world","language":{"policy":"deterministic","code":"en_US"}}}`,
		},
		{
			name: "document header by media id, copy-code button, date_time",
			msg: TemplateMessage{
				To: "+4915112345678", Name: "coupon", Language: "en_US",
				Header:  []Parameter{{Type: ParamDocument, MediaID: "1037543291543636", Filename: "invoice.pdf"}},
				Body:    []Parameter{{Type: ParamDateTime, Text: "May 1st"}},
				Buttons: []ButtonParameter{{Type: ButtonCopyCode, Index: 1, Value: "25OFF"}},
			},
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+4915112345678","type":"template",
  "template":{"name":"coupon","language":{"policy":"deterministic","code":"en_US"},"components":[
    {"type":"header","parameters":[{"type":"document","document":{"id":"1037543291543636","filename":"invoice.pdf"}}]},
    {"type":"body","parameters":[{"type":"date_time","date_time":{"fallback_value":"May 1st"}}]},
    {"type":"button","sub_type":"COPY_CODE","index":"1","parameters":[{"type":"coupon_code","coupon_code":"25OFF"}]}]}}`,
		},
		{
			name: "video header, authentication code in url button, escaping",
			msg: TemplateMessage{
				To: "+4915112345678", Name: "otp", Language: "en_US",
				Header:  []Parameter{MediaParam(ParamVideo, "https://cdn.example.com/a.mp4?x=1&y=<2>")},
				Body:    []Parameter{TextParam("line1\nline2 \"quoted\" \\ tab\t \u2028 ünïcödé 😀 \x01")},
				Buttons: []ButtonParameter{{Type: ButtonURL, Index: 0, Value: "123456"}},
			},
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+4915112345678","type":"template",
  "template":{"name":"otp","language":{"policy":"deterministic","code":"en_US"},"components":[
    {"type":"header","parameters":[{"type":"video","video":{"link":"https://cdn.example.com/a.mp4?x=1&y=<2>"}}]},
    {"type":"body","parameters":[{"type":"text","text":"line1\nline2 \"quoted\" \\ tab\t \u2028 ünïcödé 😀 \u0001"}]},
    {"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"123456"}]}]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			c, _ := meta(t, func(w http.ResponseWriter, r *http.Request) {
				body = checkSendRequest(t, r)
				io.WriteString(w, sendOK)
			})
			res, err := c.SendTemplate(context.Background(), testToken, testPNID, tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			jsonEqual(t, body, tt.want)
			want := SendResult{WAMID: "wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjk1QzJGQTc2QjRDNDg0RjY3QQA=",
				WAID: "4915112345678", Input: "+4915112345678", MessageStatus: "accepted"}
			if res != want {
				t.Fatalf("result %+v, want %+v", res, want)
			}
		})
	}
}

func TestSendTextAndMarkRead(t *testing.T) {
	var bodies [][]byte
	c, _ := meta(t, func(w http.ResponseWriter, r *http.Request) {
		b := checkSendRequest(t, r)
		bodies = append(bodies, b)
		if strings.Contains(string(b), `"status":"read"`) {
			io.WriteString(w, `{"success": true}`)
			return
		}
		// Meta omits message_status for non-template sends.
		io.WriteString(w, `{"messaging_product":"whatsapp","contacts":[{"input":"+4915112345678","wa_id":"4915112345678"}],"messages":[{"id":"wamid.T"}]}`)
	})
	res, err := c.SendText(context.Background(), testToken, testPNID, TextMessage{
		To: "+4915112345678", Body: "Your parcel 7781 is out for delivery.", BizOpaqueCallbackData: "ledger:7", ReplyTo: "wamid.IN",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.WAMID != "wamid.T" || res.MessageStatus != "" {
		t.Fatalf("result %+v", res)
	}
	jsonEqual(t, bodies[0], `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+4915112345678","type":"text",
	  "biz_opaque_callback_data":"ledger:7","context":{"message_id":"wamid.IN"},
	  "text":{"preview_url":false,"body":"Your parcel 7781 is out for delivery."}}`)

	if err := c.MarkRead(context.Background(), testToken, testPNID, "wamid.HBgL"); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, bodies[1], `{"messaging_product":"whatsapp","status":"read","message_id":"wamid.HBgL"}`)
}

func TestMarkReadNotSuccess(t *testing.T) {
	c, _ := meta(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"success":false}`) })
	err := c.MarkRead(context.Background(), testToken, testPNID, "wamid.X")
	if !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("err = %v", err)
	}
}

func TestInvalidRequestsNeverLeave(t *testing.T) {
	var calls int
	c, _ := meta(t, func(w http.ResponseWriter, r *http.Request) { calls++; io.WriteString(w, sendOK) })
	ctx := context.Background()
	ok := TemplateMessage{To: "+4915112345678", Name: "hello_world", Language: "en_US"}
	cases := map[string]func() error{
		"empty token": func() error { _, err := c.SendTemplate(ctx, "", testPNID, ok); return err },
		"token with newline": func() error {
			_, err := c.SendTemplate(ctx, "abc\r\nX-Evil: 1", testPNID, ok)
			return err
		},
		"phone id with slash": func() error { _, err := c.SendTemplate(ctx, testToken, "1/../2", ok); return err },
		"phone id with query": func() error { _, err := c.SendTemplate(ctx, testToken, "1?x=2", ok); return err },
		"empty recipient": func() error {
			m := ok
			m.To = ""
			_, err := c.SendTemplate(ctx, testToken, testPNID, m)
			return err
		},
		"no template name": func() error {
			m := ok
			m.Name = ""
			_, err := c.SendTemplate(ctx, testToken, testPNID, m)
			return err
		},
		"opaque data too long": func() error {
			m := ok
			m.BizOpaqueCallbackData = strings.Repeat("x", MaxBizOpaqueCallbackData+1)
			_, err := c.SendTemplate(ctx, testToken, testPNID, m)
			return err
		},
		"media in body": func() error {
			m := ok
			m.Body = []Parameter{MediaParam(ParamImage, "https://x")}
			_, err := c.SendTemplate(ctx, testToken, testPNID, m)
			return err
		},
		"media without link": func() error {
			m := ok
			m.Header = []Parameter{{Type: ParamImage}}
			_, err := c.SendTemplate(ctx, testToken, testPNID, m)
			return err
		},
		"unknown parameter type": func() error {
			m := ok
			m.Body = []Parameter{{Type: "location"}}
			_, err := c.SendTemplate(ctx, testToken, testPNID, m)
			return err
		},
		"unknown button type": func() error {
			m := ok
			m.Buttons = []ButtonParameter{{Type: "flow"}}
			_, err := c.SendTemplate(ctx, testToken, testPNID, m)
			return err
		},
		"button index out of range": func() error {
			m := ok
			m.Buttons = []ButtonParameter{{Type: ButtonURL, Index: 10}}
			_, err := c.SendTemplate(ctx, testToken, testPNID, m)
			return err
		},
		"currency without code": func() error {
			m := ok
			m.Body = []Parameter{{Type: ParamCurrency, Text: "5"}}
			_, err := c.SendTemplate(ctx, testToken, testPNID, m)
			return err
		},
		"text too long": func() error {
			_, err := c.SendText(ctx, testToken, testPNID, TextMessage{To: "+1", Body: strings.Repeat("ä", MaxTextBody+1)})
			return err
		},
		"empty text": func() error {
			_, err := c.SendText(ctx, testToken, testPNID, TextMessage{To: "+1"})
			return err
		},
		"mark read without id": func() error { return c.MarkRead(ctx, testToken, testPNID, "") },
		"delete without name":  func() error { return c.DeleteTemplate(ctx, testToken, testWABA, "") },
		"create incomplete": func() error {
			_, err := c.CreateTemplate(ctx, testToken, testWABA, NewTemplate{Name: "x"})
			return err
		},
		"phone read bad id": func() error { _, err := c.GetPhoneNumber(ctx, testToken, ""); return err },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			err := f()
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("err = %v, want ErrInvalidRequest", err)
			}
			if Classify(err) != ClassPermanent || OutcomeUnknown(err) {
				t.Fatalf("class %v, unknown %v", Classify(err), OutcomeUnknown(err))
			}
			if !strings.HasPrefix(err.Error(), "whatsapp: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
	if calls != 0 {
		t.Fatalf("%d invalid requests reached the server", calls)
	}
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		class       Class
		code, sub   int
		details     string
		trace       string
		maybeSent   bool
		wantMessage string
	}{
		{name: "131056 pair rate limit (doc §2.7)", status: 400, body: `{"error":{"message":"(#131056) (Business Account, Consumer Account) pair rate limit hit","type":"OAuthException","code":131056,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."},"error_subcode":2494055,"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}`,
			class: ClassThrottled, code: 131056, sub: 2494055, trace: "Az8or2yhqkZfEZ-_4Qn_Bam",
			details: "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.", wantMessage: "(#131056) (Business Account, Consumer Account) pair rate limit hit"},
		{name: "130429 as 400 (current)", status: 400, body: `{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"error_subcode":2494055,"fbtrace_id":"T1"}}`, class: ClassThrottled, code: 130429, sub: 2494055, trace: "T1"},
		{name: "130429 as 429 (older)", status: 429, body: `{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"fbtrace_id":"T2"}}`, class: ClassThrottled, code: 130429, trace: "T2"},
		{name: "80007 WABA rate limit", status: 400, body: `{"error":{"message":"(#80007) Rate limit issues","type":"OAuthException","code":80007}}`, class: ClassThrottled, code: 80007},
		{name: "4 app rate limit", status: 400, body: `{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4}}`, class: ClassThrottled, code: 4},
		{name: "code as a string", status: 400, body: `{"error":{"message":"(#131056) pair rate limit hit","code":"131056"}}`, class: ClassThrottled, code: 131056},
		{name: "132001 template missing (doc §5)", status: 404, body: `{"error":{"message":"(#132001) Template name does not exist in the translation","type":"OAuthException","code":132001,"error_data":{"messaging_product":"whatsapp","details":"template name (order_shiped) does not exist in en_US"},"fbtrace_id":"AbCdEfGh123"}}`,
			class: ClassPermanent, code: 132001, trace: "AbCdEfGh123", details: "template name (order_shiped) does not exist in en_US"},
		{name: "132000 param count", status: 400, body: `{"error":{"message":"(#132000) Number of parameters does not match","code":132000}}`, class: ClassPermanent, code: 132000},
		{name: "132012 param format", status: 400, body: `{"error":{"message":"(#132012) Parameter format does not match","code":132012}}`, class: ClassPermanent, code: 132012},
		{name: "132015 template paused: doc says retry later", status: 400, body: `{"error":{"message":"(#132015) Template is paused","code":132015}}`, class: ClassThrottled, code: 132015},
		{name: "132016 template disabled", status: 400, body: `{"error":{"message":"(#132016) Template is disabled","code":132016}}`, class: ClassPermanent, code: 132016},
		{name: "131026 undeliverable, sync", status: 400, body: `{"error":{"message":"(#131026) Message undeliverable","code":131026}}`, class: ClassPermanent, code: 131026},
		{name: "131047 window closed", status: 400, body: `{"error":{"message":"(#131047) Re-engagement message","code":131047}}`, class: ClassPermanent, code: 131047},
		{name: "131008 missing parameter", status: 400, body: `{"error":{"message":"(#131008) Required parameter is missing","code":131008}}`, class: ClassPermanent, code: 131008},
		{name: "131021 recipient is sender", status: 400, body: `{"error":{"message":"(#131021) Recipient cannot be sender","code":131021}}`, class: ClassPermanent, code: 131021},
		{name: "100 invalid parameter", status: 400, body: `{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100}}`, class: ClassPermanent, code: 100},
		{name: "100/33 unknown phone number id", status: 400, body: `{"error":{"message":"Unsupported post request. Object with ID '106540352242922' does not exist, cannot be loaded due to missing permissions, or does not support this operation","type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"X"}}`, class: ClassAuth, code: 100, sub: 33, trace: "X"},
		{name: "190 expired token (doc §5)", status: 401, body: `{"error":{"message":"Error validating access token: Session has expired on Friday.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A1b2C3"}}`, class: ClassAuth, code: 190, sub: 463, trace: "A1b2C3"},
		{name: "0 auth exception", status: 401, body: `{"error":{"message":"(#0) AuthException","code":0}}`, class: ClassAuth, code: 0},
		{name: "10 permission denied", status: 403, body: `{"error":{"message":"(#10) Permission denied","code":10}}`, class: ClassAuth, code: 10},
		{name: "200 API permission", status: 403, body: `{"error":{"message":"(#200) Permissions error","code":200}}`, class: ClassAuth, code: 200},
		{name: "299 API permission", status: 403, body: `{"error":{"message":"(#299) Permissions error","code":299}}`, class: ClassAuth, code: 299},
		{name: "131031 account locked", status: 403, body: `{"error":{"message":"(#131031) Account has been locked","code":131031}}`, class: ClassAuth, code: 131031},
		{name: "368 policy block", status: 403, body: `{"error":{"message":"(#368) Temporarily blocked","code":368}}`, class: ClassAuth, code: 368},
		{name: "3 capability", status: 500, body: `{"error":{"message":"(#3) API Method","code":3}}`, class: ClassAuth, code: 3},
		{name: "131000 something went wrong", status: 500, body: `{"error":{"message":"(#131000) Something went wrong","code":131000}}`, class: ClassTransient, code: 131000},
		{name: "131016 service unavailable", status: 500, body: `{"error":{"message":"(#131016) Service unavailable","code":131016}}`, class: ClassTransient, code: 131016},
		{name: "2 API service", status: 503, body: `{"error":{"message":"(#2) Service temporarily unavailable","code":2,"is_transient":true}}`, class: ClassTransient, code: 2},
		{name: "1 API unknown", status: 400, body: `{"error":{"message":"(#1) An unknown error occurred","code":1}}`, class: ClassTransient, code: 1},
		{name: "131057 maintenance mode", status: 500, body: `{"error":{"message":"(#131057) Account in maintenance mode","code":131057}}`, class: ClassThrottled, code: 131057},
		{name: "unknown code on 500", status: 500, body: `{"error":{"message":"(#999999) new","code":999999}}`, class: ClassTransient, code: 999999},
		{name: "unknown code on 400", status: 400, body: `{"error":{"message":"(#999999) new","code":999999}}`, class: ClassPermanent, code: 999999},
		{name: "unknown code, is_transient", status: 400, body: `{"error":{"message":"(#999998) new","code":999998,"is_transient":true}}`, class: ClassTransient, code: 999998},
		{name: "error_data as a string", status: 400, body: `{"error":{"message":"(#131009) Parameter value is not valid","code":131009,"error_data":"bad to"}}`, class: ClassPermanent, code: 131009, details: "bad to"},
		{name: "502 from a gateway, HTML", status: 502, body: `<html><body>Bad Gateway</body></html>`, class: ClassTransient, maybeSent: true},
		{name: "504 without body", status: 504, body: ``, class: ClassTransient, maybeSent: true},
		{name: "500 with malformed JSON", status: 500, body: `{"error": {"message": "x", "code":`, class: ClassTransient, maybeSent: true},
		{name: "400 with malformed JSON", status: 400, body: `{"error": [`, class: ClassPermanent},
		{name: "429 without body", status: 429, body: ``, class: ClassThrottled},
		{name: "401 without envelope", status: 401, body: `Unauthorized`, class: ClassAuth},
		{name: "envelope without code", status: 400, body: `{"error":{"message":"no code here"}}`, class: ClassPermanent},
		{name: "oversized error body", status: 400, body: `{"error":{"message":"` + strings.Repeat("x", maxSendResponse) + `","code":131026}}`, class: ClassPermanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := meta(t, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			_, err := c.SendTemplate(context.Background(), testToken, testPNID,
				TemplateMessage{To: "+4915112345678", Name: "hello_world", Language: "en_US"})
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %T %v, want *APIError", err, err)
			}
			if ae.HTTPStatus != tt.status || ae.Class != tt.class || ae.Code != tt.code || ae.Subcode != tt.sub {
				t.Fatalf("got status %d class %v code %d/%d; want %d %v %d/%d",
					ae.HTTPStatus, ae.Class, ae.Code, ae.Subcode, tt.status, tt.class, tt.code, tt.sub)
			}
			if Classify(err) != tt.class {
				t.Fatalf("Classify = %v", Classify(err))
			}
			if tt.details != "" && ae.Details != tt.details {
				t.Fatalf("details %q", ae.Details)
			}
			if ae.FBTraceID != tt.trace {
				t.Fatalf("trace %q", ae.FBTraceID)
			}
			if tt.wantMessage != "" && ae.Message != tt.wantMessage {
				t.Fatalf("message %q", ae.Message)
			}
			if ae.MayHaveBeenSent != tt.maybeSent || OutcomeUnknown(err) != tt.maybeSent {
				t.Fatalf("MayHaveBeenSent %v, want %v", ae.MayHaveBeenSent, tt.maybeSent)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "whatsapp: ") || strings.Contains(msg, testToken) {
				t.Fatalf("error string %q", msg)
			}
			if strings.Contains(msg, testPNID) {
				t.Fatalf("long digit run not masked in %q", msg)
			}
		})
	}
}

func TestAPIErrorTraceHeader(t *testing.T) {
	c, _ := meta(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-FB-Trace-ID", "HeaderTrace")
		w.WriteHeader(503)
	})
	_, err := c.SendTemplate(context.Background(), testToken, testPNID, TemplateMessage{To: "+1", Name: "n", Language: "en"})
	var ae *APIError
	if !errors.As(err, &ae) || ae.FBTraceID != "HeaderTrace" {
		t.Fatalf("err = %v", err)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var hits int
	c, srv := meta(t, func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	_ = srv
	_, err := c.SendTemplate(context.Background(), testToken, testPNID, TemplateMessage{To: "+1", Name: "n", Language: "en"})
	if Classify(err) != ClassAuth || hits != 1 {
		t.Fatalf("err = %v (class %v), hits %d", err, Classify(err), hits)
	}
}

func TestMalformedSuccessIsUnknownOutcome(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":         `<html>ok</html>`,
		"no messages":      `{"messaging_product":"whatsapp","contacts":[]}`,
		"empty message id": `{"messages":[{"id":""}]}`,
		"truncated":        `{"messages":[{"id":"wamid.`,
		"too large":        `{"messages":[{"id":"wamid.X"}],"pad":"` + strings.Repeat("x", maxSendResponse) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := meta(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
			_, err := c.SendTemplate(context.Background(), testToken, testPNID, TemplateMessage{To: "+1", Name: "n", Language: "en"})
			var te *TransportError
			if !errors.As(err, &te) || !te.MayHaveBeenSent || !OutcomeUnknown(err) || Classify(err) != ClassTransient {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// blockingDialer never connects, so the body is never written.
func blockingDialer(ctx context.Context, _, _ string) (net.Conn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestTransportFailures(t *testing.T) {
	msg := TemplateMessage{To: "+4915112345678", Name: "hello_world", Language: "en_US"}

	t.Run("timeout before the body is written", func(t *testing.T) {
		hc := &http.Client{Transport: &http.Transport{DialContext: blockingDialer}}
		c := NewClient(Config{BaseURL: "http://192.0.2.1", Timeout: 50 * time.Millisecond}, hc)
		_, err := c.SendTemplate(context.Background(), testToken, testPNID, msg)
		var te *TransportError
		if !errors.As(err, &te) || !te.Timeout || te.MayHaveBeenSent || OutcomeUnknown(err) {
			t.Fatalf("err = %#v", err)
		}
		if Classify(err) != ClassTransient || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("class %v, err %v", Classify(err), err)
		}
	})

	t.Run("timeout after the body is written", func(t *testing.T) {
		got := make(chan []byte, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- b
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}))
		defer srv.Close()
		c := NewClient(Config{BaseURL: srv.URL, Timeout: 300 * time.Millisecond}, nil)
		_, err := c.SendTemplate(context.Background(), testToken, testPNID, msg)
		var te *TransportError
		if !errors.As(err, &te) || !te.Timeout || !te.MayHaveBeenSent || !OutcomeUnknown(err) {
			t.Fatalf("err = %#v", err)
		}
		if !strings.Contains(err.Error(), "may have reached Meta") || strings.Contains(err.Error(), testToken) {
			t.Fatalf("error string %q", err)
		}
		if b := <-got; !json.Valid(b) {
			t.Fatalf("server got %q", b)
		}
	})

	t.Run("timeout while reading a 200", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(200)
			io.WriteString(w, `{"messages":[`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}))
		defer srv.Close()
		c := NewClient(Config{BaseURL: srv.URL, Timeout: 100 * time.Millisecond}, nil)
		_, err := c.SendTemplate(context.Background(), testToken, testPNID, msg)
		var te *TransportError
		if !errors.As(err, &te) || !te.MayHaveBeenSent || !te.Timeout {
			t.Fatalf("err = %#v", err)
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c := NewClient(Config{BaseURL: url}, nil)
		_, err := c.SendTemplate(context.Background(), testToken, testPNID, msg)
		var te *TransportError
		if !errors.As(err, &te) || te.MayHaveBeenSent || te.Timeout || Classify(err) != ClassTransient {
			t.Fatalf("err = %#v", err)
		}
	})

	t.Run("caller cancelled", func(t *testing.T) {
		c, _ := meta(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request reached the server") })
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.SendTemplate(ctx, testToken, testPNID, msg)
		if !errors.Is(err, context.Canceled) || OutcomeUnknown(err) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestConcurrentSendsKeepBodiesIntact checks the pooled request buffers:
// every body the server sees must be the one its caller encoded, over
// HTTP/1.1 and HTTP/2 (where the transport may close a body concurrently
// with reading it), with some answers sent before the body was read.
func TestConcurrentSendsKeepBodiesIntact(t *testing.T) {
	handler := func(t *testing.T, wantProto int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.ProtoMajor != wantProto {
				t.Errorf("proto %s", r.Proto)
			}
			// Every 7th request is refused before its body is read, the way
			// a server rejects early; the client must cope and not reuse a
			// buffer the transport is still writing.
			if strings.HasSuffix(r.Header.Get("Content-Length"), "7") {
				w.WriteHeader(400)
				io.WriteString(w, `{"error":{"message":"(#131009) Parameter value is not valid","code":131009}}`)
				return
			}
			var m struct {
				To     string `json:"to"`
				Opaque string `json:"biz_opaque_callback_data"`
			}
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &m); err != nil || "ledger:"+m.To != m.Opaque {
				t.Errorf("corrupted body %q (%v)", b, err)
			}
			fmt.Fprintf(w, `{"messages":[{"id":"wamid.%s","message_status":"accepted"}]}`, m.To)
		}
	}
	run := func(t *testing.T, c *Client) {
		var wg sync.WaitGroup
		for g := range 32 {
			wg.Go(func() {
				for i := range 60 {
					to := fmt.Sprintf("+49151%03d%04d", g, i)
					pad := strings.Repeat("p", (g*131+i*17)%3000) // vary sizes
					res, err := c.SendTemplate(context.Background(), testToken, testPNID, TemplateMessage{
						To: to, Name: "n", Language: "en", BizOpaqueCallbackData: "ledger:" + to,
						Body: []Parameter{TextParam(pad)},
					})
					if err != nil {
						if Classify(err) != ClassPermanent {
							t.Errorf("send: %v", err)
						}
						continue
					}
					if res.WAMID != "wamid."+to {
						t.Errorf("answer for %s was %s", to, res.WAMID)
					}
				}
			})
		}
		wg.Wait()
	}
	t.Run("http1", func(t *testing.T) {
		srv := httptest.NewServer(handler(t, 1))
		defer srv.Close()
		run(t, NewClient(Config{BaseURL: srv.URL, MaxConnsPerHost: 8}, nil))
	})
	t.Run("http2", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(handler(t, 2))
		srv.EnableHTTP2 = true
		srv.StartTLS()
		defer srv.Close()
		run(t, NewClient(Config{BaseURL: srv.URL}, srv.Client()))
	})
}

func TestReqBodyLifecycle(t *testing.T) {
	b := newReqBody()
	b.buf = append(b.buf, `{"a":1}`...)
	r, err := b.reader()
	if err != nil {
		t.Fatal(err)
	}
	b.release() // the caller is done; the reader still holds the body
	got, err := io.ReadAll(r)
	if err != nil || string(got) != `{"a":1}` || !b.handedOver() {
		t.Fatalf("read %q, %v, handed over %v", got, err, b.handedOver())
	}
	r.Close()
	r.Close() // a second close must not release twice
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, errBodyReleased) {
		t.Fatalf("read after close: %v", err)
	}
	if _, err := b.reader(); !errors.Is(err, errBodyReleased) {
		t.Fatalf("reader after release: %v", err)
	}

	// Close racing Read, as HTTP/2 does.
	b = newReqBody()
	b.buf = append(b.buf, strings.Repeat("x", 4096)...)
	r, _ = b.reader()
	b.release()
	var wg sync.WaitGroup
	wg.Go(func() {
		p := make([]byte, 7)
		for {
			if _, err := r.Read(p); err != nil {
				return
			}
		}
	})
	wg.Go(func() { r.Close() })
	wg.Wait()
}

func TestTemplates(t *testing.T) {
	const page1 = `{"data":[{"id":"1","name":"order_shipped","language":"en_US","status":"APPROVED","category":"UTILITY",
	  "components":[{"type":"BODY","text":"Hi {{1}}, order {{2}} has shipped.","example":{"body_text":[["Anna","7781"]]}}]}],
	  "paging":{"cursors":{"before":"b1","after":"c1"},"next":"https://graph.facebook.com/v23.0/x?after=c1"}}`
	const page2 = `{"data":[{"id":"2","name":"welcome","language":"de","status":"APPROVED","category":"MARKETING","parameter_format":"NAMED",
	  "components":[{"type":"BODY","text":"Hallo {{first_name}}"},{"type":"BUTTONS","buttons":[{"type":"URL","text":"Track","url":"https://shop.example.com/t/{{1}}","example":["7781"]}]}]}],
	  "paging":{"cursors":{"before":"b2","after":"c2"}}}`
	var created, deleted []string
	c, _ := meta(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken || r.URL.Path != "/v23.0/"+testWABA+"/message_templates" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		q := r.URL.Query()
		switch r.Method {
		case http.MethodGet:
			if q.Get("fields") != DefaultTemplateFields || q.Get("limit") != "1" || q.Get("status") != "APPROVED" {
				t.Errorf("query %v", q)
			}
			if q.Get("after") == "c1" {
				io.WriteString(w, page2)
			} else {
				io.WriteString(w, page1)
			}
		case http.MethodPost:
			b, _ := io.ReadAll(r.Body)
			created = append(created, string(b))
			io.WriteString(w, `{"id":"1689556908129832","status":"PENDING","category":"UTILITY"}`)
		case http.MethodDelete:
			deleted = append(deleted, q.Encode())
			io.WriteString(w, `{"success":true}`)
		}
	})
	ctx := context.Background()
	opts := ListTemplatesOptions{Limit: 1, Status: "APPROVED"}

	page, err := c.ListTemplates(ctx, testToken, testWABA, opts)
	if err != nil || len(page.Templates) != 1 || page.After != "c1" || page.Templates[0].Named() {
		t.Fatalf("page %+v, %v", page, err)
	}
	all, err := c.AllTemplates(ctx, testToken, testWABA, opts)
	if err != nil || len(all) != 2 || all[1].Name != "welcome" || !all[1].Named() {
		t.Fatalf("all %+v, %v", all, err)
	}
	if b := all[1].Components[1].Buttons[0]; b.URL != "https://shop.example.com/t/{{1}}" || string(b.Example) != `["7781"]` {
		t.Fatalf("button %+v", b)
	}

	// The doc's §6.6 create request.
	const createDoc = `{ "name": "order_shipped", "language": "en_US", "category": "UTILITY",
	  "components": [
	    { "type": "HEADER", "format": "IMAGE", "example": { "header_handle": ["4::aW1hZ2UvanBn:..."] } },
	    { "type": "BODY", "text": "Hi {{1}}, order {{2}} has shipped.", "example": { "body_text": [ ["Anna", "7781"] ] } },
	    { "type": "FOOTER", "text": "Reply STOP to opt out" },
	    { "type": "BUTTONS", "buttons": [
	        { "type": "QUICK_REPLY", "text": "Stop updates" },
	        { "type": "URL", "text": "Track", "url": "https://shop.example.com/t/{{1}}", "example": ["7781"] } ] } ] }`
	var nt NewTemplate
	if err := json.Unmarshal([]byte(createDoc), &nt); err != nil {
		t.Fatal(err)
	}
	res, err := c.CreateTemplate(ctx, testToken, testWABA, nt)
	if err != nil || res != (CreatedTemplate{ID: "1689556908129832", Status: "PENDING", Category: "UTILITY"}) {
		t.Fatalf("create %+v, %v", res, err)
	}
	jsonEqual(t, []byte(created[0]), createDoc)

	if err := c.DeleteTemplate(ctx, testToken, testWABA, "order_confirmation"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteTemplateByID(ctx, testToken, testWABA, "1689556908129832", "order_confirmation"); err != nil {
		t.Fatal(err)
	}
	want := []string{"name=order_confirmation", "hsm_id=1689556908129832&name=order_confirmation"}
	if !reflect.DeepEqual(deleted, want) {
		t.Fatalf("deletes %v", deleted)
	}
}

func TestTemplateErrors(t *testing.T) {
	c, _ := meta(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":2388040,"fbtrace_id":"F"}}`)
		case http.MethodGet:
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"message":"(#80007) There have been too many calls to this WhatsApp Business account.","type":"OAuthException","code":80007}}`)
		case http.MethodDelete:
			io.WriteString(w, `{"success":false}`)
		}
	})
	ctx := context.Background()
	_, err := c.CreateTemplate(ctx, testToken, testWABA, NewTemplate{Name: "x", Language: "en", Category: "UTILITY", Components: []TemplateComponent{{Type: "BODY", Text: "hi"}}})
	if Classify(err) != ClassPermanent {
		t.Fatalf("create: %v", err)
	}
	if _, err := c.ListTemplates(ctx, testToken, testWABA, ListTemplatesOptions{}); Classify(err) != ClassThrottled {
		t.Fatalf("list: %v", err)
	}
	if err := c.DeleteTemplate(ctx, testToken, testWABA, "x"); !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("delete: %v", err)
	}
}

func TestTemplateNamed(t *testing.T) {
	for text, want := range map[string]bool{
		"Hi {{1}}":               false,
		"Hi {{ 1 }}":             false,
		"Hi {{first_name}}":      true,
		"Hi {{ first_name }}":    true,
		"no placeholders":        false,
		"dangling {{":            false,
		"dangling {{ ":           false,
		"{{1}} and {{order_id}}": true,
	} {
		if got := (Template{Components: []TemplateComponent{{Type: "BODY", Text: text}}}).Named(); got != want {
			t.Errorf("Named(%q) = %v", text, got)
		}
	}
	if (Template{ParameterFormat: "POSITIONAL", Components: []TemplateComponent{{Text: "{{x}}"}}}).Named() {
		t.Error("parameter_format ignored")
	}
}

func TestGetPhoneNumber(t *testing.T) {
	tests := []struct {
		name, body string
		want       PhoneNumber
	}{
		{"current fields", `{"id":"106540352242922","display_phone_number":"+1 555-078-3881","verified_name":"Tidings Demo",
		  "name_status":"APPROVED","quality_rating":"GREEN","status":"CONNECTED","throughput":{"level":"STANDARD"},
		  "whatsapp_business_manager_messaging_limit":"TIER_2K"}`,
			PhoneNumber{ID: testPNID, DisplayPhoneNumber: "+1 555-078-3881", VerifiedName: "Tidings Demo", NameStatus: "APPROVED",
				QualityRating: "GREEN", Status: "CONNECTED", MessagingLimitTier: "TIER_2K", Throughput: "STANDARD"}},
		{"legacy tier only", `{"id":"106540352242922","quality_rating":"YELLOW","messaging_limit_tier":"TIER_1K","throughput":{"level":"HIGH"}}`,
			PhoneNumber{ID: testPNID, QualityRating: "YELLOW", MessagingLimitTier: "TIER_1K", Throughput: "HIGH"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := meta(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/v23.0/"+testPNID || r.URL.Query().Get("fields") != PhoneNumberFields {
					t.Errorf("%s %s", r.Method, r.URL)
				}
				io.WriteString(w, tt.body)
			})
			got, err := c.GetPhoneNumber(context.Background(), testToken, testPNID)
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := NewClient(Config{}, nil)
	if c.prefix != "https://graph.facebook.com/v23.0/" || c.timeout != DefaultTimeout {
		t.Fatalf("prefix %q timeout %v", c.prefix, c.timeout)
	}
	tr := c.hc.Transport.(*http.Transport)
	if tr.MaxConnsPerHost != DefaultMaxConnsPerHost || tr.MaxIdleConnsPerHost != DefaultMaxConnsPerHost {
		t.Fatalf("pool %d/%d", tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost)
	}
	c = NewClient(Config{BaseURL: "http://127.0.0.1:9/sandbox/", Version: "/v25.0/"}, nil)
	if c.prefix != "http://127.0.0.1:9/sandbox/v25.0/" {
		t.Fatalf("prefix %q", c.prefix)
	}
}

func TestTemplatePlaceholders(t *testing.T) {
	tpl := Template{Components: []TemplateComponent{
		{Type: "HEADER", Format: "TEXT", Text: "Hello {{1}}"},
		{Type: "BODY", Text: "Hi {{1}}, your order {{2}} ships {{ 3 }}. Thanks {{1}}!"},
		{Type: "FOOTER", Text: "{{9}} is not a variable here"},
		{Type: "BUTTONS", Buttons: []TemplateButton{
			{Type: "QUICK_REPLY", Text: "Stop"},
			{Type: "URL", Text: "Track", URL: "https://example.test/t/{{1}}"},
		}},
	}}
	got := tpl.Placeholders()
	want := []Placeholder{
		{Component: "header", Name: "1"},
		{Component: "body", Name: "1"}, {Component: "body", Name: "2"}, {Component: "body", Name: "3"},
		{Component: "button", ButtonIndex: 1, Name: "1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Placeholders() = %+v, want %+v", got, want)
	}
	named := Template{Components: []TemplateComponent{{Type: "BODY", Text: "Hi {{first_name}} {{unclosed"}}}
	if got := named.Placeholders(); len(got) != 1 || got[0].Name != "first_name" {
		t.Fatalf("named Placeholders() = %+v", got)
	}
}
