package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// tryConnect opens a pgx connection without failing the test; a connection
// it opens is closed when the test ends.
func tryConnect(t *testing.T, n *node) (*pgx.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, n.dsn())
	if err == nil {
		t.Cleanup(func() { conn.Close(context.Background()) })
	}
	return conn, err
}

// TestMaxConnections checks that the connection past --max-connections
// gets 53300 and that a freed slot can be used again.
func TestMaxConnections(t *testing.T) {
	t.Parallel()
	n := startNode(t, "--max-connections", "3")
	var conns []*pgx.Conn
	for i := range 3 {
		// The harness's readiness probe may still hold a slot for a
		// moment: retry 53300 briefly.
		var (
			conn *pgx.Conn
			err  error
		)
		for try := 0; try < 40; try++ {
			if conn, err = tryConnect(t, n); err == nil || sqlState(err) != "53300" {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("connection %d of 3 with --max-connections 3: %v", i+1, err)
		}
		conns = append(conns, conn)
	}
	_, err := tryConnect(t, n)
	wantSQLState(t, "4th connection with --max-connections 3", err, "53300")
	for i, c := range conns {
		checkUsable(t, c, fmt.Sprintf("a refused 4th connection (connection %d)", i+1))
	}
	if err := conns[0].Close(testCtx(t)); err != nil {
		t.Fatalf("close connection 1: %v", err)
	}
	// The server notices the close asynchronously: retry for a bounded time.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = tryConnect(t, n)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("connect after closing one of 3 connections: %v", err)
	}
}

// TestGracefulShutdown sends SIGTERM while a query runs: the query
// completes or gets 57P01, the process exits 0 in time, and committed data
// is there after a restart on the same data directory.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	n := startNode(t, "--shutdown-timeout", "10s")
	idle := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
	mustExec(t, idle, "CREATE TABLE kept (id int4 PRIMARY KEY, name text)")
	mustExec(t, idle, "INSERT INTO kept (id, name) VALUES ($1, $2)", int32(1), "committed before SIGTERM")

	// Size the running query to about 1.5s on this machine.
	busy := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
	const probe = 200_000
	start := time.Now()
	var c int64
	if err := busy.QueryRow(testCtx(t), longQuery, int64(probe)).Scan(&c); err != nil || c != probe {
		t.Fatalf("calibration query: got (%d, %v), want (%d, nil)", c, err, probe)
	}
	per := time.Since(start) / probe
	target := int64(1500*time.Millisecond) / int64(max(per, time.Nanosecond))
	target = min(max(target, 500_000), 200_000_000)
	t.Logf("calibration: %d iterations in %v; running query counts to %d", probe, time.Since(start), target)

	type result struct {
		count int64
		err   error
		took  time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		var c int64
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := busy.QueryRow(ctx, longQuery, target).Scan(&c)
		done <- result{c, err, time.Since(start)}
	}()
	time.Sleep(300 * time.Millisecond)
	sigterm := time.Now()
	exitErr, inTime := n.stop(20 * time.Second)
	stopped := time.Since(sigterm)
	if !inTime {
		t.Errorf("node did not exit within 20s of SIGTERM (killed)")
	} else if exitErr != nil {
		t.Errorf("node exited with %v after SIGTERM, want exit status 0", exitErr)
	}
	t.Logf("node exited %v after SIGTERM", stopped)
	select {
	case r := <-done:
		switch {
		case r.err == nil && r.count == target:
			t.Logf("running query completed (%v)", r.took)
		case sqlState(r.err) == "57P01":
			t.Logf("running query terminated with 57P01 (%v)", r.took)
		default:
			t.Errorf("query running at SIGTERM: got (%d, %v, SQLSTATE %q) after %v, want it to complete with %d or fail with 57P01",
				r.count, r.err, sqlState(r.err), r.took, target)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("query running at SIGTERM did not return within 30s")
	}

	// Restart on the same data: the committed row is there.
	n2 := startNodeIn(t, n.dataDir)
	conn := connectPGX(t, n2, pgx.QueryExecModeCacheStatement)
	var name string
	if err := conn.QueryRow(testCtx(t), "SELECT name FROM kept WHERE id = $1", int32(1)).Scan(&name); err != nil || name != "committed before SIGTERM" {
		t.Errorf("after restart: got (%q, %v), want (\"committed before SIGTERM\", nil)", name, err)
	}
}

// TestShutdownTimeout sends SIGTERM while a statement runs that would
// outlive --shutdown-timeout: the node ends it with FATAL 57P01 (as
// PostgreSQL's fast shutdown does) and exits 0 soon after the timeout.
func TestShutdownTimeout(t *testing.T) {
	t.Parallel()
	n := startNode(t, "--shutdown-timeout", "1s")
	busy := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var c int64
		done <- busy.QueryRow(ctx, longQuery, int64(1_000_000_000)).Scan(&c)
	}()
	time.Sleep(300 * time.Millisecond)
	sigterm := time.Now()
	exitErr, inTime := n.stop(15 * time.Second)
	stopped := time.Since(sigterm)
	switch {
	case !inTime:
		t.Errorf("node with --shutdown-timeout 1s did not exit within 15s of SIGTERM (killed)")
	case exitErr != nil:
		t.Errorf("node exited with %v after SIGTERM, want exit status 0", exitErr)
	case stopped > 6*time.Second:
		t.Errorf("node with --shutdown-timeout 1s took %v to exit after SIGTERM", stopped)
	}
	select {
	case err := <-done:
		wantSQLState(t, "statement outliving --shutdown-timeout 1s", err, "57P01")
	case <-time.After(30 * time.Second):
		t.Errorf("statement running at SIGTERM did not return within 30s")
	}
}
