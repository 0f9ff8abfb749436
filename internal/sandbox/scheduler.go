package sandbox

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// scheduler runs functions after a delay on the real monotonic clock. Work is
// spread round-robin over shards, each with its own lock, heap and goroutine,
// so scheduling from the send path is a short uncontended push.
type scheduler struct {
	base    time.Time
	shards  []*schedShard
	rr      atomic.Uint32
	pending *atomic.Int64 // counts scheduled work until it has run
}

type task struct {
	at  time.Duration // since base
	seq uint64        // FIFO among equal times
	r   runner
}

// runner is scheduled work. Hot-path work implements it on a struct it
// already has, so scheduling allocates nothing more.
type runner interface{ run() }

type funcRunner func()

func (f funcRunner) run() { f() }

type schedShard struct {
	mu   sync.Mutex
	h    []task
	seq  uint64
	wake chan struct{}
}

func newScheduler(n int, pending *atomic.Int64) *scheduler {
	s := &scheduler{base: time.Now(), pending: pending}
	for range n {
		s.shards = append(s.shards, &schedShard{wake: make(chan struct{}, 1)})
	}
	return s
}

func (s *scheduler) after(d time.Duration, fn func()) { s.schedule(d, funcRunner(fn)) }

// schedule runs r after d on the next shard (round robin).
func (s *scheduler) schedule(d time.Duration, r runner) {
	s.on(s.shards[s.rr.Add(1)%uint32(len(s.shards))], d, r)
}

// soon runs fn on the first shard as soon as possible: calls to soon run in
// the order they were made (one shard is FIFO for equal delays).
func (s *scheduler) soon(fn func()) { s.on(s.shards[0], 0, funcRunner(fn)) }

func (s *scheduler) on(sh *schedShard, d time.Duration, r runner) {
	s.pending.Add(1)
	at := time.Since(s.base) + max(d, 0)
	sh.mu.Lock()
	sh.seq++
	top := sh.push(task{at: at, seq: sh.seq, r: r})
	sh.mu.Unlock()
	if top {
		select {
		case sh.wake <- struct{}{}:
		default:
		}
	}
}

func (s *scheduler) run(ctx context.Context, wg *sync.WaitGroup) {
	for _, sh := range s.shards {
		wg.Go(func() { sh.loop(ctx, s) })
	}
}

func (sh *schedShard) loop(ctx context.Context, s *scheduler) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var due []task
	for {
		due = due[:0]
		wait := time.Duration(-1)
		sh.mu.Lock()
		now := time.Since(s.base)
		for len(sh.h) > 0 && sh.h[0].at <= now && len(due) < 1024 {
			due = append(due, sh.pop())
		}
		if len(sh.h) > 0 {
			wait = sh.h[0].at - now
		}
		sh.mu.Unlock()
		if len(due) > 0 {
			for i := range due {
				if ctx.Err() != nil {
					return
				}
				due[i].r.run()
				due[i].r = nil
				s.pending.Add(-1)
			}
			continue
		}
		if wait < 0 {
			select {
			case <-ctx.Done():
				return
			case <-sh.wake:
			}
			continue
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-sh.wake:
		case <-timer.C:
		}
	}
}

func (a task) before(b task) bool { return a.at < b.at || (a.at == b.at && a.seq < b.seq) }

// push adds t and reports whether it became the earliest task.
func (sh *schedShard) push(t task) bool {
	sh.h = append(sh.h, t)
	i := len(sh.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !sh.h[i].before(sh.h[p]) {
			break
		}
		sh.h[i], sh.h[p] = sh.h[p], sh.h[i]
		i = p
	}
	return i == 0
}

func (sh *schedShard) pop() task {
	h := sh.h
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = task{}
	h = h[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].before(h[m]) {
			m = l
		}
		if r < len(h) && h[r].before(h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	sh.h = h
	return top
}
