package pgsql

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// This file holds the value conversions that casts and column
// assignments need. They run both at plan time (a literal cast such as
// '2024-01-02'::date is folded into a constant) and at run time inside
// SQLite, through the functions that RegisterFunctions installs, so the
// two always agree.
//
// Stored representations (SQLite's own types, so the file stays an
// ordinary SQLite database):
//
//	int2/int4/int8      INTEGER
//	float4/float8       REAL
//	numeric             INTEGER or REAL (SQLite numeric)
//	bool                INTEGER 0/1
//	text/varchar/bpchar TEXT (bpchar blank-padded to its length)
//	bytea               BLOB
//	date                TEXT 2006-01-02
//	timestamp           TEXT 2006-01-02 15:04:05[.ffffff]
//	timestamptz         TEXT 2006-01-02 15:04:05[.ffffff]+00 (UTC)
//	uuid                TEXT, lower case with dashes
//	json/jsonb          TEXT

func invalidInput(typ string, v any) *pgerr.Error {
	return pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s: %q", typ, valueText(v))
}

func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloat(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case time.Time:
		return FormatTimestamptz(x)
	case nil:
		return ""
	}
	return ""
}

func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func intRange(oid uint32) (lo, hi int64, name string) {
	switch oid {
	case OIDInt2:
		return math.MinInt16, math.MaxInt16, "smallint"
	case OIDInt4:
		return math.MinInt32, math.MaxInt32, "integer"
	}
	return math.MinInt64, math.MaxInt64, "bigint"
}

// toInt converts v to an integer of type oid (int2, int4 or int8) as a
// PostgreSQL cast does: text is parsed (22P02 on garbage), fractions are
// rounded half away from zero, and values out of range raise 22003.
func toInt(v any, oid uint32) (any, error) {
	lo, hi, name := intRange(oid)
	var n int64
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		n = x
	case float64:
		r := math.Round(x)
		if math.IsNaN(r) || r < float64(lo) || r >= -float64(lo) {
			return nil, pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", name)
		}
		n = int64(r)
	case bool:
		if x {
			n = 1
		}
	case []byte:
		return toInt(string(x), oid)
	case string:
		s := strings.TrimSpace(x)
		var err error
		n, err = strconv.ParseInt(s, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, pgerr.New(pgerr.NumericValueOutOfRange, "value %q is out of range for type %s", x, name)
			}
			return nil, invalidInput(name, x)
		}
		if n < lo || n > hi {
			return nil, pgerr.New(pgerr.NumericValueOutOfRange, "value %q is out of range for type %s", x, name)
		}
		return n, nil
	default:
		return nil, invalidInput(name, v)
	}
	if n < lo || n > hi {
		return nil, pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", name)
	}
	return n, nil
}

func parseFloatText(s, typ string) (float64, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "nan":
		return math.NaN(), nil
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, pgerr.New(pgerr.NumericValueOutOfRange, "%q is out of range for type %s", s, typ)
		}
		return 0, invalidInput(typ, s)
	}
	return f, nil
}

// toFloat converts v to float8 (or float4).
func toFloat(v any, oid uint32) (any, error) {
	name := "double precision"
	if oid == OIDFloat4 {
		name = "real"
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		return float64(x), nil
	case float64:
		if oid == OIDFloat4 {
			return float64(float32(x)), nil
		}
		return x, nil
	case bool:
		return nil, pgerr.New(pgerr.CannotCoerce, "cannot cast type boolean to %s", name)
	case []byte:
		return toFloat(string(x), oid)
	case string:
		f, err := parseFloatText(x, name)
		if err != nil {
			return nil, err
		}
		if oid == OIDFloat4 {
			f = float64(float32(f))
		}
		return f, nil
	}
	return nil, invalidInput(name, v)
}

// toNumeric converts v to numeric with modifier mod (-1: none). Integral
// values stay INTEGER; others are REAL.
func toNumeric(v any, mod int32) (any, error) {
	var out any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		out = x
	case float64:
		out = x
	case bool:
		return nil, pgerr.New(pgerr.CannotCoerce, "cannot cast type boolean to numeric")
	case []byte:
		return toNumeric(string(x), mod)
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = n
			break
		}
		if strings.EqualFold(s, "nan") {
			out = math.NaN()
			break
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || strings.ContainsAny(s, "xXpP_") || strings.HasPrefix(strings.ToLower(strings.TrimLeft(s, "+-")), "in") {
			return nil, invalidInput("numeric", x)
		}
		out = f
	default:
		return nil, invalidInput("numeric", v)
	}
	if mod < 0 {
		return out, nil
	}
	p, s := int((mod-4)>>16), int((mod-4)&0xffff)
	var f float64
	switch o := out.(type) {
	case int64:
		f = float64(o)
	case float64:
		f = o
	}
	if math.IsNaN(f) {
		return out, nil
	}
	scale := math.Pow(10, float64(s))
	r := math.Round(f*scale) / scale
	if math.Abs(r) >= math.Pow(10, float64(p-s)) {
		return nil, &pgerr.Error{Code: pgerr.NumericValueOutOfRange, Message: "numeric field overflow",
			Detail: "A field with precision " + strconv.Itoa(p) + ", scale " + strconv.Itoa(s) + " must round to an absolute value less than 10^" + strconv.Itoa(p-s) + "."}
	}
	if s == 0 || r == math.Trunc(r) && math.Abs(r) < 1<<53 {
		if i, ok := out.(int64); ok {
			return i, nil
		}
		if s == 0 {
			return int64(r), nil
		}
	}
	return r, nil
}

// parseBool parses PostgreSQL's boolean input syntax.
func parseBool(s string) (bool, bool) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return false, false
	}
	switch {
	case t == "1":
		return true, true
	case t == "0":
		return false, true
	case strings.HasPrefix("true", t):
		return true, true
	case strings.HasPrefix("false", t):
		return false, true
	case strings.HasPrefix("yes", t):
		return true, true
	case strings.HasPrefix("no", t):
		return false, true
	case len(t) >= 2 && strings.HasPrefix("on", t):
		return true, true
	case len(t) >= 2 && strings.HasPrefix("off", t):
		return false, true
	}
	return false, false
}

// toBool converts v to 0/1.
func toBool(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		if x != 0 {
			return int64(1), nil
		}
		return int64(0), nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case float64:
		return nil, pgerr.New(pgerr.CannotCoerce, "cannot cast type double precision to boolean")
	case []byte:
		return toBool(string(x))
	case string:
		b, ok := parseBool(x)
		if !ok {
			return nil, invalidInput("boolean", x)
		}
		if b {
			return int64(1), nil
		}
		return int64(0), nil
	}
	return nil, invalidInput("boolean", v)
}

// FormatTimestamptz formats t as the SQL layer stores timestamptz: UTC,
// microseconds, trailing zeros of the fraction dropped, "+00". Session
// values of timestamp kind (ValueTxnTimestamp, …) MUST be bound in this
// form.
func FormatTimestamptz(t time.Time) string {
	return formatTS(t.UTC()) + "+00"
}

func formatTS(t time.Time) string {
	t = t.Round(time.Microsecond)
	s := t.Format("2006-01-02 15:04:05.000000")
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

var tsLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseTimestamp parses PostgreSQL's common ISO input forms. zoned
// reports whether the text carried a zone; t is in that zone, or UTC.
func parseTimestamp(s, typ string) (t time.Time, zoned bool, err error) {
	orig := s
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "epoch":
		return time.Unix(0, 0).UTC(), false, nil
	case "now", "today", "tomorrow", "yesterday", "infinity", "-infinity":
		return time.Time{}, false, pgerr.New(pgerr.FeatureNotSupported, "%s input %q is not supported", typ, s)
	}
	s = strings.Replace(s, "T", " ", 1)
	if strings.HasSuffix(s, " UTC") || strings.HasSuffix(s, " GMT") {
		s = s[:len(s)-4] + "+00:00"
	}
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "+00:00"
	}
	// Find a zone offset after the time part.
	loc := time.UTC
	if len(s) > 10 {
		rest := s[10:]
		if i := strings.LastIndexAny(rest, "+-"); i >= 0 {
			z := strings.TrimSpace(rest[i+1:])
			sign := 1
			if rest[i] == '-' {
				sign = -1
			}
			z = strings.ReplaceAll(z, ":", "")
			var hh, mm, ss int
			ok := true
			switch len(z) {
			case 1, 2:
				hh, err = strconv.Atoi(z)
			case 4:
				hh, err = strconv.Atoi(z[:2])
				if err == nil {
					mm, err = strconv.Atoi(z[2:])
				}
			case 6:
				hh, _ = strconv.Atoi(z[:2])
				mm, _ = strconv.Atoi(z[2:4])
				ss, err = strconv.Atoi(z[4:])
			default:
				ok = false
			}
			if !ok || err != nil {
				return time.Time{}, false, pgerr.New(pgerr.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", typ, orig)
			}
			loc = time.FixedZone("", sign*(hh*3600+mm*60+ss))
			zoned = true
			s = strings.TrimSpace(s[:10+i])
		}
	}
	for _, l := range tsLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, zoned, nil
		}
	}
	for _, l := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if _, err := time.ParseInLocation(l, s, loc); err != nil {
			if pe, ok := err.(*time.ParseError); ok && strings.Contains(pe.Message, "out of range") {
				return time.Time{}, false, pgerr.New(pgerr.DatetimeFieldOverflow, "date/time field value out of range: %q", orig)
			}
		}
	}
	return time.Time{}, false, pgerr.New(pgerr.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", typ, orig)
}

// toTimestamptz normalizes v to the stored timestamptz text.
func toTimestamptz(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		return FormatTimestamptz(x), nil
	case []byte:
		return toTimestamptz(string(x))
	case string:
		t, _, err := parseTimestamp(x, "timestamp with time zone")
		if err != nil {
			return nil, err
		}
		return FormatTimestamptz(t), nil
	}
	return nil, pgerr.New(pgerr.CannotCoerce, "cannot cast %s to timestamp with time zone", valueText(v))
}

// toTimestamp normalizes v to the stored timestamp text; a zone in the
// input is ignored, as PostgreSQL does.
func toTimestamp(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		return formatTS(x.UTC()), nil
	case []byte:
		return toTimestamp(string(x))
	case string:
		t, zoned, err := parseTimestamp(x, "timestamp without time zone")
		if err != nil {
			return nil, err
		}
		if zoned && strings.HasSuffix(strings.TrimSpace(x), "+00") {
			// A stored timestamptz cast to timestamp: the session's
			// zone is UTC, so the wall clock is the UTC one.
			t = t.UTC()
		}
		return formatTS(time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)), nil
	}
	return nil, pgerr.New(pgerr.CannotCoerce, "cannot cast %s to timestamp without time zone", valueText(v))
}

// toDate normalizes v to the stored date text.
func toDate(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		return x.UTC().Format("2006-01-02"), nil
	case []byte:
		return toDate(string(x))
	case string:
		t, zoned, err := parseTimestamp(x, "date")
		if err != nil {
			return nil, err
		}
		if zoned {
			t = t.UTC()
		}
		return t.Format("2006-01-02"), nil
	}
	return nil, pgerr.New(pgerr.CannotCoerce, "cannot cast %s to date", valueText(v))
}

// toBytea converts text in bytea input syntax (hex \x… or escape) to a
// BLOB.
func toBytea(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return x, nil
	case string:
		if strings.HasPrefix(x, `\x`) || strings.HasPrefix(x, `\X`) {
			h := strings.Join(strings.Fields(x[2:]), "")
			b, err := hex.DecodeString(h)
			if err != nil {
				// PostgreSQL's hex_decode raises 22023, not 22P02.
				if len(h)%2 == 1 {
					return nil, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal data: odd number of digits")
				}
				return nil, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal digit in %q", x)
			}
			return b, nil
		}
		out := make([]byte, 0, len(x))
		for i := 0; i < len(x); i++ {
			c := x[i]
			if c != '\\' {
				out = append(out, c)
				continue
			}
			if i+1 < len(x) && x[i+1] == '\\' {
				out = append(out, '\\')
				i++
				continue
			}
			if i+3 < len(x) && isOct(x[i+1]) && isOct(x[i+2]) && isOct(x[i+3]) {
				out = append(out, (x[i+1]-'0')<<6|(x[i+2]-'0')<<3|(x[i+3]-'0'))
				i += 3
				continue
			}
			return nil, invalidInput("bytea", x)
		}
		return out, nil
	case int64, float64:
		return nil, pgerr.New(pgerr.CannotCoerce, "cannot cast type integer to bytea")
	}
	return nil, invalidInput("bytea", v)
}

func isOct(c byte) bool { return c >= '0' && c <= '7' }

// toUUID normalizes v to the lower-case, dashed form.
func toUUID(v any) (any, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		s = x
	case []byte:
		if len(x) == 16 {
			s = hex.EncodeToString(x)
		} else {
			s = string(x)
		}
	default:
		return nil, invalidInput("uuid", v)
	}
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
		t = t[1 : len(t)-1]
	}
	h := strings.ReplaceAll(t, "-", "")
	if len(h) != 32 {
		return nil, invalidInput("uuid", s)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return nil, invalidInput("uuid", s)
	}
	h = strings.ToLower(h)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// toText renders v (of PostgreSQL type src) as PostgreSQL's text output.
func toText(v any, src uint32) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if src == OIDBpchar {
			// char(n) loses its padding when it becomes text.
			return strings.TrimRight(x, " "), nil
		}
		return x, nil
	case int64:
		if src == OIDBool {
			if x != 0 {
				return "true", nil
			}
			return "false", nil
		}
		return strconv.FormatInt(x, 10), nil
	case float64:
		return formatFloat(x), nil
	case []byte:
		if src == OIDBytea || src == 0 {
			return `\x` + hex.EncodeToString(x), nil
		}
		return string(x), nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case time.Time:
		return FormatTimestamptz(x), nil
	}
	return valueText(v), nil
}

// toVarchar applies varchar(n)/bpchar(n) semantics. explicit is true for
// a cast (silent truncation) and false for an assignment (22001).
func toVarchar(v any, src uint32, oid uint32, mod int32, explicit bool) (any, error) {
	tv, err := toText(v, src)
	if err != nil || tv == nil {
		return tv, err
	}
	s := tv.(string)
	if mod < 4 {
		if oid == OIDBpchar && mod < 0 && !explicit {
			return s, nil
		}
		if oid == OIDBpchar && mod < 0 {
			return s, nil
		}
		return s, nil
	}
	n := int(mod - 4)
	runes := []rune(s)
	if len(runes) > n {
		if !explicit && strings.TrimRight(string(runes[n:]), " ") != "" {
			tn := "character varying"
			if oid == OIDBpchar {
				tn = "character"
			}
			return nil, pgerr.New(pgerr.StringDataRightTruncation, "value too long for type %s(%d)", tn, n)
		}
		runes = runes[:n]
		s = string(runes)
	}
	if oid == OIDBpchar && len(runes) < n {
		s += strings.Repeat(" ", n-len(runes))
	}
	return s, nil
}

// convertValue converts v from type src to type dst, as a cast
// (explicit) or an assignment.
func convertValue(v any, src uint32, dst pgType, explicit bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch dst.oid {
	case OIDInt2, OIDInt4, OIDInt8, OIDOID:
		o := dst.oid
		if o == OIDOID {
			o = OIDInt8
		}
		if src == OIDBool && !explicit {
			return nil, pgerr.New(pgerr.DatatypeMismatch, "column is of type %s but expression is of type boolean", typname(dst.oid))
		}
		return toInt(v, o)
	case OIDFloat4, OIDFloat8:
		return toFloat(v, dst.oid)
	case OIDNumeric:
		return toNumeric(v, dst.mod)
	case OIDBool:
		if f, ok := v.(float64); ok {
			_ = f
			return nil, pgerr.New(pgerr.CannotCoerce, "cannot cast type numeric to boolean")
		}
		return toBool(v)
	case OIDText, OIDName:
		return toText(v, src)
	case 194, 22, 30, 869, 1002, 1003, 1005, 1007, 1009, 1015, 1016, 1028, 1034, 2211, 2277:
		return toText(v, src) // textForm
	case OIDChar:
		// The one-byte "char" of the catalogs (relkind, contype, …).
		t, err := toText(v, src)
		if s, ok := t.(string); ok && len(s) > 1 {
			t = s[:1]
		}
		return t, err
	case OIDJSON, OIDJSONB:
		return toJSON(v, src, dst.oid == OIDJSONB)
	case OIDVarchar, OIDBpchar:
		return toVarchar(v, src, dst.oid, dst.mod, explicit)
	case OIDTimestamptz:
		return toTimestamptz(v)
	case OIDTimestamp:
		return toTimestamp(v)
	case OIDDate:
		return toDate(v)
	case OIDBytea:
		return toBytea(v)
	case OIDUUID:
		return toUUID(v)
	}
	return nil, pgerr.New(pgerr.FeatureNotSupported, "cast to type %s is not supported", typname(dst.oid))
}
