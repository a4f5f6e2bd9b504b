package pgsql

import "testing"

func TestSequences(t *testing.T) {
	d := newTestDB(t)
	runCases(t, d, []stmtCase{
		{sql: "CREATE SEQUENCE s"},
		{sql: "CREATE SEQUENCE s", code: "42P07"},
		{sql: "CREATE SEQUENCE IF NOT EXISTS s"},
		{sql: "SELECT nextval('s')", rows: "1", cols: "nextval:20"},
		{sql: "SELECT nextval('s'), nextval('s')", rows: "2|3"},
		{sql: "SELECT setval('s', 10)", rows: "10", cols: "setval:20"},
		{sql: "SELECT nextval('s'::regclass)", rows: "11"},
		{sql: "SELECT setval('s', 20, false)", rows: "20"},
		{sql: "SELECT nextval('s')", rows: "20"},
		{sql: "SELECT setval('s', 0)", code: "22003"},
		{sql: "SELECT currval('s')", code: "0A000"},
		{sql: "SELECT nextval('nosuch')", code: "42P01"},
		{sql: "CREATE SEQUENCE down INCREMENT BY -5 MAXVALUE 10 MINVALUE 0"},
		{sql: "SELECT nextval('down'), nextval('down'), nextval('down')", rows: "10|5|0"},
		{sql: "SELECT nextval('down')", code: "2200H"},
		{sql: "CREATE SEQUENCE c CYCLE", code: "0A000"},
		{sql: "CREATE TABLE orders (id bigserial PRIMARY KEY, no serial, note text, k int DEFAULT nextval('s'))"},
		{sql: "INSERT INTO orders (note) VALUES ('a'), ('b') RETURNING id, no, k", rows: "1|1|21\n2|2|22", cols: "id:20,no:23,k:23"},
		{sql: "INSERT INTO orders (note, no) VALUES ('c', 100) RETURNING no, k", rows: "100|23"},
		{sql: "INSERT INTO orders DEFAULT VALUES RETURNING no", rows: "3"},
		{sql: "COPY orders (note) FROM STDIN", args: []any{"copied"}},
		{sql: "SELECT no FROM orders WHERE note = 'copied'", rows: "4"},
		{sql: "INSERT INTO orders (note) SELECT 'x'", code: "0A000"},
		{sql: "SELECT nextval('s') FROM orders", code: "0A000"},
		{sql: "UPDATE orders SET no = DEFAULT", code: "0A000"},
		{sql: "DROP TABLE orders"},
		{sql: "SELECT nextval('orders_no_seq')", code: "42P01"},
		{sql: "DROP SEQUENCE s, down"},
		{sql: "DROP SEQUENCE s", code: "42P01"},
		{sql: "DROP SEQUENCE IF EXISTS s"},
	})
}
