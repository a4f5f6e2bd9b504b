package store

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// longQuery runs until interrupted (a billion rows of a recursive CTE).
const longQuery = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT count(*) FROM n`

// Statements are cancelled by the store's progress handler, not by the
// driver: every connection has one, a long statement ends soon after its
// context does, with the context's error, and the connection then runs
// the next statement normally.
func TestProgressInterrupt(t *testing.T) {
	s := openTest(t, Options{Readers: 1})
	ctx := context.Background()
	w, err := s.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release(w)
	r, err := s.Reader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release(r)

	for _, c := range []*Conn{w, r} {
		if c.db == 0 {
			t.Fatalf("writer %v: the connection has no progress handler (the driver's SQLite handle was not found)", c.writer)
		}
		// Exec, Query (its rows) and a cancellation before the start.
		tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		start := time.Now()
		_, err := c.Exec(tctx, longQuery)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("writer %v: Exec of the long statement: got %v, want the context's error", c.writer, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("writer %v: the statement ran %v after its context ended", c.writer, d)
		}

		// The driver runs an aggregate to its end in Query, the rest of a
		// query in Next: either may see the cancel.
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(20*time.Millisecond, cancel)
		rows, err := c.Query(cctx, longQuery)
		if err == nil {
			_, err = rows.Next()
			rows.Close()
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("writer %v: the long query: got %v, want context.Canceled", c.writer, err)
		}
		cctx, cancel = context.WithCancel(ctx)
		rows, err = c.Query(cctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) SELECT i FROM n`)
		if err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(20*time.Millisecond, cancel)
		for err == nil {
			_, err = rows.Next()
		}
		rows.Close()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("writer %v: reading the long query's rows: got %v, want context.Canceled", c.writer, err)
		}

		if _, err := c.Exec(cctx, "SELECT 1"); !errors.Is(err, context.Canceled) {
			t.Fatalf("writer %v: a statement under an ended context: got %v", c.writer, err)
		}
		// The next statement has a live context: nothing interrupts it.
		rows, err = c.Query(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT count(*) FROM n`)
		if err != nil {
			t.Fatal(err)
		}
		row, err := rows.Next()
		if err != nil || row == nil || row[0] != int64(100000) {
			t.Fatalf("writer %v: count after a cancellation: %v, %v", c.writer, row, err)
		}
		rows.Close()
	}
}

// Neither database/sql nor the driver starts a goroutine for a query
// under a cancellable context (database/sql would keep one for as long as
// the rows are open): the progress handler is what cancels it.
func TestQueryStartsNoGoroutine(t *testing.T) {
	s := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := s.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release(w)
	exec(t, w, "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
	exec(t, w, "INSERT INTO t (b) VALUES ('x'), ('y')")
	before := runtime.NumGoroutine()
	rows, err := w.Query(ctx, "SELECT a, b FROM t")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if _, err := rows.Next(); err != nil {
		t.Fatal(err)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines while the rows are open, %d before the query", n, before)
	}
}
