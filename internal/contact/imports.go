package contact

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"tidings/internal/audit"
	"tidings/internal/platform/db"
)

// importRow is a contact_imports row.
type importRow struct {
	OrgID           int64
	ID              int64
	CreatedBy       sql.NullInt64
	Filename        string
	StoredName      string
	SizeBytes       int64
	Status          string
	Phase           string
	Encoding        string
	Delimiter       string
	HasHeader       bool
	Header          jsonStrings
	EstimatedRows   int64
	Settings        []byte
	AttestationID   sql.NullInt64
	RowsRead        int64
	RowsImported    int64
	RowsUpdated     int64
	RowsSkipped     int64
	RowsDuplicate   int64
	RowsRejected    int64
	Error           string
	CancelRequested bool
	CreatedAt       time.Time
	QueuedAt        *time.Time
	StartedAt       *time.Time
	FinishedAt      *time.Time
}

const importCols = `org_id, id, created_by, filename, stored_name, size_bytes, status, phase, encoding, delimiter, has_header,
  to_json(header) AS header, estimated_rows, settings::text AS settings, attestation_id, rows_read, rows_imported, rows_updated,
  rows_skipped, rows_duplicate, rows_rejected, error, cancel_requested, created_at, queued_at, started_at, finished_at`

func (r importRow) model() Import {
	im := Import{ID: r.ID, OrgID: r.OrgID, CreatedBy: r.CreatedBy.Int64, Filename: r.Filename, SizeBytes: r.SizeBytes,
		Status: r.Status, Phase: r.Phase, Encoding: r.Encoding, Delimiter: r.Delimiter, HasHeader: r.HasHeader, Header: r.Header,
		EstimatedRows: r.EstimatedRows, AttestationID: r.AttestationID.Int64, Error: r.Error, CancelAsked: r.CancelRequested,
		CreatedAt: r.CreatedAt, QueuedAt: r.QueuedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Counts: Counts{Read: r.RowsRead, Imported: r.RowsImported, Updated: r.RowsUpdated, Skipped: r.RowsSkipped,
			Duplicate: r.RowsDuplicate, Rejected: r.RowsRejected}}
	_ = json.Unmarshal(r.Settings, &im.Settings) // written by us; an empty object before Confirm
	return im
}

func loadImport(tx *gorm.DB, orgID, id int64, lock bool) (importRow, error) {
	q := `SELECT ` + importCols + ` FROM contact_imports WHERE org_id = ? AND id = ?`
	if lock {
		q += ` FOR UPDATE`
	}
	var rows []importRow
	if err := tx.Raw(q, orgID, id).Scan(&rows).Error; err != nil {
		return importRow{}, fmt.Errorf("contact: load import %d: %w", id, err)
	}
	if len(rows) == 0 {
		return importRow{}, ErrNotFound
	}
	return rows[0], nil
}

// path is where an import's upload is stored, or "" when it is gone.
func (s *Service) path(storedName string) string {
	if storedName == "" || storedName != filepath.Base(storedName) || strings.HasPrefix(storedName, ".") {
		return ""
	}
	return filepath.Join(s.opt.UploadDir, storedName)
}

// CreateImport stores an upload (streamed to disk, never held in memory)
// and reads its head: encoding, delimiter, header, the first rows and a
// guessed mapping. A *FileProblem says why the file cannot be imported
// (too large, empty, not text, a spreadsheet…); nothing is kept then.
//
// The handler should pass the multipart part itself (multipart.Reader),
// not a form parsed into memory, and bound the request with
// MaxUploadBytes plus a little.
func (s *Service) CreateImport(ctx context.Context, orgID, userID int64, filename string, body io.Reader) (Import, Preview, error) {
	if err := s.uploadDir(); err != nil {
		return Import{}, Preview{}, err
	}
	f, err := os.CreateTemp(s.opt.UploadDir, "import-*.upload")
	if err != nil {
		return Import{}, Preview{}, fmt.Errorf("contact: store upload: %w", err)
	}
	path := f.Name()
	n, err := io.Copy(f, io.LimitReader(body, s.opt.MaxUploadBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return Import{}, Preview{}, fmt.Errorf("contact: store upload: %w", err)
	}
	return s.createImport(ctx, orgID, userID, filename, path, n)
}

// CreateImportFromFile is CreateImport for a file the caller already
// streamed to disk: it is moved into the upload folder (copied when that
// is on another file system) and is the service's from then on.
func (s *Service) CreateImportFromFile(ctx context.Context, orgID, userID int64, filename, path string) (Import, Preview, error) {
	if err := s.uploadDir(); err != nil {
		return Import{}, Preview{}, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Import{}, Preview{}, fmt.Errorf("contact: uploaded file: %w", err)
	}
	dst, err := os.CreateTemp(s.opt.UploadDir, "import-*.upload")
	if err != nil {
		return Import{}, Preview{}, fmt.Errorf("contact: store upload: %w", err)
	}
	_ = dst.Close()
	if fi.Size() > s.opt.MaxUploadBytes {
		_ = os.Remove(dst.Name())
		_ = os.Remove(path)
		return Import{}, Preview{}, fileProblem("too_large", "The file is larger than %s. Split it into smaller files and import them one after another.", sizeWords(s.opt.MaxUploadBytes))
	}
	if err := os.Rename(path, dst.Name()); err != nil {
		src, oerr := os.Open(path)
		if oerr != nil {
			_ = os.Remove(dst.Name())
			return Import{}, Preview{}, fmt.Errorf("contact: store upload: %w", oerr)
		}
		defer src.Close()
		_ = os.Remove(dst.Name())
		return s.CreateImport(ctx, orgID, userID, filename, src)
	}
	return s.createImport(ctx, orgID, userID, filename, dst.Name(), fi.Size())
}

func (s *Service) uploadDir() error {
	if s.opt.UploadDir == "" {
		return errors.New("contact: no upload folder configured")
	}
	if err := os.MkdirAll(s.opt.UploadDir, 0o700); err != nil {
		return fmt.Errorf("contact: upload folder: %w", err)
	}
	return nil
}

func (s *Service) createImport(ctx context.Context, orgID, userID int64, filename, path string, n int64) (Import, Preview, error) {
	keep := false
	defer func() {
		if !keep {
			_ = os.Remove(path)
		}
	}()
	if n > s.opt.MaxUploadBytes {
		return Import{}, Preview{}, fileProblem("too_large", "The file is larger than %s. Split it into smaller files and import them one after another.", sizeWords(s.opt.MaxUploadBytes))
	}
	head, err := analyse(path, s.opt.MaxRows, true)
	if err != nil {
		return Import{}, Preview{}, err
	}
	if !hasPhoneColumn(head.header, head.rows) {
		return Import{}, Preview{}, fileProblem("no_phone_column", "This file has no column of phone numbers: no column is headed like one (Phone, Mobile, WhatsApp…) and none of the first %d rows holds a number. Every contact needs a phone number: add a column of them and upload the file again.", len(head.rows))
	}
	filename = cleanText(filepath.Base(strings.ReplaceAll(filename, `\`, "/")))
	if filename == "" || filename == "." || filename == "/" {
		filename = "contacts.csv"
	}
	if len(filename) > 200 {
		filename = filename[:200]
	}
	now := s.clock.Now()
	var im Import
	err = s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		var id int64
		if err := tx.Raw(`INSERT INTO contact_imports (org_id, created_by, filename, stored_name, size_bytes, status, encoding,
				delimiter, has_header, header, estimated_rows, created_at)
			VALUES (?, ?, ?, ?, ?, 'uploaded', ?, ?, ?, ?, ?, ?) RETURNING id`,
			orgID, nullID(userID), filename, filepath.Base(path), n, head.format.Encoding, string(head.format.Delimiter),
			head.hasHeader, db.TextArray(head.header), head.estimatedRows, now).Scan(&id).Error; err != nil {
			return fmt.Errorf("contact: create import: %w", err)
		}
		if err := audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "contact.import.upload",
			Target: "import:" + strconv.FormatInt(id, 10), Detail: map[string]any{"bytes": n}, At: now}); err != nil {
			return err
		}
		r, err := loadImport(tx, orgID, id, false)
		im = r.model()
		return err
	})
	if err != nil {
		return Import{}, Preview{}, err
	}
	keep = true
	return im, head.preview(), nil
}

func sizeWords(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", max(n>>10, 1))
}

// fileHead is what analyse learns from a file.
type fileHead struct {
	format        fileFormat
	hasHeader     bool
	header        []string
	rows          [][]string
	estimatedRows int64
}

func (h fileHead) preview() Preview {
	return Preview{Encoding: h.format.Encoding, Delimiter: string(h.format.Delimiter), HasHeader: h.hasHeader,
		Header: h.header, Rows: h.rows, EstimatedRows: h.estimatedRows, Guess: guessColumns(h.header, h.rows, h.hasHeader)}
}

// analyse sniffs a stored file and reads its first rows; with count it
// also estimates the rows and enforces maxRows.
func analyse(path string, maxRows int64, count bool) (fileHead, error) {
	var h fileHead
	f, err := os.Open(path)
	if err != nil {
		return h, fmt.Errorf("contact: open upload: %w", err)
	}
	defer f.Close()
	sample := make([]byte, sniffBytes)
	n, err := io.ReadFull(f, sample)
	atEOF := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !atEOF {
		return h, fmt.Errorf("contact: read upload: %w", err)
	}
	sample = sample[:n]
	enc, err := sniffEncoding(sample, atEOF)
	if err != nil {
		return h, err
	}
	dec := sample
	if !atEOF && (enc == EncUTF16LE || enc == EncUTF16BE) {
		dec = dec[:len(dec)&^1]
	}
	text, _ := io.ReadAll(decoder(bytes.NewReader(dec), enc))
	h.format = fileFormat{Encoding: enc, Delimiter: sniffDelimiter(string(text), atEOF)}

	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return h, fmt.Errorf("contact: read upload: %w", err)
	}
	rr := newRecordReader(f, h.format)
	var recs [][]string
	for len(recs) < PreviewRows+1 {
		rec, _, err := rr.read()
		if err == io.EOF {
			break
		}
		var fp *FileProblem
		if errors.As(err, &fp) {
			return h, err
		}
		if err != nil && !isParseError(err) {
			return h, err
		}
		if isBlank(rec) {
			continue
		}
		recs = append(recs, append([]string(nil), rec...))
	}
	if len(recs) == 0 {
		return h, fileProblem("empty", "The file has no rows.")
	}
	var second []string
	if len(recs) > 1 {
		second = recs[1]
	}
	h.hasHeader = looksLikeHeader(recs[0], second)
	data := recs
	if h.hasHeader {
		h.header, data = recs[0], recs[1:]
		if len(data) == 0 {
			return h, fileProblem("empty", "The file has a header row but no contacts under it.")
		}
	}
	h.rows = data[:min(len(data), PreviewRows)]
	ncols := len(h.header)
	for _, r := range h.rows {
		ncols = max(ncols, len(r))
	}
	for i := len(h.header); i < ncols; i++ {
		if h.hasHeader {
			h.header = append(h.header, "")
		} else {
			h.header = append(h.header, "Column "+strconv.Itoa(i+1))
		}
	}
	for i := range h.header {
		h.header[i] = cleanText(h.header[i])
		if len(h.header[i]) > 200 {
			h.header[i] = h.header[i][:200]
		}
	}
	if !count {
		return h, nil
	}
	lines, err := countLines(f, enc)
	if err != nil {
		return h, err
	}
	if h.hasHeader {
		lines--
	}
	h.estimatedRows = max(lines, int64(len(data)))
	if h.estimatedRows > maxRows {
		// Lines overcount rows with line breaks inside quotes: count exactly
		// before refusing.
		exact, err := countRecords(f, h.format, maxRows+2)
		if err != nil {
			return h, err
		}
		if h.hasHeader {
			exact--
		}
		if exact > maxRows {
			return h, fileProblem("too_many_rows", "The file has more than %s rows, the most one import can take. Split it into smaller files and import them one after another.", groupDigits(maxRows))
		}
		h.estimatedRows = exact
	}
	return h, nil
}

func isParseError(err error) bool {
	var pe *csv.ParseError
	return errors.As(err, &pe)
}

// countLines counts line breaks (plus a last unterminated line).
func countLines(f *os.File, enc string) (int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("contact: read upload: %w", err)
	}
	buf := make([]byte, 256<<10)
	var n int64
	var last byte
	for {
		k, err := f.Read(buf)
		if k > 0 {
			n += int64(bytes.Count(buf[:k], []byte{'\n'}))
			last = buf[k-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("contact: read upload: %w", err)
		}
	}
	if enc == EncUTF16LE || enc == EncUTF16BE {
		// Each UTF-16 line break is "\n\0" or "\0\n"; other code units may
		// hold a 0x0A byte too, so this stays an estimate.
		return n, nil
	}
	if last != '\n' && last != 0 {
		n++
	}
	return n, nil
}

// countRecords counts non-blank records, stopping at limit.
func countRecords(f *os.File, format fileFormat, limit int64) (int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("contact: read upload: %w", err)
	}
	rr := newRecordReader(f, format)
	var n int64
	for n < limit {
		rec, _, err := rr.read()
		if err == io.EOF {
			break
		}
		var fp *FileProblem
		if errors.As(err, &fp) {
			return 0, err
		}
		if err != nil && !isParseError(err) {
			return 0, err
		}
		if !isBlank(rec) {
			n++
		}
	}
	return n, nil
}

func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Preview reads the head of an uploaded (not yet confirmed) import again.
func (s *Service) Preview(ctx context.Context, orgID, importID int64) (Preview, error) {
	var r importRow
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		var err error
		r, err = loadImport(tx, orgID, importID, false)
		return err
	})
	if err != nil {
		return Preview{}, err
	}
	p := s.path(r.StoredName)
	if r.Status != StatusUploaded || p == "" {
		return Preview{}, ErrImportState
	}
	h, err := analyse(p, s.opt.MaxRows, false)
	if err != nil {
		return Preview{}, err
	}
	h.estimatedRows = r.EstimatedRows
	h.header = r.Header // padded when the import was created
	return h.preview(), nil
}

// ConfirmImport records the mapping and choices (and, for opted-in
// contacts, the consent attestation, which is required then) and queues
// the import. Errors are FieldErrors, ErrNotFound or ErrImportState.
func (s *Service) ConfirmImport(ctx context.Context, orgID, userID, importID int64, settings ImportSettings, att *Attestation) (Import, error) {
	if s.jobs == nil {
		return Import{}, errors.New("contact: no job inserter configured")
	}
	now := s.clock.Now()
	var im Import
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		r, err := loadImport(tx, orgID, importID, true)
		if err != nil {
			return err
		}
		if r.Status != StatusUploaded || s.path(r.StoredName) == "" {
			return ErrImportState
		}
		// A custom field left unnamed is named after its column.
		for i := range settings.Columns {
			if c := &settings.Columns[i]; c.Kind == ColAttribute && strings.TrimSpace(c.Key) == "" && i < len(r.Header) {
				c.Key = r.Header[i]
			}
		}
		fe := validateSettings(&settings, len(r.Header))
		if settings.OptedIn {
			if att == nil {
				att = &Attestation{}
			}
			for k, v := range validateAttestation(att) {
				if fe == nil {
					fe = FieldErrors{}
				}
				fe[k] = v
			}
		}
		if fe != nil {
			return fe
		}
		if len(settings.ListIDs) > 0 {
			var found int64
			if err := tx.Raw(`SELECT count(*) FROM contact_lists WHERE org_id = ? AND id = ANY (?::bigint[])`, orgID, db.Int64Array(settings.ListIDs)).Scan(&found).Error; err != nil {
				return fmt.Errorf("contact: find lists: %w", err)
			}
			if found != int64(len(settings.ListIDs)) {
				return FieldErrors{"list_ids": "One of the chosen lists no longer exists."}
			}
		}
		var attID any
		if settings.OptedIn {
			var id int64
			if err := tx.Raw(`INSERT INTO consent_attestations (org_id, method, collected_on, lawful_basis, wording, attested_by, attested_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, orgID, att.Method, att.CollectedOn, att.LawfulBasis, att.Wording, nullID(userID), now).Scan(&id).Error; err != nil {
				return fmt.Errorf("contact: record attestation: %w", err)
			}
			attID = id
		}
		js, err := json.Marshal(settings)
		if err != nil {
			return fmt.Errorf("contact: settings: %w", err)
		}
		if err := tx.Exec(`UPDATE contact_imports SET settings = ?::jsonb, has_header = ?, attestation_id = ?, status = 'queued', queued_at = ?
			WHERE org_id = ? AND id = ?`, string(js), settings.HasHeader, attID, now, orgID, importID).Error; err != nil {
			return fmt.Errorf("contact: confirm import: %w", err)
		}
		sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
		if !ok {
			return errors.New("contact: confirm import: not in a database/sql transaction")
		}
		if _, err := s.jobs.InsertTx(ctx, sqlTx, ImportArgs{OrgID: orgID, ImportID: importID}, nil); err != nil {
			return fmt.Errorf("contact: enqueue import: %w", err)
		}
		if err := audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "contact.import.confirm",
			Target: "import:" + strconv.FormatInt(importID, 10), Detail: map[string]any{"mode": settings.Mode, "opted_in": settings.OptedIn}, At: now}); err != nil {
			return err
		}
		r, err = loadImport(tx, orgID, importID, false)
		im = r.model()
		return err
	})
	return im, err
}

// GetImport returns an import with its live progress; pages poll it.
func (s *Service) GetImport(ctx context.Context, orgID, importID int64) (Import, error) {
	var im Import
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		r, err := loadImport(tx, orgID, importID, false)
		im = r.model()
		return err
	})
	return im, err
}

// Imports returns the org's latest imports, newest first.
func (s *Service) Imports(ctx context.Context, orgID int64, limit int) ([]Import, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var out []Import
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		var rows []importRow
		if err := tx.Raw(`SELECT `+importCols+` FROM contact_imports WHERE org_id = ? ORDER BY id DESC LIMIT ?`, orgID, limit).Scan(&rows).Error; err != nil {
			return fmt.Errorf("contact: imports: %w", err)
		}
		for _, r := range rows {
			out = append(out, r.model())
		}
		return nil
	})
	return out, err
}

// CancelImport stops an import. One not yet running ends at once; a running
// one is asked to stop and rolls back within a second (nothing of it is
// kept). ErrImportState when it has already ended.
func (s *Service) CancelImport(ctx context.Context, orgID, userID, importID int64) (Import, error) {
	var im Import
	var remove string
	now := s.clock.Now()
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		r, err := loadImport(tx, orgID, importID, true)
		if err != nil {
			return err
		}
		switch r.Status {
		case StatusUploaded, StatusQueued:
			remove = s.path(r.StoredName)
			if err := tx.Exec(`UPDATE contact_imports SET status = 'cancelled', cancel_requested = true, stored_name = '', finished_at = ?
				WHERE org_id = ? AND id = ?`, now, orgID, importID).Error; err != nil {
				return fmt.Errorf("contact: cancel import: %w", err)
			}
		case StatusRunning:
			if err := tx.Exec(`UPDATE contact_imports SET cancel_requested = true WHERE org_id = ? AND id = ?`, orgID, importID).Error; err != nil {
				return fmt.Errorf("contact: cancel import: %w", err)
			}
		default:
			return ErrImportState
		}
		if err := audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "contact.import.cancel",
			Target: "import:" + strconv.FormatInt(importID, 10), At: now}); err != nil {
			return err
		}
		r, err = loadImport(tx, orgID, importID, false)
		im = r.model()
		return err
	})
	if err == nil && remove != "" {
		_ = os.Remove(remove) // the row no longer points at it; a leftover only costs disk
	}
	return im, err
}

// DeleteImport forgets an import that has ended (or was never confirmed):
// its row, its rejected rows and its file. Contacts it brought stay.
func (s *Service) DeleteImport(ctx context.Context, orgID, userID, importID int64) error {
	var remove string
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		r, err := loadImport(tx, orgID, importID, true)
		if err != nil {
			return err
		}
		if r.Status == StatusQueued || r.Status == StatusRunning {
			return ErrImportState
		}
		remove = s.path(r.StoredName)
		if err := tx.Exec(`DELETE FROM contact_import_rejects WHERE org_id = ? AND import_id = ?`, orgID, importID).Error; err != nil {
			return fmt.Errorf("contact: delete import: %w", err)
		}
		if err := tx.Exec(`DELETE FROM contact_imports WHERE org_id = ? AND id = ?`, orgID, importID).Error; err != nil {
			return fmt.Errorf("contact: delete import: %w", err)
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "contact.import.delete",
			Target: "import:" + strconv.FormatInt(importID, 10), At: s.clock.Now()})
	})
	if err == nil && remove != "" {
		_ = os.Remove(remove)
	}
	return err
}

// RejectedCSV writes the rows an import did not take, as CSV: line,
// reason, the offending value, then the row's own cells under the file's
// header. Cells that a spreadsheet would run as a formula are neutralised.
func (s *Service) RejectedCSV(ctx context.Context, orgID, importID int64, w io.Writer) error {
	return s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		r, err := loadImport(tx, orgID, importID, false)
		if err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		head := append([]string{"line", "reason", "value"}, r.Header...)
		if err := writeSafe(cw, head); err != nil {
			return err
		}
		rows, err := tx.Raw(`SELECT line, reason, value, to_json(record) FROM contact_import_rejects
			WHERE org_id = ? AND import_id = ? ORDER BY line`, orgID, importID).Rows()
		if err != nil {
			return fmt.Errorf("contact: rejected rows: %w", err)
		}
		defer rows.Close()
		rec := make([]string, 0, len(head))
		for rows.Next() {
			var line int64
			var reason, value string
			var cells jsonStrings
			if err := rows.Scan(&line, &reason, &value, &cells); err != nil {
				return fmt.Errorf("contact: rejected rows: %w", err)
			}
			rec = append(rec[:0], strconv.FormatInt(line, 10), reason, value)
			rec = append(rec, cells...)
			if err := writeSafe(cw, rec); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("contact: rejected rows: %w", err)
		}
		cw.Flush()
		return cw.Error()
	})
}

// ImportArgs is the River job that runs one import. Only ids: River keeps
// finished jobs' arguments for a while, and they must hold no personal data.
type ImportArgs struct {
	OrgID    int64 `json:"org_id"`
	ImportID int64 `json:"import_id"`
}

// Kind names the job for River.
func (ImportArgs) Kind() string { return "contact_import" }

// InsertOpts: a few attempts (a restarted worker re-runs the import from
// the start: nothing of an unfinished attempt was committed).
func (ImportArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// ImportWorker runs imports. Register it with the worker's River client.
type ImportWorker struct {
	river.WorkerDefaults[ImportArgs]
	Service *Service
}

// Timeout bounds one attempt; a 5M-row import takes well under a minute.
func (w *ImportWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return time.Hour }

// Work runs the import. Imports of one org run one after another: a job
// whose org is busy snoozes (without using an attempt) and frees its
// worker slot for other orgs' jobs.
func (w *ImportWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	return w.Service.RunImport(ctx, job.Args.OrgID, job.Args.ImportID, job.Attempt >= job.MaxAttempts)
}
