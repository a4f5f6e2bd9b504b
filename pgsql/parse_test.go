package pgsql

import (
	"sync"
	"testing"

	"github.com/replisql/replisql/pgwire/pgerr"
)

func TestParseSplit(t *testing.T) {
	q := "SELECT 1 AS a; SELECT 2 AS b;\n  -- c\n  UPDATE t SET x = 'é;' WHERE y = 1 ;"
	st, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		text string
		loc  int
	}{{"SELECT 1 AS a", 0}, {"SELECT 2 AS b", 15}, {"-- c\n  UPDATE t SET x = 'é;' WHERE y = 1", 32}}
	if len(st) != len(want) {
		t.Fatalf("got %d statements", len(st))
	}
	for i, w := range want {
		if st[i].Text != w.text || st[i].Location != w.loc || q[w.loc:w.loc+len(w.text)] != w.text {
			t.Errorf("%d: got %q at %d, want %q at %d", i, st[i].Text, st[i].Location, w.text, w.loc)
		}
	}
}

func TestParseEmpty(t *testing.T) {
	for _, q := range []string{"", ";", "-- ping", " ; ; ", "/* x */"} {
		st, err := Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != 1 || st[0].Kind != KindEmpty {
			t.Errorf("%q: %+v", q, st)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		q    string
		msg  string
		pos  int32
		code pgerr.Code
	}{
		{"SELCT 1", `syntax error at or near "SELCT"`, 1, pgerr.SyntaxError},
		{"SELECT 1 FROM", `syntax error at end of input`, 14, pgerr.SyntaxError},
		{"SELECT 'é' FRM t", `syntax error at or near "t"`, 16, pgerr.SyntaxError},
		{"SELECT 'abc", `unterminated quoted string at or near "'abc"`, 8, pgerr.SyntaxError},
		{"SELECT 1; SELEC 2", `syntax error at or near "SELEC"`, 11, pgerr.SyntaxError},
	}
	for _, c := range cases {
		_, err := Parse(c.q)
		e := pgerr.As(err)
		if e == nil {
			t.Fatalf("%q: no error", c.q)
		}
		if e.Message != c.msg || e.Position != c.pos || e.Code != c.code {
			t.Errorf("%q: got %q pos %d code %s", c.q, e.Message, e.Position, e.Code)
		}
	}
}

func TestPlanErrorPosition(t *testing.T) {
	d := newTestDB(t)
	st, err := Parse("SELECT 1; SELECT x FROM nosuch")
	if err != nil {
		t.Fatal(err)
	}
	_, err = st[1].Plan(d, nil)
	e := pgerr.As(err)
	if e == nil || e.Code != pgerr.UndefinedTable || e.Position != 25 || e.Message != `relation "nosuch" does not exist` {
		t.Fatalf("got %+v", e)
	}
}

func TestParseDetails(t *testing.T) {
	st, err := Parse("begin isolation level serializable read only")
	if err != nil {
		t.Fatal(err)
	}
	if tx := st[0].Txn; tx.Op != TxnBegin || tx.Isolation != "serializable" || tx.ReadOnly == nil || !*tx.ReadOnly {
		t.Errorf("txn %+v", tx)
	}
	st, _ = Parse("BEGIN READ WRITE")
	if tx := st[0].Txn; tx.ReadOnly == nil || *tx.ReadOnly {
		t.Errorf("txn %+v", tx)
	}
	st, _ = Parse("SET LOCAL statement_timeout TO 100")
	if s := st[0].Set; s.Name != "statement_timeout" || s.Value != "100" || !s.Local {
		t.Errorf("set %+v", s)
	}
	st, _ = Parse("SET datestyle TO 'ISO', 'MDY'")
	if s := st[0].Set; s.Name != "datestyle" || s.Value != "ISO, MDY" {
		t.Errorf("set %+v", s)
	}
	st, _ = Parse("SET TIME ZONE 'UTC'")
	if s := st[0].Set; s.Name != "timezone" || s.Value != "UTC" {
		t.Errorf("set %+v", s)
	}
	st, _ = Parse("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ")
	if s := st[0].Set; s.Isolation != "repeatable read" {
		t.Errorf("set %+v", s)
	}
	st, _ = Parse("RESET ALL")
	if s := st[0].Set; !s.ResetAll || !s.Reset {
		t.Errorf("set %+v", s)
	}
	st, _ = Parse("SHOW TRANSACTION ISOLATION LEVEL")
	if s := st[0].Show; s.Name != "transaction_isolation" {
		t.Errorf("show %+v", s)
	}
	st, _ = Parse("copy pgbench_accounts from stdin with (freeze on)")
	if c := st[0].Copy; c.Table != "pgbench_accounts" || !c.From || !c.Freeze || c.Format != "text" || c.Delimiter != "\t" || c.Null != `\N` {
		t.Errorf("copy %+v", c)
	}
	st, _ = Parse(`COPY "py_items"("name","qty") FROM stdin WITH DELIMITER AS '	' NULL AS '\N'`)
	if c := st[0].Copy; len(c.Columns) != 2 || c.Delimiter != "\t" || c.Null != `\N` {
		t.Errorf("copy %+v", c)
	}
	st, _ = Parse("COPY (SELECT id FROM py_items ORDER BY id) TO STDOUT WITH CSV HEADER")
	if c := st[0].Copy; c.Query == nil || c.From || c.Format != "csv" || !c.Header || c.Delimiter != "," || c.Quote != `"` {
		t.Errorf("copy %+v", c)
	}
	st, _ = Parse(`copy "gopgx_items" ( "name", "qty" ) from stdin binary;`)
	if c := st[0].Copy; c.Format != "binary" {
		t.Errorf("copy %+v", c)
	}
	st, _ = Parse("COPY  pgbench_branches TO STDOUT with (format csv, header)")
	if c := st[0].Copy; c.Format != "csv" || !c.Header || c.From {
		t.Errorf("copy %+v", c)
	}
	st, _ = Parse(`DECLARE "py_named_cursor" CURSOR WITHOUT HOLD FOR SELECT id, name FROM py_items ORDER BY id`)
	if c := st[0].Cursor; c.Op != CursorDeclare || c.Name != "py_named_cursor" || c.Hold || c.Query == nil {
		t.Errorf("cursor %+v", c)
	}
	st, _ = Parse(`DECLARE c CURSOR WITH HOLD FOR SELECT 1`)
	if c := st[0].Cursor; !c.Hold {
		t.Errorf("cursor %+v", c)
	}
	st, _ = Parse(`FETCH FORWARD 2 FROM "py_named_cursor"`)
	if c := st[0].Cursor; c.Op != CursorFetch || c.Count != 2 || !c.Forward || c.Name != "py_named_cursor" {
		t.Errorf("cursor %+v", c)
	}
	st, _ = Parse(`FETCH ALL FROM c`)
	if c := st[0].Cursor; c.Count != -1 || !c.Forward {
		t.Errorf("cursor %+v", c)
	}
	st, _ = Parse(`FETCH BACKWARD 1 FROM c`)
	if c := st[0].Cursor; c.Forward {
		t.Errorf("cursor %+v", c)
	}
}

// Plans of COPY and DECLARE, which the session executes.
func TestCopyAndCursorPlans(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "CREATE TABLE c (id serial PRIMARY KEY, name varchar(5), qty int, at timestamptz DEFAULT now())")
	st, _ := Parse(`COPY c (name, qty) FROM STDIN`)
	p, err := st[0].Plan(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := colsString(p.Columns); got != "name:1043,qty:23" || paramsString(p.Params) != "1043,23" {
		t.Fatalf("copy plan %+v", p)
	}
	for _, row := range [][]any{{"a", int64(1)}, {"b", nil}} {
		if _, err := d.runStmt(st[0], nil, row...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.runStmt(st[0], nil, "toolong", int64(1)); codeOf(err) != "22001" {
		t.Fatalf("want 22001, got %v", err)
	}
	res, err := d.run("SELECT name, qty, at FROM c ORDER BY id", nil)
	if err != nil || res.rows != "a|1|"+testNow+"\nb|NULL|"+testNow {
		t.Fatalf("%v %q", err, res.rows)
	}
	st, _ = Parse(`COPY c TO STDOUT`)
	if p, err = st[0].Plan(d, nil); err != nil || colsString(p.Columns) != "id:23,name:1043,qty:23,at:1184" {
		t.Fatalf("%v %+v", err, p)
	}
	st, _ = Parse(`COPY (SELECT qty FROM c) TO STDOUT`)
	if p, err = st[0].Plan(d, nil); err != nil || colsString(p.Columns) != "qty:23" {
		t.Fatalf("%v %+v", err, p)
	}
	st, _ = Parse(`DECLARE x CURSOR FOR SELECT id, name FROM c`)
	if p, err = st[0].Plan(d, nil); err != nil || colsString(p.Columns) != "id:23,name:1043" {
		t.Fatalf("%v %+v", err, p)
	}
	st, _ = Parse(`COPY c FROM '/etc/passwd'`)
	if _, err = st[0].Plan(d, nil); codeOf(err) != "42501" {
		t.Fatalf("%v", err)
	}
}

func TestCaches(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "create table k (a int)")
	q := "SELECT a FROM k WHERE a = $1"
	s1, _ := Parse(q)
	s2, _ := Parse(q)
	if s1[0] != s2[0] {
		t.Fatal("parse cache missed")
	}
	p1, _ := s1[0].Plan(d, nil)
	p2, _ := s1[0].Plan(d, nil)
	p3, _ := s1[0].Plan(d, []uint32{20})
	if p1 != p2 || p1 == p3 || paramsString(p3.Params) != "20" {
		t.Fatal("plan cache keys")
	}
	d.mustRun(t, "alter table k add column b int")
	p4, _ := s1[0].Plan(d, nil)
	if p4 == p1 {
		t.Fatal("plan cache ignores schema version")
	}
	// Concurrent use.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				st, err := Parse(q)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := st[0].Plan(d, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestLRUBoundsBytes(t *testing.T) {
	c := newLRU(100, 10)
	c.add("aaaa", 1)
	c.add("bbbb", 2)
	c.add("cccc", 3) // 12 bytes: the oldest goes
	if _, ok := c.get("aaaa"); ok {
		t.Fatal("aaaa should be evicted by the byte bound")
	}
	if _, ok := c.get("cccc"); !ok {
		t.Fatal("cccc should stay")
	}
}

func TestLRU(t *testing.T) {
	c := newLRU(2, 1<<20)
	c.add("a", 1)
	c.add("b", 2)
	c.get("a")
	c.add("c", 3)
	if _, ok := c.get("b"); ok {
		t.Fatal("b should be evicted")
	}
	if _, ok := c.get("a"); !ok {
		t.Fatal("a should stay")
	}
}

// Errors raised inside SQLite by the registered functions come back with
// their SQLSTATE, message and detail.
func TestTranslateError(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "create table e (s text, n numeric)")
	d.mustRun(t, "insert into e values ('abc', 123456)")
	cases := []struct{ q, code, msg, detail string }{
		{"select s::int from e", "22P02", `invalid input syntax for type integer: "abc"`, ""},
		{"select n::numeric(4,1) from e", "22003", "numeric field overflow", "A field with precision 4, scale 1 must round to an absolute value less than 10^3."},
		{"select 1 / (n - n) from e", "22012", "division by zero", ""},
		{"select s::bool from e", "22P02", `invalid input syntax for type boolean: "abc"`, ""},
	}
	for _, c := range cases {
		_, err := d.run(c.q, nil)
		e := pgerr.As(err)
		if e == nil || string(e.Code) != c.code || e.Message != c.msg || e.Detail != c.detail {
			t.Errorf("%s: got %#v", c.q, e)
		}
	}
}

// TestNodeLocal checks which queries answer about the node that runs them
// and so are never routed to another node.
func TestNodeLocal(t *testing.T) {
	tests := []struct {
		name  string
		query string
		local bool
	}{
		{"a table", "SELECT * FROM t", false},
		{"a plain function", "SELECT lower('A')", false},
		{"replication position", "SELECT pg_last_wal_replay_lsn()", true},
		{"the node's checksum", "SELECT replisql_checksum()", true},
		{"the node's checksum, qualified", "SELECT public.replisql_checksum()", true},
		{"the node's checksum in a subquery", "SELECT x FROM (SELECT replisql_checksum() AS x) s", true},
		{"a node relation", "SELECT * FROM pg_stat_replication", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Parse(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if got := st[0].NodeLocal; got != tc.local {
				t.Errorf("%s: NodeLocal = %v, want %v", tc.query, got, tc.local)
			}
			if !st[0].ReadOnly {
				t.Errorf("%s: not read-only", tc.query)
			}
		})
	}
}
