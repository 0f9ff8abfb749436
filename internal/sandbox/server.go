package sandbox

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the sandbox. Create it with New, mount Handler, call Start.
type Server struct {
	log     *slog.Logger
	cfg     atomic.Pointer[settings]
	ids     *idGen
	regMu   sync.Mutex // serialises registry writers
	reg     atomic.Pointer[registry]
	st      atomic.Pointer[state]
	sched   *scheduler
	pending atomic.Int64 // scheduled tasks + queued events + queued or in-flight POSTs
	events  chan whEvent
	posts   chan *delivery
	client  *http.Client
	pages   *template.Template
	handler http.Handler

	runCtx   atomic.Pointer[context.Context]
	wg       sync.WaitGroup
	failNext atomic.Int64
	stats    counters
	attempts attemptLog
}

// state is everything Reset forgets. Work scheduled before a Reset holds the
// old state and is dropped when it finds it replaced.
type state struct {
	ledger  *ledger
	msgs    *shardMap[string, *msgRecord] // by wamid, outbound and inbound
	chats   *shardMap[string, *chat]      // by the user's wa_id
	windows *shardMap[pairKey, int64]     // last inbound, unix nanoseconds
	optOut  *shardMap[pairKey, bool]      // {waba id, wa_id}: stopped marketing
	pairs   *pairLimiter
	media   *mediaStore
}

func newState() *state {
	return &state{
		ledger:  newLedger(),
		msgs:    newShardMap[string, *msgRecord](hashString),
		chats:   newShardMap[string, *chat](hashString),
		windows: newShardMap[pairKey, int64](hashPair),
		optOut:  newShardMap[pairKey, bool](hashPair),
		pairs:   newPairLimiter(),
		media:   newMediaStore(),
	}
}

type counters struct {
	accepted, rejected                   atomic.Int64
	webhookAttempts, webhookDelivered    atomic.Int64
	webhookFailedAttempts, webhookDrops  atomic.Int64
	webhookDuplicates, webhookEventsSent atomic.Int64
}

// Stats are running totals since New (Reset does not clear them).
type Stats struct {
	Accepted              int64 `json:"accepted"`
	Rejected              int64 `json:"rejected"`
	WebhookEvents         int64 `json:"webhook_events"`
	WebhookAttempts       int64 `json:"webhook_attempts"`
	WebhookDelivered      int64 `json:"webhook_delivered"`
	WebhookFailedAttempts int64 `json:"webhook_failed_attempts"`
	WebhookDropped        int64 `json:"webhook_dropped"`
	WebhookDuplicates     int64 `json:"webhook_duplicates"`
	Pending               int64 `json:"pending"`
}

// New builds a sandbox; it panics if cfg.Validate fails (validate
// user-supplied configs first). log may be nil.
func New(cfg Config, log *slog.Logger) *Server {
	st, err := compile(cfg)
	if err != nil {
		panic(err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: log, ids: newIDGen()}
	s.cfg.Store(st)
	s.reg.Store(&registry{numbers: map[string]*number{}, wabas: map[string]*waba{}, tokens: map[string]*tokenInfo{}})
	s.st.Store(newState())
	s.sched = newScheduler(8, &s.pending)
	s.events = make(chan whEvent, 16384)
	s.posts = make(chan *delivery, 1024)
	s.client = &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
	s.pages = parsePages()
	s.handler = s.routes()
	return s
}

// Handler serves the Graph API routes, /_sandbox/ (control API, fake phone)
// and the fake phone's stylesheet.
func (s *Server) Handler() http.Handler { return s.handler }

// Start runs the timers, the webhook batcher and the webhook workers until
// ctx ends. Call it once.
func (s *Server) Start(ctx context.Context) {
	s.runCtx.Store(&ctx)
	s.sched.run(ctx, &s.wg)
	s.wg.Go(func() { s.batcher(ctx) })
	for range s.settings().WebhookWorkers {
		s.wg.Go(func() { s.worker(ctx) })
	}
}

// Wait blocks until the goroutines Start began have stopped (after its ctx
// ended).
func (s *Server) Wait() { s.wg.Wait() }

// WaitIdle waits until no outcome, webhook or retry is pending, or ctx ends.
func (s *Server) WaitIdle(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for s.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox: wait idle (%d pending): %w", s.pending.Load(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

func (s *Server) settings() *settings { return s.cfg.Load() }

// Config returns the current configuration (with fallbacks applied).
func (s *Server) Config() Config { return s.settings().Config }

// Configure changes the configuration at run time: f edits a copy, which is
// validated and swapped in at once. WebhookWorkers is read only by Start.
func (s *Server) Configure(f func(*Config)) error {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	c := s.settings().Config
	f(&c)
	st, err := compile(c)
	if err != nil {
		return err
	}
	s.cfg.Store(st)
	return nil
}

// FailWebhooks makes the next n webhook POSTs count as failed whatever the
// receiver answers, so they are retried (and seen again by the receiver).
func (s *Server) FailWebhooks(n int) { s.failNext.Store(int64(n)) }

// Reset forgets every message, ledger entry, window, opt-out, rate bucket
// and upload, puts every WABA's templates back to the seeded set, and drops
// pending outcomes and webhooks. Numbers, tokens and settings stay.
func (s *Server) Reset() {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	s.st.Store(newState())
	reg := s.reg.Load()
	for _, w := range reg.wabas {
		seed := seedTemplates(s.ids, s.now())
		_ = w.templates.update(func([]*msgTemplate) ([]*msgTemplate, error) { return seed, nil })
	}
	for _, n := range reg.numbers {
		n.tp.mu.Lock()
		n.tp.b = bucket{}
		n.tp.mu.Unlock()
	}
	s.log.Info("sandbox: reset")
}

// Stats returns the running totals.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{Accepted: c.accepted.Load(), Rejected: c.rejected.Load(),
		WebhookEvents: c.webhookEventsSent.Load(), WebhookAttempts: c.webhookAttempts.Load(),
		WebhookDelivered: c.webhookDelivered.Load(), WebhookFailedAttempts: c.webhookFailedAttempts.Load(),
		WebhookDropped: c.webhookDrops.Load(), WebhookDuplicates: c.webhookDuplicates.Load(),
		Pending: s.pending.Load()}
}

// Ledger returns the accepted sends after sinceSeq, for one phone number id
// or all of them (pnid ""). Reading while sends go on is safe: the result
// never has gaps, so paging with the last Seq seen misses nothing.
func (s *Server) Ledger(pnid string, sinceSeq int64) []LedgerEntry {
	out, _ := s.st.Load().ledger.read(pnid, sinceSeq, 0)
	return out
}
