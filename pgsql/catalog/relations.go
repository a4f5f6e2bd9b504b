package catalog

import (
	_ "embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Relation is one emulated catalog table or view, with PostgreSQL 15's
// column names and types. The translator uses it to resolve references and
// to type result columns (RowDescription).
type Relation struct {
	Schema  string // "pg_catalog" or "information_schema"
	Name    string
	OID     uint32 // the relation's oid in PostgreSQL 15
	View    bool   // a view in PostgreSQL (pg_roles, information_schema.*)
	Columns []RelationColumn
}

// RelationColumn is one column of a catalog relation. TypeOID is the type
// PostgreSQL reports for it (information_schema's domains are reported as
// their base types: sql_identifier as name, cardinal_number as integer,
// character_data and yes_or_no as character varying).
type RelationColumn struct {
	Name     string
	TypeOID  uint32
	TypeMod  int32
	TypeName string // format_type's text, e.g. "name", "oid[]", "character varying(3)"
	// SQLite is the column's declared type in the attached database:
	// INTEGER (integers, oids and booleans as 0/1), REAL or TEXT
	// (everything else, arrays in their text form '{a,b}').
	SQLite string
}

//go:embed data/columns.tsv
var columnsTSV string

var (
	relations   []*Relation          // in the order of columns.tsv
	relByName   map[string]*Relation // "schema.name"
	relOIDNames map[uint32]string    // oid → name of the catalog relations
)

func init() {
	relByName = map[string]*Relation{}
	relOIDNames = map[uint32]string{}
	recs := parseTSV(columnsTSV)
	for _, r := range recs.rows {
		key := r[0] + "." + r[1]
		rel := relByName[key]
		if rel == nil {
			oid, _ := strconv.ParseUint(r[2], 10, 32)
			rel = &Relation{Schema: r[0], Name: r[1], OID: uint32(oid), View: r[3] == "v"}
			relByName[key] = rel
			relations = append(relations, rel)
			relOIDNames[rel.OID] = rel.Name
		}
		typ, _ := strconv.ParseUint(r[6], 10, 32)
		mod, _ := strconv.ParseInt(r[7], 10, 32)
		rel.Columns = append(rel.Columns, RelationColumn{Name: r[4], TypeOID: uint32(typ), TypeMod: int32(mod), TypeName: r[8], SQLite: sqliteType(uint32(typ))})
	}
	initBuilders()
}

// sqliteType is the declared type of a catalog column in SQLite. Only
// INTEGER, REAL and TEXT are used: a declared type such as "name" or "oid"
// would get NUMERIC affinity and turn names that look like numbers into
// numbers.
func sqliteType(oid uint32) string {
	switch oid {
	case OIDBool, OIDInt2, OIDInt4, OIDInt8, OIDOid, OIDXid, OIDCid, OIDXid8:
		return "INTEGER"
	case OIDFloat4, OIDFloat8:
		return "REAL"
	}
	return "TEXT"
}

// Lookup finds a catalog relation by schema and name. schema "" searches
// pg_catalog and then information_schema (unqualified names resolve to
// pg_catalog in PostgreSQL; information_schema is not on the search path,
// so an unqualified "columns" is not a catalog relation: pass the schema).
func Lookup(schema, name string) (*Relation, bool) {
	if schema == "" {
		r, ok := relByName["pg_catalog."+name]
		return r, ok
	}
	r, ok := relByName[schema+"."+name]
	return r, ok
}

// Relations lists every emulated catalog relation.
func Relations() []*Relation { return relations }

// Column returns the column named name, or false.
func (r *Relation) Column(name string) (RelationColumn, bool) {
	for _, c := range r.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return RelationColumn{}, false
}

func (r *Relation) qualified() string { return r.Schema + "." + r.Name }

// SQL is how SQLite references the relation: pg_catalog."pg_class".
func (r *Relation) SQL() string { return r.Schema + "." + sqliteIdent(r.Name) }

// createSQL is the CREATE TABLE statement of the relation in its attached
// database.
func (r *Relation) createSQL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (", r.Schema, sqliteIdent(r.Name))
	for i, c := range r.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sqliteIdent(c.Name))
		b.WriteByte(' ')
		b.WriteString(c.SQLite)
		// The default is the row builder's zero, so that INSERTs can
		// leave out the columns no row sets.
		if z := builders[r].zero[i]; z != nil {
			b.WriteString(" DEFAULT ")
			var sb strings.Builder
			writeLiteral(&sb, z)
			b.WriteString(sb.String())
		}
	}
	b.WriteString(")")
	return b.String()
}

// tsv is a parsed tab-separated file with a header line.
type tsv struct {
	header []string
	rows   [][]string
}

func parseTSV(s string) tsv {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	t := tsv{header: strings.Split(lines[0], "\t")}
	for _, l := range lines[1:] {
		t.rows = append(t.rows, strings.Split(l, "\t"))
	}
	return t
}

// col returns the index of a header column; it panics on a missing one
// (the data files are embedded, so this is a build error).
func (t tsv) col(name string) int {
	for i, h := range t.header {
		if h == name {
			return i
		}
	}
	panic("catalog: data file has no column " + name)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sqliteIdent quotes an identifier for SQLite, always.
func sqliteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
