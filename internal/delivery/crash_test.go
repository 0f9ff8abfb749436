package delivery_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tidings/internal/delivery"
	"tidings/internal/delivery/sendtest"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/pgboot"
	"tidings/internal/sandbox"
)

// crashMessages is the campaign's size (issue 5: 20,000), sent at
// crashRate so the run lasts about a minute of sending.
const (
	crashMessages = 20_000
	crashRate     = 400
	crashKills    = 10
)

// The reliability harness (QUALITY.md): two `tidings worker` processes send
// a 20,000-message campaign to the sandbox while one of them is killed with
// -9 ten times at random moments (and restarted), PostgreSQL is stopped
// immediately once (crash recovery) and started again, and contacts opt
// out along the way. The sandbox's append-only ledger is the oracle:
//
//   - no ledger id is accepted twice (0 duplicates);
//   - every accepted message is in our ledger as sent/delivered/read (or
//     failed) with the sandbox's wamid — reconciled by its webhook when
//     the answer was lost with the worker (0 lost);
//   - every message ends final: sent/delivered/read/failed, skipped, or
//     visibly 'unknown' — and an unknown one was never accepted (it was
//     marked sending, then its worker died before the POST);
//   - no message reached a contact whose opt-out committed before the
//     message was claimed;
//   - campaign_stats equals the ledger.
//
// It runs its own PostgreSQL cluster (durable settings: an immediate stop
// of the shared test cluster would break other tests, and the shared one
// runs without fsync).
func TestCrashHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash harness takes a few minutes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "tidings")
	build := exec.Command(goTool(), "build", "-o", bin, "../../cmd/tidings")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build tidings: %v\n%s", err, out)
	}
	pgDir, err := os.MkdirTemp("", "tidings-crash-pg-")
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := pgboot.Start(ctx, pgboot.Options{Dir: pgDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Stop(); os.RemoveAll(pgDir); os.RemoveAll(cluster.Dir) })
	urls, err := cluster.EnsureDatabase(ctx, "tidings_crash")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate.UpURL(ctx, urls.Owner); err != nil {
		t.Fatal(err)
	}
	w, err := sendtest.Open(ctx, urls.App, urls.Ops, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)

	cfg := sandbox.DefaultConfig()
	cfg.ThroughputPerSec = 0 // paced by send_rate; the pacing benchmark covers the cap
	cfg.Delays = sandbox.Delays{Sent: 100 * time.Millisecond, Delivered: 300 * time.Millisecond}
	cfg.DeliveredProb, cfg.ReadProb = 1, 0
	cfg.WebhookBatch, cfg.WebhookBatchWait = 50, 20*time.Millisecond
	cfg.WebhookRetryBase, cfg.WebhookMaxAttempts = 100*time.Millisecond, 12
	sb := sandbox.New(cfg, nil)
	sctx, cancel := context.WithCancel(ctx)
	sb.Start(sctx)
	api := httptest.NewServer(sb.Handler())
	inbox := delivery.NewInbox(w.App.Pool, delivery.InboxOptions{})
	wh := httptest.NewServer(sendtest.WebhookReceiver(inbox))
	t.Cleanup(func() { api.Close(); cancel(); sb.Wait(); wh.Close(); inbox.Close() })

	o, err := w.NewOrg(ctx, 1, api.URL, crashRate)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.RegisterNumber(sb, 1, wh.URL+"/wh/"+o.WebhookKey, 0); err != nil {
		t.Fatal(err)
	}
	ids, err := w.Contacts(ctx, o.ID, 0, crashMessages, "opted_in")
	if err != nil {
		t.Fatal(err)
	}
	camp := sendtest.Campaign{Org: o}
	cid, err := w.NewCampaign(ctx, camp)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Freeze(ctx, camp, cid, ids, nil); err != nil {
		t.Fatal(err)
	}

	env := append(os.Environ(), "DATABASE_URL="+urls.App, "DATABASE_OPS_URL="+urls.Ops,
		"SECRET_KEY=crash-harness-secret-key-0123456789abcdef", "ENCRYPTION_KEYS="+sendtest.EncryptionKeys,
		"MAIL_TRANSPORT=smtp", "SMTP_HOST=127.0.0.1", "SMTP_PORT=9", "LOG_LEVEL=warn", "SEND_UNKNOWN_AFTER=30s")
	workers := [2]*workerProc{{name: "a"}, {name: "b"}}
	for _, wp := range workers {
		wp.start(t, bin, env, dir)
	}
	t.Cleanup(func() {
		for _, wp := range workers {
			wp.stop()
		}
	})

	// Chaos while the campaign runs.
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	type optOut struct {
		contact int64
		at      time.Time // after the commit returned
	}
	var optOuts []optOut
	optOutSome := func() {
		rows, err := w.Ops.Pool.Query(ctx, `SELECT contact_id FROM messages WHERE org_id = $1 AND campaign_id = $2 AND status = 'queued'
			ORDER BY random() LIMIT 4`, o.ID, cid)
		if err != nil {
			t.Logf("pick opt-outs: %v", err)
			return
		}
		var picked []int64
		for rows.Next() {
			var id int64
			if rows.Scan(&id) == nil {
				picked = append(picked, id)
			}
		}
		rows.Close()
		for _, c := range picked {
			if err := w.OptOut(ctx, o.ID, c); err != nil {
				t.Logf("opt out: %v", err)
				continue
			}
			optOuts = append(optOuts, optOut{c, time.Now()})
		}
	}
	time.Sleep(2 * time.Second)
	for k := 1; k <= crashKills; k++ {
		time.Sleep(time.Duration(1500+rng.IntN(3000)) * time.Millisecond)
		victim := workers[rng.IntN(2)]
		victim.kill(t)
		optOutSome()
		if k == crashKills/2 {
			if err := cluster.RestartImmediate(ctx); err != nil {
				t.Fatalf("restart PostgreSQL: %v", err)
			}
			t.Logf("PostgreSQL stopped immediately and started again after kill %d", k)
		}
		time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
		victim.start(t, bin, env, dir)
	}
	t.Logf("%d kills done; %d contacts opted out during the run", crashKills, len(optOuts))

	// Let it finish: the campaign completes once nothing is queued or
	// sending (a row whose worker died before its POST turns unknown after
	// SEND_UNKNOWN_AFTER), and every webhook has been applied.
	deadline := time.Now().Add(4 * time.Minute)
	for {
		var status string
		var pending int
		err := w.Ops.Pool.QueryRow(ctx, `SELECT (SELECT status FROM campaigns WHERE org_id = $1 AND id = $2),
			(SELECT count(*) FROM webhook_inbox WHERE processed_at IS NULL)`, o.ID, cid).Scan(&status, &pending)
		if err == nil && status == "completed" && pending == 0 && sb.Stats().Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			s, _ := sendtest.CountedStats(ctx, w.Ops.Pool, o.ID, cid)
			for _, wp := range workers {
				t.Logf("worker %s log tail:\n%s", wp.name, tail(wp.logPath, 30))
			}
			t.Fatalf("not finished: campaign %s, inbox pending %d, ledger %+v", status, pending, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the last webhook batch
	for _, wp := range workers {
		wp.stop()
	}

	// The oracle.
	accepted := map[int64]sandbox.LedgerEntry{}
	dups := 0
	for _, e := range sb.Ledger(o.PNID, 0) {
		id, _ := strconv.ParseInt(e.BizOpaqueCallbackData, 10, 64)
		if _, ok := accepted[id]; ok {
			dups++
		}
		accepted[id] = e
	}
	type row struct {
		id, contact   int64
		status, wamid string
		sendingAt     *time.Time
	}
	rows, err := w.Ops.Pool.Query(ctx, `SELECT id, contact_id, status, coalesce(wamid, ''), sending_at FROM messages WHERE org_id = $1 AND campaign_id = $2`, o.ID, cid)
	if err != nil {
		t.Fatal(err)
	}
	byContact := map[int64]row{}
	count := map[string]int{}
	lost, stuck, unknownButSent := 0, 0, 0
	seen := 0
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.contact, &r.status, &r.wamid, &r.sendingAt); err != nil {
			t.Fatal(err)
		}
		byContact[r.contact] = r
		count[r.status]++
		e, ok := accepted[r.id]
		if ok {
			seen++
		}
		switch r.status {
		case "sent", "delivered", "read", "failed":
			if r.status != "failed" && (!ok || e.WAMID != r.wamid) {
				lost++
				t.Errorf("message %d is %s with wamid %q but the sandbox has %q (accepted %v)", r.id, r.status, r.wamid, e.WAMID, ok)
			}
		case "unknown", "skipped":
			if ok {
				unknownButSent++
				t.Errorf("message %d is %s but the sandbox accepted it (not reconciled)", r.id, r.status)
			}
		default:
			stuck++
			t.Errorf("message %d stuck in %s", r.id, r.status)
		}
	}
	rows.Close()
	if seen != len(accepted) {
		lost += len(accepted) - seen
		t.Errorf("the sandbox accepted %d messages our ledger does not know", len(accepted)-seen)
	}
	violations := 0
	for _, oo := range optOuts {
		r := byContact[oo.contact]
		if _, sent := accepted[r.id]; sent && r.sendingAt != nil && r.sendingAt.After(oo.at) {
			violations++
			t.Errorf("contact %d opted out at %s but message %d was claimed at %s and sent", oo.contact, oo.at, r.id, r.sendingAt)
		}
	}
	got, want, err := sendtest.RollupAndLedger(ctx, w.Ops.Pool, o.ID, cid)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("campaign_stats %+v, ledger %+v", got, want)
	}
	t.Logf("accepted %d, duplicates %d, lost %d, stuck %d, unknown-but-sent %d, opt-out violations %d; ledger: %v",
		len(accepted), dups, lost, stuck, unknownButSent, violations, count)
	if dups != 0 {
		t.Errorf("%d duplicate sends", dups)
	}
}

// workerProc is one `tidings worker` process.
type workerProc struct {
	name    string
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
	starts  int
	mu      sync.Mutex
}

func (wp *workerProc) start(t *testing.T, bin string, env []string, dir string) {
	t.Helper()
	wp.mu.Lock()
	defer wp.mu.Unlock()
	wp.starts++
	wp.logPath = filepath.Join(dir, fmt.Sprintf("worker-%s-%d.log", wp.name, wp.starts))
	f, err := os.Create(wp.logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "worker")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wp.cmd, wp.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); f.Close(); close(done) }(wp.done)
}

func (wp *workerProc) kill(t *testing.T) {
	wp.mu.Lock()
	defer wp.mu.Unlock()
	if wp.cmd == nil {
		return
	}
	_ = wp.cmd.Process.Signal(syscall.SIGKILL)
	<-wp.done
	wp.cmd = nil
}

// stop ends the process gracefully (SIGTERM), or kills it after 20 s.
func (wp *workerProc) stop() {
	wp.mu.Lock()
	defer wp.mu.Unlock()
	if wp.cmd == nil {
		return
	}
	_ = wp.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-wp.done:
	case <-time.After(20 * time.Second):
		_ = wp.cmd.Process.Kill()
		<-wp.done
	}
	wp.cmd = nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
