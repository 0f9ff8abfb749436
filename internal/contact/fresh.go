package contact

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"time"

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
// (a 5M-row file then sees ≈5 %): its memory counts twice in the peak, as
// the collector lets the heap grow to twice what is live.
type bloom struct {
	bits []uint64
	mask uint64
}

const maxBloomBits = 1 << 25

func newBloom(n int64) *bloom {
	m := min(uint64(1)<<bits.Len64(uint64(n)*10), maxBloomBits) // a power of two
	return &bloom{bits: make([]uint64, max(m/64, 1)), mask: m - 1}
}

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
		w, m := p/64, uint64(1)<<(p%64)
		if b.bits[w]&m == 0 {
			present = false
			b.bits[w] |= m
		}
	}
	return present
}

// mergeFresh merges the staged rows into an org that had no contacts when
// the import began. errNotFresh: someone added a contact of a number in the
// file meanwhile (roll back to before the call and merge instead).
func (s *Service) mergeFresh(ctx context.Context, tx pgx.Tx, im Import, c Counts) (Counts, error) {
	st := im.Settings
	state, kind := newContactConsent(st)
	args := pgx.NamedArgs{"org": im.OrgID, "imp": im.ID, "now": s.clock.Now(), "user": nullID(im.CreatedBy),
		"state": state, "kind": kind, "att": nil, "listids": []int64{}}
	if kind == EventOptIn {
		args["att"] = im.AttestationID
	}
	if st.ListIDs != nil {
		args["listids"] = st.ListIDs
	}
	const insert = `INSERT INTO contacts AS c (org_id, phone_e164, name, email, language, attributes, tags, consent_state, import_ids, created_by, created_at, updated_at)
		SELECT @org, s.phone, s.name, s.email, s.language, s.attrs::jsonb, s.tags, @state, ARRAY[@imp::bigint], @user::bigint, @now, @now`

	// Rows not suspected of repeating a number: each is its number's first
	// line, and the org has no contact of it. (No RETURNING feeding the
	// consent events: measured, that costs more than reading the new
	// contacts back in a statement of its own.)
	t0 := time.Now()
	tag, err := tx.Exec(ctx, insert+` FROM import_stage s WHERE s.reason IS NULL AND NOT s.suspect`, args)
	if isDuplicate(err) {
		return c, errNotFresh
	}
	if err != nil {
		return c, fmt.Errorf("contact: import %d: merge: %w", im.ID, err)
	}
	first := tag.RowsAffected()

	// Suspects: the first line of each of their numbers over the whole file
	// decides; a suspect that is one (a false positive of the filter) is a
	// new contact, the others are its duplicates.
	var more int64
	t1 := time.Now()
	err = tx.QueryRow(ctx, `WITH f AS MATERIALIZED (
			SELECT phone, min(line) AS first_line FROM import_stage
			WHERE reason IS NULL AND phone IN (SELECT phone FROM import_stage WHERE suspect)
			GROUP BY phone
		), up AS (`+insert+`
			FROM import_stage s JOIN f ON f.phone = s.phone AND f.first_line = s.line WHERE s.suspect
			RETURNING 1
		), dup AS (
			INSERT INTO contact_import_rejects (org_id, import_id, line, reason, value, record)
			SELECT @org, @imp, s.line, 'duplicate of line ' || f.first_line, s.phone, s.record
			FROM import_stage s JOIN f ON f.phone = s.phone WHERE s.suspect AND s.line <> f.first_line
			RETURNING 1
		) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM dup)`, args).Scan(&more, &c.Duplicate)
	if isDuplicate(err) {
		return c, errNotFresh
	}
	if err != nil {
		return c, fmt.Errorf("contact: import %d: merge suspects: %w", im.ID, err)
	}

	// The new contacts' first consent event and lists: every contact of the
	// org that this import alone brought (one created by hand meanwhile has
	// no import).
	t2 := time.Now()
	const mine = `c.org_id = @org AND c.import_ids = ARRAY[@imp::bigint]`
	if kind != nil {
		if _, err := tx.Exec(ctx, `INSERT INTO consent_events (org_id, contact_id, kind, source, lawful_basis, evidence, attestation_id, import_id, actor_user_id, at)
			SELECT @org, c.id, @kind::text, 'import',
				coalesce((SELECT a.lawful_basis FROM consent_attestations a WHERE a.org_id = @org AND a.id = @att::bigint), ''),
				'', @att::bigint, @imp, @user::bigint, @now FROM contacts c WHERE `+mine, args); err != nil {
			return c, fmt.Errorf("contact: import %d: consent events: %w", im.ID, err)
		}
	}
	if len(st.ListIDs) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO contact_list_members (org_id, list_id, contact_id, added_at)
			SELECT @org, l, c.id, @now FROM contacts c, unnest(@listids::bigint[]) l WHERE `+mine, args); err != nil {
			return c, fmt.Errorf("contact: import %d: list members: %w", im.ID, err)
		}
	}
	c.Imported = first + more
	t3 := time.Now()
	if _, err := tx.Exec(ctx, `INSERT INTO contact_import_rejects (org_id, import_id, line, reason, value, record)
		SELECT @org, @imp, line, reason, value, record FROM import_stage WHERE reason IS NOT NULL`, args); err != nil {
		return c, fmt.Errorf("contact: import %d: rejected rows: %w", im.ID, err)
	}
	s.log.DebugContext(ctx, "contact import: fresh merge", "insert_s", t1.Sub(t0).Seconds(), "suspects_s", t2.Sub(t1).Seconds(),
		"events_s", t3.Sub(t2).Seconds(), "rejects_s", time.Since(t3).Seconds())
	if c.Read != c.Imported+c.Duplicate+c.Rejected {
		return c, fmt.Errorf("contact: import %d: %d rows read, but %d imported, %d duplicate and %d rejected",
			im.ID, c.Read, c.Imported, c.Duplicate, c.Rejected)
	}
	return c, nil
}
