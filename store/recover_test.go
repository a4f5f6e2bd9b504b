package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/wal"
)

// openDir opens a store on dir (not removed between opens).
func openDir(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Dir: dir, Logger: zerolog.New(zerolog.NewTestWriter(t))})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

// commit runs statements in one logged transaction, waits for it to be
// durable as a session does, and publishes it as the next read would; it
// returns the record's end LSN.
func commit(t *testing.T, s *Store, stmts ...Statement) wal.LSN {
	t.Helper()
	ctx := context.Background()
	w, err := s.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	for _, st := range stmts {
		if _, err := w.Exec(ctx, st.SQL, st.Args...); err != nil {
			t.Fatalf("%s: %v", st.SQL, err)
		}
		w.Log(st.SQL, st.Args)
	}
	cm, err := w.Commit(ctx)
	s.Release(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitCommitted(ctx, cm, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	return cm.LSN
}

func count(t *testing.T, s *Store, table string) int64 {
	t.Helper()
	ctx := context.Background()
	r, err := s.Reader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release(r)
	rows, err := r.Query(ctx, "SELECT count(*) FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	row, err := rows.Next()
	if err != nil || row == nil {
		t.Fatalf("count: %v", err)
	}
	return row[0].(int64)
}

func removeDB(t *testing.T, dir string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(dir, DBFile+suffix)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

func TestCommitIsLoggedAndSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	commit(t, s, Statement{SQL: "CREATE TABLE t (a integer, b text)"})
	end := commit(t, s, Statement{SQL: "INSERT INTO t VALUES (?1, ?2)", Args: []any{int64(1), "x"}},
		Statement{SQL: "INSERT INTO t VALUES (?1, ?2)", Args: []any{int64(2), nil}})
	if s.AppliedLSN() != end || s.WAL().FlushedLSN() < end {
		t.Fatalf("applied %s flushed %s, want %s", s.AppliedLSN(), s.WAL().FlushedLSN(), end)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir)
	defer s.Close()
	if got := count(t, s, "t"); got != 2 {
		t.Fatalf("%d rows after reopen, want 2", got)
	}
	if s.AppliedLSN() != end {
		t.Fatalf("applied %s after reopen, want %s", s.AppliedLSN(), end)
	}
}

func TestReplayRebuildsLostDatabase(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	commit(t, s, Statement{SQL: "CREATE TABLE t (a integer PRIMARY KEY, b text)"})
	for i := int64(0); i < 50; i++ {
		commit(t, s, Statement{SQL: "INSERT INTO t VALUES (?1, ?2)", Args: []any{i, "row"}})
	}
	commit(t, s, Statement{SQL: "DELETE FROM t WHERE a < ?1", Args: []any{int64(10)}},
		Statement{SQL: `SAVEPOINT "s"`},
		Statement{SQL: "UPDATE t SET b = 'undone'"},
		Statement{SQL: `ROLLBACK TO "s"`})
	s.Close()

	removeDB(t, dir) // SQLite's state is gone; the WAL is the source of truth
	s = openDir(t, dir)
	defer s.Close()
	if got := count(t, s, "t"); got != 40 {
		t.Fatalf("%d rows after replay, want 40", got)
	}
	if got := count(t, s, "t WHERE b = 'undone'"); got != 0 {
		t.Fatalf("rolled-back savepoint replayed: %d rows", got)
	}
}

func TestDatabaseAheadOfWALIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	commit(t, s, Statement{SQL: "CREATE TABLE t (a integer)"})
	keep := commit(t, s, Statement{SQL: "INSERT INTO t VALUES (1)"})
	if _, err := s.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	commit(t, s, Statement{SQL: "INSERT INTO t VALUES (2)"})
	lost := commit(t, s, Statement{SQL: "INSERT INTO t VALUES (3)"})
	s.Close()

	// A power loss took the last two WAL records but SQLite kept them.
	w, err := wal.Open(wal.Options{Dir: filepath.Join(dir, "wal"), NoPreallocate: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.TruncateAfter(keep); err != nil {
		t.Fatal(err)
	}
	w.Close()

	s = openDir(t, dir)
	defer s.Close()
	if got := count(t, s, "t"); got != 1 {
		t.Fatalf("%d rows after rebuild, want 1 (SQLite's rows past the durable WAL must go)", got)
	}
	if s.AppliedLSN() != keep || s.AppliedLSN() >= lost {
		t.Fatalf("applied %s, want %s", s.AppliedLSN(), keep)
	}
	// The replaced database is kept aside, not deleted.
	aside, _ := filepath.Glob(filepath.Join(dir, DBFile+".replaced-*"))
	if len(aside) == 0 {
		t.Fatal("the replaced database was not kept aside")
	}
}

func TestSnapshotPurgesWALAndRestores(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{Dir: dir, SnapshotsKept: 1, Logger: zerolog.New(zerolog.NewTestWriter(t))})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, Statement{SQL: "CREATE TABLE t (a integer, pad text)"})
	pad := string(make([]byte, 64<<10))
	for i := 0; i < 300; i++ { // ~19 MB: more than one 16 MiB segment
		commit(t, s, Statement{SQL: "INSERT INTO t VALUES (?1, ?2)", Args: []any{int64(i), pad}})
	}
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if snap.LSN != s.AppliedLSN() {
		t.Fatalf("snapshot at %s, applied %s", snap.LSN, s.AppliedLSN())
	}
	if s.WAL().FirstLSN() == wal.DefaultStartLSN {
		t.Fatal("WAL before the snapshot was not purged")
	}
	commit(t, s, Statement{SQL: "INSERT INTO t VALUES (?1, ?2)", Args: []any{int64(1000), "after"}})
	s.Close()

	removeDB(t, dir)
	s = openDir(t, dir)
	defer s.Close()
	if got := count(t, s, "t"); got != 301 {
		t.Fatalf("%d rows after restore from snapshot and replay, want 301", got)
	}
}
