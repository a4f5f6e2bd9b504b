package pgsql

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// builtinFuncs are PostgreSQL built-ins without a SQLite equivalent:
// round(double precision), make_date, quote_literal/quote_nullable,
// json[b]_typeof and json[b]_array_length.
var builtinFuncs = map[string]sqliteFunc{
	// pg_rint(x) is round(double precision): rint(), halves to even.
	"pg_rint": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		x, ok := toF(a[0])
		if !ok {
			return nil, nil
		}
		return math.RoundToEven(x), nil
	}},
	"pg_make_date": {3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		if a[0] == nil || a[1] == nil || a[2] == nil {
			return nil, nil
		}
		y, m, d := argInt(a[0]), argInt(a[1]), argInt(a[2])
		t := time.Date(int(y), time.Month(m), int(d), 0, 0, 0, 0, time.UTC)
		if y <= 0 || t.Year() != int(y) || int64(t.Month()) != m || int64(t.Day()) != d {
			return nil, pgerr.New(pgerr.DatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
		}
		return t.Format("2006-01-02"), nil
	}},
	"pg_quote_literal": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return nil, nil
		}
		return quoteLiteral(s), nil
	}},
	"pg_quote_nullable": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return "NULL", nil
		}
		return quoteLiteral(s), nil
	}},
	"pg_json_typeof": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		v, ok, err := jsonArg(a[0])
		if !ok || err != nil {
			return nil, err
		}
		switch v.(type) {
		case map[string]any:
			return "object", nil
		case []any:
			return "array", nil
		case string:
			return "string", nil
		case json.Number:
			return "number", nil
		case bool:
			return "boolean", nil
		}
		return "null", nil
	}},
	// pg_jsonb_concat(a, b) is jsonb || jsonb: two objects merge (b's
	// keys win), arrays concatenate, and a scalar is taken as a
	// one-element array.
	"pg_jsonb_concat": {2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		x, ok1, err := jsonArg(a[0])
		if err != nil {
			return nil, err
		}
		y, ok2, err := jsonArg(a[1])
		if !ok1 || !ok2 || err != nil {
			return nil, err
		}
		xo, xObj := x.(map[string]any)
		yo, yObj := y.(map[string]any)
		var out any
		if xObj && yObj {
			for k, v := range yo {
				xo[k] = v
			}
			out = xo
		} else {
			out = append(asArray(x), asArray(y)...)
		}
		var b bytes.Buffer
		writeJSONB(&b, out)
		return b.String(), nil
	}},
	"pg_json_array_length": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		v, ok, err := jsonArg(a[0])
		if !ok || err != nil {
			return nil, err
		}
		arr, isArr := v.([]any)
		if !isArr {
			if _, isObject := v.(map[string]any); !isObject {
				return nil, pgerr.New(pgerr.InvalidParameterValue, "cannot get array length of a scalar")
			}
			return nil, pgerr.New(pgerr.InvalidParameterValue, "cannot get array length of a non-array")
		}
		return int64(len(arr)), nil
	}},
}

// quoteLiteral is quote_literal(): single quotes doubled, and an E”
// string with doubled backslashes when there are backslashes.
func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// escapeBytea is encode(b, 'escape'): NUL and bytes with the high bit set
// as \ooo, a backslash doubled, everything else as it is.
func escapeBytea(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == 0 || c >= 0x80:
			fmt.Fprintf(&sb, "\\%03o", c)
		case c == '\\':
			sb.WriteString(`\\`)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

func asArray(v any) []any {
	if arr, ok := v.([]any); ok {
		return arr
	}
	return []any{v}
}

// jsonArg decodes a json or jsonb argument; ok is false for NULL.
func jsonArg(v driver.Value) (any, bool, error) {
	s, ok := argText(v)
	if !ok {
		return nil, false, nil
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, false, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type json: %s", fmt.Sprint(err))
	}
	return out, true, nil
}
