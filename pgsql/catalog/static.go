package catalog

import (
	"embed"
	"strconv"
	"strings"
)

// The fixed rows, recorded from PostgreSQL 15 by testdata/record_data.sh.
//
//go:embed data/*.tsv data/keywords.txt
var dataFS embed.FS

func staticTSV(name string) tsv {
	b, err := dataFS.ReadFile("data/" + name + ".tsv")
	if err != nil {
		panic("catalog: " + err.Error())
	}
	return parseTSV(string(b))
}

// tsvValue converts a cell of a data file to the value stored in the
// column: \N is NULL, booleans t/f are 1/0, integers are int64.
func tsvValue(rel *Relation, col, s string) any {
	if s == `\N` {
		return nil
	}
	c, ok := rel.Column(col)
	if !ok {
		return s
	}
	switch c.SQLite {
	case "INTEGER":
		if c.TypeOID == OIDBool {
			return s == "t"
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return s
		}
		return n
	case "REAL":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return s
		}
		return f
	}
	return s
}

// procInfo is what pg_get_function_result and friends print for a
// function of pg_proc.
type procInfo struct{ result, arguments, identity string }

var (
	knownSettings = map[string]bool{} // the settings PostgreSQL 15 has
	procs         = map[uint32]procInfo{}
	opclasses     = map[uint32]uint32{} // type oid → default btree opclass
	keywords      = map[string]bool{}   // keywords quote_ident quotes
)

func init() {
	t := staticTSV("pg_proc")
	for _, r := range t.rows {
		procs[atou(r[t.col("oid")])] = procInfo{r[t.col("result")], r[t.col("arguments")], r[t.col("identity_arguments")]}
	}
	t = staticTSV("pg_settings")
	for _, r := range t.rows {
		knownSettings[r[0]] = true
	}
	t = staticTSV("opclass")
	for _, r := range t.rows {
		opclasses[atou(r[0])] = atou(r[2])
	}
	kw, err := dataFS.ReadFile("data/keywords.txt")
	if err != nil {
		panic("catalog: " + err.Error())
	}
	for _, w := range strings.Fields(string(kw)) {
		keywords[w] = true
	}
}

// opclassFor is the default btree operator class of a type, as pg_index
// lists it; varchar indexes use text_ops.
func opclassFor(oid uint32) uint32 {
	if oid == OIDVarchar {
		oid = OIDText
	}
	if o, ok := opclasses[oid]; ok {
		return o
	}
	if t := typesByOID[oid]; t != nil && t.category == "A" {
		return 397 // array_ops
	}
	return opclasses[OIDText]
}

// staticRows are the rows Attach writes once per connection: the
// built-in types, access methods, collations, functions, and the catalog
// relations themselves in pg_class and pg_attribute.
func staticRows() map[*Relation][][]any {
	rows := map[*Relation][][]any{}
	for _, name := range []string{"pg_am", "pg_collation", "pg_tablespace", "pg_extension", "pg_language", "pg_proc", "pg_type", "pg_settings"} {
		rel := relByName["pg_catalog."+name]
		bl := builders[rel]
		t := staticTSV(name)
		for _, r := range t.rows {
			kv := make([]any, 0, 2*len(t.header))
			for i, h := range t.header {
				if _, ok := bl.index[h]; ok {
					kv = append(kv, h, tsvValue(rel, h, r[i]))
				}
			}
			rows[rel] = append(rows[rel], bl.row(kv...))
		}
	}
	cls, att := builder("pg_catalog.pg_class"), builder("pg_catalog.pg_attribute")
	for _, r := range relations {
		ns := int64(nsPgCatalog)
		if r.Schema == "information_schema" {
			ns = nsInformationSchema
		}
		kind, am := "r", int64(amHeap)
		if r.View {
			kind, am = "v", 0
		}
		rows[cls.rel] = append(rows[cls.rel], cls.row("oid", r.OID, "relname", r.Name, "relnamespace", ns,
			"relowner", roleBootstrap, "relam", am, "relfilenode", 0, "reltuples", -1, "relhasindex", !r.View,
			"relpersistence", "p", "relkind", kind, "relnatts", len(r.Columns), "relispopulated", true, "relreplident", "n"))
		for i, c := range r.Columns {
			ti := typesByOID[c.TypeOID]
			if ti == nil {
				ti = typesByOID[OIDText]
			}
			rows[att.rel] = append(rows[att.rel], attributeRow(att, r.OID, c.Name, colType{oid: c.TypeOID, typmod: c.TypeMod, info: ti}, i+1, false, false, 0))
		}
	}
	return rows
}
