package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Webhook delivery (§3.2–§3.3, §9.4). Outcomes and other events go into a
// bounded channel; one batcher groups them per receiver and phone number,
// renders and signs the bodies; a fixed pool of workers POSTs them and
// schedules retries with exponential backoff on the sharded timers. Nothing
// here is reachable from the send path, which only schedules timers.

// whTarget is where and how one webhook is delivered.
type whTarget struct {
	url, secret           string
	wabaID, pnid, display string
}

func targetOf(snap *numberSnap, n *number) whTarget {
	return whTarget{url: snap.CallbackURL, secret: snap.AppSecret, wabaID: n.waba.id, pnid: n.pnid, display: snap.digits}
}

// whEvent is one update. Statuses are batchable; anything else carries its
// pre-rendered "value" object and goes in a POST of its own.
type whEvent struct {
	st        *state
	target    whTarget
	status    *statusItem
	field     string
	value     []byte
	entryTime int64 // > 0: the entry gets "time" (non-messages fields)
}

type statusItem struct {
	id, status, recipient string
	ts                    int64
	biz                   string
	conv                  *conversationInfo
	pricing               *pricingInfo
	errCode               int
	errDetails            string
}

type conversationInfo struct {
	id, origin string
	expires    int64
}

type pricingInfo struct {
	billable      bool
	typ, category string
}

// delivery is one signed POST body and its retry state.
type delivery struct {
	st      *state
	url     string
	body    []byte
	sig256  string
	sig1    string
	attempt int
	events  int
}

// emit queues an event; only timer tasks and the batcher's helpers call it,
// never a request handler, so a full queue slows outcomes, not sends.
func (s *Server) emit(ev whEvent) {
	ctxp := s.runCtx.Load()
	if ctxp == nil {
		return
	}
	s.pending.Add(1)
	select {
	case s.events <- ev:
	case <-(*ctxp).Done():
		s.pending.Add(-1)
	}
}

// emitLater queues a non-status event for one number from a request
// handler: the hand-off happens on a timer goroutine.
func (s *Server) emitLater(n *number, field string, value []byte, withTime bool) {
	snap := n.snap.Load()
	if snap.CallbackURL == "" {
		return
	}
	st := s.st.Load()
	ev := whEvent{st: st, target: targetOf(snap, n), field: field, value: value}
	if withTime {
		ev.entryTime = s.now().Unix()
	}
	s.sched.soon(func() { s.emit(ev) })
}

// emitWABA queues a WABA-level event (template updates) once per distinct
// receiver among the WABA's numbers.
func (s *Server) emitWABA(w *waba, field string, value []byte) {
	reg := s.reg.Load()
	seen := map[[2]string]bool{}
	st := s.st.Load()
	now := s.now().Unix()
	for _, n := range reg.numbers {
		snap := n.snap.Load()
		key := [2]string{snap.CallbackURL, snap.AppSecret}
		if n.waba != w || snap.CallbackURL == "" || seen[key] {
			continue
		}
		seen[key] = true
		ev := whEvent{st: st, target: targetOf(snap, n), field: field, value: value, entryTime: now}
		s.sched.soon(func() { s.emit(ev) })
	}
}

func (s *Server) batcher(ctx context.Context) {
	var buf []whEvent
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		buf = buf[:0]
		select {
		case <-ctx.Done():
			return
		case ev := <-s.events:
			buf = append(buf, ev)
		}
		cfg := s.settings()
		if cfg.WebhookBatch > 1 {
			timer.Reset(cfg.WebhookBatchWait)
		fill:
			for len(buf) < cfg.WebhookBatch {
				select {
				case <-ctx.Done():
					return
				case ev := <-s.events:
					buf = append(buf, ev)
				case <-timer.C:
					break fill
				}
			}
		}
	drain:
		for len(buf) < max(cfg.WebhookBatch, 256) {
			select {
			case ev := <-s.events:
				buf = append(buf, ev)
			default:
				break drain
			}
		}
		for _, d := range s.render(buf, cfg.WebhookBatch) {
			if cfg.WebhookDuplicate {
				cp := *d // copied before a worker can touch d
				s.stats.webhookDuplicates.Add(1)
				s.sched.after(time.Duration(mrand.Int64N(int64(cfg.WebhookRetryBase)+1)), func() { s.enqueuePost(ctx, &cp) })
			}
			if !s.enqueuePost(ctx, d) {
				return
			}
		}
		s.pending.Add(-int64(len(buf)))
	}
}

func (s *Server) enqueuePost(ctx context.Context, d *delivery) bool {
	s.pending.Add(1)
	select {
	case s.posts <- d:
		return true
	case <-ctx.Done():
		s.pending.Add(-1)
		return false
	}
}

// render groups the statuses by receiver and phone number, at most batch per
// body, in queue order; other events get a body each.
func (s *Server) render(evs []whEvent, batch int) []*delivery {
	type groupKey struct{ url, secret, pnid string }
	var out []*delivery
	groups := map[groupKey][]*statusItem{}
	var order []groupKey
	targets := map[groupKey]whEvent{}
	for _, ev := range evs {
		if ev.st != s.st.Load() {
			continue // from before a Reset
		}
		if ev.status == nil {
			out = append(out, s.sign(ev.st, ev.target.url, ev.target.secret, valueBody(ev), 1))
			continue
		}
		k := groupKey{ev.target.url, ev.target.secret, ev.target.pnid}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
			targets[k] = ev
		}
		groups[k] = append(groups[k], ev.status)
	}
	for _, k := range order {
		items, ev := groups[k], targets[k]
		for len(items) > 0 {
			n := min(batch, len(items))
			out = append(out, s.sign(ev.st, k.url, k.secret, statusBody(ev.target, items[:n]), n))
			items = items[n:]
		}
	}
	return out
}

func (s *Server) sign(st *state, url, secret string, body []byte, events int) *delivery {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	m1 := hmac.New(sha1.New, []byte(secret))
	m1.Write(body)
	s.stats.webhookEventsSent.Add(int64(events))
	return &delivery{st: st, url: url, body: body, events: events,
		sig256: hex.EncodeToString(m.Sum(nil)), sig1: hex.EncodeToString(m1.Sum(nil))}
}

func appendEnvelopeStart(b []byte, wabaID string, entryTime int64) []byte {
	b = append(b, `{"object":"whatsapp_business_account","entry":[{"id":`...)
	b = appendString(b, wabaID)
	if entryTime > 0 {
		b = append(b, `,"time":`...)
		b = strconv.AppendInt(b, entryTime, 10)
	}
	return append(b, `,"changes":[{"value":`...)
}

func appendEnvelopeEnd(b []byte, field string) []byte {
	b = append(b, `,"field":`...)
	b = appendString(b, field)
	return append(b, `}]}]}`...)
}

func appendMetadataStart(b []byte, t whTarget) []byte {
	b = append(b, `{"messaging_product":"whatsapp","metadata":{"display_phone_number":`...)
	b = appendString(b, t.display)
	b = append(b, `,"phone_number_id":`...)
	b = appendString(b, t.pnid)
	return append(b, '}')
}

// statusBody writes a messages-field webhook with statuses, by hand: this is
// the busiest webhook, and the field order follows Meta's payloads.
func statusBody(t whTarget, items []*statusItem) []byte {
	b := make([]byte, 0, 256+len(items)*320)
	b = appendEnvelopeStart(b, t.wabaID, 0)
	b = appendMetadataStart(b, t)
	b = append(b, `,"statuses":[`...)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStatus(b, it)
	}
	b = append(b, `]}`...)
	return appendEnvelopeEnd(b, "messages")
}

func appendStatus(b []byte, it *statusItem) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, it.id)
	b = append(b, `,"status":`...)
	b = appendString(b, it.status)
	b = append(b, `,"timestamp":`...)
	b = appendUnixString(b, it.ts)
	b = append(b, `,"recipient_id":`...)
	b = appendString(b, it.recipient)
	if it.biz != "" {
		b = append(b, `,"biz_opaque_callback_data":`...)
		b = appendString(b, it.biz)
	}
	if c := it.conv; c != nil {
		b = append(b, `,"conversation":{"id":`...)
		b = appendString(b, c.id)
		if c.expires > 0 {
			b = append(b, `,"expiration_timestamp":`...)
			b = appendUnixString(b, c.expires)
		}
		b = append(b, `,"origin":{"type":`...)
		b = appendString(b, c.origin)
		b = append(b, `}}`...)
	}
	if p := it.pricing; p != nil {
		b = append(b, `,"pricing":{"billable":`...)
		b = strconv.AppendBool(b, p.billable)
		b = append(b, `,"pricing_model":"PMP","category":`...)
		b = appendString(b, p.category)
		b = append(b, `,"type":`...)
		b = appendString(b, p.typ)
		b = append(b, '}')
	}
	if it.errCode != 0 {
		t := title(it.errCode)
		b = append(b, `,"errors":[{"code":`...)
		b = strconv.AppendInt(b, int64(it.errCode), 10)
		b = append(b, `,"title":`...)
		b = appendString(b, t)
		b = append(b, `,"message":`...)
		b = appendString(b, t)
		b = append(b, `,"error_data":{"details":`...)
		b = appendString(b, it.errDetails)
		b = append(b, `},"href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]`...)
	}
	return append(b, '}')
}

// valueBody wraps a pre-rendered value. messages-field values are given
// without metadata and get it here.
func valueBody(ev whEvent) []byte {
	b := make([]byte, 0, 256+len(ev.value))
	b = appendEnvelopeStart(b, ev.target.wabaID, ev.entryTime)
	if ev.field == "messages" || ev.field == "user_preferences" {
		b = appendMetadataStart(b, ev.target)
		if len(ev.value) > 2 { // splice the value's own fields after the metadata
			b = append(b, ',')
			b = append(b, ev.value[1:]...)
		} else {
			b = append(b, '}')
		}
	} else {
		b = append(b, ev.value...)
	}
	return appendEnvelopeEnd(b, ev.field)
}

func (s *Server) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-s.posts:
			s.post(ctx, d)
			s.pending.Add(-1)
		}
	}
}

func (s *Server) post(ctx context.Context, d *delivery) {
	if d.st != s.st.Load() {
		return
	}
	cfg := s.settings()
	rctx, cancel := context.WithTimeout(ctx, cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		s.log.Warn("sandbox: webhook request", "err", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua")
	req.Header.Set("X-Hub-Signature-256", "sha256="+d.sig256)
	req.Header.Set("X-Hub-Signature", "sha1="+d.sig1)
	s.stats.webhookAttempts.Add(1)
	code := 0
	resp, err := s.client.Do(req)
	if err == nil {
		code = resp.StatusCode
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}
	ok := code == http.StatusOK
	if ok && s.failNext.Load() > 0 && s.failNext.Add(-1) >= 0 {
		ok = false // the acknowledgement is "lost": the receiver will see it again
	}
	d.attempt++
	s.attempts.add(attempt{At: time.Now(), URL: d.url, Attempt: d.attempt, Status: code, OK: ok, Events: d.events, Bytes: len(d.body)})
	if ok {
		s.stats.webhookDelivered.Add(1)
		return
	}
	s.stats.webhookFailedAttempts.Add(1)
	if ctx.Err() != nil {
		return
	}
	if d.attempt >= cfg.WebhookMaxAttempts {
		s.stats.webhookDrops.Add(1)
		s.log.Warn("sandbox: webhook dropped after retries", "attempts", d.attempt, "last_status", code)
		return
	}
	backoff := cfg.WebhookRetryBase << min(d.attempt-1, 10)
	backoff += time.Duration(mrand.Int64N(int64(backoff)/5 + 1)) // up to +20 % jitter
	s.log.Debug("sandbox: webhook failed, retrying", "attempt", d.attempt, "status", code, "in", backoff)
	s.sched.after(backoff, func() { s.enqueuePost(ctx, d) })
}

// attempt is one POST, for GET /_sandbox/webhooks.
type attempt struct {
	At      time.Time `json:"at"`
	URL     string    `json:"url"`
	Attempt int       `json:"attempt"`
	Status  int       `json:"status"`
	OK      bool      `json:"ok"`
	Events  int       `json:"events"`
	Bytes   int       `json:"bytes"`
}

// attemptLog keeps the last 200 attempts.
type attemptLog struct {
	mu   sync.Mutex
	ring [200]attempt
	n    int
}

func (l *attemptLog) add(a attempt) {
	l.mu.Lock()
	l.ring[l.n%len(l.ring)] = a
	l.n++
	l.mu.Unlock()
}

func (l *attemptLog) recent() []attempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := min(l.n, len(l.ring))
	out := make([]attempt, 0, k)
	for i := l.n - 1; i >= l.n-k; i-- {
		out = append(out, l.ring[i%len(l.ring)])
	}
	return out
}
