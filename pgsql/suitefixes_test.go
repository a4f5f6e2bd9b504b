package pgsql

import (
	"strings"
	"testing"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// TestSuiteFixes holds the answers that integration's SQL suite found
// different from PostgreSQL 15's, with PostgreSQL's answers.
func TestSuiteFixes(t *testing.T) {
	d := newTestDB(t)
	runCases(t, d, []stmtCase{
		{sql: "SELECT pg_typeof(1), pg_typeof(1.5::float8)", rows: "integer|double precision", cols: "pg_typeof:2206,pg_typeof:2206"},
		{sql: "SELECT sign(-3), sign(2.5)", rows: "-1|1", cols: "sign:701,sign:1700"},
		{sql: "SELECT round(2.5::float8), round(3.5::float8), round(2.5)", rows: "2|4|3", cols: "round:701,round:701,round:1700"},
		{sql: "SELECT to_hex(-1), to_hex(-1::bigint), to_hex(255)", rows: "ffffffff|ffffffffffffffff|ff"},
		{sql: "SELECT div(10, 3), div(-7.5, 2)", rows: "3|-3", cols: "div:1700,div:1700"},
		{sql: "SELECT 2 ^ 10, 5 # 3, |/ 25.0", rows: "1024|6|5", cols: "?column?:701,?column?:23,?column?:701"},
		{sql: "SELECT (-2147483648) * -1", code: "22003"},
		{sql: "SELECT pg_typeof(-2147483648), pg_typeof(2147483648)", rows: "integer|bigint"},
		{sql: "SELECT 1.5::real * 2, pg_typeof(1.5::real * 2), pg_typeof(1.5::real * 1.5::real)", rows: "3|double precision|real"},
		{sql: "SELECT quote_literal('it''s'), quote_literal('a\\b'), quote_nullable(NULL)", rows: `'it''s'|E'a\\b'|NULL`},
		{sql: "SELECT jsonb_typeof('{}'), json_typeof('[1]'), jsonb_typeof('\"s\"'), jsonb_typeof('1.5'), jsonb_typeof('true'), jsonb_typeof('null')", rows: "object|array|string|number|boolean|null"},
		{sql: "SELECT jsonb_array_length('[1, 2]')", rows: "2", cols: "jsonb_array_length:23"},
		{sql: "SELECT jsonb_array_length('{}')", code: "22023"},
		{sql: `SELECT '{"a": 1}'::jsonb || '{"b": 2}'::jsonb, '[1]'::jsonb || '2'::jsonb`, rows: `{"a": 1, "b": 2}|[1, 2]`, cols: "?column?:3802,?column?:3802"},
		{sql: "SELECT make_date(2024, 2, 29)", rows: "2024-02-29", cols: "make_date:1082"},
		{sql: "SELECT make_date(2023, 2, 29)", code: "22008"},
		{sql: "SELECT '2023-02-29'::date", code: "22008"},
		{sql: "SELECT '2024-13-01'::date", code: "22008"},
		{sql: "SELECT 'not a date'::date", code: "22007"},
		{sql: "SELECT '\\xZZ'::bytea", code: "22023"},
		{sql: "SELECT encode('a\\\\b'::bytea, 'escape'), encode('\\x00ff41'::bytea, 'escape')", rows: `a\\b|\000\377A`},
		{sql: "SELECT substring('\\x010203'::bytea from 2 for 1)", rows: `\x02`, cols: "substring:17"},
		{sql: "SELECT octet_length('x'::char(3)), length('x'::char(3))", rows: "3|1"},
		{sql: "SELECT date '2024-01-01' = timestamp '2024-01-01', timestamp '2024-01-02' > date '2024-01-01'", rows: "1|1"},
		{sql: "SELECT 1 LIMIT -1", code: "2201W"},
		{sql: "SELECT 1 OFFSET -1", code: "2201X"},
		{sql: "CREATE TABLE wh (s text, n int)"},
		{sql: "SELECT * FROM wh WHERE s", code: "42804"},
		{sql: "DELETE FROM wh WHERE n", code: "42804"},
		{sql: "SELECT * FROM wh WHERE 'true'", rows: ""},
		{sql: "SELECT string_agg(DISTINCT s, '|') FROM wh", code: "0A000"},
	})
}

// TestUnsupportedNamesConstruct: a construct that cannot be translated
// faithfully fails with 0A000, and the message names it.
func TestUnsupportedNamesConstruct(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "CREATE TABLE up (id int PRIMARY KEY, j jsonb)")
	cases := []struct{ sql, construct string }{
		{"LISTEN ch", "LISTEN"},
		{"NOTIFY ch, 'x'", "NOTIFY"},
		{"CREATE TABLE c (x int) INHERITS (up)", "inheritance"},
		{"CREATE TABLE p (x int) PARTITION BY RANGE (x)", "partition"},
		{"CREATE TABLE a (x int[])", "array"},
		{"CREATE TABLE a (x text[])", "array"},
		{"SELECT array_agg(id) FROM up", "array_agg"},
		{"SELECT ARRAY[1, 2]", "ARRAY"},
		{"CREATE TEMP TABLE tt (x int)", "temporary"},
		{"CREATE VIEW v AS SELECT 1", "view"},
		{"CREATE MATERIALIZED VIEW mv AS SELECT 1", "materialized view"},
		{"EXPLAIN SELECT 1", "EXPLAIN"},
		{"MERGE INTO up USING up b ON true WHEN MATCHED THEN DELETE", "MERGE"},
		{"SELECT * FROM up, LATERAL (SELECT up.id) x", "LATERAL"},
		{"SELECT id FROM up WHERE id > ALL (SELECT id FROM up)", "ALL"},
		{"WITH d AS (DELETE FROM up RETURNING id) SELECT * FROM d", "WITH"},
		{"SELECT timestamp '2024-01-02' - timestamp '2024-01-01'", "interval"},
		{"SELECT * FROM generate_series(timestamp '2024-01-01', timestamp '2024-01-02', interval '1 hour')", "generate_series"},
		{"SELECT generate_series(1, 3)", "generate_series"},
		{"SELECT j @> '{}' FROM up", "@>"},
		{"SELECT j #> '{a}' FROM up", "#>"},
		{"SELECT 'NaN'::float8", "NaN"},
		{"SELECT to_date('2024-01-01', 'YYYY-MM-DD')", "to_date"},
		{"SELECT string_agg(DISTINCT j::text, '|') FROM up", "string_agg(DISTINCT"},
		{"SELECT set_config('a.b', 'c', false) FROM up", "set_config"},
		{"ALTER TABLE up ALTER COLUMN id TYPE bigint", "ALTER TABLE … ALTER COLUMN … TYPE is not supported"},
		{"DO $$ BEGIN END $$", "DO"},
		{"PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION"},
		{"CREATE SEQUENCE cy CYCLE", "CYCLE"},
		{"SELECT 1 FROM up ORDER BY id FETCH FIRST 1 ROWS WITH TIES", "WITH TIES"},
	}
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			_, err := d.run(c.sql, nil)
			e := pgerr.As(err)
			if e == nil || e.Code != pgerr.FeatureNotSupported {
				t.Fatalf("got %v, want 0A000", err)
			}
			if !strings.Contains(strings.ToLower(e.Message), strings.ToLower(c.construct)) {
				t.Errorf("message %q does not name %q", e.Message, c.construct)
			}
		})
	}
}
