package benchkit

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresCPU is the CPU seconds used so far by the PostgreSQL server on
// this machine (the postmaster, its live children, and the children it has
// reaped), or 0 when /proc cannot tell (another OS, a remote server). On a
// shared, noisy machine CPU time compares the work of two runs better than
// wall time does.
func PostgresCPU(ctx context.Context, pool *pgxpool.Pool) float64 {
	var pid int
	if err := pool.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		return 0
	}
	stat := func(pid int) []string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			return nil
		}
		return strings.Fields(s[i+1:]) // [0] is the state: field 3
	}
	num := func(f []string, field int) float64 {
		if len(f) <= field-3 {
			return 0
		}
		v, _ := strconv.ParseFloat(f[field-3], 64)
		return v
	}
	f := stat(pid)
	if f == nil {
		return 0
	}
	pm := int(num(f, 4))
	pf := stat(pm)
	if pf == nil {
		return 0
	}
	ticks := num(pf, 14) + num(pf, 15) + num(pf, 16) + num(pf, 17)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cf := stat(child); cf != nil && int(num(cf, 4)) == pm {
			ticks += num(cf, 14) + num(cf, 15)
		}
	}
	return ticks / 100 // USER_HZ
}

// WALBytes is the server's current WAL position in bytes (0 when it cannot
// be read): the difference over a run is the WAL the run wrote, which is
// much of what a bulk load costs the server.
func WALBytes(ctx context.Context, pool *pgxpool.Pool) int64 {
	var n int64
	if err := pool.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::int8`).Scan(&n); err != nil {
		return 0
	}
	return n
}
