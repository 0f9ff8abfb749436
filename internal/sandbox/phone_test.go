package sandbox

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func getPage(t *testing.T, f *fixture, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(f.api.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var (
	inlineStyle  = regexp.MustCompile(`(?i)\sstyle\s*=|<style`)
	inlineScript = regexp.MustCompile(`(?i)<script|\son[a-z]+\s*=|javascript:`)
)

func TestFakePhone(t *testing.T) {
	f := newFixture(t)
	f.mustSend(orderUpdate(userTo))
	f.mustSend(tmplMsg(userTo, "spring_offer", "en_US", namedParams("first_name", "Zoë", "discount", "20%"),
		map[string]any{"type": "button", "sub_type": "quick_reply", "index": "1", "parameters": []any{map[string]any{"type": "payload", "payload": "STOP_PROMOS"}}}))
	f.mustSend(textMsg(userTo, "outside the window")) // fails with 131047
	f.idle()

	code, h, body := getPage(t, f, "/_sandbox/phone")
	if code != 200 || !strings.Contains(html.UnescapeString(body), "+"+userWA) || !strings.Contains(body, `data-testid="chat-link"`) {
		t.Fatalf("index: %d %s", code, body)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}

	code, _, body = getPage(t, f, "/_sandbox/phone/"+url.PathEscape(userTo))
	if code != 200 {
		t.Fatalf("chat: %d", code)
	}
	text := html.UnescapeString(body)
	for _, want := range []string{
		"Hi Anna, your order 7781 is on its way.",     // parameters substituted
		"Hi Zoë, enjoy 20% off everything this week.", // named parameters
		"Spring offer", "Not interested? Tap Stop promotions", // header and footer
		`value="STOP_PROMOS"`, `data-testid="quick-reply">Tell me more`, // quick replies, with the sender's payload
		"✓✓", "Read", "131047 Re-engagement message", // ticks, and the failure in words
		`/_sandbox/static/phone.css`, `data-testid="reply-form"`, "Demo Bakery",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("chat page lacks %q", want)
		}
	}
	if n := strings.Count(body, `data-testid="bubble"`); n != 3 {
		t.Errorf("%d bubbles, want 3", n)
	}
	if inlineStyle.MatchString(body) || inlineScript.MatchString(body) {
		t.Error("the page has inline styles or scripts")
	}

	// Reply from the phone: a plain form POST becomes an inbound webhook.
	before := len(f.rcv.all())
	form := url.Values{"with": {pnidA}, "name": {"Zoë"}, "text": {"STOP"}}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(f.api.URL+"/_sandbox/phone/"+userWA+"/reply", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/_sandbox/phone/"+userWA+"?with="+pnidA) {
		t.Errorf("reply: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	ps := f.rcv.waitFor(t, "the reply webhook", func(ps []post) bool { return len(ps) > before })
	var v messagesValue
	_ = json.Unmarshal(decodeWebhook(t, ps[before].body).Entry[0].Changes[0].Value, &v)
	if len(v.Messages) != 1 || v.Messages[0].Text == nil || v.Messages[0].Text.Body != "STOP" || v.Contacts[0].Profile.Name != "Zoë" {
		t.Errorf("reply webhook: %s", ps[before].body)
	}

	// A quick-reply tap.
	resp, err = client.PostForm(f.api.URL+"/_sandbox/phone/"+userWA+"/reply", url.Values{"with": {pnidA}, "payload": {"STOP_PROMOS"}, "button_text": {"Stop promotions"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ps = f.rcv.waitFor(t, "the tap webhook", func(ps []post) bool { return len(ps) > before+1 })
	if !strings.Contains(string(ps[before+1].body), `"button":{"payload":"STOP_PROMOS","text":"Stop promotions"}`) {
		t.Errorf("tap webhook: %s", ps[before+1].body)
	}

	// Stop promotions.
	resp, err = client.PostForm(f.api.URL+"/_sandbox/phone/"+userWA+"/marketing", url.Values{"with": {pnidA}, "action": {"stop"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !f.s.OptedOut(pnidA, userWA) {
		t.Error("Stop promotions did not opt the user out")
	}
	ps = f.rcv.waitFor(t, "user_preferences", func(ps []post) bool { return len(ps) > before+2 })
	if fieldOf(t, ps[before+2]) != "user_preferences" || !strings.Contains(string(ps[before+2].body), `"value":"stop"`) {
		t.Errorf("user_preferences webhook: %s", ps[before+2].body)
	}

	// A cross-site form post is refused.
	req, _ := http.NewRequest("POST", f.api.URL+"/_sandbox/phone/"+userWA+"/reply", strings.NewReader("with="+pnidA+"&text=hi"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d", resp.StatusCode)
	}

	// The stylesheet.
	code, h, css := getPage(t, f, "/_sandbox/static/phone.css")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/css") || !strings.Contains(css, ".bubble") {
		t.Errorf("css: %d %s", code, h.Get("Content-Type"))
	}
}

func TestFakePhoneEmptyAndMounted(t *testing.T) {
	f := newFixture(t)
	_, _, body := getPage(t, f, "/_sandbox/phone")
	if !strings.Contains(body, `data-testid="empty"`) {
		t.Error("index without chats has no empty state")
	}
	code, _, body := getPage(t, f, "/_sandbox/phone/+447700900123")
	if code != 200 || !strings.Contains(body, "No messages with this business yet.") {
		t.Errorf("chat without messages: %d", code)
	}
	if code, _, _ := getPage(t, f, "/_sandbox/phone/not-a-number"); code != 404 {
		t.Errorf("bad number: %d", code)
	}
	// Mounted under a prefix, links keep the prefix.
	mux := http.NewServeMux()
	mux.Handle("/dev/sandbox/", http.StripPrefix("/dev/sandbox", f.s.Handler()))
	srv := &fixture{t: t, api: newTestServer(t, mux)}
	_, _, body = getPage(t, srv, "/dev/sandbox/_sandbox/phone/+447700900123")
	if !strings.Contains(body, `href="/dev/sandbox/_sandbox/static/phone.css"`) {
		t.Errorf("prefix lost: %s", body)
	}
}
