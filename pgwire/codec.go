package pgwire

// The value codec: SQLite representation <-> PostgreSQL wire encodings.
//
// SQLite representation (what the session layer stores and reads, see
// handler.go) and how each PostgreSQL type maps onto it:
//
//	bool                      int64 0 or 1
//	int2, int4, int8          int64
//	oid, reg*, xid, cid       int64
//	float4, float8            float64
//	numeric                   string: canonical decimal text ("1.50",
//	                          "-0.001", "NaN", "Infinity"); int64 and
//	                          float64 are accepted when encoding
//	text, varchar, bpchar,
//	name, "char", xml, json,
//	jsonb, unknown, OID 0     string
//	bytea                     []byte
//	date                      string "YYYY-MM-DD" ("infinity", "-infinity",
//	                          "YYYY-MM-DD BC")
//	time                      string "HH:MM:SS[.ffffff]"
//	timestamp                 string "YYYY-MM-DD HH:MM:SS[.ffffff]"
//	timestamptz               string "YYYY-MM-DD HH:MM:SS[.ffffff]+00" (UTC)
//	interval                  string in PostgreSQL's output form
//	                          ("1 year 2 mons 3 days 04:05:06.5")
//	uuid                      string, canonical lower case with hyphens
//	arrays                    string: the array's text literal ("{1,2,NULL}")
//
// time.Time (what the SQLite driver returns for columns declared date or
// timestamp) is accepted when encoding date, time, timestamp and
// timestamptz; decoding never produces it.
//
// DECODING (DecodeParam) ALWAYS RETURNS A VALUE THAT DOES NOT ALIAS ITS
// INPUT, and fails with the *pgerr.Error PostgreSQL would raise.
//
// ENCODING (AppendValue) is lenient in text format and strict in binary:
// SQLite is dynamically typed, so a column declared int4 may hold 'abc'.
// In text format such a value is printed in its own text form (what
// SQLite's CAST(x AS TEXT) gives; a string that parses as the declared
// type is normalized where PostgreSQL's output differs, e.g. a timestamptz
// without zone gains "+00"). In binary format a value that cannot be
// converted to the declared type is an error (42804 datatype_mismatch, or
// 22003 when an integer does not fit) rather than bytes a client would
// misread.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Format codes of the extended protocol.
const (
	FormatText   int16 = 0
	FormatBinary int16 = 1
)

// kind groups the OIDs that share an encoding.
type kind uint8

const (
	kindText kind = iota // text-like: the value is the string itself
	kindBool
	kindBytea
	kindChar
	kindInt2
	kindInt4
	kindInt8
	kindOID
	kindFloat4
	kindFloat8
	kindNumeric
	kindDate
	kindTime
	kindTimestamp
	kindTimestamptz
	kindInterval
	kindUUID
	kindJSON
	kindJSONB
	kindVoid
	kindArray
	kindTextOnly // timetz, record: no binary codec
	kindLSN      // pg_lsn: text "X/X", binary uint64
)

func kindOf(oid uint32) kind {
	switch oid {
	case OIDInt4:
		return kindInt4
	case OIDText, OIDVarchar, OIDBPChar, OIDName, OIDUnknown, OIDUnspecified, OIDXML:
		return kindText
	case OIDInt8:
		return kindInt8
	case OIDTimestamptz:
		return kindTimestamptz
	case OIDNumeric:
		return kindNumeric
	case OIDBool:
		return kindBool
	case OIDFloat8:
		return kindFloat8
	case OIDInt2:
		return kindInt2
	case OIDFloat4:
		return kindFloat4
	case OIDBytea:
		return kindBytea
	case OIDChar:
		return kindChar
	case OIDOID, OIDRegproc, OIDRegprocedure, OIDRegoper, OIDRegoperator, OIDRegclass,
		OIDRegtype, OIDRegnamespace, OIDRegrole, OIDXID, OIDCID:
		return kindOID
	case OIDDate:
		return kindDate
	case OIDTime:
		return kindTime
	case OIDTimestamp:
		return kindTimestamp
	case OIDInterval:
		return kindInterval
	case OIDUUID:
		return kindUUID
	case OIDJSON:
		return kindJSON
	case OIDJSONB:
		return kindJSONB
	case OIDVoid:
		return kindVoid
	case OIDTimetz, OIDRecord:
		return kindTextOnly
	case OIDPgLSN:
		return kindLSN
	}
	if ArrayElemOID(oid) != 0 {
		return kindArray
	}
	return kindText
}

// AppendValue appends the encoding of v, a non-nil value in SQLite
// representation, for a result column of type oid in format 0 (text) or
// 1 (binary), without the length prefix. Text output is what PostgreSQL
// 15 prints with its default settings (DateStyle ISO, IntervalStyle
// postgres, extra_float_digits 1, bytea_output hex); binary output is what
// its send functions produce. See the file comment for values that do not
// fit the column's type.
func AppendValue(buf []byte, oid uint32, format int16, v any) ([]byte, error) {
	if v == nil {
		return buf, pgerr.New(pgerr.InternalError, "cannot encode NULL as a value")
	}
	switch format {
	case FormatText:
		return appendText(buf, oid, kindOf(oid), v), nil
	case FormatBinary:
		return appendBinary(buf, oid, kindOf(oid), v)
	}
	return buf, pgerr.New(pgerr.ProtocolViolation, "unsupported format code: %d", format)
}

// DecodeParam decodes a parameter (or COPY field) of type oid sent in
// format 0 (text) or 1 (binary) into SQLite representation. b is not
// retained. OID 0 and unknown OIDs decode text to a string and binary to
// []byte.
func DecodeParam(oid uint32, format int16, b []byte) (any, error) {
	switch format {
	case FormatText:
		return decodeText(oid, kindOf(oid), b)
	case FormatBinary:
		return decodeBinary(oid, kindOf(oid), b)
	}
	return nil, pgerr.New(pgerr.ProtocolViolation, "unsupported format code: %d", format)
}

// ---- text output ----

func appendText(buf []byte, oid uint32, k kind, v any) []byte {
	switch k {
	case kindInt2, kindInt4, kindInt8, kindOID:
		switch x := v.(type) {
		case int64:
			return strconv.AppendInt(buf, x, 10)
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
				return strconv.AppendInt(buf, int64(x), 10)
			}
		}
	case kindFloat8:
		switch x := v.(type) {
		case float64:
			return appendFloat8(buf, x)
		case int64:
			return appendFloat8(buf, float64(x))
		}
	case kindFloat4:
		switch x := v.(type) {
		case float64:
			return appendFloat4(buf, float32(x))
		case int64:
			return appendFloat4(buf, float32(x))
		}
	case kindNumeric:
		switch x := v.(type) {
		case int64:
			return strconv.AppendInt(buf, x, 10)
		case float64:
			return appendNumericFloat(buf, x)
		}
	case kindBool:
		switch x := v.(type) {
		case int64:
			return appendBoolText(buf, x != 0)
		case bool:
			return appendBoolText(buf, x)
		case float64:
			return appendBoolText(buf, x != 0)
		case string:
			if b, ok := parseBool(x); ok {
				return appendBoolText(buf, b)
			}
		}
	case kindBytea:
		switch x := v.(type) {
		case []byte:
			return appendByteaHex(buf, x)
		case string:
			return appendByteaHex(buf, x)
		default:
			// SQLite's CAST(x AS BLOB) is the bytes of x's text.
			var scratch [64]byte
			return appendByteaHex(buf, appendGeneric(scratch[:0], v))
		}
	case kindTimestamptz:
		switch x := v.(type) {
		case string:
			if isCanonicalTimestamp(x, true) {
				return append(buf, x...)
			}
			if us, err := parseTimestamp(x, true); err == nil {
				return appendTimestamp(buf, us, true)
			}
		case time.Time:
			return appendTimestamp(buf, timeToPGMicros(x, true), true)
		}
	case kindTimestamp:
		switch x := v.(type) {
		case string:
			if isCanonicalTimestamp(x, false) {
				return append(buf, x...)
			}
			if us, err := parseTimestamp(x, false); err == nil {
				return appendTimestamp(buf, us, false)
			}
		case time.Time:
			return appendTimestamp(buf, timeToPGMicros(x, false), false)
		}
	case kindDate:
		switch x := v.(type) {
		case string:
			if isCanonicalDate(x) {
				return append(buf, x...)
			}
			if d, err := parseDate(x); err == nil {
				return appendDate(buf, d)
			}
		case time.Time:
			y, m, d := x.Date()
			return appendDate(buf, int32(daysFromCivil(int64(y), int(m), d)-pgEpochDays))
		}
	case kindTime:
		if x, ok := v.(time.Time); ok {
			h, m, s := x.Clock()
			return appendTimeOfDay(buf, (int64(h)*3600+int64(m)*60+int64(s))*1e6+int64(x.Nanosecond()/1000))
		}
	case kindUUID:
		if x, ok := v.([]byte); ok && len(x) == 16 {
			return appendUUID(buf, x)
		}
	case kindChar:
		if x, ok := v.(string); ok {
			return appendCharText(buf, x)
		}
	}
	return appendGeneric(buf, v)
}

// "char" is one byte: charin takes the first byte of its input (or
// "\ooo"), charout prints bytes >= 0x80 as "\ooo". Byte 0 is the empty
// string.
func decodeCharText(b []byte) string {
	if len(b) == 4 && b[0] == '\\' && b[1] >= '0' && b[1] <= '3' && b[2] >= '0' && b[2] <= '7' && b[3] >= '0' && b[3] <= '7' {
		c := (b[1]-'0')<<6 | (b[2]-'0')<<3 | (b[3] - '0')
		if c == 0 {
			return ""
		}
		return string([]byte{c})
	}
	if len(b) == 0 || b[0] == 0 {
		return ""
	}
	return string(b[:1])
}

func appendCharText(buf []byte, s string) []byte {
	if len(s) == 0 {
		return buf
	}
	c := s[0]
	if c >= 0x80 {
		return append(buf, '\\', '0'+c>>6, '0'+c>>3&7, '0'+c&7)
	}
	return append(buf, c)
}

// appendGeneric appends v's own text form, as SQLite's CAST(v AS TEXT).
func appendGeneric(buf []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return append(buf, x...)
	case int64:
		return strconv.AppendInt(buf, x, 10)
	case float64:
		return appendFloat8(buf, x)
	case []byte:
		return append(buf, x...)
	case time.Time:
		return appendTimestamp(buf, timeToPGMicros(x, true), true)
	case bool:
		if x {
			return append(buf, "true"...)
		}
		return append(buf, "false"...)
	case int:
		return strconv.AppendInt(buf, int64(x), 10)
	case int32:
		return strconv.AppendInt(buf, int64(x), 10)
	case int16:
		return strconv.AppendInt(buf, int64(x), 10)
	case uint32:
		return strconv.AppendUint(buf, uint64(x), 10)
	case float32:
		return appendFloat4(buf, x)
	}
	return append(buf, "<unsupported value>"...)
}

func appendBoolText(buf []byte, b bool) []byte {
	if b {
		return append(buf, 't')
	}
	return append(buf, 'f')
}

// appendFloat8 prints f as PostgreSQL 12+ float8out does with
// extra_float_digits > 0: the shortest text that reads back exactly, in
// fixed notation for 1e-4 <= |f| < 1e15 and exponent notation otherwise.
func appendFloat8(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	a := math.Abs(f)
	fixed := a == 0 || (a >= 1e-4 && a < 1e15)
	return appendShortest(buf, f, 64, fixed)
}

// appendFloat4 is float4out: like appendFloat8 with the exponent form
// from 1e6 on.
func appendFloat4(buf []byte, f float32) []byte {
	f64 := float64(f)
	switch {
	case math.IsNaN(f64):
		return append(buf, "NaN"...)
	case math.IsInf(f64, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f64, -1):
		return append(buf, "-Infinity"...)
	}
	a := f
	if a < 0 {
		a = -a
	}
	fixed := a == 0 || (a >= 1e-4 && a < 1e6)
	return appendShortest(buf, f64, 32, fixed)
}

// appendShortest appends the shortest decimal that reads back as f.
// PostgreSQL's Ryu does not accept a decimal lying exactly halfway to a
// neighbouring float (Go's strconv does, when the mantissa is even): in
// that rare case the next longer correctly rounded decimal is used.
func appendShortest(buf []byte, f float64, bitSize int, fixed bool) []byte {
	fmtc := byte('e')
	if fixed {
		fmtc = 'f'
	}
	start := len(buf)
	buf = strconv.AppendFloat(buf, f, fmtc, -1, bitSize)
	d, e, n := decimalDigits(buf[start:])
	if !isFloatMidpoint(d, e, bitSize) {
		return buf
	}
	maxDigits := 17
	if bitSize == 32 {
		maxDigits = 9
	}
	var scratch [32]byte
	for p := n + 1; p <= maxDigits; p++ {
		s := strconv.AppendFloat(scratch[:0], f, 'e', p-1, bitSize)
		back, err := strconv.ParseFloat(string(s), bitSize)
		if err != nil || back != f {
			continue
		}
		d, e, _ := decimalDigits(s)
		if isFloatMidpoint(d, e, bitSize) {
			continue
		}
		buf = buf[:start]
		if !fixed {
			// strip trailing zeros of the mantissa
			ei := bytes.IndexByte(s, 'e')
			m := bytes.TrimRight(s[:ei], "0")
			m = bytes.TrimSuffix(m, []byte("."))
			buf = append(buf, m...)
			return append(buf, s[ei:]...)
		}
		exp10 := e + int(numDigits(d)) - 1
		frac := int(numDigits(d)) - 1 - exp10
		if frac < 0 {
			frac = 0
		}
		return strconv.AppendFloat(buf, f, 'f', frac, bitSize)
	}
	return buf
}

// decimalDigits reads strconv's 'e' or 'f' output as d * 10^e with n
// significant digits (d has no trailing zeros).
func decimalDigits(s []byte) (d uint64, e int, n int) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	frac := -1
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			frac = 0
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		if d == 0 && c == '0' {
			if frac >= 0 {
				frac++
			}
			continue
		}
		if n < 19 {
			d = d*10 + uint64(c-'0')
			n++
		} else {
			e++
		}
		if frac >= 0 {
			frac++
		}
	}
	if frac > 0 {
		e -= frac
	}
	if i < len(s) && s[i] == 'e' {
		i++
		neg := s[i] == '-'
		i++
		x := 0
		for ; i < len(s); i++ {
			x = x*10 + int(s[i]-'0')
		}
		if neg {
			x = -x
		}
		e += x
	}
	for d != 0 && d%10 == 0 {
		d /= 10
		e++
		n--
	}
	return d, e, n
}

func numDigits(d uint64) uint64 {
	n := uint64(1)
	for d >= 10 {
		d /= 10
		n++
	}
	return n
}

var pow5 = func() (p [28]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 5
	}
	return p
}()

// isFloatMidpoint reports whether d * 10^e lies exactly halfway between
// two adjacent normal floats of bitSize: its odd part has one bit more
// than the mantissa.
func isFloatMidpoint(d uint64, e int, bitSize int) bool {
	if d == 0 {
		return false
	}
	width := 54
	if bitSize == 32 {
		width = 25
	}
	var hi, lo uint64
	switch {
	case e >= 0:
		if e >= len(pow5) {
			return false
		}
		hi, lo = bits.Mul64(d, pow5[e])
	default:
		if -e >= len(pow5) || d%pow5[-e] != 0 {
			return false
		}
		lo = d / pow5[-e]
	}
	// Width of the odd part of hi:lo.
	if lo == 0 {
		lo, hi = hi, 0
	}
	if tz := uint(bits.TrailingZeros64(lo)); tz > 0 {
		lo = lo>>tz | hi<<(64-tz)
		hi >>= tz
	}
	w := bits.Len64(lo)
	if hi != 0 {
		w = 64 + bits.Len64(hi)
	}
	return w == width
}

const hexDigits = "0123456789abcdef"

func appendByteaHex[T string | []byte](buf []byte, b T) []byte {
	buf = append(buf, '\\', 'x')
	for i := 0; i < len(b); i++ {
		buf = append(buf, hexDigits[b[i]>>4], hexDigits[b[i]&15])
	}
	return buf
}

func appendUUID(buf []byte, u []byte) []byte {
	for i, c := range u[:16] {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf = append(buf, '-')
		}
		buf = append(buf, hexDigits[c>>4], hexDigits[c&15])
	}
	return buf
}

// ---- binary output ----

func errMismatch(oid uint32, v any) error {
	var scratch [40]byte
	s := appendGeneric(scratch[:0], v)
	if len(s) > 40 {
		s = append(s[:37:37], "..."...)
	}
	return pgerr.New(pgerr.DatatypeMismatch, "cannot encode %q in binary format for type %s", s, sqlTypeName(oid))
}

func appendBinary(buf []byte, oid uint32, k kind, v any) ([]byte, error) {
	switch k {
	case kindInt4, kindInt2, kindInt8, kindOID:
		n, ok := toInt64(v)
		if !ok {
			return buf, errMismatch(oid, v)
		}
		switch k {
		case kindInt2:
			if n < math.MinInt16 || n > math.MaxInt16 {
				return buf, pgerr.New(pgerr.NumericValueOutOfRange, "smallint out of range")
			}
			return binary.BigEndian.AppendUint16(buf, uint16(n)), nil
		case kindInt4:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return buf, pgerr.New(pgerr.NumericValueOutOfRange, "integer out of range")
			}
			return binary.BigEndian.AppendUint32(buf, uint32(n)), nil
		case kindOID:
			if n < math.MinInt32 || n > math.MaxUint32 {
				return buf, pgerr.New(pgerr.NumericValueOutOfRange, "OID out of range")
			}
			return binary.BigEndian.AppendUint32(buf, uint32(n)), nil
		}
		return binary.BigEndian.AppendUint64(buf, uint64(n)), nil
	case kindText, kindJSON, kindTextOnly:
		if k == kindTextOnly {
			return buf, pgerr.New(pgerr.FeatureNotSupported, "binary format is not supported for type %s", sqlTypeName(oid))
		}
		return appendGeneric(buf, v), nil
	case kindJSONB:
		return appendGeneric(append(buf, 1), v), nil
	case kindTimestamptz, kindTimestamp:
		var us int64
		switch x := v.(type) {
		case string:
			var err error
			if us, err = parseTimestamp(x, k == kindTimestamptz); err != nil {
				return buf, errMismatch(oid, v)
			}
		case time.Time:
			us = timeToPGMicros(x, k == kindTimestamptz)
		default:
			return buf, errMismatch(oid, v)
		}
		return binary.BigEndian.AppendUint64(buf, uint64(us)), nil
	case kindFloat8, kindFloat4:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case int64:
			f = float64(x)
		case string:
			var err error
			if f, err = parseFloatText(x, 64); err != nil {
				return buf, errMismatch(oid, v)
			}
		default:
			return buf, errMismatch(oid, v)
		}
		if k == kindFloat4 {
			if f != f {
				return binary.BigEndian.AppendUint32(buf, 0x7fc00000), nil
			}
			return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(f))), nil
		}
		if f != f {
			return binary.BigEndian.AppendUint64(buf, 0x7ff8000000000000), nil // PostgreSQL's NaN
		}
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(f)), nil
	case kindNumeric:
		switch x := v.(type) {
		case int64:
			return appendNumericBinaryInt(buf, x), nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return appendNumericSpecial(buf, x), nil
			}
			var scratch [48]byte
			return appendNumericBinary(buf, appendNumericFloat(scratch[:0], x))
		case string:
			out, err := appendNumericBinary(buf, x)
			if err != nil {
				return buf, errMismatch(oid, v)
			}
			return out, nil
		case []byte:
			out, err := appendNumericBinary(buf, x)
			if err != nil {
				return buf, errMismatch(oid, v)
			}
			return out, nil
		}
		return buf, errMismatch(oid, v)
	case kindBool:
		var b bool
		switch x := v.(type) {
		case int64:
			b = x != 0
		case bool:
			b = x
		case float64:
			b = x != 0
		case string:
			var ok bool
			if b, ok = parseBool(x); !ok {
				return buf, errMismatch(oid, v)
			}
		default:
			return buf, errMismatch(oid, v)
		}
		if b {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	case kindBytea:
		switch x := v.(type) {
		case []byte:
			return append(buf, x...), nil
		default:
			return appendGeneric(buf, v), nil
		}
	case kindChar:
		var scratch [8]byte
		s := appendGeneric(scratch[:0], v)
		if len(s) == 0 {
			return append(buf, 0), nil
		}
		return append(buf, s[0]), nil
	case kindDate:
		var d int32
		switch x := v.(type) {
		case string:
			var err error
			if d, err = parseDate(x); err != nil {
				return buf, errMismatch(oid, v)
			}
		case time.Time:
			y, m, dd := x.Date()
			d = int32(daysFromCivil(int64(y), int(m), dd) - pgEpochDays)
		default:
			return buf, errMismatch(oid, v)
		}
		return binary.BigEndian.AppendUint32(buf, uint32(d)), nil
	case kindTime:
		var us int64
		switch x := v.(type) {
		case string:
			var err error
			if us, err = parseTimeOfDay(x); err != nil {
				return buf, errMismatch(oid, v)
			}
		case time.Time:
			h, m, s := x.Clock()
			us = (int64(h)*3600+int64(m)*60+int64(s))*1e6 + int64(x.Nanosecond()/1000)
		default:
			return buf, errMismatch(oid, v)
		}
		return binary.BigEndian.AppendUint64(buf, uint64(us)), nil
	case kindInterval:
		var iv interval
		switch x := v.(type) {
		case string:
			var err error
			if iv, err = parseInterval(x); err != nil {
				return buf, errMismatch(oid, v)
			}
		case int64: // seconds, as interval '5' reads
			iv.usec = x * 1e6
		default:
			return buf, errMismatch(oid, v)
		}
		buf = binary.BigEndian.AppendUint64(buf, uint64(iv.usec))
		buf = binary.BigEndian.AppendUint32(buf, uint32(iv.days))
		return binary.BigEndian.AppendUint32(buf, uint32(iv.months)), nil
	case kindUUID:
		switch x := v.(type) {
		case string:
			var u [16]byte
			if !parseUUID(x, &u) {
				return buf, errMismatch(oid, v)
			}
			return append(buf, u[:]...), nil
		case []byte:
			if len(x) == 16 {
				return append(buf, x...), nil
			}
			var u [16]byte
			if !parseUUID(x, &u) {
				return buf, errMismatch(oid, v)
			}
			return append(buf, u[:]...), nil
		}
		return buf, errMismatch(oid, v)
	case kindVoid:
		return buf, nil
	case kindArray:
		return appendArrayBinary(buf, oid, v)
	case kindLSN:
		if s, ok := v.(string); ok {
			if n, ok := parseLSN(s); ok {
				return binary.BigEndian.AppendUint64(buf, n), nil
			}
		}
	}
	return buf, errMismatch(oid, v)
}

// parseLSN reads a pg_lsn in its text form, "16B3748/0".
func parseLSN(s string) (uint64, bool) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, false
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return h<<32 | l, true
}

// toInt64 converts v to an integer if it is one exactly.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if x == math.Trunc(x) && x >= -(1<<63) && x < 1<<63 {
			return int64(x), true
		}
	case string:
		n, err := parseInt(x, 64)
		return n, err == nil
	case []byte:
		n, err := parseInt(x, 64)
		return n, err == nil
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	}
	return 0, false
}

// ---- text input ----

func errSyntax[T string | []byte](oid uint32, b T) error {
	return pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s: \"%s\"", sqlTypeName(oid), b)
}

func errBinary(oid uint32) error {
	return pgerr.New(pgerr.InvalidBinaryRepresentation, "incorrect binary data format for type %s", sqlTypeName(oid))
}

// pgerr has no constant for character_not_in_repertoire's sibling.
const codeUntranslatableCharacter pgerr.Code = "22021"

// checkText verifies that b is valid UTF-8 without NUL bytes, as
// PostgreSQL requires of every text value.
func checkText(b []byte) error {
	for i := 0; i < len(b); {
		c := b[i]
		if c >= 0x01 && c < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if c == 0 || (r == utf8.RuneError && n <= 1) {
			end := i + 1
			for end < len(b) && end < i+4 && b[end]&0xC0 == 0x80 {
				end++
			}
			seq := make([]byte, 0, 16)
			for j := i; j < end; j++ {
				if j > i {
					seq = append(seq, ' ')
				}
				seq = append(seq, "0x"...)
				seq = append(seq, hexDigits[b[j]>>4], hexDigits[b[j]&15])
			}
			return pgerr.New(codeUntranslatableCharacter, "invalid byte sequence for encoding \"UTF8\": %s", seq)
		}
		i += n
	}
	return nil
}

func decodeText(oid uint32, k kind, b []byte) (any, error) {
	switch k {
	case kindLSN:
		if _, ok := parseLSN(string(b)); !ok {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type pg_lsn: \"%s\"", b)
		}
		return string(b), nil
	case kindText, kindTextOnly:
		if err := checkText(b); err != nil {
			return nil, err
		}
		return string(b), nil
	case kindChar:
		return decodeCharText(b), nil
	case kindInt4:
		return parseIntParam(oid, b, 32)
	case kindInt8:
		return parseIntParam(oid, b, 64)
	case kindInt2:
		return parseIntParam(oid, b, 16)
	case kindOID:
		return parseOIDParam(oid, b)
	case kindFloat8, kindFloat4:
		bits := 64
		if k == kindFloat4 {
			bits = 32
		}
		f, err := parseFloatText(b, bits)
		if err != nil {
			if err == errOutOfRange {
				return nil, pgerr.New(pgerr.NumericValueOutOfRange, "\"%s\" is out of range for type %s", b, sqlTypeName(oid))
			}
			return nil, errSyntax(oid, b)
		}
		return f, nil
	case kindBool:
		v, ok := parseBool(b)
		if !ok {
			return nil, errSyntax(oid, b)
		}
		if v {
			return int64(1), nil
		}
		return int64(0), nil
	case kindNumeric:
		var scratch [64]byte
		out, err := appendNumericCanonical(scratch[:0], b)
		if err != nil {
			if err == errOutOfRange {
				return nil, pgerr.New(pgerr.NumericValueOutOfRange, "value overflows numeric format")
			}
			return nil, errSyntax(oid, b)
		}
		return string(out), nil
	case kindBytea:
		return parseBytea(b)
	case kindTimestamptz, kindTimestamp:
		us, err := parseTimestamp(b, k == kindTimestamptz)
		if err != nil {
			return nil, dateTimeError(err, oid, b)
		}
		var scratch [40]byte
		return string(appendTimestamp(scratch[:0], us, k == kindTimestamptz)), nil
	case kindDate:
		d, err := parseDate(b)
		if err != nil {
			return nil, dateTimeError(err, oid, b)
		}
		var scratch [24]byte
		return string(appendDate(scratch[:0], d)), nil
	case kindTime:
		us, err := parseTimeOfDay(b)
		if err != nil {
			return nil, dateTimeError(err, oid, b)
		}
		var scratch [24]byte
		return string(appendTimeOfDay(scratch[:0], us)), nil
	case kindInterval:
		iv, err := parseInterval(b)
		if err != nil {
			return nil, dateTimeError(err, oid, b)
		}
		return string(appendInterval(nil, iv)), nil
	case kindUUID:
		var u [16]byte
		if !parseUUID(b, &u) {
			return nil, errSyntax(oid, b)
		}
		var scratch [36]byte
		return string(appendUUID(scratch[:0], u[:])), nil
	case kindJSON, kindJSONB:
		if err := checkText(b); err != nil {
			return nil, err
		}
		if k == kindJSONB {
			out, err := normalizeJSONB(nil, b)
			if err != nil {
				return nil, err
			}
			return string(out), nil
		}
		if !json.Valid(b) {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s", sqlTypeName(oid))
		}
		return string(b), nil
	case kindVoid:
		return nil, nil
	case kindArray:
		if err := checkText(b); err != nil {
			return nil, err
		}
		return decodeArrayText(oid, b)
	}
	return string(b), nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func trimSpace[T string | []byte](s T) T {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

var (
	errOutOfRange = pgerr.New(pgerr.NumericValueOutOfRange, "value out of range")
	errInvalid    = pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax")
)

// parseInt parses PostgreSQL 15 integer input: optional blanks, an
// optional sign, decimal digits, optional blanks.
func parseInt[T string | []byte](s T, bits int) (int64, error) {
	s = trimSpace(s)
	if len(s) == 0 {
		return 0, errInvalid
	}
	neg := false
	i := 0
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i++
	}
	if i == len(s) {
		return 0, errInvalid
	}
	var u uint64
	overflow := false
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, errInvalid
		}
		if u > (math.MaxUint64-9)/10 {
			overflow = true
			continue
		}
		u = u*10 + uint64(c-'0')
	}
	limit := uint64(1) << (bits - 1)
	if overflow || (!neg && u >= limit) || (neg && u > limit) {
		return 0, errOutOfRange
	}
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
}

func parseIntParam(oid uint32, b []byte, bits int) (any, error) {
	n, err := parseInt(b, bits)
	if err != nil {
		if err == errOutOfRange {
			return nil, pgerr.New(pgerr.NumericValueOutOfRange, "value \"%s\" is out of range for type %s", b, sqlTypeName(oid))
		}
		return nil, errSyntax(oid, b)
	}
	return n, nil
}

// parseOIDParam reads an unsigned 32-bit value; like PostgreSQL's oidin
// it also takes negative numbers down to -2^31 and wraps them.
func parseOIDParam(oid uint32, b []byte) (any, error) {
	n, err := parseInt(b, 64)
	if err == nil && (n < math.MinInt32 || n > math.MaxUint32) {
		err = errOutOfRange
	}
	if err != nil {
		if err == errOutOfRange {
			return nil, pgerr.New(pgerr.NumericValueOutOfRange, "value \"%s\" is out of range for type %s", b, sqlTypeName(oid))
		}
		return nil, errSyntax(oid, b)
	}
	return int64(uint32(n)), nil
}

// parseFloatText is float8in/float4in: blanks around a decimal or
// exponent number, NaN, Infinity, inf in any case.
func parseFloatText[T string | []byte](s T, bits int) (float64, error) {
	t := trimSpace(s)
	if len(t) == 0 || len(t) > 1000 {
		return 0, errInvalid
	}
	var scratch [64]byte
	str := string(append(scratch[:0], t...)) // does not escape: ParseFloat is allocation-free on success
	for i := 0; i < len(str); i++ {
		c := str[i]
		if c == '_' || c == 'x' || c == 'X' || c == 'p' || c == 'P' {
			return 0, errInvalid
		}
	}
	f, err := strconv.ParseFloat(str, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, errOutOfRange
		}
		return 0, errInvalid
	}
	if f == 0 && !math.IsInf(f, 0) {
		// PostgreSQL rejects underflow to zero: a nonzero digit means a
		// nonzero value.
		for i := 0; i < len(str); i++ {
			c := str[i]
			if c == 'e' || c == 'E' {
				break
			}
			if c >= '1' && c <= '9' {
				return 0, errOutOfRange
			}
		}
	}
	return f, nil
}

// parseBool is boolin: t, true, yes, on, 1 and f, false, no, off, 0 and
// their unique prefixes, in any case, with blanks around.
func parseBool[T string | []byte](s T) (value, ok bool) {
	s = trimSpace(s)
	if len(s) == 0 || len(s) > 5 {
		return false, false
	}
	var lower [5]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	w := string(lower[:len(s)])
	prefixOf := func(word string, min int) bool {
		return len(w) >= min && len(w) <= len(word) && word[:len(w)] == w
	}
	switch {
	case prefixOf("true", 1), prefixOf("yes", 1), prefixOf("on", 2), w == "1":
		return true, true
	case prefixOf("false", 1), prefixOf("no", 1), prefixOf("off", 2), w == "0":
		return false, true
	}
	return false, false
}

// parseBytea is byteain: "\x" followed by hex pairs (blanks allowed
// between pairs), or the escape format (\\ and \ooo).
func parseBytea(b []byte) (any, error) {
	if len(b) >= 2 && b[0] == '\\' && b[1] == 'x' {
		out := make([]byte, 0, (len(b)-2)/2)
		for i := 2; i < len(b); {
			c := b[i]
			if isSpace(c) {
				i++
				continue
			}
			hi, ok := unhex(c)
			if !ok {
				return nil, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal digit: \"%s\"", b[i:i+utf8Len(b[i:])])
			}
			if i+1 >= len(b) {
				return nil, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal data: odd number of digits")
			}
			lo, ok := unhex(b[i+1])
			if !ok {
				return nil, pgerr.New(pgerr.InvalidParameterValue, "invalid hexadecimal digit: \"%s\"", b[i+1:i+1+utf8Len(b[i+1:])])
			}
			out = append(out, hi<<4|lo)
			i += 2
		}
		return out, nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 < len(b) && b[i+1] == '\\' {
			out = append(out, '\\')
			i += 2
			continue
		}
		if i+3 < len(b)+0 && b[i+1] >= '0' && b[i+1] <= '3' && b[i+2] >= '0' && b[i+2] <= '7' && b[i+3] >= '0' && b[i+3] <= '7' {
			out = append(out, (b[i+1]-'0')<<6|(b[i+2]-'0')<<3|(b[i+3]-'0'))
			i += 4
			continue
		}
		return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type bytea")
	}
	return out, nil
}

func utf8Len(b []byte) int {
	_, n := utf8.DecodeRune(b)
	if n < 1 {
		n = 1
	}
	return n
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseUUID is uuid_in: 32 hex digits, optionally in braces, with an
// optional hyphen after any group of four digits.
func parseUUID[T string | []byte](s T, u *[16]byte) bool {
	if len(s) > 0 && s[0] == '{' {
		if len(s) < 2 || s[len(s)-1] != '}' {
			return false
		}
		s = s[1 : len(s)-1]
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			if n == 0 || n%4 != 0 || n == 32 || s[i-1] == '-' {
				return false
			}
			continue
		}
		if n == 32 {
			return false
		}
		h, ok := unhex(c)
		if !ok {
			return false
		}
		if n%2 == 0 {
			u[n/2] = h << 4
		} else {
			u[n/2] |= h
		}
		n++
	}
	return n == 32 && s[len(s)-1] != '-'
}

// ---- binary input ----

func decodeBinary(oid uint32, k kind, b []byte) (any, error) {
	switch k {
	case kindInt4:
		if len(b) != 4 {
			return nil, errBinary(oid)
		}
		return int64(int32(binary.BigEndian.Uint32(b))), nil
	case kindInt8:
		if len(b) != 8 {
			return nil, errBinary(oid)
		}
		return int64(binary.BigEndian.Uint64(b)), nil
	case kindInt2:
		if len(b) != 2 {
			return nil, errBinary(oid)
		}
		return int64(int16(binary.BigEndian.Uint16(b))), nil
	case kindOID:
		if len(b) != 4 {
			return nil, errBinary(oid)
		}
		return int64(binary.BigEndian.Uint32(b)), nil
	case kindLSN:
		if len(b) != 8 {
			return nil, errBinary(oid)
		}
		n := binary.BigEndian.Uint64(b)
		return fmt.Sprintf("%X/%X", n>>32, uint32(n)), nil
	case kindText, kindJSON, kindTextOnly:
		if oid == OIDUnspecified || (oid != OIDUnknown && TypeName(oid) == "") {
			return append([]byte{}, b...), nil
		}
		if k == kindTextOnly {
			return nil, pgerr.New(pgerr.FeatureNotSupported, "binary format is not supported for type %s", sqlTypeName(oid))
		}
		if err := checkText(b); err != nil {
			return nil, err
		}
		if k == kindJSON && !json.Valid(b) {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s", sqlTypeName(oid))
		}
		return string(b), nil
	case kindChar:
		if len(b) != 1 {
			return nil, errBinary(oid)
		}
		if b[0] == 0 {
			return "", nil
		}
		return string(b), nil
	case kindFloat8:
		if len(b) != 8 {
			return nil, errBinary(oid)
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case kindFloat4:
		if len(b) != 4 {
			return nil, errBinary(oid)
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
	case kindBool:
		if len(b) != 1 {
			return nil, errBinary(oid)
		}
		if b[0] != 0 {
			return int64(1), nil
		}
		return int64(0), nil
	case kindBytea:
		return append(make([]byte, 0, len(b)), b...), nil
	case kindNumeric:
		var scratch [64]byte
		out, err := appendNumericFromBinary(scratch[:0], b)
		if err != nil {
			return nil, err
		}
		return string(out), nil
	case kindTimestamptz, kindTimestamp:
		if len(b) != 8 {
			return nil, errBinary(oid)
		}
		us := int64(binary.BigEndian.Uint64(b))
		if us != math.MaxInt64 && us != math.MinInt64 && (us < minTimestamp || us >= endTimestamp) {
			return nil, pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range")
		}
		var scratch [40]byte
		return string(appendTimestamp(scratch[:0], us, k == kindTimestamptz)), nil
	case kindDate:
		if len(b) != 4 {
			return nil, errBinary(oid)
		}
		d := int32(binary.BigEndian.Uint32(b))
		if d != math.MaxInt32 && d != math.MinInt32 && (d < minDate || d >= endDate) {
			return nil, pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range")
		}
		var scratch [24]byte
		return string(appendDate(scratch[:0], d)), nil
	case kindTime:
		if len(b) != 8 {
			return nil, errBinary(oid)
		}
		us := int64(binary.BigEndian.Uint64(b))
		if us < 0 || us > usecPerDay {
			return nil, pgerr.New(pgerr.DatetimeFieldOverflow, "time out of range")
		}
		var scratch [24]byte
		return string(appendTimeOfDay(scratch[:0], us)), nil
	case kindInterval:
		if len(b) != 16 {
			return nil, errBinary(oid)
		}
		iv := interval{
			usec:   int64(binary.BigEndian.Uint64(b)),
			days:   int32(binary.BigEndian.Uint32(b[8:])),
			months: int32(binary.BigEndian.Uint32(b[12:])),
		}
		return string(appendInterval(nil, iv)), nil
	case kindUUID:
		if len(b) != 16 {
			return nil, errBinary(oid)
		}
		var scratch [36]byte
		return string(appendUUID(scratch[:0], b)), nil
	case kindJSONB:
		if len(b) < 1 || b[0] != 1 {
			return nil, pgerr.New(pgerr.InvalidBinaryRepresentation, "unsupported jsonb version number")
		}
		return decodeText(OIDJSONB, kindJSONB, b[1:])
	case kindVoid:
		return nil, nil
	case kindArray:
		return decodeArrayBinary(oid, b)
	}
	return append([]byte{}, b...), nil
}
