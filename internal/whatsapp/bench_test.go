package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkSendTemplate measures the client's send path against a local
// server that answers like Meta, from many goroutines at once (the
// sender's shape). The server is in-process, so the figure includes its
// cost too; -benchmem shows the client's allocations per send.
func BenchmarkSendTemplate(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, sendOK)
	}))
	defer srv.Close()
	c := NewClient(Config{BaseURL: srv.URL}, nil)
	msg := TemplateMessage{
		To: "+4915112345678", Name: "order_shipped", Language: "en_US", BizOpaqueCallbackData: "018f2c1e-7b7a-7c3e-9a61-3f5d2a1b0c9d",
		Header:  []Parameter{MediaParam(ParamImage, "https://cdn.example.com/box.jpg")},
		Body:    []Parameter{TextParam("Anna"), TextParam("7781")},
		Buttons: []ButtonParameter{{Type: ButtonQuickReply, Index: 0, Value: "STOP"}},
	}
	ctx := context.Background()
	b.SetParallelism(16) // 16 × GOMAXPROCS senders in flight
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.SendTemplate(ctx, testToken, testPNID, msg); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

// BenchmarkEncodeTemplate is the encoding step alone.
func BenchmarkEncodeTemplate(b *testing.B) {
	msg := TemplateMessage{
		To: "+4915112345678", Name: "order_shipped", Language: "en_US", BizOpaqueCallbackData: "018f2c1e-7b7a-7c3e-9a61-3f5d2a1b0c9d",
		Header:  []Parameter{MediaParam(ParamImage, "https://cdn.example.com/box.jpg")},
		Body:    []Parameter{TextParam("Anna"), TextParam("7781")},
		Buttons: []ButtonParameter{{Type: ButtonQuickReply, Index: 0, Value: "STOP"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		rb := newReqBody()
		var err error
		if rb.buf, err = appendTemplateMessage(rb.buf, &msg); err != nil {
			b.Fatal(err)
		}
		rb.release()
	}
}

// BenchmarkParseWebhook is a status webhook, the most frequent payload.
func BenchmarkParseWebhook(b *testing.B) {
	body := []byte(hookStatusBatch)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		env, err := ParseWebhook(body)
		if err != nil || len(env.Events()) != 3 {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendBareNetHTTP is the yardstick from QUALITY.md: a plain
// net/http client posting the same body (encoded by encoding/json) to the
// same server at the same concurrency, and decoding the answer generically.
func BenchmarkSendBareNetHTTP(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, sendOK)
	}))
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
	msg := map[string]any{
		"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+4915112345678", "type": "template",
		"biz_opaque_callback_data": "018f2c1e-7b7a-7c3e-9a61-3f5d2a1b0c9d",
		"template": map[string]any{"name": "order_shipped", "language": map[string]any{"policy": "deterministic", "code": "en_US"},
			"components": []any{
				map[string]any{"type": "header", "parameters": []any{map[string]any{"type": "image", "image": map[string]any{"link": "https://cdn.example.com/box.jpg"}}}},
				map[string]any{"type": "body", "parameters": []any{map[string]any{"type": "text", "text": "Anna"}, map[string]any{"type": "text", "text": "7781"}}},
				map[string]any{"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": []any{map[string]any{"type": "payload", "payload": "STOP"}}},
			}},
	}
	url := srv.URL + "/v23.0/" + testPNID + "/messages"
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body, _ := json.Marshal(msg)
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			var out map[string]any
			json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}
