package session

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/store"
)

// schemaView presents a store.Schema as the pgsql.Schema that translation
// needs. Views are immutable and shared by every session while the schema
// does not change.
type schemaView struct {
	version   uint64
	tables    map[string]*pgsql.Table
	functions map[string]string // trigger functions: name → CREATE FUNCTION
	trigTabs  []string          // tables that have triggers
}

var (
	_ pgsql.Schema    = (*schemaView)(nil)
	_ pgsql.Functions = (*schemaView)(nil)
)

func (v *schemaView) Function(name string) (string, bool) {
	src, ok := v.functions[name]
	return src, ok
}

func (v *schemaView) TriggerTables() []string { return v.trigTabs }

func (v *schemaView) Version() uint64 { return v.version }

func (v *schemaView) Table(name string) (*pgsql.Table, bool) {
	t, ok := v.tables[name]
	if !ok {
		t, ok = v.tables[strings.ToLower(name)]
	}
	return t, ok
}

func newSchemaView(sc *store.Schema) *schemaView {
	v := &schemaView{version: sc.Version, tables: make(map[string]*pgsql.Table, len(sc.Tables)), functions: sc.Functions}
	for name, t := range sc.Tables {
		pt := &pgsql.Table{Name: t.Name, OID: t.OID, SQL: t.SQL, Columns: make([]pgsql.TableColumn, 0, len(t.Columns))}
		for _, tr := range t.Triggers {
			pt.Triggers = append(pt.Triggers, pgsql.TableTrigger{Name: tr.Name, SQL: tr.SQL})
		}
		for _, a := range t.Annotations {
			pt.Annotations = append(pt.Annotations, pgsql.Annotation{Kind: a.Kind, Name: a.Name, Value: a.Value})
		}
		if len(t.Triggers) > 0 {
			v.trigTabs = append(v.trigTabs, t.Name)
		}
		for _, ix := range t.Indexes {
			if ix.SQL != "" {
				pt.Indexes = append(pt.Indexes, ix.SQL)
			}
		}
		autoinc := strings.Contains(strings.ToUpper(t.SQL), "AUTOINCREMENT")
		// SQLite reports an INTEGER PRIMARY KEY's type upper-cased; the
		// declared types in the table's own SQL tell int4 from int8.
		declared := pgsql.ColumnTypes(t.SQL)
		for _, c := range t.Columns {
			if d, ok := declared[c.Name]; ok {
				c.Type = d
			}
			oid, mod := pgsql.TypeOID(c.Type)
			pt.Columns = append(pt.Columns, pgsql.TableColumn{
				Name:       c.Name,
				Type:       c.Type,
				TypeOID:    oid,
				TypeMod:    mod,
				NotNull:    c.NotNull || c.PrimaryKey > 0,
				Default:    c.Default,
				PrimaryKey: c.PrimaryKey > 0,
				Identity:   autoinc && c.PrimaryKey > 0,
			})
		}
		v.tables[name] = pt
	}
	sort.Strings(v.trigTabs)
	return v
}

// schemaCache keeps the view of the last committed schema.
type schemaCache struct {
	mu   sync.Mutex // guards the fields below
	base *store.Schema
	view *schemaView
	// private numbers views of uncommitted schemas.
	private uint64
}

// schema returns the schema view that a transaction holding c (nil when
// it holds none) sees.
func (e *Engine) schema(ctx context.Context, c *store.Conn) (*schemaView, error) {
	sc, err := e.store.Schema(ctx, c)
	if err != nil {
		return nil, err
	}
	e.views.mu.Lock()
	defer e.views.mu.Unlock()
	if e.views.base == sc {
		return e.views.view, nil
	}
	v := newSchemaView(sc)
	if sc == e.store.SharedSchema() {
		e.views.base, e.views.view = sc, v
	} else {
		// A transaction's own, uncommitted view: give it a version no
		// other view has, so that plans cached for it are never used
		// by anyone else.
		e.views.private++
		v.version = 1<<63 | e.views.private
	}
	return v, nil
}
