// Package delivery owns what happens to messages after composition: the
// message ledger, the webhook inbox and the processing of what Meta tells
// us (statuses applied by rank, inbound replies, template and quality
// updates). It never talks HTTP itself; the WhatsApp client does.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrInboxClosed means the inbox is shutting down; the caller answers 503
// so Meta retries later.
var ErrInboxClosed = errors.New("delivery: inbox closed")

// Inbox writes webhook bodies durably before they are acknowledged. One
// commit costs about a millisecond and a half here, so instead of one
// transaction per request, concurrent requests are grouped: a writer
// collects whatever arrived while the previous commit ran and stores it
// with one COPY in one transaction, then tells every waiting request.
type Inbox struct {
	pool     *pgxpool.Pool
	in       chan pending
	maxBatch int
	writers  int
	wg       sync.WaitGroup
	closeMu  sync.RWMutex
	closed   bool
}

type pending struct {
	key  string
	body []byte
	done chan error
}

// InboxOptions tune the grouping.
type InboxOptions struct {
	// MaxBatch bounds the rows of one commit (default 512).
	MaxBatch int
	// Writers is how many commits may run at once (default 4): several
	// in flight keep the disk busy while the next group forms.
	Writers int
}

// NewInbox starts the writers; Close stops them.
func NewInbox(pool *pgxpool.Pool, o InboxOptions) *Inbox {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 512
	}
	if o.Writers <= 0 {
		o.Writers = 4
	}
	b := &Inbox{pool: pool, in: make(chan pending, o.MaxBatch*o.Writers), maxBatch: o.MaxBatch, writers: o.Writers}
	for range o.Writers {
		b.wg.Go(b.write)
	}
	return b
}

// Store returns once body is committed (or failed to be).
func (b *Inbox) Store(ctx context.Context, webhookKey string, body []byte) error {
	p := pending{key: webhookKey, body: body, done: make(chan error, 1)}
	b.closeMu.RLock()
	if b.closed {
		b.closeMu.RUnlock()
		return ErrInboxClosed
	}
	select {
	case b.in <- p:
		b.closeMu.RUnlock()
	case <-ctx.Done():
		b.closeMu.RUnlock()
		return ctx.Err()
	}
	// Wait for the commit even if the client gave up: the row may be
	// stored, and Meta will redeliver a duplicate that dedup absorbs.
	return <-p.done
}

// Close stores what was queued and stops the writers.
func (b *Inbox) Close() {
	b.closeMu.Lock()
	if !b.closed {
		b.closed = true
		close(b.in)
	}
	b.closeMu.Unlock()
	b.wg.Wait()
}

func (b *Inbox) write() {
	batch := make([]pending, 0, b.maxBatch)
	for first := range b.in {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < b.maxBatch {
			select {
			case p, ok := <-b.in:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		err := b.commit(batch)
		for _, p := range batch {
			p.done <- err
		}
	}
}

func (b *Inbox) commit(batch []pending) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows := make([][]any, len(batch))
	for i, p := range batch {
		rows[i] = []any{p.key, p.body}
	}
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"webhook_inbox"}, []string{"webhook_key", "body"}, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("delivery: store %d webhook bodies: %w", len(batch), err)
	}
	return nil
}
