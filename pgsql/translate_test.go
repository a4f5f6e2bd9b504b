package pgsql

import (
	"fmt"
	"strings"
	"testing"
)

// stmtCase is one PostgreSQL statement run through Parse, Plan and a real
// SQLite database. Empty expectations are not checked; rows "" with
// checkRows means no rows.
type stmtCase struct {
	sql    string
	args   []any
	oids   []uint32
	rows   string // rows joined by "\n", values by "|"; "*" skips the check
	cols   string // "name:oid,…"
	params string // "oid,…"
	code   string // expected SQLSTATE of an error
}

func colsString(cols []Column) string {
	var parts []string
	for _, c := range cols {
		parts = append(parts, fmt.Sprintf("%s:%d", c.Name, c.TypeOID))
	}
	return strings.Join(parts, ",")
}

func paramsString(p []uint32) string {
	var parts []string
	for _, o := range p {
		parts = append(parts, fmt.Sprint(o))
	}
	return strings.Join(parts, ",")
}

func runCases(t *testing.T, d *testDB, cases []stmtCase) {
	t.Helper()
	for i, c := range cases {
		name := fmt.Sprintf("%03d_%s", i, c.sql)
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			res, err := d.run(c.sql, c.oids, c.args...)
			if c.code != "" {
				if err == nil {
					t.Fatalf("want error %s, got none (SQL %q)", c.code, res.plan.SQL)
				}
				if got := codeOf(err); got != c.code {
					t.Fatalf("want error %s, got %s: %v", c.code, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if c.rows != "*" && res.rows != c.rows {
				t.Errorf("rows:\n got %q\nwant %q\nSQL %q", res.rows, c.rows, res.plan.SQL)
			}
			if c.cols != "" {
				if got := colsString(res.plan.Columns); got != c.cols {
					t.Errorf("cols: got %s want %s", got, c.cols)
				}
			}
			if c.params != "" {
				if got := paramsString(res.plan.Params); got != c.params {
					t.Errorf("params: got %s want %s (SQL %q)", got, c.params, res.plan.SQL)
				}
			}
		})
	}
}

// pgbench: initialisation (REPORT.md A.1, A.2) and the built-in scripts
// (A.3–A.7) in simple and extended form.
func TestPgbench(t *testing.T) {
	d := newTestDB(t)
	runCases(t, d, []stmtCase{
		{sql: "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers"},
		{sql: "create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,filler char(22))"},
		{sql: "create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100)"},
		{sql: "create table pgbench_accounts(aid    int not null,bid int,abalance int,filler char(84)) with (fillfactor=100)"},
		{sql: "create table pgbench_branches(bid int not null,bbalance int,filler char(88)) with (fillfactor=100)"},
		{sql: "begin"},
		{sql: "truncate table pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers"},
		{sql: "insert into pgbench_branches(bid,bbalance) values(1,0)"},
		{sql: "insert into pgbench_tellers(tid,bid,tbalance) values (1,1,0)"},
		{sql: "insert into pgbench_tellers(tid,bid,tbalance) values (2,1,0)"},
		{sql: "insert into pgbench_tellers(tid,bid,tbalance) select tid, (tid - 1) / 10 + 1, 0 from generate_series(3, 10) as tid"},
		{sql: "insert into pgbench_accounts(aid,bid,abalance,filler) select aid, (aid - 1) / 100000 + 1, 0, '' from generate_series(1, 1000) as aid"},
		{sql: "commit"},
		{sql: "vacuum analyze pgbench_branches"},
		{sql: "vacuum analyze pgbench_tellers"},
		{sql: "vacuum analyze pgbench_accounts"},
		{sql: "vacuum analyze pgbench_history"},
		{sql: "alter table pgbench_branches add primary key (bid)"},
		{sql: "alter table pgbench_tellers add primary key (tid)"},
		{sql: "alter table pgbench_accounts add primary key (aid)"},
		{sql: "select count(*) from pgbench_branches", rows: "1", cols: "count:20"},
		{sql: "select count(*) from pgbench_tellers", rows: "10", cols: "count:20"},
		{sql: "select count(*), sum(bid), min(aid), max(aid) from pgbench_accounts", rows: "1000|1000|1|1000", cols: "count:20,sum:20,min:23,max:23"},
		{sql: "select length(filler), filler = '' from pgbench_accounts where aid = 1", rows: "0|1", cols: "length:23,?column?:16"},
		{sql: "select o.n, p.partstrat, pg_catalog.count(i.inhparent) from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on (n.oid = c.relnamespace) cross join lateral (select pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) as o(n) left join pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid) left join pg_catalog.pg_inherits as i on (c.oid = i.inhparent) where c.relname = 'pgbench_accounts' and o.n is not null group by 1, 2 order by 1 asc limit 1", code: "0A000"},
		{sql: "vacuum pgbench_branches"},
		{sql: "vacuum pgbench_tellers"},
		{sql: "truncate pgbench_history"},
		// tpcb-like, simple protocol
		{sql: "BEGIN;"},
		{sql: "UPDATE pgbench_accounts SET abalance = abalance + 4108 WHERE aid = 519;"},
		{sql: "SELECT abalance FROM pgbench_accounts WHERE aid = 519;", rows: "4108", cols: "abalance:23"},
		{sql: "UPDATE pgbench_tellers SET tbalance = tbalance + 2516 WHERE tid = 7;"},
		{sql: "UPDATE pgbench_branches SET bbalance = bbalance + 2516 WHERE bid = 1;"},
		{sql: "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 519, 4108, CURRENT_TIMESTAMP);"},
		{sql: "END;"},
		// tpcb-like, extended protocol: parameters arrive untyped
		{sql: "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;", args: []any{int64(-29), int64(519)}, params: "23,23"},
		{sql: "SELECT abalance FROM pgbench_accounts WHERE aid = $1;", args: []any{int64(519)}, rows: "4079", params: "23", cols: "abalance:23"},
		{sql: "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2;", args: []any{int64(-29), int64(7)}, params: "23,23"},
		{sql: "UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2;", args: []any{int64(-29), int64(1)}, params: "23,23"},
		{sql: "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP);", args: []any{int64(7), int64(1), int64(519), int64(-29)}, params: "23,23,23,23"},
		{sql: "select sum(delta) from pgbench_history", rows: "4079", cols: "sum:20"},
		{sql: "select sum(abalance) from pgbench_accounts", rows: "4079"},
		{sql: "select tid, bid, aid, delta, mtime, filler from pgbench_history order by delta", rows: "7|1|519|-29|2024-01-02 03:04:05.123456|NULL\n7|1|519|4108|2024-01-02 03:04:05.123456|NULL",
			cols: "tid:23,bid:23,aid:23,delta:23,mtime:1114,filler:1042"},
		{sql: "select tbalance from pgbench_tellers where tid = 7", rows: "2487"},
		{sql: "select * from pgbench_branches", rows: "1|2487|NULL", cols: "bid:23,bbalance:23,filler:1042"},
		{sql: "select count(*) from pgbench_accounts;", rows: "1000"},
		{sql: "UPDATE pgbench_branches SET bbalance = bbalance + 0 WHERE bid = 1;"},
		{sql: "insert into pgbench_accounts(aid, bid, abalance) values (1, 1, 0)", code: "23505"},
		// psql (A.8-A.10)
		{sql: "SELECT 1;", rows: "1", cols: "?column?:23"},
		{sql: "select * from pgbench_branches;", rows: "1|2487|NULL"},
		{sql: "create table if not exists psql_tellers_copy (tid int, bid int, tbalance int, filler char(84))"},
		{sql: "create table if not exists psql_tellers_copy (tid int, bid int, tbalance int, filler char(84))"},
		{sql: "COPY  psql_tellers_copy ( tid, bid, tbalance, filler ) FROM STDIN with (format text)", args: []any{"1", "1", "0", nil}},
		{sql: "select tid, filler from psql_tellers_copy", rows: "1|NULL"},
		{sql: "COPY  ( select * from pgbench_tellers order by tid ) TO STDOUT ", rows: "*", cols: "tid:23,bid:23,tbalance:23,filler:1042"},
		{sql: "COPY  pgbench_branches TO STDOUT with (format csv, header)", rows: "*", cols: "bid:23,bbalance:23,filler:1042"},
		{sql: "SELECT n.nspname AS \"Name\",\n  pg_catalog.pg_get_userbyid(n.nspowner) AS \"Owner\"\nFROM pg_catalog.pg_namespace n\nWHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'\nORDER BY 1;", code: "0A000"},
		{sql: "BEGIN;"},
		{sql: "SELECT 1/0;", code: "22012"},
		{sql: "ROLLBACK;"},
	})
}
