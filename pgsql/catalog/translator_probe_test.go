package catalog_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/replisql/replisql/pgsql"
	. "github.com/replisql/replisql/pgsql/catalog"
)

// probeSchema is a pgsql.Schema over a Snapshot that implements pgsql's
// catalog hooks the way doc.go says the session should.
type probeSchema struct{ snap *Snapshot }

func (p probeSchema) Version() uint64 { return 1 }
func (p probeSchema) Table(name string) (*pgsql.Table, bool) {
	for _, t := range p.snap.Tables {
		if t.Name == name {
			pt := &pgsql.Table{Name: t.Name, OID: t.OID}
			for _, c := range t.Columns {
				oid, mod, _, _ := ParseType(c.Type)
				pt.Columns = append(pt.Columns, pgsql.TableColumn{Name: c.Name, Type: c.Type, TypeOID: oid, TypeMod: mod, NotNull: c.NotNull})
			}
			return pt, true
		}
	}
	return nil, false
}
func (p probeSchema) CatalogRelation(schema, name string) (string, []pgsql.Column, bool) {
	r, ok := Lookup(schema, name)
	if !ok {
		return "", nil, false
	}
	cols := make([]pgsql.Column, len(r.Columns))
	for i, c := range r.Columns {
		cols[i] = pgsql.Column{Name: c.Name, TypeOID: c.TypeOID, TypeMod: c.TypeMod, TableOID: r.OID, AttNum: int16(i + 1)}
	}
	return r.SQL(), cols, true
}
func (p probeSchema) CatalogFunction(name string, nargs int) (string, uint32, bool) {
	f, ok := LookupFunction(name)
	if !ok || nargs < f.MinArgs || nargs > f.MaxArgs {
		return "", 0, false
	}
	return f.Name, f.ResultOID, true
}

// TestTranslatorProbe runs the original PostgreSQL text of every query of
// testdata/queries.sql through pgsql's translator (Parse, Plan) with the
// catalog hooked in, runs the plan on SQLite, and compares with the
// golden rows. It measures how much of psql the translator and the
// catalog serve together; it logs each failure and never fails (set
// CATALOG_PROBE=1 to run it; -v to see the log).
func TestTranslatorProbe(t *testing.T) {
	if os.Getenv("CATALOG_PROBE") == "" {
		t.Skip("CATALOG_PROBE not set")
	}
	snap := BenchSnapshot()
	c := OpenTestDB(t, snap)
	oids := OIDNames(t, c)
	b, _ := os.ReadFile("testdata/queries.sql")
	type q struct{ name, per, sql string }
	var qs []q
	for _, part := range strings.Split(string(b), "-- name: ")[1:] {
		nl := strings.IndexByte(part, '\n')
		head := strings.Fields(part[:nl])
		per := ""
		if len(head) > 1 {
			per = head[1]
		}
		qs = append(qs, q{head[0], per, part[nl+1:]})
	}
	kinds := map[string]string{"per-table": "'r'", "per-sequence": "'S'", "per-index": "'i'", "per-relation": "'r','S','i'"}
	pass, fail := 0, 0
	for _, qq := range qs {
		runs := [][2]string{{qq.name, qq.sql}}
		if qq.per != "" {
			runs = nil
			for _, l := range Query(t, c, "SELECT oid, relname FROM pg_catalog.pg_class WHERE relnamespace = 2200 AND relkind IN ("+kinds[qq.per]+") ORDER BY relname") {
				f := strings.Split(l, "\t")
				runs = append(runs, [2]string{qq.name + "." + f[1], strings.NewReplacer("$OID", f[0], "$NAME", f[1]).Replace(qq.sql)})
			}
		}
		for _, r := range runs {
			sqlText := strings.ReplaceAll(r[1], "current_database()", "'bench'")
			stmts, err := pgsql.Parse(sqlText)
			if err != nil {
				t.Logf("FAIL %s: parse: %v", r[0], err)
				fail++
				continue
			}
			p, err := stmts[0].Plan(probeSchema{snap}, nil)
			if err != nil {
				t.Logf("FAIL %s: plan: %v", r[0], err)
				fail++
				continue
			}
			var lines []string
			okRun := true
			for i, s := range p.SQL {
				if i < len(p.SQL)-1 {
					if _, err := c.ExecContext(context.Background(), s); err != nil {
						t.Logf("FAIL %s: exec: %v", r[0], err)
						okRun = false
					}
					continue
				}
				rows, err := c.QueryContext(context.Background(), s)
				if err != nil {
					t.Logf("FAIL %s: sqlite: %v\n%s", r[0], err, s)
					okRun = false
					break
				}
				rows.Close()
				lines = Query(t, c, s)
			}
			if !okRun {
				fail++
				continue
			}
			want := ReadGolden(t, r[0])
			for i := range want {
				want[i] = NotNullReplaceLine(want[i])
			}
			got := Normalise(lines, oids, strings.HasSuffix(qq.name, "plus"))
			if !SameLines(want, got) {
				t.Logf("FAIL %s: rows differ:\nwant:\n%s\ngot:\n%s", r[0], strings.Join(want, "\n"), strings.Join(got, "\n"))
				fail++
				continue
			}
			pass++
		}
	}
	t.Logf("pass %d, fail %d", pass, fail)
}
