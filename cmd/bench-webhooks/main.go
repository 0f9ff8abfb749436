// Command bench-webhooks measures webhook ingestion (QUALITY.md): signed
// status events POSTed by many concurrent senders to the real handler,
// each acknowledged only after its commit, against a baseline route on the
// same server that only decodes the JSON. Everything runs on 127.0.0.1.
//
//	go run ./cmd/bench-webhooks -duration 60s -senders 256
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"tidings/internal/account"
	"tidings/internal/benchkit"
	"tidings/internal/connection"
	"tidings/internal/delivery"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/config"
	"tidings/internal/platform/db"
	"tidings/internal/platform/mail"
	"tidings/internal/platform/ratelimit"
	"tidings/internal/platform/secretbox"
	"tidings/web"
	"tidings/web/paths"
)

const appSecret = "benchappsecret0123456789abcdef01"

func main() {
	duration := flag.Duration("duration", 60*time.Second, "how long each phase sends")
	senders := flag.Int("senders", 256, "concurrent senders")
	reps := flag.Int("reps", 1, "repetitions of baseline+subject (medians are reported)")
	flag.Parse()
	if err := run(*duration, *senders, *reps); err != nil {
		fmt.Fprintln(os.Stderr, "bench-webhooks:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, senders, reps int) error {
	ctx := context.Background()
	dbase, err := benchkit.StartDatabase(ctx, os.Stderr)
	if err != nil {
		return err
	}
	defer dbase.Close()
	benchkit.PrintMachine(os.Stdout, dbase.Version)

	key, handler, cleanup, err := server(ctx, dbase)
	if err != nil {
		return err
	}
	defer cleanup()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()

	var subj, basel []result
	for rep := range reps {
		b := load(base+"/bench/noop", senders, duration, int64(rep)*1e9)
		fmt.Printf("baseline (decode only): %.0f events/s, p50 %.2f ms, p99 %.2f ms, non-2xx %d\n", b.rate, benchkit.Ms(b.p50), benchkit.Ms(b.p99), b.non2xx)
		s := load(base+paths.WhatsAppWebhook(key), senders, duration, int64(rep)*1e9+5e8)
		fmt.Printf("subject (signed, stored, committed): %.0f events/s, p50 %.2f ms, p99 %.2f ms, non-2xx %d\n", s.rate, benchkit.Ms(s.p50), benchkit.Ms(s.p99), s.non2xx)
		basel, subj = append(basel, b), append(subj, s)
	}
	b, s := median(basel), median(subj)
	benchkit.Line(os.Stdout, "webhooks", "events", s.events, "events_per_s", round(s.rate), "p50_ms", benchkit.Ms(s.p50),
		"p99_ms", benchkit.Ms(s.p99), "baseline_per_s", round(b.rate), "ratio", s.rate/b.rate, "non2xx", s.non2xx, "senders", senders,
		"seconds", duration.Seconds())
	return nil
}

// server builds the real web server over the benchmark database with one
// connected org, and adds the baseline route beside it.
func server(ctx context.Context, d *benchkit.Database) (string, http.Handler, func(), error) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	appConn, err := db.Open(ctx, d.URLs.App, db.Options{MaxConns: 40})
	if err != nil {
		return "", nil, nil, err
	}
	opsConn, err := db.Open(ctx, d.URLs.Ops, db.Options{MaxConns: 4})
	if err != nil {
		return "", nil, nil, err
	}
	env := map[string]string{"SECRET_KEY": "bench-secret-key-0123456789abcdefghijkl", "ENCRYPTION_KEYS": "b1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
	cfg, err := config.Load(config.ModeDev, func(k string) string { return env[k] })
	if err != nil {
		return "", nil, nil, err
	}
	tenant, ops := db.NewTenant(appConn), db.NewPrivileged(opsConn, log)
	keys, _ := secretbox.ParseKeys(cfg.EncryptionKeys)
	box, err := secretbox.New(keys)
	if err != nil {
		return "", nil, nil, err
	}
	c := clock.System{}
	if err := account.SeedPolicies(ctx, ops, cfg.Operator); err != nil {
		return "", nil, nil, err
	}
	acc := account.NewService(tenant, ops, c, mail.NewOutbox(c, 10), ratelimit.New(appConn.Pool, c, cfg.SecretKey), log, account.Options{
		BaseURL: cfg.BaseURL, SessionIdle: cfg.SessionIdleTimeout, SessionMaxAge: cfg.SessionMaxAge})
	if err := acc.EnsureDemo(ctx, account.Demo{Email: "bench@example.test", Password: "Bench-Password-2026", Name: "Bench", Phone: "+447911123456", OrgName: "Bench"}); err != nil {
		return "", nil, nil, err
	}
	var userID int64
	if err := appConn.Pool.QueryRow(ctx, `SELECT id FROM users WHERE email = 'bench@example.test'`).Scan(&userID); err != nil {
		return "", nil, nil, err
	}
	orgs, err := acc.OrgsOf(ctx, userID)
	if err != nil {
		return "", nil, nil, err
	}
	conns := connection.NewService(tenant, ops, box, c, "http://127.0.0.1:9", "v23.0")
	conn, err := conns.Save(ctx, orgs[0].ID, userID, connection.Input{WABAID: "102290129340398", PhoneNumberID: "106540352242922",
		APIBaseURL: "http://127.0.0.1:9", APIVersion: "v23.0", AccessToken: "EAAGbenchtoken0123456789abcdef", AppSecret: appSecret})
	if err != nil {
		return "", nil, nil, err
	}
	inbox := delivery.NewInbox(appConn.Pool, delivery.InboxOptions{})
	srv := web.New(web.Deps{Config: cfg, Log: log, Accounts: acc, Connections: conns, Inbox: inbox,
		Ready: func(context.Context) error { return nil }, Registry: prometheus.NewRegistry()})
	mux := http.NewServeMux()
	mux.Handle("/", srv.Handler())
	// The baseline: same process, same HTTP server, same body; it only
	// reads and decodes the JSON.
	mux.HandleFunc("POST /bench/noop", func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	cleanup := func() { inbox.Close(); appConn.Close(); opsConn.Close() }
	return conn.WebhookKey, mux, cleanup, nil
}

type result struct {
	events   int64
	rate     float64
	p50, p99 time.Duration
	non2xx   int64
}

// load sends one signed status event per request from many senders for
// d, each waiting for its answer before sending the next.
func load(url string, senders int, d time.Duration, seed int64) result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}, Timeout: 10 * time.Second}
	lat := benchkit.NewLatencies(senders)
	var sent, bad atomic.Int64
	var seq atomic.Int64
	seq.Store(seed)
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				n := seq.Add(1)
				body := statusBody(n)
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Hub-Signature-256", sign(body))
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat.Add(i, time.Since(t0))
				if res.StatusCode/100 != 2 {
					bad.Add(1)
				}
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := lat.Sorted()
	return result{events: sent.Load(), rate: float64(sent.Load()) / elapsed.Seconds(),
		p50: benchkit.Percentile(all, 50), p99: benchkit.Percentile(all, 99), non2xx: bad.Load()}
}

func statusBody(n int64) []byte {
	id := strconv.FormatInt(n, 10)
	return []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.bench` + id + `","status":"delivered","timestamp":"1767000000","recipient_id":"447911` + id + `","pricing":{"billable":true,"pricing_model":"PMP","category":"marketing","type":"regular"}}]},"field":"messages"}]}]}`)
}

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func median(rs []result) result {
	// Few repetitions: sort by rate and take the middle one.
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if rs[j].rate < rs[i].rate {
				rs[i], rs[j] = rs[j], rs[i]
			}
		}
	}
	return rs[len(rs)/2]
}

func round(f float64) int64 { return int64(f + 0.5) }
