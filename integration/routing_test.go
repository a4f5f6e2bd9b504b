package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lib/pq"
)

// TestWriteForwarding connects to a follower only: writes, transactions,
// errors, RETURNING and COPY go to the leader and come back unchanged, in
// every pgx query mode; the session reads its own writes on the follower.
func TestWriteForwarding(t *testing.T) {
	c := startCluster(t, 3)
	ctx := testCtx(t)
	f := c.nodes[1]
	setup := connectPGX(t, f, pgx.QueryExecModeSimpleProtocol)
	defer setup.Close(ctx)
	mustExec(t, setup, `CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, qty int CHECK (qty >= 0))`)
	if got := servedBy(t, setup); got != "n1" {
		t.Fatalf("CREATE TABLE on a follower was served by %q, want the leader n1", got)
	}
	modes := []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe,
		pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol}
	for i, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			conn := connectPGX(t, f, mode)
			defer conn.Close(ctx)
			name := fmt.Sprintf("item-%d", i)
			// Autocommit write with RETURNING, then read it here.
			var id int
			if err := conn.QueryRow(ctx, `INSERT INTO items (name, qty) VALUES ($1, $2) RETURNING id`, name, 5).Scan(&id); err != nil {
				t.Fatalf("INSERT … RETURNING: %v", err)
			}
			var qty int
			if err := conn.QueryRow(ctx, `SELECT qty FROM items WHERE id = $1`, id).Scan(&qty); err != nil || qty != 5 {
				t.Fatalf("read-your-writes: qty = %d, %v", qty, err)
			}
			if got := servedBy(t, conn); got != "n2" {
				t.Fatalf("the read after the write was served by %q, want this follower n2", got)
			}
			// Errors keep their SQLSTATE.
			_, err := conn.Exec(ctx, `INSERT INTO items (name, qty) VALUES ($1, 1)`, name)
			wantSQLState(t, "duplicate name", err, "23505")
			_, err = conn.Exec(ctx, `UPDATE items SET qty = -1 WHERE id = $1`, id)
			wantSQLState(t, "check violation", err, "23514")
			// A transaction: reads after its first write see it (they run
			// on the leader), a failure aborts it, ROLLBACK undoes it.
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, `UPDATE items SET qty = qty + 10 WHERE id = $1`, id); err != nil {
				t.Fatal(err)
			}
			if err := tx.QueryRow(ctx, `SELECT qty FROM items WHERE id = $1`, id).Scan(&qty); err != nil || qty != 15 {
				t.Fatalf("inside the transaction: qty = %d, %v", qty, err)
			}
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRow(ctx, `SELECT qty FROM items WHERE id = $1`, id).Scan(&qty); err != nil || qty != 5 {
				t.Fatalf("after ROLLBACK: qty = %d, %v", qty, err)
			}
			tx, err = conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tx.Exec(ctx, `UPDATE items SET qty = 7 WHERE id = $1`, id)
			_, err = tx.Exec(ctx, `SELECT 1/0`)
			wantSQLState(t, "division by zero in a forwarded transaction", err, "22012")
			_, err = tx.Exec(ctx, `SELECT 1`)
			wantSQLState(t, "statement after an error", err, "25P02")
			tx.Rollback(ctx)
			if err := conn.QueryRow(ctx, `SELECT qty FROM items WHERE id = $1`, id).Scan(&qty); err != nil || qty != 5 {
				t.Fatalf("after a failed transaction: qty = %d, %v", qty, err)
			}
			checkUsable(t, conn, "forwarding")
		})
	}

	// COPY FROM through the follower (pgx CopyFrom: binary COPY).
	conn := connectPGX(t, f, pgx.QueryExecModeCacheStatement)
	defer conn.Close(ctx)
	var rows [][]any
	for i := range 1000 {
		rows = append(rows, []any{fmt.Sprintf("copied-%d", i), int32(i)})
	}
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"name", "qty"}, pgx.CopyFromRows(rows))
	if err != nil || n != 1000 {
		t.Fatalf("CopyFrom through a follower: %d, %v", n, err)
	}
	var total int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM items WHERE name LIKE 'copied-%'`).Scan(&total); err != nil || total != 1000 {
		t.Fatalf("after CopyFrom: %d rows, %v", total, err)
	}

	// Read-your-writes across connections: the token of one session is
	// asked for by another, on the other follower.
	var token string
	if err := conn.QueryRow(ctx, `SELECT replisql_last_commit_lsn()::text`).Scan(&token); err != nil || !strings.Contains(token, "/") {
		t.Fatalf("replisql_last_commit_lsn() = %q, %v", token, err)
	}
	other := connectPGX(t, c.nodes[2], pgx.QueryExecModeSimpleProtocol)
	defer other.Close(ctx)
	mustExec(t, other, fmt.Sprintf(`SET replisql.read_after_lsn = '%s'`, token))
	if err := other.QueryRow(ctx, `SELECT count(*) FROM items WHERE name LIKE 'copied-%'`).Scan(&total); err != nil || total != 1000 {
		t.Fatalf("n3 after read_after_lsn %s: %d rows, %v", token, total, err)
	}
	// Writes made on the leader reached both followers; all agree.
	c.waitCaughtUp(context.Background())
	t.Log(c.compare())
}

// TestReadRouting sends a leader's reads to followers: by policy, as
// whole READ ONLY blocks, never to a follower that has not applied the
// session's own commit or lags more than replisql.max_replica_lag.
func TestReadRouting(t *testing.T) {
	c := startCluster(t, 3)
	ctx := testCtx(t)
	conn := c.leaderWith(t, `CREATE TABLE r (id int PRIMARY KEY)`)
	// Default ('any'): the leader reads its own data.
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM r`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if got := servedBy(t, conn); got != "n1" {
		t.Fatalf("read_routing any on the leader: served by %s", got)
	}
	mustExec(t, conn, `SET replisql.read_routing = 'followers'`)
	seen := map[string]bool{}
	for i := range 20 {
		// Each read must see the session's own previous write, wherever
		// it runs.
		mustExec(t, conn, `INSERT INTO r VALUES ($1)`, i)
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM r`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != i+1 {
			t.Fatalf("read %d after its own write saw %d rows (served by %s)", i, n, servedBy(t, conn))
		}
		seen[servedBy(t, conn)] = true
	}
	c.waitCaughtUp(ctx)
	for range 10 {
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM r`).Scan(&n); err != nil || n != 20 {
			t.Fatalf("count = %d, %v", n, err)
		}
		seen[servedBy(t, conn)] = true
	}
	if !seen["n2"] || !seen["n3"] {
		t.Fatalf("read_routing followers used %v, want both followers", seen)
	}
	// A READ ONLY block runs on one follower as a whole.
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	tx.QueryRow(ctx, `SELECT count(*) FROM r`).Scan(&n)
	first := servedBy(t, conn)
	tx.QueryRow(ctx, `SELECT count(*) FROM r`).Scan(&n)
	if second := servedBy(t, conn); first == "n1" || second != first {
		t.Fatalf("READ ONLY block: statements served by %s then %s", first, second)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Followers that lag more than the bound are skipped.
	other := connectPGX(t, c.nodes[0], pgx.QueryExecModeSimpleProtocol)
	defer other.Close(ctx)
	mustExec(t, other, `SET replisql.read_routing = 'followers'`)
	mustExec(t, other, `SET replisql.max_replica_lag = '1kB'`)
	c.signal(1, syscall.SIGSTOP)
	c.signal(2, syscall.SIGSTOP)
	for i := 100; i < 150; i++ {
		mustExec(t, conn, `INSERT INTO r VALUES ($1)`, i)
	}
	if err := other.QueryRow(ctx, `SELECT count(*) FROM r`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	got := servedBy(t, other)
	c.signal(1, syscall.SIGCONT)
	c.signal(2, syscall.SIGCONT)
	if got != "n1" || n != 70 {
		t.Fatalf("with both followers paused and a 1kB lag bound: %d rows served by %s, want 70 from n1", n, got)
	}
	// The routing metrics count what happened.
	var reads int64
	if err := conn.QueryRow(ctx, `SELECT coalesce(sum(statements), 0) FROM replisql_stat_routing WHERE route = 'read'`).Scan(&reads); err != nil {
		t.Fatal(err)
	}
	if reads < 10 {
		t.Fatalf("replisql_stat_routing counts %d reads sent to followers", reads)
	}
}

// TestReadYourWrites inserts a row and reads it back through followers
// many times: with the guarantee on, never a miss; with it off, misses
// show that the test can see one.
func TestReadYourWrites(t *testing.T) {
	c := startCluster(t, 3)
	ctx := testCtx(t)
	conn := c.leaderWith(t, `CREATE TABLE ryw (id int PRIMARY KEY)`)
	mustExec(t, conn, `SET replisql.read_routing = 'followers'`)
	iterations := envInt("REPLISQL_RYW_ITERATIONS", 10000)
	run := func(from int) (misses, onFollowers int) {
		for i := from; i < from+iterations; i++ {
			mustExec(t, conn, `INSERT INTO ryw VALUES ($1)`, i)
			if i%10 == 0 {
				// Now and then give the followers time to report the
				// commit, so that reads do reach them (on a loaded
				// machine they would otherwise all fall back to the
				// leader, and the test would prove nothing).
				waitReported(t, conn)
			}
			var n int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM ryw WHERE id = $1`, i).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				misses++
			}
		}
		var reads int64
		if err := conn.QueryRow(ctx, `SELECT coalesce(sum(statements), 0) FROM replisql_stat_routing WHERE route = 'read'`).Scan(&reads); err != nil {
			t.Fatal(err)
		}
		return misses, int(reads)
	}
	misses, reads := run(0)
	t.Logf("read-your-writes on: %d iterations, %d misses, %d reads served by followers so far", iterations, misses, reads)
	if misses != 0 {
		t.Fatalf("read-your-writes: %d of %d reads missed the session's own row", misses, iterations)
	}
	if reads == 0 {
		t.Fatal("no read went to a follower: the test proves nothing")
	}
	mustExec(t, conn, `SET replisql.read_your_writes = off`)
	off := min(iterations, 2000)
	misses = 0
	for i := 1_000_000; i < 1_000_000+off; i++ {
		mustExec(t, conn, `INSERT INTO ryw VALUES ($1)`, i)
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM ryw WHERE id = $1`, i).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			misses++
		}
	}
	t.Logf("read-your-writes off: %d iterations, %d misses", off, misses)
	if misses == 0 {
		t.Fatal("with read-your-writes off no read ever missed: the check above could not fail")
	}
}

// TestFollowerClients runs pgbench (writes forwarded), lib/pq and psql
// against a follower's port, and libpq's target_session_attrs over the
// cluster.
func TestFollowerClients(t *testing.T) {
	pgbench := pgbenchPath(t)
	psql := psqlPath(t)
	c := startCluster(t, 3)
	leader, follower := c.nodes[0], c.nodes[1]
	if out, err := runPgbench(t, pgbench, leader.dsn(), 2*time.Minute, "-i", "-s", "1", "-q"); err != nil {
		t.Fatalf("pgbench -i: %v\n%s", err, out)
	}
	ctx := testCtx(t)
	c.waitCaughtUp(ctx)
	// pgbench empties pgbench_history before each run: the balances move
	// by exactly that run's deltas, on every node.
	sum := func(nd *node, q string) int64 {
		var v int64
		fmt.Sscan(psqlValue(t, psql, nd.dsn(), q), &v)
		return v
	}
	for _, script := range [][]string{{}, {"-N"}} {
		before := sum(leader, `SELECT coalesce(sum(abalance), 0) FROM pgbench_accounts`)
		args := append([]string{"-T", "5", "-c", "4", "-j", "2", "-M", "prepared"}, script...)
		out, err := runPgbench(t, pgbench, follower.dsn(), time.Minute, args...)
		if err != nil || !strings.Contains(out, "number of failed transactions: 0") {
			t.Fatalf("pgbench %v on a follower: %v\n%s", args, err, out)
		}
		t.Logf("pgbench %v on follower n2 (writes forwarded): %s", script, tpsLine(out))
		c.waitCaughtUp(ctx)
		for i, nd := range c.nodes {
			moved := sum(nd, `SELECT coalesce(sum(abalance), 0) FROM pgbench_accounts`) - before
			delta := sum(nd, `SELECT coalesce(sum(delta), 0) FROM pgbench_history`)
			if moved != delta {
				t.Fatalf("pgbench %v: on n%d the accounts moved by %d, the history holds %d", script, i+1, moved, delta)
			}
		}
	}

	// psql on the follower: a transaction with an error, then recovery.
	out, err := runPSQL(t, psql, follower.dsn(), nil, "-X", "-v", "ON_ERROR_STOP=0", "-c", `CREATE TABLE p (id int PRIMARY KEY, v text)`,
		"-c", `BEGIN; INSERT INTO p VALUES (1, 'a'); INSERT INTO p VALUES (1, 'dup');`,
		"-c", `SELECT 1`, "-c", `ROLLBACK`,
		"-c", `INSERT INTO p VALUES (2, 'b') RETURNING id`, "-c", `SELECT count(*) FROM p`)
	if err != nil || !strings.Contains(out, "25P02") && !strings.Contains(out, "current transaction is aborted") ||
		!strings.Contains(out, "ROLLBACK") || !strings.Contains(out, "INSERT 0 1") || !strings.HasSuffix(strings.TrimSpace(out), "(1 row)") {
		t.Fatalf("psql on a follower: %v\n%s", err, out)
	}

	// lib/pq through database/sql, including CopyIn.
	libpqOnFollower(t, follower)

	// libpq's multi-host conventions: read-write finds the leader,
	// prefer-standby a follower.
	hosts := fmt.Sprintf("host=127.0.0.1,127.0.0.1 port=%d,%d user=postgres dbname=postgres sslmode=disable", follower.port, leader.port)
	if got := psqlValue(t, psql, hosts+" target_session_attrs=read-write", `SELECT pg_is_in_recovery()`); got != "f" {
		t.Fatalf("target_session_attrs=read-write reached a node in recovery (%s)", got)
	}
	hosts = fmt.Sprintf("host=127.0.0.1,127.0.0.1 port=%d,%d user=postgres dbname=postgres sslmode=disable", leader.port, follower.port)
	if got := psqlValue(t, psql, hosts+" target_session_attrs=prefer-standby", `SELECT pg_is_in_recovery()`); got != "t" {
		t.Fatalf("target_session_attrs=prefer-standby reached the leader (%s)", got)
	}
}

// libpqOnFollower drives lib/pq (database/sql) against a follower.
func libpqOnFollower(t *testing.T, n *node) {
	t.Helper()
	ctx := testCtx(t)
	db := openPQ(t, n.dsn())
	pqExec(t, db, `CREATE TABLE lp (id int PRIMARY KEY, name text)`)
	var id int
	if err := db.QueryRowContext(ctx, `INSERT INTO lp VALUES ($1, $2) RETURNING id`, 1, "one").Scan(&id); err != nil || id != 1 {
		t.Fatalf("lib/pq INSERT … RETURNING on a follower: %d, %v", id, err)
	}
	stmt, err := db.PrepareContext(ctx, `INSERT INTO lp VALUES ($1, $2)`)
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 5; i++ {
		if _, err := stmt.ExecContext(ctx, i, fmt.Sprint("n", i)); err != nil {
			t.Fatalf("prepared INSERT %d: %v", i, err)
		}
	}
	stmt.Close()
	// A transaction mixing reads and writes, with an error in it.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var count int
	tx.QueryRowContext(ctx, `SELECT count(*) FROM lp`).Scan(&count)
	if _, err := tx.ExecContext(ctx, `INSERT INTO lp VALUES (6, 'six')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM lp`).Scan(&count); err != nil || count != 6 {
		t.Fatalf("read after a write in the transaction: %d, %v", count, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO lp VALUES (1, 'dup')`)
	wantSQLState(t, "duplicate in a forwarded transaction", err, "23505")
	_, err = tx.ExecContext(ctx, `SELECT 1`)
	wantSQLState(t, "after the error", err, "25P02")
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// COPY FROM in a transaction (CopyIn).
	tx, err = db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := tx.Prepare(pq.CopyIn("lp", "id", "name"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < 600; i++ {
		if _, err := cp.Exec(i, fmt.Sprint("copied ", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cp.Exec(); err != nil {
		t.Fatalf("CopyIn through a follower: %v", err)
	}
	cp.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM lp`).Scan(&count); err != nil || count != 505 {
		t.Fatalf("after CopyIn: %d rows, %v", count, err)
	}
}

// TestRoutedSelectOnly runs pgbench -S -M prepared -c 16 against the
// leader with reads routed to followers: every node executes statements,
// as their own metrics show.
func TestRoutedSelectOnly(t *testing.T) {
	pgbench := pgbenchPath(t)
	psql := psqlPath(t)
	c := startCluster(t, 3)
	leader := c.nodes[0]
	if out, err := runPgbench(t, pgbench, leader.dsn(), 2*time.Minute, "-i", "-s", "1", "-q"); err != nil {
		t.Fatalf("pgbench -i: %v\n%s", err, out)
	}
	c.waitCaughtUp(testCtx(t))
	dsn := leader.dsn(`options='-c replisql.read_routing=followers'`)
	out, err := runPgbench(t, pgbench, dsn, time.Minute, "-S", "-M", "prepared", "-c", "16", "-j", "2", "-T", "5")
	if err != nil || !strings.Contains(out, "number of failed transactions: 0") {
		t.Fatalf("pgbench -S with reads routed to followers: %v\n%s", err, out)
	}
	t.Logf("pgbench -S -M prepared -c 16 on the leader, reads routed to followers: %s", tpsLine(out))
	for i, nd := range c.nodes {
		report := psqlValue(t, psql, nd.dsn(), `SELECT string_agg(route || '@' || node || '=' || statements, ' ') FROM replisql_stat_routing`)
		t.Logf("n%d routing: %s", i+1, report)
		var local int64
		fmt.Sscan(psqlValue(t, psql, nd.dsn(), `SELECT coalesce(sum(statements), 0) FROM replisql_stat_routing WHERE route = 'local'`), &local)
		if i > 0 && local < 100 {
			t.Fatalf("follower n%d executed %d statements locally: the reads did not reach it", i+1, local)
		}
		if i == 0 {
			var sent int64
			fmt.Sscan(psqlValue(t, psql, nd.dsn(), `SELECT coalesce(sum(statements), 0) FROM replisql_stat_routing WHERE route = 'read'`), &sent)
			if sent < 100 {
				t.Fatalf("the leader sent %d reads to followers", sent)
			}
		}
	}
}

// servedBy is SHOW replisql.served_by: the node that ran conn's previous
// statement.
func servedBy(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(testCtx(t), `SHOW replisql.served_by`, pgx.QueryExecModeSimpleProtocol).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitReported waits (up to 5s) until every standby has reported
// applying conn's last commit to the leader.
func waitReported(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	ctx := testCtx(t)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var behind int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_replication WHERE pg_wal_lsn_diff(replay_lsn, replisql_last_commit_lsn()) < 0`).Scan(&behind)
		if err != nil {
			t.Fatal(err)
		}
		if behind == 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestForwardedMessageIsOneTransaction sends several statements in one
// simple-protocol message to a follower: as in PostgreSQL, they commit or
// fail together, and a BEGIN inside leaves the block open.
func TestForwardedMessageIsOneTransaction(t *testing.T) {
	c := startCluster(t, 3)
	ctx := testCtx(t)
	conn := connectPGX(t, c.nodes[1], pgx.QueryExecModeSimpleProtocol)
	defer conn.Close(ctx)
	mustExec(t, conn, `CREATE TABLE m (id int PRIMARY KEY)`)
	_, err := conn.Exec(ctx, `INSERT INTO m VALUES (1); INSERT INTO m VALUES (1)`)
	wantSQLState(t, "duplicate in one message", err, "23505")
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM m`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("after a failed two-statement message: %d rows (%v), want 0: the message is one transaction", n, err)
	}
	mustExec(t, conn, `INSERT INTO m VALUES (1); INSERT INTO m VALUES (2)`)
	mustExec(t, conn, `BEGIN; INSERT INTO m VALUES (3)`)
	if conn.PgConn().TxStatus() != 'T' {
		t.Fatalf("after BEGIN inside a message: transaction status %c, want T", conn.PgConn().TxStatus())
	}
	mustExec(t, conn, `INSERT INTO m VALUES (4)`)
	mustExec(t, conn, `ROLLBACK`)
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM m`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("after ROLLBACK: %d rows (%v), want 2", n, err)
	}
}

// leaderWith connects to the leader, runs ddl there, and waits until the
// followers have it.
func (c *cluster) leaderWith(t *testing.T, ddl string) *pgx.Conn {
	t.Helper()
	conn := connectPGX(t, c.nodes[0], pgx.QueryExecModeCacheStatement)
	t.Cleanup(func() { conn.Close(context.Background()) })
	mustExec(t, conn, ddl)
	c.waitCaughtUp(testCtx(t))
	return conn
}

// TestForwardingWithPasswords: a user who logs in to a follower with a
// SCRAM password (which the follower cannot replay to the leader) still
// has its writes forwarded — by the cluster's internal role.
func TestForwardingWithPasswords(t *testing.T) {
	usersFile := filepath.Join(t.TempDir(), "users")
	addUser(t, usersFile, "alice", "scram-sha-256", "alice-secret")
	addUser(t, usersFile, "repl", "scram-sha-256", "repl-secret")
	os.Setenv("REPLISQL_REPLICATION_PASSWORD", "repl-secret")
	defer os.Unsetenv("REPLISQL_REPLICATION_PASSWORD")
	// The replication role needs the attribute; the users file format has it.
	b, err := os.ReadFile(usersFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "repl:") {
			lines[i] = l + ",replication"
		}
	}
	if err := os.WriteFile(usersFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startCluster(t, 3, "--users-file", usersFile, "--auth", "reject", "--replication-user", "repl")
	ctx := testCtx(t)
	cfg, err := pgx.ParseConfig(c.nodes[1].dsn("user=alice", "password=alice-secret"))
	if err != nil {
		t.Fatal(err)
	}
	conn := connectPGXConfig(t, cfg)
	defer conn.Close(ctx)
	mustExec(t, conn, `CREATE TABLE pw (id int PRIMARY KEY)`)
	mustExec(t, conn, `INSERT INTO pw VALUES (1)`)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pw`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("after a forwarded write by a password user: %d rows, %v", n, err)
	}
	if got := servedBy(t, conn); got != "n2" {
		t.Fatalf("the read after the write was served by %s", got)
	}
}
