package pgsql

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// toJSON validates json input; jsonb input is also normalized the way
// PostgreSQL prints jsonb: keys sorted (shorter first, then bytewise),
// duplicates keep the last value, ", " and ": " as separators.
func toJSON(v any, src uint32, binary bool) (any, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64, float64:
		s = valueText(x)
	default:
		return nil, invalidInput("json", v)
	}
	typ := "json"
	if binary {
		typ = "jsonb"
	}
	if !json.Valid([]byte(s)) {
		return nil, &pgerr.Error{Code: pgerr.InvalidTextRepresentation, Message: "invalid input syntax for type " + typ, Detail: "Token is invalid."}
	}
	if !binary || src == OIDJSONB {
		return s, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil {
		return nil, invalidInput(typ, s)
	}
	var b bytes.Buffer
	writeJSONB(&b, val)
	return b.String(), nil
}

func writeJSONB(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if len(keys[i]) != len(keys[j]) {
				return len(keys[i]) < len(keys[j])
			}
			return keys[i] < keys[j]
		})
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteString(": ")
			writeJSONB(b, x[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONB(b, e)
		}
		b.WriteByte(']')
	case json.Number:
		b.WriteString(x.String())
	case string:
		e := json.NewEncoder(b)
		e.SetEscapeHTML(false)
		_ = e.Encode(x)
		b.Truncate(b.Len() - 1) // Encode's newline
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case nil:
		b.WriteString("null")
	}
}
