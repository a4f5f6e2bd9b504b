package pgsql

import (
	"database/sql/driver"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"

	"modernc.org/sqlite"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// More of PostgreSQL's string functions, as SQLite functions.
var textFuncs = map[string]sqliteFunc{
	"pg_split_part": {3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok1 := argText(a[0])
		d, ok2 := argText(a[1])
		if !ok1 || !ok2 || a[2] == nil {
			return nil, nil
		}
		n := int(argInt(a[2]))
		if n == 0 {
			return nil, pgerr.New(pgerr.InvalidParameterValue, "field position must not be zero")
		}
		var parts []string
		if d == "" {
			parts = []string{s}
		} else {
			parts = strings.Split(s, d)
		}
		if n < 0 {
			n = len(parts) + n + 1
		}
		if n < 1 || n > len(parts) {
			return "", nil
		}
		return parts[n-1], nil
	}},
	"pg_initcap": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return nil, nil
		}
		r := []rune(s)
		start := true
		for i, c := range r {
			if unicode.IsLetter(c) || unicode.IsDigit(c) {
				if start {
					r[i] = unicode.ToUpper(c)
				} else {
					r[i] = unicode.ToLower(c)
				}
				start = false
			} else {
				start = true
			}
		}
		return string(r), nil
	}},
	"pg_reverse": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return nil, nil
		}
		r := []rune(s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r), nil
	}},
	"pg_starts_with": {2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok1 := argText(a[0])
		p, ok2 := argText(a[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		return boolInt(strings.HasPrefix(s, p)), nil
	}},
	"pg_translate": {3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok1 := argText(a[0])
		from, ok2 := argText(a[1])
		to, ok3 := argText(a[2])
		if !ok1 || !ok2 || !ok3 {
			return nil, nil
		}
		fr, tr := []rune(from), []rune(to)
		var b strings.Builder
		for _, c := range s {
			i := strings.IndexRune(from, c)
			if i < 0 {
				b.WriteRune(c)
				continue
			}
			k := len([]rune(from[:i]))
			_ = fr
			if k < len(tr) {
				b.WriteRune(tr[k])
			}
		}
		return b.String(), nil
	}},
	"pg_chr": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		if a[0] == nil {
			return nil, nil
		}
		n := argInt(a[0])
		if n <= 0 || n > unicode.MaxRune {
			return nil, pgerr.New(pgerr.ProgramLimitExceeded, "requested character too large for encoding: %d", n)
		}
		return string(rune(n)), nil
	}},
	"pg_ascii": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return nil, nil
		}
		for _, c := range s {
			return int64(c), nil
		}
		return int64(0), nil
	}},
	"pg_to_hex": {1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		if a[0] == nil {
			return nil, nil
		}
		return strconv.FormatUint(uint64(argInt(a[0])), 16), nil
	}},
	"pg_encode": {2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		f, ok := argText(a[1])
		if !ok || a[0] == nil {
			return nil, nil
		}
		var b []byte
		switch x := a[0].(type) {
		case []byte:
			b = x
		default:
			s, _ := argText(x)
			b = []byte(s)
		}
		switch strings.ToLower(f) {
		case "hex":
			return hex.EncodeToString(b), nil
		case "base64":
			return base64.StdEncoding.EncodeToString(b), nil
		case "escape":
			return escapeBytea(b), nil
		}
		return nil, pgerr.New(pgerr.InvalidParameterValue, "unrecognized encoding: %q", f)
	}},
	"pg_decode": {2, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok1 := argText(a[0])
		f, ok2 := argText(a[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		switch strings.ToLower(f) {
		case "hex":
			b, err := hex.DecodeString(s)
			if err != nil {
				return nil, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal data")
			}
			return b, nil
		case "base64":
			b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
			if err != nil {
				return nil, pgerr.New(pgerr.InvalidParameterValue, "invalid base64 data")
			}
			return b, nil
		case "escape":
			return toBytea(s)
		}
		return nil, pgerr.New(pgerr.InvalidParameterValue, "unrecognized encoding: %q", f)
	}},
	"pg_regexp_replace": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok1 := argText(a[0])
		p, ok2 := argText(a[1])
		r, ok3 := argText(a[2])
		if !ok1 || !ok2 || !ok3 {
			return nil, nil
		}
		flags := ""
		if len(a) > 3 {
			flags, _ = argText(a[3])
		}
		re, err := compileRegexp(p, strings.Contains(flags, "i"))
		if err != nil {
			return nil, err
		}
		// PostgreSQL writes \1 and \& in the replacement.
		var rb strings.Builder
		for i := 0; i < len(r); i++ {
			if r[i] == '\\' && i+1 < len(r) {
				c := r[i+1]
				switch {
				case c >= '1' && c <= '9':
					rb.WriteString("${" + string(c) + "}")
					i++
					continue
				case c == '&':
					rb.WriteString("${0}")
					i++
					continue
				case c == '\\':
					rb.WriteByte('\\')
					i++
					continue
				}
			}
			if r[i] == '$' {
				rb.WriteString("$$")
				continue
			}
			rb.WriteByte(r[i])
		}
		if strings.Contains(flags, "g") {
			return re.ReplaceAllString(s, rb.String()), nil
		}
		loc := re.FindStringSubmatchIndex(s)
		if loc == nil {
			return s, nil
		}
		var out []byte
		out = re.ExpandString(out, rb.String(), s, loc)
		return s[:loc[0]] + string(out) + s[loc[1]:], nil
	}},
}
