package pgsql

import (
	"reflect"
	"testing"
)

func strp(s string) *string { return &s }

// SELECT set_config(…) with constant arguments is a SET the session runs;
// anything else stays a query (where set_config fails with 0A000).
func TestSetConfigStatement(t *testing.T) {
	cases := []struct {
		name  string
		sql   string
		calls []SetConfigCall // nil: not a set_config statement
		code  string
	}{
		{name: "pg_dump", sql: "SELECT pg_catalog.set_config('search_path', '', false)",
			calls: []SetConfigCall{{Column: "set_config", Name: "search_path", Value: strp("")}}},
		{name: "local", sql: "select set_config('DateStyle', 'ISO, DMY', true)",
			calls: []SetConfigCall{{Column: "set_config", Name: "DateStyle", Value: strp("ISO, DMY"), Local: true}}},
		{name: "casts and aliases", sql: "SELECT set_config('a.b'::text, 'x'::text, 'on'::bool) AS v, set_config('c.d', NULL, NULL)",
			calls: []SetConfigCall{{Column: "v", Name: "a.b", Value: strp("x"), Local: true}, {Column: "set_config", Name: "c.d"}}},
		{name: "numbers", sql: "SELECT set_config('extra_float_digits', 2, 'f')",
			calls: []SetConfigCall{{Column: "set_config", Name: "extra_float_digits", Value: strp("2")}}},
		{name: "null name", sql: "SELECT set_config(NULL, 'x', false)", code: "22004"},
		{name: "bad bool", sql: "SELECT set_config('a.b', 'x', 'maybe')", code: "22P02"},
		{name: "with FROM", sql: "SELECT set_config('a.b', 'x', false) FROM t"},
		{name: "with WHERE", sql: "SELECT set_config('a.b', 'x', false) WHERE true"},
		{name: "expression argument", sql: "SELECT set_config('a.b', upper('x'), false)"},
		{name: "parameter", sql: "SELECT set_config('a.b', $1, false)"},
		{name: "mixed select list", sql: "SELECT set_config('a.b', 'x', false), 1"},
		{name: "nested", sql: "SELECT upper(set_config('a.b', 'x', false))"},
		{name: "two arguments", sql: "SELECT set_config('a.b', 'x')"},
		{name: "other schema", sql: "SELECT public.set_config('a.b', 'x', false)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sts, err := Parse(c.sql)
			if c.code != "" {
				if codeOf(err) != c.code {
					t.Fatalf("got %v, want %s", err, c.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st := sts[0]
			if c.calls == nil {
				if st.Kind != KindSelect || st.ReadOnly {
					t.Fatalf("kind %v read-only %v, want a writing query", st.Kind, st.ReadOnly)
				}
				return
			}
			if st.Kind != KindSet || st.Tag != "SELECT" || !st.ReadOnly || st.Set == nil {
				t.Fatalf("kind %v tag %q read-only %v, want a SET tagged SELECT", st.Kind, st.Tag, st.ReadOnly)
			}
			if !reflect.DeepEqual(st.Set.Config, c.calls) {
				t.Errorf("calls %+v, want %+v", st.Set.Config, c.calls)
			}
		})
	}
}

func TestCurrentSetting(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "CREATE TABLE s (n text)")
	d.mustRun(t, "INSERT INTO s VALUES ('DateStyle'), ('timezone'), ('app.user')")
	runCases(t, d, []stmtCase{
		{sql: "SELECT current_setting('DateStyle'), current_setting('TIMEZONE', false)", rows: "ISO, MDY|Etc/UTC", cols: "current_setting:25,current_setting:25"},
		{sql: "SELECT n, current_setting(n) FROM s ORDER BY n", rows: "DateStyle|ISO, MDY\napp.user|u\"1\ntimezone|Etc/UTC"},
		{sql: "SELECT n FROM s WHERE current_setting(n) LIKE 'ISO%'", rows: "DateStyle"},
		{sql: "SELECT current_setting($1)", args: []any{"statement_timeout"}, rows: "0", params: "25"},
		{sql: "SELECT current_setting('nope.x', true), current_setting('nope', true), current_setting(NULL), current_setting('nope', NULL)", rows: "NULL|NULL|NULL|NULL"},
		{sql: "SELECT current_setting('nope')", code: "42704"},
		{sql: "SELECT current_setting('nope.x', false)", code: "42704"},
		{sql: "SELECT current_setting()", code: "42883"},
		{sql: "SELECT set_config('a.b', 'c', false) FROM s", code: "0A000"},
		{sql: "CREATE TABLE d (x text DEFAULT current_setting('DateStyle'))", code: "0A000"},
	})
}
