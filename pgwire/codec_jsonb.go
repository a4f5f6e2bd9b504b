package pgwire

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// jsonb is stored as the text jsonb_out prints, so that what a client
// reads back is what PostgreSQL would print: object keys sorted by
// length and then bytes, the last of duplicate keys kept, numbers in
// numeric's canonical form, ", " and ": " as separators, strings
// re-escaped as escape_json does.

type jsonbValue struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'l' literal
	text string
	arr  []jsonbValue
	keys []string
	vals []jsonbValue
}

func errJSONB(detail string) error {
	return &pgerr.Error{Code: pgerr.InvalidTextRepresentation, Message: "invalid input syntax for type json", Detail: detail}
}

// normalizeJSONB parses JSON text and appends jsonb_out's rendering.
func normalizeJSONB(buf []byte, in []byte) ([]byte, error) {
	if !json.Valid(in) {
		return buf, errJSONB("")
	}
	if bytes.Contains(in, []byte(`\u0000`)) {
		return buf, pgerr.New("22P05", "unsupported Unicode escape sequence")
	}
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	v, err := readJSONB(dec)
	if err != nil {
		return buf, errJSONB(err.Error())
	}
	return appendJSONB(buf, &v), nil
}

func readJSONB(dec *json.Decoder) (jsonbValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return jsonbValue{}, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			v := jsonbValue{kind: 'a'}
			for dec.More() {
				e, err := readJSONB(dec)
				if err != nil {
					return v, err
				}
				v.arr = append(v.arr, e)
			}
			_, err := dec.Token()
			return v, err
		}
		v := jsonbValue{kind: 'o'}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return v, err
			}
			key, _ := k.(string)
			e, err := readJSONB(dec)
			if err != nil {
				return v, err
			}
			v.keys = append(v.keys, key)
			v.vals = append(v.vals, e)
		}
		if _, err := dec.Token(); err != nil {
			return v, err
		}
		sortJSONBObject(&v)
		return v, nil
	case string:
		return jsonbValue{kind: 's', text: t}, nil
	case json.Number:
		out, err := appendNumericCanonical(nil, string(t))
		if err != nil {
			return jsonbValue{}, err
		}
		return jsonbValue{kind: 'n', text: string(out)}, nil
	case bool:
		if t {
			return jsonbValue{kind: 'l', text: "true"}, nil
		}
		return jsonbValue{kind: 'l', text: "false"}, nil
	case nil:
		return jsonbValue{kind: 'l', text: "null"}, nil
	}
	return jsonbValue{}, io.ErrUnexpectedEOF
}

// sortJSONBObject orders keys as jsonb does and keeps the last value of
// a duplicated key.
func sortJSONBObject(v *jsonbValue) {
	idx := make([]int, len(v.keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := v.keys[idx[a]], v.keys[idx[b]]
		if len(ka) != len(kb) {
			return len(ka) < len(kb)
		}
		return ka < kb
	})
	keys := make([]string, 0, len(idx))
	vals := make([]jsonbValue, 0, len(idx))
	for _, i := range idx {
		if n := len(keys); n > 0 && keys[n-1] == v.keys[i] {
			vals[n-1] = v.vals[i] // later duplicate wins
			continue
		}
		keys = append(keys, v.keys[i])
		vals = append(vals, v.vals[i])
	}
	v.keys, v.vals = keys, vals
}

func appendJSONB(buf []byte, v *jsonbValue) []byte {
	switch v.kind {
	case 'o':
		buf = append(buf, '{')
		for i := range v.keys {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendJSONString(buf, v.keys[i])
			buf = append(buf, ": "...)
			buf = appendJSONB(buf, &v.vals[i])
		}
		return append(buf, '}')
	case 'a':
		buf = append(buf, '[')
		for i := range v.arr {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendJSONB(buf, &v.arr[i])
		}
		return append(buf, ']')
	case 's':
		return appendJSONString(buf, v.text)
	}
	return append(buf, v.text...)
}

// appendJSONString is PostgreSQL's escape_json.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\b':
			buf = append(buf, `\b`...)
		case '\f':
			buf = append(buf, `\f`...)
		case '\n':
			buf = append(buf, `\n`...)
		case '\r':
			buf = append(buf, `\r`...)
		case '\t':
			buf = append(buf, `\t`...)
		case '"':
			buf = append(buf, `\"`...)
		case '\\':
			buf = append(buf, `\\`...)
		default:
			if c < 0x20 {
				buf = append(buf, `\u00`...)
				buf = append(buf, hexDigits[c>>4], hexDigits[c&15])
			} else {
				buf = append(buf, c)
			}
		}
	}
	return append(buf, '"')
}
