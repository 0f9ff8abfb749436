package sandbox

import (
	"hash/maphash"
	"sync"
)

// shardMap is a map split over 64 independently locked shards, so the send
// path never takes a lock shared by every request.
type shardMap[K comparable, V any] struct {
	hash   func(maphash.Seed, K) uint64
	seed   maphash.Seed
	shards [64]mapShard[K, V]
}

type mapShard[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
	_  [32]byte
}

func newShardMap[K comparable, V any](hash func(maphash.Seed, K) uint64) *shardMap[K, V] {
	s := &shardMap[K, V]{hash: hash, seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = make(map[K]V)
	}
	return s
}

func hashString(seed maphash.Seed, s string) uint64 { return maphash.String(seed, s) }

func hashPair(seed maphash.Seed, k pairKey) uint64 {
	return maphash.String(seed, k.waid) ^ maphash.String(seed, k.pnid)*0x9e3779b97f4a7c15
}

func (s *shardMap[K, V]) shard(k K) *mapShard[K, V] {
	return &s.shards[s.hash(s.seed, k)%uint64(len(s.shards))]
}

func (s *shardMap[K, V]) get(k K) (V, bool) {
	sh := s.shard(k)
	sh.mu.RLock()
	v, ok := sh.m[k]
	sh.mu.RUnlock()
	return v, ok
}

func (s *shardMap[K, V]) put(k K, v V) {
	sh := s.shard(k)
	sh.mu.Lock()
	sh.m[k] = v
	sh.mu.Unlock()
}

func (s *shardMap[K, V]) remove(k K) {
	sh := s.shard(k)
	sh.mu.Lock()
	delete(sh.m, k)
	sh.mu.Unlock()
}

// getOrPut returns the value under k, storing mk() first when there is none.
func (s *shardMap[K, V]) getOrPut(k K, mk func() V) V {
	sh := s.shard(k)
	sh.mu.RLock()
	v, ok := sh.m[k]
	sh.mu.RUnlock()
	if ok {
		return v
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if v, ok := sh.m[k]; ok {
		return v
	}
	v = mk()
	sh.m[k] = v
	return v
}

// each calls f for every entry, one shard at a time (not a snapshot).
func (s *shardMap[K, V]) each(f func(K, V)) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for k, v := range sh.m {
			f(k, v)
		}
		sh.mu.RUnlock()
	}
}
