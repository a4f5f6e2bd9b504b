// Command bench runs pgbench against RepliSQL and against PostgreSQL 15 in one
// run, on the same machine, and reports both side by side with their ratio.
//
// Run it from the repository root:
//
//	make build
//	go run ./integration/bench --replisql-bin bin/replisql                  # full run, about 12 minutes
//	go run ./integration/bench --replisql-bin bin/replisql --quick          # about 1.5-3 minutes
//	go run ./integration/bench --replisql-bin bin/replisql --write-report \
//	    --profile-dir bin/profiles        # docs/benchmarks.{md,png}, one CPU profile per script
//
// The single-node configuration is 3 scripts × clients 1, 8, 32 with -M
// prepared, plus select-only at 8 clients with -M simple: 10 cases × 2
// systems × 30 s, at scale 10. --configs adds the replicated
// configurations (async, sync-on, remote-apply): PostgreSQL 15 with a
// primary and --standbys streaming standbys against a RepliSQL cluster of
// as many nodes, with the same commit settings; they run --repl-scripts
// (tpcb-like) at --clients, -M prepared, and measure replication lag
// meanwhile. The routing configurations (read-routing, write-forwarding;
// asynchronous, --routing-duration per case) run each case once per
// Route: select-only at 8 and 32 clients served by the leader alone
// ("local") or spread over the nodes ("spread": RepliSQL's leader with
// replisql.read_routing=followers; PostgreSQL one pgbench per node,
// clients split, run concurrently and summed), and tpcb-like at 1 and 8
// clients sent to the leader or to a follower (RepliSQL forwards the
// writes; PostgreSQL's libpq, handed standby1,primary with
// target_session_attrs=read-write, lands on the primary). The report
// compares each route with its baseline and gives the statements each
// node served (replisql_stat_routing). make bench runs all six
// configurations (about 30 minutes).
// --quick is 5 s per case and clients 1, 8. --repeat N runs every case N
// times and reports the median.
//
// testdata/postgres-shim.sh honours the RepliSQL command-line contract but
// runs PostgreSQL 15, to check the harness with PostgreSQL on both sides:
//
//	go run ./integration/bench --quick --replisql-bin integration/bench/testdata/postgres-shim.sh
//
// (single node only: the shim does not form a cluster.)
//
// The report goes to standard output (and to --report with --write-report);
// progress and warnings go to standard error. The exit status is 1 if a
// system could not be measured or a case failed; the report is still written.
//
// # Layers
//
//   - Config (config.go): one row group of the report. A Config holds a
//     StartFunc per system; a StartFunc starts that system's processes and
//     returns a Deployment: the port pgbench connects to, every node's port,
//     the root PIDs whose process trees are measured, and a Stop function.
//     Adding a configuration is one new Config value and, at most, one new
//     StartFunc.
//   - postgres.go starts PostgreSQL 15 (initdb, postgres, pg_basebackup) as
//     the user nobody when the harness runs as root; replisql.go starts the
//     RepliSQL binary with its command-line contract
//     `serve --data-dir DIR --listen 127.0.0.1:PORT [--pprof 127.0.0.1:PORT]`,
//     and for a cluster `--name nI --peers n1=…,n2=… --leader n1
//     --synchronous-commit C --synchronous-standby-names S` on every node.
//     A replicated StartFunc returns only once the primary (leader) shows
//     every standby (follower) 'streaming' in pg_stat_replication, and a
//     'quorum' one in the synchronous modes.
//   - lag.go measures replication lag during a case on a deployment with
//     more than one node (Ports[0] the leader, Ports[1] the follower
//     polled), and waits for the followers to catch up after the load and
//     after every case.
//   - route.go: a Route maps a case's clients, per system, to pgbench
//     processes (connection string and clients each); a Config with
//     Routes runs every case once per route.
//   - pgbench.go runs one case (built-in script × clients × query mode) and
//     parses pgbench's summary and its per-transaction log; procstat.go samples
//     the server processes during the case.
//   - report.go and plot.go turn the results into Markdown and a PNG.
//
// # Measurement
//
// TPS is pgbench's "tps = N (without initial connection time)". Average and
// p99 latency are computed from pgbench's per-transaction log (-l): every
// successful transaction's latency, p99 by nearest rank.
//
// Server CPU is utime+stime+cutime+cstime summed over the live process tree
// under each root PID (/proc/PID/stat), read before and after the case. The
// sum is conserved when a child exits and is reaped (its times move into the
// parent's cutime/cstime), so PostgreSQL backends that exit at the end of
// the case are counted in full. CPU per transaction is that delta divided by
// the transactions pgbench processed.
//
// Peak RSS: if the measured tree is a single process (RepliSQL), its VmHWM
// from /proc/PID/status, reset at the start of each case by writing 5 to
// /proc/PID/clear_refs (if the reset fails, VmHWM is the lifetime peak and the
// report says so). Otherwise (PostgreSQL's postmaster and its children), the
// peak over samples (every --sample-interval) of the summed RSS of every
// process in the tree. Summed RSS counts shared buffers once per process that
// touched them, so the report also gives the peak summed PSS
// (/proc/PID/smaps_rollup), which divides shared pages among their users.
//
// Replication lag: every 75 ms a probe commits one row into bench_lag (id,
// written_at) on the leader, then polls the first follower until the row is
// visible; the lag is from the commit's return to the return of the first
// poll that sees it. One connection to each node, the same statements and
// timing for both systems. bench_lag is created before the load (pgbench
// -i drops only pgbench_* tables) and is never emptied.
//
// # Invariants
//
// Every server the harness starts is stopped before run returns, also on
// failure and on SIGINT/SIGTERM; every temporary directory is removed; every
// wait is bounded in time; everything listens on and connects to 127.0.0.1.
// Every case on a replicated deployment starts with every follower caught
// up with the leader.
// The two systems alternate case by case (ABBA order) so that drift on a
// shared machine hits both.
package main
