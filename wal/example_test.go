package wal_test

import (
	"context"
	"fmt"
	"os"

	"github.com/replisql/replisql/wal"
)

func Example() {
	dir, _ := os.MkdirTemp("", "wal-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	w, err := wal.Open(wal.Options{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer w.Close()

	// Commit: append, then wait for the group-commit fsync covering it.
	lsn, end, _ := w.Append(1, 1, []byte("INSERT INTO t VALUES (1)"))
	if err := w.Sync(ctx, end); err != nil {
		panic(err)
	}
	fmt.Println("record at", lsn, "ends at", end, "flushed", w.FlushedLSN())

	// Replication: read flushed records from an LSN.
	r, _ := w.NewReader(lsn)
	rec, _ := r.Next(ctx)
	fmt.Printf("read %s term=%d type=%d %q\n", rec.LSN, rec.Term, rec.Type, rec.Payload)
	// Output:
	// record at 0/1000000 ends at 0/1000038 flushed 0/1000038
	// read 0/1000000 term=1 type=1 "INSERT INTO t VALUES (1)"
}
