package store

import (
	"context"
	"fmt"
	"sort"
)

// Schema is an immutable picture of the user's tables, taken after the
// last schema change.
type Schema struct {
	Version uint64
	Tables  map[string]*Table // by name
	// Functions are the stored trigger functions (the SQL layer's table
	// __replisql_functions): name → CREATE FUNCTION statement.
	Functions map[string]string
}

// Table is one table as SQLite knows it.
type Table struct {
	Name     string
	OID      uint32 // stable while the table exists: derived from its rowid in sqlite_schema
	SQL      string // the CREATE TABLE statement as SQLite stores it
	Columns  []Column
	Indexes  []Index
	Triggers []Trigger // in creation order
	// Annotations are the rows of AnnotationTable about this table, in
	// (Kind, Name) order.
	Annotations []Annotation
}

// AnnotationTable is where the SQL layer keeps the facts of a table's
// PostgreSQL definition that SQLite's schema does not hold (constraint
// names, the PostgreSQL text of CHECK expressions, identity, comments,
// storage parameters), one row per fact: ("rel", "kind", "name",
// "value"). It is an ordinary table of the user's database, written by
// DDL plans in the DDL's own transaction, so it is logged and replayed
// with the DDL. The store loads it with the schema; what the rows mean is
// the SQL layer's (pgsql/annotate.go).
const AnnotationTable = "__replisql_annotations"

// Annotation is one row of AnnotationTable.
type Annotation struct {
	Kind  string // what the row records, e.g. "constraint", "comment"
	Name  string // the column or constraint it is about; "" for the table
	Value string
}

// Trigger is one SQLite trigger of a table.
type Trigger struct {
	Name string
	SQL  string
}

// Column is one column. Type is the declared type, which for tables
// created through RepliSQL is the PostgreSQL type.
type Column struct {
	Name       string
	Type       string
	NotNull    bool
	Default    string // the default expression as SQLite stores it, "" for none
	PrimaryKey int    // 1-based position in the primary key, 0 if not part of it
	Hidden     bool   // generated or hidden column
}

// Index is one index of a table.
type Index struct {
	Name    string
	Unique  bool
	Primary bool // the primary key's automatic index
	Columns []string
	SQL     string
}

// FirstUserOID is where the OIDs of user tables start, as in PostgreSQL.
const FirstUserOID = 16384

// SharedSchema is the last committed schema loaded, or nil.
func (s *Store) SharedSchema() *Schema { return s.schema.Load() }

// InvalidateSchema tells the store that the schema changed; the next
// Schema call reloads it. The session calls it after DDL commits (and
// after it rolls back, since the cached schema may have seen the change).
func (s *Store) InvalidateSchema() {
	s.schemaVersion.Add(1)
}

// Schema returns the current schema, loading it if it changed since the
// last load. c is the connection of the caller's transaction, or nil:
// inside a writing transaction pass the writer, so that its own
// uncommitted DDL is seen; with nil a reader is borrowed for the load.
func (s *Store) Schema(ctx context.Context, c *Conn) (*Schema, error) {
	v := s.schemaVersion.Load()
	if sc := s.schema.Load(); sc != nil && sc.Version == v && (c == nil || !c.ddl) {
		return sc, nil
	}
	if c != nil && c.ddl {
		// The transaction's own view, not shared.
		return loadSchema(ctx, c, v)
	}
	s.schemaMu.Lock()
	defer s.schemaMu.Unlock()
	if sc := s.schema.Load(); sc != nil && sc.Version == v {
		return sc, nil
	}
	if c == nil {
		r, err := s.CommittedReader(ctx)
		if err != nil {
			return nil, err
		}
		defer s.Release(r)
		c = r
	}
	sc, err := loadSchema(ctx, c, v)
	if err != nil {
		return nil, err
	}
	s.schema.Store(sc)
	return sc, nil
}

func loadSchema(ctx context.Context, c *Conn, version uint64) (*Schema, error) {
	sc := &Schema{Version: version, Tables: map[string]*Table{}}
	rows, err := c.QueryContext(ctx, `SELECT rowid, name, coalesce(sql, '') FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'replisql_meta'`)
	if err != nil {
		return nil, MapError(err)
	}
	var tables []*Table
	for rows.Next() {
		var rowid int64
		var name, sql string
		if err := rows.Scan(&rowid, &name, &sql); err != nil {
			rows.Close()
			return nil, MapError(err)
		}
		tables = append(tables, &Table{Name: name, SQL: sql, OID: FirstUserOID + uint32(rowid)*2})
	}
	rows.Close()
	for _, t := range tables {
		if err := loadColumns(ctx, c, t); err != nil {
			return nil, fmt.Errorf("load columns of %q: %w", t.Name, err)
		}
		if err := loadIndexes(ctx, c, t); err != nil {
			return nil, fmt.Errorf("load indexes of %q: %w", t.Name, err)
		}
		sc.Tables[t.Name] = t
	}
	if err := loadTriggers(ctx, c, sc); err != nil {
		return nil, fmt.Errorf("load triggers: %w", err)
	}
	if _, ok := sc.Tables[AnnotationTable]; ok {
		if err := loadAnnotations(ctx, c, sc.Tables); err != nil {
			return nil, fmt.Errorf("load annotations: %w", err)
		}
	}
	return sc, nil
}

// loadAnnotations adds the rows of AnnotationTable to the tables they
// are about.
func loadAnnotations(ctx context.Context, c *Conn, tables map[string]*Table) error {
	rows, err := c.QueryContext(ctx, `SELECT "rel", "kind", "name", "value" FROM "`+AnnotationTable+`" ORDER BY "rel", "kind", "name"`)
	if err != nil {
		return MapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var rel string
		var a Annotation
		if err := rows.Scan(&rel, &a.Kind, &a.Name, &a.Value); err != nil {
			return MapError(err)
		}
		if t, ok := tables[rel]; ok {
			t.Annotations = append(t.Annotations, a)
		}
	}
	return MapError(rows.Err())
}

// loadTriggers adds the tables' triggers and the stored trigger functions.
func loadTriggers(ctx context.Context, c *Conn, sc *Schema) error {
	rows, err := c.QueryContext(ctx, `SELECT name, tbl_name, coalesce(sql, '') FROM sqlite_schema WHERE type = 'trigger' ORDER BY rowid`)
	if err != nil {
		return MapError(err)
	}
	for rows.Next() {
		var tr Trigger
		var tbl string
		if err := rows.Scan(&tr.Name, &tbl, &tr.SQL); err != nil {
			rows.Close()
			return MapError(err)
		}
		if t, ok := sc.Tables[tbl]; ok {
			t.Triggers = append(t.Triggers, tr)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return MapError(err)
	}
	if _, ok := sc.Tables["__replisql_functions"]; !ok {
		return nil
	}
	rows, err = c.QueryContext(ctx, `SELECT "name", "src" FROM "__replisql_functions"`)
	if err != nil {
		return MapError(err)
	}
	defer rows.Close()
	sc.Functions = map[string]string{}
	for rows.Next() {
		var name, src string
		if err := rows.Scan(&name, &src); err != nil {
			return MapError(err)
		}
		sc.Functions[name] = src
	}
	return MapError(rows.Err())
}

func loadColumns(ctx context.Context, c *Conn, t *Table) error {
	rows, err := c.QueryContext(ctx, `SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)`, t.Name)
	if err != nil {
		return MapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var col Column
		var dflt *string
		var hidden int
		if err := rows.Scan(&col.Name, &col.Type, &col.NotNull, &dflt, &col.PrimaryKey, &hidden); err != nil {
			return MapError(err)
		}
		if dflt != nil {
			col.Default = *dflt
		}
		col.Hidden = hidden != 0
		t.Columns = append(t.Columns, col)
	}
	return rows.Err()
}

func loadIndexes(ctx context.Context, c *Conn, t *Table) error {
	rows, err := c.QueryContext(ctx, `SELECT il.name, il."unique", il.origin, coalesce(s.sql, '') FROM pragma_index_list(?) il LEFT JOIN sqlite_schema s ON s.type = 'index' AND s.name = il.name`, t.Name)
	if err != nil {
		return MapError(err)
	}
	var idx []Index
	for rows.Next() {
		var ix Index
		var origin string
		if err := rows.Scan(&ix.Name, &ix.Unique, &origin, &ix.SQL); err != nil {
			rows.Close()
			return MapError(err)
		}
		ix.Primary = origin == "pk"
		idx = append(idx, ix)
	}
	rows.Close()
	for i := range idx {
		cols, err := c.QueryContext(ctx, `SELECT coalesce(name, '') FROM pragma_index_info(?) ORDER BY seqno`, idx[i].Name)
		if err != nil {
			return MapError(err)
		}
		for cols.Next() {
			var n string
			if err := cols.Scan(&n); err != nil {
				cols.Close()
				return MapError(err)
			}
			idx[i].Columns = append(idx[i].Columns, n)
		}
		cols.Close()
	}
	// An INTEGER PRIMARY KEY has no index of its own: report it as one.
	var pk []string
	cols := append([]Column(nil), t.Columns...)
	sort.SliceStable(cols, func(a, b int) bool { return cols[a].PrimaryKey < cols[b].PrimaryKey })
	for _, col := range cols {
		if col.PrimaryKey > 0 {
			pk = append(pk, col.Name)
		}
	}
	hasPK := false
	for _, ix := range idx {
		hasPK = hasPK || ix.Primary
	}
	if len(pk) > 0 && !hasPK {
		idx = append([]Index{{Name: t.Name + "_pkey", Unique: true, Primary: true, Columns: pk}}, idx...)
	}
	t.Indexes = idx
	return nil
}
