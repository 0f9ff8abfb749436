package contact

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/jackc/pgx/v5"
)

// The fresh-org merge: an import into an org that has no contacts yet
// (the first, and usually the largest, import of a business) skips the
// sort of every staged row, and INSERT … ON CONFLICT: every number's
// first line is a new contact. (COPY straight into contacts is not
// possible: PostgreSQL refuses COPY FROM into a table with row-level
// security.)
//
// Every row still has exactly the outcome the general merge would give.
// The staged rows arrive in file order (pipeline.next), and a Bloom filter
// of the numbers seen so far flags a row that may repeat an earlier number
// (a true duplicate, or one of the filter's ≈1 % false positives) as a
// suspect. A row not flagged is certainly its number's first line and is
// inserted as it is; only suspects are settled exactly, set-based, against
// the whole file. A contact of the same number created by someone else
// while the import runs makes the insert meet the unique key: the import
// then takes the general merge instead (a savepoint; nothing is lost).
var errNotFresh = errors.New("contact: the org has contacts now")

// noLine marks a suspect number whose first line is not known yet.
const noLine = math.MaxInt32

// freshOrg says whether the org has no contacts.
func (s *Service) freshOrg(ctx context.Context, tx pgx.Tx, im Import) (bool, error) {
	var empty bool
	err := tx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM contacts WHERE org_id = $1)`, im.OrgID).Scan(&empty)
	if err != nil {
		return false, fmt.Errorf("contact: import %d: %w", im.ID, err)
	}
	return empty, nil
}

// newContactConsent is the consent state and first event of a contact an
// import creates.
func newContactConsent(st ImportSettings) (state string, kind any) {
	switch {
	case st.Mode == ModeSuppress:
		return string(ConsentOptedOut), EventOptOut
	case st.OptedIn:
		return string(ConsentOptedIn), EventOptIn
	}
	return string(ConsentUnknown), nil
}

// reserveImportEvent takes the id of the import's one consent event (nil
// when the import records no consent), which every contact the import
// creates shares through contacts.import_event_id (see migration 00013).
// The row itself is written at the end, by writeImportEvent, and only if
// the import created a contact: an import that created none leaves no
// event behind in the append-only ledger.
func reserveImportEvent(ctx context.Context, tx pgx.Tx, im Import, args pgx.NamedArgs) (any, error) {
	if args["kind"] == nil {
		return nil, nil
	}
	var id int64
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('consent_events', 'id'))`).Scan(&id); err != nil {
		return nil, fmt.Errorf("contact: import %d: consent event id: %w", im.ID, err)
	}
	return id, nil
}

// importEventSQL is the import's consent event for contact_id (NULL for
// the shared one): kind and attestation from the arguments.
const importEventSQL = `@kind::text, 'import',
	coalesce((SELECT a.lawful_basis FROM consent_attestations a WHERE a.org_id = @org AND a.id = @att::bigint), ''),
	'', @att::bigint, @imp, @user::bigint, @now`

// writeImportEvent writes the shared event reserved by reserveImportEvent
// once the import has created contacts that point at it.
func writeImportEvent(ctx context.Context, tx pgx.Tx, im Import, args pgx.NamedArgs, created int64) error {
	if args["event"] == nil || created == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO consent_events (id, org_id, contact_id, kind, source, lawful_basis, evidence, attestation_id, import_id, actor_user_id, at)
		OVERRIDING SYSTEM VALUE VALUES (@event::bigint, @org, NULL, `+importEventSQL+`)`, args); err != nil {
		return fmt.Errorf("contact: import %d: consent event: %w", im.ID, err)
	}
	return nil
}

// noPhoneColumn is the file problem of a file none of whose rows has a
// usable number: most likely the wrong column was chosen.
func noPhoneColumn(im Import, c Counts, prog *progress) error {
	if c.Read == 0 || prog.phoneReject.Load() != c.Read {
		return nil
	}
	col := ""
	for i, k := range im.Settings.Columns {
		if k.Kind == ColPhone && i < len(im.Header) {
			col = im.Header[i]
		}
	}
	return fileProblem("no_phone_column", "None of the %s rows has a usable phone number in the column “%s”. Check that you chose the column of phone numbers, and the country of numbers written without +.",
		groupDigits(c.Read), col)
}

// phoneKey packs an E.164 number into an integer: at most 15 digits after
// the +, and no country code starts with 0, so the packing is one to one.
func phoneKey(e164 string) (uint64, bool) {
	if len(e164) < 2 || len(e164) > 16 || e164[0] != '+' {
		return 0, false
	}
	var k uint64
	for i := 1; i < len(e164); i++ {
		c := e164[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		k = k*10 + uint64(c-'0')
	}
	return k, true
}

// bloom is a Bloom filter of phone keys: about 10 bits a number (≈1 % of
// new numbers taken for repeats, and settled exactly later), at most 4 MiB
// (a 5M-row file then sees ≈5 %), mapped outside the Go heap (see
// offHeap).
type bloom struct {
	bits []byte // in mem
	mem  offHeap
	mask uint64
}

var maxBloomBits uint64 = 1 << 25

func newBloom(n int64) *bloom {
	m := max(min(uint64(1)<<bits.Len64(uint64(n)*10), maxBloomBits), 8) // a power of two
	b := &bloom{mask: m - 1}
	b.bits = b.mem.grow(nil, int(m/8))[:m/8] // zeroed, mapped or made
	return b
}

// free releases the filter's memory; it must not be used after.
func (b *bloom) free() { b.mem.free() }

// add adds k and reports whether it may have been there already.
func (b *bloom) add(k uint64) bool {
	h := k * 0x9E3779B97F4A7C15
	h ^= h >> 31
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 29
	h1, h2 := h, (h>>32)|1
	present := true
	for i := range uint64(7) {
		p := (h1 + i*h2) & b.mask
		w, m := p/8, byte(1)<<(p%8)
		if b.bits[w]&m == 0 {
			present = false
			b.bits[w] |= m
		}
	}
	return present
}
