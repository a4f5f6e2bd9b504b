package pgsql

import (
	"database/sql/driver"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"modernc.org/sqlite"
)

// fakeCatalog plugs a tiny pg_catalog into the translator through the
// Catalog and CatalogFunctions hooks.
type fakeCatalog struct{ *testDB }

var _ Catalog = fakeCatalog{}
var _ CatalogFunctions = fakeCatalog{}

func (fakeCatalog) CatalogRelation(schema, name string) (string, []Column, bool) {
	if schema == "pg_catalog" && name == "pg_class" {
		return "(SELECT 1259 AS \"oid\", 'pg_class' AS \"relname\", 'r' AS \"relkind\", '{a,b}' AS \"relacl\")",
			[]Column{{Name: "oid", TypeOID: OIDOID}, {Name: "relname", TypeOID: OIDName}, {Name: "relkind", TypeOID: OIDChar}, {Name: "relacl", TypeOID: 1034}}, true
	}
	return "", nil, false
}

func (fakeCatalog) CatalogFunction(name string, nargs int) (string, uint32, bool) {
	switch name {
	case "pg_regclass_out", "pg_regclass_in", "pg_array_elem", "pg_array_get", "pg_array_json":
		return "test_" + name, OIDText, true
	case "pg_array_contains", "pg_table_is_visible":
		return "test_" + name, OIDBool, true
	case "pg_partition_ancestors": // no partitions: the relation itself
		return "test_pg_array_elem", OIDRegclass, true
	}
	return "", 0, false
}

var registerTestFuncs sync.Once

func fakeCatalogDB(t *testing.T) fakeCatalog {
	registerTestFuncs.Do(func() {
		elems := func(v driver.Value) []string {
			s, _ := v.(string)
			s = strings.Trim(s, "{}")
			if s == "" {
				return nil
			}
			return strings.Split(s, ",")
		}
		fns := map[string]func(a []driver.Value) (driver.Value, error){
			"test_pg_regclass_out": func(a []driver.Value) (driver.Value, error) {
				if a[0] == int64(1259) {
					return "pg_class", nil
				}
				return formatValue(a[0]), nil
			},
			"test_pg_regclass_in": func(a []driver.Value) (driver.Value, error) { return int64(1259), nil },
			"test_pg_array_elem":  func(a []driver.Value) (driver.Value, error) { return a[0], nil },
			"test_pg_array_get": func(a []driver.Value) (driver.Value, error) {
				e := elems(a[0])
				i := int(a[1].(int64))
				if i < 1 || i > len(e) {
					return nil, nil
				}
				return e[i-1], nil
			},
			"test_pg_array_json": func(a []driver.Value) (driver.Value, error) {
				b, _ := json.Marshal(elems(a[0]))
				return string(b), nil
			},
			"test_pg_array_contains": func(a []driver.Value) (driver.Value, error) {
				for _, e := range elems(a[0]) {
					if e == a[1] {
						return int64(1), nil
					}
				}
				return int64(0), nil
			},
			"test_pg_table_is_visible": func(a []driver.Value) (driver.Value, error) { return int64(1), nil },
		}
		for name, f := range fns {
			f := f
			if err := sqlite.RegisterDeterministicScalarFunction(name, -1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) { return f(a) }); err != nil {
				t.Fatal(err)
			}
		}
	})
	return fakeCatalog{newTestDB(t)}
}

func TestCatalogHooks(t *testing.T) {
	d := fakeCatalogDB(t)
	d.mustRun(t, "create table pgbench_accounts (aid int)")
	cases := []struct{ q, rows, cols string }{
		{"SELECT count(*) FROM pg_catalog.pg_class WHERE relname = $1 OR oid = $2", "1", "count:20"},
		{"SELECT c.oid::pg_catalog.regclass, relname FROM pg_class c WHERE c.oid = '1259' AND pg_catalog.pg_table_is_visible(c.oid)", "pg_class|pg_class", "oid:2205,relname:19"},
		{"SELECT relname FROM pg_catalog.pg_class WHERE oid = 'pg_class'::regclass", "pg_class", "relname:19"},
		{"SELECT 'a' = ANY(relacl), 'z' = any(c.relacl), relacl[2] FROM pg_class c", "1|0|b", "?column?:16,?column?:16,relacl:25"},
		{"SELECT ARRAY(SELECT relname FROM pg_class) AS names", "{pg_class}", "names:1003"},
		{"SELECT x FROM pg_class c, pg_catalog.unnest(c.relacl) x ORDER BY 1", "a\nb", "x:25"},
		{"select o.n, c.relname from pg_catalog.pg_class as c cross join lateral (select 1 + 1) as o(n) where o.n is not null", "2|pg_class", "n:23,relname:19"},
		{"SELECT relkind FROM pg_class WHERE relname OPERATOR(pg_catalog.~) '^(pg_class)$' COLLATE pg_catalog.default", "r", "relkind:18"},
		// psql's \d trigger query: the ancestors of an outer query's relation.
		{"SELECT c.relname, (SELECT a.depth FROM pg_catalog.pg_class AS u, pg_catalog.pg_partition_ancestors(c.oid) WITH ORDINALITY AS a(relid, depth) WHERE u.oid = a.relid ORDER BY a.depth LIMIT 1) AS d FROM pg_class c", "pg_class|1", "relname:19,d:20"},
	}
	for _, c := range cases {
		res, err := d.runWith(d, c.q, nil, "pg_class", int64(1259))
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if res.rows != c.rows || colsString(res.plan.Columns) != c.cols {
			t.Errorf("%s:\n got %q %s\nwant %q %s\nSQL %v", c.q, res.rows, colsString(res.plan.Columns), c.rows, c.cols, res.plan.SQL)
		}
	}
	if _, err := d.runWith(d, "SELECT * FROM nosuch_catalog_or_table", nil); codeOf(err) != "42P01" {
		t.Errorf("unknown relation: %v", err)
	}
}
