package catalog

import (
	"strconv"
	"strings"
)

// PostgreSQL arrays are stored in the catalog in their text form, the
// form array_out prints: '{a,b}', '{1,2}', '{}', elements double-quoted
// when they are empty, contain a delimiter, brace, quote, backslash or
// white space, or spell NULL; a NULL element is the bare word NULL. Only
// one-dimensional arrays with lower bound 1 occur. int2vector and
// oidvector columns (pg_index.indkey, pg_proc.proargtypes) use their own
// text form, numbers separated by spaces: '1 2'.

// formatArray builds the text form of a one-dimensional array; a nil
// element is NULL.
func formatArray[T string | *string](elems []T) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		switch x := any(e).(type) {
		case string:
			b.WriteString(arrayElem(x))
		case *string:
			if x == nil {
				b.WriteString("NULL")
			} else {
				b.WriteString(arrayElem(*x))
			}
		}
	}
	b.WriteByte('}')
	return b.String()
}

func formatIntArray(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return "{" + strings.Join(s, ",") + "}"
}

// arrayElem quotes one element for an array's text form when needed.
func arrayElem(s string) string {
	if s != "" && !strings.EqualFold(s, "NULL") && !strings.ContainsAny(s, "{},\"\\ \t\n\r\v\f") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// parseArray reads the text form of a one-dimensional array (a leading
// "[1:3]=" dimension decoration is skipped). A NULL element is nil. ok is
// false when s is not an array literal.
func parseArray(s string) (elems []*string, ok bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		i := strings.Index(s, "=")
		if i < 0 {
			return nil, false
		}
		s = strings.TrimSpace(s[i+1:])
	}
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	if strings.TrimSpace(body) == "" {
		return []*string{}, true
	}
	i := 0
	for {
		for i < len(body) && body[i] == ' ' {
			i++
		}
		var e strings.Builder
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for i < len(body) && body[i] != '"' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				e.WriteByte(body[i])
				i++
			}
			if i >= len(body) {
				return nil, false
			}
			i++ // closing quote
			for i < len(body) && body[i] == ' ' {
				i++
			}
		} else {
			for i < len(body) && body[i] != ',' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				e.WriteByte(body[i])
				i++
			}
		}
		v := e.String()
		if !quoted {
			v = strings.TrimSpace(v)
		}
		if !quoted && strings.EqualFold(v, "NULL") {
			elems = append(elems, nil)
		} else {
			elems = append(elems, &v)
		}
		if i >= len(body) {
			return elems, true
		}
		if body[i] != ',' {
			return nil, false
		}
		i++
	}
}

// parseVector reads an int2vector/oidvector text ('1 2 3').
func parseVector(s string) []*string {
	f := strings.Fields(s)
	out := make([]*string, len(f))
	for i := range f {
		out[i] = &f[i]
	}
	return out
}

// arrayOrVector parses either text form.
func arrayOrVector(s string) ([]*string, bool) {
	if strings.HasPrefix(strings.TrimSpace(s), "{") || strings.HasPrefix(strings.TrimSpace(s), "[") {
		return parseArray(s)
	}
	return parseVector(s), true
}
