// Command bench-import measures the contact CSV import (QUALITY.md, "CSV
// import"): a deterministic file of N rows (phone, name, e-mail, two tags,
// two custom fields, ~1 % duplicates, ~1 % invalid rows) is imported
// through the real path — file on disk → CreateImport → ConfirmImport →
// RunImport → finished — into a fresh org, in a child process whose peak
// RSS is read from the kernel. The baseline, in the same run, is pgx
// CopyFrom of the same rows, already normalised, into an empty copy of the
// indexed contacts table. Repeated (-reps, median); then the same file
// once more into the org it filled (-again: the general merge, every row
// already there; shown for scale, no goal), and once at 5M rows for
// memory. The import is timed from upload to its finished_at (the
// moment the outcome is committed and shown); every run starts right after
// a checkpoint. Each repetition also prints the PostgreSQL server's CPU
// seconds for the baseline and the import job (from /proc), which compare
// the database's work better than wall time on a busy machine.
// BENCH_DEBUG=1 logs the import's phase timings; BENCH_CPUPROFILE=FILE
// writes a CPU profile of the importer.
//
//	go run ./cmd/bench-import              # 1M ×3 and 5M
//	go run ./cmd/bench-import -rows 100000 -rows5m 0 -reps 1   # smoke test
//
// It uses TEST_DATABASE_URL (a superuser URL) when set, else starts and
// removes its own PostgreSQL with pgboot. Its last lines are the BENCH
// lines.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"tidings/internal/benchkit"
	"tidings/internal/contact"
	"tidings/internal/platform/clock"
	"tidings/internal/platform/db"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/pgboot"
)

var (
	keepDB  bool
	optedIn bool
)

// password given to the three roles on the bench's server: the same as
// pgtest's, so running beside the test suite on one server changes nothing.
const password = "tidings-test"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		os.Exit(child(os.Args[2:]))
	}
	rows := flag.Int("rows", 1_000_000, "rows in the main file")
	rows5m := flag.Int("rows5m", 5_000_000, "rows in the memory run (0 skips it)")
	reps := flag.Int("reps", 3, "repetitions of the main run (the median is reported)")
	fast := flag.Bool("fast", false, "start the throw-away PostgreSQL with fsync off (like the test suite's)")
	again := flag.Bool("again", true, "after the repetitions, import the same file again into the org it filled (the general merge)")
	keep := flag.Bool("keep", false, "keep the bench database (with TEST_DATABASE_URL) to look at afterwards")
	flag.BoolVar(&optedIn, "opted-in", true, "import as opted in (an attested consent event per new contact) rather than consent unknown")
	flag.Parse()
	keepDB = *keep
	if err := run(*rows, *rows5m, *reps, *fast, *again); err != nil {
		fmt.Fprintln(os.Stderr, "bench-import:", err)
		os.Exit(1)
	}
}

func run(rows, rows5m, reps int, fast, again bool) error {
	ctx := context.Background()
	work, err := os.MkdirTemp("", "tidings-bench-import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	superURL := os.Getenv("TEST_DATABASE_URL")
	if superURL == "" {
		fmt.Println("starting a throw-away PostgreSQL (TEST_DATABASE_URL is not set)…")
		c, err := pgboot.Start(ctx, pgboot.Options{Dir: filepath.Join(work, "pg"), Fast: fast})
		if err != nil {
			return err
		}
		defer func() {
			_ = c.Stop()
			// As root pgboot may place the cluster outside work (see
			// pgboot.clusterDir): remove it wherever it is.
			_ = os.RemoveAll(c.Dir)
		}()
		superURL = c.SuperuserURL
	}
	pw := pgboot.Passwords{Owner: password, App: password, Ops: password}
	if err := pgboot.EnsureRoles(ctx, superURL, pw); err != nil {
		return err
	}
	dbName := "tidings_bench_" + strings.ToLower(rand.Text()[:10])
	if err := pgboot.PrepareDatabase(ctx, superURL, dbName); err != nil {
		return err
	}
	if keepDB {
		fmt.Println("keeping database", dbName)
	} else {
		defer dropDatabase(superURL, dbName)
	}
	urls, err := pgboot.RoleURLs(superURL, dbName, pw)
	if err != nil {
		return err
	}
	owner, err := db.Open(ctx, urls.Owner, db.Options{MaxConns: 4})
	if err != nil {
		return err
	}
	defer owner.Close()
	if _, err := migrate.Up(ctx, owner.Pool); err != nil {
		return err
	}

	var version, fsync string
	_ = owner.Pool.QueryRow(ctx, "SELECT version(), current_setting('fsync')").Scan(&version, &fsync)
	fmt.Printf("nproc: %d\nversion: %s\nfsync: %s\n", runtime.NumCPU(), version, fsync)

	file := filepath.Join(work, "contacts.csv")
	st, err := writeFile(file, rows)
	if err != nil {
		return err
	}
	fmt.Printf("file: %d rows, %.1f MB; %d valid unique numbers, %d duplicate rows, %d invalid rows (generated)\n",
		rows, float64(st.bytes)/1e6, st.unique, st.duplicates, st.invalid)

	var subj, base []float64
	var rss []float64
	var last childResult
	for i := range reps {
		if err := reset(ctx, owner, superURL); err != nil {
			return err
		}
		cpu0, wal0 := benchkit.PostgresCPU(ctx, owner.Pool), benchkit.WALBytes(ctx, owner.Pool)
		b, err := baseline(ctx, owner, rows)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		cpuBase, walBase := benchkit.PostgresCPU(ctx, owner.Pool)-cpu0, benchkit.WALBytes(ctx, owner.Pool)-wal0
		if err := reset(ctx, owner, superURL); err != nil {
			return err
		}
		res, err := runChild(ctx, owner, urls, work, file, rows, 0, 0, contact.ModeAddNew)
		cpuImport := res.PostgresCPU
		if cpuBase > 0 {
			fmt.Printf("rep %d: PostgreSQL CPU: baseline %.2f s, import %.2f s (ratio %.2f); WAL: baseline %.0f MiB, import %.0f MiB; importer CPU %.2f s\n",
				i+1, cpuBase, cpuImport, cpuBase/cpuImport, mib(walBase), mib(res.WALBytes), res.CPUSeconds)
		}
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if res.Counts.Read != int64(rows) || res.Counts.Imported != st.unique || res.Counts.Duplicate != st.duplicates || res.Counts.Rejected != st.invalid {
			return fmt.Errorf("import counts %+v do not match the file (%d unique, %d duplicate, %d invalid)", res.Counts, st.unique, st.duplicates, st.invalid)
		}
		rps := float64(rows) / res.Seconds
		subj, base, rss = append(subj, rps), append(base, b), append(rss, res.PeakMiB)
		if len(res.ListMs) > 0 {
			fmt.Printf("contacts page over %d contacts (median ms): %v\n", res.Counts.Imported, res.ListMs)
		}
		fmt.Printf("rep %d: import %.2f s = %.0f rows/s (upload+sniff %.2f s, load+merge %.2f s; job ended at %.2f s), peak RSS %.1f MiB; baseline %.0f rows/s; ratio %.2f\n",
			i+1, res.Seconds, rps, res.CreateSeconds, res.RunSeconds, res.JobSeconds, res.PeakMiB, b, rps/b)
		last = res
	}
	if again && last.Org != 0 {
		// The same file again into the org it filled: the general merge
		// (staging table, INSERT … ON CONFLICT), which an org's every
		// import after its first takes; every row is already there, so
		// nothing is written (no goal in QUALITY.md; shown for scale).
		res, err := runChild(ctx, owner, urls, work, file, rows, last.Org, last.User, contact.ModeAddUpdate)
		if err != nil {
			return fmt.Errorf("import again: %w", err)
		}
		if res.Counts.Imported != 0 || res.Counts.Updated != 0 || res.Counts.Skipped != st.unique {
			return fmt.Errorf("import again: counts %+v, want %d skipped and nothing imported or updated", res.Counts, st.unique)
		}
		fmt.Printf("import again (add and update, into the org it filled; nothing changes): %.2f s = %.0f rows/s, peak RSS %.1f MiB; PostgreSQL CPU %.2f s, WAL %.0f MiB\n",
			res.Seconds, float64(rows)/res.Seconds, res.PeakMiB, res.PostgresCPU, mib(res.WALBytes))
	}
	ms, mb, mr := median(subj), median(base), median(rss)
	fmt.Printf("median: import %.0f rows/s, baseline %.0f rows/s, ratio %.2f, peak RSS %.1f MiB (goal ≥150000 rows/s, ratio ≥0.6, ≤64 MiB)\n", ms, mb, ms/mb, mr)

	var line5m string
	if rows5m > 0 {
		_ = os.Remove(file)
		st5, err := writeFile(file, rows5m)
		if err != nil {
			return err
		}
		if err := reset(ctx, owner, superURL); err != nil {
			return err
		}
		res, err := runChild(ctx, owner, urls, work, file, rows5m, 0, 0, contact.ModeAddNew)
		if err != nil {
			return fmt.Errorf("import 5M: %w", err)
		}
		if res.Counts.Imported != st5.unique {
			return fmt.Errorf("5M import counts %+v, want %d imported", res.Counts, st5.unique)
		}
		rps := float64(rows5m) / res.Seconds
		fmt.Printf("%d rows: import %.2f s = %.0f rows/s, peak RSS %.1f MiB\n", rows5m, res.Seconds, rps, res.PeakMiB)
		line5m = fmt.Sprintf("BENCH import_5m rows=%d rows_per_s=%.0f peak_rss_mib=%.1f", rows5m, rps, res.PeakMiB)
	}
	fmt.Printf("BENCH import rows=%d rows_per_s=%.0f baseline_rows_per_s=%.0f ratio=%.2f peak_rss_mib=%.1f\n", rows, ms, mb, ms/mb, mr)
	if line5m != "" {
		fmt.Println(line5m)
	}
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// updateFields lets an add-and-update import overwrite every field.
func updateFields(mode string) []string {
	if mode != contact.ModeAddUpdate {
		return nil
	}
	return []string{contact.UpdateName, contact.UpdateEmail, contact.UpdateLanguage, contact.UpdateTags, contact.UpdateAttributes}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// reset empties the contact tables between runs, so every run loads into
// the same state.
func reset(ctx context.Context, owner *db.Conn, superURL string) error {
	_, err := owner.Pool.Exec(ctx, `DROP TABLE IF EXISTS bench_contacts;
		TRUNCATE contacts, consent_events, contact_imports, contact_import_rejects, contact_list_members, consent_attestations`)
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if _, err = owner.Pool.Exec(ctx, `VACUUM ANALYZE contacts`); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	// Each run starts right after a checkpoint: otherwise the WAL of the
	// run before starts one in the middle of the next, whose every first
	// touch of a page then writes the whole page to the WAL.
	// (CHECKPOINT needs a superuser.)
	conn, err := pgx.Connect(ctx, superURL)
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CHECKPOINT`)
	return err
}

func dropDatabase(superURL, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, superURL)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// The generated file. Row i's number comes from a permutation of i, so
// numbers are distinct; every 100th row repeats an earlier number and
// every 100th (offset) row has a broken number.
type fileStats struct {
	bytes                       int64
	unique, duplicates, invalid int64
}

var (
	firstNames = []string{"Alice", "Bruno", "Chloé", "Dmitri", "Eva", "Farah", "Gustavo", "Hana", "Ivan", "Júlia", "Kofi", "Lena", "Mateo", "Nadia", "Oskar", "Priya"}
	lastNames  = []string{"Smith", "García", "Müller", "Rossi", "Dubois", "Silva", "Kowalski", "Nguyen", "O'Brien", "Jansen", "Yilmaz", "Okafor"}
	tagPool    = []string{"vip", "newsletter", "lead", "customer", "trial", "retail", "wholesale", "events"}
	cities     = []string{"London", "Leeds", "York", "Bristol", "Cardiff", "Glasgow", "Belfast", "Brighton"}
	plans      = []string{"free", "basic", "pro", "business"}
)

// rowPhone is row i's national number (07xxx xxxxxx, a valid UK mobile).
func rowPhone(i int) string {
	p := (uint64(i) * 2654435761) % 100_000_000
	// 07400–07599 and 07700–07999 less 07700 900xxx (reserved for drama):
	// mobile ranges that libphonenumber holds valid.
	d := []uint64{4, 5, 7, 8, 9}[p%5]
	sub := (p / 5) % 100
	if d == 7 && sub == 0 {
		sub = 1
	}
	return fmt.Sprintf("07%d%02d %06d", d, sub, p/500%1_000_000)
}

type genRow struct {
	phone, name, email, tag1, tag2, city, plan string
	kind                                       int // 0 ok, 1 duplicate, 2 invalid
}

func genRowAt(i int) genRow {
	r := genRow{}
	n := i
	switch {
	case i%100 == 37 && i > 100:
		r.kind, n = 1, i-50 // repeats the number of an earlier row
	case i%100 == 71:
		r.kind = 2
	}
	r.phone = rowPhone(n)
	if i%3 == 0 && r.kind != 2 {
		r.phone = "+44 " + strings.TrimPrefix(r.phone, "0")
	}
	if r.kind == 2 {
		r.phone = r.phone[:7] // too short
	}
	first, last := firstNames[i%len(firstNames)], lastNames[(i/7)%len(lastNames)]
	r.name = first + " " + last
	r.email = strings.ToLower(fmt.Sprintf("%s.%d@example.com", strings.ReplaceAll(last, "'", ""), i))
	r.tag1, r.tag2 = tagPool[i%8], tagPool[(i/8+1+i%7)%8]
	if r.tag1 == r.tag2 {
		r.tag2 = tagPool[(i+3)%8]
	}
	r.city, r.plan = cities[(i/3)%len(cities)], plans[i%len(plans)]
	return r
}

func writeFile(path string, rows int) (fileStats, error) {
	var st fileStats
	f, err := os.Create(path)
	if err != nil {
		return st, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "phone,name,email,tag1,tag2,city,plan")
	for i := range rows {
		r := genRowAt(i)
		name := r.name
		if strings.ContainsAny(name, `",`) || strings.Contains(name, "'") {
			name = `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		}
		fmt.Fprintf(w, "%s,%s,%s,%s,%s,%s,%s\n", r.phone, name, r.email, r.tag1, r.tag2, r.city, r.plan)
		switch r.kind {
		case 0:
			st.unique++
		case 1:
			st.duplicates++
		case 2:
			st.invalid++
		}
	}
	if err := w.Flush(); err != nil {
		return st, err
	}
	fi, err := f.Stat()
	if err != nil {
		return st, err
	}
	st.bytes = fi.Size()
	return st, f.Close()
}

// baseline copies the same rows, already normalised (E.164, tags sorted,
// attributes as JSON; duplicates and invalid rows left out), into an empty
// copy of the contacts table with all its indexes, and returns rows/s
// counted over the file's rows, like the import.
func baseline(ctx context.Context, owner *db.Conn, rows int) (float64, error) {
	if _, err := owner.Pool.Exec(ctx, `CREATE TABLE bench_contacts (LIKE contacts INCLUDING ALL)`); err != nil {
		return 0, err
	}
	start := time.Now()
	i := -1
	vals := make([]any, 7)
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for {
			i++
			if i >= rows {
				return nil, nil
			}
			r := genRowAt(i)
			if r.kind != 0 {
				continue
			}
			tags := []string{r.tag1, r.tag2}
			slices.Sort(tags)
			vals[0], vals[1], vals[2], vals[3] = int64(1), "+44"+strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(r.phone, "+44 "), "0"), " ", ""), r.name, r.email
			vals[4], vals[5], vals[6] = tags, `{"city":"`+r.city+`","plan":"`+r.plan+`"}`, []int64{1}
			return vals, nil
		}
	})
	n, err := owner.Pool.CopyFrom(ctx, pgx.Identifier{"bench_contacts"},
		[]string{"org_id", "phone_e164", "name", "email", "tags", "attributes", "import_ids"}, src)
	if err != nil {
		return 0, err
	}
	secs := time.Since(start).Seconds()
	_ = n
	return float64(rows) / secs, nil
}

// childResult is what the child process reports.
type childResult struct {
	Seconds       float64 // upload to finished
	JobSeconds    float64 // upload to the end of the import job
	CreateSeconds float64
	RunSeconds    float64
	Counts        contact.Counts
	PeakMiB       float64
	CPUSeconds    float64 // the importer process's own CPU time
	PostgresCPU   float64 // the server's CPU seconds over the import job
	WALBytes      int64   // the WAL the server wrote over the import job
	Org, User     int64   // the org imported into, and its user
	// ListMs: median milliseconds of one 50-contact page of contact.List
	// over the imported org, by filter (measured after the import).
	ListMs map[string]float64 `json:",omitempty"`
}

// newOrg makes an organisation and a user for an import.
func newOrg(ctx context.Context, owner *db.Conn) (org, user int64, err error) {
	conn, err := owner.Pool.Acquire(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Release()
	if err := conn.QueryRow(ctx, `INSERT INTO users (email, name, phone_e164, password_hash)
		VALUES ('bench-'||gen_random_uuid()||'@example.com', 'Bench', '+447911000000', 'x') RETURNING id`).Scan(&user); err != nil {
		return 0, 0, err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback(ctx)
	if err := tx.QueryRow(ctx, `SELECT nextval('orgs_id_seq')`).Scan(&org); err != nil {
		return 0, 0, err
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, strconv.FormatInt(org, 10)); err != nil {
		return 0, 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO orgs (id, name, industry, company_size, country, time_zone) OVERRIDING SYSTEM VALUE
		VALUES ($1, 'Bench', 'retail', '1-10', 'GB', 'Europe/London')`, org); err != nil {
		return 0, 0, err
	}
	return org, user, tx.Commit(ctx)
}

// runChild runs one import in a child process: into a new org, or into
// org (with its user) when org is not 0, in the given mode.
func runChild(ctx context.Context, owner *db.Conn, urls pgboot.URLs, work, file string, rows int, org, user int64, mode string) (childResult, error) {
	var res childResult
	if org == 0 {
		var err error
		if org, user, err = newOrg(ctx, owner); err != nil {
			return res, fmt.Errorf("create org: %w", err)
		}
	}
	// The file is handed over (moved) like an upload: keep the original.
	upload := filepath.Join(work, "upload.csv")
	if err := copyFile(file, upload); err != nil {
		return res, err
	}
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	cmd := exec.CommandContext(ctx, self, "child", urls.App, filepath.Join(work, "uploads"), upload,
		strconv.FormatInt(org, 10), strconv.FormatInt(user, 10), strconv.Itoa(rows), strconv.FormatBool(optedIn), mode)
	cmd.Stderr = os.Stderr
	cmd.Env = os.Environ()
	if rows <= 1_000_000 {
		cmd.Env = append(cmd.Env, "BENCH_LIST=1")
	}
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("child: %w", err)
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return res, fmt.Errorf("child output %q: %w", out, err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.PeakMiB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
		res.CPUSeconds = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	return res, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// child runs one import as the app would: the runtime role, RLS, the
// service's own pipeline; it prints a childResult as JSON.
func child(args []string) int {
	if len(args) != 8 {
		fmt.Fprintln(os.Stderr, "usage: bench-import child APP_URL UPLOAD_DIR FILE ORG USER ROWS OPTED_IN MODE")
		return 2
	}
	appURL, dir, file := args[0], args[1], args[2]
	org, _ := strconv.ParseInt(args[3], 10, 64)
	user, _ := strconv.ParseInt(args[4], 10, 64)
	rows, _ := strconv.ParseInt(args[5], 10, 64)
	optIn, _ := strconv.ParseBool(args[6])
	mode := args[7]
	ctx := context.Background()
	conn, err := db.Open(ctx, appURL, db.Options{MaxConns: 4, StatementTimeout: 30 * time.Second, AppName: "bench-import"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer conn.Close()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: benchLogLevel()}))
	opt := contact.Options{UploadDir: dir, MaxRows: rows, MaxUploadBytes: 1 << 40}
	svc := contact.NewService(db.NewTenant(conn), noJobs{}, clock.System{}, log, opt)
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	cpu0, wal0 := benchkit.PostgresCPU(ctx, conn.Pool), benchkit.WALBytes(ctx, conn.Pool)
	start := time.Now()
	im, pv, err := svc.CreateImportFromFile(ctx, org, user, "contacts.csv", file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cols := pv.Guess
	for i, h := range pv.Header {
		switch h {
		case "tag1", "tag2":
			cols[i] = contact.Column{Kind: contact.ColTags}
		case "city", "plan":
			cols[i] = contact.Column{Kind: contact.ColAttribute, Key: h}
		}
	}
	att := &contact.Attestation{Method: "Sign-up form", CollectedOn: "2025", LawfulBasis: "consent", Wording: "Yes, send me offers on WhatsApp."}
	if _, err := svc.ConfirmImport(ctx, org, user, im.ID, contact.ImportSettings{Columns: cols, HasHeader: pv.HasHeader,
		DefaultCountry: "GB", Mode: mode, UpdateFields: updateFields(mode), OptedIn: optIn}, att); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	created := time.Since(start)
	if err := svc.RunImport(ctx, org, im.ID, true); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	jobEnd := time.Since(start)
	cpu, wal := benchkit.PostgresCPU(ctx, conn.Pool)-cpu0, benchkit.WALBytes(ctx, conn.Pool)-wal0
	im, err = svc.GetImport(ctx, org, im.ID)
	if err != nil || im.Status != contact.StatusFinished || im.FinishedAt == nil {
		fmt.Fprintln(os.Stderr, "import did not finish:", im.Status, im.Error, err)
		return 1
	}
	// Upload to "finished": the moment the import's outcome is committed
	// and shown. The job goes on for a moment after (fresh statistics,
	// the audit entry): JobSeconds.
	total := im.FinishedAt.Sub(start)
	res := childResult{Seconds: total.Seconds(), JobSeconds: jobEnd.Seconds(), CreateSeconds: created.Seconds(),
		RunSeconds: (total - created).Seconds(), Counts: im.Counts, PostgresCPU: cpu, WALBytes: wal, Org: org, User: user}
	if os.Getenv("BENCH_LIST") != "" {
		res.ListMs = listTimings(ctx, svc, org)
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}

// benchLogLevel is info, or debug with BENCH_DEBUG set (the import's
// phase timings).
func benchLogLevel() slog.Level {
	if os.Getenv("BENCH_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// listTimings times the contacts page the UI shows, over the imported org.
func listTimings(ctx context.Context, svc *contact.Service, org int64) map[string]float64 {
	first, err := svc.List(ctx, org, contact.Filter{}, contact.Page{Limit: 50})
	if err != nil || len(first.Contacts) == 0 {
		return nil
	}
	mid := first.Contacts[0].ID / 2
	cases := []struct {
		name string
		f    contact.Filter
		p    contact.Page
	}{
		{"page1", contact.Filter{}, contact.Page{Limit: 50}},
		{"deep_page", contact.Filter{}, contact.Page{After: mid, Limit: 50}},
		{"tag", contact.Filter{Tag: "vip"}, contact.Page{Limit: 50}},
		{"consent", contact.Filter{Consent: contact.ConsentOptedIn}, contact.Page{Limit: 50}},
		{"search_name", contact.Filter{Query: "kowalski"}, contact.Page{Limit: 50}},
		{"search_phone_prefix", contact.Filter{Query: "+44 7912"}, contact.Page{Limit: 50}},
		{"search_rare", contact.Filter{Query: "nobody-has-this"}, contact.Page{Limit: 50}},
	}
	out := map[string]float64{}
	for _, c := range cases {
		var ms []float64
		for range 7 {
			t := time.Now()
			if _, err := svc.List(ctx, org, c.f, c.p); err != nil {
				return out
			}
			ms = append(ms, float64(time.Since(t).Microseconds())/1000)
		}
		out[c.name] = median(ms)
	}
	return out
}

// noJobs stands in for River's insert client: the bench runs the job
// itself, in this process, to measure it.
type noJobs struct{}

func (noJobs) InsertTx(context.Context, *sql.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return &rivertype.JobInsertResult{}, nil
}
