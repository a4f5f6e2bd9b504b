package integration

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestShutdownLetsRunningStatementFinish sends SIGTERM while an
// extended-protocol query runs: within --shutdown-timeout the client gets
// the query's result, not FATAL 57P01, and then the node exits cleanly.
func TestShutdownLetsRunningStatementFinish(t *testing.T) {
	t.Parallel()
	n := startNode(t, "--shutdown-timeout", "20s")
	conn := connectPGX(t, n, pgx.QueryExecModeCacheStatement)
	ctx := testCtx(t)
	// Size the query to run for about a second on this machine.
	count := int64(100_000)
	for {
		start := time.Now()
		var c int64
		if err := conn.QueryRow(ctx, longQuery, count).Scan(&c); err != nil {
			t.Fatal(err)
		}
		if time.Since(start) > 700*time.Millisecond || count > 1e9 {
			break
		}
		count *= 4
	}
	done := make(chan error, 1)
	go func() {
		qctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var c int64
		err := conn.QueryRow(qctx, longQuery, count).Scan(&c)
		if err == nil && c != count {
			t.Errorf("count = %d, want %d", c, count)
		}
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	exitErr, inTime := n.stop(30 * time.Second)
	if !inTime || exitErr != nil {
		t.Fatalf("node exit after SIGTERM: %v (in time: %v)", exitErr, inTime)
	}
	if err := <-done; err != nil {
		t.Fatalf("statement running at SIGTERM: got %v, want its result", err)
	}
}
