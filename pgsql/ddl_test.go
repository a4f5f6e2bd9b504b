package pgsql

import (
	"strings"
	"testing"
)

func TestDDL(t *testing.T) {
	d := newTestDB(t)
	runCases(t, d, []stmtCase{
		{sql: "CREATE TABLE t1 (id bigserial PRIMARY KEY, a int NOT NULL DEFAULT 0, b text DEFAULT 'x', c numeric DEFAULT 1.5, d boolean DEFAULT true, e timestamptz DEFAULT CURRENT_TIMESTAMP, CHECK (a >= 0))"},
		{sql: "INSERT INTO t1 DEFAULT VALUES RETURNING *", rows: "1|0|x|1.5|1|" + testNow, cols: "id:20,a:23,b:25,c:1700,d:16,e:1184"},
		{sql: "INSERT INTO t1 (a) VALUES (-1)", code: "23514"},
		{sql: "INSERT INTO t1 (id) VALUES (NULL)", code: "23502"},
		{sql: "INSERT INTO t1 (id) VALUES ($1)", args: []any{nil}, code: "23502"},
		{sql: "INSERT INTO t1 (id) SELECT NULL", code: "23502"},
		{sql: "INSERT INTO t1 (id) VALUES ($1) RETURNING id", args: []any{int64(7)}, rows: "7", params: "20"},
		{sql: "CREATE TABLE t1 (x int)", code: "42P07"},
		{sql: "CREATE TABLE IF NOT EXISTS t1 (x int)"},
		{sql: "CREATE TABLE t2 (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, t1_id bigint REFERENCES t1 (id) ON DELETE CASCADE, v varchar(5) UNIQUE, CONSTRAINT t2_v_check CHECK (length(v) > 0))"},
		{sql: "INSERT INTO t2 (t1_id, v) VALUES (1, 'a'), (1, 'b') RETURNING id", rows: "1\n2", cols: "id:23"},
		{sql: "INSERT INTO t2 (t1_id, v) VALUES (1, 'a')", code: "23505"},
		{sql: "CREATE TABLE t3 (a int, b int, PRIMARY KEY (a, b))"},
		{sql: "INSERT INTO t3 VALUES (1, 1), (1, 2)"},
		{sql: "INSERT INTO t3 VALUES (1, 1)", code: "23505"},
		{sql: "INSERT INTO t3 VALUES (NULL, 1)", code: "23502"},
		{sql: "CREATE TABLE t9 (a int, PRIMARY KEY (nope))", code: "42703"},
		{sql: "CREATE TABLE t4x (id serial, x int)"},
		{sql: "INSERT INTO t4x (x) VALUES (1) RETURNING id", rows: "1"},
		{sql: "CREATE TABLE t4 (x int) INHERITS (t1)", code: "0A000"},
		{sql: "CREATE TABLE t4 (x int) PARTITION BY RANGE (x)", code: "0A000"},
		{sql: "CREATE TEMP TABLE t4 (x int)", code: "0A000"},
		{sql: "CREATE TABLE t4 (x int[])", code: "0A000"},
		{sql: "CREATE TABLE t4 (x inet)", code: "0A000"},
		{sql: "CREATE TABLE t4 (id uuid PRIMARY KEY, j json, d date, ts timestamp(3), r real, dp double precision, s smallint, vc character varying(20), ch character(3), n numeric(12,4))"},
		{sql: "SELECT * FROM t4", rows: "", cols: "id:2950,j:114,d:1082,ts:1114,r:700,dp:701,s:21,vc:1043,ch:1042,n:1700"},
		{sql: "CREATE INDEX ON t4 USING btree (d)"},
		{sql: "CREATE UNIQUE INDEX IF NOT EXISTS t4_vc ON t4 (vc DESC, lower(vc)) WHERE s > 0"},
		{sql: "CREATE INDEX t4_gin ON t4 USING gin (j)", code: "0A000"},
		{sql: "ALTER TABLE t4 ADD COLUMN extra int DEFAULT 5"},
		{sql: "INSERT INTO t4 (id, vc) VALUES ('00000000-0000-0000-0000-000000000001', 'v') RETURNING extra", rows: "5"},
		{sql: "ALTER TABLE t4 RENAME COLUMN extra TO extra2"},
		{sql: "SELECT extra2 FROM t4", rows: "5"},
		{sql: "ALTER TABLE t4 DROP COLUMN extra2"},
		{sql: "ALTER TABLE t4 DROP COLUMN IF EXISTS extra2"},
		{sql: "ALTER TABLE t4 RENAME TO t5"},
		{sql: "SELECT count(*) FROM t5", rows: "1"},
		{sql: "ALTER TABLE t5 ALTER COLUMN s TYPE int", code: "0A000"},
		{sql: "ALTER TABLE t5 ADD CONSTRAINT t5_s_key UNIQUE (s)"},
		{sql: "ALTER TABLE nosuch ADD COLUMN x int", code: "42P01"},
		{sql: "ALTER TABLE IF EXISTS nosuch ADD COLUMN x int"},
		{sql: "CREATE TABLE acc (aid int not null, bid int, filler char(10))"},
		{sql: "CREATE INDEX acc_bid ON acc (bid)"},
		{sql: "INSERT INTO acc VALUES (1, 1, 'a'), (2, 1, 'b')"},
		{sql: "ALTER TABLE acc ADD PRIMARY KEY (aid)"},
		{sql: "SELECT aid, bid, filler FROM acc ORDER BY aid", rows: "1|1|a         \n2|1|b         ", cols: "aid:23,bid:23,filler:1042"},
		{sql: "INSERT INTO acc VALUES (1, 2, 'c')", code: "23505"},
		{sql: "CREATE TABLE dup (k int)"},
		{sql: "INSERT INTO dup VALUES (1), (1)"},
		{sql: "ALTER TABLE dup ADD PRIMARY KEY (k)", code: "23505"},
		{sql: "CREATE TABLE nul (k int)"},
		{sql: "INSERT INTO nul VALUES (NULL)"},
		{sql: "ALTER TABLE nul ADD PRIMARY KEY (k)", code: "23502"},
		{sql: "ALTER TABLE t3 ADD PRIMARY KEY (a)", code: "42P16"},
		{sql: "CREATE TABLE m (id serial PRIMARY KEY, name text, n int DEFAULT 1)"},
		{sql: "CREATE INDEX m_name ON m (name)"},
		{sql: "INSERT INTO m (name) VALUES ('a'), (NULL), ('c')"},
		{sql: "DELETE FROM m WHERE id = 3"},
		{sql: "ALTER TABLE m ALTER COLUMN name SET NOT NULL", code: "23502"},
		{sql: "UPDATE m SET name = 'b' WHERE name IS NULL"},
		{sql: "ALTER TABLE m ALTER COLUMN name SET NOT NULL, ALTER COLUMN n SET DEFAULT 5"},
		{sql: "INSERT INTO m (name) VALUES (NULL)", code: "23502"},
		{sql: "INSERT INTO m (name) VALUES ('d') RETURNING id, n", rows: "4|5"},
		{sql: "ALTER TABLE m ALTER COLUMN n DROP DEFAULT, ALTER COLUMN name DROP NOT NULL"},
		{sql: "INSERT INTO m (name) VALUES (NULL) RETURNING id, n", rows: "5|NULL"},
		{sql: "ALTER TABLE m ALTER COLUMN id DROP NOT NULL", code: "42P16"},
		{sql: "SELECT count(*) FROM m WHERE name = 'a'", rows: "1"},
		{sql: "ALTER TABLE m ADD CONSTRAINT m_n_check CHECK (n > 100)", code: "23514"},
		{sql: "ALTER TABLE m ADD CONSTRAINT m_n_check CHECK (n > 0 OR n IS NULL)"},
		{sql: "INSERT INTO m (name, n) VALUES ('neg', -1)", code: "23514"},
		{sql: "ALTER TABLE m ALTER COLUMN n SET DEFAULT 2", code: "0A000"},
		{sql: "INSERT INTO m (id, name) VALUES (1, 'again') ON CONFLICT ON CONSTRAINT m_pkey DO UPDATE SET name = excluded.name RETURNING id, name", rows: "1|again"},
		{sql: "INSERT INTO m (id, name) VALUES (1, 'x') ON CONFLICT ON CONSTRAINT other DO NOTHING", code: "0A000"},
		{sql: "CREATE TABLE child (id int PRIMARY KEY, m_id int)"},
		{sql: "ALTER TABLE child ADD FOREIGN KEY (m_id) REFERENCES m (id) ON DELETE CASCADE"},
		{sql: "INSERT INTO child VALUES (1, 1)"},
		{sql: "TRUNCATE t2, t1 RESTART IDENTITY"},
		{sql: "INSERT INTO t1 DEFAULT VALUES RETURNING id", rows: "1"},
		{sql: "TRUNCATE nosuch", code: "42P01"},
		{sql: "TRUNCATE t1 CASCADE", code: "0A000"},
		{sql: "COMMENT ON TABLE t1 IS 'hello'"},
		{sql: "DROP TABLE t2, t3"},
		{sql: "DROP TABLE t2", code: "42P01"},
		{sql: "DROP TABLE IF EXISTS t2, t1"},
		{sql: "DROP INDEX IF EXISTS nosuch_idx"},
		{sql: "VACUUM"},
		{sql: "ANALYZE acc"},
		{sql: "VACUUM FULL acc"},
		{sql: "VACUUM nosuch", code: "42P01"},
		{sql: "CREATE TABLE snap AS SELECT aid, filler, aid * 2 AS twice, 'x' AS lit, now() AS at FROM acc WHERE aid > $1", args: []any{int64(0)}},
		{sql: "SELECT * FROM snap ORDER BY aid", rows: "1|a         |2|x|" + testNow + "\n2|b         |4|x|" + testNow, cols: "aid:23,filler:1042,twice:23,lit:25,at:1184"},
		{sql: "SELECT aid AS k INTO snap2 FROM acc"},
		{sql: "SELECT count(*) FROM snap2", rows: "2"},
		{sql: "CREATE TABLE snap3 (a, b) AS VALUES (1, 'one') WITH NO DATA"},
		{sql: "SELECT * FROM snap3", rows: "", cols: "a:23,b:25"},
		{sql: "CREATE TABLE IF NOT EXISTS snap3 AS SELECT 1"},
		{sql: "CREATE MATERIALIZED VIEW mv AS SELECT 1", code: "0A000"},
		{sql: "ALTER SEQUENCE t4x_id_seq RESTART", code: "0A000"},
		{sql: "CREATE VIEW v AS SELECT 1", code: "0A000"},
		{sql: "LISTEN ch", code: "0A000"},
		{sql: "NOTIFY ch", code: "0A000"},
		{sql: "PREPARE TRANSACTION 'x'", code: "0A000"},
		{sql: "EXPLAIN SELECT 1", code: "0A000"},
		{sql: "DO $$ BEGIN END $$", code: "0A000"},
		{sql: "MERGE INTO acc USING acc b ON true WHEN MATCHED THEN DELETE", code: "0A000"},
		{sql: "CHECKPOINT"},
		{sql: "DISCARD ALL"},
	})
}

func TestDropNotices(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "create table a (x int)")
	res, err := d.run("drop table if exists a, b", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.plan.Notices) != 1 || res.plan.Notices[0].Message != `table "b" does not exist, skipping` || res.plan.Notices[0].Severity != "NOTICE" {
		t.Fatalf("notices %+v", res.plan.Notices)
	}
	if len(res.plan.SQL) != 1 || !res.plan.SchemaChange {
		t.Fatalf("plan %+v", res.plan)
	}
}

func TestCreateTableSQL(t *testing.T) {
	d := newTestDB(t)
	cases := []struct{ pg, want string }{
		{"create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100)",
			`CREATE TABLE "pgbench_tellers" ("tid" integer NOT NULL, "bid" integer, "tbalance" integer, "filler" character(84))`},
		{"CREATE TABLE i (id serial PRIMARY KEY, created timestamptz DEFAULT now(), v varchar(20))",
			`CREATE TABLE "i" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "created" timestamp with time zone DEFAULT (pg_now()), "v" character varying(20))`},
		{"CREATE TABLE j (id bigint PRIMARY KEY, n numeric(10,2) DEFAULT 0)",
			`CREATE TABLE "j" ("id" INTEGER NOT NULL PRIMARY KEY, "n" numeric(10,2) DEFAULT 0)`},
	}
	for _, c := range cases {
		st, err := Parse(c.pg)
		if err != nil {
			t.Fatal(err)
		}
		p, err := st[0].Plan(d, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.SQL[0] != c.want {
			t.Errorf("got  %s\nwant %s", p.SQL[0], c.want)
		}
		ct := ColumnTypes(p.SQL[0])
		if strings.Contains(c.want, `"j"`) && ct["id"] != "bigint" {
			t.Errorf("ColumnTypes %v", ct)
		}
	}
}
