package pgsql

import (
	"database/sql/driver"
	"strconv"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"modernc.org/sqlite"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// format() and string_to_array(), as PostgreSQL's text_format and
// text_to_array: SQLite functions given the arguments' text output.

// outputSQL is e as its type's output function prints it (booleans t/f),
// the text format() and concat() see.
func (t *translator) outputSQL(e *expr) string {
	if e.t.oid == OIDBool {
		return "(CASE WHEN " + e.sql + " IS NULL THEN NULL WHEN " + e.sql + " THEN 't' ELSE 'f' END)"
	}
	return t.textSQL(e)
}

// formatCall translates format(formatstr [, arg …]).
func (t *translator) formatCall(f *pg_query.FuncCall, sc *scope) (*expr, error) {
	if len(f.Args) == 0 {
		return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function format() does not exist")
	}
	args, agg, err := t.resolvedArgs(f.Args, sc)
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(args))
	for i, e := range args {
		if i == 0 {
			if e, err = t.coerce(e, tText); err != nil {
				return nil, err
			}
		}
		parts[i] = t.outputSQL(e)
	}
	return &expr{sql: "pg_format(" + strings.Join(parts, ", ") + ")", t: tText, name: "format", strength: 2, agg: agg}, nil
}

// stringToArray translates string_to_array(str, delimiter [, null_string]):
// a text[] in its text form, as the project keeps arrays.
func (t *translator) stringToArray(f *pg_query.FuncCall, sc *scope) (*expr, error) {
	if len(f.Args) < 2 || len(f.Args) > 3 {
		return nil, t.errAt(f.Location, pgerr.UndefinedFunction, "function string_to_array with %d arguments does not exist", len(f.Args))
	}
	parts := make([]string, 3)
	parts[2] = "NULL"
	agg := false
	for i, a := range f.Args {
		e, err := t.expr(a, sc)
		if err != nil {
			return nil, err
		}
		if e, err = t.coerce(e, tText); err != nil {
			return nil, err
		}
		parts[i] = t.textSQL(e)
		agg = agg || e.agg
	}
	return &expr{sql: "pg_string_to_array(" + strings.Join(parts, ", ") + ")", t: pgType{arrayOf[OIDText], -1},
		name: "string_to_array", strength: 2, agg: agg}, nil
}

var formatFuncs = map[string]sqliteFunc{
	"pg_format": {-1, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		fs, ok := argText(a[0])
		if !ok {
			return nil, nil
		}
		args := make([]*string, len(a)-1)
		for i, v := range a[1:] {
			if s, ok := argText(v); ok {
				args[i] = &s
			}
		}
		s, err := textFormat(fs, args)
		if err != nil {
			return nil, err
		}
		return s, nil
	}},
	"pg_string_to_array": {3, func(_ *sqlite.FunctionContext, a []driver.Value) (driver.Value, error) {
		s, ok := argText(a[0])
		if !ok {
			return nil, nil
		}
		delim, hasDelim := argText(a[1])
		null, hasNull := argText(a[2])
		var elems []string
		switch {
		case s == "":
			return "{}", nil
		case !hasDelim:
			for _, r := range s {
				elems = append(elems, string(r))
			}
		case delim == "":
			elems = []string{s}
		default:
			elems = strings.Split(s, delim)
		}
		var b strings.Builder
		b.WriteByte('{')
		for i, e := range elems {
			if i > 0 {
				b.WriteByte(',')
			}
			if hasNull && e == null {
				b.WriteString("NULL")
				continue
			}
			b.WriteString(arrayElemText(e))
		}
		b.WriteByte('}')
		return b.String(), nil
	}},
}

// arrayElemText quotes an element of an array's text form as array_out
// does: when it is empty, spells NULL, or holds a brace, comma, quote,
// backslash or white space.
func arrayElemText(s string) string {
	if s != "" && !strings.EqualFold(s, "NULL") && !strings.ContainsAny(s, "{},\"\\ \t\n\r\v\f") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func formatError(format string, args ...any) *pgerr.Error {
	e := pgerr.New(pgerr.InvalidParameterValue, format, args...)
	return e
}

var errFormatUnterminated = &pgerr.Error{Code: pgerr.InvalidParameterValue,
	Message: "unterminated format() type specifier", Hint: `For a single "%" use "%%".`}

// textFormat is PostgreSQL's format(): %[position$][-][width]type with
// type s (text), I (identifier, quoted as needed) or L (literal), width a
// number, * (the next argument) or *n$; %% is a percent sign. A nil
// argument is NULL.
func textFormat(fs string, args []*string) (string, error) {
	var b strings.Builder
	next := 0 // index in args of the next implicit argument
	for i := 0; i < len(fs); i++ {
		if fs[i] != '%' {
			b.WriteByte(fs[i])
			continue
		}
		i++
		if i >= len(fs) {
			return "", errFormatUnterminated
		}
		if fs[i] == '%' {
			b.WriteByte('%')
			continue
		}
		// The specifier: [argpos$][-][width | * | *n$]type.
		argpos, widthpos, width, left := 0, -1, 0, false
		digits := func() (int, bool, error) {
			j, n := i, 0
			for j < len(fs) && fs[j] >= '0' && fs[j] <= '9' {
				n = n*10 + int(fs[j]-'0')
				if n > 1<<31-1 {
					return 0, false, pgerr.New(pgerr.NumericValueOutOfRange, "number is out of range")
				}
				j++
			}
			if j == i {
				return 0, false, nil
			}
			if j >= len(fs) {
				return 0, false, errFormatUnterminated
			}
			i = j
			return n, true, nil
		}
		n, ok, err := digits()
		if err != nil {
			return "", err
		}
		explicitWidth := false
		if ok {
			if fs[i] != '$' {
				width, explicitWidth = n, true
			} else {
				if n == 0 {
					return "", formatError("format specifies argument 0, but arguments are numbered from 1")
				}
				argpos = n
				if i++; i >= len(fs) {
					return "", errFormatUnterminated
				}
			}
		}
		if !explicitWidth {
			for fs[i] == '-' {
				left = true
				if i++; i >= len(fs) {
					return "", errFormatUnterminated
				}
			}
			if fs[i] == '*' {
				if i++; i >= len(fs) {
					return "", errFormatUnterminated
				}
				n, ok, err := digits()
				if err != nil {
					return "", err
				}
				widthpos = 0
				if ok {
					if fs[i] != '$' {
						return "", formatError(`width argument position must be ended by "$"`)
					}
					if n == 0 {
						return "", formatError("format specifies argument 0, but arguments are numbered from 1")
					}
					widthpos = n
					if i++; i >= len(fs) {
						return "", errFormatUnterminated
					}
				}
			} else {
				n, ok, err := digits()
				if err != nil {
					return "", err
				}
				if ok {
					width = n
				}
			}
		}
		conv := fs[i]
		if conv != 's' && conv != 'I' && conv != 'L' {
			r, _ := utf8.DecodeRuneInString(fs[i:])
			return "", &pgerr.Error{Code: pgerr.InvalidParameterValue,
				Message: "unrecognized format() type specifier \"" + string(r) + "\"", Hint: `For a single "%" use "%%".`}
		}
		if widthpos >= 0 {
			k := next
			if widthpos > 0 {
				k = widthpos - 1
			}
			if k >= len(args) {
				return "", formatError("too few arguments for format()")
			}
			next = k + 1
			width = 0
			if w := args[k]; w != nil {
				v, err := strconv.ParseInt(strings.TrimSpace(*w), 10, 32)
				if err != nil {
					return "", pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type integer: \"%s\"", *w)
				}
				width = int(v)
			}
		}
		k := next
		if argpos > 0 {
			k = argpos - 1
		}
		if k >= len(args) {
			return "", formatError("too few arguments for format()")
		}
		next = k + 1
		var s string
		switch v := args[k]; {
		case v == nil && conv == 'I':
			return "", pgerr.New(pgerr.NullValueNotAllowed, "null values cannot be formatted as an SQL identifier")
		case v == nil && conv == 'L':
			s = "NULL"
		case v == nil:
		case conv == 'I':
			s = pgQuoteIdent(*v)
		case conv == 'L':
			s = quoteLiteral(*v)
		default:
			s = *v
		}
		if width < 0 {
			left, width = true, -width
		}
		pad := width - utf8.RuneCountInString(s)
		if pad > 0 && !left {
			b.WriteString(strings.Repeat(" ", pad))
		}
		b.WriteString(s)
		if pad > 0 && left {
			b.WriteString(strings.Repeat(" ", pad))
		}
	}
	return b.String(), nil
}
