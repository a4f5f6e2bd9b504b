package pgwire

import (
	"bytes"
	"encoding/hex"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"
)

func TestTypeOIDByName(t *testing.T) {
	tests := []struct {
		name string
		want uint32
		ok   bool
	}{
		{"int4", OIDInt4, true},
		{"integer", OIDInt4, true},
		{"INT", OIDInt4, true},
		{"smallint", OIDInt2, true},
		{"bigint", OIDInt8, true},
		{"boolean", OIDBool, true},
		{"double precision", OIDFloat8, true},
		{"double   precision", OIDFloat8, true},
		{"float", OIDFloat8, true},
		{"float(24)", OIDFloat4, true},
		{"float(25)", OIDFloat8, true},
		{"real", OIDFloat4, true},
		{"character varying", OIDVarchar, true},
		{"character varying(20)", OIDVarchar, true},
		{"varchar(255)", OIDVarchar, true},
		{"char(3)", OIDBPChar, true},
		{"character", OIDBPChar, true},
		{`"char"`, OIDChar, true},
		{"numeric(10, 2)", OIDNumeric, true},
		{"decimal", OIDNumeric, true},
		{"timestamp with time zone", OIDTimestamptz, true},
		{"timestamp(3) with time zone", OIDTimestamptz, true},
		{"timestamp without time zone", OIDTimestamp, true},
		{"timestamptz", OIDTimestamptz, true},
		{"time", OIDTime, true},
		{"pg_catalog.int8", OIDInt8, true},
		{"int[]", OIDInt4Array, true},
		{"integer[][]", OIDInt4Array, true},
		{"text[3]", OIDTextArray, true},
		{"_text", OIDTextArray, true},
		{"integer array", OIDInt4Array, true},
		{"uuid", OIDUUID, true},
		{"jsonb", OIDJSONB, true},
		{"bytea", OIDBytea, true},
		{"regclass", OIDRegclass, true},
		{"serial", OIDInt4, true},
		{"bigserial", OIDInt8, true},
		{"void", OIDVoid, true},
		{"nosuchtype", 0, false},
		{"float(0)", 0, false},
		{"int(", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TypeOIDByName(tt.name)
			if got != tt.want || ok != tt.ok {
				t.Errorf("TypeOIDByName(%q) = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestTypeNameAndSize(t *testing.T) {
	tests := []struct {
		oid  uint32
		name string
		size int16
	}{
		{OIDBool, "bool", 1}, {OIDInt2, "int2", 2}, {OIDInt4, "int4", 4}, {OIDInt8, "int8", 8},
		{OIDText, "text", -1}, {OIDFloat8, "float8", 8}, {OIDUUID, "uuid", 16}, {OIDInterval, "interval", 16},
		{OIDName, "name", 64}, {OIDTimestamptz, "timestamptz", 8}, {OIDDate, "date", 4}, {OIDUnknown, "unknown", -2},
		{OIDInt4Array, "_int4", -1}, {OIDNumeric, "numeric", -1}, {99999, "", -1},
	}
	for _, tt := range tests {
		if got := TypeName(tt.oid); got != tt.name {
			t.Errorf("TypeName(%d) = %q, want %q", tt.oid, got, tt.name)
		}
		if got := TypeSize(tt.oid); got != tt.size {
			t.Errorf("TypeSize(%d) = %d, want %d", tt.oid, got, tt.size)
		}
	}
	if ArrayOID(OIDInt4) != OIDInt4Array || ArrayElemOID(OIDTextArray) != OIDText || ArrayElemOID(OIDText) != 0 {
		t.Error("array OID mapping is wrong")
	}
}

func TestCodecDecodeParamErrors(t *testing.T) {
	tests := []struct {
		name   string
		oid    uint32
		format int16
		in     string
		code   pgerr.Code
		msg    string
	}{
		{"int4 syntax", OIDInt4, 0, "abc", pgerr.InvalidTextRepresentation, `invalid input syntax for type integer: "abc"`},
		{"int4 empty", OIDInt4, 0, "", pgerr.InvalidTextRepresentation, `invalid input syntax for type integer: ""`},
		{"int4 range", OIDInt4, 0, "99999999999", pgerr.NumericValueOutOfRange, `value "99999999999" is out of range for type integer`},
		{"int4 range low", OIDInt4, 0, "-2147483649", pgerr.NumericValueOutOfRange, `value "-2147483649" is out of range for type integer`},
		{"int2 range", OIDInt2, 0, "32768", pgerr.NumericValueOutOfRange, `value "32768" is out of range for type smallint`},
		{"int8 range", OIDInt8, 0, "9223372036854775808", pgerr.NumericValueOutOfRange, `value "9223372036854775808" is out of range for type bigint`},
		{"int8 huge", OIDInt8, 0, "99999999999999999999999999", pgerr.NumericValueOutOfRange, `value "99999999999999999999999999" is out of range for type bigint`},
		{"int4 fraction", OIDInt4, 0, "1.5", pgerr.InvalidTextRepresentation, `invalid input syntax for type integer: "1.5"`},
		{"bool", OIDBool, 0, "maybe", pgerr.InvalidTextRepresentation, `invalid input syntax for type boolean: "maybe"`},
		{"bool o", OIDBool, 0, "o", pgerr.InvalidTextRepresentation, `invalid input syntax for type boolean: "o"`},
		{"float8", OIDFloat8, 0, "1.2.3", pgerr.InvalidTextRepresentation, `invalid input syntax for type double precision: "1.2.3"`},
		{"float8 range", OIDFloat8, 0, "1e999", pgerr.NumericValueOutOfRange, `"1e999" is out of range for type double precision`},
		{"float8 underflow", OIDFloat8, 0, "1e-999", pgerr.NumericValueOutOfRange, `"1e-999" is out of range for type double precision`},
		{"float4 range", OIDFloat4, 0, "1e39", pgerr.NumericValueOutOfRange, `"1e39" is out of range for type real`},
		{"float8 hex", OIDFloat8, 0, "0x10", pgerr.InvalidTextRepresentation, `invalid input syntax for type double precision: "0x10"`},
		{"numeric", OIDNumeric, 0, "12a", pgerr.InvalidTextRepresentation, `invalid input syntax for type numeric: "12a"`},
		{"numeric exponent", OIDNumeric, 0, "1e1001", pgerr.InvalidTextRepresentation, `invalid input syntax for type numeric: "1e1001"`},
		{"numeric dot", OIDNumeric, 0, ".", pgerr.InvalidTextRepresentation, `invalid input syntax for type numeric: "."`},
		{"date syntax", OIDDate, 0, "yesterdayish", pgerr.InvalidDatetimeFormat, `invalid input syntax for type date: "yesterdayish"`},
		{"date field", OIDDate, 0, "2024-13-01", pgerr.DatetimeFieldOverflow, `date/time field value out of range: "2024-13-01"`},
		{"date feb 30", OIDDate, 0, "2023-02-29", pgerr.DatetimeFieldOverflow, `date/time field value out of range: "2023-02-29"`},
		{"date range", OIDDate, 0, "5874898-01-01", pgerr.DatetimeFieldOverflow, `date out of range: "5874898-01-01"`},
		{"timestamp syntax", OIDTimestamp, 0, "2024-01-02 xx", pgerr.InvalidDatetimeFormat, `invalid input syntax for type timestamp: "2024-01-02 xx"`},
		{"timestamptz hour", OIDTimestamptz, 0, "2024-01-02 25:00:00", pgerr.DatetimeFieldOverflow, `date/time field value out of range: "2024-01-02 25:00:00"`},
		{"timestamp range", OIDTimestamp, 0, "294277-01-01", pgerr.DatetimeFieldOverflow, `timestamp out of range: "294277-01-01"`},
		{"timestamptz zone", OIDTimestamptz, 0, "2024-01-02 03:04:05 Mars/Olympus", pgerr.InvalidParameterValue, `time zone "mars/olympus" not recognized`},
		{"time", OIDTime, 0, "25:00", pgerr.DatetimeFieldOverflow, ""},
		{"interval", OIDInterval, 0, "1 fortnight", pgerr.InvalidDatetimeFormat, `invalid input syntax for type interval: "1 fortnight"`},
		{"interval overflow", OIDInterval, 0, "999999999999 years", "22015", ""},
		{"uuid", OIDUUID, 0, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", pgerr.InvalidTextRepresentation, `invalid input syntax for type uuid: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"`},
		{"uuid hyphen", OIDUUID, 0, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1-1", pgerr.InvalidTextRepresentation, ""},
		{"uuid braces", OIDUUID, 0, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", pgerr.InvalidTextRepresentation, ""},
		{"bytea hex digit", OIDBytea, 0, `\xzz`, pgerr.InvalidParameterValue, `invalid hexadecimal digit: "z"`},
		{"bytea odd", OIDBytea, 0, `\xabc`, pgerr.InvalidParameterValue, `invalid hexadecimal data: odd number of digits`},
		{"bytea escape", OIDBytea, 0, `\9`, pgerr.InvalidTextRepresentation, `invalid input syntax for type bytea`},
		{"json", OIDJSON, 0, `{"a":`, pgerr.InvalidTextRepresentation, `invalid input syntax for type json`},
		{"text nul", OIDText, 0, "a\x00b", "22021", `invalid byte sequence for encoding "UTF8": 0x00`},
		{"text utf8", OIDText, 0, "a\xff", "22021", `invalid byte sequence for encoding "UTF8": 0xff`},
		{"array", OIDInt4Array, 0, "{1,2", pgerr.InvalidTextRepresentation, `malformed array literal: "{1,2"`},
		{"array ragged", OIDInt4Array, 0, "{{1},{2,3}}", pgerr.InvalidTextRepresentation, ""},
		{"array element", OIDInt4Array, 0, "{1,x}", pgerr.InvalidTextRepresentation, `invalid input syntax for type integer: "x"`},
		{"int4 binary short", OIDInt4, 1, "\x00\x01", pgerr.InvalidBinaryRepresentation, `incorrect binary data format for type integer`},
		{"int8 binary long", OIDInt8, 1, "123456789", pgerr.InvalidBinaryRepresentation, ""},
		{"bool binary", OIDBool, 1, "", pgerr.InvalidBinaryRepresentation, ""},
		{"float8 binary", OIDFloat8, 1, "1234", pgerr.InvalidBinaryRepresentation, ""},
		{"uuid binary", OIDUUID, 1, "short", pgerr.InvalidBinaryRepresentation, ""},
		{"date binary range", OIDDate, 1, "\x7f\xff\x00\x00", pgerr.DatetimeFieldOverflow, "date out of range"},
		{"timestamp binary range", OIDTimestamp, 1, "\x7f\xff\xff\xff\x00\x00\x00\x00", pgerr.DatetimeFieldOverflow, "timestamp out of range"},
		{"numeric binary sign", OIDNumeric, 1, "\x00\x00\x00\x00\x12\x34\x00\x00", pgerr.InvalidBinaryRepresentation, `invalid sign in external "numeric" value`},
		{"numeric binary digit", OIDNumeric, 1, "\x00\x01\x00\x00\x00\x00\x00\x00\x27\x10", pgerr.InvalidBinaryRepresentation, `invalid digit in external "numeric" value`},
		{"numeric binary length", OIDNumeric, 1, "\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01", pgerr.InvalidBinaryRepresentation, ""},
		{"numeric binary scale", OIDNumeric, 1, "\x00\x00\x00\x00\x00\x00\x40\x00", pgerr.InvalidBinaryRepresentation, `invalid scale in external "numeric" value`},
		{"jsonb version", OIDJSONB, 1, "\x02{}", pgerr.InvalidBinaryRepresentation, ""},
		{"array binary elem type", OIDInt4Array, 1, "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x19\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01x", pgerr.DatatypeMismatch, ""},
		{"array binary truncated", OIDInt4Array, 1, "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x17\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x01", pgerr.InvalidBinaryRepresentation, ""},
		{"format", OIDInt4, 2, "1", pgerr.ProtocolViolation, "unsupported format code: 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := DecodeParam(tt.oid, tt.format, []byte(tt.in))
			if err == nil {
				t.Fatalf("DecodeParam(%d, %d, %q) = %#v, want error %s", tt.oid, tt.format, tt.in, v, tt.code)
			}
			e := pgerr.As(err)
			if e == nil {
				t.Fatalf("error %v is not a *pgerr.Error", err)
			}
			if e.Code != tt.code {
				t.Errorf("code = %s, want %s (%s)", e.Code, tt.code, e.Message)
			}
			if tt.msg != "" && e.Message != tt.msg {
				t.Errorf("message = %q, want %q", e.Message, tt.msg)
			}
		})
	}
}

func TestCodecDecodeParamValues(t *testing.T) {
	tests := []struct {
		name   string
		oid    uint32
		format int16
		in     string
		want   any
	}{
		{"unspecified text", OIDUnspecified, 0, "abc", "abc"},
		{"unknown text", OIDUnknown, 0, "abc", "abc"},
		{"unspecified binary", OIDUnspecified, 1, "\x01\x02", []byte{1, 2}},
		{"unknown type oid", 424242, 0, "x", "x"},
		{"bool on", OIDBool, 0, "ON", int64(1)},
		{"bool of", OIDBool, 0, "of", int64(0)},
		{"bool binary", OIDBool, 1, "\x01", int64(1)},
		{"int4 spaces", OIDInt4, 0, "\t 42\n", int64(42)},
		{"oid negative", OIDOID, 0, "-1", int64(4294967295)},
		{"float8 inf", OIDFloat8, 0, "-Infinity", math.Inf(-1)},
		{"numeric exp", OIDNumeric, 0, "1.5e-3", "0.0015"},
		{"numeric neg zero", OIDNumeric, 0, "-0.000", "0.000"},
		{"numeric big exp", OIDNumeric, 0, "2E+5", "200000"},
		{"bytea hex", OIDBytea, 0, `\xDEadBEef`, []byte{0xde, 0xad, 0xbe, 0xef}},
		{"bytea escape", OIDBytea, 0, `a\\b\001`, []byte{'a', '\\', 'b', 1}},
		{"bytea binary", OIDBytea, 1, "\x00\xff", []byte{0, 0xff}},
		{"timestamptz offset", OIDTimestamptz, 0, "2024-01-02 03:04:05+05:30", "2024-01-01 21:34:05+00"},
		{"timestamptz T", OIDTimestamptz, 0, "2024-01-02T03:04:05.123+00:00", "2024-01-02 03:04:05.123+00"},
		{"timestamptz z", OIDTimestamptz, 0, "2024-01-02 03:04:05.123456Z", "2024-01-02 03:04:05.123456+00"},
		{"timestamptz named", OIDTimestamptz, 0, "2024-01-15 12:00:00 Europe/Paris", "2024-01-15 11:00:00+00"},
		{"timestamptz no zone", OIDTimestamptz, 0, "2024-01-02 03:04:05", "2024-01-02 03:04:05+00"},
		{"timestamptz leap", OIDTimestamptz, 0, "2024-12-31 23:59:60", "2025-01-01 00:00:00+00"},
		{"timestamp drops zone", OIDTimestamp, 0, "2024-01-02 03:04:05-08", "2024-01-02 03:04:05"},
		{"timestamp epoch", OIDTimestamp, 0, "epoch", "1970-01-01 00:00:00"},
		{"date mdy", OIDDate, 0, "12/31/99", "1999-12-31"},
		{"time rounding", OIDTime, 0, "23:59:59.9999999", "24:00:00"},
		{"uuid upper", OIDUUID, 0, "A0EEBC999C0B4EF8BB6D6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"interval iso weeks", OIDInterval, 0, "P2W", "14 days"},
		{"interval ago", OIDInterval, 0, "1 day 02:00 ago", "-1 days -02:00:00"},
		{"interval units", OIDInterval, 0, "1h 30m", "01:30:00"},
		{"int4[] text", OIDInt4Array, 0, "{ 1, NULL ,3 }", "{1,NULL,3}"},
		{"void", OIDVoid, 0, "", nil},
		{"jsonb binary", OIDJSONB, 1, "\x01{\"a\":1}", `{"a": 1}`},
		{"jsonb normalized", OIDJSONB, 0, `{"b":[1.50,2e1],"a":{}}`, `{"a": {}, "b": [1.50, 20]}`},
		{"json kept", OIDJSON, 0, `{"b":1, "b":2}`, `{"b":1, "b":2}`},
		{"char binary", OIDChar, 1, "x", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeParam(tt.oid, tt.format, []byte(tt.in))
			if err != nil {
				t.Fatalf("DecodeParam(%d, %d, %q): %v", tt.oid, tt.format, tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeParam(%d, %d, %q) = %#v, want %#v", tt.oid, tt.format, tt.in, got, tt.want)
			}
		})
	}
}

// TestCodecDecodeDoesNotAlias checks that decoded values own their bytes.
func TestCodecDecodeDoesNotAlias(t *testing.T) {
	for _, oid := range []uint32{OIDBytea, OIDText, OIDUnspecified, 424242} {
		for _, format := range []int16{0, 1} {
			in := []byte("abcd")
			v, err := DecodeParam(oid, format, in)
			if err != nil {
				t.Fatal(err)
			}
			copy(in, "zzzz")
			switch x := v.(type) {
			case []byte:
				if string(x) == "zzzz" {
					t.Errorf("oid %d format %d: result aliases input", oid, format)
				}
			case string:
				if x == "zzzz" {
					t.Errorf("oid %d format %d: result aliases input", oid, format)
				}
			}
		}
	}
}

func TestCodecAppendValue(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.FixedZone("x", 3600))
	tests := []struct {
		name   string
		oid    uint32
		format int16
		v      any
		want   string // text, or hex for binary
	}{
		{"int4 text", OIDInt4, 0, int64(-42), "-42"},
		{"int4 from float text", OIDInt4, 0, float64(7), "7"},
		{"int4 holding string text", OIDInt4, 0, "abc", "abc"},
		{"int4 holding real text", OIDInt4, 0, 1.5, "1.5"},
		{"int8 binary", OIDInt8, 1, int64(-2), "fffffffffffffffe"},
		{"int2 binary", OIDInt2, 1, int64(258), "0102"},
		{"int4 binary from string", OIDInt4, 1, "12", "0000000c"},
		{"oid binary", OIDOID, 1, int64(4294967295), "ffffffff"},
		{"bool text", OIDBool, 0, int64(1), "t"},
		{"bool text zero", OIDBool, 0, int64(0), "f"},
		{"bool text string", OIDBool, 0, "true", "t"},
		{"bool binary", OIDBool, 1, int64(1), "01"},
		{"float8 text", OIDFloat8, 0, 3.25, "3.25"},
		{"float8 text int", OIDFloat8, 0, int64(3), "3"},
		{"float8 text neg zero", OIDFloat8, 0, math.Copysign(0, -1), "-0"},
		{"float8 text big", OIDFloat8, 0, 1e100, "1e+100"},
		{"float8 binary", OIDFloat8, 1, 1.5, "3ff8000000000000"},
		{"float4 text", OIDFloat4, 0, 0.1, "0.1"},
		{"float4 binary", OIDFloat4, 1, 1.5, "3fc00000"},
		{"numeric text int", OIDNumeric, 0, int64(12), "12"},
		{"numeric text float", OIDNumeric, 0, 1e20, "100000000000000000000"},
		{"numeric text float frac", OIDNumeric, 0, 0.1, "0.1"},
		{"numeric text string", OIDNumeric, 0, "1.50", "1.50"},
		{"numeric binary int", OIDNumeric, 1, int64(-12345), "000200014000000000010929"},
		{"numeric binary float", OIDNumeric, 1, 0.5, "0001ffff0000000113 88"},
		{"numeric binary nan", OIDNumeric, 1, math.NaN(), "00000000c0000000"},
		{"bytea text", OIDBytea, 0, []byte{0xde, 0xad}, `\xdead`},
		{"bytea text from string", OIDBytea, 0, "hi", `\x6869`},
		{"bytea text empty", OIDBytea, 0, []byte{}, `\x`},
		{"bytea binary", OIDBytea, 1, []byte{1, 2}, "0102"},
		{"text from int", OIDText, 0, int64(5), "5"},
		{"text from blob", OIDText, 0, []byte("raw"), "raw"},
		{"text binary", OIDText, 1, "hé", "68c3a9"},
		{"timestamptz from time", OIDTimestamptz, 0, ts, "2024-01-02 02:04:05.123456+00"},
		{"timestamp from time", OIDTimestamp, 0, ts, "2024-01-02 03:04:05.123456"},
		{"date from time", OIDDate, 0, ts, "2024-01-02"},
		{"time from time", OIDTime, 0, ts, "03:04:05.123456"},
		{"timestamptz normalizes", OIDTimestamptz, 0, "2024-01-02 03:04:05", "2024-01-02 03:04:05+00"},
		{"timestamptz normalizes T", OIDTimestamptz, 0, "2024-01-02T03:04:05.500Z", "2024-01-02 03:04:05.5+00"},
		{"timestamptz garbage", OIDTimestamptz, 0, "soon", "soon"},
		{"timestamptz binary from time", OIDTimestamptz, 1, time.Date(2000, 1, 1, 0, 0, 1, 0, time.UTC), "00000000000f4240"},
		{"timestamp binary from string", OIDTimestamp, 1, "2000-01-02 00:00:00", "000000141dd76000"},
		{"date binary", OIDDate, 1, "1999-12-31", "ffffffff"},
		{"time binary", OIDTime, 1, "00:00:01", "00000000000f4240"},
		{"interval binary", OIDInterval, 1, "1 mon 2 days 00:00:01", "00000000000f42400000000200000001"},
		{"uuid text bytes", OIDUUID, 0, []byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"uuid binary", OIDUUID, 1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd380a11"},
		{"jsonb binary", OIDJSONB, 1, `{"a":1}`, "017b2261223a317d"},
		{"void binary", OIDVoid, 1, "", ""},
		{"int4[] binary", OIDInt4Array, 1, "{1,NULL}", "000000010000000100000017000000020000000100000004" + "00000001" + "ffffffff"},
		{"empty array binary", OIDTextArray, 1, "{}", "000000000000000000000019"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendValue([]byte("prefix"), tt.oid, tt.format, tt.v)
			if err != nil {
				t.Fatalf("AppendValue: %v", err)
			}
			if !bytes.HasPrefix(got, []byte("prefix")) {
				t.Fatalf("AppendValue dropped the buffer's contents: %q", got)
			}
			got = got[len("prefix"):]
			want := tt.want
			if tt.format == 1 {
				want = strings.ReplaceAll(want, " ", "")
				if hex.EncodeToString(got) != want {
					t.Errorf("got %x, want %s", got, want)
				}
				return
			}
			if string(got) != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestCodecAppendValueErrors(t *testing.T) {
	tests := []struct {
		name string
		oid  uint32
		v    any
		code pgerr.Code
	}{
		{"int4 string", OIDInt4, "abc", pgerr.DatatypeMismatch},
		{"int4 overflow", OIDInt4, int64(1) << 40, pgerr.NumericValueOutOfRange},
		{"int2 overflow", OIDInt2, int64(40000), pgerr.NumericValueOutOfRange},
		{"int8 fraction", OIDInt8, 1.5, pgerr.DatatypeMismatch},
		{"bool string", OIDBool, "maybe", pgerr.DatatypeMismatch},
		{"float8 string", OIDFloat8, "x", pgerr.DatatypeMismatch},
		{"numeric string", OIDNumeric, "1.2.3", pgerr.DatatypeMismatch},
		{"timestamptz string", OIDTimestamptz, "soon", pgerr.DatatypeMismatch},
		{"date int", OIDDate, int64(3), pgerr.DatatypeMismatch},
		{"uuid string", OIDUUID, "nope", pgerr.DatatypeMismatch},
		{"interval string", OIDInterval, "nope", pgerr.DatatypeMismatch},
		{"array string", OIDInt4Array, "{x}", pgerr.InvalidTextRepresentation},
		{"record", OIDRecord, "(1,2)", pgerr.FeatureNotSupported},
		{"nil", OIDInt4, nil, pgerr.InternalError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AppendValue(nil, tt.oid, FormatBinary, tt.v)
			if got := pgerr.CodeOf(err); err == nil || got != tt.code {
				t.Errorf("AppendValue(%d, binary, %#v) error = %v, want code %s", tt.oid, tt.v, err, tt.code)
			}
			// Text format never fails for a non-nil value.
			if tt.v != nil {
				if _, err := AppendValue(nil, tt.oid, FormatText, tt.v); err != nil {
					t.Errorf("AppendValue(%d, text, %#v): %v", tt.oid, tt.v, err)
				}
			}
		})
	}
}

// TestNumericBinaryRoundTrip checks numeric_send's layout on hand-made
// cases and that text -> binary -> text is the identity on canonical
// text.
func TestNumericBinaryRoundTrip(t *testing.T) {
	tests := []struct {
		text string
		hex  string // ndigits weight sign dscale digits...
	}{
		{"0", "0000 0000 0000 0000"},
		{"0.00", "0000 0000 0000 0002"},
		{"1", "0001 0000 0000 0000 0001"},
		{"-1", "0001 0000 4000 0000 0001"},
		{"10000", "0001 0001 0000 0000 0001"},
		{"9999", "0001 0000 0000 0000 270f"},
		{"0.5", "0001 ffff 0000 0001 1388"},
		{"0.0001", "0001 ffff 0000 0004 0001"},
		{"0.00001", "0001 fffe 0000 0005 03e8"},
		{"12345.678", "0003 0001 0000 0003 0001 0929 1a7c"},
		{"1.0000", "0001 0000 0000 0004 0001"},
		{"100000000", "0001 0002 0000 0000 0001"},
		{"-0.001", "0001 ffff 4000 0003 000a"},
		{"NaN", "0000 0000 c000 0000"},
		{"Infinity", "0000 0000 d000 0020"},
		{"-Infinity", "0000 0000 f000 0020"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			want, _ := hex.DecodeString(strings.ReplaceAll(tt.hex, " ", ""))
			got, err := AppendValue(nil, OIDNumeric, FormatBinary, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("binary: got %x, want %x", got, want)
			}
			back, err := DecodeParam(OIDNumeric, FormatBinary, want)
			if err != nil {
				t.Fatal(err)
			}
			if back != tt.text {
				t.Errorf("decode: got %q, want %q", back, tt.text)
			}
		})
	}
	// Large values: 1000 nines with 1000 fractional digits.
	big := strings.Repeat("9", 1000) + "." + strings.Repeat("0", 999) + "1"
	bin, err := AppendValue(nil, OIDNumeric, FormatBinary, big)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeParam(OIDNumeric, FormatBinary, bin)
	if err != nil || back != big {
		t.Errorf("large numeric round trip failed: %v", err)
	}
	// Digits hidden by dscale are truncated, as numeric_recv does.
	v, err := DecodeParam(OIDNumeric, FormatBinary, mustHex("0002 0000 4000 0001 0001 1388"))
	if err != nil || v != "-1.5" {
		t.Errorf("truncation: got %v, %v", v, err)
	}
	v, err = DecodeParam(OIDNumeric, FormatBinary, mustHex("0001 ffff 4000 0000 1388"))
	if err != nil || v != "0" {
		t.Errorf("negative truncated to zero: got %v, %v", v, err)
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// TestCodecDateTimeRange round-trips dates over the whole supported
// range through both formats.
func TestCodecDateTimeRange(t *testing.T) {
	for d := int64(minDate); d < int64(endDate); d += 9973 * 37 {
		var b [4]byte
		b[0], b[1], b[2], b[3] = byte(d>>24), byte(d>>16), byte(d>>8), byte(d)
		v, err := DecodeParam(OIDDate, FormatBinary, b[:])
		if err != nil {
			t.Fatalf("day %d: %v", d, err)
		}
		again, err := AppendValue(nil, OIDDate, FormatBinary, v)
		if err != nil || !bytes.Equal(again, b[:]) {
			t.Fatalf("day %d (%v): got %x, %v", d, v, again, err)
		}
	}
	for us := minTimestamp; us < endTimestamp-1e15; us += 7777777777777777 {
		in := be64(us)
		v, err := DecodeParam(OIDTimestamptz, FormatBinary, in)
		if err != nil {
			t.Fatalf("usec %d: %v", us, err)
		}
		again, err := AppendValue(nil, OIDTimestamptz, FormatBinary, v)
		if err != nil || !bytes.Equal(again, in) {
			t.Fatalf("usec %d (%v): got %x, %v", us, v, again, err)
		}
	}
}

// be64 encodes n as 8 big-endian bytes.
func be64(n int64) []byte {
	b := make([]byte, 8)
	for i := 0; i < 8; i++ {
		b[i] = byte(n >> (56 - 8*i))
	}
	return b
}
