// Command bench-send measures the sending engine (QUALITY.md, issue 5)
// against the WhatsApp sandbox on 127.0.0.1, in one run:
//
//   - baseline: a bare net/http client POSTing the same template payloads
//     to the sandbox at the same concurrency;
//
//   - throughput: a 200,000-message campaign (ledger rows inserted
//     directly, the sandbox's rate limit off, the engine unpaced) sent by
//     delivery.Sender; duplicates and lost messages come from the
//     sandbox's append-only ledger;
//
//   - pacing: numbers capped at 80 and 1,000 msg/s (sandbox and
//     send_rate alike) for -pacing (60 s): achieved rate and the 130429
//     and 131056 answers the sandbox gave;
//
//   - 100 orgs sending at once: the slowest and fastest org's rate;
//
//   - time to first send for a 1M-recipient campaign started by
//     campaign.Service.Start (the "Send now" path).
//
//     go run ./cmd/bench-send -pacing 60s -orgs-duration 30s
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"tidings/internal/benchkit"
	"tidings/internal/campaign"
	"tidings/internal/delivery"
	"tidings/internal/delivery/sendtest"
	"tidings/internal/platform/clock"
	"tidings/internal/sandbox"
)

func main() {
	msgs := flag.Int("msgs", 200_000, "messages in the throughput campaign (and the baseline)")
	concurrency := flag.Int("concurrency", 64, "sends in flight (engine and baseline)")
	pacing := flag.Duration("pacing", 60*time.Second, "how long each pacing cap is measured")
	orgs := flag.Int("orgs", 100, "orgs sending at once")
	orgsRate := flag.Int("orgs-rate", 20, "send_rate of each of those orgs (msg/s)")
	orgsDuration := flag.Duration("orgs-duration", 30*time.Second, "how long the orgs phase is measured")
	audience := flag.Int("audience", 1_000_000, "recipients of the time-to-first-send campaign")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the throughput phase here")
	only := flag.String("phases", "send,pacing,orgs,first", "phases to run (comma-separated: send, pacing, orgs, first)")
	flag.Parse()
	profilePath = *cpuProfile
	for _, p := range strings.Split(*only, ",") {
		phases[strings.TrimSpace(p)] = true
	}
	if err := run(*msgs, *concurrency, *pacing, *orgs, *orgsRate, *orgsDuration, *audience); err != nil {
		fmt.Fprintln(os.Stderr, "bench-send:", err)
		os.Exit(1)
	}
}

var profilePath string

// phases are the phases to run (-phases): when tuning one, skip the others.
var phases = map[string]bool{}

type bench struct {
	ctx    context.Context
	w      *sendtest.World
	sb     *sandbox.Server
	apiURL string
	n      int // numbers registered so far
}

func run(msgs, concurrency int, pacing time.Duration, orgs, orgsRate int, orgsDuration time.Duration, audience int) error {
	ctx := context.Background()
	d, err := benchkit.StartDatabase(ctx, os.Stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	benchkit.PrintMachine(os.Stdout, d.Version)
	w, err := sendtest.Open(ctx, d.URLs.App, d.URLs.Ops, 24)
	if err != nil {
		return err
	}
	defer w.Close()
	if _, err := w.Ops.Pool.Exec(ctx, `SET synchronous_commit = on`); err != nil {
		return err
	}
	// The sandbox: no global rate limit (numbers carry their own cap), no
	// pair limit (each recipient gets one message), no webhooks (this
	// measures sending; webhook ingestion has its own benchmark).
	cfg := sandbox.DefaultConfig()
	cfg.ThroughputPerSec = 0
	cfg.PairLimit = true
	cfg.Delays = sandbox.Delays{}
	sb := sandbox.New(cfg, nil)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sb.Start(sctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	b := &bench{ctx: ctx, w: w, sb: sb, apiURL: "http://" + ln.Addr().String()}

	if phases["send"] {
		if err := b.sendPhase(msgs, concurrency); err != nil {
			return err
		}
	}
	if phases["pacing"] {
		if err := b.pacingPhase(pacing, concurrency); err != nil {
			return err
		}
	}
	if phases["orgs"] {
		if err := b.orgsPhase(orgs, orgsRate, orgsDuration, concurrency); err != nil {
			return err
		}
	}
	if phases["first"] {
		if err := b.firstPhase(audience, concurrency); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) sendPhase(msgs, concurrency int) error {
	base, err := b.baseline(msgs, concurrency)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	fmt.Printf("baseline: bare net/http, %d concurrent: %d requests in %.2fs = %.0f req/s\n", concurrency, msgs, base.secs, base.rate)
	b.fresh()
	tp, err := b.throughput(msgs, concurrency)
	if err != nil {
		return fmt.Errorf("throughput: %w", err)
	}
	fmt.Printf("engine: %d messages claimed, posted and recorded in %.2fs = %.0f msg/s (%.2f × baseline); sandbox duplicates %d, lost %d\n",
		msgs, tp.secs, tp.rate, tp.rate/base.rate, tp.duplicates, tp.lost)
	benchkit.Line(os.Stdout, "send", "msgs", msgs, "msgs_per_s", math.Round(tp.rate), "baseline_per_s", math.Round(base.rate),
		"ratio", tp.rate/base.rate, "duplicates", tp.duplicates, "lost", tp.lost, "concurrency", concurrency)
	return nil
}

func (b *bench) pacingPhase(pacing time.Duration, concurrency int) error {
	b.fresh()
	pr, err := b.pacing([]int{80, 1000}, pacing, concurrency)
	if err != nil {
		return fmt.Errorf("pacing: %w", err)
	}
	for _, p := range pr {
		fmt.Printf("pacing: cap %d msg/s over %s: achieved %.2f msg/s (%.2f%% off), 130429 answers %d, 131056 answers %d\n",
			p.cap, pacing, p.achieved, p.deviation, p.throttled, p.pair)
		benchkit.Line(os.Stdout, "pacing", "cap_per_s", p.cap, "achieved_per_s", p.achieved, "deviation_pct", p.deviation,
			"throttled", p.throttled, "pair_limited", p.pair, "seconds", pacing.Seconds())
	}
	return nil
}

func (b *bench) orgsPhase(orgs, orgsRate int, orgsDuration time.Duration, concurrency int) error {
	b.fresh()
	or, err := b.manyOrgs(orgs, orgsRate, orgsDuration, concurrency)
	if err != nil {
		return fmt.Errorf("orgs: %w", err)
	}
	fmt.Printf("%d orgs at %d msg/s each over %s: slowest %.2f msg/s, fastest %.2f msg/s, starved %d, 130429 answers %d\n",
		orgs, orgsRate, orgsDuration, or.min, or.max, or.starved, or.throttled)
	benchkit.Line(os.Stdout, "pacing_orgs", "orgs", orgs, "cap_per_s", orgsRate, "min_per_s", or.min, "max_per_s", or.max,
		"starved", or.starved, "throttled", or.throttled)
	return nil
}

func (b *bench) firstPhase(audience, concurrency int) error {
	b.fresh()
	fs, err := b.firstSend(audience, concurrency)
	if err != nil {
		return fmt.Errorf("first send: %w", err)
	}
	fmt.Printf("first send: %d-recipient campaign, %.3fs from \"Send now\" to the first POST accepted (campaign.Start returned in %.3fs)\n",
		audience, fs.seconds, fs.chunk)
	benchkit.Line(os.Stdout, "first_send", "audience", audience, "seconds", fs.seconds)
	return nil
}

// fresh empties the sandbox's ledger and message store between phases (each
// phase audits only its own numbers), so no phase pays for scanning the
// previous one's garbage.
func (b *bench) fresh() {
	b.sb.Reset()
	runtime.GC()
}

// org makes an org on a new sandbox number capped at limit (0 = none).
func (b *bench) org(rate, limit int) (sendtest.Org, error) {
	b.n++
	o, err := b.w.NewOrg(b.ctx, b.n, b.apiURL, rate)
	if err != nil {
		return o, err
	}
	return o, o.RegisterNumber(b.sb, b.n, "", limit)
}

// campaign freezes n opted-in recipients of o into a running campaign.
func (b *bench) campaign(o sendtest.Org, n int) (int64, error) {
	if _, err := b.w.Ops.Pool.Exec(b.ctx, `INSERT INTO contacts (org_id, phone_e164, name, consent_state)
		SELECT $1::bigint, format('+4477%s%s', lpad(($1::bigint % 1000)::text, 3, '0'), lpad(g::text, 7, '0')), 'Person ' || g, 'opted_in'
		FROM generate_series(1, $2::int) g`, o.ID, n); err != nil {
		return 0, err
	}
	c := sendtest.Campaign{Org: o, Status: "paused"}
	id, err := b.w.NewCampaign(b.ctx, c)
	if err != nil {
		return 0, err
	}
	err = pgx.BeginFunc(b.ctx, b.w.Ops.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(b.ctx, `INSERT INTO messages (org_id, connection_id, to_e164, campaign_id, contact_id, kind, category, template_name, template_language, params)
			SELECT $1, $2, phone_e164, $3, id, 'template', 'MARKETING', 'spring_offer', 'en_US', $4 FROM contacts WHERE org_id = $1 ORDER BY id`,
			o.ID, o.ConnID, id, sendtest.SpringOfferParams)
		if err != nil {
			return err
		}
		_, err = tx.Exec(b.ctx, `UPDATE campaign_stats SET queued = $3 WHERE org_id = $1 AND campaign_id = $2`, o.ID, id, tag.RowsAffected())
		return err
	})
	return id, err
}

// analyze refreshes the planner's statistics after bulk inserts.
func (b *bench) analyze() error {
	_, err := b.w.Ops.Pool.Exec(b.ctx, `VACUUM ANALYZE contacts, messages`)
	return err
}

func (b *bench) setRunning(orgID int64, ids ...int64) error {
	_, err := b.w.Ops.Pool.Exec(b.ctx, `UPDATE campaigns SET status = 'running' WHERE org_id = $1 AND id = ANY($2)`, orgID, ids)
	return err
}

func (b *bench) sender(concurrency int, unpaced bool) (*delivery.Sender, func()) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := delivery.NewSender(b.w.Ops.Pool, b.w.Conns, log, delivery.SenderOptions{Concurrency: concurrency, Unpaced: unpaced})
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	return s, func() { cancel(); <-done }
}

type rateResult struct {
	secs, rate       float64
	duplicates, lost int
}

// baseline POSTs msgs template sends with a bare net/http client.
func (b *bench) baseline(msgs, concurrency int) (rateResult, error) {
	o, err := b.org(80, 0)
	if err != nil {
		return rateResult{}, err
	}
	url := b.apiURL + "/v23.0/" + o.PNID + "/messages"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency}, Timeout: 15 * time.Second}
	var next, bad atomic.Int64
	var wg sync.WaitGroup
	self0 := selfCPU()
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			buf := make([]byte, 0, 512)
			for {
				i := next.Add(1)
				if i > int64(msgs) {
					return
				}
				buf = fmt.Appendf(buf[:0], `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+4478%09d","type":"template",`+
					`"biz_opaque_callback_data":"%d","template":{"name":"spring_offer","language":{"policy":"deterministic","code":"en_US"},`+
					`"components":[{"type":"body","parameters":[{"type":"text","parameter_name":"first_name","text":"Ana"},`+
					`{"type":"text","parameter_name":"discount","text":"20%%"}]}]}}`, i, i)
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(buf))
				req.Header.Set("Authorization", "Bearer "+o.Token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	fmt.Printf("baseline: CPU per request: this process (client + sandbox) %.1f µs\n", (selfCPU()-self0)/float64(msgs)*1e6)
	if bad.Load() > 0 {
		return rateResult{}, fmt.Errorf("%d baseline requests failed", bad.Load())
	}
	return rateResult{secs: secs, rate: float64(msgs) / secs}, nil
}

// throughput sends a msgs-recipient campaign unpaced and checks the
// sandbox's ledger against ours.
func (b *bench) throughput(msgs, concurrency int) (rateResult, error) {
	o, err := b.org(1000, 0)
	if err != nil {
		return rateResult{}, err
	}
	id, err := b.campaign(o, msgs)
	if err != nil {
		return rateResult{}, err
	}
	if err := b.analyze(); err != nil {
		return rateResult{}, err
	}
	s, stop := b.sender(concurrency, true)
	if profilePath != "" {
		f, err := os.Create(profilePath)
		if err != nil {
			return rateResult{}, err
		}
		defer f.Close()
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	pg0, self0 := benchkit.PostgresCPU(b.ctx, b.w.Ops.Pool), selfCPU()
	start := time.Now()
	if err := b.setRunning(o.ID, id); err != nil {
		return rateResult{}, err
	}
	for {
		st, err := sendtest.CampaignStats(b.ctx, b.w.Ops.Pool, o.ID, id)
		if err != nil {
			return rateResult{}, err
		}
		if st.Queued == 0 && st.Sending == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	secs := time.Since(start).Seconds()
	pgSecs, selfSecs := benchkit.PostgresCPU(b.ctx, b.w.Ops.Pool)-pg0, selfCPU()-self0
	stop()
	st := s.Stats()
	fmt.Printf("engine: CPU per message: PostgreSQL %.1f µs, this process (engine + sandbox) %.1f µs\n",
		pgSecs/float64(msgs)*1e6, selfSecs/float64(msgs)*1e6)
	fmt.Printf("engine: %d claims (avg %.1f ms), %d recorded batches (avg %.1f ms)\n", st.Claims.Load(),
		float64(st.ClaimNanos.Load())/float64(max(1, st.Claims.Load()))/1e6, st.Records.Load(),
		float64(st.RecordNanos.Load())/float64(max(1, st.Records.Load()))/1e6)
	dup, lost, err := b.audit(o, id)
	return rateResult{secs: secs, rate: float64(msgs) / secs, duplicates: dup, lost: lost}, err
}

// audit compares our ledger with the sandbox's: a duplicate is a ledger id
// the sandbox accepted twice; a lost message is one we hold as sent that
// the sandbox never accepted, one it accepted that we do not hold as sent
// with that wamid, or one that never reached a final state.
func (b *bench) audit(o sendtest.Org, campaign int64) (dup, lost int, err error) {
	acc := map[int64]string{}
	for _, e := range b.sb.Ledger(o.PNID, 0) {
		id, _ := strconv.ParseInt(e.BizOpaqueCallbackData, 10, 64)
		if _, ok := acc[id]; ok {
			dup++
		}
		acc[id] = e.WAMID
	}
	rows, err := b.w.Ops.Pool.Query(b.ctx, `SELECT id, status, coalesce(wamid, '') FROM messages WHERE org_id = $1 AND campaign_id = $2`, o.ID, campaign)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id int64
		var status, wamid string
		if err := rows.Scan(&id, &status, &wamid); err != nil {
			return 0, 0, err
		}
		w, ok := acc[id]
		switch status {
		case "sent", "delivered", "read":
			if !ok || w != wamid {
				lost++
			}
		case "queued", "sending":
			lost++
		}
		if ok {
			seen++
		}
	}
	lost += len(acc) - seen
	return dup, lost, rows.Err()
}

type pacingResult struct {
	cap                 int
	achieved, deviation float64
	throttled, pair     int64
}

// pacing runs one paced campaign per cap at once, each on a number the
// sandbox caps at the same rate, and measures the achieved rate over
// the whole window after the first send.
func (b *bench) pacing(caps []int, window time.Duration, concurrency int) ([]pacingResult, error) {
	type one struct {
		o  sendtest.Org
		id int64
	}
	var all []one
	for _, c := range caps {
		o, err := b.org(c, c)
		if err != nil {
			return nil, err
		}
		id, err := b.campaign(o, int(float64(c)*(window.Seconds()+5)))
		if err != nil {
			return nil, err
		}
		all = append(all, one{o, id})
	}
	if err := b.analyze(); err != nil {
		return nil, err
	}
	s, stop := b.sender(concurrency, false)
	for _, x := range all {
		if err := b.setRunning(x.o.ID, x.id); err != nil {
			return nil, err
		}
	}
	time.Sleep(window + 3*time.Second)
	stop()
	var out []pacingResult
	for i, x := range all {
		l := b.sb.Ledger(x.o.PNID, 0)
		if len(l) == 0 {
			return nil, fmt.Errorf("cap %d: nothing sent", caps[i])
		}
		t0 := l[0].AcceptedAt
		n := 0
		for _, e := range l {
			if e.AcceptedAt.Sub(t0) < window {
				n++
			}
		}
		rate := float64(n) / window.Seconds()
		out = append(out, pacingResult{cap: caps[i], achieved: rate, deviation: math.Abs(rate-float64(caps[i])) / float64(caps[i]) * 100})
	}
	// The engine counts the sandbox's 130429 and 131056 answers per process.
	for i := range out {
		out[i].throttled = s.Stats().Throttled.Load()
		out[i].pair = s.Stats().PairLimited.Load()
	}
	return out, nil
}

type orgsResult struct {
	min, max  float64
	starved   int
	throttled int64
}

// manyOrgs starts one campaign in each of n orgs at once and measures each
// org's rate over the same window, after every org had time to start.
func (b *bench) manyOrgs(n, rate int, window time.Duration, concurrency int) (orgsResult, error) {
	type one struct {
		o  sendtest.Org
		id int64
	}
	var all []one
	for range n {
		o, err := b.org(rate, rate)
		if err != nil {
			return orgsResult{}, err
		}
		id, err := b.campaign(o, int(float64(rate)*(window.Seconds()+10)))
		if err != nil {
			return orgsResult{}, err
		}
		all = append(all, one{o, id})
	}
	if err := b.analyze(); err != nil {
		return orgsResult{}, err
	}
	s, stop := b.sender(concurrency, false)
	start := time.Now()
	for _, x := range all {
		if err := b.setRunning(x.o.ID, x.id); err != nil {
			return orgsResult{}, err
		}
	}
	const warmup = 3 * time.Second
	time.Sleep(time.Until(start.Add(warmup + window + time.Second)))
	stop()
	w0, w1 := start.Add(warmup), start.Add(warmup+window)
	var rates []float64
	res := orgsResult{}
	for _, x := range all {
		c := 0
		for _, e := range b.sb.Ledger(x.o.PNID, 0) {
			if !e.AcceptedAt.Before(w0) && e.AcceptedAt.Before(w1) {
				c++
			}
		}
		r := float64(c) / window.Seconds()
		rates = append(rates, r)
		if r < 0.5*float64(rate) {
			res.starved++
		}
	}
	res.min, res.max = slices.Min(rates), slices.Max(rates)
	res.throttled = s.Stats().Throttled.Load()
	return res, nil
}

type firstSendResult struct{ seconds, chunk float64 }

// springOffer is the sandbox's spring_offer template as the org's
// template sync stores it (approved).
const springOffer = `[{"type":"HEADER","format":"TEXT","text":"Spring offer"},
	{"type":"BODY","text":"Hi {{first_name}}, enjoy {{discount}} off everything this week."},
	{"type":"FOOTER","text":"Not interested? Tap Stop promotions"},
	{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Tell me more"},{"type":"QUICK_REPLY","text":"Stop promotions"}]}]`

// freezeJobs stands in for River: it keeps the freeze jobs Start enqueues,
// and the bench runs them as soon as Start has committed, as a River
// worker would pick them up. The first chunk Start freezes covers the
// first FirstChunk contact ids only: when other orgs' contacts hold the
// low ids (as in a full run, after the other phases), the first message
// comes from the job.
type freezeJobs struct {
	mu   sync.Mutex
	args []campaign.FreezeArgs
}

func (j *freezeJobs) InsertTx(_ context.Context, _ *sql.Tx, a river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if f, ok := a.(campaign.FreezeArgs); ok {
		j.mu.Lock()
		j.args = append(j.args, f)
		j.mu.Unlock()
	}
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{}}, nil
}

// firstSend measures "Send now" → first POST accepted for an audience of n
// with a sender already running (idle, polling): a draft campaign to every
// contact of an org with an approved template, started by
// campaign.Service.Start as the web handler does, until the sandbox
// accepts its first message.
func (b *bench) firstSend(n, concurrency int) (firstSendResult, error) {
	o, err := b.org(80, 0)
	if err != nil {
		return firstSendResult{}, err
	}
	if _, err := b.w.Ops.Pool.Exec(b.ctx, `INSERT INTO contacts (org_id, phone_e164, name, consent_state)
		SELECT $1::bigint, format('+4479%s', lpad(g::text, 9, '0')), 'Person ' || g, 'opted_in' FROM generate_series(1, $2::int) g`, o.ID, n); err != nil {
		return firstSendResult{}, err
	}
	if _, err := b.w.Ops.Pool.Exec(b.ctx, `VACUUM ANALYZE contacts`); err != nil {
		return firstSendResult{}, err
	}
	var tmpl int64
	if err := b.w.Ops.Pool.QueryRow(b.ctx, `INSERT INTO wa_templates (org_id, connection_id, meta_id, name, language, category, status, components)
		VALUES ($1, $2, $3, 'spring_offer', 'en_US', 'MARKETING', 'APPROVED', $4::jsonb) RETURNING id`,
		o.ID, o.ConnID, "meta-spring-offer-"+strconv.FormatInt(o.ID, 10), springOffer).Scan(&tmpl); err != nil {
		return firstSendResult{}, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	jobs := &freezeJobs{}
	svc := campaign.NewService(b.w.Tenant, b.w.Priv, jobs, clock.System{}, quiet, campaign.Options{})
	c, err := svc.Create(b.ctx, o.ID, b.w.UserID, campaign.Input{Name: "Million", TemplateID: tmpl, Mapping: campaign.Mapping{
		"body.first_name": {Source: campaign.SourceFirstName, Fallback: "there"},
		"body.discount":   {Source: campaign.SourceText, Text: "20%"},
	}})
	if err != nil {
		return firstSendResult{}, err
	}
	_, stop := b.sender(concurrency, false)
	defer stop()
	time.Sleep(500 * time.Millisecond) // the sender is up and idle
	start := time.Now()
	if _, err := svc.Start(b.ctx, o.ID, b.w.UserID, c.ID); err != nil {
		return firstSendResult{}, err
	}
	chunk := time.Since(start).Seconds()
	jobs.mu.Lock()
	pending := jobs.args
	jobs.mu.Unlock()
	if len(pending) == 0 {
		return firstSendResult{}, errors.New("campaign.Start froze everything at once: not the path being measured")
	}
	// The job is stopped once the first send is seen: the rest of the
	// million is not what this phase measures.
	jctx, cancelJob := context.WithCancel(b.ctx)
	jobDone := make(chan struct{})
	go func() {
		defer close(jobDone)
		for _, a := range pending {
			_ = svc.Freeze(jctx, a.OrgID, a.CampaignID)
		}
	}()
	defer func() { cancelJob(); <-jobDone }()
	deadline := time.Now().Add(30 * time.Second)
	for len(b.sb.Ledger(o.PNID, 0)) == 0 {
		if time.Now().After(deadline) {
			// Say where it stuck: the campaign's state and its ledger.
			var status, why string
			var queued, sending, other int64
			_ = b.w.Ops.Pool.QueryRow(b.ctx, `SELECT k.status, k.pause_reason,
					count(*) FILTER (WHERE m.status = 'queued'), count(*) FILTER (WHERE m.status = 'sending'),
					count(*) FILTER (WHERE m.status NOT IN ('queued', 'sending'))
				FROM campaigns k LEFT JOIN messages m ON m.org_id = k.org_id AND m.campaign_id = k.id
				WHERE k.org_id = $1 AND k.id = $2 GROUP BY 1, 2`, o.ID, c.ID).Scan(&status, &why, &queued, &sending, &other)
			return firstSendResult{}, fmt.Errorf("no send within 30 s (campaign %s %q; ledger: %d queued, %d sending, %d other)",
				status, why, queued, sending, other)
		}
		time.Sleep(time.Millisecond)
	}
	return firstSendResult{seconds: b.sb.Ledger(o.PNID, 0)[0].AcceptedAt.Sub(start).Seconds(), chunk: chunk}, nil
}
