package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

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
