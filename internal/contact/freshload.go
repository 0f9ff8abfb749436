package contact

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"tidings/internal/platform/db"
)

// loadFresh loads a file into an org that had no contacts when the import
// began (see fresh.go), chunk by chunk, so that the database inserts one
// chunk while Go reads, parses and encodes the next:
//
//   - a chunk's rows that are certainly their number's first line go
//     straight into contacts, sorted by number, in one INSERT from arrays
//     (unnest); its suspects go into a temporary table of suspects and its
//     rejected rows into contact_import_rejects, both through a small
//     staging table;
//   - the number and line of every row inserted goes to a spill file on
//     disk, the suspects' too; at the end the first line of every suspect
//     number is found there (in line order, exactly), and the suspects
//     become contacts (a false positive of the filter) or duplicates.
//
// All of it in the import's one transaction. errNotFresh as for mergeFresh.
func (s *Service) loadFresh(ctx context.Context, tx pgx.Tx, im Import, path string, prog *progress) (Counts, error) {
	var c Counts
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_suspects (
			line int4 NOT NULL, phone text COLLATE "C", name text, email text, language text, tags text[], attrs text,
			record text[]) ON COMMIT DROP;
		CREATE TEMP TABLE import_firsts (line int4 NOT NULL, first_line int4 NOT NULL) ON COMMIT DROP`); err != nil {
		return c, fmt.Errorf("contact: import %d: staging: %w", im.ID, err)
	}
	if freshLoadStarted != nil {
		freshLoadStarted()
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
	pl := newPipeline(ctx, newRecordReader(f, format), newRowParser(im.Settings), im.Settings.HasHeader, s.opt.MaxRows, s.opt.Parsers, 0, prog)
	defer pl.wait()
	src := &chunkSource{firsts: firsts, suspects: suspects, stageSource: stageSource{p: pl, vals: make([]any, len(stageColumns)),
		seen: newBloom(min(max(im.EstimatedRows, 1024), s.opt.MaxRows))}}
	defer src.seen.free() // after the builder is done (below)

	state, kind := newContactConsent(im.Settings)
	args := pgx.NamedArgs{"org": im.OrgID, "imp": im.ID, "now": s.clock.Now(), "user": nullID(im.CreatedBy),
		"state": state, "kind": kind, "att": nil, "listids": []int64{}}
	if kind == EventOptIn {
		args["att"] = im.AttestationID
	}
	if im.Settings.ListIDs != nil {
		args["listids"] = im.Settings.ListIDs
	}
	if args["event"], err = reserveImportEvent(ctx, tx, im, args); err != nil {
		return c, err
	}
	const insert = `INSERT INTO contacts AS c (org_id, phone_e164, name, email, language, attributes, tags, consent_state, import_event_id, import_ids, created_by, created_at, updated_at)
		SELECT @org, s.phone, s.name, s.email, s.language, s.attrs::jsonb, s.tags, @state, @event::bigint, ARRAY[@imp::bigint], @user::bigint, @now, @now`
	// The rows of a chunk arrive as one array a column, in phone order;
	// unnest keeps the arrays' order, so the unique index is filled in key
	// order too (measured: half the index's cost of file order). The
	// builder writes each chunk's messages itself, the arrays straight from
	// its arena (see freshwire.go). The unnests are in the select list,
	// where they step through the arrays together one row at a time; in
	// FROM each would first be stored whole in a tuplestore (measured
	// server-side, 1M rows in chunks of 16384: 6.5–7.0 s in FROM,
	// 6.13–6.22 s in the select list).
	const insertChunk = `INSERT INTO contacts (org_id, phone_e164, name, email, language, attributes, tags, consent_state, import_event_id, import_ids, created_by, created_at, updated_at)
		SELECT $1, unnest($7::text[]), unnest($8::text[]), unnest($9::text[]), unnest($10::text[]), unnest($11::text[])::jsonb, unnest($12::text[])::text[],
			$2, $6, ARRAY[$3::bigint], $4, $5, $5`
	fixedOIDs := []uint32{pgtype.Int8OID, pgtype.TextOID, pgtype.Int8OID, pgtype.Int8OID, pgtype.TimestamptzOID, pgtype.Int8OID}
	fixed, err := encodeParams(pgtype.NewMap(), nil, fixedOIDs, im.OrgID, state, im.ID, args["user"], args["now"], args["event"])
	if err != nil {
		return c, fmt.Errorf("contact: import %d: %w", im.ID, err)
	}
	oids := append(make([]uint32, 0, len(fixedOIDs)+freshColumns), fixedOIDs...)
	for range freshColumns {
		oids = append(oids, pgtype.TextArrayOID)
	}

	// A builder goroutine gathers (and sorts) the next chunk's rows while
	// the database inserts this one, and encodes them once the chunk before
	// has been sent: one chunk's parameters in memory, not two.
	chunks, free := make(chan *freshChunk, 1), make(chan *freshChunk, 1)
	chunk := &freshChunk{}
	defer chunk.mem.free() // after the builder and the sender are done (below)
	free <- chunk
	buildCtx, stopBuild := context.WithCancel(ctx)
	built := make(chan error, 1)
	go func() {
		defer close(chunks)
		var arena chunkArena
		defer arena.mem.free()
		st := &chunkStatements{insert: insertChunk, insertOIDs: oids, fixed: fixed, org: im.OrgID, imp: im.ID, m: pgtype.NewMap()}
		built <- func() error {
			for !src.end {
				if err := arena.gather(src, chunkRows); err != nil {
					return err
				}
				var ch *freshChunk
				select {
				case ch = <-free:
				case <-buildCtx.Done():
					return nil
				}
				if err := ch.load(&arena, st); err != nil {
					return fmt.Errorf("contact: import %d: encode a chunk: %w", im.ID, err)
				}
				select {
				case chunks <- ch:
				case <-buildCtx.Done():
					return nil
				}
			}
			return nil
		}()
	}()
	defer func() {
		stopBuild()
		pl.wait()
		for range chunks { // let the builder end
		}
	}()
	imported, err := sendChunks(ctx, tx.Conn().PgConn(), chunks, free)
	c.Imported += imported
	if isDuplicate(err) {
		return c, errNotFresh
	}
	if err != nil {
		return c, fmt.Errorf("contact: import %d: insert: %w", im.ID, err)
	}
	if err := <-built; err != nil {
		return c, err
	}
	if perr := pl.error(); perr != nil {
		return c, perr
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
	if err := writeImportEvent(ctx, tx, im, args, c.Imported); err != nil {
		return c, err
	}
	if err := s.freshExtras(ctx, tx, im, args); err != nil {
		return c, err
	}
	s.log.DebugContext(ctx, "contact import: fresh load", "waited_s", src.waited.Seconds(), "load_s", t1.Sub(t0).Seconds(),
		"suspects_s", t2.Sub(t1).Seconds(), "extras_s", time.Since(t2).Seconds())
	if c.Read != c.Imported+c.Duplicate+c.Rejected {
		return c, fmt.Errorf("contact: import %d: %d rows read, but %d imported, %d duplicate and %d rejected",
			im.ID, c.Read, c.Imported, c.Duplicate, c.Rejected)
	}
	return c, nil
}

// freshLoadStarted, when set (tests only), runs once a fresh load has
// begun, to let a test create a contact meanwhile.
var freshLoadStarted func()

// chunkRows is how many rows one chunk holds. Larger sorted chunks fill
// the unique index with better locality, and cost the importer memory:
// the chunk is in memory twice (its arena and its messages), mapped
// outside the heap (bench-import, one run each, 1M rows: 16384 rows
// 157k rows/s, peak RSS 46.0 MiB; 32768 159k rows/s, 50.3 MiB, and at 5M
// rows 55.0 MiB, against the 64 MiB goal).
var chunkRows = 32768

// chunkBytes ends a chunk early when its cells pass this size (files of
// very wide rows), which bounds its memory, and keeps the arena's offsets
// far inside uint32.
var chunkBytes = 8 << 20

// freshExtras puts the new contacts on the import's lists: every contact
// of the org that this import alone brought (one created by hand meanwhile
// has no import). A statement of its own: measured, feeding it from the
// insert's RETURNING costs more.
func (s *Service) freshExtras(ctx context.Context, tx pgx.Tx, im Import, args pgx.NamedArgs) error {
	if len(im.Settings.ListIDs) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO contact_list_members (org_id, list_id, contact_id, added_at)
			SELECT @org, l, c.id, @now FROM contacts c, unnest(@listids::bigint[]) l
			WHERE c.org_id = @org AND c.import_ids = ARRAY[@imp::bigint]`, args); err != nil {
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

// chunkArena gathers the rows of the next chunk, each row its six cells
// back to back as binary array elements (a 4-byte length, then the
// bytes), so that sorting moves offsets, not cells, and encoding copies
// each cell once; it is reused from chunk to chunk. Memory per row in a
// chunk is what limits the chunk's size, and larger chunks, sorted, fill
// the unique index with better locality (see chunkRows). Against cells
// kept as strings and two chunks' parameters in memory, this halved the
// memory a chunk row costs (bench-import, 1M rows, peak RSS at 16384
// rows a chunk: 67 → 56–58 MiB).
type chunkArena struct {
	rows   []byte // in mem
	mem    offHeap
	starts []uint32 // where each row begins in rows
	held   [][]any
}

// freshColumns is how many of a row's cells go to the insert's arrays:
// phone, name, e-mail, language, attributes, tags.
const freshColumns = 6

func (a *chunkArena) add(cells ...string) {
	a.starts = append(a.starts, uint32(len(a.rows)))
	n := 0
	for _, c := range cells {
		n += 4 + len(c)
	}
	a.rows = a.mem.grow(a.rows, n)
	for _, c := range cells {
		a.rows = binary.BigEndian.AppendUint32(a.rows, uint32(len(c)))
		a.rows = append(a.rows, c...)
	}
}

// cell is row r's cell c with its length prefix.
func (a *chunkArena) cell(r uint32, c int) []byte {
	for {
		n := binary.BigEndian.Uint32(a.rows[r:])
		if c == 0 {
			return a.rows[r : r+4+n]
		}
		r, c = r+4+n, c-1
	}
}

// phone is row r's number (its first cell).
func (a *chunkArena) phone(r uint32) []byte { return a.cell(r, 0)[4:] }

// gather reads up to n rows from src, and sorts them by number.
func (a *chunkArena) gather(src *chunkSource, n int) error {
	a.rows, a.starts = a.rows[:0], a.starts[:0]
	clear(a.held) // let the previous chunk's rows go
	a.held = a.held[:0]
	src.left = n
	for src.Next() {
		v, err := src.Values()
		if err != nil {
			return err
		}
		if v[8] != nil || v[11].(bool) { // rejected, or a suspect
			// Kept until the chunk is loaded, by which time the parser has
			// reused the batch the row came from: its slices (tags, lists,
			// the raw cells) are copied, not only the row.
			row := slices.Clone(v)
			for i, x := range row {
				if cells, ok := x.([]string); ok {
					row[i] = slices.Clone(cells)
				}
			}
			a.held = append(a.held, row)
			continue
		}
		a.add(v[1].(string), v[2].(string), v[3].(string), v[4].(string), v[6].(string), textArrayLiteral(v[5].([]string)))
		if len(a.rows) >= chunkBytes {
			break // wide rows: a shorter chunk, the same memory
		}
	}
	if err := src.Err(); err != nil {
		return err
	}
	slices.SortFunc(a.starts, func(x, y uint32) int { return bytes.Compare(a.phone(x), a.phone(y)) })
	return nil
}

// encodeTextArray appends column c of the arena's rows, in the order of
// a.starts, as a one-dimensional text[] in PostgreSQL's binary format:
// ndim, has-nulls, element type, then length and lower bound of the one
// dimension, then the elements (each already length-prefixed).
func encodeTextArray(b []byte, a *chunkArena, c int) []byte {
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, pgtype.TextOID)
	b = binary.BigEndian.AppendUint32(b, uint32(len(a.starts)))
	b = binary.BigEndian.AppendUint32(b, 1)
	for _, r := range a.starts {
		b = append(b, a.cell(r, c)...)
	}
	return b
}

// textArrayLiteral is a row's tags (or its raw cells) as an array
// literal: a chunk's rows travel as one array a column, and an array of
// arrays must be rectangular, so each row's array goes as text and is cast
// back.
func textArrayLiteral(tags []string) string {
	v, _ := db.TextArray(tags).Value() // never fails
	return v.(string)
}

// encodeParams encodes values in binary for ExecParams, into bufs (reused
// when given).
func encodeParams(m *pgtype.Map, bufs [][]byte, oids []uint32, values ...any) ([][]byte, error) {
	bufs = slices.Grow(bufs[:0], len(values))[:len(values)]
	for i, v := range values {
		b, err := m.Encode(oids[i], pgtype.BinaryFormatCode, v, bufs[i][:0])
		if err != nil {
			return nil, fmt.Errorf("encode parameter %d: %w", i+1, err)
		}
		bufs[i] = b
	}
	return bufs, nil
}

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
