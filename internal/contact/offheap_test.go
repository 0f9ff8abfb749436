package contact

import (
	"bytes"
	"testing"
)

// A buffer grown again and again keeps what was written, and has the room
// asked for each time.
func TestOffHeapGrowKeepsContents(t *testing.T) {
	var o offHeap
	defer o.free()
	var b, want []byte
	for i := range 200_000 {
		b = o.grow(b, 3)
		if cap(b)-len(b) < 3 {
			t.Fatalf("room %d, asked for 3", cap(b)-len(b))
		}
		b = append(b, byte(i), byte(i>>8), byte(i>>16))
		want = append(want, byte(i), byte(i>>8), byte(i>>16))
	}
	if !bytes.Equal(b, want) {
		t.Fatal("contents changed while growing")
	}
	if &b[0] != &o.mapped[0] {
		t.Error("the buffer is not the current mapping")
	}
}

// The Bloom filter's bits start clear (its memory is mapped, not made),
// and a key added is there.
func TestBloomStartsEmpty(t *testing.T) {
	b := newBloom(1000)
	defer b.free()
	for i, x := range b.bits {
		if x != 0 {
			t.Fatalf("byte %d of a new filter is %#x", i, x)
		}
	}
	if b.add(7) {
		t.Error("key 7 was there before it was added")
	}
	if !b.add(7) {
		t.Error("key 7, added, is not there")
	}
}
