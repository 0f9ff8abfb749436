package contact

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// loadFresh loads a file into an org that had no contacts when the import
// began (see fresh.go), chunk by chunk, so that reading and parsing the
// next chunk overlaps the database's insert of this one:
//
//   - each chunk is COPYed into a small temporary table; its rows that are
//     certainly their number's first line go straight into contacts, its
//     suspects into a temporary table of suspects, its rejected rows into
//     contact_import_rejects;
//   - the number and line of every row inserted goes to a spill file on
//     disk, the suspects' too; at the end the first line of every suspect
//     number is found there (in line order, exactly), and the suspects
//     become contacts (a false positive of the filter) or duplicates.
//
// All of it in the import's one transaction. errNotFresh as for mergeFresh.
func (s *Service) loadFresh(ctx context.Context, tx pgx.Tx, im Import, path string, prog *progress) (Counts, error) {
	var c Counts
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_chunk (
			line int4 NOT NULL, phone text COLLATE "C", name text, email text, language text, tags text[], attrs text,
			lists text[], reason text, value text, record text[], suspect bool) ON COMMIT DROP;
		CREATE TEMP TABLE import_suspects (
			line int4 NOT NULL, phone text COLLATE "C", name text, email text, language text, tags text[], attrs text,
			record text[]) ON COMMIT DROP;
		CREATE TEMP TABLE import_firsts (line int4 NOT NULL, first_line int4 NOT NULL) ON COMMIT DROP`); err != nil {
		return c, fmt.Errorf("contact: import %d: staging: %w", im.ID, err)
	}
	firsts, err := newKeyLines(s.opt.UploadDir)
	if err != nil {
		return c, err
	}
	defer firsts.remove()
	suspects, err := newKeyLines(s.opt.UploadDir)
	if err != nil {
		return c, err
	}
	defer suspects.remove()

	f, err := os.Open(path)
	if err != nil {
		return c, fmt.Errorf("contact: import %d: open file: %w", im.ID, err)
	}
	defer f.Close()
	format := fileFormat{Encoding: im.Encoding, Delimiter: []rune(im.Delimiter + ",")[0]}
	t0 := time.Now()
	pl := newPipeline(ctx, newRecordReader(f, format), newRowParser(im.Settings), im.Settings.HasHeader, s.opt.MaxRows, s.opt.Parsers, chunkRows, prog)
	defer pl.wait()
	src := &chunkSource{firsts: firsts, suspects: suspects, stageSource: stageSource{p: pl, vals: make([]any, len(stageColumns)),
		seen: newBloom(min(max(im.EstimatedRows, 1024), s.opt.MaxRows))}}

	state, kind := newContactConsent(im.Settings)
	args := pgx.NamedArgs{"org": im.OrgID, "imp": im.ID, "now": s.clock.Now(), "user": nullID(im.CreatedBy),
		"state": state, "kind": kind, "att": nil, "listids": []int64{}}
	if kind == EventOptIn {
		args["att"] = im.AttestationID
	}
	if im.Settings.ListIDs != nil {
		args["listids"] = im.Settings.ListIDs
	}
	const insert = `INSERT INTO contacts AS c (org_id, phone_e164, name, email, language, attributes, tags, consent_state, import_ids, created_by, created_at, updated_at)
		SELECT @org, s.phone, s.name, s.email, s.language, s.attrs::jsonb, s.tags, @state, ARRAY[@imp::bigint], @user::bigint, @now, @now`
	var copyTime, insertTime time.Duration
	var direct *directChunk
	if s.opt.Bulk != nil {
		direct = &directChunk{src: src, state: state, imp: []int64{im.ID}, user: nullID(im.CreatedBy), now: args["now"],
			org: im.OrgID, vals: make([]any, len(directColumns))}
	}
	for !src.end {
		src.left = chunkRows
		t := time.Now()
		if direct != nil {
			// Certain first lines straight into contacts; the chunk's
			// suspects and rejected rows into the chunk table.
			direct.held = direct.held[:0]
			n, err := tx.CopyFrom(ctx, pgx.Identifier{"contacts"}, directColumns, direct)
			if perr := pl.error(); perr != nil {
				return c, perr
			}
			if isDuplicate(err) {
				return c, errNotFresh
			}
			if err != nil {
				return c, fmt.Errorf("contact: import %d: copy contacts: %w", im.ID, err)
			}
			c.Imported += n
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_chunk"}, stageColumns, pgx.CopyFromRows(direct.held)); err != nil {
				return c, fmt.Errorf("contact: import %d: copy: %w", im.ID, err)
			}
			copyTime += time.Since(t)
			if len(direct.held) > 0 {
				t = time.Now()
				if _, err := tx.Exec(ctx, `INSERT INTO import_suspects SELECT line, phone, name, email, language, tags, attrs, record
						FROM import_chunk WHERE suspect;
					INSERT INTO contact_import_rejects (org_id, import_id, line, reason, value, record)
						SELECT `+sqlInt(im.OrgID)+`, `+sqlInt(im.ID)+`, line, reason, value, record FROM import_chunk WHERE reason IS NOT NULL;
					TRUNCATE import_chunk`); err != nil {
					return c, fmt.Errorf("contact: import %d: merge: %w", im.ID, err)
				}
				insertTime += time.Since(t)
			}
			continue
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"import_chunk"}, stageColumns, src)
		copyTime += time.Since(t)
		if perr := pl.error(); perr != nil {
			return c, perr
		}
		if err != nil {
			return c, fmt.Errorf("contact: import %d: copy: %w", im.ID, err)
		}
		if n == 0 {
			break
		}
		t = time.Now()
		tag, err := tx.Exec(ctx, insert+` FROM import_chunk s WHERE s.reason IS NULL AND NOT s.suspect`, args)
		if isDuplicate(err) {
			return c, errNotFresh
		}
		if err != nil {
			return c, fmt.Errorf("contact: import %d: merge: %w", im.ID, err)
		}
		c.Imported += tag.RowsAffected()
		if _, err := tx.Exec(ctx, `INSERT INTO import_suspects SELECT line, phone, name, email, language, tags, attrs, record
				FROM import_chunk WHERE suspect;
			INSERT INTO contact_import_rejects (org_id, import_id, line, reason, value, record)
				SELECT `+sqlInt(im.OrgID)+`, `+sqlInt(im.ID)+`, line, reason, value, record FROM import_chunk WHERE reason IS NOT NULL;
			TRUNCATE import_chunk`); err != nil {
			return c, fmt.Errorf("contact: import %d: merge: %w", im.ID, err)
		}
		insertTime += time.Since(t)
	}
	if err := src.err; err != nil {
		return c, err
	}
	c.Read, c.Rejected = prog.read.Load(), prog.rejected.Load()
	if err := noPhoneColumn(im, c, prog); err != nil {
		return c, err
	}
	prog.copyTime = time.Since(t0)
	prog.phase.Store(PhaseMerging)

	// Suspects: the first line of each of their numbers decides; a suspect
	// that is one (a false positive of the filter) is a new contact, the
	// others are its duplicates.
	t1 := time.Now()
	pairs, err := settleSuspects(firsts, suspects)
	if err != nil {
		return c, fmt.Errorf("contact: import %d: %w", im.ID, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_firsts"}, []string{"line", "first_line"}, pairs); err != nil {
		return c, fmt.Errorf("contact: import %d: suspects: %w", im.ID, err)
	}
	var more int64
	err = tx.QueryRow(ctx, `WITH up AS (`+insert+`
			FROM import_suspects s JOIN import_firsts f ON f.line = s.line WHERE f.first_line = s.line
			RETURNING 1
		), dup AS (
			INSERT INTO contact_import_rejects (org_id, import_id, line, reason, value, record)
			SELECT @org, @imp, s.line, 'duplicate of line ' || f.first_line, s.phone, s.record
			FROM import_suspects s JOIN import_firsts f ON f.line = s.line WHERE f.first_line <> s.line
			RETURNING 1
		) SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM dup)`, args).Scan(&more, &c.Duplicate)
	if isDuplicate(err) {
		return c, errNotFresh
	}
	if err != nil {
		return c, fmt.Errorf("contact: import %d: merge suspects: %w", im.ID, err)
	}
	c.Imported += more

	t2 := time.Now()
	if err := s.freshExtras(ctx, tx, im, kind, args); err != nil {
		return c, err
	}
	s.log.DebugContext(ctx, "contact import: fresh load", "copy_s", copyTime.Seconds(), "waited_s", src.waited.Seconds(), "insert_s", insertTime.Seconds(),
		"suspects_s", t2.Sub(t1).Seconds(), "events_s", time.Since(t2).Seconds())
	if c.Read != c.Imported+c.Duplicate+c.Rejected {
		return c, fmt.Errorf("contact: import %d: %d rows read, but %d imported, %d duplicate and %d rejected",
			im.ID, c.Read, c.Imported, c.Duplicate, c.Rejected)
	}
	return c, nil
}

// sqlInt renders an id for a statement sent with others (no parameters
// allowed there); ids are integers, so this cannot inject anything.
func sqlInt(id int64) string { return fmt.Sprintf("%d", id) }

// chunkRows is how many rows one chunk holds: enough that per-statement
// costs vanish, few enough that the rows parsed ahead stay a few MiB.
var chunkRows = 8192

// freshExtras writes the new contacts' first consent event and lists:
// every contact of the org that this import alone brought (one created by
// hand meanwhile has no import). Statements of their own: measured,
// feeding them from the insert's RETURNING costs more.
func (s *Service) freshExtras(ctx context.Context, tx pgx.Tx, im Import, kind any, args pgx.NamedArgs) error {
	const mine = `c.org_id = @org AND c.import_ids = ARRAY[@imp::bigint]`
	if kind != nil {
		if _, err := tx.Exec(ctx, `INSERT INTO consent_events (org_id, contact_id, kind, source, lawful_basis, evidence, attestation_id, import_id, actor_user_id, at)
			SELECT @org, c.id, @kind::text, 'import',
				coalesce((SELECT a.lawful_basis FROM consent_attestations a WHERE a.org_id = @org AND a.id = @att::bigint), ''),
				'', @att::bigint, @imp, @user::bigint, @now FROM contacts c WHERE `+mine, args); err != nil {
			return fmt.Errorf("contact: import %d: consent events: %w", im.ID, err)
		}
	}
	if len(im.Settings.ListIDs) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO contact_list_members (org_id, list_id, contact_id, added_at)
			SELECT @org, l, c.id, @now FROM contacts c, unnest(@listids::bigint[]) l WHERE `+mine, args); err != nil {
			return fmt.Errorf("contact: import %d: list members: %w", im.ID, err)
		}
	}
	return nil
}

// chunkSource feeds one chunk's COPY (left rows at most) from the
// pipeline, in file order; it keeps its place for the next chunk.
type chunkSource struct {
	stageSource
	left     int
	end      bool
	firsts   *keyLines
	suspects *keyLines
}

func (s *chunkSource) Next() bool {
	if s.left == 0 || s.end {
		return false
	}
	if !s.stageSource.Next() {
		s.end = true
		return false
	}
	s.left--
	return true
}

func (s *chunkSource) Values() ([]any, error) {
	v, err := s.stageSource.Values()
	if err != nil || v[8] != nil { // rejected
		return v, err
	}
	key, ok := phoneKey(v[1].(string))
	if !ok {
		return nil, fmt.Errorf("contact: line %d: unexpected number", s.cur.rows[s.i].line)
	}
	w := s.firsts
	if v[11].(bool) {
		w = s.suspects
	}
	w.add(key, s.cur.rows[s.i].line)
	return v, nil
}

func (s *chunkSource) Err() error { return s.stageSource.Err() }

// directColumns are those a direct load COPYs into contacts.
var directColumns = []string{"org_id", "phone_e164", "name", "email", "language", "attributes", "tags",
	"consent_state", "import_ids", "created_by", "created_at", "updated_at"}

// directChunk feeds one chunk's COPY into contacts (with Options.Bulk):
// the rows that are certainly their number's first line. It holds back
// the chunk's suspects and rejected rows, as staging rows.
type directChunk struct {
	src   *chunkSource
	held  [][]any
	vals  []any
	org   int64
	state string
	imp   []int64
	user  any
	now   any
}

func (d *directChunk) Next() bool {
	for d.src.Next() {
		v, err := d.src.Values()
		if err != nil {
			d.src.stageSource.err = err
			return false
		}
		if v[8] != nil || v[11].(bool) { // rejected, or a suspect
			row := slices.Clone(v)
			if rec, ok := row[10].([]string); ok {
				row[10] = slices.Clone(rec) // the batch's cells are reused
			}
			d.held = append(d.held, row)
			continue
		}
		w := d.vals
		w[0], w[1], w[2], w[3], w[4], w[5], w[6] = d.org, v[1], v[2], v[3], v[4], v[6], v[5]
		w[7], w[8], w[9], w[10], w[11] = d.state, d.imp, d.user, d.now, d.now
		return true
	}
	return false
}

func (d *directChunk) Values() ([]any, error) { return d.vals, nil }

func (d *directChunk) Err() error { return d.src.Err() }

// keyLines is a spill file of (number key, line) pairs, in line order.
type keyLines struct {
	f   *os.File
	w   *bufio.Writer
	buf [12]byte
}

func newKeyLines(dir string) (*keyLines, error) {
	f, err := os.CreateTemp(dir, "import-*.spill")
	if err != nil {
		return nil, fmt.Errorf("contact: spill file: %w", err)
	}
	return &keyLines{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (k *keyLines) add(key uint64, line int32) {
	binary.LittleEndian.PutUint64(k.buf[:8], key)
	binary.LittleEndian.PutUint32(k.buf[8:], uint32(line))
	_, _ = k.w.Write(k.buf[:]) // an error sticks to the writer; each seen at Flush
}

func (k *keyLines) remove() {
	_ = k.f.Close()
	_ = os.Remove(k.f.Name())
}

// each calls fn for every pair, in the order written.
func (k *keyLines) each(fn func(key uint64, line int32)) error {
	if err := k.w.Flush(); err != nil {
		return fmt.Errorf("spill file: %w", err)
	}
	if _, err := k.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spill file: %w", err)
	}
	r := bufio.NewReaderSize(k.f, 64<<10)
	var b [12]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("spill file: %w", err)
		}
		fn(binary.LittleEndian.Uint64(b[:8]), int32(binary.LittleEndian.Uint32(b[8:])))
	}
}

// settleSuspects gives every suspect line the first line of its number:
// among the rows inserted (firsts) or, failing that, among the suspects
// themselves (the first of which is then that line).
func settleSuspects(firsts, suspects *keyLines) (pgx.CopyFromSource, error) {
	var keys []uint64
	if err := suspects.each(func(key uint64, _ int32) { keys = append(keys, key) }); err != nil {
		return nil, err
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	first := make([]int32, len(keys))
	for i := range first {
		first[i] = noLine
	}
	if len(keys) > 0 {
		if err := firsts.each(func(key uint64, line int32) {
			if i, ok := slices.BinarySearch(keys, key); ok && line < first[i] {
				first[i] = line
			}
		}); err != nil {
			return nil, err
		}
	}
	var pairs [][2]int32 // suspects are a small share of the rows
	if err := suspects.each(func(key uint64, line int32) {
		i, _ := slices.BinarySearch(keys, key)
		if first[i] == noLine {
			first[i] = line
		}
		pairs = append(pairs, [2]int32{line, first[i]})
	}); err != nil {
		return nil, err
	}
	return pgx.CopyFromSlice(len(pairs), func(i int) ([]any, error) {
		return []any{pairs[i][0], pairs[i][1]}, nil
	}), nil
}
