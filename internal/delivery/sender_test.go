package delivery_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"tidings/internal/connection"
	"tidings/internal/delivery"
	"tidings/internal/delivery/sendtest"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/pgtest"
	"tidings/internal/sandbox"
	"tidings/internal/whatsapp"
	"tidings/migrations"
)

// fx is a database, an in-process sandbox whose webhooks go to the durable
// inbox, the webhook processor, and (once started) a sender.
type fx struct {
	t      *testing.T
	ctx    context.Context
	w      *sendtest.World
	sb     *sandbox.Server
	apiURL string
	whURL  string
	sender *delivery.Sender
	stop   func()
	orgs   int
}

func setup(t *testing.T, tweak func(*sandbox.Config)) *fx {
	t.Helper()
	d := pgtest.New(t, migrations.Key(), migrate.UpURL)
	ctx := context.Background()
	w, err := sendtest.Open(ctx, d.AppURL, d.OpsURL, 12)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	cfg := sandbox.DefaultConfig()
	cfg.ThroughputPerSec = 0
	cfg.Delays = sandbox.Delays{Sent: 20 * time.Millisecond, Delivered: 40 * time.Millisecond, Read: 60 * time.Millisecond}
	cfg.WebhookRetryBase = 50 * time.Millisecond
	cfg.DeliveredProb = 1 // every message ends delivered or read: the tests wait for it
	if tweak != nil {
		tweak(&cfg)
	}
	sb := sandbox.New(cfg, nil)
	sctx, cancel := context.WithCancel(ctx)
	sb.Start(sctx)
	api := httptest.NewServer(sb.Handler())
	inbox := delivery.NewInbox(w.App.Pool, delivery.InboxOptions{})
	wh := httptest.NewServer(sendtest.WebhookReceiver(inbox))
	proc := delivery.NewProcessor(w.Ops.Pool, clock.System{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	proc.Poll = 20 * time.Millisecond
	var procDone sync.WaitGroup
	procDone.Go(func() { proc.Run(sctx) })
	f := &fx{t: t, ctx: ctx, w: w, sb: sb, apiURL: api.URL, whURL: wh.URL}
	t.Cleanup(func() {
		if f.stop != nil {
			f.stop()
		}
		api.Close()
		cancel()
		sb.Wait()
		wh.Close()
		inbox.Close()
		procDone.Wait()
	})
	return f
}

// org creates an org connected to a sandbox number at rate.
func (f *fx) org(rate int) sendtest.Org {
	f.t.Helper()
	f.orgs++
	o, err := f.w.NewOrg(f.ctx, f.orgs, f.apiURL, rate)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := o.RegisterNumber(f.sb, f.orgs, f.whURL+"/wh/"+o.WebhookKey, 0); err != nil {
		f.t.Fatal(err)
	}
	return o
}

// campaign creates a running campaign with n opted-in recipients.
func (f *fx) campaign(o sendtest.Org, from, n int, consent string, c sendtest.Campaign) (int64, []int64) {
	f.t.Helper()
	ids, err := f.w.Contacts(f.ctx, o.ID, from, n, consent)
	if err != nil {
		f.t.Fatal(err)
	}
	c.Org = o
	id, err := f.w.NewCampaign(f.ctx, c)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.w.Freeze(f.ctx, c, id, ids, nil); err != nil {
		f.t.Fatal(err)
	}
	return id, ids
}

func fastOptions(o delivery.SenderOptions) delivery.SenderOptions {
	o.Poll = 20 * time.Millisecond
	o.Housekeeping = 50 * time.Millisecond
	o.LeaseTTL = 2 * time.Second
	o.IdleRelease = 300 * time.Millisecond
	o.RetryBase = 50 * time.Millisecond
	o.RetryMax = 200 * time.Millisecond
	return o
}

// start runs a sender until the test ends (or f.stop).
func (f *fx) start(o delivery.SenderOptions, wrap func(delivery.API) delivery.API) *delivery.Sender {
	f.t.Helper()
	s := delivery.NewSender(f.w.Ops.Pool, f.w.Conns, testLogger(f.t), fastOptions(o))
	if wrap != nil {
		s.APIFor = func(c connection.Connection) delivery.API { return wrap(f.w.Conns.Client(c)) }
	}
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	f.sender = s
	f.stop = func() { cancel(); <-done; f.stop = nil }
	return s
}

// waitFor polls cond until it holds or the deadline passes.
func (f *fx) waitFor(what string, d time.Duration, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fx) campaignStatus(org, id int64) (status, reason string) {
	f.t.Helper()
	if err := f.w.Ops.Pool.QueryRow(f.ctx, `SELECT status, pause_reason FROM campaigns WHERE org_id = $1 AND id = $2`, org, id).Scan(&status, &reason); err != nil {
		f.t.Fatal(err)
	}
	return status, reason
}

type ledgerRow struct {
	id                        int64
	to, status, wamid, reason string
	attempts                  int
	errorCode                 *int
}

func (f *fx) ledger(org, campaign int64) map[int64]ledgerRow {
	f.t.Helper()
	rows, err := f.w.Ops.Pool.Query(f.ctx, `SELECT id, to_e164, status, coalesce(wamid, ''), reason, attempts, error_code FROM messages
		WHERE org_id = $1 AND campaign_id IS NOT DISTINCT FROM nullif($2, 0) ORDER BY id`, org, campaign)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]ledgerRow{}
	for rows.Next() {
		var r ledgerRow
		if err := rows.Scan(&r.id, &r.to, &r.status, &r.wamid, &r.reason, &r.attempts, &r.errorCode); err != nil {
			f.t.Fatal(err)
		}
		out[r.id] = r
	}
	return out
}

// accepted is the sandbox's ledger by our ledger id, failing on duplicates.
func (f *fx) accepted(pnid string) map[int64]sandbox.LedgerEntry {
	f.t.Helper()
	out := map[int64]sandbox.LedgerEntry{}
	for _, e := range f.sb.Ledger(pnid, 0) {
		id, _ := strconv.ParseInt(e.BizOpaqueCallbackData, 10, 64)
		if _, dup := out[id]; dup {
			f.t.Errorf("ledger id %d accepted twice by the sandbox", id)
		}
		out[id] = e
	}
	return out
}

func (f *fx) checkStats(org, campaign int64) {
	f.t.Helper()
	got, want, err := sendtest.RollupAndLedger(f.ctx, f.w.Ops.Pool, org, campaign)
	if err != nil {
		f.t.Fatal(err)
	}
	if got != want {
		f.t.Errorf("campaign_stats %+v, ledger says %+v", got, want)
	}
}

// A campaign is sent once per recipient from its own org's number, consent
// is re-checked at claim time, answers and webhooks land in the ledger and
// the rollup, and the campaign completes.
func TestSenderSendsCampaignsOfTwoOrgs(t *testing.T) {
	f := setup(t, nil)
	a, b := f.org(1000), f.org(1000)
	ca, _ := f.campaign(a, 0, 40, "opted_in", sendtest.Campaign{})
	// Org B: a utility campaign (no opt-in needed) with some people who
	// opted out, one restricted, and one marketing campaign to people who
	// never opted in.
	cb, idsB := f.campaign(b, 0, 30, "unknown", sendtest.Campaign{Template: "order_update", Category: "UTILITY"})
	if _, err := f.w.Ops.Pool.Exec(f.ctx, `UPDATE contacts SET consent_state = 'opted_out' WHERE org_id = $1 AND id = ANY($2)`, b.ID, idsB[:3]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.Ops.Pool.Exec(f.ctx, `UPDATE contacts SET restricted = true WHERE org_id = $1 AND id = $2`, b.ID, idsB[3]); err != nil {
		t.Fatal(err)
	}
	// order_update needs two positional parameters.
	if _, err := f.w.Ops.Pool.Exec(f.ctx, `UPDATE messages SET params = '{"body":[{"type":"text","text":"Ana"},{"type":"text","text":"A-1"}]}' WHERE org_id = $1 AND campaign_id = $2`, b.ID, cb); err != nil {
		t.Fatal(err)
	}
	cb2, _ := f.campaign(b, 100, 5, "unknown", sendtest.Campaign{})
	f.start(delivery.SenderOptions{}, nil)
	for _, c := range [][2]int64{{a.ID, ca}, {b.ID, cb}, {b.ID, cb2}} {
		f.waitFor("campaign completion", 20*time.Second, func() bool { s, _ := f.campaignStatus(c[0], c[1]); return s == "completed" })
	}
	accA, accB := f.accepted(a.PNID), f.accepted(b.PNID)
	check := func(org sendtest.Org, campaign int64, acc map[int64]sandbox.LedgerEntry, sent, skipped int, skipWhy map[string]int) {
		t.Helper()
		rows := f.ledger(org.ID, campaign)
		gotSent, gotSkipped, why := 0, 0, map[string]int{}
		for id, r := range rows {
			e, ok := acc[id]
			switch r.status {
			case "skipped":
				gotSkipped++
				why[r.reason]++
				if ok {
					t.Errorf("skipped message %d was sent", id)
				}
			case "sent", "delivered", "read":
				gotSent++
				if !ok || e.WAMID != r.wamid || "+"+e.WaID != r.to {
					t.Errorf("message %d (%s) not matched in the sandbox ledger: %+v", id, r.status, e)
				}
				if r.attempts != 1 {
					t.Errorf("message %d: %d attempts", id, r.attempts)
				}
			default:
				t.Errorf("message %d ended %s", id, r.status)
			}
		}
		if gotSent != sent || gotSkipped != skipped {
			t.Errorf("org %d campaign %d: sent %d skipped %d, want %d and %d", org.ID, campaign, gotSent, gotSkipped, sent, skipped)
		}
		for k, v := range skipWhy {
			if why[k] != v {
				t.Errorf("skipped for %q: %d, want %d (all: %v)", k, why[k], v, why)
			}
		}
	}
	check(a, ca, accA, 40, 0, nil)
	check(b, cb, accB, 26, 4, map[string]int{delivery.ReasonOptedOut: 3, delivery.ReasonRestricted: 1})
	check(b, cb2, accB, 0, 5, map[string]int{delivery.ReasonNoConsent: 5})
	if len(accA) != 40 || len(accB) != 26 {
		t.Errorf("sandbox accepted %d from A and %d from B: one org's number used for another's messages?", len(accA), len(accB))
	}
	// Webhooks move the ledger on and the rollup follows.
	f.waitFor("delivery statuses", 20*time.Second, func() bool {
		s, _ := sendtest.CountedStats(f.ctx, f.w.Ops.Pool, a.ID, ca)
		return s.Sent == 0 && s.Delivered+s.Read+s.Failed == 40
	})
	time.Sleep(200 * time.Millisecond)
	f.checkStats(a.ID, ca)
	f.checkStats(b.ID, cb)
	f.checkStats(b.ID, cb2)
}

// An opt-out that arrives while a campaign runs stops the remaining
// messages to that contact; a one-off confirmation to them still goes.
func TestSenderOptOutMidCampaign(t *testing.T) {
	f := setup(t, nil)
	o := f.org(10) // 10 msg/s: 30 messages take 3 s
	c, ids := f.campaign(o, 0, 30, "opted_in", sendtest.Campaign{})
	f.start(delivery.SenderOptions{ClaimWindow: 200 * time.Millisecond}, nil)
	f.waitFor("first sends", 10*time.Second, func() bool { return len(f.sb.Ledger(o.PNID, 0)) >= 3 })
	late := ids[len(ids)-2]
	if err := f.w.OptOut(f.ctx, o.ID, late); err != nil {
		t.Fatal(err)
	}
	conf, err := f.w.QueueText(f.ctx, o, late, sendtest.Phone(o.ID, len(ids)-2), "You will no longer receive messages from us.")
	if err != nil {
		t.Fatal(err)
	}
	f.waitFor("completion", 20*time.Second, func() bool { s, _ := f.campaignStatus(o.ID, c); return s == "completed" })
	rows := f.ledger(o.ID, c)
	var lateRow ledgerRow
	for _, r := range rows {
		if r.to == sendtest.Phone(o.ID, len(ids)-2) {
			lateRow = r
		}
	}
	if lateRow.status != "skipped" || lateRow.reason != delivery.ReasonOptedOut {
		t.Fatalf("message to the contact who opted out: %+v", lateRow)
	}
	acc := f.accepted(o.PNID)
	if _, sent := acc[lateRow.id]; sent {
		t.Fatal("the opted-out contact got the campaign message")
	}
	f.waitFor("confirmation", 10*time.Second, func() bool { _, ok := f.accepted(o.PNID)[conf]; return ok })
	if len(f.accepted(o.PNID)) != 30 { // 29 campaign messages + the confirmation
		t.Fatalf("accepted %d", len(f.accepted(o.PNID)))
	}
	f.checkStats(o.ID, c)
}

// Sending faster than the number allows gets 130429s: the messages go back
// to the queue without counting as attempts, and every one is sent once.
func TestSenderThrottleBackoffLosesNothing(t *testing.T) {
	f := setup(t, func(c *sandbox.Config) { c.ThroughputPerSec = 40; c.ThroughputBurst = 5 })
	o := f.org(1000) // we believe 1000/s; the sandbox allows 40/s
	c, _ := f.campaign(o, 0, 120, "opted_in", sendtest.Campaign{})
	s := f.start(delivery.SenderOptions{}, nil)
	f.waitFor("completion", 30*time.Second, func() bool { st, _ := f.campaignStatus(o.ID, c); return st == "completed" })
	if s.Stats().Throttled.Load() == 0 {
		t.Fatal("the sandbox never throttled: the test proves nothing")
	}
	acc := f.accepted(o.PNID)
	for id, r := range f.ledger(o.ID, c) {
		if _, ok := acc[id]; !ok || r.attempts != 1 || r.wamid == "" {
			t.Errorf("message %d: %+v (accepted %v)", id, r, ok)
		}
	}
	if len(acc) != 120 {
		t.Fatalf("accepted %d of 120", len(acc))
	}
	f.checkStats(o.ID, c)
}

// flaky sends for real except for the recipients it is told to fail.
type flaky struct {
	delivery.API
	mu   sync.Mutex
	errs map[string][]error // to → errors to return, in order
	// unknownAfterSend sends for real, then loses the answer.
	unknownAfterSend map[string]bool
}

func (fl *flaky) SendTemplate(ctx context.Context, token, pnid string, m whatsapp.TemplateMessage) (whatsapp.SendResult, error) {
	fl.mu.Lock()
	errs := fl.errs[m.To]
	var err error
	if len(errs) > 0 {
		err, fl.errs[m.To] = errs[0], errs[1:]
	}
	lose := fl.unknownAfterSend[m.To]
	fl.mu.Unlock()
	if err != nil {
		return whatsapp.SendResult{}, err
	}
	res, err := fl.API.SendTemplate(ctx, token, pnid, m)
	if err == nil && lose {
		return whatsapp.SendResult{}, &whatsapp.TransportError{Op: "POST /messages", Err: errors.New("connection reset"), MayHaveBeenSent: true}
	}
	return res, err
}

// Each error class ends where the client's classification says.
func TestSenderErrorClasses(t *testing.T) {
	f := setup(t, func(c *sandbox.Config) { c.Delays.Sent = 300 * time.Millisecond })
	o := f.org(1000)
	c, _ := f.campaign(o, 0, 6, "opted_in", sendtest.Campaign{})
	p := func(n int) string { return sendtest.Phone(o.ID, n) }
	transient := &whatsapp.APIError{HTTPStatus: 500, Code: 131000, Class: whatsapp.ClassTransient}
	fl := &flaky{
		errs: map[string][]error{
			p(0): {transient, transient},                                                              // retried, then sent
			p(1): {transient, transient, transient, transient},                                        // fails after MaxAttempts (3)
			p(2): {&whatsapp.APIError{HTTPStatus: 400, Code: 131009, Class: whatsapp.ClassPermanent}}, // failed at once
		},
		unknownAfterSend: map[string]bool{p(3): true}, // stays sending; its webhook settles it
	}
	f.start(delivery.SenderOptions{MaxAttempts: 3}, func(api delivery.API) delivery.API { fl.API = api; return fl })
	f.waitFor("completion", 20*time.Second, func() bool { st, _ := f.campaignStatus(o.ID, c); return st == "completed" })
	byTo := map[string]ledgerRow{}
	for _, r := range f.ledger(o.ID, c) {
		byTo[r.to] = r
	}
	if r := byTo[p(0)]; r.status == "failed" || r.wamid == "" || r.attempts != 3 {
		t.Errorf("transient then success: %+v", r)
	}
	if r := byTo[p(1)]; r.status != "failed" || r.attempts != 3 || r.errorCode == nil || *r.errorCode != 131000 || r.reason == "" {
		t.Errorf("transient until the last attempt: %+v", r)
	}
	if r := byTo[p(2)]; r.status != "failed" || r.attempts != 1 || r.errorCode == nil || *r.errorCode != 131009 || r.reason == "" {
		t.Errorf("permanent: %+v", r)
	}
	f.waitFor("the lost answer's webhook", 10*time.Second, func() bool {
		r := f.ledger(o.ID, c)
		for _, x := range r {
			if x.to == p(3) {
				return x.wamid != "" && x.status != "sending"
			}
		}
		return false
	})
	if n := len(f.accepted(o.PNID)); n != 4 {
		t.Errorf("sandbox accepted %d, want 4 (0, 3, 4, 5)", n)
	}
	time.Sleep(300 * time.Millisecond)
	f.checkStats(o.ID, c)
}

// An auth error stops the connection, tells why, and requeues everything;
// nothing more is sent on it.
func TestSenderAuthErrorStopsConnection(t *testing.T) {
	f := setup(t, nil)
	o := f.org(50)
	c, _ := f.campaign(o, 0, 100, "opted_in", sendtest.Campaign{})
	f.start(delivery.SenderOptions{}, nil)
	f.waitFor("first sends", 10*time.Second, func() bool { return len(f.sb.Ledger(o.PNID, 0)) >= 5 })
	if err := f.sb.ExpireToken(o.Token); err != nil {
		t.Fatal(err)
	}
	var reason string
	f.waitFor("connection stop", 10*time.Second, func() bool {
		var stopped *time.Time
		_ = f.w.Ops.Pool.QueryRow(f.ctx, `SELECT stopped_at, stop_reason FROM wa_connections WHERE id = $1`, o.ConnID).Scan(&stopped, &reason)
		return stopped != nil
	})
	if reason == "" {
		t.Error("no stop reason")
	}
	var audited int
	if err := f.w.Ops.Pool.QueryRow(f.ctx, `SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'whatsapp.stopped'`, o.ID).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("audit entries for the stop: %d, %v", audited, err)
	}
	f.waitFor("no message in flight", 10*time.Second, func() bool {
		s, _ := sendtest.CountedStats(f.ctx, f.w.Ops.Pool, o.ID, c)
		return s.Sending == 0
	})
	time.Sleep(300 * time.Millisecond)
	sent := len(f.sb.Ledger(o.PNID, 0))
	s, _ := sendtest.CountedStats(f.ctx, f.w.Ops.Pool, o.ID, c)
	if s.Failed != 0 || s.Queued != int64(100-sent) {
		t.Errorf("after the stop: %+v with %d accepted", s, sent)
	}
	f.checkStats(o.ID, c)
}

// Pause and cancel stop claiming; resume carries on; a suspended org sends
// nothing; shutdown leaves nothing in flight.
func TestSenderPauseResumeSuspendShutdown(t *testing.T) {
	f := setup(t, nil)
	o := f.org(20)
	c, _ := f.campaign(o, 0, 200, "opted_in", sendtest.Campaign{})
	susp := f.org(1000)
	cs, _ := f.campaign(susp, 0, 10, "opted_in", sendtest.Campaign{})
	if _, err := f.w.Ops.Pool.Exec(f.ctx, `UPDATE orgs SET suspended_at = now() WHERE id = $1`, susp.ID); err != nil {
		t.Fatal(err)
	}
	f.start(delivery.SenderOptions{ClaimWindow: 200 * time.Millisecond}, nil)
	f.waitFor("first sends", 10*time.Second, func() bool { return len(f.sb.Ledger(o.PNID, 0)) >= 5 })
	if _, err := f.w.Ops.Pool.Exec(f.ctx, `UPDATE campaigns SET status = 'paused' WHERE org_id = $1 AND id = $2`, o.ID, c); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // what was claimed before the pause drains (≤ 1 s of sends)
	n := len(f.sb.Ledger(o.PNID, 0))
	time.Sleep(time.Second)
	if m := len(f.sb.Ledger(o.PNID, 0)); m != n {
		t.Fatalf("paused campaign still sending: %d then %d", n, m)
	}
	if _, err := f.w.Ops.Pool.Exec(f.ctx, `UPDATE campaigns SET status = 'running' WHERE org_id = $1 AND id = $2`, o.ID, c); err != nil {
		t.Fatal(err)
	}
	f.waitFor("resumed sends", 10*time.Second, func() bool { return len(f.sb.Ledger(o.PNID, 0)) >= n+10 })
	f.stop() // graceful: in-flight sends finish and are recorded, the rest requeued
	s, _ := sendtest.CountedStats(f.ctx, f.w.Ops.Pool, o.ID, c)
	acc := len(f.accepted(o.PNID))
	if s.Sending != 0 || int(s.Sent+s.Delivered+s.Read) != acc || int(s.Queued) != 200-acc {
		t.Fatalf("after shutdown: %+v, %d accepted", s, acc)
	}
	f.checkStats(o.ID, c)
	if st, _ := f.campaignStatus(susp.ID, cs); st != "running" || len(f.sb.Ledger(susp.PNID, 0)) != 0 {
		t.Fatalf("suspended org sent: campaign %s, %d accepted", st, len(f.sb.Ledger(susp.PNID, 0)))
	}
	// Cancel: nothing more is claimed.
	if _, err := f.w.Ops.Pool.Exec(f.ctx, `UPDATE campaigns SET status = 'cancelled' WHERE org_id = $1 AND id = $2`, o.ID, c); err != nil {
		t.Fatal(err)
	}
	f.start(delivery.SenderOptions{}, nil)
	time.Sleep(time.Second)
	if m := len(f.sb.Ledger(o.PNID, 0)); m != acc {
		t.Fatalf("cancelled campaign sent %d more", m-acc)
	}
}

// A campaign whose messages keep failing pauses itself, with the reason.
func TestSenderAutoPausesOnErrorRate(t *testing.T) {
	f := setup(t, nil)
	o := f.org(200)
	c, _ := f.campaign(o, 0, 300, "opted_in", sendtest.Campaign{Template: "no_such_template"})
	f.start(delivery.SenderOptions{PauseMinSample: 20, ClaimWindow: 100 * time.Millisecond}, nil)
	f.waitFor("auto-pause", 15*time.Second, func() bool { st, _ := f.campaignStatus(o.ID, c); return st == "paused" })
	_, why := f.campaignStatus(o.ID, c)
	if why == "" {
		t.Error("no pause reason")
	}
	time.Sleep(500 * time.Millisecond)
	s, _ := sendtest.CountedStats(f.ctx, f.w.Ops.Pool, o.ID, c)
	if s.Failed < 20 || s.Queued < 150 || s.Sending != 0 {
		t.Fatalf("after the pause: %+v", s)
	}
	f.checkStats(o.ID, c)
}

// Pacing: the achieved rate is the connection's send_rate, with no
// throttle error from a sandbox enforcing the same cap.
func TestSenderPacing(t *testing.T) {
	f := setup(t, func(c *sandbox.Config) { c.ThroughputPerSec = 25 })
	o := f.org(25)
	c, _ := f.campaign(o, 0, 75, "opted_in", sendtest.Campaign{})
	s := f.start(delivery.SenderOptions{}, nil)
	f.waitFor("completion", 20*time.Second, func() bool { st, _ := f.campaignStatus(o.ID, c); return st == "completed" })
	l := f.sb.Ledger(o.PNID, 0)
	if len(l) != 75 || s.Stats().Throttled.Load() != 0 {
		t.Fatalf("accepted %d, throttled %d", len(l), s.Stats().Throttled.Load())
	}
	span := l[len(l)-1].AcceptedAt.Sub(l[0].AcceptedAt).Seconds()
	rate := float64(len(l)-1) / span
	// The benchmark measures ±2 % over 60 s; over 3 s on a shared test
	// machine a late timer moves the figure more.
	if rate < 25*0.9 || rate > 25*1.1 {
		t.Fatalf("achieved %.1f msg/s, want 25", rate)
	}
}

// A send whose answer was lost stays 'sending', is shown as unknown after
// the timeout, and its webhook later settles it with its wamid.
func TestSenderUnknownIsReconciledByWebhook(t *testing.T) {
	f := setup(t, func(c *sandbox.Config) {
		c.Delays = sandbox.Delays{Sent: 1500 * time.Millisecond, Delivered: 1600 * time.Millisecond, Read: 1700 * time.Millisecond}
	})
	o := f.org(1000)
	c, _ := f.campaign(o, 0, 3, "opted_in", sendtest.Campaign{})
	p := func(n int) string { return sendtest.Phone(o.ID, n) }
	fl := &flaky{unknownAfterSend: map[string]bool{p(0): true, p(1): true}}
	f.start(delivery.SenderOptions{UnknownAfter: 300 * time.Millisecond}, func(api delivery.API) delivery.API { fl.API = api; return fl })
	f.waitFor("unknown", 5*time.Second, func() bool {
		s, _ := sendtest.CountedStats(f.ctx, f.w.Ops.Pool, o.ID, c)
		return s.Unknown == 2
	})
	for _, r := range f.ledger(o.ID, c) {
		if r.to != p(2) && (r.status != "unknown" || r.reason != delivery.ReasonUnknown || r.wamid != "") {
			t.Errorf("lost answer before its webhook: %+v", r)
		}
	}
	f.checkStats(o.ID, c)
	f.waitFor("webhooks settle the unknowns", 10*time.Second, func() bool {
		s, _ := sendtest.CountedStats(f.ctx, f.w.Ops.Pool, o.ID, c)
		return s.Unknown == 0 && s.Sending == 0
	})
	acc := f.accepted(o.PNID)
	for id, r := range f.ledger(o.ID, c) {
		if acc[id].WAMID != r.wamid {
			t.Errorf("message %d: wamid %q, sandbox %q", id, r.wamid, acc[id].WAMID)
		}
	}
	f.waitFor("completion", 5*time.Second, func() bool { st, _ := f.campaignStatus(o.ID, c); return st == "completed" })
	time.Sleep(200 * time.Millisecond)
	f.checkStats(o.ID, c)
}

// testLogger shows the sender's warnings in the test output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// Unpaced (the benchmark's mode), two claimers share a connection: every
// message still goes exactly once.
func TestSenderUnpacedSendsEachOnce(t *testing.T) {
	f := setup(t, nil)
	o := f.org(80)
	c, _ := f.campaign(o, 0, 3000, "opted_in", sendtest.Campaign{})
	f.start(delivery.SenderOptions{Unpaced: true}, nil)
	f.waitFor("completion", 60*time.Second, func() bool { st, _ := f.campaignStatus(o.ID, c); return st == "completed" })
	acc := f.accepted(o.PNID)
	if len(acc) != 3000 {
		t.Fatalf("accepted %d of 3000", len(acc))
	}
	for id, r := range f.ledger(o.ID, c) {
		if acc[id].WAMID != r.wamid || r.attempts != 1 {
			t.Fatalf("message %d: %+v", id, r)
		}
	}
	time.Sleep(300 * time.Millisecond)
	f.checkStats(o.ID, c)
}
