package sandbox

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestThroughputAccuracy offers twice the cap on a fake clock (so the
// answer does not depend on how fast this machine can send) and checks the
// steady-state accepted rate: within ±2 % over 2 s, once the initial burst
// (one second's worth) is spent. Real-time pacing is measured end to end by
// the send benchmark.
func TestThroughputAccuracy(t *testing.T) {
	for _, perSec := range []int{80, 400, 1000} {
		t.Run(strconv.Itoa(perSec)+"/s", func(t *testing.T) {
			var mu sync.Mutex
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			f := newFixture(t, func(c *Config) {
				c.Clock = clock
				c.ThroughputPerSec = perSec
				c.PairLimit = false
				c.DeliveredProb = 0 // keep the machine for the limiter
			})
			step := time.Second / time.Duration(2*perSec)
			var throttled int
			for i := 0; i < 8*perSec; i++ { // 4 simulated seconds at twice the cap
				r := f.send(orderUpdate("+49151" + strconv.Itoa(1000000+i)))
				switch {
				case r.status == 200:
				case r.code() == 130429 && r.status == 400:
					throttled++
				default:
					t.Fatalf("unexpected answer %d %s", r.status, r.raw)
				}
				mu.Lock()
				now = now.Add(step)
				mu.Unlock()
			}
			entries := f.s.Ledger(pnidA, 0)
			if len(entries) == 0 || throttled == 0 {
				t.Fatalf("accepted %d, throttled %d: the cap was never reached", len(entries), throttled)
			}
			// Steady state: offered twice the cap, the burst is spent after
			// one second; measure from 1.5 s after the first acceptance, for 2 s.
			from := entries[0].AcceptedAt.Add(1500 * time.Millisecond)
			to := from.Add(2 * time.Second)
			got := 0
			for _, e := range entries {
				if !e.AcceptedAt.Before(from) && e.AcceptedAt.Before(to) {
					got++
				}
			}
			want := float64(2 * perSec)
			if d := (float64(got) - want) / want; d < -0.02 || d > 0.02 {
				t.Errorf("accepted %d in 2 s at a cap of %d/s (%.1f %% off)", got, perSec, 100*d)
			}
			// The burst: one second's worth at most, in the first second.
			burst := 0
			for _, e := range entries {
				if e.AcceptedAt.Sub(entries[0].AcceptedAt) < time.Second {
					burst++
				}
			}
			if max := 2*perSec + perSec/50 + 1; burst > max {
				t.Errorf("first second accepted %d, more than the burst plus one second's refill (%d)", burst, max)
			}
		})
	}
}

func TestThroughputPerNumber(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.ThroughputPerSec = 3 })
	n := f.s.Numbers()[0]
	n.ThroughputPerSec = 5 // the number's own cap overrides the server's
	if err := f.s.AddNumber(n); err != nil {
		t.Fatal(err)
	}
	accepted := func(pnid string) int {
		ok := 0
		for i := range 10 {
			r := f.do("POST", "/v23.0/"+pnid+"/messages", tokA, orderUpdate("+4915100"+strconv.Itoa(200000+i)))
			if r.status == 200 {
				ok++
			}
		}
		return ok
	}
	if got := accepted(pnidA); got != 5 {
		t.Errorf("number with its own cap accepted %d, want 5", got)
	}
	if got := accepted(pnidA2); got != 3 {
		t.Errorf("other number accepted %d, want 3 (numbers have separate buckets)", got)
	}
	f.clock.Advance(time.Second)
	if got := accepted(pnidA2); got != 3 {
		t.Errorf("after a second accepted %d, want 3", got)
	}
	_ = f.s.Configure(func(c *Config) { c.ThroughputPerSec = 0 })
	if got := accepted(pnidA2); got != 10 {
		t.Errorf("with the limit off accepted %d, want 10", got)
	}
}

func TestBucket(t *testing.T) {
	var b bucket
	now := int64(0)
	ok := 0
	// 1,000/s with a burst of 1,000, over 3 simulated seconds in 100 µs steps.
	for step := 0; step < 30000; step++ {
		for range 2 {
			if b.take(now, 1000, 1000) {
				ok++
			}
		}
		now += int64(100 * time.Microsecond)
	}
	if want := 1000 + 3000; ok < want-2 || ok > want+2 {
		t.Errorf("accepted %d, want about %d", ok, want)
	}
}

func TestPairRate(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.PairLimit = true })
	for i := range 45 {
		if r := f.send(orderUpdate(userTo)); r.status != 200 {
			t.Fatalf("send %d inside the burst of 45: %s", i+1, r.raw)
		}
	}
	r := f.send(orderUpdate(userTo))
	if r.code() != 131056 || r.status != 400 {
		t.Fatalf("46th send: %d %s", r.status, r.raw)
	}
	checkEnvelope(t, r)
	if r := f.send(orderUpdate("+4915199999999")); r.status != 200 {
		t.Errorf("another recipient is not limited: %s", r.raw)
	}
	if r := f.do("POST", "/v23.0/"+pnidA2+"/messages", tokA, orderUpdate(userTo)); r.status != 200 {
		t.Errorf("another business number is not limited: %s", r.raw)
	}
	f.clock.Advance(5 * time.Second)
	if r := f.send(orderUpdate(userTo)); r.code() != 131056 {
		t.Errorf("after 5 s: %d %s", r.status, r.raw)
	}
	f.clock.Advance(time.Second)
	if r := f.send(orderUpdate(userTo)); r.status != 200 {
		t.Errorf("after 6 s one more is allowed: %s", r.raw)
	}
	if r := f.send(orderUpdate(userTo)); r.code() != 131056 {
		t.Errorf("but only one: %d %s", r.status, r.raw)
	}
	_ = f.s.Configure(func(c *Config) { c.PairLimit = false })
	for range 10 {
		if r := f.send(orderUpdate(userTo)); r.status != 200 {
			t.Fatalf("with the pair limit off: %s", r.raw)
		}
	}
}
