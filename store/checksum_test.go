package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/replisql/replisql/wal"
)

// TestChecksumLiveMatchesChecksumAt checks that the running node's
// checksum (its own connection) equals the checksum of its file read
// after it stopped, LSN included.
func TestChecksumLiveMatchesChecksumAt(t *testing.T) {
	tests := []struct {
		name   string
		stmts  []Statement
		tables []string
	}{
		{name: "empty"},
		{
			name:   "one table",
			stmts:  []Statement{{SQL: `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`}, {SQL: `INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL)`}},
			tables: []string{"t"},
		},
		{
			name: "every storage class, several tables, a quoted name",
			stmts: []Statement{
				{SQL: `CREATE TABLE b (id INTEGER PRIMARY KEY, f REAL, s TEXT, x BLOB)`},
				{SQL: `INSERT INTO b VALUES (?1, ?2, ?3, ?4)`, Args: []any{int64(1), 1.5, "un", []byte{0, 1}}},
				{SQL: `INSERT INTO b VALUES (?1, ?2, ?3, ?4)`, Args: []any{int64(2), nil, nil, nil}},
				{SQL: `CREATE TABLE a (k TEXT)`},
				{SQL: `INSERT INTO a VALUES ('z'), ('y')`},
				{SQL: `CREATE TABLE "odd ""name""" (n)`},
				{SQL: `INSERT INTO "odd ""name""" VALUES (1), (1.0), ('1')`},
			},
			tables: []string{"a", "b", `odd "name"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := openDir(t, dir)
			var want wal.LSN
			if len(tc.stmts) > 0 {
				want = commit(t, s, tc.stmts...)
			}
			liveLSN, live, err := s.ChecksumLive(ctx)
			if cerr := s.Close(); cerr != nil {
				t.Fatalf("close: %v", cerr)
			}
			if err != nil {
				t.Fatalf("ChecksumLive: %v", err)
			}
			if liveLSN != want {
				t.Errorf("ChecksumLive LSN %s, want the last commit's %s", liveLSN, want)
			}
			var names []string
			for _, c := range live {
				names = append(names, c.Table)
			}
			if !reflect.DeepEqual(names, tc.tables) {
				t.Errorf("tables %q, want %q", names, tc.tables)
			}
			fileLSN, file, err := ChecksumAt(ctx, filepath.Join(dir, DBFile))
			if err != nil {
				t.Fatalf("ChecksumAt: %v", err)
			}
			if fileLSN != liveLSN || !reflect.DeepEqual(file, live) {
				t.Errorf("ChecksumAt = %s %+v, ChecksumLive = %s %+v", fileLSN, file, liveLSN, live)
			}
		})
	}
}

// TestChecksumLiveTakesNoPooledConnection checks that ChecksumLive answers
// while every pooled connection is out, as when a statement running on
// the only reader calls replisql_checksum().
func TestChecksumLiveTakesNoPooledConnection(t *testing.T) {
	s := openTest(t, Options{Readers: 1})
	lsn := commit(t, s, Statement{SQL: `CREATE TABLE t (v)`}, Statement{SQL: `INSERT INTO t VALUES (1)`})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := s.Reader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release(r)
	w, err := s.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release(w)
	got, sums, err := s.ChecksumLive(ctx)
	if err != nil {
		t.Fatalf("ChecksumLive with the pool taken: %v", err)
	}
	if got != lsn || len(sums) != 1 || sums[0].Rows != 1 {
		t.Fatalf("ChecksumLive = %s %+v, want %s and t with 1 row", got, sums, lsn)
	}
}

// TestChecksumLockedFile checks that a file another connection holds
// exclusively (as a running node holds its own) fails with ErrLocked, and
// reads once it is released.
func TestChecksumLockedFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "plain.sqlite")
	holder, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=locking_mode(EXCLUSIVE)")
	if err != nil {
		t.Fatal(err)
	}
	holder.SetMaxOpenConns(1)
	if _, err := holder.Exec(`CREATE TABLE t (v); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	_, _, err = checksumFile(ctx, path, 100*time.Millisecond)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("checksum of a locked file: got %v, want ErrLocked", err)
	}
	if err := holder.Close(); err != nil {
		t.Fatal(err)
	}
	if sums, err := Checksum(ctx, path); err != nil || len(sums) != 1 {
		t.Fatalf("Checksum after release = %+v, %v; want table t", sums, err)
	}
}

// TestChecksumWithoutMeta checks that a database RepliSQL did not make
// (no replisql_meta) is at LSN 0.
func TestChecksumWithoutMeta(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "plain.sqlite")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (v); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	lsn, sums, err := ChecksumAt(ctx, path)
	if err != nil || lsn != 0 || len(sums) != 1 || sums[0].Table != "t" || sums[0].Rows != 1 {
		t.Fatalf("ChecksumAt = %s %+v, %v; want 0/0 and t with 1 row", lsn, sums, err)
	}
}
