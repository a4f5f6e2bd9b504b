package store

import (
	"context"
	"testing"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/wal"
)

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := Open(context.Background(), Options{Dir: b.TempDir(), Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	w, _ := s.Writer(ctx)
	w.Begin(ctx)
	if _, err := w.Exec(ctx, `CREATE TABLE acc (aid integer PRIMARY KEY, bid integer, abalance integer, filler character(84))`); err != nil {
		b.Fatal(err)
	}
	if _, err := w.Exec(ctx, `WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 100000) INSERT INTO acc SELECT v, 1, 0, '' FROM s`); err != nil {
		b.Fatal(err)
	}
	w.Commit(ctx)
	s.Release(w)
	return s
}

// BenchmarkPointSelect is pgbench's select-only statement through the
// store: a reader, the cached prepared statement, one row.
func BenchmarkPointSelect(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r, err := s.Reader(ctx)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := r.Query(ctx, `SELECT abalance FROM acc WHERE aid = ?1`, int64(i%100000+1))
		if err != nil {
			b.Fatal(err)
		}
		if row, err := rows.Next(); err != nil || row == nil {
			b.Fatalf("no row: %v", err)
		}
		rows.Close()
		s.Release(r)
	}
}

// BenchmarkLoggedCommit is one autocommit UPDATE as the session runs it:
// writer, BEGIN IMMEDIATE, the statement, its WAL record, COMMIT and the
// group-commit fsync.
func BenchmarkLoggedCommit(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		w, err := s.Writer(ctx)
		if err != nil {
			b.Fatal(err)
		}
		w.Begin(ctx)
		q := `UPDATE acc SET abalance = abalance + ?1 WHERE aid = ?2`
		args := []any{int64(1), int64(i%100000 + 1)}
		if _, err := w.Exec(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
		w.Log(q, args)
		cm, err := w.Commit(ctx)
		s.Release(w)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.WaitCommitted(ctx, cm, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyRecord applies a pgbench tpcb-like transaction record, as
// replay and (later) followers do.
func BenchmarkApplyRecord(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	rec := &TxnRecord{Statements: []Statement{
		{SQL: `UPDATE acc SET abalance = abalance + ?1 WHERE aid = ?2`, Args: []any{int64(-29), int64(50477)}},
		{SQL: `UPDATE acc SET abalance = abalance + ?1 WHERE aid = ?2`, Args: []any{int64(29), int64(7)}},
	}}
	payload := AppendRecord(nil, rec)
	w, err := s.Writer(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Release(w)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	lsn := wal.DefaultStartLSN
	for b.Loop() {
		if _, err := w.apply(ctx, wal.Record{LSN: lsn, Term: 1, Type: RecordTxn, Payload: payload}); err != nil {
			b.Fatal(err)
		}
		lsn = wal.EndOf(lsn, len(payload))
	}
}
