package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

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
// A running node is asked over SQL (--url, replisql_checksum()): no other
// process may open its database file. --data-dir and --db read the file
// of a stopped node, or a replayed one.
func checksumCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("checksum", flag.ContinueOnError)
	dir := fs.String("data-dir", "data", "the data directory of a stopped node")
	db := fs.String("db", "", "a database file to check instead of the data directory's")
	nodeURL := fs.String("url", "", "the connection URL of a running node (postgres://USER@HOST:PORT/DATABASE), asked with replisql_checksum()")
	compare := fs.String("compare", "", "compare the nodes listed (comma separated: connection URLs of running nodes, data directories of stopped ones) at the same LSN")
	wait := fs.Duration("wait", 30*time.Second, "with --compare, how long to wait for the nodes to reach the same LSN")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *nodeURL != "" && (*db != "" || *compare != "") {
		return usageError{"--url cannot be combined with --db or --compare"}
	}
	if *compare != "" {
		var nodes []*checksumSource
		for _, entry := range strings.Split(*compare, ",") {
			nodes = append(nodes, newChecksumSource(strings.TrimSpace(entry)))
		}
		return compareChecksums(ctx, nodes, *wait)
	}
	var node *checksumSource
	switch {
	case *nodeURL != "":
		node = newChecksumSource(*nodeURL)
	case *db != "":
		node = &checksumSource{name: *db, path: *db}
	default:
		node = &checksumSource{name: *dir, path: filepath.Join(*dir, store.DBFile)}
	}
	defer node.close()
	_, sums, err := node.checksum(ctx)
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

// checksumSource is one node whose checksums are read: a running node over
// SQL, or the database file of a stopped node.
type checksumSource struct {
	name string    // as printed: the data directory, or the URL without its password
	url  string    // a running node's connection URL; "" for a file
	path string    // the database file, when url is ""
	conn *pgx.Conn // open to url once asked
}

// newChecksumSource makes the source an entry names: a connection URL
// (anything with "://") or a data directory.
func newChecksumSource(entry string) *checksumSource {
	if !strings.Contains(entry, "://") {
		return &checksumSource{name: entry, path: filepath.Join(entry, store.DBFile)}
	}
	name := entry
	if u, err := url.Parse(entry); err == nil {
		name = u.Redacted()
	}
	return &checksumSource{name: name, url: entry}
}

// checksum reads the node's applied LSN and its per-table checksums, from
// one snapshot.
func (c *checksumSource) checksum(ctx context.Context) (wal.LSN, []store.TableChecksum, error) {
	if c.url == "" {
		lsn, sums, err := store.ChecksumAt(ctx, c.path)
		if errors.Is(err, store.ErrLocked) {
			return 0, nil, fmt.Errorf("%w: the node looks running; give its connection URL instead of its data directory (--url postgres://USER@HOST:PORT/DATABASE, or the URL in the list of --compare)", err)
		}
		return lsn, sums, err
	}
	if c.conn == nil {
		cctx, cancel := context.WithTimeout(ctx, connectTimeout)
		conn, err := pgx.Connect(cctx, c.url)
		cancel()
		if err != nil {
			return 0, nil, err
		}
		c.conn = conn
	}
	var text *string
	if err := c.conn.QueryRow(ctx, "SELECT replisql_checksum()").Scan(&text); err != nil {
		return 0, nil, fmt.Errorf("SELECT replisql_checksum(): %w", err)
	}
	if text == nil {
		return 0, nil, errors.New("replisql_checksum() returned NULL: the server has no database open")
	}
	var report store.ChecksumReport
	if err := json.Unmarshal([]byte(*text), &report); err != nil {
		return 0, nil, fmt.Errorf("decode replisql_checksum(): %w", err)
	}
	lsn, err := wal.ParseLSN(report.LSN)
	if err != nil {
		return 0, nil, fmt.Errorf("decode replisql_checksum(): %w", err)
	}
	for _, t := range report.Tables {
		if len(t.SHA256) != 2*sha256.Size {
			return 0, nil, fmt.Errorf("decode replisql_checksum(): table %q: sha256 %q is not 64 hex digits", t.Table, t.SHA256)
		}
	}
	return lsn, report.Tables, nil
}

// connectTimeout bounds connecting to a running node.
const connectTimeout = 30 * time.Second

// close closes the connection to a running node, if one is open.
func (c *checksumSource) close() {
	if c.conn != nil {
		c.conn.Close(context.Background())
		c.conn = nil
	}
}

// compareChecksums computes the per-table checksums of every node until
// all stand at the same applied LSN, then reports each table that
// differs. It fails when one does, or when the nodes do not meet at one
// LSN within wait.
func compareChecksums(ctx context.Context, nodes []*checksumSource, wait time.Duration) error {
	for _, n := range nodes {
		defer n.close()
	}
	deadline := time.Now().Add(wait)
	type result struct {
		lsn  wal.LSN
		sums []store.TableChecksum
	}
	for {
		res := make([]result, len(nodes))
		same := true
		for i, n := range nodes {
			lsn, sums, err := n.checksum(ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", n.name, err)
			}
			res[i] = result{lsn, sums}
			same = same && lsn == res[0].lsn
		}
		if !same {
			if time.Now().After(deadline) {
				var at []string
				for i, r := range res {
					at = append(at, fmt.Sprintf("%s at %s", nodes[i].name, r.lsn))
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
					tables[c.Table] = make([]string, len(nodes))
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
				fmt.Printf("  %s: %s\n", nodes[i].name, v)
			}
		}
		fmt.Printf("%d nodes at %s: %d tables, %d differ\n", len(nodes), res[0].lsn, len(names), differ)
		if differ > 0 {
			return fmt.Errorf("%d tables differ between the nodes", differ)
		}
		return nil
	}
}
