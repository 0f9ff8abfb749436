package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Config says how the sandbox behaves. New takes every field literally, so a
// zero Config is a sandbox with no limits, immediate outcomes and nothing
// ever delivered; start from DefaultConfig() and change what a test needs.
// Fields documented as "0 = …" fall back to that value.
type Config struct {
	// ThroughputPerSec is the per-phone-number cap (Meta: 80, up to 1,000);
	// 0 = no limit. A Number's own ThroughputPerSec overrides it.
	ThroughputPerSec int
	// ThroughputBurst is the token-bucket capacity; 0 = one second's worth.
	ThroughputBurst int
	// PairLimit turns the per-recipient pair rate limit (131056) on.
	PairLimit bool
	// PairInterval is the refill interval of the pair bucket; 0 = 6s.
	PairInterval time.Duration
	// PairBurst is the pair bucket's capacity; 0 = 45.
	PairBurst int
	// Delays after acceptance at which sent, delivered and read are reported.
	// They run on the real (monotonic) timer, not on Clock, so a fake clock
	// never stalls them; compress them for tests.
	Delays Delays
	// DeliveredProb is the chance a sent message is delivered; ReadProb the
	// chance a delivered one is read.
	DeliveredProb, ReadProb float64
	// NotOnWhatsAppPattern is a regexp; recipients matching it ("+" and the
	// digits, or the digits alone) fail with 131026. Empty = none.
	NotOnWhatsAppPattern string
	// TemplateReviewDelay is how long a new template stays PENDING.
	TemplateReviewDelay time.Duration
	// RejectTemplatesMatching is a regexp over template names; matching
	// templates are REJECTED after review. Empty = approve all.
	RejectTemplatesMatching string
	// ThrottleHTTPStatus is the HTTP status of 130429 and 131056: 400 (Meta's
	// current table) or 429 (the older one); 0 = 400.
	ThrottleHTTPStatus int

	// WebhookWorkers is the number of concurrent webhook POSTers; 0 = 4.
	// Read once by Start.
	WebhookWorkers int
	// WebhookBatch is the most status updates put in one POST; 0 = 1.
	WebhookBatch int
	// WebhookBatchWait is how long the batcher waits to fill a batch when
	// WebhookBatch > 1; 0 = 20ms.
	WebhookBatchWait time.Duration
	// WebhookDuplicate posts every webhook twice (the copy shortly after).
	WebhookDuplicate bool
	// WebhookReorder sends the statuses of each message in reverse (read,
	// delivered, sent), all at the last delay. Across messages, order is
	// already not guaranteed once WebhookWorkers > 1, as at Meta.
	WebhookReorder bool
	// WebhookRetryBase is the first retry delay, doubled per attempt; 0 = 100ms.
	WebhookRetryBase time.Duration
	// WebhookMaxAttempts is how many POSTs a webhook gets before it is
	// dropped; 0 = 5.
	WebhookMaxAttempts int
	// WebhookTimeout bounds one POST; 0 = 5s.
	WebhookTimeout time.Duration

	// Clock tells the time for everything the API reports or decides on:
	// timestamps, the 24-hour window, rate buckets, media URL expiry.
	// nil = time.Now.
	Clock func() time.Time
}

// Delays are the times after acceptance at which each status is reported.
type Delays struct{ Sent, Delivered, Read time.Duration }

// DefaultConfig is Meta's behaviour with timings compressed for development.
func DefaultConfig() Config {
	return Config{
		ThroughputPerSec:        80,
		PairLimit:               true,
		PairInterval:            6 * time.Second,
		PairBurst:               45,
		Delays:                  Delays{Sent: 200 * time.Millisecond, Delivered: 800 * time.Millisecond, Read: 2 * time.Second},
		DeliveredProb:           0.97,
		ReadProb:                0.6,
		NotOnWhatsAppPattern:    `^\+?999`,
		TemplateReviewDelay:     2 * time.Second,
		RejectTemplatesMatching: `(?i)reject`,
		ThrottleHTTPStatus:      400,
		WebhookWorkers:          4,
		WebhookBatch:            1,
		WebhookBatchWait:        20 * time.Millisecond,
		WebhookRetryBase:        100 * time.Millisecond,
		WebhookMaxAttempts:      5,
		WebhookTimeout:          5 * time.Second,
	}
}

// MaxThroughput is the highest per-number throughput Meta grants.
const MaxThroughput = 1000

// ErrConfig is wrapped by every configuration problem.
var ErrConfig = errors.New("sandbox: invalid config")

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf("%w: "+f, append([]any{ErrConfig}, a...)...)) }
	if c.ThroughputPerSec < 0 || c.ThroughputPerSec > MaxThroughput {
		bad("ThroughputPerSec %d not in 0..%d", c.ThroughputPerSec, MaxThroughput)
	}
	if c.ThroughputBurst < 0 || c.PairBurst < 0 || c.PairInterval < 0 {
		bad("negative burst or interval")
	}
	if c.Delays.Sent < 0 || c.Delays.Delivered < 0 || c.Delays.Read < 0 || c.TemplateReviewDelay < 0 {
		bad("negative delay")
	}
	if c.DeliveredProb < 0 || c.DeliveredProb > 1 || c.ReadProb < 0 || c.ReadProb > 1 {
		bad("probabilities must be in 0..1")
	}
	if _, err := regexp.Compile(c.NotOnWhatsAppPattern); err != nil {
		bad("NotOnWhatsAppPattern: %v", err)
	}
	if _, err := regexp.Compile(c.RejectTemplatesMatching); err != nil {
		bad("RejectTemplatesMatching: %v", err)
	}
	if c.ThrottleHTTPStatus != 0 && c.ThrottleHTTPStatus != 400 && c.ThrottleHTTPStatus != 429 {
		bad("ThrottleHTTPStatus %d: want 400 or 429", c.ThrottleHTTPStatus)
	}
	if c.WebhookWorkers < 0 || c.WebhookBatch < 0 || c.WebhookBatch > 1000 || c.WebhookMaxAttempts < 0 {
		bad("webhook workers, batch (max 1000) and attempts must not be negative")
	}
	if c.WebhookRetryBase < 0 || c.WebhookTimeout < 0 || c.WebhookBatchWait < 0 {
		bad("negative webhook timing")
	}
	return errors.Join(errs...)
}

// settings is a validated Config with its fallbacks applied and its patterns
// compiled; the hot path reads it through one atomic pointer.
type settings struct {
	Config
	notOnWA *regexp.Regexp
	reject  *regexp.Regexp
}

func compile(c Config) (*settings, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	st := &settings{Config: c}
	def := DefaultConfig()
	fill := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	fill(&st.PairInterval, def.PairInterval)
	fill(&st.WebhookBatchWait, def.WebhookBatchWait)
	fill(&st.WebhookRetryBase, def.WebhookRetryBase)
	fill(&st.WebhookTimeout, def.WebhookTimeout)
	if st.PairBurst == 0 {
		st.PairBurst = def.PairBurst
	}
	if st.ThrottleHTTPStatus == 0 {
		st.ThrottleHTTPStatus = 400
	}
	if st.WebhookWorkers == 0 {
		st.WebhookWorkers = def.WebhookWorkers
	}
	if st.WebhookBatch == 0 {
		st.WebhookBatch = 1
	}
	if st.WebhookMaxAttempts == 0 {
		st.WebhookMaxAttempts = def.WebhookMaxAttempts
	}
	if st.Clock == nil {
		st.Clock = time.Now
	}
	if c.NotOnWhatsAppPattern != "" {
		st.notOnWA = regexp.MustCompile(c.NotOnWhatsAppPattern)
	}
	if c.RejectTemplatesMatching != "" {
		st.reject = regexp.MustCompile(c.RejectTemplatesMatching)
	}
	return st, nil
}

// Duration is a time.Duration that reads and writes JSON as "250ms"; plain
// numbers are read as milliseconds.
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "1.5s" or a number of milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	ms, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("duration %s: want \"250ms\" or milliseconds", b)
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// ConfigPatch changes some settings at run time (the control API's
// POST /_sandbox/config body). Absent fields are left as they are.
type ConfigPatch struct {
	ThroughputPerSec        *int      `json:"throughput_per_sec,omitempty"`
	ThroughputBurst         *int      `json:"throughput_burst,omitempty"`
	PairLimit               *bool     `json:"pair_limit,omitempty"`
	PairInterval            *Duration `json:"pair_interval,omitempty"`
	PairBurst               *int      `json:"pair_burst,omitempty"`
	SentDelay               *Duration `json:"sent_delay,omitempty"`
	DeliveredDelay          *Duration `json:"delivered_delay,omitempty"`
	ReadDelay               *Duration `json:"read_delay,omitempty"`
	DeliveredProb           *float64  `json:"delivered_prob,omitempty"`
	ReadProb                *float64  `json:"read_prob,omitempty"`
	NotOnWhatsAppPattern    *string   `json:"not_on_whatsapp_pattern,omitempty"`
	TemplateReviewDelay     *Duration `json:"template_review_delay,omitempty"`
	RejectTemplatesMatching *string   `json:"reject_templates_matching,omitempty"`
	ThrottleHTTPStatus      *int      `json:"throttle_http_status,omitempty"`
	WebhookBatch            *int      `json:"webhook_batch,omitempty"`
	WebhookBatchWait        *Duration `json:"webhook_batch_wait,omitempty"`
	WebhookDuplicate        *bool     `json:"webhook_duplicate,omitempty"`
	WebhookReorder          *bool     `json:"webhook_reorder,omitempty"`
	WebhookRetryBase        *Duration `json:"webhook_retry_base,omitempty"`
	WebhookMaxAttempts      *int      `json:"webhook_max_attempts,omitempty"`
	WebhookTimeout          *Duration `json:"webhook_timeout,omitempty"`
	// FailWebhooks makes the next N webhook POSTs count as failed whatever
	// the receiver answers (as if the acknowledgement were lost), so they are
	// retried and the receiver sees them again.
	FailWebhooks *int `json:"fail_webhooks,omitempty"`
}

// Apply copies the present fields into c.
func (p ConfigPatch) Apply(c *Config) {
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setDur := func(dst *time.Duration, v *Duration) {
		if v != nil {
			*dst = time.Duration(*v)
		}
	}
	setInt(&c.ThroughputPerSec, p.ThroughputPerSec)
	setInt(&c.ThroughputBurst, p.ThroughputBurst)
	setInt(&c.PairBurst, p.PairBurst)
	setInt(&c.ThrottleHTTPStatus, p.ThrottleHTTPStatus)
	setInt(&c.WebhookBatch, p.WebhookBatch)
	setInt(&c.WebhookMaxAttempts, p.WebhookMaxAttempts)
	setDur(&c.PairInterval, p.PairInterval)
	setDur(&c.Delays.Sent, p.SentDelay)
	setDur(&c.Delays.Delivered, p.DeliveredDelay)
	setDur(&c.Delays.Read, p.ReadDelay)
	setDur(&c.TemplateReviewDelay, p.TemplateReviewDelay)
	setDur(&c.WebhookBatchWait, p.WebhookBatchWait)
	setDur(&c.WebhookRetryBase, p.WebhookRetryBase)
	setDur(&c.WebhookTimeout, p.WebhookTimeout)
	if p.PairLimit != nil {
		c.PairLimit = *p.PairLimit
	}
	if p.DeliveredProb != nil {
		c.DeliveredProb = *p.DeliveredProb
	}
	if p.ReadProb != nil {
		c.ReadProb = *p.ReadProb
	}
	if p.NotOnWhatsAppPattern != nil {
		c.NotOnWhatsAppPattern = *p.NotOnWhatsAppPattern
	}
	if p.RejectTemplatesMatching != nil {
		c.RejectTemplatesMatching = *p.RejectTemplatesMatching
	}
	if p.WebhookDuplicate != nil {
		c.WebhookDuplicate = *p.WebhookDuplicate
	}
	if p.WebhookReorder != nil {
		c.WebhookReorder = *p.WebhookReorder
	}
}

// configView is the JSON form of the current settings (GET /_sandbox/config).
type configView struct {
	ThroughputPerSec        int      `json:"throughput_per_sec"`
	ThroughputBurst         int      `json:"throughput_burst"`
	PairLimit               bool     `json:"pair_limit"`
	PairInterval            Duration `json:"pair_interval"`
	PairBurst               int      `json:"pair_burst"`
	SentDelay               Duration `json:"sent_delay"`
	DeliveredDelay          Duration `json:"delivered_delay"`
	ReadDelay               Duration `json:"read_delay"`
	DeliveredProb           float64  `json:"delivered_prob"`
	ReadProb                float64  `json:"read_prob"`
	NotOnWhatsAppPattern    string   `json:"not_on_whatsapp_pattern"`
	TemplateReviewDelay     Duration `json:"template_review_delay"`
	RejectTemplatesMatching string   `json:"reject_templates_matching"`
	ThrottleHTTPStatus      int      `json:"throttle_http_status"`
	WebhookWorkers          int      `json:"webhook_workers"`
	WebhookBatch            int      `json:"webhook_batch"`
	WebhookBatchWait        Duration `json:"webhook_batch_wait"`
	WebhookDuplicate        bool     `json:"webhook_duplicate"`
	WebhookReorder          bool     `json:"webhook_reorder"`
	WebhookRetryBase        Duration `json:"webhook_retry_base"`
	WebhookMaxAttempts      int      `json:"webhook_max_attempts"`
	WebhookTimeout          Duration `json:"webhook_timeout"`
	FailWebhooksPending     int64    `json:"fail_webhooks_pending"`
}

func viewOf(st *settings, failPending int64) configView {
	return configView{
		ThroughputPerSec: st.ThroughputPerSec, ThroughputBurst: st.ThroughputBurst,
		PairLimit: st.PairLimit, PairInterval: Duration(st.PairInterval), PairBurst: st.PairBurst,
		SentDelay: Duration(st.Delays.Sent), DeliveredDelay: Duration(st.Delays.Delivered), ReadDelay: Duration(st.Delays.Read),
		DeliveredProb: st.DeliveredProb, ReadProb: st.ReadProb,
		NotOnWhatsAppPattern: st.NotOnWhatsAppPattern, TemplateReviewDelay: Duration(st.TemplateReviewDelay),
		RejectTemplatesMatching: st.RejectTemplatesMatching, ThrottleHTTPStatus: st.ThrottleHTTPStatus,
		WebhookWorkers: st.WebhookWorkers, WebhookBatch: st.WebhookBatch, WebhookBatchWait: Duration(st.WebhookBatchWait),
		WebhookDuplicate: st.WebhookDuplicate, WebhookReorder: st.WebhookReorder,
		WebhookRetryBase: Duration(st.WebhookRetryBase), WebhookMaxAttempts: st.WebhookMaxAttempts,
		WebhookTimeout: Duration(st.WebhookTimeout), FailWebhooksPending: failPending,
	}
}
