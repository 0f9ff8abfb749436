package contact

// offHeap holds one of the import's few large, long-lived buffers (a
// chunk's arena and its messages, the Bloom filter) outside the Go heap.
// The collector lets the heap grow to about twice what is live before it
// collects (GOGC=100), so a buffer on the heap costs about twice its size
// in resident memory, and mapped, once. Each buffer is written only by
// the goroutine that owns it; free unmaps it, after which no slice of it
// may be used.
type offHeap struct {
	mapped []byte // the current mapping (nil: none)
	onHeap bool   // mapping failed; mapped is an ordinary slice
}

// grow returns b, which is nil or was returned by o, with room for n more
// bytes; its contents are kept.
func (o *offHeap) grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	size := max(2*cap(b), len(b)+n, 64<<10)
	m, ok := mapBytes(size)
	if !ok {
		m = make([]byte, size)
	}
	copy(m, b)
	o.free()
	o.mapped, o.onHeap = m, !ok
	return m[:len(b)]
}

func (o *offHeap) free() {
	if o.mapped != nil && !o.onHeap {
		unmapBytes(o.mapped)
	}
	o.mapped, o.onHeap = nil, false
}
