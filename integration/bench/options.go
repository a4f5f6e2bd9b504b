package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// options are the harness's command-line flags.
type options struct {
	scale           int
	duration        time.Duration
	routingDuration time.Duration // cap on the duration of the cases of a configuration with routes
	clients         []int
	clientsGiven    bool // --clients was given: it overrides a configuration's own client counts
	scripts         []string
	replScripts     []string // scripts of the replicated configurations
	simple          string   // "script:clients" of the one -M simple row, or ""
	maxThreads      int
	repeat          int // rounds of every case; rows show the median-TPS run
	configs         []string
	init            string // auto, pgbench or sql
	standbys        int
	replisqlBin     string
	replisqlLabel   string
	pgBinDir        string
	pgbench         string
	psql            string
	profileDir      string
	writeReport     bool
	reportPath      string
	plotPath        string
	quick           bool
	sampleInterval  time.Duration
	startTimeout    time.Duration
	args            []string // as given, for the report
}

var builtinScripts = []string{"tpcb-like", "simple-update", "select-only"}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{args: args}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var clients, scripts, replScripts, configs string
	fs.IntVar(&o.scale, "scale", 10, "pgbench scale factor (-s)")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "duration of each case (whole seconds, at least 1s)")
	fs.DurationVar(&o.routingDuration, "routing-duration", 15*time.Second, "at most this long for each case of the read-routing and write-forwarding configurations (whole seconds)")
	fs.StringVar(&clients, "clients", "1,8,32", "comma-separated client counts (-c); threads are min(clients, --max-threads)")
	fs.StringVar(&scripts, "scripts", strings.Join(builtinScripts, ","), "comma-separated pgbench built-in scripts, or insert / insert-off (single-row INSERT commits with synchronous_commit on / off)")
	fs.StringVar(&replScripts, "repl-scripts", "tpcb-like", `scripts of the replicated configurations, -M prepared at --clients ("" for --scripts); the lag probe runs during each`)
	fs.StringVar(&o.simple, "simple", "select-only:8", `the one extra "-M simple" case as script:clients ("" for none)`)
	fs.IntVar(&o.repeat, "repeat", 1, "run every case this many times (rounds, systems alternating); rows show the run with the median TPS and the spread")
	fs.IntVar(&o.maxThreads, "max-threads", 2, "pgbench threads per case are min(clients, this)")
	fs.StringVar(&configs, "configs", "single", "comma-separated configurations: "+strings.Join(configKeys(), ", "))
	fs.StringVar(&o.init, "init", "auto", "data load: pgbench (pgbench -i), sql (CREATE TABLE + multi-row INSERT via psql), or auto (pgbench -i, falling back to sql per system)")
	fs.IntVar(&o.standbys, "standbys", 2, "streaming standbys in the replicated PostgreSQL configurations")
	fs.StringVar(&o.replisqlBin, "replisql-bin", "bin/replisql", "RepliSQL server binary: any `path` honouring \"serve --data-dir DIR --listen HOST:PORT [--pprof HOST:PORT]\"")
	fs.StringVar(&o.replisqlLabel, "replisql-label", "RepliSQL", "name of the RepliSQL side in the report")
	fs.StringVar(&o.pgBinDir, "pg-bin", "/usr/lib/postgresql/15/bin", "directory of PostgreSQL server binaries (initdb, postgres, pg_basebackup)")
	fs.StringVar(&o.pgbench, "pgbench", "pgbench", "pgbench client")
	fs.StringVar(&o.psql, "psql", "psql", "psql client")
	fs.StringVar(&o.profileDir, "profile-dir", "", "save a CPU profile of the RepliSQL node per script into this directory (starts RepliSQL with --pprof)")
	fs.BoolVar(&o.writeReport, "write-report", false, "write the report to --report and the plot beside it")
	fs.StringVar(&o.reportPath, "report", "docs/benchmarks.md", "report path used with --write-report; the plot is the same path with .png")
	fs.StringVar(&o.plotPath, "plot", "", "write the plot PNG here (default: beside the report with --write-report, else none)")
	fs.BoolVar(&o.quick, "quick", false, "quick mode: 5s per case and clients 1,8 unless --duration/--clients are given")
	fs.DurationVar(&o.sampleInterval, "sample-interval", 250*time.Millisecond, "interval of RSS sampling of the server processes")
	fs.DurationVar(&o.startTimeout, "start-timeout", 60*time.Second, "how long to wait for a server to accept connections")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.quick {
		if !set["duration"] {
			o.duration = 5 * time.Second
		}
		if !set["clients"] {
			clients = "1,8"
		}
	}
	o.clientsGiven = set["clients"]
	var err error
	if o.clients, err = parseInts(clients); err != nil {
		return nil, fmt.Errorf("--clients: %w", err)
	}
	o.scripts = splitList(scripts)
	for _, s := range o.scripts {
		if !isBuiltinScript(s) {
			return nil, fmt.Errorf("--scripts: %q is not a pgbench built-in script (%s) nor insert/insert-off", s, strings.Join(builtinScripts, ", "))
		}
	}
	o.replScripts = splitList(replScripts)
	if len(o.replScripts) == 0 {
		o.replScripts = o.scripts
	}
	for _, s := range o.replScripts {
		if !isBuiltinScript(s) {
			return nil, fmt.Errorf("--repl-scripts: %q is not a pgbench built-in script (%s) nor insert/insert-off", s, strings.Join(builtinScripts, ", "))
		}
	}
	if o.simple != "" {
		if _, _, err := parseSimple(o.simple); err != nil {
			return nil, fmt.Errorf("--simple: %w", err)
		}
	}
	o.configs = splitList(configs)
	for _, k := range o.configs {
		if _, ok := lookupConfig(k); !ok {
			return nil, fmt.Errorf("--configs: unknown configuration %q (have %s)", k, strings.Join(configKeys(), ", "))
		}
	}
	switch {
	case o.duration < time.Second || o.duration%time.Second != 0:
		return nil, fmt.Errorf("--duration %v: must be whole seconds, at least 1s", o.duration)
	case o.routingDuration < time.Second || o.routingDuration%time.Second != 0:
		return nil, fmt.Errorf("--routing-duration %v: must be whole seconds, at least 1s", o.routingDuration)
	case o.scale < 1:
		return nil, fmt.Errorf("--scale %d: must be at least 1", o.scale)
	case o.repeat < 1 || o.repeat > 20:
		return nil, fmt.Errorf("--repeat %d: must be 1..20", o.repeat)
	case o.maxThreads < 1:
		return nil, fmt.Errorf("--max-threads %d: must be at least 1", o.maxThreads)
	case o.standbys < 0 || o.standbys > 8:
		return nil, fmt.Errorf("--standbys %d: must be 0..8", o.standbys)
	case o.init != "auto" && o.init != "pgbench" && o.init != "sql":
		return nil, fmt.Errorf("--init %q: must be auto, pgbench or sql", o.init)
	case o.sampleInterval < 10*time.Millisecond:
		return nil, fmt.Errorf("--sample-interval %v: must be at least 10ms", o.sampleInterval)
	case len(o.scripts) == 0 && o.simple == "":
		return nil, fmt.Errorf("no cases: give --scripts or --simple")
	}
	if o.plotPath == "" && o.writeReport {
		o.plotPath = strings.TrimSuffix(o.reportPath, ".md") + ".png"
	}
	return o, nil
}

// commitScripts measure commit latency: one single-row INSERT per
// transaction, with synchronous_commit on (waits for the local WAL fsync)
// or off. They are not pgbench built-ins; the harness writes them.
var commitScripts = map[string]struct {
	syncCommit string
}{
	"insert":     {syncCommit: "on"},
	"insert-off": {syncCommit: "off"},
}

const commitScript = "\\set v random(1, 1000000)\nINSERT INTO bench_commits (v) VALUES (:v);\n"

func isBuiltinScript(s string) bool {
	for _, b := range builtinScripts {
		if s == b {
			return true
		}
	}
	_, ok := commitScripts[s]
	return ok
}

func parseSimple(s string) (script string, clients int, err error) {
	script, n, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0, fmt.Errorf("%q: want script:clients", s)
	}
	if !isBuiltinScript(script) {
		return "", 0, fmt.Errorf("%q: unknown script %q", s, script)
	}
	clients, err = strconv.Atoi(n)
	if err != nil || clients < 1 {
		return "", 0, fmt.Errorf("%q: bad client count", s)
	}
	return script, clients, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("%q: want integers in 1..1000", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	return out, nil
}

// caseSpec is one pgbench run: a built-in script, a query mode and a
// client count, for a duration, by a route (in a configuration with routes).
type caseSpec struct {
	Script   string
	Mode     string // prepared or simple
	Clients  int
	Threads  int
	Duration time.Duration
	Route    string // Route.Name, or "" (pgbench on the primary/leader)
}

func (c caseSpec) String() string {
	s := fmt.Sprintf("%s -M %s -c %d -j %d", c.Script, c.Mode, c.Clients, c.Threads)
	if c.Route != "" {
		s += " (route " + c.Route + ")"
	}
	return s
}

// cases lists the cases of the single-node configuration, in run order.
func (o *options) cases() []caseSpec {
	return o.casesOf(o.scripts, o.simple)
}

// casesFor lists the cases of cfg, in run order: a replicated
// configuration runs --repl-scripts, -M prepared only.
func (o *options) casesFor(cfg Config) []caseSpec {
	if len(cfg.Routes) > 0 {
		clients := cfg.Clients
		if o.clientsGiven || len(clients) == 0 {
			clients = o.clients
		}
		var out []caseSpec
		for _, s := range cfg.Scripts {
			for _, c := range clients {
				for _, r := range cfg.Routes {
					out = append(out, caseSpec{Script: s, Mode: "prepared", Clients: c, Threads: min(c, o.maxThreads),
						Duration: min(o.duration, o.routingDuration), Route: r.Name})
				}
			}
		}
		return out
	}
	if cfg.Replicated {
		return o.casesOf(o.replScripts, "")
	}
	return o.cases()
}

// scriptsRun lists, in order and once each, the scripts the selected
// configurations run.
func (o *options) scriptsRun() []string {
	var out []string
	for _, k := range o.configs {
		cfg, _ := lookupConfig(k)
		for _, c := range o.casesFor(cfg) {
			if !slices.Contains(out, c.Script) {
				out = append(out, c.Script)
			}
		}
	}
	return out
}

func (o *options) casesOf(scripts []string, simple string) []caseSpec {
	threads := func(c int) int { return min(c, o.maxThreads) }
	var out []caseSpec
	for _, s := range scripts {
		for _, c := range o.clients {
			out = append(out, caseSpec{Script: s, Mode: "prepared", Clients: c, Threads: threads(c), Duration: o.duration})
		}
	}
	if simple != "" {
		s, c, _ := parseSimple(simple)
		out = append(out, caseSpec{Script: s, Mode: "simple", Clients: c, Threads: threads(c), Duration: o.duration})
	}
	return out
}
