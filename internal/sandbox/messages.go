package sandbox

import (
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Message statuses, in the order they may only move forward.
const (
	stAccepted int32 = iota
	stSent
	stDelivered
	stRead
	stFailed
)

var statusNames = [...]string{"accepted", "sent", "delivered", "read", "failed"}

// msgRecord is one message the sandbox knows: an accepted send or an
// injected inbound one. Fixed fields are set before it is shared.
type msgRecord struct {
	wamid   string
	num     *number
	waid    string
	inbound bool
	at      time.Time
	typ     string

	// Outbound.
	entry       *LedgerEntry
	bound       *bound // template sends
	text        string // text body or media caption
	media       string // media link or id
	version     int    // Graph major version of the send
	category    string // pricing category
	pricingType string
	convID      string
	status      atomic.Int32
	errCode     atomic.Int32

	// Inbound.
	name            string
	buttonPayload   string
	buttonText      string
	interactiveID   string
	contextID       string
	readByBusiness  atomic.Bool
	replyToTemplate *msgRecord
}

// advance moves the status forward; failed is final and only follows
// accepted or sent.
func (m *msgRecord) advance(to int32, code int) bool {
	for {
		cur := m.status.Load()
		if cur == stFailed || (to == stFailed && cur > stSent) || (to != stFailed && to <= cur) {
			return false
		}
		if m.status.CompareAndSwap(cur, to) {
			if code != 0 {
				m.errCode.Store(int32(code))
			}
			return true
		}
	}
}

// MessageStatus is what the sandbox knows about one message.
type MessageStatus struct {
	WAMID         string `json:"wamid"`
	PhoneNumberID string `json:"phone_number_id"`
	WaID          string `json:"wa_id"`
	Inbound       bool   `json:"inbound"`
	Status        string `json:"status"`
	ErrorCode     int    `json:"error_code,omitempty"`
}

// MessageStatus reports the last status the sandbox reached for wamid (it
// may be ahead of the webhooks the receiver has seen).
func (s *Server) MessageStatus(wamid string) (MessageStatus, error) {
	m, ok := s.st.Load().msgs.get(wamid)
	if !ok {
		return MessageStatus{}, fmt.Errorf("%w: message", ErrNotFound)
	}
	st := MessageStatus{WAMID: m.wamid, PhoneNumberID: m.num.pnid, WaID: m.waid, Inbound: m.inbound,
		Status: statusNames[m.status.Load()], ErrorCode: int(m.errCode.Load())}
	if m.inbound {
		st.Status = "received"
		if m.readByBusiness.Load() {
			st.Status = "read"
		}
	}
	return st, nil
}

// chat is what one user's phone shows: messages with every business number,
// oldest first, the most recent maxChatItems kept.
type chat struct {
	mu    sync.Mutex
	waid  string
	name  string
	items []*msgRecord
	last  time.Time
}

const maxChatItems = 300

func (c *chat) add(m *msgRecord) {
	c.mu.Lock()
	if len(c.items) >= maxChatItems {
		n := copy(c.items, c.items[len(c.items)-maxChatItems/2:])
		clear(c.items[n:])
		c.items = c.items[:n]
	}
	c.items = append(c.items, m)
	c.last = m.at
	if m.inbound && m.name != "" {
		c.name = m.name
	}
	c.mu.Unlock()
}

func (st *state) chatOf(waid string) *chat {
	return st.chats.getOrPut(waid, func() *chat { return &chat{waid: waid} })
}

const window = 24 * time.Hour

func (st *state) windowOpen(pnid, waid string, now time.Time) bool {
	last, ok := st.windows.get(pairKey{pnid, waid})
	return ok && now.UnixNano()-last < int64(window)
}

// --- Outcomes (§9.3) ---

// outcome is the plan for one message's status webhooks: up to three steps
// run one after the other on the timers, one allocation per message.
type outcome struct {
	s     *Server
	st    *state
	m     *msgRecord
	code  int // failed with this code (one step)
	n, i  int
	steps [3]outcomeStep
}

type outcomeStep struct {
	at      time.Duration // after acceptance
	status  int32
	pricing bool
}

// scheduleOutcome plans what the message's status webhooks will say and
// when. failCode != 0 ends it in a failed status at the "sent" delay.
func (s *Server) scheduleOutcome(st *state, cfg *settings, m *msgRecord, failCode int) {
	d := cfg.Delays
	o := &outcome{s: s, st: st, m: m, code: failCode}
	if failCode != 0 {
		o.steps[0], o.n = outcomeStep{at: d.Sent, status: stFailed}, 1
		s.sched.schedule(d.Sent, o)
		return
	}
	delivered := mrand.Float64() < cfg.DeliveredProb
	read := delivered && mrand.Float64() < cfg.ReadProb
	// Read at the same moment as delivered: Meta sends no delivered (§3.3),
	// and the read status carries the pricing instead.
	skipDelivered := read && d.Read <= d.Delivered
	o.steps[0], o.n = outcomeStep{d.Sent, stSent, true}, 1
	if delivered && !skipDelivered {
		o.steps[o.n] = outcomeStep{d.Delivered, stDelivered, true}
		o.n++
	}
	if read {
		o.steps[o.n] = outcomeStep{d.Read, stRead, skipDelivered}
		o.n++
	}
	if cfg.WebhookReorder {
		// All at the last delay, newest first.
		last := time.Duration(0)
		for _, sp := range o.steps[:o.n] {
			last = max(last, sp.at)
		}
		slices.Reverse(o.steps[:o.n])
		for i := range o.steps[:o.n] {
			o.steps[i].at = last
		}
	}
	s.sched.schedule(o.steps[0].at, o)
}

// run fires the next step and schedules the one after it.
func (o *outcome) run() {
	sp := o.steps[o.i]
	o.s.fire(o.st, o.m, sp.status, o.code, sp.pricing)
	o.i++
	if o.i < o.n {
		o.s.sched.schedule(max(o.steps[o.i].at-sp.at, 0), o)
	}
}

// fire records a status and queues its webhook. With reordering on, a later
// status may already be recorded; the webhook is sent all the same, which is
// the disorder a receiver has to cope with.
func (s *Server) fire(st *state, m *msgRecord, status int32, code int, pricing bool) {
	if s.st.Load() != st {
		return
	}
	m.advance(status, code)
	snap := m.num.snap.Load()
	if snap.CallbackURL == "" {
		return
	}
	now := s.now()
	it := statusItem{id: m.wamid, status: statusNames[status], ts: now.Unix(), recipient: m.waid,
		biz: m.entry.BizOpaqueCallbackData, errCode: code}
	if status != stFailed {
		if pricing {
			it.pricing = &pricingInfo{billable: m.pricingType == "regular", typ: m.pricingType, category: m.category}
		}
		if m.convID != "" { // webhooks before v24 carry the conversation
			it.conv = &conversationInfo{id: m.convID, origin: m.category}
			if status == stSent {
				it.conv.expires = m.at.Add(window).Unix()
			}
		}
	}
	if code != 0 {
		it.errDetails = failureDetails(code)
	}
	s.emit(whEvent{st: st, target: targetOf(snap, m.num), status: &it})
}

func failureDetails(code int) string {
	switch code {
	case codeUndeliverable:
		return "Message failed to send because the recipient is not a WhatsApp user, has not accepted the latest Terms of Service, or uses an old WhatsApp version."
	case codeReengagement:
		return "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
	case codeMarketingOptOut:
		return "Message failed to send because the user has stopped marketing messages from this business."
	}
	return title(code)
}
