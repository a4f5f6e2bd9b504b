package pgsql

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
)

// trigDB is a testDB whose Schema also reports triggers and stored
// functions, the way the storage layer does.
type trigDB struct{ *testDB }

var _ Functions = trigDB{}

func (d trigDB) Table(name string) (*Table, bool) {
	tb, ok := d.testDB.Table(name)
	if !ok {
		return nil, false
	}
	rows, err := d.conn.QueryContext(context.Background(), "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? ORDER BY rowid", name)
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var tt TableTrigger
		_ = rows.Scan(&tt.Name, &tt.SQL)
		tb.Triggers = append(tb.Triggers, tt)
	}
	return tb, true
}

func (d trigDB) Function(name string) (string, bool) {
	var src string
	err := d.conn.QueryRowContext(context.Background(), `SELECT src FROM "__replisql_functions" WHERE name = ?`, name).Scan(&src)
	return src, err == nil
}

func (d trigDB) TriggerTables() []string {
	rows, err := d.conn.QueryContext(context.Background(), "SELECT DISTINCT tbl_name FROM sqlite_schema WHERE type = 'trigger' ORDER BY 1")
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

func (d trigDB) exec(t *testing.T, query string) *result {
	t.Helper()
	res, err := d.runWith(d, query, nil)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return res
}

func (d trigDB) query(t *testing.T, query string) string {
	t.Helper()
	return d.exec(t, query).rows
}

// trigDBs numbers the test databases: plans are cached per statement
// text and schema version, so every database gets versions of its own.
var trigDBs atomic.Uint64

func newTrigDB(t *testing.T) trigDB {
	d := trigDB{newTestDB(t)}
	d.version.Store(trigDBs.Add(1) << 32)
	d.exec(t, `CREATE TABLE items (id serial PRIMARY KEY, name text, qty int NOT NULL DEFAULT 0, price numeric, updated timestamptz, tag text)`)
	d.exec(t, `CREATE TABLE audit (n serial PRIMARY KEY, op text, item int, at timestamptz DEFAULT now(), info text)`)
	return d
}

func fn(name, body string) string {
	return `CREATE OR REPLACE FUNCTION ` + name + `() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` + body + ` END $$`
}

// TestTriggerRuns runs trigger functions end to end on SQLite, checking
// the values PostgreSQL gives.
func TestTriggerRuns(t *testing.T) {
	tests := []struct {
		name  string
		setup []string
		dml   []string
		check string // a query
		want  string
	}{
		{
			name: "after insert audit with now and NEW",
			setup: []string{
				fn("log_ins", `INSERT INTO audit (op, item, info) VALUES (TG_OP, NEW.id, NEW.name || ':' || NEW.qty); RETURN NEW;`),
				`CREATE TRIGGER items_log AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION log_ins()`,
			},
			dml:   []string{`INSERT INTO items (name, qty) VALUES ('a', 2), ('b', 3)`},
			check: `SELECT op, item, at, info FROM audit ORDER BY n`,
			want:  "INSERT|1|" + testNow + "|a:2\nINSERT|2|" + testNow + "|b:3",
		},
		{
			name: "before insert or update assigns NEW",
			setup: []string{
				fn("stamp", `NEW.updated := now(); NEW.name := upper(NEW.name); RETURN NEW;`),
				`CREATE TRIGGER items_stamp BEFORE INSERT OR UPDATE ON items FOR EACH ROW EXECUTE PROCEDURE stamp()`,
			},
			dml:   []string{`INSERT INTO items (name, qty) VALUES ('a', 2)`, `INSERT INTO items (name) VALUES ('x')`, `UPDATE items SET name = 'b' WHERE id = 1`},
			check: `SELECT id, name, qty, updated FROM items ORDER BY id`,
			want:  "1|B|2|" + testNow + "\n2|X|0|" + testNow,
		},
		{
			name: "IF / ELSIF / ELSE with assignments, AFTER trigger sees the new values",
			setup: []string{
				fn("classify", `IF NEW.qty > 10 THEN NEW.tag := 'many'; ELSIF NEW.qty > 0 THEN NEW.tag := 'some'; ELSE NEW.tag := 'none'; END IF; RETURN NEW;`),
				fn("log_tag", `INSERT INTO audit (op, item, info) VALUES (TG_OP, NEW.id, NEW.tag); RETURN NULL;`),
				`CREATE TRIGGER a_classify BEFORE INSERT OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION classify()`,
				`CREATE TRIGGER z_log AFTER INSERT OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION log_tag()`,
			},
			dml:   []string{`INSERT INTO items (name, qty) VALUES ('a', 20), ('b', 1), ('c', 0)`, `UPDATE items SET qty = 5 WHERE name = 'a'`},
			check: `SELECT (SELECT string_agg(name || '=' || tag, ',' ORDER BY id) FROM items), (SELECT string_agg(op || ':' || item || ':' || info, ',' ORDER BY n) FROM audit)`,
			want:  "a=some,b=some,c=none|INSERT:1:many,INSERT:2:some,INSERT:3:none,UPDATE:1:some",
		},
		{
			name: "RETURN NULL skips the row; conditional RETURN",
			setup: []string{
				fn("skip_neg", `IF NEW.qty < 0 THEN RETURN NULL; END IF; NEW.tag := 'ok'; RETURN NEW;`),
				`CREATE TRIGGER skip BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION skip_neg()`,
			},
			dml:   []string{`INSERT INTO items (name, qty) VALUES ('a', 1), ('b', -1), ('c', 2)`},
			check: `SELECT string_agg(name || '=' || tag, ',' ORDER BY id) FROM items`,
			want:  "a=ok,c=ok",
		},
		{
			name: "UPDATE and DELETE with OLD, WHEN and UPDATE OF",
			setup: []string{
				`INSERT INTO items (name, qty) VALUES ('a', 1), ('b', 2)`,
				fn("log_change", `IF TG_OP = 'DELETE' THEN INSERT INTO audit (op, item, info) VALUES ('D', OLD.id, OLD.name); ELSE INSERT INTO audit (op, item, info) VALUES ('U', NEW.id, OLD.qty || '->' || NEW.qty); END IF; RETURN NULL;`),
				`CREATE TRIGGER chg AFTER UPDATE OF qty OR DELETE ON items FOR EACH ROW WHEN (OLD.qty <> 99) EXECUTE FUNCTION log_change()`,
			},
			dml:   []string{`UPDATE items SET name = 'aa'`, `UPDATE items SET qty = qty + 10`, `UPDATE items SET qty = 99 WHERE id = 1`, `UPDATE items SET qty = 5 WHERE id = 1`, `DELETE FROM items WHERE id = 2`},
			check: `SELECT string_agg(op || ':' || item || ':' || info, ',' ORDER BY n) FROM audit`,
			want:  "U:1:1->11,U:2:2->12,U:1:11->99,D:2:aa",
		},
		{
			name: "triggers of one event fire in name order",
			setup: []string{
				fn("t1", `INSERT INTO audit (op, info) VALUES ('x', 'first'); RETURN NULL;`),
				fn("t2", `INSERT INTO audit (op, info) VALUES ('x', 'second'); RETURN NULL;`),
				`CREATE TRIGGER b_second AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION t2()`,
				`CREATE TRIGGER a_first AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION t1()`,
			},
			dml:   []string{`INSERT INTO items (name) VALUES ('a')`},
			check: `SELECT string_agg(info, ',' ORDER BY n) FROM audit`,
			want:  "first,second",
		},
		{
			name: "BEFORE UPDATE RETURN OLD keeps the row",
			setup: []string{
				`INSERT INTO items (name, qty) VALUES ('a', 1), ('locked', 2)`,
				fn("keep", `IF OLD.name = 'locked' THEN RETURN OLD; END IF; RETURN NEW;`),
				`CREATE TRIGGER keep BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION keep()`,
			},
			dml:   []string{`UPDATE items SET qty = 7`},
			check: `SELECT string_agg(name || '=' || qty, ',' ORDER BY id) FROM items`,
			want:  "a=7,locked=2",
		},
		{
			name: "DROP TRIGGER and CREATE OR REPLACE FUNCTION recompile",
			setup: []string{
				fn("f", `INSERT INTO audit (op) VALUES ('v1'); RETURN NULL;`),
				`CREATE TRIGGER t AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION f()`,
				`INSERT INTO items (name) VALUES ('a')`,
				fn("f", `INSERT INTO audit (op) VALUES ('v2'); RETURN NULL;`),
				`INSERT INTO items (name) VALUES ('b')`,
				`DROP TRIGGER t ON items`,
				`DROP FUNCTION f()`,
			},
			dml:   []string{`INSERT INTO items (name) VALUES ('c')`, `DROP TRIGGER IF EXISTS t ON items`, `DROP FUNCTION IF EXISTS f()`},
			check: `SELECT string_agg(op, ',' ORDER BY n), (SELECT count(*) FROM items) FROM audit`,
			want:  "v1,v2|3",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newTrigDB(t)
			for _, q := range tc.setup {
				d.exec(t, q)
			}
			for _, q := range tc.dml {
				d.exec(t, q)
			}
			if got := d.query(t, tc.check); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestTriggerRaise(t *testing.T) {
	d := newTrigDB(t)
	d.exec(t, fn("chk", `IF NEW.qty < 0 THEN RAISE EXCEPTION 'qty of % must not be negative: %%%', NEW.name, NEW.qty; END IF; RETURN NEW;`))
	d.exec(t, `CREATE TRIGGER chk BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION chk()`)
	_, err := d.runWith(d, `INSERT INTO items (name, qty) VALUES ('ok', 1), ('bad', -3)`, nil)
	if codeOf(err) != "P0001" || !strings.Contains(err.Error(), "qty of bad must not be negative: %-3") {
		t.Fatalf("got %v (%s)", err, codeOf(err))
	}
	if got := d.query(t, `SELECT count(*) FROM items`); got != "0" {
		t.Errorf("the failed statement left %s rows", got)
	}
}

// TestTriggerSQL checks the SQLite triggers compiled from PL/pgSQL bodies.
func TestTriggerSQL(t *testing.T) {
	tests := []struct {
		name, body, trigger string
		want                []string // substrings of the compiled triggers, in order
	}{
		{"insert with NEW and now()", `INSERT INTO audit (op, item) VALUES ('i', NEW.id); RETURN NEW;`,
			`AFTER INSERT ON items FOR EACH ROW`,
			[]string{`CREATE TRIGGER "items/t/insert" AFTER INSERT ON "items" FOR EACH ROW /*replisql:`,
				`BEGIN INSERT INTO "audit" ("op", "item", "at") VALUES ('i', (NEW."id"), (SELECT "v_txn" FROM "__replisql_trigger_ctx")); END`}},
		{"raise under IF", `IF NEW.qty < 0 THEN RAISE EXCEPTION 'neg'; END IF; RETURN NEW;`,
			`BEFORE INSERT ON items FOR EACH ROW`,
			[]string{`BEFORE INSERT ON "items"`, `BEGIN SELECT pg_raise('P0001', 'neg') WHERE coalesce(((NEW."qty") < 0), 0); END`}},
		{"assignment becomes a fixup", `NEW.tag := 'x'; RETURN NEW;`,
			`BEFORE UPDATE ON items FOR EACH ROW`,
			[]string{`CREATE TRIGGER "items/t/update" BEFORE UPDATE ON "items" FOR EACH ROW WHEN (SELECT "fixup" FROM "__replisql_trigger_ctx") = 0`,
				`CREATE TRIGGER "items//fixup/update" AFTER UPDATE ON "items" FOR EACH ROW WHEN (SELECT "fixup" FROM "__replisql_trigger_ctx") = 0`,
				`UPDATE "items" SET "tag" = 'x' WHERE rowid = NEW.rowid`}},
		{"skip row", `RETURN NULL;`, `BEFORE DELETE ON items FOR EACH ROW`,
			[]string{`BEGIN SELECT RAISE(IGNORE); END`}},
		{"update with OLD and WHEN", `UPDATE audit SET info = OLD.name WHERE item = OLD.id; RETURN NULL;`,
			`AFTER UPDATE OF name ON items FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)`,
			[]string{`AFTER UPDATE OF "name" ON "items" FOR EACH ROW WHEN coalesce(`, `UPDATE "audit" SET "info" = (OLD."name") WHERE ("audit"."item" = (OLD."id"))`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newTrigDB(t)
			d.exec(t, fn("f", tc.body))
			d.exec(t, `CREATE TRIGGER t `+tc.trigger+` EXECUTE FUNCTION f()`)
			var all string
			if err := d.conn.QueryRowContext(context.Background(), `SELECT group_concat(sql, char(10)) FROM (SELECT sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY rowid)`).Scan(&all); err != nil {
				t.Fatal(err)
			}
			at := 0
			for _, w := range tc.want {
				i := strings.Index(all[at:], w)
				if i < 0 {
					t.Fatalf("missing (in order) %q in\n%s", w, all)
				}
				at += i
			}
		})
	}
}

// TestTriggerUnsupported: shapes SQLite cannot express fail with 0A000.
func TestTriggerUnsupported(t *testing.T) {
	tests := []struct {
		name  string
		stmts []string // the last one must fail
	}{
		{"statement level", []string{fn("f", `RETURN NULL;`), `CREATE TRIGGER t AFTER INSERT ON items FOR EACH STATEMENT EXECUTE FUNCTION f()`}},
		{"truncate trigger", []string{fn("f", `RETURN NULL;`), `CREATE TRIGGER t AFTER TRUNCATE ON items EXECUTE FUNCTION f()`}},
		{"instead of", []string{fn("f", `RETURN NULL;`), `CREATE TRIGGER t INSTEAD OF INSERT ON items FOR EACH ROW EXECUTE FUNCTION f()`}},
		{"transition tables", []string{fn("f", `RETURN NULL;`), `CREATE TRIGGER t AFTER INSERT ON items REFERENCING NEW TABLE AS nt FOR EACH ROW EXECUTE FUNCTION f()`}},
		{"arguments", []string{fn("f", `RETURN NULL;`), `CREATE TRIGGER t AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION f('x')`}},
		{"non-trigger function", []string{`CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql AS 'SELECT a'`}},
		{"sql language", []string{`CREATE FUNCTION g() RETURNS trigger LANGUAGE sql AS 'SELECT 1'`}},
		{"declare", []string{`CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE x int; BEGIN RETURN NEW; END $$`}},
		{"loop", []string{fn("f", `FOR i IN 1..3 LOOP INSERT INTO audit (op) VALUES ('x'); END LOOP; RETURN NULL;`)}},
		{"raise notice", []string{fn("f", `RAISE NOTICE 'hi'; RETURN NULL;`)}},
		{"exception block", []string{`CREATE FUNCTION g() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; EXCEPTION WHEN others THEN RETURN NULL; END $$`}},
		{"perform", []string{fn("f", `PERFORM 1; RETURN NULL;`)}},
		{"random in body", []string{fn("f", `INSERT INTO audit (info) VALUES (random()::text); RETURN NULL;`), `CREATE TRIGGER t AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION f()`}},
		{"subquery in IF", []string{fn("f", `IF (SELECT count(*) FROM audit) > 0 THEN RETURN NULL; END IF; RETURN NEW;`), `CREATE TRIGGER t BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION f()`}},
		{"whole row", []string{fn("f", `INSERT INTO audit (info) VALUES (NEW::text); RETURN NULL;`), `CREATE TRIGGER t AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION f()`}},
		{"BEFORE INSERT reads the serial key", []string{fn("f", `INSERT INTO audit (item) VALUES (NEW.id); RETURN NEW;`), `CREATE TRIGGER t BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION f()`}},
		{"assign in UPDATE OF", []string{fn("f", `NEW.tag := 'x'; RETURN NEW;`), `CREATE TRIGGER t BEFORE UPDATE OF qty ON items FOR EACH ROW EXECUTE FUNCTION f()`}},
		{"RETURNING with assigning trigger", []string{fn("f", `NEW.tag := 'x'; RETURN NEW;`), `CREATE TRIGGER t BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION f()`, `INSERT INTO items (name) VALUES ('a') RETURNING tag`}},
		{"ON CONFLICT with assigning trigger", []string{fn("f", `NEW.tag := 'x'; RETURN NEW;`), `CREATE TRIGGER t BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION f()`, `INSERT INTO items (id, name) VALUES (1, 'a') ON CONFLICT (id) DO NOTHING`}},
		{"TRUNCATE of a table with triggers", []string{fn("f", `RETURN NULL;`), `CREATE TRIGGER t AFTER DELETE ON items FOR EACH ROW EXECUTE FUNCTION f()`, `TRUNCATE items`}},
		{"drop cascade", []string{fn("f", `RETURN NULL;`), `DROP FUNCTION f() CASCADE`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newTrigDB(t)
			last := len(tc.stmts) - 1
			for _, q := range tc.stmts[:last] {
				d.exec(t, q)
			}
			_, err := d.runWith(d, tc.stmts[last], nil)
			if codeOf(err) != "0A000" {
				t.Fatalf("%s: got %v (%s), want 0A000", tc.stmts[last], err, codeOf(err))
			}
		})
	}
}

func TestTriggerErrors(t *testing.T) {
	tests := []struct {
		name  string
		stmts []string
		code  string
	}{
		{"no such function", []string{`CREATE TRIGGER t AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION nope()`}, "42883"},
		{"duplicate trigger", []string{fn("f", `RETURN NULL;`), `CREATE TRIGGER t AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION f()`, `CREATE TRIGGER t AFTER DELETE ON items FOR EACH ROW EXECUTE FUNCTION f()`}, "42710"},
		{"duplicate function", []string{fn("f", `RETURN NULL;`), `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`}, "42723"},
		{"drop function in use", []string{fn("f", `RETURN NULL;`), `CREATE TRIGGER t AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION f()`, `DROP FUNCTION f()`}, "2BP01"},
		{"drop missing trigger", []string{`DROP TRIGGER nope ON items`}, "42704"},
		{"drop missing function", []string{`DROP FUNCTION nope()`}, "42883"},
		{"unknown NEW field", []string{fn("f", `INSERT INTO audit (info) VALUES (NEW.nope); RETURN NULL;`), `CREATE TRIGGER t AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION f()`}, "42703"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newTrigDB(t)
			last := len(tc.stmts) - 1
			for _, q := range tc.stmts[:last] {
				d.exec(t, q)
			}
			_, err := d.runWith(d, tc.stmts[last], nil)
			if codeOf(err) != tc.code {
				t.Fatalf("%s: got %v (%s), want %s", tc.stmts[last], err, codeOf(err), tc.code)
			}
		})
	}
}
