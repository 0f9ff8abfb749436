package sandbox

import (
	"sync"
	"sync/atomic"
	"time"
)

// LedgerEntry is one accepted send, as the sandbox recorded it. Entries are
// never changed or removed (until Reset), so tests and benchmarks can use the
// ledger as the oracle for lost and duplicate messages.
type LedgerEntry struct {
	Seq                   int64           `json:"seq"`
	WAMID                 string          `json:"wamid"`
	PhoneNumberID         string          `json:"phone_number_id"`
	To                    string          `json:"to"`
	WaID                  string          `json:"wa_id"`
	Type                  string          `json:"type"`
	Template              *LedgerTemplate `json:"template,omitempty"`
	Text                  string          `json:"text,omitempty"`
	BizOpaqueCallbackData string          `json:"biz_opaque_callback_data,omitempty"`
	AcceptedAt            time.Time       `json:"accepted_at"`
}

// LedgerTemplate is the template part of a send.
type LedgerTemplate struct {
	Name     string        `json:"name"`
	Language string        `json:"language"`
	Category string        `json:"category"`
	Params   []LedgerParam `json:"params,omitempty"`
}

// LedgerParam is one parameter of a template send: Component is header,
// body or button; Index is the button's index; Name is the parameter_name of
// named templates; Value is the text, fallback value, payload, coupon code or
// media link/id.
type LedgerParam struct {
	Component string `json:"component"`
	Index     string `json:"index,omitempty"`
	Name      string `json:"name,omitempty"`
	Type      string `json:"type"`
	Value     string `json:"value"`
}

const ledgerChunkBits = 12
const ledgerChunk = 1 << ledgerChunkBits

type ledgerChunkSlots [ledgerChunk]atomic.Pointer[LedgerEntry]

// ledger is append-only storage indexed by sequence number. Appends take a
// number from one atomic counter and publish into their own slot without a
// lock; the growth lock is taken once per 4,096 entries. Readers stop at the
// first slot not yet published, so every read is a gap-free prefix and
// since-seq paging never skips an entry that is still being written.
type ledger struct {
	last   atomic.Int64
	growMu sync.Mutex
	chunks atomic.Pointer[[]*ledgerChunkSlots]
}

func newLedger() *ledger {
	l := &ledger{}
	cs := make([]*ledgerChunkSlots, 0, 64)
	l.chunks.Store(&cs)
	return l
}

func (l *ledger) slot(seq int64) *atomic.Pointer[LedgerEntry] {
	i := (seq - 1) >> ledgerChunkBits
	cs := *l.chunks.Load()
	if i >= int64(len(cs)) {
		l.growMu.Lock()
		cs = *l.chunks.Load()
		if i >= int64(len(cs)) {
			grown := make([]*ledgerChunkSlots, len(cs), max(2*len(cs), int(i)+1))
			copy(grown, cs)
			for int64(len(grown)) <= i {
				grown = append(grown, new(ledgerChunkSlots))
			}
			l.chunks.Store(&grown)
			cs = grown
		}
		l.growMu.Unlock()
	}
	return &cs[i][(seq-1)&(ledgerChunk-1)]
}

// append numbers e and publishes it.
func (l *ledger) append(e *LedgerEntry) {
	e.Seq = l.last.Add(1)
	l.slot(e.Seq).Store(e)
}

// read returns copies of the entries after since (for pnid, or all when
// pnid is empty), at most limit of them (0 = no limit), and the sequence
// number to pass as since next time (it moves past skipped entries too).
func (l *ledger) read(pnid string, since int64, limit int) ([]LedgerEntry, int64) {
	hi := l.last.Load()
	var out []LedgerEntry
	next := since
	for seq := since + 1; seq <= hi; seq++ {
		e := l.slot(seq).Load()
		if e == nil {
			break // still being written: stop so the result stays a prefix
		}
		next = seq
		if pnid != "" && e.PhoneNumberID != pnid {
			continue
		}
		out = append(out, *e)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, next
}
