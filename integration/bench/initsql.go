package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sqlInitBatch is the number of rows per INSERT statement.
const sqlInitBatch = 1000

// pgbenchSchema is pgbench's schema with primary keys declared inline, for
// servers that cannot run pgbench -i (COPY, ALTER TABLE … ADD PRIMARY KEY,
// VACUUM) yet. One statement per DROP, for the same reason.
var pgbenchSchema = []string{
	"DROP TABLE IF EXISTS pgbench_accounts",
	"DROP TABLE IF EXISTS pgbench_branches",
	"DROP TABLE IF EXISTS pgbench_history",
	"DROP TABLE IF EXISTS pgbench_tellers",
	"CREATE TABLE pgbench_branches (bid int NOT NULL PRIMARY KEY, bbalance int, filler char(88))",
	"CREATE TABLE pgbench_tellers (tid int NOT NULL PRIMARY KEY, bid int, tbalance int, filler char(84))",
	"CREATE TABLE pgbench_accounts (aid int NOT NULL PRIMARY KEY, bid int, abalance int, filler char(84))",
	"CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))",
}

// writeInitSQL writes the schema and pgbench -i's rows for scale as SQL:
// scale branches, 10 tellers and 100000 accounts per branch, balances 0.
func writeInitSQL(w io.Writer, scale int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for _, s := range pgbenchSchema {
		fmt.Fprintf(bw, "%s;\n", s)
	}
	rows := func(table, cols string, n int, row func(i int) string) {
		for start := 1; start <= n; start += sqlInitBatch {
			fmt.Fprintf(bw, "INSERT INTO %s (%s) VALUES ", table, cols)
			for i := start; i < start+sqlInitBatch && i <= n; i++ {
				if i > start {
					bw.WriteByte(',')
				}
				bw.WriteString(row(i))
			}
			bw.WriteString(";\n")
		}
	}
	rows("pgbench_branches", "bid, bbalance", scale, func(i int) string {
		return "(" + strconv.Itoa(i) + ",0)"
	})
	rows("pgbench_tellers", "tid, bid, tbalance", 10*scale, func(i int) string {
		return "(" + strconv.Itoa(i) + "," + strconv.Itoa((i-1)/10+1) + ",0)"
	})
	rows("pgbench_accounts", "aid, bid, abalance, filler", 100000*scale, func(i int) string {
		return "(" + strconv.Itoa(i) + "," + strconv.Itoa((i-1)/100000+1) + ",0,'')"
	})
	return bw.Flush()
}

// sqlInit loads the pgbench tables through psql with plain SQL, then asks
// for ANALYZE (ignored where unsupported).
func (h *Harness) sqlInit(ctx context.Context, port int) error {
	timeout := 10*time.Minute + time.Duration(h.opts.scale)*time.Minute
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := append([]string{"-X", "-q", "-v", "ON_ERROR_STOP=1"}, connArgs(port)...)
	cmd := exec.CommandContext(ctx, h.opts.psql, append(args, "-d", "postgres", "-f", "-")...)
	cmd.Dir = h.root
	cmd.Env = clientEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start psql: %w", err)
	}
	werr := writeInitSQL(stdin, h.opts.scale)
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("psql (SQL init): %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if werr != nil {
		return fmt.Errorf("write SQL init: %w", werr)
	}
	_, _ = h.psql(ctx, port, "ANALYZE")
	return nil
}
