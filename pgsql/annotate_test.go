package pgsql

import (
	"strings"
	"testing"
)

// TestCheckText compares the CHECK text recorded for a constraint with
// what pg_get_constraintdef(oid, true) printed for it in PostgreSQL 15.
func TestCheckText(t *testing.T) {
	const cols = "i int, b bigint, s smallint, n numeric(10,2), r real, f double precision, t text, v varchar(10), c char(2), d date, bo boolean"
	tests := []struct {
		name, check, want string
	}{
		{"int", "i > 0", "i > 0"},
		{"int to numeric", "n > 0", "n > 0::numeric"},
		{"numeric literal", "n > 0.5", "n > 0.5"},
		{"numeric exponent", "n >= 1.5e3", "n >= '1500'::numeric"},
		{"small exponent", "n > 1e-3", "n > 0.001"},
		{"real", "r > 0", "r > 0::double precision"},
		{"real numeric", "r > 1.5", "r > 1.5::double precision"},
		{"double", "f > 0", "f > 0::double precision"},
		{"text literal", "t <> ''", "t <> ''::text"},
		{"varchar", "v <> ''", "v::text <> ''::text"},
		{"bpchar", "c <> 'x'", "c <> 'x'::bpchar"},
		{"negative", "i > -1", "i > '-1'::integer"},
		{"negative to numeric", "n > -1", "n > '-1'::integer::numeric"},
		{"bigint literal", "b = 5000000000", "b = '5000000000'::bigint"},
		{"and", "b > 0 AND s < 10", "b > 0 AND s < 10"},
		{"sum", "i + b > 0", "(i + b) > 0"},
		{"precedence", "i * 2 + 1 > 0", "(i * 2 + 1) > 0"},
		{"right operand", "i - (b - s) > 0", "(i - (b - s)) > 0"},
		{"in ints", "i IN (1,2)", "i = ANY (ARRAY[1, 2])"},
		{"in varchar", "v IN ('a','b')", "v::text = ANY (ARRAY['a'::character varying, 'b'::character varying]::text[])"},
		{"in bpchar", "c IN ('a','b')", "c = ANY (ARRAY['a'::bpchar, 'b'::bpchar])"},
		{"not in", "t NOT IN ('a','b')", "t <> ALL (ARRAY['a'::text, 'b'::text])"},
		{"in under and", "i IN (1,2) AND b > 0", "(i = ANY (ARRAY[1, 2])) AND b > 0"},
		{"between", "i BETWEEN 1 AND 5", "i >= 1 AND i <= 5"},
		{"not between", "i NOT BETWEEN 1 AND 2", "i < 1 OR i > 2"},
		{"null tests", "t IS NOT NULL OR i IS NULL", "t IS NOT NULL OR i IS NULL"},
		{"not", "NOT bo", "NOT bo"},
		{"not and", "NOT (i > 0 AND b > 0)", "NOT (i > 0 AND b > 0)"},
		{"and under or", "i > 0 OR (b > 0 AND s > 0)", "i > 0 OR b > 0 AND s > 0"},
		{"or under and", "(i > 0 OR b > 0) AND s > 0", "(i > 0 OR b > 0) AND s > 0"},
		{"function", "length(t) < 5", "length(t) < 5"},
		{"function of varchar", "length(v) > 0", "length(v::text) > 0"},
		{"date", "d > '2000-01-01'", "d > '2000-01-01'::date"},
		{"int to numeric column", "n > i", "n > i::numeric"},
		{"numeric to double", "f > n", "f > n::double precision"},
		{"like", "t LIKE 'a%'", "t ~~ 'a%'::text"},
		{"not like", "t NOT LIKE 'a%'", "t !~~ 'a%'::text"},
		{"regex", "t ~ '^a'", "t ~ '^a'::text"},
		{"varchar and text", "v = t", "v::text = t"},
		{"bpchar and text", "c = t", "c::text = t"},
		{"cast", "i::text <> ''", "i::text <> ''::text"},
		{"bool literal", "bo = true", "bo = true"},
		{"smallint cast", "s > 1::smallint", "s > 1::smallint"},
		{"is true", "i > 0 IS TRUE", "(i > 0) IS TRUE"},
		{"coalesce", "coalesce(i, 0) > 0", "COALESCE(i, 0) > 0"},
		{"modulo", "i % 2 = 0", "(i % 2) = 0"},
		{"prefix", "-i < 0", "(- i) < 0"},
		{"distinct", "t IS DISTINCT FROM 'x'", "t IS DISTINCT FROM 'x'::text"},
		{"concat", "t || 'x' <> 'y'", "(t || 'x'::text) <> 'y'::text"},
		{"untyped int string", "i > '5'", "i > 5"},
		{"bare boolean", "bo", "bo"},
	}
	d := newTestDB(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := "c" + string(rune('a'+i/26)) + string(rune('a'+i%26))
			d.mustRun(t, "CREATE TABLE "+table+" ("+cols+", CHECK ("+tc.check+"))")
			tb, _ := d.Table(table)
			var got []string
			for _, a := range tb.Annotations {
				if n, ok := DecodeConstraint(a.Value); ok && a.Kind == AnnConstraint && n.Type == "c" {
					got = append(got, n.Check)
				}
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("CHECK (%s) recorded %q, want %q", tc.check, got, tc.want)
			}
		})
	}
}

// TestAnnotations follows the annotation rows through the DDL that
// writes, moves and deletes them.
func TestAnnotations(t *testing.T) {
	d := newTestDB(t)
	rows := func(t *testing.T) string {
		t.Helper()
		res, err := d.run(`SELECT "rel", "kind", "name", "value" FROM "__replisql_annotations" ORDER BY 1, 2, 3`, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.rows
	}
	steps := []struct {
		name string
		sql  []string
		code string // expected SQLSTATE of the last statement
		want string // the rows after, as rel|kind|name|value lines
	}{
		{
			name: "create",
			sql: []string{`CREATE TABLE acc (aid int PRIMARY KEY, bid int CHECK (bid > 0), CHECK (bid < 100), ` +
				`code text CONSTRAINT acc_code_u UNIQUE, x int CONSTRAINT acc_x_pos CHECK (x >= 0), CHECK (x > bid)) WITH (fillfactor=90)`},
			want: `acc|constraint|acc_bid_check|{"type":"c","columns":["bid"],"check":"bid > 0"}
acc|constraint|acc_bid_check1|{"type":"c","columns":["bid"],"check":"bid < 100"}
acc|constraint|acc_check|{"type":"c","columns":["x","bid"],"check":"x > bid"}
acc|constraint|acc_code_u|{"type":"u","columns":["code"]}
acc|constraint|acc_x_pos|{"type":"c","columns":["x"],"check":"x >= 0"}
acc|options||["fillfactor=90"]`,
		},
		{
			name: "identity and comments",
			sql: []string{`CREATE TABLE idt (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n text)`,
				`COMMENT ON TABLE idt IS 'ids'`, `COMMENT ON COLUMN idt.n IS 'name'`, `COMMENT ON COLUMN idt.n IS 'the name'`},
			want: `acc|constraint|acc_bid_check|{"type":"c","columns":["bid"],"check":"bid > 0"}
acc|constraint|acc_bid_check1|{"type":"c","columns":["bid"],"check":"bid < 100"}
acc|constraint|acc_check|{"type":"c","columns":["x","bid"],"check":"x > bid"}
acc|constraint|acc_code_u|{"type":"u","columns":["code"]}
acc|constraint|acc_x_pos|{"type":"c","columns":["x"],"check":"x >= 0"}
acc|options||["fillfactor=90"]
idt|comment||ids
idt|comment|n|the name
idt|identity|id|d`,
		},
		{
			name: "rename",
			sql:  []string{`ALTER TABLE acc RENAME TO acct`, `ALTER TABLE acct RENAME COLUMN bid TO "Branch"`, `COMMENT ON TABLE idt IS NULL`, `ALTER TABLE idt RENAME COLUMN n TO label`},
			want: `acct|constraint|acc_bid_check|{"type":"c","columns":["Branch"],"check":"\"Branch\" > 0"}
acct|constraint|acc_bid_check1|{"type":"c","columns":["Branch"],"check":"\"Branch\" < 100"}
acct|constraint|acc_check|{"type":"c","columns":["x","Branch"],"check":"x > \"Branch\""}
acct|constraint|acc_code_u|{"type":"u","columns":["code"]}
acct|constraint|acc_x_pos|{"type":"c","columns":["x"],"check":"x >= 0"}
acct|options||["fillfactor=90"]
idt|comment|label|the name
idt|identity|id|d`,
		},
		{
			name: "drop",
			sql:  []string{`DROP TABLE acct`, `ALTER TABLE idt DROP COLUMN label`},
			want: `idt|identity|id|d`,
		},
		{name: "duplicate name", sql: []string{`CREATE TABLE dup (a int CONSTRAINT k CHECK (a > 0), CONSTRAINT k CHECK (a < 9))`}, code: "42710", want: `idt|identity|id|d`},
		{name: "comment on a missing column", sql: []string{`COMMENT ON COLUMN idt.nope IS 'x'`}, code: "42703", want: `idt|identity|id|d`},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			for i, q := range st.sql {
				_, err := d.run(q, nil)
				if i == len(st.sql)-1 && st.code != "" {
					if codeOf(err) != st.code {
						t.Fatalf("%s: got %v, want SQLSTATE %s", q, err, st.code)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if got := rows(t); got != st.want {
				t.Errorf("annotations:\n%s\nwant:\n%s", got, st.want)
			}
		})
	}
}

// TestCheckViolationNamesConstraint: SQLite's CHECK carries the
// constraint's PostgreSQL name, so the error names it.
func TestCheckViolationNamesConstraint(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "CREATE TABLE o (qty int CHECK (qty > 0))")
	_, err := d.run("INSERT INTO o VALUES (0)", nil)
	if codeOf(err) != "23514" || !strings.Contains(err.Error(), "o_qty_check") {
		t.Errorf("got %v, want 23514 naming o_qty_check", err)
	}
}

func TestChooseCheckName(t *testing.T) {
	long := strings.Repeat("t", 40)
	tests := []struct {
		name, table string
		cols        []string
		used        []string
		want        string
	}{
		{"one column", "t", []string{"a"}, nil, "t_a_check"},
		{"two columns", "t", []string{"a", "b"}, nil, "t_check"},
		{"no column", "t", nil, nil, "t_check"},
		{"taken", "t", []string{"a"}, []string{"t_a_check", "t_a_check1"}, "t_a_check2"},
		{"too long", long, []string{strings.Repeat("c", 40)}, nil, strings.Repeat("t", 28) + "_" + strings.Repeat("c", 28) + "_check"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			used := map[string]bool{}
			for _, u := range tc.used {
				used[u] = true
			}
			if got := chooseCheckName(tc.table, tc.cols, used); got != tc.want || len(got) > 63 {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenameIdent(t *testing.T) {
	tests := []struct {
		name, in, old, new, want string
	}{
		{"plain", "bid > 0", "bid", "b", "b > 0"},
		{"to quoted", "bid > 0 AND bid < 9", "bid", "Bid", `"Bid" > 0 AND "Bid" < 9`},
		{"from quoted", `"Bid" > 0`, "Bid", "bid", "bid > 0"},
		{"not in strings", "t <> 'bid'::text", "bid", "x", "t <> 'bid'::text"},
		{"not a function", "length(t) > 0", "length", "x", "length(t) > 0"},
		{"not a type", "i::text <> ''::text", "text", "x", "i::text <> ''::text"},
		{"not a prefix", "bidder > bid", "bid", "x", "bidder > x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := renameIdent(tc.in, tc.old, tc.new); got != tc.want {
				t.Errorf("renameIdent(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestTimestampPrecision: timestamp(n) is declared in a spelling SQLite
// accepts and reads back with its modifier.
func TestTimestampPrecision(t *testing.T) {
	tests := []struct {
		name string
		typ  pgType
		decl string // declared for SQLite
		pg   string // as PostgreSQL spells it
	}{
		{"timestamp(3)", pgType{OIDTimestamp, 3}, "timestamp without time zone(3)", "timestamp(3) without time zone"},
		{"timestamptz(0)", pgType{OIDTimestamptz, 0}, "timestamp with time zone(0)", "timestamp(0) with time zone"},
		{"timestamp", tTimestamp, "timestamp without time zone", "timestamp without time zone"},
		{"varchar(5)", pgType{OIDVarchar, 9}, "character varying(5)", "character varying(5)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := declaredType(tc.typ); got != tc.decl {
				t.Errorf("declaredType = %q, want %q", got, tc.decl)
			}
			if got := pgDeclaredType(tc.typ); got != tc.pg {
				t.Errorf("pgDeclaredType = %q, want %q", got, tc.pg)
			}
			if oid, mod := TypeOID(tc.decl); oid != tc.typ.oid || mod != tc.typ.mod {
				t.Errorf("TypeOID(%q) = %d, %d", tc.decl, oid, mod)
			}
		})
	}
	d := newTestDB(t)
	d.mustRun(t, "CREATE TABLE ts (a timestamp(3), b timestamptz(0), c timestamp(9))")
	tb, _ := d.Table("ts")
	var got []string
	for _, c := range tb.Columns {
		got = append(got, c.Type)
	}
	if want := "timestamp without time zone(3),timestamp with time zone(0),timestamp without time zone(6)"; strings.Join(got, ",") != want {
		t.Errorf("declared %q, want %q", strings.Join(got, ","), want)
	}
	if _, err := d.run("CREATE TABLE ts2 (a timestamp(-1))", nil); codeOf(err) == "" {
		t.Errorf("timestamp(-1) accepted")
	}
}
