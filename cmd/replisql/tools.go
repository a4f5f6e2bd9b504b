package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
	compare := fs.String("compare", "", "compare the nodes whose data directories are listed (comma separated) at the same LSN")
	wait := fs.Duration("wait", 30*time.Second, "with --compare, how long to wait for the nodes to reach the same LSN")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *compare != "" {
		return compareChecksums(ctx, strings.Split(*compare, ","), *wait)
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

// compareChecksums computes the per-table checksums of every node's
// database (read beside running nodes) until all stand at the same
// applied LSN, then reports each table that differs. It fails when one
// does, or when the nodes do not meet at one LSN within wait.
func compareChecksums(ctx context.Context, dirs []string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	type result struct {
		lsn  wal.LSN
		sums []store.TableChecksum
	}
	for {
		res := make([]result, len(dirs))
		same := true
		for i, d := range dirs {
			lsn, sums, err := store.ChecksumAt(ctx, filepath.Join(strings.TrimSpace(d), store.DBFile))
			if err != nil {
				return fmt.Errorf("%s: %w", d, err)
			}
			res[i] = result{lsn, sums}
			same = same && lsn == res[0].lsn
		}
		if !same {
			if time.Now().After(deadline) {
				var at []string
				for i, r := range res {
					at = append(at, fmt.Sprintf("%s at %s", dirs[i], r.lsn))
				}
				return fmt.Errorf("the nodes did not reach the same LSN within %v: %s", wait, strings.Join(at, ", "))
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		tables := map[string][]string{}
		var names []string
		for i, r := range res {
			for _, c := range r.sums {
				if _, ok := tables[c.Table]; !ok {
					names = append(names, c.Table)
					tables[c.Table] = make([]string, len(dirs))
				}
				tables[c.Table][i] = fmt.Sprintf("%d rows %s", c.Rows, c.SHA256[:16])
			}
		}
		sort.Strings(names)
		differ := 0
		for _, n := range names {
			vals := tables[n]
			ok := true
			for _, v := range vals[1:] {
				ok = ok && v == vals[0]
			}
			if ok {
				continue
			}
			differ++
			fmt.Printf("table %s differs:\n", n)
			for i, v := range vals {
				if v == "" {
					v = "missing"
				}
				fmt.Printf("  %s: %s\n", dirs[i], v)
			}
		}
		fmt.Printf("%d nodes at %s: %d tables, %d differ\n", len(dirs), res[0].lsn, len(names), differ)
		if differ > 0 {
			return fmt.Errorf("%d tables differ between the nodes", differ)
		}
		return nil
	}
}
