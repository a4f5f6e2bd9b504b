package catalog

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"modernc.org/sqlite"
)

// benchSnapshot is testdata/schema.sql as the storage layer would describe
// it.
func benchSnapshot() *Snapshot {
	return &Snapshot{
		Database: "bench",
		Users:    []string{"postgres"},
		Tables: []Table{
			{Name: "pgbench_branches", OID: 16386, Columns: []Column{
				{Name: "bid", Type: "int", NotNull: true}, {Name: "bbalance", Type: "int"}, {Name: "filler", Type: "char(88)"}},
				Indexes: []Index{{Name: "sqlite_autoindex_pgbench_branches_1", Columns: []string{"bid"}, Unique: true, Primary: true, Constraint: true}}},
			{Name: "pgbench_tellers", OID: 16388, Columns: []Column{
				{Name: "tid", Type: "int", NotNull: true}, {Name: "bid", Type: "int"}, {Name: "tbalance", Type: "int"}, {Name: "filler", Type: "char(84)"}},
				Indexes:     []Index{{Name: "pgbench_tellers_pkey", Columns: []string{"tid"}, Unique: true, Primary: true, Constraint: true}},
				Constraints: []Constraint{{Type: 'f', Columns: []string{"bid"}, RefTable: "pgbench_branches", RefColumns: []string{"bid"}}}},
			{Name: "pgbench_accounts", OID: 16390, Comment: "bank accounts", Options: []string{"fillfactor=100"}, Columns: []Column{
				{Name: "aid", Type: "int", NotNull: true}, {Name: "bid", Type: "int"}, {Name: "abalance", Type: "int", Comment: "balance"}, {Name: "filler", Type: "char(84)"}},
				Indexes:     []Index{{Name: "pgbench_accounts_pkey", Columns: []string{"aid"}, Unique: true, Primary: true, Constraint: true}},
				Constraints: []Constraint{{Type: 'c', Columns: []string{"bid"}, Check: "bid > 0"}}},
			{Name: "pgbench_history", OID: 16392, Columns: []Column{
				{Name: "hid", Type: "serial"}, {Name: "tid", Type: "int"}, {Name: "bid", Type: "int"}, {Name: "aid", Type: "int"},
				{Name: "delta", Type: "int"}, {Name: "mtime", Type: "timestamp"}, {Name: "filler", Type: "char(22)"}},
				Indexes: []Index{{Name: "pgbench_history_aid_idx", Columns: []string{"aid"}}}},
			{Name: "items", OID: 16394, Columns: []Column{
				{Name: "id", Type: "bigserial"}, {Name: "name", Type: "varchar(40)", NotNull: true},
				{Name: "price", Type: "numeric(10,2)", Default: "0"}, {Name: "created", Type: "timestamptz", Default: "now()"},
				{Name: "tags", Type: "text"}, {Name: "data", Type: "jsonb"}, {Name: "flag", Type: "boolean", Default: "false"},
				{Name: "uid", Type: "uuid"}, {Name: "payload", Type: "bytea"}, {Name: "d", Type: "date"}, {Name: "r", Type: "real"},
				{Name: "f", Type: "double precision"}, {Name: "s", Type: "smallint"}, {Name: "code", Type: "char(3)", Default: "'abc'::bpchar"},
				{Name: "note", Type: "varchar"}, {Name: "t", Type: "time"}, {Name: "ts", Type: "timestamp(3)"}, {Name: "amount", Type: "numeric"},
				{Name: "j", Type: "json"}, {Name: "i8", Type: "bigint", NotNull: true, Default: "42"}},
				Indexes: []Index{
					{Name: "sqlite_autoindex_items_1", Columns: []string{"id"}, Unique: true, Primary: true, Constraint: true},
					{Name: "sqlite_autoindex_items_2", Columns: []string{"name"}, Unique: true, Constraint: true},
					{Name: "items_lower_name", Columns: []string{"d", "s"}, Unique: true}}},
			{Name: "idt", OID: 16396, Columns: []Column{
				{Name: "id", Type: "int", Identity: 'a'}, {Name: "code", Type: "text"}, {Name: "acc", Type: "int"}},
				Indexes: []Index{{Name: "idt_pkey", Columns: []string{"id"}, Unique: true, Primary: true, Constraint: true}},
				Constraints: []Constraint{
					{Name: "idt_code_uniq", Type: 'u', Columns: []string{"code"}, Deferrable: true, Deferred: true},
					{Type: 'f', Columns: []string{"acc"}, RefTable: "pgbench_accounts", OnDelete: 'c'},
					{Name: "idt_v", Type: 'c', Columns: []string{"code"}, Check: "code <> ''::text"}}},
		},
		Settings: map[string]string{"application_name": "psql", "search_path": `"$user", public`, "work_mem": "8MB", "replisql.custom": "x"},
	}
}

var testFuncsOnce sync.Once

// openTestDB is one SQLite connection with the catalog attached and filled
// from snap.
func openTestDB(t testing.TB, snap *Snapshot) *sql.Conn {
	t.Helper()
	testFuncsOnce.Do(func() {
		if err := RegisterFunctions(); err != nil {
			t.Fatal(err)
		}
		// test_regexp stands for the translator's regular-expression
		// function (~ and OPERATOR(pg_catalog.~)).
		if err := sqlite.RegisterDeterministicScalarFunction("test_regexp", 2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
			s, _ := a[0].(string)
			p, _ := a[1].(string)
			ok, err := regexp.MatchString(p, s)
			if ok {
				return int64(1), err
			}
			return int64(0), err
		}); err != nil {
			t.Fatal(err)
		}
	})
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); db.Close() })
	if err := Attach(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := Fill(ctx, c, snap); err != nil {
		t.Fatal(err)
	}
	return c
}

// query runs q and returns its rows as golden lines.
func query(t *testing.T, c *sql.Conn, q string) []string {
	t.Helper()
	rows, err := c.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		cells := make([]string, len(cols))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				cells[i] = `\N`
			case int64:
				cells[i] = strconv.FormatInt(x, 10)
			case float64:
				cells[i] = strconv.FormatFloat(x, 'g', -1, 64)
			case []byte:
				cells[i] = string(x)
			default:
				cells[i] = fmt.Sprint(x)
			}
			cells[i] = strings.ReplaceAll(cells[i], "\n", `\n`)
		}
		out = append(out, strings.Join(cells, "\t"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	return out
}

var (
	sizeRE    = regexp.MustCompile(`^-?[0-9]+ (bytes|kB|MB|GB|TB)$`)
	notNullRE = regexp.MustCompile(`^2200_[0-9]+_([0-9]+)_not_null$`)
)

// normalise rewrites cells the way record_golden.sh does: user oids to
// <oid:NAME>, sizes to <size> (in the \d+ listings), and the oid inside
// information_schema's not-null constraint names.
func normalise(lines []string, oids map[string]string, sizes bool) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		cells := strings.Split(l, "\t")
		for j, c := range cells {
			if n, ok := oids[c]; ok {
				cells[j] = "<oid:" + n + ">"
			}
			if sizes && sizeRE.MatchString(c) {
				cells[j] = "<size>"
			}
			cells[j] = notNullRE.ReplaceAllString(cells[j], "2200_OID_${1}_not_null")
		}
		out[i] = strings.Join(cells, "\t")
	}
	return out
}

// sameCell compares a golden cell with ours; booleans are t/f in
// PostgreSQL's text and 1/0 in SQLite.
func sameCell(golden, ours string) bool {
	return golden == ours || golden == "t" && ours == "1" || golden == "f" && ours == "0"
}

func readGolden(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func oidNames(t *testing.T, c *sql.Conn) map[string]string {
	m := map[string]string{}
	for _, l := range query(t, c, `SELECT oid, relname FROM pg_catalog.pg_class WHERE relnamespace = 2200
		UNION ALL SELECT oid, conname FROM pg_catalog.pg_constraint WHERE connamespace = 2200`) {
		f := strings.Split(l, "\t")
		m[f[0]] = f[1]
	}
	return m
}

// perKind are the relation kinds a per-relation query runs for, when not
// only tables.
var perKind = map[string]string{
	"seq_params": "'S'", "seq_owner": "'S'", "index_columns": "'i'", "index_flags": "'i'",
	"lookup_any": "'r','S','i'", "flags_any": "'r','S','i'", "columns_any": "'r','S','i'",
}

func TestGolden(t *testing.T) {
	snap := benchSnapshot()
	c := openTestDB(t, snap)
	oids := oidNames(t, c)
	used := map[string]bool{}
	for _, q := range goldenQueries {
		runs := []struct{ golden, sql string }{{q.name, q.sql}}
		if strings.Contains(q.sql, "$OID") || strings.Contains(q.sql, "$NAME") {
			runs = runs[:0]
			kinds, ok := perKind[q.name]
			if !ok {
				kinds = "'r'"
			}
			for _, l := range query(t, c, "SELECT oid, relname FROM pg_catalog.pg_class WHERE relnamespace = 2200 AND relkind IN ("+kinds+") ORDER BY relname") {
				f := strings.Split(l, "\t")
				s := strings.NewReplacer("$OID", f[0], "$NAME", f[1]).Replace(q.sql)
				runs = append(runs, struct{ golden, sql string }{q.name + "." + f[1], s})
			}
		}
		for _, r := range runs {
			used[r.golden+".txt"] = true
			t.Run(r.golden, func(t *testing.T) {
				want := readGolden(t, r.golden)
				for i := range want {
					want[i] = notNullReplaceLine(want[i])
				}
				got := normalise(query(t, c, r.sql), oids, strings.HasSuffix(q.name, "plus"))
				if !sameLines(want, got) {
					t.Errorf("%s:\nwant (PostgreSQL 15):\n%s\ngot:\n%s", r.golden, strings.Join(want, "\n"), strings.Join(got, "\n"))
				}
			})
		}
	}
	// A golden file no query read is a relation PostgreSQL has and the
	// catalog lacks (or a query without a translation).
	files, err := os.ReadDir(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !used[f.Name()] {
			t.Errorf("golden file %s was not compared", f.Name())
		}
	}
}

func notNullReplaceLine(l string) string {
	cells := strings.Split(l, "\t")
	for j := range cells {
		cells[j] = notNullRE.ReplaceAllString(cells[j], "2200_OID_${1}_not_null")
	}
	return strings.Join(cells, "\t")
}

func sameLines(want, got []string) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		w, g := strings.Split(want[i], "\t"), strings.Split(got[i], "\t")
		if len(w) != len(g) {
			return false
		}
		for j := range w {
			if !sameCell(w[j], g[j]) {
				return false
			}
		}
	}
	return true
}
