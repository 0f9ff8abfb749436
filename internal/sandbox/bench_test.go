package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchServer is a started sandbox with every limit off and one number
// without webhooks, as the send benchmarks of QUALITY.md use it.
func benchServer(b *testing.B) *Server {
	cfg := DefaultConfig()
	cfg.ThroughputPerSec, cfg.PairLimit = 0, false
	s := New(cfg, nil)
	if err := s.AddNumber(Number{WABAID: wabaA, PhoneNumberID: pnidA, DisplayPhoneNumber: "+15550783881", Token: tokA}); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	b.Cleanup(func() { cancel(); s.Wait() })
	return s
}

// benchBodies are template sends to 10,000 recipients, pre-encoded.
func benchBodies(b *testing.B) [][]byte {
	out := make([][]byte, 10000)
	for i := range out {
		js, err := json.Marshal(orderUpdate("+4915" + strconv.Itoa(100000000+i)))
		if err != nil {
			b.Fatal(err)
		}
		out[i] = js
	}
	return out
}

// BenchmarkSend measures accepted sends per second over real HTTP on
// loopback, from parallel keep-alive clients, with limits off.
func BenchmarkSend(b *testing.B) {
	s := benchServer(b)
	srv := httptest.NewServer(s.Handler())
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}
	bodies := benchBodies(b)
	url := srv.URL + "/v23.0/" + pnidA + "/messages"
	var next, failed atomic.Int64
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", url, bytes.NewReader(bodies[next.Add(1)%int64(len(bodies))]))
			req.Header.Set("Authorization", "Bearer "+tokA)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				failed.Add(1)
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sends/s")
	if failed.Load() > 0 {
		b.Fatalf("%d sends failed", failed.Load())
	}
	if n := len(s.Ledger("", 0)); n != b.N {
		b.Fatalf("ledger has %d entries for %d sends", n, b.N)
	}
}

// BenchmarkSendHandler measures the sandbox's own cost per send, without
// the network: what is left of the CPU for the client under test.
func BenchmarkSendHandler(b *testing.B) {
	s := benchServer(b)
	h := s.Handler()
	bodies := benchBodies(b)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/v23.0/"+pnidA+"/messages", bytes.NewReader(bodies[next.Add(1)%int64(len(bodies))]))
			req.Header.Set("Authorization", "Bearer "+tokA)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Errorf("HTTP %d: %s", w.Code, w.Body)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sends/s")
}
