package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// cluster is a set of real nodes: n1 leads, the others follow.
type cluster struct {
	t     *testing.T
	nodes []*node
	peers string
}

// startCluster starts n nodes on free ports; every node gets args too.
func startCluster(t *testing.T, n int, args ...string) *cluster {
	t.Helper()
	bin := binaryPath(t)
	c := &cluster{t: t}
	var peers []string
	for i := range n {
		nd := &node{t: t, bin: bin, dataDir: filepath.Join(t.TempDir(), fmt.Sprintf("n%d", i+1)), port: freePort(t)}
		c.nodes = append(c.nodes, nd)
		peers = append(peers, fmt.Sprintf("n%d=%s", i+1, nd.addr()))
	}
	c.peers = strings.Join(peers, ",")
	for i, nd := range c.nodes {
		nd.args = append([]string{"--name", fmt.Sprintf("n%d", i+1), "--peers", c.peers, "--leader", "n1"}, args...)
		if err := nd.start(); err != nil {
			t.Fatalf("start n%d: %v", i+1, err)
		}
		t.Cleanup(nd.cleanup)
	}
	return c
}

// restart starts node i again on its data directory and port.
func (c *cluster) restart(i int) {
	c.t.Helper()
	old := c.nodes[i]
	nd := &node{t: c.t, bin: old.bin, dataDir: old.dataDir, port: old.port, args: old.args}
	if err := nd.start(); err != nil {
		c.t.Fatalf("restart n%d: %v", i+1, err)
	}
	c.t.Cleanup(nd.cleanup)
	c.nodes[i] = nd
}

// signal sends sig to node i (SIGSTOP pauses it: it receives nothing).
func (c *cluster) signal(i int, sig syscall.Signal) {
	c.t.Helper()
	if err := c.nodes[i].cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("signal n%d: %v", i+1, err)
	}
}

// waitCaughtUp waits until every follower has applied the leader's WAL.
func (c *cluster) waitCaughtUp(ctx context.Context) {
	c.t.Helper()
	leader := connectPGX(c.t, c.nodes[0], pgx.QueryExecModeSimpleProtocol)
	defer leader.Close(ctx)
	var end string
	if err := leader.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&end); err != nil {
		c.t.Fatal(err)
	}
	for i, nd := range c.nodes[1:] {
		conn := connectPGX(c.t, nd, pgx.QueryExecModeSimpleProtocol)
		deadline := time.Now().Add(60 * time.Second)
		for {
			var behind int64
			if err := conn.QueryRow(ctx, "SELECT pg_wal_lsn_diff($1, pg_last_wal_replay_lsn())::int8", end).Scan(&behind); err != nil {
				c.t.Fatal(err)
			}
			if behind <= 0 {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("n%d is still %d bytes behind the leader's %s after 60s", i+2, behind, end)
			}
			time.Sleep(50 * time.Millisecond)
		}
		conn.Close(ctx)
	}
}

// compare runs `replisql checksum --compare` over every node, asked over
// SQL by its URL (the nodes run: no other process may open their
// database files).
func (c *cluster) compare() string {
	c.t.Helper()
	var urls []string
	for _, nd := range c.nodes {
		urls = append(urls, nd.url())
	}
	out, err := exec.Command(c.nodes[0].bin, "checksum", "--compare", strings.Join(urls, ","), "--wait", "60s").CombinedOutput()
	if err != nil {
		c.t.Fatalf("checksum --compare: %v\n%s", err, out)
	}
	return string(out)
}

// TestReplicationCommitLevels proves which wait each synchronous_commit
// level makes, by pausing the followers (SIGSTOP: they receive nothing).
func TestReplicationCommitLevels(t *testing.T) {
	// Without forwarding, a follower refuses writes (25006).
	c := startCluster(t, 3, "--forward-writes=false")
	ctx := testCtx(t)
	leader := connectPGX(t, c.nodes[0], pgx.QueryExecModeCacheStatement)
	defer leader.Close(ctx)
	mustExec(t, leader, `CREATE TABLE t (id int PRIMARY KEY, level text)`)
	f2 := connectPGX(t, c.nodes[1], pgx.QueryExecModeCacheStatement)
	defer f2.Close(ctx)
	f3 := connectPGX(t, c.nodes[2], pgx.QueryExecModeCacheStatement)
	defer f3.Close(ctx)

	visible := func(conn *pgx.Conn, id int) bool {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM t WHERE id = $1`, id).Scan(&n); err != nil {
			if sqlState(err) == "42P01" { // the CREATE TABLE is not applied yet
				return false
			}
			t.Fatal(err)
		}
		return n == 1
	}
	set := func(level, names string) {
		mustExec(t, leader, "SET synchronous_commit = "+level)
		mustExec(t, leader, fmt.Sprintf("SET synchronous_standby_names = '%s'", names))
	}

	// remote_apply with ANY 2: both followers show the row at once.
	set("remote_apply", "ANY 2 (*)")
	mustExec(t, leader, `INSERT INTO t VALUES (1, 'remote_apply')`)
	if !visible(f2, 1) || !visible(f3, 1) {
		t.Fatal("remote_apply with ANY 2 (*): a follower does not show the row right after COMMIT")
	}
	// FIRST 1 (n3, n2): n3 is the synchronous one.
	set("remote_apply", "FIRST 1 (n3, n2)")
	mustExec(t, leader, `INSERT INTO t VALUES (2, 'remote_apply first')`)
	if !visible(f3, 2) {
		t.Fatal("remote_apply with FIRST 1 (n3, n2): n3 does not show the row right after COMMIT")
	}
	var states []string
	rows, err := leader.Query(ctx, `SELECT application_name || ':' || state || ':' || sync_state FROM pg_stat_replication ORDER BY application_name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		states = append(states, s)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	// pg_stat_replication's sync_state follows the cluster's setting
	// (empty here): both asynchronous.
	if got := strings.Join(states, " "); got != "n2:streaming:async n3:streaming:async" {
		t.Fatalf("pg_stat_replication: %s", got)
	}
	// on with ANY 2: both followers flushed the commit's LSN.
	set("on", "ANY 2 (*)")
	mustExec(t, leader, `INSERT INTO t VALUES (3, 'on')`)
	var commitLSN string
	if err := leader.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&commitLSN); err != nil {
		t.Fatal(err)
	}
	for i, f := range []*pgx.Conn{f2, f3} {
		var behind int64
		if err := f.QueryRow(ctx, `SELECT pg_wal_lsn_diff($1, pg_last_wal_receive_lsn())::int8`, commitLSN).Scan(&behind); err != nil {
			t.Fatal(err)
		}
		if behind > 0 {
			t.Fatalf("on with ANY 2: n%d's flush LSN is %d bytes short of the commit's %s", i+2, behind, commitLSN)
		}
	}

	// Pause both followers: the remote levels wait, off and local do not.
	c.signal(1, syscall.SIGSTOP)
	c.signal(2, syscall.SIGSTOP)
	resumed := false
	defer func() {
		if !resumed {
			c.signal(1, syscall.SIGCONT)
			c.signal(2, syscall.SIGCONT)
		}
	}()
	id := 10
	for _, level := range []string{"off", "local", "remote_write", "on", "remote_apply"} {
		id++
		set(level, "ANY 1 (*)")
		done := make(chan error, 1)
		go func() {
			_, err := leader.Exec(ctx, `INSERT INTO t VALUES ($1, $2)`, id, level)
			done <- err
		}()
		waits := level != "off" && level != "local"
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", level, err)
			}
			if waits {
				t.Fatalf("%s: COMMIT returned while every standby was paused", level)
			}
			continue
		case <-time.After(700 * time.Millisecond):
			if !waits {
				t.Fatalf("%s: COMMIT waited for paused standbys", level)
			}
		}
		// Resume one follower: the commit completes.
		c.signal(1, syscall.SIGCONT)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s after resume: %v", level, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: COMMIT still waits 10s after a standby resumed", level)
		}
		if level == "remote_apply" && !visible(f2, id) {
			t.Fatalf("remote_apply: n2 does not show row %d right after COMMIT", id)
		}
		c.signal(1, syscall.SIGSTOP)
	}
	// No synchronous standby named: remote levels are asynchronous.
	set("remote_apply", "")
	mustExec(t, leader, `INSERT INTO t VALUES (20, 'async')`)

	// A cancelled wait keeps the commit and warns (statement_timeout
	// cancels it, as a CancelRequest does).
	set("on", "ANY 1 (*)")
	var notices []string
	var mu sync.Mutex
	cfg, err := pgx.ParseConfig(c.nodes[0].dsn())
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		notices = append(notices, n.Severity+": "+n.Message)
		mu.Unlock()
	}
	conn2 := connectPGXConfig(t, cfg)
	defer conn2.Close(ctx)
	for _, q := range []string{`SET synchronous_commit = on`, `SET synchronous_standby_names = 'ANY 1 (*)'`, `SET statement_timeout = '300ms'`} {
		if _, err := conn2.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	began := time.Now()
	if _, err := conn2.Exec(ctx, `INSERT INTO t VALUES (21, 'cancelled wait')`); err != nil {
		t.Fatalf("a cancelled commit wait must not fail the commit: %v", err)
	}
	if d := time.Since(began); d < 250*time.Millisecond || d > 5*time.Second {
		t.Fatalf("the cancelled wait took %v, want about statement_timeout (300ms)", d)
	}
	mu.Lock()
	got := strings.Join(notices, "; ")
	mu.Unlock()
	if !strings.Contains(got, "WARNING: canceling wait for synchronous replication") {
		t.Fatalf("notices after a cancelled commit wait: %q", got)
	}
	if !visible(leader, 21) {
		t.Fatal("the commit whose wait was cancelled is not on the leader")
	}

	// A configuration change releases the waits it no longer needs: a
	// session that did not SET its own settings waits by the cluster's,
	// which ALTER SYSTEM and a reload (pg_reload_conf(), SIGHUP) change.
	fresh := connectPGX(t, c.nodes[0], pgx.QueryExecModeSimpleProtocol)
	defer fresh.Close(ctx)
	mustExec(t, leader, `ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (*)'`)
	mustExec(t, leader, `SELECT pg_reload_conf()`)
	var names string
	if err := fresh.QueryRow(ctx, `SHOW synchronous_standby_names`).Scan(&names); err != nil || names != "ANY 1 (*)" {
		t.Fatalf("after ALTER SYSTEM and pg_reload_conf(): synchronous_standby_names = %q, %v", names, err)
	}
	for _, how := range []string{"pg_reload_conf()", "SIGHUP"} {
		done := make(chan error, 1)
		go func() {
			_, err := fresh.Exec(ctx, `INSERT INTO t VALUES ($1, 'released')`, map[string]int{"pg_reload_conf()": 30, "SIGHUP": 31}[how])
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("a commit did not wait for the paused standbys (%v)", err)
		case <-time.After(500 * time.Millisecond):
		}
		mustExec(t, leader, `ALTER SYSTEM RESET synchronous_standby_names`)
		if how == "SIGHUP" {
			c.signal(0, syscall.SIGHUP)
		} else {
			mustExec(t, leader, `SELECT pg_reload_conf()`)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("released by %s: %v", how, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("a reload (%s) that empties synchronous_standby_names did not release the waiting commit", how)
		}
		mustExec(t, leader, `ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (*)'`)
		mustExec(t, leader, `SELECT pg_reload_conf()`)
	}
	// SET LOCAL outranks the cluster's setting for its transaction.
	mustExec(t, fresh, `BEGIN`)
	mustExec(t, fresh, `SET LOCAL synchronous_commit = local`)
	mustExec(t, fresh, `INSERT INTO t VALUES (32, 'set local')`)
	committed := make(chan error, 1)
	go func() { _, err := fresh.Exec(ctx, `COMMIT`); committed <- err }()
	select {
	case err := <-committed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("COMMIT after SET LOCAL synchronous_commit = local waited for the paused standbys")
	}
	mustExec(t, leader, `ALTER SYSTEM RESET synchronous_standby_names`)
	mustExec(t, leader, `SELECT pg_reload_conf()`)
	_, err = leader.Exec(ctx, `ALTER SYSTEM SET work_mem = '8MB'`)
	wantSQLState(t, "ALTER SYSTEM of a setting that cannot change at run time", err, "0A000")

	c.signal(1, syscall.SIGCONT)
	c.signal(2, syscall.SIGCONT)
	resumed = true

	// Followers are read-only and say so.
	_, err = f2.Exec(ctx, `INSERT INTO t VALUES (99, 'follower')`)
	wantSQLState(t, "INSERT on a follower", err, "25006")
	var inRecovery bool
	var hot string
	if err := f2.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&inRecovery); err != nil {
		t.Fatal(err)
	}
	if err := f2.QueryRow(ctx, `SHOW in_hot_standby`).Scan(&hot); err != nil {
		t.Fatal(err)
	}
	if !inRecovery || hot != "on" {
		t.Fatalf("follower: pg_is_in_recovery() = %v, in_hot_standby = %s", inRecovery, hot)
	}
	c.waitCaughtUp(ctx)
	t.Log(c.compare())
}

// TestReplicationUnderLoad runs pgbench on the leader while followers are
// killed, restarted, and rebuilt from a snapshot, and a fourth node joins;
// afterwards every node holds the same data. REPLISQL_CLUSTER_SCALE and
// REPLISQL_CLUSTER_SECONDS make it the full-size run (-s 10,
// -T 30).
func TestReplicationUnderLoad(t *testing.T) {
	pgbench := pgbenchPath(t)
	psql := psqlPath(t)
	scale, seconds := envInt("REPLISQL_CLUSTER_SCALE", 2), envInt("REPLISQL_CLUSTER_SECONDS", 12)
	// Snapshots every second, one kept: the leader purges its WAL soon, so
	// a follower that was away must restore a snapshot.
	c := startCluster(t, 3, "--snapshot-interval", "1s", "--snapshots-kept", "1",
		"--synchronous-standby-names", "ANY 1 (*)")
	leaderDSN := c.nodes[0].dsn()
	if out, err := runPgbench(t, pgbench, leaderDSN, 5*time.Minute, "-i", "-s", fmt.Sprint(scale), "-q"); err != nil {
		t.Fatalf("pgbench -i: %v\n%s", err, out)
	}
	load := make(chan string, 1)
	go func() {
		out, err := runPgbench(t, pgbench, leaderDSN, time.Duration(seconds+120)*time.Second,
			"-T", fmt.Sprint(seconds), "-c", "8", "-j", "2", "-M", "prepared")
		if err != nil {
			out = "FAILED: " + err.Error() + "\n" + out
		}
		load <- out
	}()
	// n3 is killed at once and comes back a little later.
	time.Sleep(time.Duration(seconds) * time.Second / 6)
	c.nodes[2].kill()
	time.Sleep(time.Duration(seconds) * time.Second / 6)
	c.restart(2)
	// n2 loses its data directory and comes back empty.
	c.nodes[1].kill()
	if err := os.RemoveAll(c.nodes[1].dataDir); err != nil {
		t.Fatal(err)
	}
	c.restart(1)
	out := <-load
	if strings.HasPrefix(out, "FAILED") || !strings.Contains(out, "number of failed transactions: 0") {
		t.Fatalf("pgbench on the leader:\n%s", out)
	}
	t.Logf("pgbench: %s", tpsLine(out))

	// A fourth node, not in the others' --peers, joins.
	bin := c.nodes[0].bin
	n4 := &node{t: t, bin: bin, dataDir: filepath.Join(t.TempDir(), "n4"), port: freePort(t)}
	n4.args = []string{"--name", "n4", "--peers", c.peers + ",n4=" + n4.addr(), "--leader", "n1"}
	if err := n4.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n4.cleanup)
	c.nodes = append(c.nodes, n4)

	ctx := testCtx(t)
	c.waitCaughtUp(ctx)
	for i, nd := range c.nodes {
		accounts := psqlValue(t, psql, nd.dsn(), `SELECT sum(abalance) FROM pgbench_accounts`)
		tellers := psqlValue(t, psql, nd.dsn(), `SELECT sum(tbalance) FROM pgbench_tellers`)
		history := psqlValue(t, psql, nd.dsn(), `SELECT sum(delta) FROM pgbench_history`)
		if accounts != history || tellers != history {
			t.Fatalf("n%d: sum(abalance) %s, sum(tbalance) %s, sum(delta) %s: the balance invariant fails", i+1, accounts, tellers, history)
		}
	}
	report := c.compare()
	t.Log(report)
	// The leader purged the WAL before its snapshot (one kept, taken
	// every second), so both nodes that came without data started from it.
	for _, i := range []int{1, 3} {
		if !strings.Contains(c.nodes[i].logs.String(), "restored from the leader's snapshot") {
			t.Errorf("n%d came without data and did not restore the leader's snapshot", i+1)
		}
	}
}

// TestReplicationLeaderRestart kills the leader during a load that
// commits at on with ANY 1 (*): after it restarts, every acknowledged
// commit is on the leader and on the followers.
func TestReplicationLeaderRestart(t *testing.T) {
	c := startCluster(t, 3, "--synchronous-standby-names", "ANY 1 (*)")
	w := newCrashWorkload(t, c.nodes[0])
	w.run(c.nodes[0], func() {
		time.Sleep(1500 * time.Millisecond)
		c.nodes[0].kill()
	})
	c.restart(0)
	w.check(c.nodes[0], "leader after SIGKILL")
	ctx := testCtx(t)
	c.waitCaughtUp(ctx)
	for i := 1; i < len(c.nodes); i++ {
		w.check(c.nodes[i], fmt.Sprintf("n%d", i+1))
	}
	t.Log(c.compare())
}

func envInt(name string, def int) int {
	var v int
	if _, err := fmt.Sscan(os.Getenv(name), &v); err != nil || v <= 0 {
		return def
	}
	return v
}

// TestSyncCommitsKeepFlowing commits for a while at on with ANY 2 (*),
// so that every commit needs both followers' acknowledgements, and fails
// if one commit waits for many seconds while every node is healthy (a
// lost status update, a stuck WAL sender).
func TestSyncCommitsKeepFlowing(t *testing.T) {
	c := startCluster(t, 3, "--synchronous-standby-names", "ANY 2 (*)")
	ctx := testCtx(t)
	setup := connectPGX(t, c.nodes[0], pgx.QueryExecModeSimpleProtocol)
	mustExec(t, setup, `CREATE TABLE flow (id int PRIMARY KEY, w int)`)
	setup.Close(ctx)
	const writers = 4
	run := time.Duration(envInt("REPLISQL_FLOW_SECONDS", 8)) * time.Second
	var mu sync.Mutex
	var worst time.Duration
	var commits int
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := connectPGX(t, c.nodes[0], pgx.QueryExecModeCacheStatement)
			defer conn.Close(context.Background())
			end := time.Now().Add(run)
			for i := 0; time.Now().Before(end); i++ {
				began := time.Now()
				if _, err := conn.Exec(ctx, `INSERT INTO flow VALUES ($1, $2)`, w*1_000_000+i, w); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				d := time.Since(began)
				mu.Lock()
				commits++
				worst = max(worst, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d synchronous commits (ANY 2) in %v, the slowest %v", commits, run, worst)
	if worst > 5*time.Second {
		t.Fatalf("a commit waited %v for healthy standbys: acknowledgements were lost", worst)
	}
	c.waitCaughtUp(ctx)
	t.Log(c.compare())
}

// TestChecksumOverSQL checks replisql_checksum() on a leader and a
// follower (JSON text with the node's LSN and its tables, answered by the
// node asked even when reads would be routed elsewhere), and that
// `replisql checksum --url` of a running node prints what --data-dir
// prints of its files once it stopped.
func TestChecksumOverSQL(t *testing.T) {
	c := startCluster(t, 2)
	ctx := testCtx(t)
	leader := connectPGX(t, c.nodes[0], pgx.QueryExecModeCacheStatement, `options='-c replisql.read_routing=followers'`)
	mustExec(t, leader, `CREATE TABLE b (id int PRIMARY KEY, v text)`)
	mustExec(t, leader, `INSERT INTO b VALUES (1, 'x'), (2, NULL), (3, 'z')`)
	mustExec(t, leader, `CREATE TABLE a (n numeric)`)
	mustExec(t, leader, `INSERT INTO a VALUES (1.5)`)
	mustExec(t, leader, `CREATE TABLE "e mpty" (x int)`)
	c.waitCaughtUp(ctx)
	var end string
	if err := leader.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&end); err != nil {
		t.Fatal(err)
	}
	follower := connectPGX(t, c.nodes[1], pgx.QueryExecModeCacheStatement, `options='-c replisql.read_routing=leader'`)

	type report struct {
		LSN    string `json:"lsn"`
		Tables []struct {
			Table  string `json:"table"`
			Rows   int64  `json:"rows"`
			SHA256 string `json:"sha256"`
		} `json:"tables"`
	}
	var reports []string
	for i, conn := range []*pgx.Conn{leader, follower} {
		rows, err := conn.Query(ctx, `SELECT replisql_checksum()`)
		if err != nil {
			t.Fatal(err)
		}
		if oid := rows.FieldDescriptions()[0].DataTypeOID; oid != 25 {
			t.Errorf("n%d: replisql_checksum() has type OID %d, want 25 (text)", i+1, oid)
		}
		var text string
		for rows.Next() {
			if err := rows.Scan(&text); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("n%d: SELECT replisql_checksum(): %v", i+1, err)
		}
		if by := servedBy(t, conn); by != fmt.Sprintf("n%d", i+1) {
			t.Errorf("n%d: SELECT replisql_checksum() was served by %s: it must answer for the node asked", i+1, by)
		}
		var r report
		if err := json.Unmarshal([]byte(text), &r); err != nil {
			t.Fatalf("n%d: replisql_checksum() = %s: %v", i+1, text, err)
		}
		var got []string
		for _, tc := range r.Tables {
			got = append(got, fmt.Sprintf("%s:%d", tc.Table, tc.Rows))
			if len(tc.SHA256) != 64 {
				t.Errorf("n%d: table %s: sha256 %q", i+1, tc.Table, tc.SHA256)
			}
		}
		if want := []string{"a:1", "b:3", "e mpty:0"}; !slices.Equal(got, want) || r.LSN != end {
			t.Errorf("n%d: replisql_checksum() = %s: tables %q at %s, want %q at the leader's %s", i+1, text, got, r.LSN, want, end)
		}
		reports = append(reports, text)
	}
	if reports[0] != reports[1] {
		t.Errorf("the leader and the caught-up follower differ:\n%s\n%s", reports[0], reports[1])
	}

	// The tool: the running follower by URL, then its files once stopped.
	checksum := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(c.nodes[0].bin, append([]string{"checksum"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("replisql checksum %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	live := checksum("--url", c.nodes[1].url())
	if !strings.Contains(live, "e mpty") {
		t.Fatalf("checksum --url:\n%s", live)
	}
	follower.Close(ctx)
	if err, _ := c.nodes[1].stop(stopTimeout); err != nil {
		t.Fatalf("stop n2: %v", err)
	}
	if files := checksum("--data-dir", c.nodes[1].dataDir); files != live {
		t.Fatalf("checksum --url of the running node:\n%s\n--data-dir once it stopped:\n%s", live, files)
	}
	// --compare takes a running node's URL beside a stopped node's data.
	if out := checksum("--compare", c.nodes[0].url()+","+c.nodes[1].dataDir, "--wait", "10s"); !strings.Contains(out, "2 nodes at "+end+": 3 tables, 0 differ") {
		t.Fatalf("checksum --compare URL,DIR:\n%s", out)
	}
}
