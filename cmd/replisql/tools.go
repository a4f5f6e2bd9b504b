package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/replisql/replisql/store"
	"github.com/replisql/replisql/wal"
)

// walCommand runs "replisql wal dump" (every record of a node's WAL, like
// pg_waldump, with the statements of each transaction) and "replisql wal
// replay" (apply the whole WAL to a new database file).
func walCommand(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "replay" {
		return walReplay(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "dump" {
		return usageError{"usage: replisql wal dump --data-dir DIR [--statements=false] | replisql wal replay --data-dir DIR --out FILE"}
	}
	fs := flag.NewFlagSet("wal dump", flag.ContinueOnError)
	dir := fs.String("data-dir", "data", "the node's data directory")
	stmts := fs.Bool("statements", true, "print each record's statements and arguments")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	out := os.Stdout
	return wal.Scan(nil, filepath.Join(*dir, "wal"), func(e wal.Entry) error {
		if !e.CRCOK {
			fmt.Fprintf(out, "lsn: %s, segment %s: invalid record: %v\n", e.LSN, e.Segment, e.Err)
			return nil
		}
		rec, err := store.DecodeRecord(e.Payload)
		if e.Type != store.RecordTxn || err != nil {
			fmt.Fprintf(out, "lsn: %s, term: %d, type: %d, len: %d: cannot decode: %v\n", e.LSN, e.Term, e.Type, e.Length, err)
			return nil
		}
		fmt.Fprintf(out, "lsn: %s, term: %d, type: txn, len: %d, time: %s, statements: %d\n",
			e.LSN, e.Term, e.Length, rec.Start.Format(time.RFC3339Nano), len(rec.Statements))
		if *stmts {
			for i, st := range rec.Statements {
				fmt.Fprintf(out, "    %d: %s", i+1, st.SQL)
				if len(st.Args) > 0 {
					fmt.Fprintf(out, "  -- args: %s", formatArgs(st.Args))
				}
				fmt.Fprintln(out)
			}
		}
		return nil
	})
}

// walReplay replays a node's whole WAL into a new database file: its
// checksum must equal the node's (the determinism check).
func walReplay(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("wal replay", flag.ContinueOnError)
	dir := fs.String("data-dir", "data", "the node's data directory")
	out := fs.String("out", "", "the database file to create")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"--out is required"}
	}
	n, err := store.ReplayWAL(ctx, filepath.Join(*dir, "wal"), *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "replayed %d records into %s\n", n, *out)
	return nil
}

func formatArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case nil:
			parts[i] = "NULL"
		case string:
			if len(v) > 60 {
				v = v[:60] + "…"
			}
			parts[i] = fmt.Sprintf("%q", v)
		case []byte:
			parts[i] = fmt.Sprintf("blob(%d)", len(v))
		default:
			parts[i] = fmt.Sprint(v)
		}
	}
	return strings.Join(parts, ", ")
}

// checksumCommand runs "replisql checksum": a per-table content hash of a
// node's database, the basis for checking followers against the leader.
func checksumCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("checksum", flag.ContinueOnError)
	dir := fs.String("data-dir", "data", "the node's data directory")
	db := fs.String("db", "", "a database file to check instead of the data directory's")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path := filepath.Join(*dir, store.DBFile)
	if *db != "" {
		path = *db
	}
	sums, err := store.Checksum(ctx, path)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "table\trows\tsha256")
	for _, c := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", c.Table, c.Rows, c.SHA256)
	}
	return tw.Flush()
}
