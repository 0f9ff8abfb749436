// Package mail sends e-mail. Production uses SMTP; `tidings dev` uses an
// in-memory Outbox whose page shows what would have been sent. Message
// bodies hold one-time links, so nothing here logs a body or an address.
package mail

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"tidings/internal/platform/clock"
	"tidings/internal/platform/config"
)

// Message is a plain-text e-mail.
type Message struct {
	To      string
	Subject string
	Text    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// New builds the transport the configuration names.
func New(cfg config.MailConfig, c clock.Clock) (Sender, error) {
	switch cfg.Transport {
	case "outbox":
		return NewOutbox(c, 500), nil
	case "smtp":
		return newSMTP(cfg)
	}
	return nil, fmt.Errorf("mail: unknown transport %q", cfg.Transport)
}

// SMTP sends through a relay.
type SMTP struct {
	from   string
	client *gomail.Client
}

func newSMTP(cfg config.MailConfig) (*SMTP, error) {
	opts := []gomail.Option{gomail.WithPort(cfg.SMTPPort), gomail.WithTimeout(15 * time.Second)}
	switch cfg.SMTPTLS {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if cfg.SMTPUser != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.SMTPUser), gomail.WithPassword(cfg.SMTPPassword))
	}
	c, err := gomail.NewClient(cfg.SMTPHost, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp client: %w", err)
	}
	return &SMTP{from: cfg.From, client: c}, nil
}

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send: %w", err)
	}
	return nil
}

// Sent is a message the Outbox kept.
type Sent struct {
	ID     int64
	SentAt time.Time
	Message
}

// ErrNotFound means the Outbox has no such message.
var ErrNotFound = errors.New("mail: no such message")

// Outbox keeps the last messages in memory instead of sending them.
type Outbox struct {
	mu    sync.Mutex
	clock clock.Clock
	keep  int
	next  int64
	sent  []Sent
}

// NewOutbox keeps up to keep messages.
func NewOutbox(c clock.Clock, keep int) *Outbox { return &Outbox{clock: c, keep: keep} }

// Send records m.
func (o *Outbox) Send(_ context.Context, m Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.next++
	o.sent = append(o.sent, Sent{ID: o.next, SentAt: o.clock.Now(), Message: m})
	if len(o.sent) > o.keep {
		o.sent = o.sent[len(o.sent)-o.keep:]
	}
	return nil
}

// List returns kept messages, newest first.
func (o *Outbox) List() []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Sent, len(o.sent))
	for i, s := range o.sent {
		out[len(o.sent)-1-i] = s
	}
	return out
}

// Get returns one kept message.
func (o *Outbox) Get(id int64) (Sent, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.sent {
		if s.ID == id {
			return s, nil
		}
	}
	return Sent{}, ErrNotFound
}
