package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Harness holds what every configuration shares: options, the temporary
// directory, and the user the PostgreSQL servers run as. Its methods are
// called from one goroutine.
type Harness struct {
	opts     *options
	log      io.Writer
	root     string              // temporary directory, removed by Close
	dir      string              // the current configuration's directory below root
	cred     *syscall.Credential // user of the PostgreSQL servers; nil: ourselves
	uid, gid int
	warnings []string
}

// newHarness checks the tools and creates the temporary directory.
func newHarness(opts *options, log io.Writer) (*Harness, error) {
	h := &Harness{opts: opts, log: log, uid: os.Getuid(), gid: os.Getgid()}
	for _, tool := range []string{h.pgTool("initdb"), h.pgTool("postgres"), opts.pgbench, opts.psql} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("find %s: %w", tool, err)
		}
	}
	if bin, err := exec.LookPath(opts.replisqlBin); err != nil {
		return nil, fmt.Errorf("find RepliSQL binary (--replisql-bin): %w", err)
	} else if opts.replisqlBin, err = filepath.Abs(bin); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: run it as nobody.
		u, err := user.Lookup("nobody")
		if err != nil {
			return nil, fmt.Errorf("running as root, and no user nobody for PostgreSQL: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		h.uid, h.gid = uid, gid
		h.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	}
	root, err := os.MkdirTemp("", "replisql-bench-")
	if err != nil {
		return nil, fmt.Errorf("create temp dir: %w", err)
	}
	// Servers running as another user must be able to reach their own
	// directories below root, but not list it.
	if err := os.Chmod(root, 0o711); err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("chmod temp dir: %w", err)
	}
	h.root = root
	return h, nil
}

// Close removes the temporary directory. Every server must have been stopped.
func (h *Harness) Close() error {
	if h.root == "" {
		return nil
	}
	err := os.RemoveAll(h.root)
	h.root = ""
	return err
}

func (h *Harness) logf(format string, args ...any) {
	fmt.Fprintf(h.log, "%s %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (h *Harness) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	h.warnings = append(h.warnings, msg)
	h.logf("warning: %s", msg)
}

// mkdirForServer creates name in the configuration's directory, owned by
// the PostgreSQL server user.
func (h *Harness) mkdirForServer(name string) (string, error) {
	dir := filepath.Join(h.dir, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", name, err)
	}
	if err := os.Chown(dir, h.uid, h.gid); err != nil {
		return "", fmt.Errorf("chown %s: %w", name, err)
	}
	return dir, nil
}

// serverEnv is the environment of the servers: ours without PG* variables.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return append(env, "LC_ALL=C")
}

// psql runs one SQL command on 127.0.0.1:port and returns its unaligned,
// tuples-only output (fields separated by tabs).
func (h *Harness) psql(ctx context.Context, port int, sql string) (string, error) {
	return runCommand(ctx, 2*time.Minute, h.root, nil, clientEnv(), h.opts.psql, "-X", "-q", "-A", "-t", "-F", "\t",
		"-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", "-d", "postgres", "-c", sql)
}

// waitFor polls cond every 200ms until it is true, timeout passes or ctx ends.
func (h *Harness) waitFor(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for %s: not after %v", what, timeout)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", what, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitReady waits until the server on port answers SELECT 1, or its process exits.
func (h *Harness) waitReady(ctx context.Context, port int, proc *serverProcess) error {
	var lastErr error
	err := h.waitFor(ctx, h.opts.startTimeout, proc.name+" to accept connections", func() (bool, error) {
		if done, err := proc.exited(); done {
			lastErr = nil
			return false, fmt.Errorf("%s exited (%v); log: %s", proc.name, err, proc.logTail())
		}
		_, lastErr = runCommand(ctx, 5*time.Second, h.root, nil, clientEnv(), h.opts.psql, "-X", "-q", "-A", "-t",
			"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", "-d", "postgres", "-c", "SELECT 1")
		return lastErr == nil, nil
	})
	if err != nil && lastErr != nil {
		err = fmt.Errorf("%w (last: %v); log: %s", err, lastErr, proc.logTail())
	}
	return err
}

// settingNames are the server settings recorded in the report.
var settingNames = []string{
	"server_version", "shared_buffers", "work_mem", "max_connections", "fsync", "synchronous_commit",
	"synchronous_standby_names", "wal_level", "wal_sync_method", "full_page_writes", "max_wal_size",
	"checkpoint_timeout", "autovacuum",
}

// serverSettings reads settingNames from pg_settings, or says why it could not.
func (h *Harness) serverSettings(ctx context.Context, port int) []string {
	quoted := make([]string, len(settingNames))
	for i, n := range settingNames {
		quoted[i] = "'" + n + "'"
	}
	out, err := h.psql(ctx, port, "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ("+
		strings.Join(quoted, ", ")+") ORDER BY name")
	if err != nil {
		// current_setting() failed (missing, or unknown settings): ask
		// for each setting with SHOW, which a RepliSQL node answers for
		// those it has (among them its commit settings).
		var s []string
		for _, n := range settingNames {
			if v, err := h.psql(ctx, port, "SHOW "+n); err == nil {
				if v = strings.TrimSpace(v); v == "" {
					v = "''"
				}
				s = append(s, n+" = "+v)
			}
		}
		if len(s) == 0 {
			return []string{"(settings not available: " + firstLine(err.Error()) + ")"}
		}
		return append(s, "(by SHOW, as the pg_settings query failed: "+serverError(err)+"; the others unknown to SHOW)")
	}
	var s []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if name, val, ok := strings.Cut(line, "\t"); ok {
			if val == "" {
				val = "''"
			}
			s = append(s, name+" = "+val)
		}
	}
	return s
}

// serverError is the server's "ERROR:" message in a psql failure, or
// the failure's first line.
func serverError(err error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "ERROR:"); ok {
		return strings.TrimSpace(firstLine(rest))
	}
	return firstLine(msg)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// runConfig deploys both systems of cfg, loads the data, and runs every case
// on each, alternating which system goes first. Servers are stopped before
// it returns.
func (h *Harness) runConfig(ctx context.Context, cfg Config) (g groupResult) {
	g = groupResult{Key: cfg.Key, Name: cfg.Name, Todo: cfg.Todo}
	type side struct {
		start    StartFunc
		label    string
		replisql bool
		d        *Deployment
	}
	candidates := []side{{start: cfg.Postgres, label: "PostgreSQL"}}
	if cfg.RepliSQL != nil {
		candidates = append(candidates, side{start: cfg.RepliSQL, label: h.opts.replisqlLabel, replisql: true})
	}
	h.dir = filepath.Join(h.root, cfg.Key)
	if err := os.Mkdir(h.dir, 0o711); err != nil {
		g.Systems = append(g.Systems, systemResult{Label: "PostgreSQL", Err: err.Error()})
		return g
	}
	var sides []side
	defer func() {
		for _, s := range sides {
			if err := s.d.Stop(); err != nil {
				h.warnf("%s: stop %s: %v", cfg.Name, s.d.System, err)
			}
		}
		// Data directories can be large: do not keep them for the next configuration.
		if err := os.RemoveAll(h.dir); err != nil {
			h.warnf("%s: remove %s: %v", cfg.Name, h.dir, err)
		}
	}()
	for _, s := range candidates {
		h.logf("%s: starting %s", cfg.Name, s.label)
		d, err := s.start(ctx, h)
		sys := systemResult{Label: s.label, RepliSQL: s.replisql}
		if err == nil {
			s.d = d
			sides = append(sides, s)
			sys.Describe, sys.Settings = d.Describe, d.Settings
			err = h.prepare(ctx, cfg, d, &sys)
			if err != nil {
				sides = sides[:len(sides)-1]
				err = errors.Join(err, d.Stop())
			}
		}
		if err != nil {
			sys.Err = err.Error()
			h.warnf("%s: %s not measured: %v", cfg.Name, s.label, err)
		}
		g.Systems = append(g.Systems, sys)
		if ctx.Err() != nil {
			return g
		}
	}
	cases := h.opts.casesFor(cfg)
	g.Cases = cases
	profileClients := map[string]int{} // script → clients of the case profiled
	for _, c := range cases {
		if c.Mode == "prepared" && c.Clients > profileClients[c.Script] {
			profileClients[c.Script] = c.Clients
		}
	}
	var runs []caseResult
	for round := 0; round < h.opts.repeat; round++ {
		for i, c := range cases {
			order := append([]side(nil), sides...)
			if (round*len(cases)+i)%2 == 1 {
				slices.Reverse(order)
			}
			for _, s := range order {
				if ctx.Err() != nil {
					g.Rows = medianRows(runs)
					return g
				}
				profile := ""
				if s.replisql && round == 0 && h.opts.profileDir != "" && c.Mode == "prepared" && c.Clients == profileClients[c.Script] {
					name := fmt.Sprintf("%s-%s-c%d", cfg.Key, c.Script, c.Clients)
					if c.Route != "" {
						name += "-" + c.Route
					}
					profile = filepath.Join(h.opts.profileDir, name+".prof")
				}
				r := h.runCase(ctx, s.d, c, caseRun{
					targets:     cfg.targets(s.d, c, s.replisql),
					statRouting: s.replisql && c.Route != "" && len(s.d.Ports) > 1,
					profilePath: profile,
				})
				r.RepliSQL = s.replisql
				runs = append(runs, r)
				if r.Err != "" {
					h.warnf("%s: %s: %s: %s", cfg.Name, c, s.d.System, r.Err)
				} else {
					h.logf("%s: %s: %s: %.0f tps, avg %.2f ms, p99 %.2f ms, cpu %.0f µs/txn",
						cfg.Name, c, s.d.System, r.TPS, r.AvgMs, r.P99Ms, r.cpuPerTxnMicros())
				}
			}
		}
	}
	g.Rows = medianRows(runs)
	return g
}

// prepare loads the data on d. With followers, it first creates the lag
// probe's table, and after the load waits until the followers have applied
// it, so that the first case starts from a caught-up cluster.
func (h *Harness) prepare(ctx context.Context, cfg Config, d *Deployment, sys *systemResult) error {
	if len(d.Ports) > 1 {
		if err := h.createLagTable(ctx, d); err != nil {
			return err
		}
	}
	h.logf("%s: loading %s (scale %d)", cfg.Name, d.System, h.opts.scale)
	var err error
	if sys.Init, err = h.loadData(ctx, d); err != nil {
		return err
	}
	if len(d.Ports) > 1 {
		took, err := h.waitFollowersApplied(ctx, d, 10*time.Minute+time.Duration(h.opts.scale)*30*time.Second)
		if err != nil {
			return fmt.Errorf("after the load: %w", err)
		}
		sys.LoadCatchUp = took
		h.logf("%s: %s followers applied the load %.2f s after it ended", cfg.Name, d.System, took.Seconds())
	}
	return nil
}

// loadData creates the pgbench tables on d, by --init's method, and returns
// the method used.
func (h *Harness) loadData(ctx context.Context, d *Deployment) (string, error) {
	var method string
	var err error
	switch h.opts.init {
	case "pgbench":
		method, err = "pgbench -i", h.pgbenchInit(ctx, d.Port)
	case "sql":
		method, err = "SQL (CREATE TABLE, INSERT … VALUES × 1000 rows)", h.sqlInit(ctx, d.Port)
	default:
		method = "pgbench -i"
		if err = h.pgbenchInit(ctx, d.Port); err != nil {
			h.warnf("%s: pgbench -i failed, falling back to SQL: %s", d.System, firstLine(err.Error()))
			method = "SQL (CREATE TABLE, INSERT … VALUES × 1000 rows), after pgbench -i failed"
			err = h.sqlInit(ctx, d.Port)
		}
	}
	if err != nil {
		return method, fmt.Errorf("load data: %w", err)
	}
	// Start every system's first case from a clean checkpoint; a server
	// without CHECKPOINT is fine.
	_, _ = h.psql(ctx, d.Port, "CHECKPOINT")
	return method, nil
}

// medianRows reduces repeated runs to one row per case and system: the run
// with the median TPS (the lower one for an even count) among the successful
// runs, or the first failed run if none succeeded, with the TPS spread.
func medianRows(runs []caseResult) []caseResult {
	type key struct {
		c      caseSpec
		system string
	}
	var order []key
	byKey := map[key][]caseResult{}
	for _, r := range runs {
		k := key{r.Case, r.System}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	var rows []caseResult
	for _, k := range order {
		all := byKey[k]
		var ok []caseResult
		for _, r := range all {
			if r.Err == "" {
				ok = append(ok, r)
			}
		}
		if len(ok) == 0 {
			rows = append(rows, all[0])
			continue
		}
		slices.SortFunc(ok, func(a, b caseResult) int { return cmp.Compare(a.TPS, b.TPS) })
		row := ok[(len(ok)-1)/2]
		row.Runs, row.TPSMin, row.TPSMax = len(ok), ok[0].TPS, ok[len(ok)-1].TPS
		if len(ok) < len(all) {
			row.Err = fmt.Sprintf("%d of %d runs failed", len(all)-len(ok), len(all))
		}
		rows = append(rows, row)
	}
	return rows
}
