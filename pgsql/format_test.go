package pgsql

import "testing"

func TestTextFormat(t *testing.T) {
	s := func(v string) *string { return &v }
	cases := []struct {
		name string
		fs   string
		args []*string
		want string
		code string
	}{
		{name: "plain", fs: "no args", want: "no args"},
		{name: "percent", fs: "100%%", want: "100%"},
		{name: "s I L", fs: "%s %I %L", args: []*string{s("a"), s("Tab le"), s("it's")}, want: `a "Tab le" 'it''s'`},
		{name: "identifier kept", fs: "%I.%I", args: []*string{s("public"), s("t_1")}, want: "public.t_1"},
		{name: "keyword quoted", fs: "%I", args: []*string{s("select")}, want: `"select"`},
		{name: "literal with backslash", fs: "%L", args: []*string{s(`a\b`)}, want: `E'a\\b'`},
		{name: "nulls", fs: "[%s][%L]", args: []*string{nil, nil}, want: "[][NULL]"},
		{name: "positions", fs: "%2$s %1$s %s", args: []*string{s("a"), s("b")}, want: "b a b"},
		{name: "widths", fs: "|%5s|%-5s|", args: []*string{s("ab"), s("cd")}, want: "|   ab|cd   |"},
		{name: "star width", fs: "|%*s|%*s|", args: []*string{s("3"), s("x"), s("-3"), s("y")}, want: "|  x|y  |"},
		{name: "positional star width", fs: "|%1$*2$s|", args: []*string{s("é"), s("3")}, want: "|  é|"},
		{name: "null width", fs: "|%*s|", args: []*string{nil, s("x")}, want: "|x|"},
		{name: "too few", fs: "%s %s", args: []*string{s("a")}, code: "22023"},
		{name: "unknown type", fs: "%x", args: []*string{s("a")}, code: "22023"},
		{name: "unterminated", fs: "abc %", code: "22023"},
		{name: "unterminated width", fs: "%12", code: "22023"},
		{name: "argument 0", fs: "%0$s", args: []*string{s("a")}, code: "22023"},
		{name: "width position without $", fs: "%*1s", args: []*string{s("a")}, code: "22023"},
		{name: "null identifier", fs: "%I", args: []*string{nil}, code: "22004"},
		{name: "bad width", fs: "%*s", args: []*string{s("w"), s("x")}, code: "22P02"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := textFormat(c.fs, c.args)
			if c.code != "" {
				if codeOf(err) != c.code {
					t.Fatalf("got %q, %v; want error %s", got, err, c.code)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestFormatAndArrays(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "CREATE TABLE p (id int, name text, ok boolean, code char(4))")
	d.mustRun(t, "INSERT INTO p VALUES (1, 'a b', true, 'x'), (2, NULL, false, NULL)")
	runCases(t, d, []stmtCase{
		{sql: "SELECT format('%s|%s|%L|%s', id, ok, name, code) FROM p ORDER BY id", rows: "1|t|'a b'|x\n2|f|NULL|", cols: "format:25"},
		{sql: "SELECT format('UPDATE %I SET x = %L', $1, $2)", args: []any{"My T", "v"}, rows: `UPDATE "My T" SET x = 'v'`, params: "25,25"},
		{sql: "SELECT format(NULL), format('%s')", code: "22023"},
		{sql: "SELECT format()", code: "42883"},
		{sql: "SELECT string_to_array('a,b,,c', ','), string_to_array('x y', NULL), string_to_array('a', ''), string_to_array('', ',')",
			rows: `{a,b,"",c}|{x," ",y}|{a}|{}`, cols: "string_to_array:1009,string_to_array:1009,string_to_array:1009,string_to_array:1009"},
		{sql: "SELECT string_to_array('1,-,2', ',', '-'), string_to_array(NULL, ','), string_to_array('a\"b,c\\d,null', ',')",
			rows: `{1,NULL,2}|NULL|{"a\"b","c\\d","null"}`},
		{sql: "SELECT string_to_array(name, ' ') FROM p ORDER BY id", rows: "{a,b}\nNULL"},
		{sql: "SELECT string_to_array('a')", code: "42883"},
	})
}

func TestJSONBuild(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "CREATE TABLE j (id int, name text, ok boolean, f float8, doc jsonb, raw json, at timestamptz)")
	d.mustRun(t, `INSERT INTO j VALUES (1, 'a"b', true, 0.5, '{"k": [1, 2]}', '{"k" :  1}', '2024-01-02 03:04:05+00')`)
	runCases(t, d, []stmtCase{
		{sql: "SELECT json_build_object('id', id, 'name', name, 'ok', ok, 'f', f, 'doc', doc, 'raw', raw, 'none', NULL) FROM j",
			rows: `{"id" : 1, "name" : "a\"b", "ok" : true, "f" : 0.5, "doc" : {"k": [1, 2]}, "raw" : {"k" :  1}, "none" : null}`, cols: "json_build_object:114"},
		{sql: "SELECT json_build_object(), json_build_array(), json_build_array(id, name, NULL) FROM j", rows: `{}|[]|[1, "a\"b", null]`},
		{sql: "SELECT json_build_object(ok, 1, id, E'\\t\\u0001') FROM j", rows: `{"true" : 1, "1" : "\t\u0001"}`},
		{sql: "SELECT json_build_object('a', json_build_array(1, json_build_object('b', 2)))", rows: `{"a" : [1, {"b" : 2}]}`},
		{sql: "SELECT json_build_object('a')", code: "22023"},
		{sql: "SELECT json_build_object(NULL, 1)", code: "22023"},
		{sql: "SELECT json_build_object(raw, 1) FROM j", code: "22023"},
		{sql: "SELECT json_build_object('at', at) FROM j", code: "0A000"},
	})
}
