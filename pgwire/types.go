package pgwire

import "strings"

// PostgreSQL type OIDs (pg_type.oid) that RepliSQL reports in
// RowDescription and ParameterDescription and knows how to encode.
const (
	OIDUnspecified uint32 = 0 // Parse: "infer the type"

	OIDBool         uint32 = 16
	OIDBytea        uint32 = 17
	OIDChar         uint32 = 18 // "char": one byte
	OIDName         uint32 = 19
	OIDInt8         uint32 = 20
	OIDInt2         uint32 = 21
	OIDInt4         uint32 = 23
	OIDRegproc      uint32 = 24
	OIDText         uint32 = 25
	OIDOID          uint32 = 26
	OIDXID          uint32 = 28
	OIDCID          uint32 = 29
	OIDJSON         uint32 = 114
	OIDXML          uint32 = 142
	OIDFloat4       uint32 = 700
	OIDFloat8       uint32 = 701
	OIDUnknown      uint32 = 705
	OIDBPChar       uint32 = 1042
	OIDVarchar      uint32 = 1043
	OIDDate         uint32 = 1082
	OIDTime         uint32 = 1083
	OIDTimestamp    uint32 = 1114
	OIDTimestamptz  uint32 = 1184
	OIDInterval     uint32 = 1186
	OIDTimetz       uint32 = 1266
	OIDNumeric      uint32 = 1700
	OIDRegprocedure uint32 = 2202
	OIDRegoper      uint32 = 2203
	OIDRegoperator  uint32 = 2204
	OIDRegclass     uint32 = 2205
	OIDRegtype      uint32 = 2206
	OIDRecord       uint32 = 2249
	OIDVoid         uint32 = 2278
	OIDUUID         uint32 = 2950
	OIDPgLSN        uint32 = 3220
	OIDJSONB        uint32 = 3802
	OIDRegnamespace uint32 = 4089
	OIDRegrole      uint32 = 4096

	// Array types.
	OIDJSONArray        uint32 = 199
	OIDXMLArray         uint32 = 143
	OIDBoolArray        uint32 = 1000
	OIDByteaArray       uint32 = 1001
	OIDCharArray        uint32 = 1002
	OIDNameArray        uint32 = 1003
	OIDInt2Array        uint32 = 1005
	OIDInt4Array        uint32 = 1007
	OIDRegprocArray     uint32 = 1008
	OIDTextArray        uint32 = 1009
	OIDBPCharArray      uint32 = 1014
	OIDVarcharArray     uint32 = 1015
	OIDInt8Array        uint32 = 1016
	OIDFloat4Array      uint32 = 1021
	OIDFloat8Array      uint32 = 1022
	OIDOIDArray         uint32 = 1028
	OIDTimestampArray   uint32 = 1115
	OIDDateArray        uint32 = 1182
	OIDTimeArray        uint32 = 1183
	OIDTimestamptzArray uint32 = 1185
	OIDIntervalArray    uint32 = 1187
	OIDNumericArray     uint32 = 1231
	OIDRegclassArray    uint32 = 2210
	OIDRegtypeArray     uint32 = 2211
	OIDRecordArray      uint32 = 2287
	OIDUUIDArray        uint32 = 2951
	OIDJSONBArray       uint32 = 3807
)

// typeInfo is what RepliSQL knows about one type.
type typeInfo struct {
	name    string // pg_type.typname
	sqlName string // format_type() spelling, used in error messages
	size    int16  // pg_type.typlen
	elem    uint32 // element type of an array type, else 0
	array   uint32 // array type of a scalar type, else 0
}

var typeInfos = map[uint32]*typeInfo{}

func init() {
	scalar := []struct {
		oid, array    uint32
		name, sqlName string
		size          int16
	}{
		{OIDBool, OIDBoolArray, "bool", "boolean", 1},
		{OIDBytea, OIDByteaArray, "bytea", "bytea", -1},
		{OIDChar, OIDCharArray, "char", `"char"`, 1},
		{OIDName, OIDNameArray, "name", "name", 64},
		{OIDInt8, OIDInt8Array, "int8", "bigint", 8},
		{OIDInt2, OIDInt2Array, "int2", "smallint", 2},
		{OIDInt4, OIDInt4Array, "int4", "integer", 4},
		{OIDRegproc, OIDRegprocArray, "regproc", "regproc", 4},
		{OIDText, OIDTextArray, "text", "text", -1},
		{OIDOID, OIDOIDArray, "oid", "oid", 4},
		{OIDXID, 0, "xid", "xid", 4},
		{OIDCID, 0, "cid", "cid", 4},
		{OIDJSON, OIDJSONArray, "json", "json", -1},
		{OIDXML, OIDXMLArray, "xml", "xml", -1},
		{OIDFloat4, OIDFloat4Array, "float4", "real", 4},
		{OIDFloat8, OIDFloat8Array, "float8", "double precision", 8},
		{OIDUnknown, 0, "unknown", "unknown", -2},
		{OIDBPChar, OIDBPCharArray, "bpchar", "character", -1},
		{OIDVarchar, OIDVarcharArray, "varchar", "character varying", -1},
		{OIDDate, OIDDateArray, "date", "date", 4},
		{OIDTime, OIDTimeArray, "time", "time without time zone", 8},
		{OIDTimestamp, OIDTimestampArray, "timestamp", "timestamp without time zone", 8},
		{OIDTimestamptz, OIDTimestamptzArray, "timestamptz", "timestamp with time zone", 8},
		{OIDInterval, OIDIntervalArray, "interval", "interval", 16},
		{OIDTimetz, 0, "timetz", "time with time zone", 12},
		{OIDNumeric, OIDNumericArray, "numeric", "numeric", -1},
		{OIDRegprocedure, 0, "regprocedure", "regprocedure", 4},
		{OIDRegoper, 0, "regoper", "regoper", 4},
		{OIDRegoperator, 0, "regoperator", "regoperator", 4},
		{OIDRegclass, OIDRegclassArray, "regclass", "regclass", 4},
		{OIDRegtype, OIDRegtypeArray, "regtype", "regtype", 4},
		{OIDRecord, OIDRecordArray, "record", "record", -1},
		{OIDVoid, 0, "void", "void", 4},
		{OIDUUID, OIDUUIDArray, "uuid", "uuid", 16},
		{OIDJSONB, OIDJSONBArray, "jsonb", "jsonb", -1},
		{OIDRegnamespace, 0, "regnamespace", "regnamespace", 4},
		{OIDRegrole, 0, "regrole", "regrole", 4},
	}
	for _, s := range scalar {
		typeInfos[s.oid] = &typeInfo{name: s.name, sqlName: s.sqlName, size: s.size, array: s.array}
		if _, ok := typeNames[s.name]; !ok { // unquoted char stays bpchar
			typeNames[s.name] = s.oid
		}
		if s.array != 0 {
			typeInfos[s.array] = &typeInfo{name: "_" + s.name, sqlName: s.sqlName + "[]", size: -1, elem: s.oid}
			typeNames["_"+s.name] = s.array
		}
	}
}

// typeNames maps a normalized type name (see TypeOIDByName) to its OID.
// init adds every typname ("int4", "_int4", ...).
var typeNames = map[string]uint32{
	`"char"`:                      OIDChar,
	"boolean":                     OIDBool,
	"smallint":                    OIDInt2,
	"integer":                     OIDInt4,
	"int":                         OIDInt4,
	"bigint":                      OIDInt8,
	"real":                        OIDFloat4,
	"float":                       OIDFloat8,
	"double precision":            OIDFloat8,
	"decimal":                     OIDNumeric,
	"dec":                         OIDNumeric,
	"character varying":           OIDVarchar,
	"char varying":                OIDVarchar,
	"character":                   OIDBPChar,
	"char":                        OIDBPChar, // unquoted char is character(1)
	"nchar":                       OIDBPChar,
	"national character":          OIDBPChar,
	"national character varying":  OIDVarchar,
	"time without time zone":      OIDTime,
	"time with time zone":         OIDTimetz,
	"timestamp without time zone": OIDTimestamp,
	"timestamp with time zone":    OIDTimestamptz,
	// Not types, but what CREATE TABLE accepts in their place.
	"smallserial": OIDInt2,
	"serial2":     OIDInt2,
	"serial":      OIDInt4,
	"serial4":     OIDInt4,
	"bigserial":   OIDInt8,
	"serial8":     OIDInt8,
}

// TypeOIDByName returns the OID of a type named as in SQL: a typname
// ("int4", "_text"), a standard spelling ("integer", "character varying",
// "timestamp with time zone", "double precision"), optionally qualified
// with pg_catalog, with a type modifier ("varchar(20)", "numeric(10,2)",
// "timestamp(3) with time zone", "float(24)") and array brackets
// ("int[]", "text[][]", "integer array"). Case and extra blanks do not
// matter; a quoted name is taken literally except for the quotes.
func TypeOIDByName(name string) (uint32, bool) {
	n := strings.ToLower(strings.Join(strings.Fields(name), " "))
	n = strings.TrimPrefix(n, "pg_catalog.")
	n = strings.TrimPrefix(n, `"pg_catalog".`)
	isArray := false
	for {
		switch {
		case strings.HasSuffix(n, "]"):
			i := strings.LastIndexByte(n, '[')
			if i < 0 {
				return 0, false
			}
			n = strings.TrimSpace(n[:i])
			isArray = true
			continue
		case strings.HasSuffix(n, " array"):
			n = strings.TrimSuffix(n, " array")
			isArray = true
			continue
		}
		break
	}
	// Type modifier: "(...)" anywhere, e.g. "timestamp(3) with time zone".
	floatPrec := -1
	if i := strings.IndexByte(n, '('); i >= 0 {
		j := strings.IndexByte(n[i:], ')')
		if j < 0 {
			return 0, false
		}
		mod := strings.TrimSpace(n[i+1 : i+j])
		if strings.TrimSpace(n[:i]) == "float" {
			p := 0
			for _, c := range []byte(mod) {
				if c < '0' || c > '9' || p > 1000 {
					return 0, false
				}
				p = p*10 + int(c-'0')
			}
			floatPrec = p
		}
		n = strings.TrimSpace(strings.TrimSpace(n[:i]) + " " + strings.TrimSpace(n[i+j+1:]))
	}
	if n != `"char"` && len(n) > 1 && n[0] == '"' && n[len(n)-1] == '"' {
		n = n[1 : len(n)-1]
	}
	oid, ok := typeNames[n]
	if !ok {
		return 0, false
	}
	if floatPrec >= 0 {
		if floatPrec < 1 || floatPrec > 53 {
			return 0, false
		}
		if floatPrec <= 24 {
			oid = OIDFloat4
		}
	}
	if isArray {
		if ti := typeInfos[oid]; ti != nil && ti.array != 0 {
			return ti.array, true
		}
		return 0, false
	}
	return oid, true
}

// TypeName returns pg_type.typname of oid ("int4", "_text"), or "" if
// RepliSQL does not know the type.
func TypeName(oid uint32) string {
	if ti := typeInfos[oid]; ti != nil {
		return ti.name
	}
	return ""
}

// TypeSize returns pg_type.typlen of oid, RowDescription's type size:
// 1, 2, 4, 8, 12, 16 or 64 for fixed-size types, -1 for variable-length
// ones and -2 for unknown (a C string). Unknown OIDs report -1.
func TypeSize(oid uint32) int16 {
	if ti := typeInfos[oid]; ti != nil {
		return ti.size
	}
	return -1
}

// ArrayElemOID returns the element type of an array type, or 0 if oid is
// not a known array type.
func ArrayElemOID(oid uint32) uint32 {
	if ti := typeInfos[oid]; ti != nil {
		return ti.elem
	}
	return 0
}

// ArrayOID returns the array type whose elements are of type oid, or 0.
func ArrayOID(oid uint32) uint32 {
	if ti := typeInfos[oid]; ti != nil {
		return ti.array
	}
	return 0
}

// sqlTypeName is the spelling of oid in PostgreSQL's error messages
// ("integer", "timestamp with time zone").
func sqlTypeName(oid uint32) string {
	if ti := typeInfos[oid]; ti != nil {
		return ti.sqlName
	}
	return "unknown"
}
