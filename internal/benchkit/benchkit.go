// Package benchkit is shared by the `make bench-*` programs: a throw-away
// PostgreSQL (with fsync on, as in production), the machine facts every
// report starts with, latency percentiles, and the machine-readable BENCH
// line QUALITY.md defines. Benchmarks only ever talk to 127.0.0.1.
package benchkit

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"tidings/internal/platform/db"
	"tidings/internal/platform/migrate"
	"tidings/internal/platform/pgboot"
)

// Database is a migrated database for one benchmark run.
type Database struct {
	URLs    pgboot.URLs
	Version string
	stop    func()
}

// Close stops the cluster the benchmark started, if any.
func (d *Database) Close() { d.stop() }

// StartDatabase starts a fresh cluster under the temp folder (durable
// settings: a benchmark of commits must pay for fsync), creates the roles
// and the database, and migrates it.
func StartDatabase(ctx context.Context, log io.Writer) (*Database, error) {
	dir, err := os.MkdirTemp("", "tidings-bench-pg-")
	if err != nil {
		return nil, err
	}
	cluster, err := pgboot.Start(ctx, pgboot.Options{Dir: dir, Logf: func(f string, a ...any) { fmt.Fprintf(log, f+"\n", a...) }})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stop := func() { _ = cluster.Stop(); os.RemoveAll(dir) }
	urls, err := cluster.EnsureDatabase(ctx, "tidings_bench")
	if err != nil {
		stop()
		return nil, err
	}
	owner, err := db.Open(ctx, urls.Owner, db.Options{MaxConns: 2})
	if err != nil {
		stop()
		return nil, err
	}
	defer owner.Close()
	if _, err := migrate.Up(ctx, owner.Pool); err != nil {
		stop()
		return nil, err
	}
	var version string
	if err := owner.Pool.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		stop()
		return nil, err
	}
	return &Database{URLs: urls, Version: version, stop: stop}, nil
}

// PrintMachine writes the facts a reader needs to compare runs.
func PrintMachine(w io.Writer, pgVersion string) {
	fmt.Fprintf(w, "machine: nproc=%d GOMAXPROCS=%d %s/%s %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "postgres: %s\n", pgVersion)
}

// Line prints "BENCH name k=v …" with keys in the given order.
func Line(w io.Writer, name string, kv ...any) {
	var b strings.Builder
	b.WriteString("BENCH ")
	b.WriteString(name)
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(" ")
		b.WriteString(fmt.Sprint(kv[i]))
		b.WriteString("=")
		switch v := kv[i+1].(type) {
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'f', 2, 64))
		default:
			b.WriteString(fmt.Sprint(v))
		}
	}
	fmt.Fprintln(w, b.String())
}

// Percentile returns the p-th percentile (0–100) of sorted durations.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

// Latencies collects request durations from many goroutines cheaply: each
// worker appends to its own slice, merged at the end.
type Latencies struct{ parts [][]time.Duration }

// NewLatencies makes room for n workers.
func NewLatencies(n int) *Latencies { return &Latencies{parts: make([][]time.Duration, n)} }

// Add records a duration for worker i.
func (l *Latencies) Add(i int, d time.Duration) { l.parts[i] = append(l.parts[i], d) }

// Sorted merges and sorts everything recorded.
func (l *Latencies) Sorted() []time.Duration {
	var all []time.Duration
	for _, p := range l.parts {
		all = append(all, p...)
	}
	slices.Sort(all)
	return all
}

// Ms formats a duration in milliseconds with two decimals.
func Ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
