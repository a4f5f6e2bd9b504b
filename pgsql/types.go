package pgsql

import (
	"strconv"
	"strings"
)

// PostgreSQL type OIDs that the SQL layer reports.
const (
	OIDBool        uint32 = 16
	OIDBytea       uint32 = 17
	OIDChar        uint32 = 18
	OIDName        uint32 = 19
	OIDInt8        uint32 = 20
	OIDInt2        uint32 = 21
	OIDInt4        uint32 = 23
	OIDRegproc     uint32 = 24
	OIDText        uint32 = 25
	OIDOID         uint32 = 26
	OIDJSON        uint32 = 114
	OIDFloat4      uint32 = 700
	OIDFloat8      uint32 = 701
	OIDUnknown     uint32 = 705
	OIDBpchar      uint32 = 1042
	OIDVarchar     uint32 = 1043
	OIDDate        uint32 = 1082
	OIDTime        uint32 = 1083
	OIDTimestamp   uint32 = 1114
	OIDTimestamptz uint32 = 1184
	OIDInterval    uint32 = 1186
	OIDTimetz      uint32 = 1266
	OIDNumeric     uint32 = 1700
	OIDRegclass    uint32 = 2205
	OIDRegtype     uint32 = 2206
	OIDVoid        uint32 = 2278
	OIDUUID        uint32 = 2950
	OIDJSONB       uint32 = 3802
)

// pgType is a PostgreSQL type with its modifier (-1 when none).
type pgType struct {
	oid uint32
	mod int32
}

var (
	tUnknown     = pgType{0, -1}
	tBool        = pgType{OIDBool, -1}
	tBytea       = pgType{OIDBytea, -1}
	tInt2        = pgType{OIDInt2, -1}
	tInt4        = pgType{OIDInt4, -1}
	tInt8        = pgType{OIDInt8, -1}
	tText        = pgType{OIDText, -1}
	tFloat4      = pgType{OIDFloat4, -1}
	tFloat8      = pgType{OIDFloat8, -1}
	tNumeric     = pgType{OIDNumeric, -1}
	tDate        = pgType{OIDDate, -1}
	tTimestamp   = pgType{OIDTimestamp, -1}
	tTimestamptz = pgType{OIDTimestamptz, -1}
	tUUID        = pgType{OIDUUID, -1}
	tJSON        = pgType{OIDJSON, -1}
	tJSONB       = pgType{OIDJSONB, -1}
	tName        = pgType{OIDName, -1}
	tOID         = pgType{OIDOID, -1}
	tInterval    = pgType{OIDInterval, -1}
	// tRegtype is pg_typeof's result: the type's name as text, typed regtype.
	tRegtype = pgType{OIDRegtype, -1}
)

// typeInfo describes a type the SQL layer can store.
type typeInfo struct {
	oid     uint32
	typname string // pg_type.typname: names a cast's result column
	decl    string // canonical declared spelling, without modifiers
}

var typesByOID = map[uint32]typeInfo{
	OIDBool:  {OIDBool, "bool", "boolean"},
	OIDBytea: {OIDBytea, "bytea", "bytea"},
	OIDName:  {OIDName, "name", "name"},
	OIDInt8:  {OIDInt8, "int8", "bigint"},
	OIDInt2:  {OIDInt2, "int2", "smallint"},
	OIDInt4:  {OIDInt4, "int4", "integer"},
	OIDText:  {OIDText, "text", "text"},
	OIDChar:  {OIDChar, "char", `"char"`},
	// Catalog types kept in their text form (arrays as PostgreSQL's
	// array literal, vectors space-separated); see textForm.
	194:            {194, "pg_node_tree", "pg_node_tree"},
	22:             {22, "int2vector", "int2vector"},
	30:             {30, "oidvector", "oidvector"},
	869:            {869, "inet", "inet"},
	1002:           {1002, "_char", `"char"[]`},
	1003:           {1003, "_name", "name[]"},
	1005:           {1005, "_int2", "smallint[]"},
	1007:           {1007, "_int4", "integer[]"},
	1009:           {1009, "_text", "text[]"},
	1015:           {1015, "_varchar", "character varying[]"},
	1016:           {1016, "_int8", "bigint[]"},
	1028:           {1028, "_oid", "oid[]"},
	1034:           {1034, "_aclitem", "aclitem[]"},
	2211:           {2211, "_regtype", "regtype[]"},
	2277:           {2277, "anyarray", "anyarray"},
	OIDOID:         {OIDOID, "oid", "oid"},
	OIDJSON:        {OIDJSON, "json", "json"},
	OIDFloat4:      {OIDFloat4, "float4", "real"},
	OIDFloat8:      {OIDFloat8, "float8", "double precision"},
	OIDBpchar:      {OIDBpchar, "bpchar", "character"},
	OIDVarchar:     {OIDVarchar, "varchar", "character varying"},
	OIDDate:        {OIDDate, "date", "date"},
	OIDTime:        {OIDTime, "time", "time without time zone"},
	OIDTimestamp:   {OIDTimestamp, "timestamp", "timestamp without time zone"},
	OIDTimestamptz: {OIDTimestamptz, "timestamptz", "timestamp with time zone"},
	OIDInterval:    {OIDInterval, "interval", "interval"},
	OIDNumeric:     {OIDNumeric, "numeric", "numeric"},
	OIDUUID:        {OIDUUID, "uuid", "uuid"},
	OIDJSONB:       {OIDJSONB, "jsonb", "jsonb"},
	OIDRegclass:    {OIDRegclass, "regclass", "regclass"},
}

// typesByName maps the names pg_query produces for a TypeName (the last
// element of its Names, lower-case) to OIDs.
var typesByName = map[string]uint32{
	"bool": OIDBool, "boolean": OIDBool,
	"bytea": OIDBytea,
	"name":  OIDName,
	"int8":  OIDInt8, "bigint": OIDInt8,
	"int2": OIDInt2, "smallint": OIDInt2,
	"int4": OIDInt4, "int": OIDInt4, "integer": OIDInt4,
	"text": OIDText,
	"oid":  OIDOID,
	"json": OIDJSON, "jsonb": OIDJSONB,
	"float4": OIDFloat4, "real": OIDFloat4,
	"float8": OIDFloat8, "double precision": OIDFloat8, "float": OIDFloat8,
	"bpchar": OIDBpchar, "character": OIDBpchar,
	// The grammar turns char(n) into bpchar; only a quoted "char" is left.
	"char":    OIDChar,
	"varchar": OIDVarchar, "character varying": OIDVarchar,
	"date":        OIDDate,
	"time":        OIDTime,
	"timestamp":   OIDTimestamp,
	"timestamptz": OIDTimestamptz,
	"interval":    OIDInterval,
	"numeric":     OIDNumeric, "decimal": OIDNumeric,
	"uuid":                        OIDUUID,
	"regclass":                    OIDRegclass,
	"timestamp without time zone": OIDTimestamp,
	"timestamp with time zone":    OIDTimestamptz,
	"time without time zone":      OIDTime,
}

// typname returns pg_type.typname for oid.
func typname(oid uint32) string {
	if ti, ok := typesByOID[oid]; ok {
		return ti.typname
	}
	return "unknown"
}

// declaredType returns the spelling of t for a column declaration in
// SQLite: PostgreSQL's canonical spelling ("character varying(20)",
// "numeric(10,2)"), except that SQLite's type-name grammar wants the
// modifier last: "timestamp without time zone(3)" for PostgreSQL's
// "timestamp(3) without time zone". TypeOID reads both.
func declaredType(t pgType) string {
	switch t.oid {
	case OIDTimestamp, OIDTimestamptz, OIDTime:
		if t.mod >= 0 {
			return typesByOID[t.oid].decl + "(" + strconv.Itoa(int(t.mod)) + ")"
		}
	}
	return pgDeclaredType(t)
}

// pgDeclaredType returns the canonical PostgreSQL spelling of t, as
// format_type prints it in a column's definition.
func pgDeclaredType(t pgType) string {
	ti, ok := typesByOID[t.oid]
	if !ok {
		return "text"
	}
	if t.mod < 0 {
		return ti.decl
	}
	switch t.oid {
	case OIDVarchar, OIDBpchar:
		return ti.decl + "(" + strconv.Itoa(int(t.mod-4)) + ")"
	case OIDNumeric:
		p, s := (t.mod-4)>>16, (t.mod-4)&0xffff
		return "numeric(" + strconv.Itoa(int(p)) + "," + strconv.Itoa(int(s)) + ")"
	case OIDTimestamp:
		return "timestamp(" + strconv.Itoa(int(t.mod)) + ") without time zone"
	case OIDTimestamptz:
		return "timestamp(" + strconv.Itoa(int(t.mod)) + ") with time zone"
	}
	return ti.decl
}

// TypeOID maps a column's declared type, as stored in SQLite, to a
// PostgreSQL type OID and modifier. It understands the canonical spellings
// that CREATE TABLE writes ("integer", "character varying(20)",
// "numeric(10,2)", "timestamp with time zone", …), the short PostgreSQL
// names (int4, varchar(20), timestamptz, …) and SQLite's own type names
// for tables created outside the SQL layer. SQLite reports "integer" and
// "int" upper-cased (PRAGMA table_info); both are int4 here. Use
// ColumnTypes on the table's CREATE TABLE text to see the types as
// written, which tells int4 and int8 rowid keys apart.
func TypeOID(declared string) (oid uint32, typmod int32) {
	d := strings.ToLower(strings.TrimSpace(declared))
	base, mods := d, ""
	if i := strings.IndexByte(d, '('); i >= 0 {
		if j := strings.IndexByte(d[i:], ')'); j > 0 {
			mods = d[i+1 : i+j]
			base = strings.TrimSpace(d[:i]) + d[i+j+1:]
			base = strings.Join(strings.Fields(base), " ")
		}
	}
	if o, ok := typesByName[base]; ok {
		return o, typmodFor(o, mods)
	}
	switch {
	case base == "":
		return OIDText, -1
	case strings.HasSuffix(base, "[]"):
		return OIDText, -1
	case strings.Contains(base, "int"):
		return OIDInt8, -1
	case strings.Contains(base, "char"), strings.Contains(base, "clob"), strings.Contains(base, "text"):
		return OIDText, -1
	case strings.Contains(base, "blob"):
		return OIDBytea, -1
	case strings.Contains(base, "real"), strings.Contains(base, "floa"), strings.Contains(base, "doub"):
		return OIDFloat8, -1
	}
	return OIDNumeric, -1
}

func typmodFor(oid uint32, mods string) int32 {
	if mods == "" {
		return -1
	}
	parts := strings.Split(mods, ",")
	n := make([]int, 0, len(parts))
	for _, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return -1
		}
		n = append(n, v)
	}
	switch oid {
	case OIDVarchar, OIDBpchar:
		return int32(n[0] + 4)
	case OIDNumeric:
		s := 0
		if len(n) > 1 {
			s = n[1]
		}
		return int32((n[0]<<16)|s) + 4
	case OIDTimestamp, OIDTimestamptz, OIDTime:
		return int32(n[0])
	}
	return -1
}

func isIntType(oid uint32) bool { return oid == OIDInt2 || oid == OIDInt4 || oid == OIDInt8 }

func isNumericType(oid uint32) bool {
	return isIntType(oid) || oid == OIDNumeric || oid == OIDFloat4 || oid == OIDFloat8
}

func isTextType(oid uint32) bool {
	return oid == OIDText || oid == OIDVarchar || oid == OIDBpchar || oid == OIDName || oid == OIDChar || textForm[oid]
}

// arrayOf maps an element type to its array type, for the arrays kept in
// text form.
var arrayOf = map[uint32]uint32{OIDChar: 1002, OIDName: 1003, OIDInt2: 1005, OIDInt4: 1007, OIDText: 1009,
	OIDVarchar: 1015, OIDInt8: 1016, OIDOID: 1028}

// textForm are the types whose values are stored as their PostgreSQL
// text output (the catalog's arrays and vectors): they compare and cast
// as text.
var textForm = map[uint32]bool{194: true, 22: true, 30: true, 869: true, 1002: true, 1003: true, 1005: true,
	1007: true, 1009: true, 1015: true, 1016: true, 1028: true, 1034: true, 2211: true, 2277: true}

// closingQuote returns the index of the quote that closes the quoted
// token (string literal or identifier) opening at s[open], where a doubled
// quote stands for itself; len(s) when the token is not closed.
func closingQuote(s string, open int) int {
	q := s[open]
	j := open + 1
	for j < len(s) {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j += 2
				continue
			}
			break
		}
		j++
	}
	return j
}

// ColumnTypes returns the declared PostgreSQL type of each column of a
// CREATE TABLE statement that this package wrote (as stored in
// sqlite_schema.sql), keyed by column name. PRAGMA table_info upper-cases
// "integer", which hides that an int8 rowid key (bigserial, bigint
// identity) is written "INTEGER": this reports it as "bigint". Columns it
// cannot read are left out.
func ColumnTypes(createSQL string) map[string]string {
	open := strings.IndexByte(createSQL, '(')
	if open < 0 {
		return nil
	}
	body := createSQL[open+1:]
	out := map[string]string{}
	depth := 0
	start := 0
	inQuote := byte(0)
	var items []string
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case inQuote != 0:
			if c == inQuote {
				inQuote = 0
			}
		case c == '"' || c == '\'':
			inQuote = c
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				items = append(items, body[start:i])
				start = len(body)
				i = len(body)
				continue
			}
			depth--
		case c == ',' && depth == 0:
			items = append(items, body[start:i])
			start = i + 1
		}
	}
	stop := map[string]bool{"not": true, "null": true, "primary": true, "default": true, "unique": true, "check": true,
		"references": true, "generated": true, "collate": true, "constraint": true, "autoincrement": true}
	for _, it := range items {
		it = strings.TrimSpace(it)
		if !strings.HasPrefix(it, `"`) {
			continue
		}
		end := closingQuote(it, 0)
		if end >= len(it) {
			continue
		}
		name := strings.ReplaceAll(it[1:end], `""`, `"`)
		var typ []string
		rest := it[end+1:]
		for rest != "" {
			rest = strings.TrimLeft(rest, " ")
			if rest == "" {
				break
			}
			j := strings.IndexByte(rest, ' ')
			if j < 0 {
				j = len(rest)
			}
			w := rest[:j]
			if stop[strings.ToLower(w)] {
				break
			}
			typ = append(typ, w)
			rest = rest[j:]
		}
		t := strings.Join(typ, " ")
		if t == "INTEGER" {
			t = "bigint"
		}
		out[name] = t
	}
	return out
}
