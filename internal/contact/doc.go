// Package contact owns an organisation's contacts: their fields, tags and
// lists, the append-only consent ledger and the consent state derived from
// it, the provenance of every contact (which uploads created or changed
// it), CSV import, and CSV export.
//
// Contract: every function takes the organisation explicitly and reaches
// its data only inside a tenant-bound transaction (db.Tenant.InOrg, or for
// the COPY path the same binding on a pgx transaction), so row-level
// security backs up every query's own org filter. Errors are typed —
// ErrNotFound, ErrImportState, FieldErrors (form field → words; a number
// or list name already taken is a field error), *FileProblem (a file that cannot be imported, with a sentence
// for the user) — and the web layer picks status codes. The package never
// imports echo, templ or sessions, logs no phone numbers or names, and
// keeps only ids in job arguments and the audit log.
//
// # Service API (for the web handlers and the worker)
//
//	svc := contact.NewService(tenant, riverInsertClient, clock, log, contact.Options{UploadDir: …})
//
// Contacts:
//
//	List(ctx, org, Filter, Page) (ContactPage, error)     keyset pages, newest first; Filter{Query, Tag, ListID, Consent, Restricted, Attribute, AttributeValue}
//	Count(ctx, org, Filter) (int64, error)               what a bulk action on the filter would touch
//	ConsentCounts(ctx, org) (map[string]int64, error)
//	Get(ctx, org, id) (ContactDetail, error)             with lists and the consent timeline (and attestations)
//	Create / Update(ctx, org, user, [id,] ContactInput) (Contact, error)
//	Delete(ctx, org, user, id) error                     erases memberships and the ledger too
//	RecordConsent(ctx, org, user, id, ConsentInput) (Contact, error)
//	BulkTag(ctx, org, user, Filter, tags, add) (n, error)
//	BulkAddToList(ctx, org, user, Filter, listID) (n, error)
//	BulkDelete(ctx, org, user, Filter) (n, error)
//	Export(ctx, org, user, Filter, w) (n, error)         CSV, formula cells neutralised, restricted contacts left out
//
// Lists: Lists, GetList, CreateList, UpdateList, DeleteList, AddToList, RemoveFromList.
//
// Import, step by step (UI.md "import (steps)"):
//
//  1. CreateImport(ctx, org, user, filename, body) — or CreateImportFromFile
//     with a path the handler already streamed to — stores the upload (size
//     cap MaxUploadBytes, enforced while streaming), sniffs encoding (UTF-8
//     with or without BOM, UTF-16 LE/BE, Windows-1252), delimiter (, ; TAB |)
//     and header, estimates the rows (row cap MaxRows, enforced before any
//     parse of the whole file), and returns the Import and a Preview: first
//     rows plus a guessed mapping from header words in English, Spanish,
//     French, German, Portuguese, Italian and Dutch. Unknown columns are
//     ignored unless the user maps them.
//  2. Preview(ctx, org, importID) reads that again for the mapping page.
//  3. ConfirmImport(ctx, org, user, importID, ImportSettings, *Attestation)
//     checks the mapping (exactly one phone column), the default country,
//     the mode (ModeAddNew, ModeAddUpdate with UpdateFields, ModeSuppress)
//     and, for opted-in contacts, the consent attestation (required then; it
//     becomes the first consent event of each new contact), and enqueues the
//     River job in the same transaction. The import writes that event once,
//     without a contact, and each contact it creates points at it
//     (contacts.import_event_id): a contact's ledger is its own events plus
//     that shared one, the view contact_consent_events, which is what every
//     reader reads (migration 00013 says why).
//  4. GetImport(ctx, org, importID) is the live progress a page polls:
//     Status, Phase and Counts{Read, Imported, Updated, Skipped, Duplicate,
//     Rejected}. CancelImport stops it (a running import rolls back within a
//     second); Imports lists the latest.
//  5. When finished, RejectedCSV(ctx, org, importID, w) writes the rows not
//     taken with line number, reason ("not a valid phone number for GB",
//     "missing phone", "duplicate of line 12", …) and the row's cells.
//     DeleteImport forgets an ended import.
//
// The worker registers ImportWorker{Service: svc} (job ImportArgs{OrgID,
// ImportID}: ids only); RunImport is its body. Configure the River client's
// RescueStuckJobsAfter near ImportWorker.Timeout so a crashed worker's
// import is retried (from the start: nothing of it was committed) or
// failed visibly.
//
// # How an import runs
//
// One transaction per import: a reader goroutine decodes and parses the
// file with encoding/csv (strict quotes, FieldsPerRecord -1, records
// reused, a 1 MB per-row guard), parser goroutines normalise and validate
// rows (NormalisePhone: libphonenumber's rules, ~10× faster on common
// shapes), and a channel-backed pgx.CopyFromSource takes them in file
// order, flagging with a Bloom filter every row whose number may have come
// earlier (a suspect; the others are certainly first lines).
//
// Into an org with contacts, the rows are COPYed into a temporary staging
// table; then one statement sorts them by (phone, line) once, keeps each
// number's first line, reports the others as duplicates, and upserts
// contacts with INSERT … ON CONFLICT (org_id, phone_e164) DO UPDATE …
// WHERE changed, writing list memberships, provenance and (suppress mode)
// the existing contacts' opt-out events set-based from its RETURNING rows.
//
// Into an org with no contacts yet (fresh.go, freshload.go, freshwire.go),
// the file goes in chunks: a builder goroutine gathers a chunk's certain
// first lines into a byte arena and sorts them by number while the
// database inserts the previous chunk, then writes them as one binary
// array a column into the messages of a plain INSERT … SELECT unnest(…)
// (no ON CONFLICT; the unique index filled in key order within the chunk),
// with the chunk's suspects and rejected rows as two more array inserts.
// The next chunk is sent while the database inserts this one. Suspects
// are settled exactly at the end. A contact added meanwhile by someone
// else sends the import back to the general path (a savepoint). (COPY
// straight into contacts is refused: the table has row-level security.)
//
// Rejected rows, the counts and the status are written in the same
// transaction. Imports of one organisation run one after another (a transaction-level
// advisory lock per org; a job that finds its org busy snoozes and frees
// its worker slot); other organisations are not held up. The uploaded file
// is deleted when the import ends, however it ends. After a large import the
// table's statistics are refreshed (contacts_analyze) so the contacts page
// keeps its index plan.
package contact
