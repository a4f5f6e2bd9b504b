package catalog

import (
	_ "embed"
	"strconv"
	"strings"
)

// Type OIDs of PostgreSQL 15 that the catalog refers to by name.
const (
	OIDBool        uint32 = 16
	OIDBytea       uint32 = 17
	OIDChar        uint32 = 18
	OIDName        uint32 = 19
	OIDInt8        uint32 = 20
	OIDInt2        uint32 = 21
	OIDInt2Vector  uint32 = 22
	OIDInt4        uint32 = 23
	OIDRegproc     uint32 = 24
	OIDText        uint32 = 25
	OIDOid         uint32 = 26
	OIDXid         uint32 = 28
	OIDCid         uint32 = 29
	OIDOidVector   uint32 = 30
	OIDJSON        uint32 = 114
	OIDPgNodeTree  uint32 = 194
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
	OIDBit         uint32 = 1560
	OIDVarbit      uint32 = 1562
	OIDNumeric     uint32 = 1700
	OIDRegclass    uint32 = 2205
	OIDRegtype     uint32 = 2206
	OIDUUID        uint32 = 2950
	OIDJSONB       uint32 = 3802
	OIDXid8        uint32 = 5069
	OIDTextArray   uint32 = 1009
	OIDOidArray    uint32 = 1028
	OIDNameArray   uint32 = 1003
	OIDInt2Array   uint32 = 1005
)

//go:embed data/pg_type.tsv
var pgTypeTSV string

// typeInfo is what the catalog needs of a built-in type.
type typeInfo struct {
	oid       uint32
	name      string // typname
	len       int64
	byval     bool
	align     string
	storage   string
	category  string
	elem      uint32
	array     uint32
	collation uint32
}

var (
	pgTypes     tsv
	typesByOID  = map[uint32]*typeInfo{}
	typesByName = map[string]*typeInfo{}
)

func init() {
	pgTypes = parseTSV(pgTypeTSV)
	c := func(n string) int { return pgTypes.col(n) }
	for _, r := range pgTypes.rows {
		t := &typeInfo{
			oid: atou(r[c("oid")]), name: r[c("typname")], byval: r[c("typbyval")] == "t",
			align: r[c("typalign")], storage: r[c("typstorage")], category: r[c("typcategory")],
			elem: atou(r[c("typelem")]), array: atou(r[c("typarray")]), collation: atou(r[c("typcollation")]),
		}
		t.len, _ = strconv.ParseInt(r[c("typlen")], 10, 64)
		typesByOID[t.oid] = t
		typesByName[t.name] = t
	}
}

func atou(s string) uint32 {
	n, _ := strconv.ParseUint(s, 10, 32)
	return uint32(n)
}

// sqlNames are format_type's names for types that have an SQL-standard
// spelling.
var sqlNames = map[uint32]string{
	OIDBool: "boolean", OIDInt2: "smallint", OIDInt4: "integer", OIDInt8: "bigint",
	OIDFloat4: "real", OIDFloat8: "double precision", OIDBpchar: "character",
	OIDVarchar: "character varying", OIDTime: "time without time zone",
	OIDTimestamp: "timestamp without time zone", OIDTimestamptz: "timestamp with time zone",
	OIDTimetz: "time with time zone", OIDBit: "bit", OIDVarbit: "bit varying",
	OIDNumeric: "numeric", OIDInterval: "interval",
}

// FormatType is PostgreSQL's format_type(oid, typmod) for the built-in
// types; typmod < 0 means none. hasMod false is format_type(oid, NULL)
// (and the output of ::regtype), which prints "character" and "bit"
// where format_type(oid, -1) prints "bpchar" and "\"bit\"".
func FormatType(oid uint32, typmod int32, hasMod bool) string {
	if oid == 0 {
		return "-"
	}
	t := typesByOID[oid]
	if t == nil {
		return "???"
	}
	if t.category == "A" && t.elem != 0 && t.len == -1 {
		return FormatType(t.elem, typmod, hasMod) + "[]"
	}
	name, ok := sqlNames[oid]
	if !ok {
		name = t.name
		if name == "char" || name == "any" || name == "user" {
			name = `"` + name + `"`
		}
	}
	if hasMod && typmod < 0 {
		switch oid {
		case OIDBpchar:
			return "bpchar"
		case OIDBit:
			return `"bit"`
		}
	}
	if typmod < 0 {
		return name
	}
	switch oid {
	case OIDBpchar, OIDVarchar, OIDBit, OIDVarbit:
		if oid == OIDBpchar || oid == OIDVarchar {
			typmod -= 4
		}
		return name + "(" + strconv.Itoa(int(typmod)) + ")"
	case OIDNumeric:
		m := typmod - 4
		return "numeric(" + strconv.Itoa(int(m>>16&0xffff)) + "," + strconv.Itoa(int(int16(m&0xffff))) + ")"
	case OIDTime:
		return "time(" + strconv.Itoa(int(typmod)) + ") without time zone"
	case OIDTimetz:
		return "time(" + strconv.Itoa(int(typmod)) + ") with time zone"
	case OIDTimestamp:
		return "timestamp(" + strconv.Itoa(int(typmod)) + ") without time zone"
	case OIDTimestamptz:
		return "timestamp(" + strconv.Itoa(int(typmod)) + ") with time zone"
	}
	return name
}

// typeAliases maps the spellings a column type can be declared with to
// the type's name in pg_type.
var typeAliases = map[string]string{
	"int": "int4", "integer": "int4", "int4": "int4", "smallint": "int2", "int2": "int2",
	"bigint": "int8", "int8": "int8", "serial": "int4", "serial4": "int4", "bigserial": "int8",
	"serial8": "int8", "smallserial": "int2", "serial2": "int2",
	"real": "float4", "float4": "float4", "double precision": "float8", "float8": "float8", "float": "float8",
	"numeric": "numeric", "decimal": "numeric", "dec": "numeric",
	"boolean": "bool", "bool": "bool", "text": "text", "bytea": "bytea", "name": "name", "oid": "oid",
	"character varying": "varchar", "varchar": "varchar", "char varying": "varchar",
	"character": "bpchar", "char": "bpchar", "bpchar": "bpchar", `"char"`: "char",
	"date": "date", "time": "time", "time without time zone": "time", "timetz": "timetz",
	"time with time zone": "timetz", "timestamp": "timestamp", "timestamp without time zone": "timestamp",
	"timestamptz": "timestamptz", "timestamp with time zone": "timestamptz", "interval": "interval",
	"uuid": "uuid", "json": "json", "jsonb": "jsonb", "inet": "inet", "cidr": "cidr", "macaddr": "macaddr",
	"money": "money", "bit": "bit", "bit varying": "varbit", "varbit": "varbit", "xml": "xml",
	"regclass": "regclass", "regtype": "regtype", "regproc": "regproc",
}

// ParseType resolves a declared column type ("integer", "varchar(40)",
// "character(84)", "numeric(10,2)", "timestamp(3) with time zone",
// "bigserial", "text[]") to its type OID and typmod as PostgreSQL stores
// them in pg_attribute. serial is true for the serial types. ok is false
// for a type the catalog does not know; its columns are reported as text.
func ParseType(decl string) (oid uint32, typmod int32, serial, ok bool) {
	s := strings.ToLower(strings.Join(strings.Fields(decl), " "))
	s = strings.TrimPrefix(s, "pg_catalog.")
	array := false
	for strings.HasSuffix(s, "[]") {
		s, array = strings.TrimSpace(strings.TrimSuffix(s, "[]")), true
	}
	// Pull out "(…)" wherever it is: "timestamp(3) with time zone".
	var mods []int
	if i := strings.IndexByte(s, '('); i >= 0 {
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			return OIDText, -1, false, false
		}
		for _, m := range strings.Split(s[i+1:i+j], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(m))
			if err != nil {
				return OIDText, -1, false, false
			}
			mods = append(mods, n)
		}
		s = strings.TrimSpace(s[:i] + s[i+j+1:])
		s = strings.Join(strings.Fields(s), " ")
	}
	name, known := typeAliases[s]
	if !known {
		return OIDText, -1, false, false
	}
	serial = strings.Contains(s, "serial")
	t := typesByName[name]
	oid, typmod = t.oid, -1
	switch oid {
	case OIDBpchar, OIDVarchar:
		if len(mods) > 0 {
			typmod = int32(mods[0]) + 4
		} else if oid == OIDBpchar {
			typmod = 5 // char means char(1)
		}
	case OIDBit, OIDVarbit:
		if len(mods) > 0 {
			typmod = int32(mods[0])
		} else if oid == OIDBit {
			typmod = 1
		}
	case OIDNumeric:
		if len(mods) == 1 {
			typmod = int32(mods[0])<<16 + 4
		} else if len(mods) == 2 {
			typmod = int32(mods[0])<<16 | int32(mods[1])&0xffff + 4
		}
	case OIDTime, OIDTimetz, OIDTimestamp, OIDTimestamptz:
		if len(mods) > 0 {
			typmod = int32(mods[0])
		}
	}
	if array {
		if t.array == 0 {
			return OIDText, -1, false, false
		}
		oid = t.array
	}
	return oid, typmod, serial, true
}
