package pgsql

import (
	"database/sql/driver"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"modernc.org/sqlite"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// json_build_object and json_build_array build json (not jsonb) text the
// way PostgreSQL's datum_to_json does: `{"a" : 1, "b" : "x"}` and
// `[1, "x"]`, json arguments embedded as written, jsonb as it prints,
// numbers bare (quoted when not valid JSON numbers: NaN, Infinity),
// booleans true/false, everything else its text, quoted and escaped.
// Keys are the text of scalar arguments. The SQLite functions take a
// string of one category letter per argument followed by the arguments'
// text: s (quote), n (number), b (boolean 0/1), j (json: embed).

// jsonCategory is the letter for e's type, or "" when datum_to_json
// prints the type in a way the project does not reproduce (date/time
// types use ISO 8601 with a T).
func jsonCategory(e *expr) string {
	switch o := e.t.oid; {
	case o == OIDBool:
		return "b"
	case isNumericType(o):
		return "n"
	case o == OIDJSON || o == OIDJSONB:
		return "j"
	case o == OIDTimestamp || o == OIDTimestamptz || o == OIDTime || o == OIDTimetz:
		return ""
	}
	return "s"
}

func (t *translator) jsonBuild(name string, f *pg_query.FuncCall, sc *scope) (*expr, error) {
	if name == "json_build_object" && len(f.Args)%2 != 0 {
		return nil, &pgerr.Error{Code: pgerr.InvalidParameterValue, Message: "argument list must have even number of elements",
			Hint: "The arguments of json_build_object() must consist of alternating keys and values.", Position: t.pos(f.Location)}
	}
	args, agg, err := t.resolvedArgs(f.Args, sc)
	if err != nil {
		return nil, err
	}
	var cats strings.Builder
	parts := []string{""}
	for i, e := range args {
		c := jsonCategory(e)
		if c == "" {
			return nil, unsupported("%s of a %s value is not supported", name, typeDisplayName(e.t.oid))
		}
		if name == "json_build_object" && i%2 == 0 && c == "j" {
			return nil, t.errAt(f.Location, pgerr.InvalidParameterValue, "key value must be scalar, not array, composite, or json")
		}
		cats.WriteString(c)
		if c == "b" {
			parts = append(parts, e.sql)
		} else {
			parts = append(parts, t.textSQL(e))
		}
	}
	parts[0] = quoteString(cats.String())
	return &expr{sql: "pg_" + name + "(" + strings.Join(parts, ", ") + ")", t: tJSON, name: name, strength: 2, agg: agg}, nil
}

var jsonBuildFuncs = map[string]sqliteFunc{
	"pg_json_build_object": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		cats, _ := argText(a[0])
		var b strings.Builder
		b.WriteByte('{')
		for i := 1; i+1 < len(a); i += 2 {
			if i > 1 {
				b.WriteString(", ")
			}
			k, ok := argText(a[i])
			if !ok {
				return nil, pgerr.New(pgerr.InvalidParameterValue, "null value not allowed for object key")
			}
			if cats[i-1] == 'b' {
				k = map[bool]string{true: "true", false: "false"}[argInt(a[i]) != 0]
			}
			writeJSONString(&b, k)
			b.WriteString(" : ")
			writeJSONValue(&b, cats[i], a[i+1])
		}
		b.WriteByte('}')
		return b.String(), nil
	}},
	"pg_json_build_array": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		cats, _ := argText(a[0])
		var b strings.Builder
		b.WriteByte('[')
		for i := 1; i < len(a); i++ {
			if i > 1 {
				b.WriteString(", ")
			}
			writeJSONValue(&b, cats[i-1], a[i])
		}
		b.WriteByte(']')
		return b.String(), nil
	}},
}

func writeJSONValue(b *strings.Builder, cat byte, v driver.Value) {
	if v == nil {
		b.WriteString("null")
		return
	}
	switch cat {
	case 'b':
		if argInt(v) != 0 {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
		return
	case 'j':
		s, _ := argText(v)
		b.WriteString(s)
		return
	}
	s, _ := argText(v)
	if cat == 'n' && validJSONNumber(s) {
		b.WriteString(s)
		return
	}
	writeJSONString(b, s)
}

// validJSONNumber reports whether s is a JSON number (NaN and Infinity
// are not).
func validJSONNumber(s string) bool {
	if s == "" || strings.ContainsAny(s, "nNiI") {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// writeJSONString is PostgreSQL's escape_json.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte("0123456789abcdef"[r>>4])
				b.WriteByte("0123456789abcdef"[r&15])
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
