package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

func TestPhoneNumberDetails(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/v24.0/"+pnidA+"?fields=display_phone_number,verified_name,quality_rating,messaging_limit_tier,whatsapp_business_manager_messaging_limit,throughput,status", tokA, nil)
	want := map[string]any{"id": pnidA, "display_phone_number": "+1 555-078-3881", "verified_name": "Demo Bakery",
		"quality_rating": "GREEN", "messaging_limit_tier": "TIER_2K", "whatsapp_business_manager_messaging_limit": "TIER_2K",
		"status": "CONNECTED"}
	for k, v := range want {
		if r.m[k] != v {
			t.Errorf("%s = %v, want %v (%s)", k, r.m[k], v, r.raw)
		}
	}
	if tp, _ := r.m["throughput"].(map[string]any); tp["level"] != "HIGH" { // limit off in tests
		t.Errorf("throughput %v", r.m["throughput"])
	}
	_ = f.s.Configure(func(c *Config) { c.ThroughputPerSec = 80 })
	r = f.do("GET", "/v24.0/"+pnidA+"?fields=throughput", tokA, nil)
	if tp, _ := r.m["throughput"].(map[string]any); tp["level"] != "STANDARD" || len(r.m) != 2 {
		t.Errorf("at 80/s: %s", r.raw)
	}
	r = f.do("GET", "/v24.0/"+pnidA, tokA, nil)
	if r.m["verified_name"] != "Demo Bakery" || r.m["quality_rating"] != "GREEN" || r.m["platform_type"] != "CLOUD_API" {
		t.Errorf("default fields: %s", r.raw)
	}
	if r := f.do("GET", "/v24.0/"+pnidA+"?fields=colour", tokA, nil); r.code() != 100 || !strings.Contains(r.m["error"].(map[string]any)["message"].(string), "nonexisting field (colour)") {
		t.Errorf("unknown field: %s", r.raw)
	}
	if r := f.do("GET", "/v24.0/"+pnidB, tokA, nil); r.code() != 100 || r.subcode() != 33 {
		t.Errorf("another WABA's number: %s", r.raw)
	}
	if r := f.do("GET", "/v24.0/"+wabaA, tokA, nil); r.m["id"] != wabaA || r.m["name"] == nil {
		t.Errorf("WABA: %s", r.raw)
	}
	r = f.do("GET", "/v24.0/"+wabaA+"/phone_numbers", tokA, nil)
	if data, _ := r.m["data"].([]any); len(data) != 2 {
		t.Errorf("phone_numbers: %s", r.raw)
	}

	// Quality drops: the webhook, then the new rating.
	if err := f.s.SetQuality(pnidA, "RED", ""); err != nil {
		t.Fatal(err)
	}
	ps := f.rcv.waitFor(t, "quality update", func(ps []post) bool { return len(ps) == 1 })
	w := decodeWebhook(t, ps[0].body)
	var v qualityUpdateValue
	_ = json.Unmarshal(w.Entry[0].Changes[0].Value, &v)
	if w.Entry[0].Changes[0].Field != "phone_number_quality_update" || w.Entry[0].ID != wabaA || w.Entry[0].Time == 0 ||
		v.Event != "FLAGGED" || v.DisplayPhoneNumber != "15550783881" || v.MaxDailyConversationsPerBusiness != "TIER_2K" {
		t.Errorf("quality webhook: %s", ps[0].body)
	}
	if !validSignature(ps[0], secretA) {
		t.Error("signature")
	}
	r = f.do("GET", "/v24.0/"+pnidA+"?fields=quality_rating", tokA, nil)
	if r.m["quality_rating"] != "RED" {
		t.Errorf("after SetQuality: %s", r.raw)
	}
	_ = f.s.SetQuality(pnidA, "GREEN", "TIER_10K")
	ps = f.rcv.waitFor(t, "second update", func(ps []post) bool { return len(ps) == 2 })
	if !strings.Contains(string(ps[1].body), `"event":"UNFLAGGED"`) {
		t.Errorf("recovery: %s", ps[1].body)
	}
	if err := f.s.SetQuality(pnidA, "PURPLE", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad quality: %v", err)
	}
}

func TestAddNumber(t *testing.T) {
	f := newFixture(t)
	bad := []Number{
		{WABAID: "x", PhoneNumberID: "1", DisplayPhoneNumber: "+15550000000", Token: "t"},
		{WABAID: "1", PhoneNumberID: "1", DisplayPhoneNumber: "nope", Token: "t"},
		{WABAID: "1", PhoneNumberID: "1", DisplayPhoneNumber: "+15550000000"},
		{WABAID: "1", PhoneNumberID: "1", DisplayPhoneNumber: "+15550000000", Token: "t", CallbackURL: "http://x.test/h"},
		{WABAID: "1", PhoneNumberID: "1", DisplayPhoneNumber: "+15550000000", Token: "t", Tier: "TIER_5"},
		{WABAID: "1", PhoneNumberID: "1", DisplayPhoneNumber: "+15550000000", Token: "t", ThroughputPerSec: 5000},
	}
	for i, n := range bad {
		if err := f.s.AddNumber(n); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad number %d accepted: %v", i, err)
		}
	}
	moved := Number{WABAID: wabaB, PhoneNumberID: pnidA, DisplayPhoneNumber: "+15550000000", Token: tokB}
	if err := f.s.AddNumber(moved); !errors.Is(err, ErrConflict) {
		t.Errorf("moving a number to another WABA: %v", err)
	}
	// One token with access to two WABAs.
	if err := f.s.AddNumber(Number{WABAID: wabaB, PhoneNumberID: "200000000000012", DisplayPhoneNumber: "+447700900002", Token: tokA}); err != nil {
		t.Fatal(err)
	}
	if r := f.do("POST", "/v23.0/200000000000012/messages", tokA, orderUpdate(userTo)); r.status != 200 {
		t.Errorf("token shared by two WABAs: %s", r.raw)
	}
	if r := f.do("POST", "/v23.0/"+pnidB+"/messages", tokA, orderUpdate(userTo)); r.status != 200 {
		t.Errorf("the shared token sees WABA B's other numbers: %s", r.raw)
	}
}

func TestVerifyCallback(t *testing.T) {
	f := newFixture(t)
	if err := f.s.VerifyCallback(t.Context(), pnidA); err != nil {
		t.Errorf("handshake: %v", err)
	}
	n := f.s.Numbers()[0]
	n.VerifyToken = "wrong"
	_ = f.s.AddNumber(n)
	if err := f.s.VerifyCallback(t.Context(), pnidA); !errors.Is(err, ErrInvalid) {
		t.Errorf("handshake with a wrong verify token: %v", err)
	}
	if err := f.s.VerifyCallback(t.Context(), pnidA2); !errors.Is(err, ErrInvalid) {
		t.Errorf("number without a callback: %v", err)
	}
}

func upload(f *fixture, mimeType string, data []byte, product bool) apiResp {
	f.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if product {
		_ = mw.WriteField("messaging_product", "whatsapp")
	}
	_ = mw.WriteField("type", mimeType)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="f"`)
	h.Set("Content-Type", mimeType)
	pw, _ := mw.CreatePart(h)
	_, _ = pw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", f.api.URL+"/v23.0/"+pnidA+"/media", &buf)
	req.Header.Set("Authorization", "Bearer "+tokA)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := apiResp{status: resp.StatusCode, raw: raw}
	_ = json.Unmarshal(raw, &r.m)
	return r
}

func TestMedia(t *testing.T) {
	f := newFixture(t)
	png := []byte("\x89PNG\r\n\x1a\nfake image bytes")
	r := upload(f, "image/png", png, true)
	id, _ := r.m["id"].(string)
	if r.status != 200 || id == "" {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	r = f.do("GET", "/v23.0/"+id, tokA, nil)
	u, _ := r.m["url"].(string)
	if r.m["mime_type"] != "image/png" || r.m["file_size"] != float64(len(png)) || r.m["sha256"] == "" || u == "" || r.m["messaging_product"] != "whatsapp" {
		t.Fatalf("media info: %s", r.raw)
	}
	get := func(token string) (int, []byte) {
		req, _ := http.NewRequest("GET", u, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, b := get(tokA); code != 200 || !bytes.Equal(b, png) {
		t.Errorf("download: %d", code)
	}
	if code, _ := get(""); code != 404 {
		t.Errorf("download without a token: %d", code)
	}
	if code, _ := get(tokB); code != 404 {
		t.Errorf("download with another WABA's token: %d", code)
	}
	f.clock.Advance(mediaURLTTL + 1)
	if code, _ := get(tokA); code != 404 {
		t.Errorf("download after the URL expired: %d", code)
	}
	f.mustSend(map[string]any{"messaging_product": "whatsapp", "to": userTo, "type": "image", "image": map[string]any{"id": id}})
	if r := f.do("DELETE", "/v23.0/"+id, tokA, nil); r.status != 200 || r.m["success"] != true {
		t.Errorf("delete: %s", r.raw)
	}
	if r := f.do("GET", "/v23.0/"+id, tokA, nil); r.code() != 100 || r.subcode() != 33 {
		t.Errorf("after delete: %s", r.raw)
	}
	if r := upload(f, "application/x-msdownload", []byte("MZ"), true); r.code() != 131053 {
		t.Errorf("unsupported type: %s", r.raw)
	}
	if r := upload(f, "image/png", png, false); r.code() != 100 {
		t.Errorf("without messaging_product: %s", r.raw)
	}
	if r := upload(f, "image/webp", make([]byte, 600<<10), true); r.code() != 131053 {
		t.Errorf("sticker too large: %s", r.raw)
	}
}
