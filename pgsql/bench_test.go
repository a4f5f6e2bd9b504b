package pgsql

import "testing"

var pgbenchStatements = []string{
	"BEGIN;",
	"UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;",
	"SELECT abalance FROM pgbench_accounts WHERE aid = $1;",
	"UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2;",
	"UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2;",
	"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP);",
	"END;",
}

func benchSchema(b *testing.B) Schema {
	d := newTestDB(b)
	for _, q := range []string{
		"create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,filler char(22))",
		"create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100)",
		"create table pgbench_accounts(aid    int not null,bid int,abalance int,filler char(84)) with (fillfactor=100)",
		"create table pgbench_branches(bid int not null,bbalance int,filler char(88)) with (fillfactor=100)",
	} {
		d.mustRun(b, q)
	}
	// A schema snapshot, as the storage layer would hold it: lookups do
	// not hit SQLite.
	s := &mapSchema{tables: map[string]*Table{}}
	for _, n := range []string{"pgbench_history", "pgbench_tellers", "pgbench_accounts", "pgbench_branches"} {
		tb, _ := d.Table(n)
		s.tables[n] = tb
	}
	return s
}

type mapSchema struct{ tables map[string]*Table }

func (m *mapSchema) Table(name string) (*Table, bool) { t, ok := m.tables[name]; return t, ok }
func (m *mapSchema) Version() uint64                  { return 1 }

// BenchmarkParsePlan measures parse + classify + translate of one pgbench
// tpcb-like statement (ns/op is per statement), with the caches (the
// steady state of -M simple and of drivers' statement caches) and
// without (a first sight of each text).
func BenchmarkParsePlan(b *testing.B) {
	s := benchSchema(b)
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			st, err := Parse(pgbenchStatements[i%len(pgbenchStatements)])
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st[0].Plan(s, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			st, err := parse(pgbenchStatements[i%len(pgbenchStatements)])
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st[0].plan(s, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse_only_uncached", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := parse(pgbenchStatements[i%len(pgbenchStatements)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
