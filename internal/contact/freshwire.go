package contact

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

// How the fresh load's chunks travel to the database.
//
// Each chunk is written as the extended-protocol messages of its
// statements (Parse, Bind, Execute each, then one Sync) into one buffer
// that is reused from chunk to chunk, the insert's arrays encoded
// straight from the chunk's arena. The buffer goes to the connection as
// it is and is free again once written, so a chunk's rows are in the
// importer's memory twice (the arena and the buffer) and nothing of a
// chunk is left for the collector. Through pgconn's ExecParams or Pipeline the
// six arrays were copied once more into pgconn's write buffer, which
// grows by appending each array, is dropped after every large message
// and so was allocated afresh, several times over, for every chunk.
//
// The next chunk is written while the database is inserting this one, so
// it finds the next one waiting when it is done: sent one at a time, it
// sat idle for about 9 % of the load between chunks (perf, bench-import).
// At most two chunks are unanswered; once written, the second waits in
// the socket's buffers, not in the importer's memory. The answers are
// read with pgconn, which keeps its view of the transaction.

// freshChunk is one chunk of a fresh load, as the messages that load it.
type freshChunk struct {
	msg      []byte // in mem
	mem      offHeap
	results  int  // statements in msg
	inserted bool // the first of them inserts contacts
}

// chunkStatements is what every chunk's messages share. m encodes the held
// rows; it belongs to the builder.
type chunkStatements struct {
	insert     string
	insertOIDs []uint32
	fixed      [][]byte // the insert's leading parameters, encoded
	org, imp   int64
	m          *pgtype.Map
}

// heldSQL are the statements of a chunk's held rows: its suspects, then
// its rejected rows (with the import's org and id as first parameters).
var heldSQL = [...]string{
	`INSERT INTO import_suspects (line, phone, name, email, language, tags, attrs, record)
		SELECT unnest($1::int4[]), unnest($2::text[]), unnest($3::text[]), unnest($4::text[]), unnest($5::text[]),
			unnest($6::text[])::text[], unnest($7::text[]), unnest($8::text[])::text[]`,
	`INSERT INTO contact_import_rejects (org_id, import_id, line, reason, value, record)
		SELECT $1, $2, unnest($3::int4[]), unnest($4::text[]), unnest($5::text[]), unnest($6::text[])::text[]`,
}

var (
	suspectOIDs = []uint32{pgtype.Int4ArrayOID, pgtype.TextArrayOID, pgtype.TextArrayOID, pgtype.TextArrayOID,
		pgtype.TextArrayOID, pgtype.TextArrayOID, pgtype.TextArrayOID, pgtype.TextArrayOID}
	rejectOIDs = []uint32{pgtype.Int8OID, pgtype.Int8OID, pgtype.Int4ArrayOID, pgtype.TextArrayOID, pgtype.TextArrayOID, pgtype.TextArrayOID}
	// allBinary is a Bind's parameter formats: one code, for every parameter.
	allBinary = []int16{pgtype.BinaryFormatCode}
)

// load writes the gathered rows as the chunk's messages: the insert of the
// arena's rows (in the order of a.starts), then the held rows.
func (ch *freshChunk) load(a *chunkArena, st *chunkStatements) error {
	b := ch.msg[:0]
	ch.results, ch.inserted = 0, len(a.starts) > 0
	var err error
	if ch.inserted {
		// The arena's cells are array elements already: the arrays take
		// len(a.rows) bytes and their headers; the rest is small.
		n := len(a.rows) + len(st.insert) + 4*len(st.insertOIDs) + 512
		for _, p := range st.fixed {
			n += 4 + len(p)
		}
		b = ch.mem.grow(b, n)
		if b, err = (&pgproto3.Parse{Query: st.insert, ParameterOIDs: st.insertOIDs}).Encode(b); err != nil {
			return err
		}
		b = appendChunkBind(b, st.fixed, a)
		if b, err = (&pgproto3.Execute{}).Encode(b); err != nil {
			return err
		}
		ch.results++
	}

	var sus, rej [][]any
	for _, v := range a.held {
		if v[8] != nil { // a reason: rejected
			rej = append(rej, v)
		} else {
			sus = append(sus, v)
		}
	}
	if len(sus) > 0 {
		if b, err = appendStatement(&ch.mem, b, st.m, heldSQL[0], suspectOIDs, columns(sus, 0, 1, 2, 3, 4, 5, 6, 10)...); err != nil {
			return err
		}
		ch.results++
	}
	if len(rej) > 0 {
		if b, err = appendStatement(&ch.mem, b, st.m, heldSQL[1], rejectOIDs, append([]any{st.org, st.imp}, columns(rej, 0, 8, 9, 10)...)...); err != nil {
			return err
		}
		ch.results++
	}
	b = ch.mem.grow(b, 5)
	if b, err = (&pgproto3.Sync{}).Encode(b); err != nil {
		return err
	}
	ch.msg = b
	return nil
}

// columns turns staged rows (see stageColumns) into one slice for each
// column at idx: the line as []int32, the others as []string, a []string
// cell (tags, record) as its array literal.
func columns(rows [][]any, idx ...int) []any {
	out := make([]any, len(idx))
	for i, c := range idx {
		if c == 0 {
			lines := make([]int32, len(rows))
			for j, v := range rows {
				lines[j] = v[0].(int32)
			}
			out[i] = lines
			continue
		}
		cells := make([]string, len(rows))
		for j, v := range rows {
			switch x := v[c].(type) {
			case string:
				cells[j] = x
			case []string:
				cells[j] = textArrayLiteral(x)
			}
		}
		out[i] = cells
	}
	return out
}

// appendChunkBind appends the Bind of the insert: the fixed parameters,
// then the six arrays of the arena's rows.
func appendChunkBind(b []byte, fixed [][]byte, a *chunkArena) []byte {
	b = append(b, 'B')
	start := len(b)
	b = append(b, 0, 0, 0, 0) // the length, set at the end
	b = append(b, 0, 0)       // unnamed portal, unnamed statement
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(pgtype.BinaryFormatCode))
	b = binary.BigEndian.AppendUint16(b, uint16(len(fixed)+freshColumns))
	for _, p := range fixed {
		if p == nil {
			b = binary.BigEndian.AppendUint32(b, 0xFFFFFFFF) // NULL
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	for c := range freshColumns {
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		b = encodeTextArray(b, a, c)
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	b = binary.BigEndian.AppendUint16(b, 0) // results in text (there are none)
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b
}

// appendStatement appends Parse, Bind and Execute of sql with values (b
// in mem).
func appendStatement(mem *offHeap, b []byte, m *pgtype.Map, sql string, oids []uint32, values ...any) ([]byte, error) {
	params, err := encodeParams(m, nil, oids, values...)
	if err != nil {
		return nil, err
	}
	n := len(sql) + 4*len(oids) + 64
	for _, p := range params {
		n += 4 + len(p)
	}
	b = mem.grow(b, n)
	if b, err = (&pgproto3.Parse{Query: sql, ParameterOIDs: oids}).Encode(b); err != nil {
		return nil, err
	}
	if b, err = (&pgproto3.Bind{ParameterFormatCodes: allBinary, Parameters: params}).Encode(b); err != nil {
		return nil, err
	}
	return (&pgproto3.Execute{}).Encode(b)
}

// sendChunks writes the chunks to conn as they come and reads their
// answers, handing each chunk back through free once written. It returns
// the number of contacts inserted, and the first error. After a database
// error every chunk sent is still answered, so the connection is in step
// for the caller's rollback; after any other failure the connection is
// closed.
func sendChunks(ctx context.Context, conn *pgconn.PgConn, chunks <-chan *freshChunk, free chan<- *freshChunk) (imported int64, err error) {
	if err := conn.SyncConn(ctx); err != nil {
		return 0, err
	}
	nc := conn.Conn()
	// A write held up by a server that does not read ends with the import.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetWriteDeadline(time.Now()) })
	defer func() {
		var pgErr *pgconn.PgError
		if !stop() || (err != nil && !errors.As(err, &pgErr)) {
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = conn.Close(closeCtx)
		}
	}()

	type sent struct {
		results  int
		inserted bool
	}
	var unanswered []sent
	answer := func() error {
		ch := unanswered[0]
		unanswered = unanswered[1:]
		var first error
		for done := 0; ; {
			msg, err := conn.ReceiveMessage(ctx)
			if err != nil {
				return err
			}
			switch msg := msg.(type) {
			case *pgproto3.CommandComplete:
				if done == 0 && ch.inserted {
					imported += pgconn.NewCommandTag(string(msg.CommandTag)).RowsAffected()
				}
				done++
			case *pgproto3.ErrorResponse:
				if first == nil {
					first = pgconn.ErrorResponseToPgError(msg)
				}
			case *pgproto3.ReadyForQuery:
				if first == nil && done != ch.results {
					return fmt.Errorf("contact: %d of %d statements of a chunk completed", done, ch.results)
				}
				return first
			}
		}
	}
	for ch := range chunks {
		for err == nil && len(unanswered) >= 2 {
			err = answer()
		}
		if err != nil {
			break
		}
		if _, err = nc.Write(ch.msg); err != nil {
			return imported, fmt.Errorf("contact: send a chunk: %w", err)
		}
		unanswered = append(unanswered, sent{ch.results, ch.inserted})
		free <- ch
	}
	var pgErr *pgconn.PgError
	for len(unanswered) > 0 && (err == nil || errors.As(err, &pgErr)) {
		aerr := answer()
		if err == nil || !errors.As(aerr, &pgErr) {
			err = aerr // the first error, or a failed connection
		}
	}
	return imported, err
}
