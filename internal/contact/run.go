package contact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"tidings/internal/audit"
)

// errCancelled is the cause of an import stopped by CancelImport.
var errCancelled = errors.New("contact: import cancelled")

// progressEvery is how often a running import writes its counters (and
// looks for a cancel request).
var progressEvery = 250 * time.Millisecond

// RunImport runs one confirmed import to its end; the River worker calls
// it. The whole load — staging, merge, consent, lists, rejected rows and
// the final counts — is one transaction: a cancelled, failed or crashed
// attempt leaves nothing behind, and a retry starts again from the file.
// lastAttempt says a failure is final (the import is then marked failed).
func (s *Service) RunImport(ctx context.Context, orgID, importID int64, lastAttempt bool) error {
	var r importRow
	var earlier int64
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		var err error
		if r, err = loadImport(tx, orgID, importID, false); err != nil {
			return err
		}
		// An older import of the org that is still waiting goes first; one
		// left waiting for hours (its job lost) no longer holds others up.
		return tx.Raw(`SELECT count(*) FROM contact_imports WHERE org_id = ? AND id < ? AND status IN ('queued', 'running')
			AND coalesce(started_at, queued_at) > ?`, orgID, importID, s.clock.Now().Add(-2*time.Hour)).Scan(&earlier).Error
	})
	if errors.Is(err, ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	switch {
	case r.Status == StatusFinished || r.Status == StatusFailed || r.Status == StatusCancelled:
		return nil
	case r.Status == StatusUploaded:
		return river.JobCancel(ErrImportState)
	case r.CancelRequested:
		return s.endImport(ctx, r, StatusCancelled, "")
	case earlier > 0:
		return river.JobSnooze(2 * time.Second) // an older import of this org goes first
	}
	path := s.path(r.StoredName)
	if path == "" {
		return s.endImport(ctx, r, StatusFailed, "The uploaded file is no longer available, so nothing was imported. Upload it again.")
	}
	if _, err := os.Stat(path); err != nil {
		return s.endImport(ctx, r, StatusFailed, "The uploaded file is no longer available, so nothing was imported. Upload it again.")
	}

	conn, err := s.tenant.Conn().Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("contact: import %d: %w", importID, err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("contact: import %d: %w", importID, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// The same binding as db.Tenant.InOrg, on a pgx transaction because
	// COPY needs pgx: RLS confines every statement below to this org.
	if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true), set_config('statement_timeout', '1h', true),
		set_config('work_mem', '256MB', true)`, strconv.FormatInt(orgID, 10)); err != nil {
		return fmt.Errorf("contact: import %d: bind org: %w", importID, err)
	}
	var locked bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended('tidings:contact-import:' || $1::bigint, 0))`,
		orgID).Scan(&locked); err != nil {
		return fmt.Errorf("contact: import %d: lock: %w", importID, err)
	}
	if !locked {
		return river.JobSnooze(2 * time.Second) // another import of this org is running
	}
	started := s.clock.Now()
	var cancelled bool
	err = s.tenant.InOrg(ctx, orgID, 0, func(gtx *gorm.DB) error {
		var rows []struct{ CancelRequested bool }
		err := gtx.Raw(`UPDATE contact_imports SET status = 'running', phase = ?, started_at = ?, error = '', rows_read = 0,
				rows_imported = 0, rows_updated = 0, rows_skipped = 0, rows_duplicate = 0, rows_rejected = 0
			WHERE org_id = ? AND id = ? AND status IN ('queued', 'running') RETURNING cancel_requested`,
			PhaseReading, started, orgID, importID).Scan(&rows).Error
		cancelled = len(rows) == 0 || rows[0].CancelRequested
		return err
	})
	if err != nil {
		return fmt.Errorf("contact: import %d: start: %w", importID, err)
	}
	if cancelled {
		return s.endImport(ctx, r, StatusCancelled, "")
	}

	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	prog := &progress{}
	progDone := make(chan struct{})
	go func() {
		defer close(progDone)
		s.reportProgress(runCtx, orgID, importID, prog, stop)
	}()
	im := r.model()
	counts, err := s.load(runCtx, tx, im, path, prog)
	if err == nil {
		err = s.finish(runCtx, tx, im, counts, prog, progDone, stop)
	}
	stop(nil)
	<-progDone

	var fp *FileProblem
	switch {
	case err == nil:
		_ = os.Remove(path)
		if counts.Imported+counts.Updated >= analyzeAfter {
			s.analyze(ctx, orgID)
		}
		s.log.InfoContext(ctx, "contact import finished", "org_id", orgID, "import_id", importID, "read", counts.Read,
			"imported", counts.Imported, "updated", counts.Updated, "skipped", counts.Skipped, "duplicate", counts.Duplicate,
			"rejected", counts.Rejected, "load_seconds", prog.copyTime.Seconds(), "merge_seconds", prog.mergeTime.Seconds())
		return s.tenant.InOrg(context.WithoutCancel(ctx), orgID, 0, func(gtx *gorm.DB) error {
			return audit.Record(gtx, audit.Entry{OrgID: orgID, ActorID: im.CreatedBy, Action: "contact.import.finish",
				Target: "import:" + strconv.FormatInt(importID, 10), At: s.clock.Now(), Detail: map[string]any{
					"read": counts.Read, "imported": counts.Imported, "updated": counts.Updated, "skipped": counts.Skipped,
					"duplicate": counts.Duplicate, "rejected": counts.Rejected}})
		})
	case errors.Is(err, errCancelled) || errors.Is(context.Cause(runCtx), errCancelled):
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return s.endImport(ctx, r, StatusCancelled, "")
	case errors.As(err, &fp):
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return s.endImport(ctx, r, StatusFailed, fp.Message)
	case lastAttempt:
		_ = tx.Rollback(context.WithoutCancel(ctx))
		_ = s.endImport(ctx, r, StatusFailed, "The import failed because of a problem on our side; nothing was imported. Please try again.")
		return err
	default:
		// River retries later (worker stopping, database restart): show the
		// import as waiting again; nothing of this attempt was committed.
		_ = tx.Rollback(context.WithoutCancel(ctx))
		_ = s.tenant.InOrg(context.WithoutCancel(ctx), orgID, 0, func(gtx *gorm.DB) error {
			return gtx.Exec(`UPDATE contact_imports SET status = 'queued', phase = '' WHERE org_id = ? AND id = ? AND status = 'running'`,
				orgID, importID).Error
		})
		return err
	}
}

// analyzeAfter is how many written contacts make an import refresh the
// table's statistics at once rather than waiting for autovacuum.
const analyzeAfter = 10_000

func (s *Service) analyze(ctx context.Context, orgID int64) {
	err := s.tenant.InOrg(context.WithoutCancel(ctx), orgID, 0, func(tx *gorm.DB) error {
		return tx.Exec(`SELECT contacts_analyze()`).Error
	})
	if err != nil {
		s.log.WarnContext(ctx, "contact import: statistics not refreshed", "org_id", orgID, "error", err)
	}
}

// endImport marks an import cancelled or failed (with a message for the
// user) and deletes its file.
func (s *Service) endImport(ctx context.Context, r importRow, status, message string) error {
	err := s.tenant.InOrg(context.WithoutCancel(ctx), r.OrgID, 0, func(tx *gorm.DB) error {
		return tx.Exec(`UPDATE contact_imports SET status = ?, phase = '', error = ?, stored_name = '', finished_at = ?
			WHERE org_id = ? AND id = ? AND status NOT IN ('finished', 'failed', 'cancelled')`,
			status, message, s.clock.Now(), r.OrgID, r.ID).Error
	})
	if p := s.path(r.StoredName); p != "" {
		_ = os.Remove(p)
	}
	if err != nil {
		return fmt.Errorf("contact: end import %d: %w", r.ID, err)
	}
	return nil
}

// progress counts what the pipeline has seen so far.
type progress struct {
	read         atomic.Int64
	rejected     atomic.Int64
	phoneReject  atomic.Int64
	hasLists     atomic.Bool
	phase        atomic.Value // string
	stoppedWrite atomic.Bool
	copyTime     time.Duration // reading + COPY into staging
	mergeTime    time.Duration
}

func (p *progress) phaseName() string {
	if v, ok := p.phase.Load().(string); ok {
		return v
	}
	return PhaseReading
}

// reportProgress writes the counters every progressEvery until ctx ends,
// and cancels the run when a cancel was requested.
func (s *Service) reportProgress(ctx context.Context, orgID, importID int64, p *progress, stop context.CancelCauseFunc) {
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if p.stoppedWrite.Load() {
			return
		}
		var rows []struct{ CancelRequested bool }
		err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
			return tx.Raw(`UPDATE contact_imports SET rows_read = ?, rows_rejected = ?, phase = ?
				WHERE org_id = ? AND id = ? AND status = 'running' RETURNING cancel_requested`,
				p.read.Load(), p.rejected.Load(), p.phaseName(), orgID, importID).Scan(&rows).Error
		})
		if err != nil {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "contact import: progress not written", "import_id", importID, "error", err)
			}
			continue
		}
		if len(rows) == 0 || rows[0].CancelRequested {
			stop(errCancelled)
			return
		}
	}
}

// stageColumns are the staging table's columns, in COPY order.
var stageColumns = []string{"line", "phone", "name", "email", "language", "tags", "attrs", "lists", "reason", "value", "record", "suspect"}

// load stages the file's rows with COPY and merges them into contacts; it
// returns the counts.
func (s *Service) load(ctx context.Context, tx pgx.Tx, im Import, path string, prog *progress) (Counts, error) {
	fresh, err := s.freshOrg(ctx, tx, im)
	if err != nil {
		return Counts{}, err
	}
	if fresh && !slices.ContainsFunc(im.Settings.Columns, func(c Column) bool { return c.Kind == ColList }) {
		if _, err := tx.Exec(ctx, `SAVEPOINT fresh_load`); err != nil {
			return Counts{}, fmt.Errorf("contact: import %d: %w", im.ID, err)
		}
		t0 := time.Now()
		c, err := s.loadFresh(ctx, tx, im, path, prog)
		prog.mergeTime = time.Since(t0) - prog.copyTime
		if !errors.Is(err, errNotFresh) {
			return c, err
		}
		s.log.InfoContext(ctx, "contact import: the org gained contacts meanwhile; merging", "org_id", im.OrgID, "import_id", im.ID)
		if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT fresh_load`); err != nil {
			return Counts{}, fmt.Errorf("contact: import %d: %w", im.ID, err)
		}
		prog.read.Store(0)
		prog.rejected.Store(0)
		prog.phoneReject.Store(0)
		prog.hasLists.Store(false)
		prog.phase.Store(PhaseReading)
	}
	c, err := s.stage(ctx, tx, im, path, prog)
	if err != nil {
		return c, err
	}
	prog.phase.Store(PhaseMerging)
	t1 := time.Now()
	defer func() { prog.mergeTime = time.Since(t1) }()
	return s.merge(ctx, tx, im, c, prog.hasLists.Load())
}

// stage streams the file into a temporary staging table with COPY.
func (s *Service) stage(ctx context.Context, tx pgx.Tx, im Import, path string, prog *progress) (Counts, error) {
	var c Counts
	// Temporary: no WAL, no other session sees it, gone at commit.
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_stage (
		line int4 NOT NULL, phone text COLLATE "C", name text, email text, language text, tags text[], attrs text,
		lists text[], reason text, value text, record text[], suspect bool) ON COMMIT DROP`); err != nil {
		return c, fmt.Errorf("contact: import %d: staging: %w", im.ID, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return c, fmt.Errorf("contact: import %d: open file: %w", im.ID, err)
	}
	defer f.Close()

	format := fileFormat{Encoding: im.Encoding, Delimiter: []rune(im.Delimiter + ",")[0]}
	t0 := time.Now()
	pl := newPipeline(ctx, newRecordReader(f, format), newRowParser(im.Settings), im.Settings.HasHeader, s.opt.MaxRows, s.opt.Parsers, 0, prog)
	src := &stageSource{p: pl, vals: make([]any, len(stageColumns)), seen: newBloom(min(max(im.EstimatedRows, 1024), s.opt.MaxRows))}
	defer src.seen.free()
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"import_stage"}, stageColumns, src)
	pl.wait()
	if perr := pl.error(); perr != nil {
		return c, perr
	}
	if err != nil {
		return c, fmt.Errorf("contact: import %d: copy: %w", im.ID, err)
	}
	c.Read = prog.read.Load()
	c.Rejected = prog.rejected.Load()
	if n != c.Read {
		return c, fmt.Errorf("contact: import %d: staged %d of %d rows", im.ID, n, c.Read)
	}
	prog.copyTime = time.Since(t0)
	return c, noPhoneColumn(im, c, prog)
}

// merge writes the staged rows into contacts in one statement per step.
func (s *Service) merge(ctx context.Context, tx pgx.Tx, im Import, c Counts, hasLists bool) (Counts, error) {
	st := im.Settings
	now := s.clock.Now()
	args := pgx.NamedArgs{"org": im.OrgID, "imp": im.ID, "now": now, "user": nullID(im.CreatedBy)}
	lists := st.Mode != ModeSuppress && (hasLists || len(st.ListIDs) > 0)
	allLists := lists && st.Mode == ModeAddUpdate && slices.Contains(st.UpdateFields, UpdateLists)
	if lists {
		args["listids"] = st.ListIDs
		if st.ListIDs == nil {
			args["listids"] = []int64{}
		}
		if hasLists {
			if _, err := tx.Exec(ctx, `INSERT INTO contact_lists (org_id, name, created_at, updated_at)
				SELECT DISTINCT ON (lower(l)) @org, l, @now, @now
				FROM import_stage s, unnest(s.lists) l WHERE s.reason IS NULL ORDER BY lower(l), l
				ON CONFLICT (org_id, lower(name)) DO NOTHING`, args); err != nil {
				return c, fmt.Errorf("contact: import %d: lists: %w", im.ID, err)
			}
		}
	}

	newState, kind := newContactConsent(st)
	args["att"] = nil
	if st.Mode != ModeSuppress && st.OptedIn {
		args["att"] = im.AttestationID
	}
	args["state"], args["kind"] = newState, kind
	var err error
	if args["event"], err = reserveImportEvent(ctx, tx, im, args); err != nil {
		return c, err
	}

	// unchanged is the condition under which an existing contact c is left
	// as it is by the file's row w: such rows are left out before the
	// upsert. (ON CONFLICT DO UPDATE … WHERE changed locks every existing
	// row it meets, changed or not, dirtying every page and holding the
	// lock until the import commits: re-importing an unchanged file of
	// 19,601 contacts right after a checkpoint wrote 6.16 MB of WAL that
	// way, against 2 KB with DO NOTHING; bench-import -again at 100k rows,
	// two runs each: 1.20–1.24 s before, 0.87–0.89 s after.)
	var conflict, unchanged string
	switch st.Mode {
	case ModeAddNew:
		conflict = `DO NOTHING`
	case ModeSuppress:
		conflict = `DO UPDATE SET consent_state = 'opted_out', import_ids = c.import_ids || @imp::bigint, updated_at = @now
			WHERE c.consent_state <> 'opted_out'`
		unchanged = `c.consent_state = 'opted_out'`
	case ModeAddUpdate:
		// changes are the conditions under which the new values (%[1]s:
		// excluded in the upsert, the row w in the test below) change c.
		var sets, changes []string
		allow := func(f string) bool { return slices.Contains(st.UpdateFields, f) }
		for _, f := range []struct{ field, col string }{{UpdateName, "name"}, {UpdateEmail, "email"}, {UpdateLanguage, "language"}} {
			if allow(f.field) {
				sets = append(sets, fmt.Sprintf(`%[1]s = CASE WHEN excluded.%[1]s <> '' THEN excluded.%[1]s ELSE c.%[1]s END`, f.col))
				changes = append(changes, `(%[1]s.`+f.col+` <> '' AND %[1]s.`+f.col+` <> c.`+f.col+`)`)
			}
		}
		if allow(UpdateAttributes) {
			sets = append(sets, `attributes = c.attributes || excluded.attributes`)
			changes = append(changes, `NOT c.attributes @> %[1]s.attributes`)
		}
		if allow(UpdateTags) {
			sets = append(sets, `tags = CASE WHEN c.tags @> excluded.tags THEN c.tags
				ELSE ARRAY(SELECT DISTINCT x COLLATE "C" FROM unnest(c.tags || excluded.tags) x ORDER BY 1) END`)
			changes = append(changes, `NOT c.tags @> %[1]s.tags`)
		}
		if len(sets) == 0 {
			conflict = `DO NOTHING`
		} else {
			changed := strings.Join(changes, " OR ")
			conflict = `DO UPDATE SET ` + strings.Join(sets, ", ") + `, import_ids = c.import_ids || @imp::bigint, updated_at = @now
				WHERE ` + fmt.Sprintf(changed, "excluded")
			unchanged = `(` + fmt.Sprintf(changed, "w") + `) IS NOT TRUE`
		}
	default:
		return c, fmt.Errorf("contact: import %d: unknown mode %q", im.ID, st.Mode)
	}
	leaveOut := ""
	if unchanged != "" {
		leaveOut = ` AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.org_id = @org AND c.phone_e164 = w.phone AND ` + unchanged + `)`
	}
	// New contacts share the import's event (import_event_id); in
	// suppress mode the existing contacts it opts out get one each.
	events := ""
	if kind != nil && st.Mode == ModeSuppress {
		events = `, ev AS (
			INSERT INTO consent_events (org_id, contact_id, kind, source, lawful_basis, evidence, attestation_id, import_id, actor_user_id, at)
			SELECT @org, up.id, ` + importEventSQL + ` FROM up WHERE NOT up.inserted)`
	}
	members, returnPhone := "", ""
	if lists && !allLists {
		returnPhone = "c.phone_e164 AS phone, "
		members = `, mem AS (
			INSERT INTO contact_list_members (org_id, list_id, contact_id, added_at)
			SELECT @org, l.id, up.id, @now
			FROM up JOIN w ON w.phone = up.phone AND w.line = w.first_line
			JOIN contact_lists l ON l.org_id = @org
			  AND (lower(l.name) IN (SELECT lower(x) FROM unnest(w.lists) x) OR l.id = ANY (@listids::bigint[]))
			WHERE up.inserted
			ON CONFLICT DO NOTHING)`
	}
	// One sort of the staged rows by (phone, line) serves both the
	// de-duplication (the first line of each number wins) and the report of
	// the other lines as duplicates; rows reach the unique index in key
	// order. Only rows that change are written (the ON CONFLICT … WHERE).
	q := `WITH w AS (
		SELECT line, phone, name, email, language, tags, attrs::jsonb AS attributes, lists, record,
		       first_value(line) OVER (PARTITION BY phone ORDER BY line) AS first_line
		FROM import_stage WHERE reason IS NULL
	), up AS (
		INSERT INTO contacts AS c (org_id, phone_e164, name, email, language, attributes, tags, consent_state, import_event_id, import_ids, created_by, created_at, updated_at)
		SELECT @org, phone, name, email, language, attributes, tags, @state, @event::bigint, ARRAY[@imp::bigint], @user::bigint, @now, @now
		FROM w WHERE line = first_line` + leaveOut + `
		ON CONFLICT (org_id, phone_e164) ` + conflict + `
		RETURNING c.id, ` + returnPhone + `(c.xmax = 0) AS inserted
	), dup AS (
		INSERT INTO contact_import_rejects (org_id, import_id, line, reason, value, record)
		SELECT @org, @imp, line, 'duplicate of line ' || first_line, phone, record FROM w WHERE line <> first_line
		RETURNING 1
	)` + events + members + `
	SELECT (SELECT count(*) FROM up WHERE inserted), (SELECT count(*) FROM up WHERE NOT inserted), (SELECT count(*) FROM dup)`
	if err := tx.QueryRow(ctx, q, args).Scan(&c.Imported, &c.Updated, &c.Duplicate); err != nil {
		return c, fmt.Errorf("contact: import %d: merge: %w", im.ID, err)
	}
	if err := writeImportEvent(ctx, tx, im, args, c.Imported); err != nil {
		return c, err
	}
	// Every staged valid row is a number's first line or a duplicate.
	c.Skipped = c.Read - c.Rejected - c.Duplicate - c.Imported - c.Updated

	if allLists {
		// Existing contacts join the file's lists too; one that changed only
		// that way counts as updated and records this upload as a source.
		var touched int64
		if err := tx.QueryRow(ctx, `WITH r AS (
				SELECT DISTINCT ON (phone) phone, lists FROM import_stage WHERE reason IS NULL ORDER BY phone, line
			), ins AS (
				INSERT INTO contact_list_members (org_id, list_id, contact_id, added_at)
				SELECT @org, l.id, c.id, @now
				FROM r JOIN contacts c ON c.org_id = @org AND c.phone_e164 = r.phone
				JOIN contact_lists l ON l.org_id = @org
				  AND (lower(l.name) IN (SELECT lower(x) FROM unnest(r.lists) x) OR l.id = ANY (@listids::bigint[]))
				ON CONFLICT DO NOTHING RETURNING contact_id
			), touched AS (
				UPDATE contacts c SET import_ids = c.import_ids || @imp::bigint, updated_at = @now
				WHERE c.org_id = @org AND c.id IN (SELECT contact_id FROM ins) AND NOT (@imp::bigint = ANY (c.import_ids))
				RETURNING 1
			) SELECT count(*) FROM touched`, args).Scan(&touched); err != nil {
			return c, fmt.Errorf("contact: import %d: list members: %w", im.ID, err)
		}
		c.Updated += touched
		c.Skipped -= touched
	}

	if _, err := tx.Exec(ctx, `INSERT INTO contact_import_rejects (org_id, import_id, line, reason, value, record)
		SELECT @org, @imp, line, reason, value, record FROM import_stage WHERE reason IS NOT NULL`, args); err != nil {
		return c, fmt.Errorf("contact: import %d: rejected rows: %w", im.ID, err)
	}
	return c, nil
}

// finish records the outcome in the import's transaction and commits,
// unless a cancel came first.
func (s *Service) finish(ctx context.Context, tx pgx.Tx, im Import, c Counts, prog *progress, progDone <-chan struct{}, stop context.CancelCauseFunc) error {
	// Stop the progress writer first: its UPDATE would wait on our row lock.
	prog.stoppedWrite.Store(true)
	stop(nil)
	<-progDone
	var id int64
	err := tx.QueryRow(context.WithoutCancel(ctx), `UPDATE contact_imports SET status = 'finished', phase = '', stored_name = '',
			rows_read = $1, rows_imported = $2, rows_updated = $3, rows_skipped = $4, rows_duplicate = $5, rows_rejected = $6, finished_at = $7
		WHERE org_id = $8 AND id = $9 AND NOT cancel_requested RETURNING id`,
		c.Read, c.Imported, c.Updated, c.Skipped, c.Duplicate, c.Rejected, s.clock.Now(), im.OrgID, im.ID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return errCancelledLate
	}
	if err != nil {
		return fmt.Errorf("contact: import %d: finish: %w", im.ID, err)
	}
	if err := tx.Commit(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("contact: import %d: commit: %w", im.ID, err)
	}
	return nil
}

var errCancelledLate = fmt.Errorf("%w (while finishing)", errCancelled)

// pipeline reads records in one goroutine, parses them in several, and
// hands staged rows to COPY through bounded channels: memory stays flat
// whatever the file's size.
type pipeline struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	rr      *recordReader
	parser  *rowParser
	header  bool
	maxRows int64
	prog    *progress

	work    chan *recBatch
	out     chan *rowBatch
	freeRec chan *recBatch
	freeRow chan *rowBatch
	wg      sync.WaitGroup
	errMu   sync.Mutex
	err     error

	// The consumer's state: batches that arrived before their turn.
	nextSeq int
	early   map[int]*rowBatch
}

const batchRows = 512

type recBatch struct {
	seq   int
	lines []int32
	errs  []string
	offs  []int
	cells []string
}

// rowBatch is a recBatch parsed; it keeps its recBatch (rec) so the
// consumer can read a row's raw cells, and hands both back when done.
type rowBatch struct {
	seq  int
	rows []stagedRow
	idx  []int32 // idx[i]: the record of rows[i] in rec
	rec  *recBatch
}

// cells returns the raw cells of rows[i].
func (b *rowBatch) cells(i int) []string {
	j := b.idx[i]
	return b.rec.cells[b.rec.offs[j]:b.rec.offs[j+1]]
}

// ahead is how many parsed rows may wait for the consumer (beyond a few
// batches): room to parse on while the database merges a chunk.
func newPipeline(ctx context.Context, rr *recordReader, parser *rowParser, header bool, maxRows int64, workers, ahead int, prog *progress) *pipeline {
	ctx, cancel := context.WithCancelCause(ctx)
	buffered := 2*workers + ahead/batchRows
	p := &pipeline{ctx: ctx, cancel: cancel, rr: rr, parser: parser, header: header, maxRows: maxRows, prog: prog,
		work: make(chan *recBatch, 2*workers), out: make(chan *rowBatch, buffered),
		freeRec: make(chan *recBatch, 4*workers+2), freeRow: make(chan *rowBatch, 4*workers+2), early: map[int]*rowBatch{}}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(p.work)
		if err := p.read(); err != nil {
			p.fail(err)
		}
	}()
	var parsers sync.WaitGroup
	for range workers {
		parsers.Add(1)
		go func() {
			defer parsers.Done()
			p.parse()
		}()
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		parsers.Wait()
		close(p.out)
	}()
	return p
}

func (p *pipeline) fail(err error) {
	p.errMu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.errMu.Unlock()
	p.cancel(err)
}

func (p *pipeline) error() error {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.err
}

// wait stops the pipeline and waits for its goroutines.
func (p *pipeline) wait() {
	p.cancel(context.Canceled)
	p.wg.Wait()
}

func (p *pipeline) read() error {
	b := p.newRec()
	seq := 0
	skipHeader := p.header
	send := func() error {
		b.seq = seq
		seq++
		select {
		case p.work <- b:
		case <-p.ctx.Done():
			return context.Cause(p.ctx)
		}
		b = p.newRec()
		return nil
	}
	for {
		rec, line, err := p.rr.read()
		if err == io.EOF {
			break
		}
		reason := ""
		if err != nil {
			if !isParseError(err) {
				return err
			}
			reason = parseErrorReason(err)
		}
		if reason == "" && isBlank(rec) {
			continue
		}
		if skipHeader {
			skipHeader = false
			continue
		}
		if p.prog.read.Add(1) > p.maxRows {
			return fileProblem("too_many_rows", "The file has more than %s rows, the most one import can take. Split it into smaller files and import them one after another.", groupDigits(p.maxRows))
		}
		b.lines = append(b.lines, int32(line))
		b.errs = append(b.errs, reason)
		b.cells = append(b.cells, rec...)
		b.offs = append(b.offs, len(b.cells))
		if len(b.lines) == batchRows {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if len(b.lines) > 0 {
		return send()
	}
	return nil
}

func (p *pipeline) newRec() *recBatch {
	select {
	case b := <-p.freeRec:
		b.lines, b.errs, b.offs, b.cells = b.lines[:0], b.errs[:0], b.offs[:1], b.cells[:0]
		return b
	default:
		return &recBatch{offs: []int{0}}
	}
}

func (p *pipeline) parse() {
	for b := range p.work {
		var rb *rowBatch
		select {
		case rb = <-p.freeRow:
		default:
			rb = &rowBatch{}
		}
		rb.seq, rb.rec = b.seq, b
		rb.rows, rb.idx = rb.rows[:cap(rb.rows)], rb.idx[:0]
		n := 0
		for i := range b.lines {
			if n == len(rb.rows) {
				rb.rows = append(rb.rows, stagedRow{})
			}
			cells := b.cells[b.offs[i]:b.offs[i+1]]
			out := &rb.rows[n]
			if b.errs[i] != "" {
				*out = stagedRow{line: b.lines[i], reason: b.errs[i], record: cellsCopy(cells)}
			} else if !p.parser.parse(int(b.lines[i]), cells, out) {
				continue
			}
			if out.reason != "" {
				p.prog.rejected.Add(1)
				if out.reason == "missing phone" || strings.HasPrefix(out.reason, "not a valid phone number") {
					p.prog.phoneReject.Add(1)
				}
			}
			if len(out.lists) > 0 {
				p.prog.hasLists.Store(true)
			}
			rb.idx = append(rb.idx, int32(i))
			n++
		}
		rb.rows = rb.rows[:n]
		select {
		case p.out <- rb:
		case <-p.ctx.Done():
			// Drain so the reader never blocks on a full channel.
			for range p.work {
			}
			return
		}
	}
}

// next hands back done (when not nil) for reuse and returns the next
// batch in file order: parsers finish out of order, and the first line of
// a number must be seen first. It returns nil at the end or on failure
// (see error and the context's cause).
func (p *pipeline) next(done *rowBatch) *rowBatch {
	if done != nil {
		select {
		case p.freeRec <- done.rec:
		default:
		}
		done.rec = nil
		select {
		case p.freeRow <- done:
		default:
		}
	}
	for {
		if b, ok := p.early[p.nextSeq]; ok {
			delete(p.early, p.nextSeq)
			p.nextSeq++
			return b
		}
		select {
		case b, ok := <-p.out:
			if !ok {
				return nil
			}
			p.early[b.seq] = b
		case <-p.ctx.Done():
			return nil
		}
	}
}

// cause is why next returned nil: nil at the end of the file.
func (p *pipeline) cause() error {
	if err := p.error(); err != nil {
		return err
	}
	if p.ctx.Err() != nil {
		return context.Cause(p.ctx)
	}
	return nil
}

// recordOf is the raw cells of a row for the rejected-rows file; it copies
// only when a cell must be shortened.
func recordOf(cells []string) []string {
	for _, c := range cells {
		if len(c) > maxAttrLen {
			return cellsCopy(cells)
		}
	}
	return cells
}

func cellsCopy(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		if len(c) > maxAttrLen {
			c = strings.ToValidUTF8(c[:maxAttrLen], "") + "…"
		}
		out[i] = c
	}
	return out
}

// stageSource is the pgx.CopyFromSource over the pipeline's output. It
// flags a valid row whose number may have come earlier in the file as a
// suspect (seen: no false negatives), and keeps the cells only of those,
// which alone can be reported as duplicates.
type stageSource struct {
	waited time.Duration
	p      *pipeline
	seen   *bloom
	cur    *rowBatch
	i      int
	vals   []any
	err    error
}

func (s *stageSource) Next() bool {
	for {
		if s.cur != nil && s.i+1 < len(s.cur.rows) {
			s.i++
			return true
		}
		t := time.Now()
		s.cur, s.i = s.p.next(s.cur), -1
		s.waited += time.Since(t)
		if s.cur == nil {
			s.err = s.p.cause()
			return false
		}
	}
}

func (s *stageSource) Values() ([]any, error) {
	r := &s.cur.rows[s.i]
	v := s.vals
	v[0] = r.line
	if r.reason != "" {
		v[1], v[2], v[3], v[4], v[5], v[6], v[7] = nil, nil, nil, nil, nil, nil, nil
		v[8], v[9], v[10], v[11] = r.reason, r.value, r.record, false
		return v, nil
	}
	key, ok := phoneKey(r.phone)
	suspect := !ok || s.seen.add(key)
	v[1], v[2], v[3], v[4], v[6] = r.phone, r.name, r.email, r.language, r.attrs
	v[10], v[11] = nil, suspect
	if suspect {
		v[10] = recordOf(s.cur.cells(s.i))
	}
	if r.tags == nil {
		v[5] = emptyTags
	} else {
		v[5] = r.tags
	}
	if len(r.lists) == 0 {
		v[7] = nil
	} else {
		v[7] = r.lists
	}
	v[8], v[9] = nil, nil
	return v, nil
}

var emptyTags = []string{}

func (s *stageSource) Err() error { return s.err }
