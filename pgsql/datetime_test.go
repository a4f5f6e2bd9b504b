package pgsql

import "testing"

func TestDateTime(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "CREATE TABLE ev (id serial PRIMARY KEY, at timestamptz, ts timestamp, day date, ok bool, b bytea, u uuid)")
	runCases(t, d, []stmtCase{
		{sql: "INSERT INTO ev (at, ts, day, ok, b, u) VALUES ($1, $2, $3, $4, $5, $6) RETURNING at, ts, day, ok, b, u",
			args:   []any{"2024-01-02T03:04:05.123+01:00", "2024-01-02T03:04:05", "2024-01-31", "TRUE", `\x0102`, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"},
			params: "1184,1114,1082,16,17,2950",
			rows:   `2024-01-02 02:04:05.123+00|2024-01-02 03:04:05|2024-01-31|1|\x0102|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`},
		{sql: "SELECT id FROM ev WHERE at = $1 AND ok = $2 AND u = $3", args: []any{"2024-01-02 02:04:05.123Z", "t", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, rows: "1", params: "1184,16,2950"},
		{sql: "SELECT $1::timestamptz", args: []any{"2024-01-02T03:04:05.123+00:00"}, rows: "2024-01-02 03:04:05.123+00"},
		{sql: "SELECT at + interval '1 day', at - interval '2 hours 30 minutes', at + '1 mon'::interval FROM ev",
			rows: "2024-01-03 02:04:05.123+00|2024-01-01 23:34:05.123+00|2024-02-02 02:04:05.123+00", cols: "?column?:1184,?column?:1184,?column?:1184"},
		{sql: "SELECT day + interval '1 month', day + 1, day - 31, day - date '2024-01-01' FROM ev", rows: "2024-02-29 00:00:00|2024-02-01|2023-12-31|30", cols: "?column?:1114,?column?:1082,?column?:1082,?column?:23"},
		{sql: "SELECT id FROM ev WHERE at > now() - interval '1 year'", rows: "1"},
		{sql: "SELECT id FROM ev WHERE at > now() - '10 days'", rows: "1"},
		{sql: "SELECT id FROM ev WHERE at < now() - '1 hour 1 second'", rows: ""},
		{sql: "SELECT interval '1 day 2 hours', interval '90 minutes', '1 year 2 mons 3 days 04:05:06.5'::interval, interval '3 days ago'",
			rows: "1 day 02:00:00|01:30:00|1 year 2 mons 3 days 04:05:06.5|-3 days", cols: "interval:1186,interval:1186,interval:1186,interval:1186"},
		{sql: "SELECT interval 'soon'", code: "22007"},
		{sql: "SELECT at - at FROM ev", code: "0A000"},
		{sql: "SELECT at + $1 FROM ev", code: "0A000"},
		{sql: "SELECT date_trunc('hour', at), date_trunc('month', ts), date_trunc('week', day) FROM ev",
			rows: "2024-01-02 02:00:00+00|2024-01-01 00:00:00|2024-01-29 00:00:00+00", cols: "date_trunc:1184,date_trunc:1114,date_trunc:1184"},
		{sql: "SELECT extract(year FROM at), extract(epoch FROM at), date_part('dow', day), extract(second from ts) FROM ev",
			rows: "2024|1704161045.123|3|5", cols: "extract:1700,extract:1700,date_part:701,extract:1700"},
		{sql: "SELECT date_trunc('fortnight', at) FROM ev", code: "22023"},
		{sql: "SELECT to_char(at, 'YYYY-MM-DD HH24:MI:SS.MS'), to_char(day, 'FMDay, FMDD Mon YYYY'), to_char(ts, 'HH12:MI AM \"Q\"Q') FROM ev",
			rows: "2024-01-02 02:04:05.123|Wednesday, 31 Jan 2024|03:04 AM Q1", cols: "to_char:25,to_char:25,to_char:25"},
		{sql: "SELECT to_char(1.5, '9.9')", code: "0A000"},
		{sql: "SELECT extract(year FROM $1::timestamptz)", args: []any{"2020-05-05 00:00:00+00"}, rows: "2020"},
		// COPY FROM binds the text form of values
		{sql: "COPY ev (at, ok, b, day) FROM STDIN", args: []any{"2024-05-06 07:08:09+00", "f", `\x41`, "2024-05-06"}},
		{sql: "SELECT at, ok, b, day FROM ev WHERE id = 2", rows: `2024-05-06 07:08:09+00|0|\x41|2024-05-06`},
		{sql: "COPY ev (id) FROM STDIN", args: []any{"abc"}, code: "22P02"},
	})
}

func TestRandom(t *testing.T) {
	d := newTestDB(t)
	d.mustRun(t, "CREATE TABLE r (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), n int, f float8)")
	runCases(t, d, []stmtCase{
		{sql: "INSERT INTO r (n) VALUES (1), (2) RETURNING id <> '00000000-0000-0000-0000-000000000000'", rows: "1\n1"},
		{sql: "SELECT count(DISTINCT id) FROM r", rows: "2"},
		{sql: "INSERT INTO r (n, f) SELECT g, 0 FROM generate_series(3, 5) g"},
		{sql: "SELECT count(DISTINCT id), count(*) FROM r", rows: "5|5"},
		{sql: "INSERT INTO r DEFAULT VALUES"},
		{sql: "INSERT INTO r (id, n, f) VALUES (gen_random_uuid(), 9, random()) RETURNING f >= 0 AND f < 1", rows: "1"},
		{sql: "UPDATE r SET f = random() WHERE n >= 3"},
		{sql: "SELECT count(DISTINCT f) FROM r WHERE n >= 3", rows: "4"},
		{sql: "SELECT gen_random_uuid() <> gen_random_uuid(), random() < 1", rows: "1|1", cols: "?column?:16,?column?:16"},
		{sql: "SELECT count(DISTINCT random()) = count(*) FROM r", rows: "1"},
		{sql: "SELECT random() < 1 FROM r LIMIT 1", rows: "1"},
		{sql: "INSERT INTO r (n, f) SELECT n, random() FROM r WHERE n = 1"},
		{sql: "SELECT count(*) FROM r WHERE n = 1 AND f >= 0", rows: "1"},
		{sql: "SELECT random() FROM r, r AS r2", code: "0A000"},
	})
	// The values are a function of the bound seed: the same seed gives
	// the same values (replay), another seed other values.
	st, _ := Parse("SELECT gen_random_uuid(), random()")
	p, err := st[0].Plan(d, nil)
	if err != nil || len(p.Extra) != 1 || p.Extra[0] != ValueRandomSeed {
		t.Fatalf("%v %+v", err, p)
	}
	get := func(seed int64) string {
		var u string
		var f float64
		if err := d.conn.QueryRowContext(t.Context(), p.SQL[0], seed).Scan(&u, &f); err != nil {
			t.Fatal(err)
		}
		return u + formatValue(f)
	}
	if get(1) != get(1) || get(1) == get(2) {
		t.Fatal("random values are not a function of the seed")
	}
}
