package sandbox

import (
	"hash/maphash"
	"sync"
	"time"
)

// bucket is a token bucket. Callers hold whatever lock guards it; rate is
// tokens per second, burst the capacity. A new bucket starts full.
type bucket struct {
	tokens float64
	last   int64 // unix nanoseconds of the last refill
	init   bool
}

func (b *bucket) take(now int64, rate, burst float64) bool {
	if !b.init {
		b.tokens, b.last, b.init = burst, now, true
	}
	if d := now - b.last; d > 0 {
		b.tokens = min(burst, b.tokens+float64(d)*rate/1e9)
		b.last = now
	}
	if b.tokens >= 1-1e-9 { // tolerate float rounding at exact refill times
		b.tokens = max(b.tokens-1, 0)
		return true
	}
	return false
}

// throughput is one phone number's bucket (§6.1): its own lock, so numbers
// never contend with each other.
type throughput struct {
	mu sync.Mutex
	b  bucket
}

func (t *throughput) take(now time.Time, perSec, burst int) bool {
	if burst <= 0 {
		burst = perSec
	}
	t.mu.Lock()
	ok := t.b.take(now.UnixNano(), float64(perSec), float64(burst))
	t.mu.Unlock()
	return ok
}

type pairKey struct{ pnid, waid string }

// pairLimiter holds one bucket per (business number, recipient) (§6.2),
// spread over shards so concurrent sends rarely share a lock.
type pairLimiter struct {
	seed   maphash.Seed
	shards [64]pairShard
}

type pairShard struct {
	mu sync.Mutex
	m  map[pairKey]*bucket
	_  [40]byte // keep shards on separate cache lines
}

func newPairLimiter() *pairLimiter {
	p := &pairLimiter{seed: maphash.MakeSeed()}
	for i := range p.shards {
		p.shards[i].m = make(map[pairKey]*bucket)
	}
	return p
}

func (p *pairLimiter) take(k pairKey, now time.Time, interval time.Duration, burst int) bool {
	sh := &p.shards[maphash.String(p.seed, k.waid)%uint64(len(p.shards))]
	rate := float64(time.Second) / float64(interval)
	sh.mu.Lock()
	b := sh.m[k]
	if b == nil {
		b = &bucket{}
		sh.m[k] = b
	}
	ok := b.take(now.UnixNano(), rate, float64(burst))
	sh.mu.Unlock()
	return ok
}
