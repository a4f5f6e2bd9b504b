package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pgbenchSummary is what pgbench prints at the end of a run.
type pgbenchSummary struct {
	TPS    float64 // "without initial connection time"
	Txns   int64   // transactions actually processed
	Failed int64   // failed transactions
	AvgMs  float64 // pgbench's own latency average
}

var (
	reTPS    = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)
	reTxns   = regexp.MustCompile(`(?m)^number of transactions actually processed: (\d+)`)
	reFailed = regexp.MustCompile(`(?m)^number of failed transactions: (\d+)`)
	reAvg    = regexp.MustCompile(`(?m)^latency average = ([0-9.]+) ms`)
)

// parseSummary parses pgbench's standard output. TPS is required.
func parseSummary(out string) (pgbenchSummary, error) {
	var s pgbenchSummary
	m := reTPS.FindStringSubmatch(out)
	if m == nil {
		return s, fmt.Errorf("no \"tps = … (without initial connection time)\" in pgbench output")
	}
	s.TPS, _ = strconv.ParseFloat(m[1], 64)
	if m := reTxns.FindStringSubmatch(out); m != nil {
		s.Txns, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reFailed.FindStringSubmatch(out); m != nil {
		s.Failed, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reAvg.FindStringSubmatch(out); m != nil {
		s.AvgMs, _ = strconv.ParseFloat(m[1], 64)
	}
	return s, nil
}

// connArgs are pgbench's and psql's connection flags for 127.0.0.1:port.
func connArgs(port int) []string {
	return []string{"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres"}
}

// pgbenchInit runs pgbench -i -s scale.
func (h *Harness) pgbenchInit(ctx context.Context, port int) error {
	timeout := 10*time.Minute + time.Duration(h.opts.scale)*30*time.Second
	args := append([]string{h.opts.pgbench, "-i", "-q", "-s", strconv.Itoa(h.opts.scale)}, connArgs(port)...)
	_, err := runCommand(ctx, timeout, h.root, nil, clientEnv(), append(args, "postgres")...)
	return err
}

// runPgbench runs one pgbench of case c: target's clients on threads
// threads, its per-transaction log written as logPrefix.PID[.THREAD].
func (h *Harness) runPgbench(ctx context.Context, t pgbenchTarget, threads int, c caseSpec, logPrefix string) (pgbenchSummary, error) {
	secs := int(c.Duration / time.Second)
	args := []string{h.opts.pgbench}
	env := clientEnv()
	script := []string{"-b", c.Script}
	if cs, ok := commitScripts[c.Script]; ok {
		if err := h.createCommitTable(ctx, t.ConnInfo); err != nil {
			return pgbenchSummary{}, err
		}
		path := logPrefix + "-commit.sql"
		if err := os.WriteFile(path, []byte(commitScript), 0o644); err != nil {
			return pgbenchSummary{}, err
		}
		script = []string{"-f", path, "-n"}
		env = append(env, "PGOPTIONS=-c synchronous_commit="+cs.syncCommit)
	}
	args = append(args, script...)
	args = append(args, "-M", c.Mode, "-c", strconv.Itoa(t.Clients), "-j", strconv.Itoa(threads),
		"-T", strconv.Itoa(secs), "-l", "--log-prefix="+logPrefix, t.ConnInfo)
	out, runErr := runCommand(ctx, c.Duration+3*time.Minute, filepath.Dir(logPrefix), nil, env, args...)
	s, err := parseSummary(out)
	if runErr != nil {
		return s, runErr // pgbench exits 2 when clients aborted; keep what it printed
	}
	return s, err
}

// createCommitTable creates the table of the commit scripts.
func (h *Harness) createCommitTable(ctx context.Context, conninfo string) error {
	_, err := runCommand(ctx, time.Minute, h.root, nil, clientEnv(), h.opts.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-c", "CREATE TABLE IF NOT EXISTS bench_commits (id bigserial PRIMARY KEY, v integer)", "-d", conninfo)
	return err
}

// latencyStats are computed from pgbench's per-transaction log.
type latencyStats struct {
	N        int     // successful transactions logged
	Failed   int     // transactions logged as failed
	Skipped  int     // transactions logged as skipped
	AvgMs    float64 // mean latency
	P50Ms    float64 // median, nearest rank
	P99Ms    float64 // 99th percentile, nearest rank
	Files    int
	BadLines int
}

// parseTxLogs reads every pgbench per-transaction log in dir. A line is
// "client_id transaction_no time script_no time_epoch time_us [...]" where
// time is the latency in microseconds, or "failed" / "skipped".
func parseTxLogs(dir string) (latencyStats, error) {
	var st latencyStats
	files, err := filepath.Glob(filepath.Join(dir, "tx.*"))
	if err != nil {
		return st, err
	}
	var lat []int64
	for _, f := range files {
		st.Files++
		if err := func() error {
			fh, err := os.Open(f)
			if err != nil {
				return err
			}
			defer fh.Close()
			sc := bufio.NewScanner(fh)
			for sc.Scan() {
				fields := strings.Fields(sc.Text())
				if len(fields) < 6 {
					st.BadLines++
					continue
				}
				switch fields[2] {
				case "failed":
					st.Failed++
					continue
				case "skipped":
					st.Skipped++
					continue
				}
				us, err := strconv.ParseInt(fields[2], 10, 64)
				if err != nil {
					st.BadLines++
					continue
				}
				lat = append(lat, us)
			}
			return sc.Err()
		}(); err != nil {
			return st, fmt.Errorf("read %s: %w", f, err)
		}
	}
	st.N = len(lat)
	if st.N == 0 {
		return st, nil
	}
	var sum float64
	for _, v := range lat {
		sum += float64(v)
	}
	st.AvgMs = sum / float64(st.N) / 1000
	st.P99Ms = float64(percentile(lat, 0.99)) / 1000
	st.P50Ms = float64(percentile(lat, 0.50)) / 1000
	return st, nil
}

// percentile returns the nearest-rank p-quantile of v, sorting v.
func percentile(v []int64, p float64) int64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	rank := int(math.Ceil(p * float64(len(v))))
	return v[max(rank, 1)-1]
}

// pgbenchErrorLine returns the first "error:" line pgbench wrote, if any.
func pgbenchErrorLine(msg string) string {
	for _, line := range strings.Split(msg, "\n") {
		if i := strings.Index(line, "error: "); i >= 0 {
			return strings.TrimSpace(line[i+len("error: "):])
		}
	}
	return ""
}
