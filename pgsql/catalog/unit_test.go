package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/store"
)

func TestParseType(t *testing.T) {
	tests := []struct {
		decl   string
		oid    uint32
		typmod int32
		serial bool
		ok     bool
	}{
		{"integer", OIDInt4, -1, false, true},
		{"INT", OIDInt4, -1, false, true},
		{"serial", OIDInt4, -1, true, true},
		{"bigserial", OIDInt8, -1, true, true},
		{"character varying(40)", OIDVarchar, 44, false, true},
		{"varchar", OIDVarchar, -1, false, true},
		{"char(84)", OIDBpchar, 88, false, true},
		{"character", OIDBpchar, 5, false, true},
		{"numeric(10,2)", OIDNumeric, 655366, false, true},
		{"numeric(20)", OIDNumeric, 1310724, false, true},
		{"timestamp(3) with time zone", OIDTimestamptz, 3, false, true},
		{"timestamp without time zone", OIDTimestamp, -1, false, true},
		{"double  precision", OIDFloat8, -1, false, true},
		{"text[]", OIDTextArray, -1, false, true},
		{"pg_catalog.int4", OIDInt4, -1, false, true},
		{"geometry", OIDText, -1, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.decl, func(t *testing.T) {
			oid, mod, serial, ok := ParseType(tt.decl)
			if oid != tt.oid || mod != tt.typmod || serial != tt.serial || ok != tt.ok {
				t.Errorf("ParseType(%q) = %d, %d, %v, %v; want %d, %d, %v, %v", tt.decl, oid, mod, serial, ok, tt.oid, tt.typmod, tt.serial, tt.ok)
			}
			if ok {
				// Round trip through format_type and back.
				if o2, m2, _, ok2 := ParseType(FormatType(oid, mod, true)); !ok2 || o2 != oid || m2 != mod && !(oid == OIDBpchar && mod == 5) {
					t.Errorf("ParseType(FormatType(%d, %d)) = %d, %d, %v", oid, mod, o2, m2, ok2)
				}
			}
		})
	}
}

func TestArrays(t *testing.T) {
	tests := []struct {
		text  string
		elems []string // "<NULL>" for NULL
	}{
		{"{}", nil},
		{"{a,b}", []string{"a", "b"}},
		{`{"a b","",NULL,"NULL","x\"y","c\\d"}`, []string{"a b", "", "<NULL>", "NULL", `x"y`, `c\d`}},
		{"{fillfactor=100}", []string{"fillfactor=100"}},
		{"{postgres=UC/postgres,=U/postgres}", []string{"postgres=UC/postgres", "=U/postgres"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, ok := parseArray(tt.text)
			if !ok {
				t.Fatalf("parseArray(%q) failed", tt.text)
			}
			var in []*string
			var gotS []string
			for i, e := range got {
				if e == nil {
					gotS = append(gotS, "<NULL>")
				} else {
					gotS = append(gotS, *e)
				}
				_ = i
			}
			if strings.Join(gotS, "|") != strings.Join(tt.elems, "|") || len(gotS) != len(tt.elems) {
				t.Errorf("parseArray(%q) = %q, want %q", tt.text, gotS, tt.elems)
			}
			for _, e := range tt.elems {
				if e == "<NULL>" {
					in = append(in, nil)
				} else {
					e := e
					in = append(in, &e)
				}
			}
			if f := formatArray(in); f != tt.text {
				t.Errorf("formatArray(%q) = %q, want %q", tt.elems, f, tt.text)
			}
		})
	}
	for _, bad := range []string{"", "a,b", "{a", `{"a}`, "{a\"b\"c,d}x"} {
		if _, ok := parseArray(bad); ok {
			t.Errorf("parseArray(%q) succeeded", bad)
		}
	}
}

func TestLookup(t *testing.T) {
	r, ok := Lookup("", "pg_class")
	if !ok || r.OID != 1259 || r.View {
		t.Fatalf("Lookup(pg_class) = %+v, %v", r, ok)
	}
	for _, c := range []struct {
		name string
		oid  uint32
		lite string
	}{{"oid", OIDOid, "INTEGER"}, {"relname", OIDName, "TEXT"}, {"relhasindex", OIDBool, "INTEGER"}, {"reltuples", OIDFloat4, "REAL"}, {"reloptions", OIDTextArray, "TEXT"}} {
		col, ok := r.Column(c.name)
		if !ok || col.TypeOID != c.oid || col.SQLite != c.lite {
			t.Errorf("pg_class.%s = %+v, %v; want type %d, %s", c.name, col, ok, c.oid, c.lite)
		}
	}
	if _, ok := Lookup("", "columns"); ok {
		t.Error("unqualified columns resolved to information_schema")
	}
	if r, ok := Lookup("information_schema", "columns"); !ok || !r.View {
		t.Errorf("information_schema.columns: %v, %v", r, ok)
	}
	if f, ok := LookupFunction("pg_get_indexdef"); !ok || f.ResultOID != OIDText || f.MaxArgs != 3 {
		t.Errorf("LookupFunction(pg_get_indexdef) = %+v, %v", f, ok)
	}
}

func TestFunctions(t *testing.T) {
	snap := benchSnapshot()
	c := openTestDB(t, snap)
	tests := []struct{ sql, want string }{
		{"SELECT pg_regclass_in('pgbench_accounts')", "16390"},
		{"SELECT pg_regclass_in('public.pgbench_accounts')", "16390"},
		{"SELECT pg_regclass_in('pg_catalog.pg_class')", "1259"},
		{"SELECT pg_regclass_in('pg_type')", "1247"},
		{"SELECT pg_regclass_in('16390')", "16390"},
		{`SELECT pg_regclass_in('"pgbench_accounts"')`, "16390"},
		{"SELECT to_regclass('nope')", `\N`},
		{"SELECT pg_regclass_out(16390)", "pgbench_accounts"},
		{"SELECT pg_regclass_out(1259)", "pg_class"},
		{"SELECT pg_regclass_out(424242)", "424242"},
		{"SELECT pg_regtype_out(1042)", "character"},
		{"SELECT pg_regnamespace_out(2200)", "public"},
		{"SELECT pg_get_serial_sequence('pgbench_history', 'hid')", "public.pgbench_history_hid_seq"},
		{"SELECT pg_get_serial_sequence('pgbench_history', 'tid')", `\N`},
		{"SELECT pg_get_indexdef(NULL)", `\N`},
		{"SELECT format_type(NULL, NULL)", `\N`},
		{"SELECT pg_get_userbyid(NULL)", `\N`},
		{"SELECT pg_table_is_visible(NULL)", `\N`},
		{"SELECT obj_description(16390)", "bank accounts"},
		{"SELECT col_description(16390, 3)", "balance"},
		{"SELECT col_description(16390, 2)", `\N`},
		{"SELECT pg_total_relation_size(16390)", "0"},
		{"SELECT pg_relation_is_publishable(16390)", "1"},
		{"SELECT pg_relation_is_publishable(1259)", "0"},
		{"SELECT pg_array_contains('{1,2}', 2)", "1"},
		{"SELECT pg_array_contains('{1,NULL}', 2)", `\N`},
		{"SELECT pg_array_contains('{1,3}', 2)", "0"},
		{"SELECT pg_array_get('{a,b}', 2)", "b"},
		{"SELECT pg_array_get('1 2', 0)", "1"},
		{"SELECT '{' || coalesce(group_concat(pg_array_elem(x), ','), '') || '}' FROM (SELECT 'a b' AS x UNION ALL SELECT 'c')", `{"a b",c}`},
		{"SELECT '{' || coalesce(group_concat(pg_array_elem(x), ','), '') || '}' FROM (SELECT 1 AS x WHERE 0)", `{}`},
		{"SELECT cardinality('{a,b,c}')", "3"},
		{`SELECT group_concat(value, '|') FROM json_each(pg_array_json('{a,"b c",NULL}'))`, "a|b c"},
		{"SELECT pg_partition_ancestors('16390')", "16390"},
		{"SELECT pg_get_function_result(1081)", "text"},
		{"SELECT pg_get_function_arguments(2507)", "oid, integer, boolean"},
		{"SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'pg_attribute' AND relnamespace = 11", "1"},
		{"SELECT setting FROM pg_catalog.pg_settings WHERE name = 'application_name'", "psql"},
		{"SELECT setting || ' ' || source FROM pg_catalog.pg_settings WHERE name = 'work_mem'", "8MB session"},
		{"SELECT setting || ' ' || source FROM pg_catalog.pg_settings WHERE name = 'replisql.custom'", "x session"},
		{"SELECT setting FROM pg_catalog.pg_settings WHERE name = 'max_connections'", "100"},
		{"SELECT txid_current() < txid_current()", "1"},
		// \l lists the templates initdb makes, with their ACLs.
		{"SELECT group_concat(oid || ' ' || datname || ' ' || datistemplate || datallowconn || ' ' || coalesce(datacl, '-'), ';') FROM (SELECT * FROM pg_catalog.pg_database ORDER BY oid)",
			"1 template1 11 {=c/postgres,postgres=CTc/postgres};4 template0 10 {=c/postgres,postgres=CTc/postgres};5 bench 01 -"},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			got := query(t, c, tt.sql)
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("%s = %q, want %q", tt.sql, got, tt.want)
			}
		})
	}
	_, err := c.ExecContext(context.Background(), "SELECT pg_regclass_in('no_such_table')")
	var pe *pgerr.Error
	if !errors.As(store.MapError(err), &pe) || pe.Code != pgerr.UndefinedTable {
		t.Errorf("pg_regclass_in of an unknown name: %v, want 42P01", err)
	}
}

func TestRefill(t *testing.T) {
	ctx := context.Background()
	a := benchSnapshot()
	c := openTestDB(t, a)
	b := benchSnapshot()
	b.Tables = b.Tables[:1] // only pgbench_branches
	b.Tables = append(b.Tables, Table{Name: "t2", OID: 16500, Columns: []Column{{Name: "x", Type: "text"}}})
	if err := Fill(ctx, c, b); err != nil {
		t.Fatal(err)
	}
	got := query(t, c, "SELECT relname FROM pg_catalog.pg_class WHERE relnamespace = 2200 ORDER BY 1")
	if strings.Join(got, ",") != "pgbench_branches,pgbench_branches_pkey,t2" {
		t.Errorf("after refill: %q", got)
	}
	if got := query(t, c, "SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid >= 16384"); got[0] != "5" {
		t.Errorf("attributes after refill: %s, want 5", got[0])
	}
	if got := query(t, c, "SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = 1259"); got[0] != "33" {
		t.Errorf("pg_class's own attributes: %s, want 33 (fixed rows must survive a refill)", got[0])
	}
	if got := query(t, c, "SELECT obj_description(16390, 'pg_class')"); got[0] != `\N` {
		t.Errorf("comment of a dropped table: %s", got[0])
	}
	// Fill again with a: the shared registry switches back.
	if err := Fill(ctx, c, a); err != nil {
		t.Fatal(err)
	}
	if got := query(t, c, "SELECT count(*) FROM pg_catalog.pg_class WHERE relkind = 'r' AND relnamespace = 2200"); got[0] != "6" {
		t.Errorf("tables after second refill: %s", got[0])
	}
}

func TestFillTransactions(t *testing.T) {
	ctx := context.Background()
	c := openTestDB(t, benchSnapshot())
	other := &Snapshot{Database: "bench", Tables: []Table{{Name: "only", OID: 17000, Columns: []Column{{Name: "a", Type: "int"}}}}}
	count := func() string {
		return query(t, c, "SELECT count(*) FROM pg_catalog.pg_class WHERE relnamespace = 2200")[0]
	}
	// Inside a transaction that rolls back: the catalog goes back too.
	if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if err := Fill(ctx, c, other); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != "1" {
		t.Errorf("inside the transaction: %s relations, want 1", n)
	}
	if _, err := c.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != "18" {
		t.Errorf("after ROLLBACK: %s relations, want 18", n)
	}
	// A failing fill (query_only) leaves the catalog as it was and the
	// connection usable.
	if _, err := c.ExecContext(ctx, "PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	if err := Fill(ctx, c, other); err == nil {
		t.Fatal("Fill with query_only on succeeded")
	}
	if _, err := c.ExecContext(ctx, "PRAGMA query_only = 0"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != "18" {
		t.Errorf("after a failed fill: %s relations, want 18", n)
	}
	if err := Fill(ctx, c, other); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != "1" {
		t.Errorf("after fill: %s relations, want 1", n)
	}
	if err := Attach(ctx, c); err != nil {
		t.Errorf("second Attach: %v", err)
	}
	if got := query(t, c, "SELECT count(*) FROM pg_catalog.pg_type WHERE oid = 23"); got[0] != "1" {
		t.Errorf("int4 rows after a second Attach: %s", got[0])
	}
}

func TestFromStore(t *testing.T) {
	sc := &store.Schema{Version: 3, Tables: map[string]*store.Table{
		"acc": {Name: "acc", OID: 16386, SQL: `CREATE TABLE "acc" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "name" character varying(20) NOT NULL UNIQUE, "on" boolean DEFAULT 1, "at" timestamp with time zone DEFAULT (pg_now()), "n" integer DEFAULT -1, "s" text DEFAULT 'x')`,
			Columns: []store.Column{
				{Name: "id", Type: "INTEGER", NotNull: true, PrimaryKey: 1},
				{Name: "name", Type: "character varying(20)", NotNull: true},
				{Name: "on", Type: "boolean", Default: "1"},
				{Name: "at", Type: "timestamp with time zone", Default: "(pg_now())"},
				{Name: "n", Type: "integer", Default: "-1"},
				{Name: "s", Type: "text", Default: "'x'"},
			},
			Indexes: []store.Index{
				{Name: "acc_pkey", Unique: true, Primary: true, Columns: []string{"id"}},
				{Name: "sqlite_autoindex_acc_1", Unique: true, Columns: []string{"name"}},
				{Name: "acc_n", Columns: []string{"n"}, SQL: `CREATE INDEX "acc_n" ON "acc" ("n")`},
			}},
	}}
	snap := FromStore(sc, "db", []string{"alice"}, nil)
	c := openTestDB(t, snap)
	got := query(t, c, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), (SELECT pg_get_expr(d.adbin, d.adrelid, 1) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef), a.attnotnull
		FROM pg_catalog.pg_attribute a WHERE a.attrelid = 16386 AND a.attnum > 0 ORDER BY a.attnum`)
	want := []string{
		"id\tbigint\tnextval('acc_id_seq'::regclass)\t1",
		"name\tcharacter varying(20)\t\\N\t1",
		"on\tboolean\ttrue\t0",
		"at\ttimestamp with time zone\tnow()\t0",
		"n\tinteger\t'-1'::integer\t0",
		"s\ttext\t'x'::text\t0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("columns:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = query(t, c, `SELECT c2.relname, pg_get_indexdef(i.indexrelid, 0, 1), pg_get_constraintdef(con.oid, 1)
		FROM pg_catalog.pg_class c2, pg_catalog.pg_index i LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid)
		WHERE i.indrelid = 16386 AND i.indexrelid = c2.oid ORDER BY i.indisprimary DESC, c2.relname`)
	want = []string{
		"acc_pkey\tCREATE UNIQUE INDEX acc_pkey ON acc USING btree (id)\tPRIMARY KEY (id)",
		"acc_n\tCREATE INDEX acc_n ON acc USING btree (n)\t\\N",
		"acc_name_key\tCREATE UNIQUE INDEX acc_name_key ON acc USING btree (name)\tUNIQUE (name)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("indexes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := query(t, c, "SELECT pg_get_userbyid(relowner), relname FROM pg_catalog.pg_class WHERE relkind = 'S'"); len(got) != 1 || got[0] != "alice\tacc_id_seq" {
		t.Errorf("sequences: %q", got)
	}
}

func TestAddForeignKeys(t *testing.T) {
	ctx := context.Background()
	c := openTestDB(t, &Snapshot{})
	for _, q := range []string{
		`CREATE TABLE p (id integer PRIMARY KEY, code text UNIQUE)`,
		`CREATE TABLE ch (a integer REFERENCES p, b text REFERENCES p(code) ON DELETE CASCADE ON UPDATE SET NULL)`,
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	snap := &Snapshot{Database: "db", Tables: []Table{
		{Name: "p", OID: 16386, Columns: []Column{{Name: "id", Type: "integer"}, {Name: "code", Type: "text"}},
			Indexes: []Index{{Name: "p_pkey", Columns: []string{"id"}, Unique: true, Primary: true, Constraint: true},
				{Name: "p_code_key", Columns: []string{"code"}, Unique: true, Constraint: true}}},
		{Name: "ch", OID: 16388, Columns: []Column{{Name: "a", Type: "integer"}, {Name: "b", Type: "text"}}},
	}}
	if err := AddForeignKeys(ctx, c, snap); err != nil {
		t.Fatal(err)
	}
	if err := Fill(ctx, c, snap); err != nil {
		t.Fatal(err)
	}
	got := query(t, c, `SELECT conname, pg_get_constraintdef(oid, 1), pg_regclass_out(conindid) FROM pg_catalog.pg_constraint WHERE contype = 'f' ORDER BY 1`)
	want := []string{
		"ch_a_fkey\tFOREIGN KEY (a) REFERENCES p(id)\tp_pkey",
		"ch_b_fkey\tFOREIGN KEY (b) REFERENCES p(code) ON UPDATE SET NULL ON DELETE CASCADE\tp_code_key",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("foreign keys:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestConcurrentFill fills many connections from the same and from
// different snapshots at once (run with -race).
func TestConcurrentFill(t *testing.T) {
	ctx := context.Background()
	shared := benchSnapshot()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		c := openTestDB(t, shared)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			snap := shared
			if i%2 == 1 {
				snap = benchSnapshot()
			}
			for j := 0; j < 3; j++ {
				if err := Fill(ctx, c, snap); err != nil {
					t.Error(err)
					return
				}
				var n int
				if err := c.QueryRowContext(ctx, "SELECT count(*) FROM pg_catalog.pg_index WHERE pg_get_indexdef(indexrelid) IS NOT NULL").Scan(&n); err != nil || n != 9 {
					t.Errorf("indexes with a definition: %d, %v", n, err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
}

// wideSnapshot is n tables of ten columns with a primary key, an index, a
// foreign key to the previous table, a CHECK and a comment.
func wideSnapshot(n int) *Snapshot {
	s := &Snapshot{Database: "bench", Users: []string{"postgres"}}
	for i := 0; i < n; i++ {
		name := "t" + strconv.Itoa(i)
		t := Table{Name: name, OID: uint32(16384 + 2*(i+1)), Comment: "table " + name}
		for j := 0; j < 10; j++ {
			typ := []string{"integer", "bigint", "text", "varchar(40)", "numeric(10,2)", "timestamptz", "boolean", "char(8)", "double precision", "jsonb"}[j]
			t.Columns = append(t.Columns, Column{Name: fmt.Sprintf("c%d", j), Type: typ, NotNull: j == 0})
		}
		t.Columns[1].Type = "bigserial"
		t.Indexes = []Index{{Name: name + "_pkey", Columns: []string{"c0"}, Unique: true, Primary: true, Constraint: true},
			{Name: name + "_c2_idx", Columns: []string{"c2", "c3"}}}
		t.Constraints = []Constraint{{Type: 'c', Columns: []string{"c0"}, Check: "c0 > 0"}}
		if i > 0 {
			t.Constraints = append(t.Constraints, Constraint{Type: 'f', Columns: []string{"c0"}, RefTable: "t" + strconv.Itoa(i-1)})
		}
		s.Tables = append(s.Tables, t)
	}
	return s
}

// BenchmarkFill measures refilling one connection's catalog for a
// 50-table schema: the rows and SQL are built once per Snapshot (first
// Fill) and every connection then runs the shared script.
func BenchmarkFill(b *testing.B) {
	ctx := context.Background()
	snap := wideSnapshot(50)
	c := openTestDB(b, snap)
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := Fill(ctx, c, snap); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(registry.use(snap).scripts["pg_catalog"])+len(registry.use(snap).scripts["information_schema"])), "script-bytes")
}

// BenchmarkFillSchema measures refilling pg_catalog alone (what psql's
// meta-commands need) for a 50-table schema.
func BenchmarkFillSchema(b *testing.B) {
	ctx := context.Background()
	snap := wideSnapshot(50)
	c := openTestDB(b, snap)
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := FillSchema(ctx, c, snap, "pg_catalog"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkBuild measures building the rows and SQL of a 50-table
// schema, what the first Fill after a schema change pays once.
func BenchmarkBuild(b *testing.B) {
	snap := wideSnapshot(50)
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		build(snap)
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkAttach measures attaching and writing the fixed rows on a new
// connection.
func BenchmarkAttach(b *testing.B) {
	ctx := context.Background()
	snap := wideSnapshot(1)
	c := openTestDB(b, snap)
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := Attach(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system CPU time: on a shared machine
// it says more about a benchmark's cost than the wall clock. (The
// garbage collector's work on other cores counts too.)
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestTwoDatabases fills two connections from snapshots of two databases
// whose tables share an oid: index and constraint definitions stay exact
// on both, because derived oids include the database name.
func TestTwoDatabases(t *testing.T) {
	mk := func(db, col string) *Snapshot {
		return &Snapshot{Database: db, Tables: []Table{{Name: "t", OID: 16386,
			Columns: []Column{{Name: col, Type: "integer"}},
			Indexes: []Index{{Name: "t_pkey", Columns: []string{col}, Unique: true, Primary: true, Constraint: true}}}}}
	}
	c1 := openTestDB(t, mk("db1", "a"))
	c2 := openTestDB(t, mk("db2", "b"))
	for _, tc := range []struct {
		c    *sql.Conn
		want string
	}{{c1, "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (a)\tPRIMARY KEY (a)"}, {c2, "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (b)\tPRIMARY KEY (b)"}} {
		got := query(t, tc.c, "SELECT pg_get_indexdef(i.indexrelid), pg_get_constraintdef(c.oid) FROM pg_catalog.pg_index i JOIN pg_catalog.pg_constraint c ON c.conindid = i.indexrelid")
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// TestUncommitted fills one connection from a transaction's own snapshot
// with a new index: it sees the index's definition, and the committed
// snapshot stays what the functions answer from for everything else.
func TestUncommitted(t *testing.T) {
	committed := &Snapshot{Database: "txdb", Tables: []Table{{Name: "t", OID: 16386, Comment: "committed",
		Columns: []Column{{Name: "a", Type: "integer"}}}}}
	tx := &Snapshot{Database: "txdb", Uncommitted: true, Tables: []Table{{Name: "t", OID: 16386, Comment: "uncommitted",
		Columns: []Column{{Name: "a", Type: "integer"}}, Indexes: []Index{{Name: "t_a_idx", Columns: []string{"a"}}}}}}
	other := openTestDB(t, committed)
	w := openTestDB(t, tx)
	if got := query(t, w, "SELECT pg_get_indexdef(indexrelid) FROM pg_catalog.pg_index"); len(got) != 1 || got[0] != "CREATE INDEX t_a_idx ON public.t USING btree (a)" {
		t.Errorf("the transaction's own index: %q", got)
	}
	if got := query(t, other, "SELECT obj_description(16386, 'pg_class')"); got[0] != "committed" {
		t.Errorf("another connection sees %q", got[0])
	}
}

// TestAddSequences reads the SQL layer's sequence table: a serial column
// that is not the key has DEFAULT pg_nextval('t_c_seq') and owns its
// sequence; a CREATE SEQUENCE one stands alone.
func TestAddSequences(t *testing.T) {
	ctx := context.Background()
	c := openTestDB(t, &Snapshot{})
	for _, q := range []string{
		`CREATE TABLE "__replisql_sequences" ("name" text NOT NULL PRIMARY KEY, "last" bigint NOT NULL, "increment" bigint NOT NULL, "minvalue" bigint NOT NULL, "maxvalue" bigint NOT NULL, "called" integer NOT NULL)`,
		`INSERT INTO "__replisql_sequences" VALUES ('o_n_seq', 0, 1, 1, 2147483647, 0), ('free', 5, 2, 1, 9223372036854775807, 1)`,
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	sc := &store.Schema{Tables: map[string]*store.Table{
		"o": {Name: "o", OID: 17990, SQL: `CREATE TABLE "o" ("id" bigint, "n" integer NOT NULL DEFAULT (pg_nextval('o_n_seq')))`,
			Columns: []store.Column{{Name: "id", Type: "bigint"}, {Name: "n", Type: "integer", NotNull: true, Default: "(pg_nextval('o_n_seq'))"}}},
		"__replisql_sequences": {Name: "__replisql_sequences", OID: 16388},
	}}
	snap := FromStore(sc, "db", nil, nil)
	if err := AddSequences(ctx, c, snap); err != nil {
		t.Fatal(err)
	}
	if err := Fill(ctx, c, snap); err != nil {
		t.Fatal(err)
	}
	got := query(t, c, `SELECT c.relname, c.relkind, format_type(s.seqtypid, NULL), s.seqincrement,
		(SELECT r.relname || '.' || a.attname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class r ON r.oid = d.refobjid
		 JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum = d.refobjsubid WHERE d.objid = c.oid)
		FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid WHERE c.relnamespace = 2200 ORDER BY 1`)
	want := []string{"free\tS\tbigint\t2\t\\N", "o\tr\t\\N\t\\N\t\\N", "o_n_seq\tS\tinteger\t1\to.n"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := query(t, c, "SELECT pg_get_expr(adbin, adrelid) FROM pg_catalog.pg_attrdef"); len(got) != 1 || got[0] != "nextval('o_n_seq'::regclass)" {
		t.Errorf("default: %q", got)
	}
}

// TestFromStoreAnnotations: what the SQL layer's annotations record shows
// in the catalog as PostgreSQL shows it.
func TestFromStoreAnnotations(t *testing.T) {
	sc := &store.Schema{Version: 1, Tables: map[string]*store.Table{
		"idt": {Name: "idt", OID: 17990,
			SQL: `CREATE TABLE "idt" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "code" text UNIQUE, "n" integer DEFAULT (pg_nextval('idt_n_seq')), "ts" timestamp without time zone(3), CONSTRAINT "idt_v" CHECK ("code" <> ''))`,
			Columns: []store.Column{
				{Name: "id", Type: "INTEGER", NotNull: true, PrimaryKey: 1},
				{Name: "code", Type: "text"},
				{Name: "n", Type: "integer", NotNull: true, Default: "(pg_nextval('idt_n_seq'))"},
				{Name: "ts", Type: "timestamp without time zone(3)"},
			},
			Indexes: []store.Index{
				{Name: "idt_pkey", Unique: true, Primary: true, Columns: []string{"id"}},
				{Name: "sqlite_autoindex_idt_1", Unique: true, Columns: []string{"code"}},
			},
			Annotations: []store.Annotation{
				{Kind: "comment", Name: "", Value: "identities"},
				{Kind: "comment", Name: "code", Value: "the code"},
				{Kind: "constraint", Name: "idt_code_uniq", Value: `{"type":"u","columns":["code"]}`},
				{Kind: "constraint", Name: "idt_v", Value: `{"type":"c","columns":["code"],"check":"code <> ''::text"}`},
				{Kind: "identity", Name: "id", Value: "a"},
				{Kind: "identity", Name: "n", Value: "d"},
				{Kind: "options", Name: "", Value: `["fillfactor=100"]`},
			}},
	}}
	snap := FromStore(sc, "db", nil, nil)
	c := openTestDB(t, snap)
	tests := []struct {
		name, query string
		want        []string
	}{
		{"columns", `SELECT attname, format_type(atttypid, atttypmod), attidentity, atthasdef, coalesce(col_description(attrelid, attnum), '') FROM pg_catalog.pg_attribute WHERE attrelid = 17990 AND attnum > 0 ORDER BY attnum`,
			[]string{"id\tinteger\ta\t0\t", "code\ttext\t\t0\tthe code", "n\tinteger\td\t0\t", "ts\ttimestamp(3) without time zone\t\t0\t"}},
		{"constraints", `SELECT conname, contype, pg_get_constraintdef(oid, true) FROM pg_catalog.pg_constraint WHERE conrelid = 17990 ORDER BY conname`,
			[]string{"idt_code_uniq\tu\tUNIQUE (code)", "idt_pkey\tp\tPRIMARY KEY (id)", "idt_v\tc\tCHECK (code <> ''::text)"}},
		{"table", `SELECT array_to_string(reloptions, ', '), obj_description(oid, 'pg_class') FROM pg_catalog.pg_class WHERE oid = 17990`,
			[]string{"fillfactor=100\tidentities"}},
		{"sequences", `SELECT relname FROM pg_catalog.pg_class WHERE relkind = 'S' ORDER BY 1`,
			[]string{"idt_id_seq", "idt_n_seq"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := query(t, c, tc.query); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
