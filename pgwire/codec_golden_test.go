package pgwire

import (
	"bufio"
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The golden file holds, for each (type, input text), what PostgreSQL 15
// prints in text format and sends in binary format. Regenerate it with a
// PostgreSQL 15 server:
//
//	REPLISQL_TEST_PG_DSN=postgres://postgres@127.0.0.1:55499/postgres \
//	  go test -run TestCodecGolden ./pgwire/ -update-golden
//
// Without -update-golden but with the DSN set, TestCodecAgainstPostgres
// compares against the live server instead of the file.
var updateGolden = flag.Bool("update-golden", false, "regenerate testdata/codec_golden.txt from REPLISQL_TEST_PG_DSN")

const goldenFile = "testdata/codec_golden.txt"

type goldenCase struct {
	typ   string // SQL type name
	input string // text input
	text  string // PostgreSQL's text output
	bin   []byte // PostgreSQL's binary output
}

// goldenInputs are the values checked against PostgreSQL.
var goldenInputs = []struct {
	typ    string
	inputs []string
}{
	{"bool", []string{"t", "f", "yes", " off ", "TRUE", "1"}},
	{"int2", []string{"0", "-32768", "32767", " 42 ", "+7"}},
	{"int4", []string{"0", "1", "-1", "2147483647", "-2147483648", "  -12  "}},
	{"int8", []string{"0", "9223372036854775807", "-9223372036854775808", "1234567890123"}},
	{"oid", []string{"0", "4294967295", "-1", "1259"}},
	{"float4", []string{"0", "-0", "1.5", "3.25", "1e6", "123456.7", "1e-5", "NaN", "Infinity", "-Infinity", "0.1", "3.4028235e38", "1.17549435e-38", "-2.5e-10", "999999", "16777217", "1e10", "33554434", "7.038531e-26"}},
	{"float8", []string{"0", "-0", "3.25", "1e100", "1e15", "999999999999999", "0.0001", "0.00001", "NaN", "Infinity", "-inf", "0.1", "1.7976931348623157e308", "5e-324", "123456789.123", "-1.5e-7", "100", "2.5e22", " 42 ", "9007199254740993", "1e23", "4.35e-5", "1.5e300", "72057594037927945", "2.2250738585072014e-308"}},
	{"numeric", []string{"0", "0.00", "-0.00", "1", "-1", "10000", "9999", "12345.678", "0.5", "0.0001", "0.00001", "-123.456",
		"1e20", "1.20e1", "123456789012345678901234567890.123456789", "NaN", "Infinity", "-Infinity", "1e-20", "100", "1000000",
		"0.1000", "-0.001", "  +5.  ", ".5", "9999.9999", "10000.0001", "1E+3", "-1.5e-3", "12345678", "0.000123400"}},
	{"bytea", []string{`\x`, `\xdeadbeef`, `\x00ff`, `abc\000\\d`, `\xDE AD`}},
	{"text", []string{"", "hello", "héllo ☃", "tab\there"}},
	{"varchar", []string{"abc"}},
	{"bpchar", []string{"ab"}},
	{"name", []string{"pg_class"}},
	{`"char"`, []string{"a"}},
	{"date", []string{"2024-01-02", "2000-01-01", "1999-12-31", "0001-01-01 BC", "infinity", "-infinity", "5874897-12-31",
		"4714-11-24 BC", "20240102", "1/2/2024", "2024-02-29", "2024-01-02 03:04:05", "1970-01-01", "12000-06-30", "2024-1-2", "99991231"}},
	{"time", []string{"00:00:00", "23:59:59.999999", "12:34:56.5", "24:00:00", "01:02", "13:14:15.1234567"}},
	{"timestamp", []string{"2024-01-02 03:04:05.123456", "2000-01-01 00:00:00", "1970-01-01", "2024-01-02T03:04:05Z",
		"infinity", "-infinity", "0001-01-01 00:00:00 BC", "294276-12-31 23:59:59.999999", "1999-12-31 23:59:59.9999996", "2024-01-02 03:04:05+05:30"}},
	{"timestamptz", []string{"2024-01-02 03:04:05.123456Z", "2024-01-02T03:04:05.123+00:00", "2024-01-02 03:04:05+05:30",
		"2024-01-02 03:04:05-0800", "2024-06-01 12:00:00 America/New_York", "infinity", "-infinity", "1999-12-31 23:59:59.9999995",
		"2024-01-02", "2024-01-02 03:04:05 UTC", "1900-01-01 00:00:00+00", "0044-03-15 12:00:00+00 BC",
		"2024-03-10 02:30:00 America/New_York", "2024-11-03 01:30:00 America/New_York", "2024-1-2 3:04:05", "2024-01-02 03:04:05.5-02:30"}},
	{"interval", []string{"1 year 2 mons 3 days 04:05:06.5", "-1 days +02:03", "-14 mons", "0", "1.5 days", "P1Y2M3DT4H5M6.5S",
		"@ 1 hour ago", "100:00:00", "1 week", "-00:00:00.000001", "2 years -3 mons", "1 day 1 hour", "5", "1.5 months", "3 mins 4 secs",
		"1 day -00:00:01", "-1 day -1 hour", "0.5 years", "1 millisecond",
		"-1.5 hours", "1 year 6 months ago", "PT36H", "P1.5Y", "1 mon 1.5 days", "1.25 weeks", "10 secs 5 ms", "2562047788:00:54.775807"}},
	{"uuid", []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", "a0eebc999c0b4ef8bb6d6bb9bd380a11",
		"a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"}},
	{"json", []string{`{"a": 1}`, `[1,2]`, `"x"`, `null`}},
	{"jsonb", []string{`{"a": 1}`, `[1, 2]`, `{"b":1,"a":[1,2.50,1e2,-0.0],"aa":"x\u0041\u00e9\n\u001f/","a":null, "c":{"z":true,"y":false}}`, `"x"`, `  3.0  `, `[]`, `{}`}},
	{"int4[]", []string{"{1,2,NULL}", "{{1,2},{3,4}}", "{}", "[0:1]={5,6}", "{ 1 , 02 }"}},
	{"int8[]", []string{"{9223372036854775807}"}},
	{"text[]", []string{`{a,"b c","",NULL,"x\"y","null","back\\slash"}`, `{"{}",","}`}},
	{"bytea[]", []string{`{"\\x0102",NULL}`}},
	{"numeric[]", []string{"{1.5,NaN,-0.01}"}},
	{"bool[]", []string{"{t,f}"}},
	{"float8[]", []string{"{1.5,NaN,1e100}"}},
	{"timestamptz[]", []string{`{"2024-01-02 03:04:05+00"}`}},
	{"date[]", []string{"{2024-01-02,infinity}"}},
	{"uuid[]", []string{"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"}},
	{"varchar[]", []string{"{x,y}"}},
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	f, err := os.Open(goldenFile)
	if err != nil {
		t.Fatalf("open golden file: %v", err)
	}
	defer f.Close()
	var cases []goldenCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 4 {
			t.Fatalf("bad golden line %q", line)
		}
		var c goldenCase
		c.typ = parts[0]
		if c.input, err = strconv.Unquote(parts[1]); err != nil {
			t.Fatalf("golden input %q: %v", parts[1], err)
		}
		if c.text, err = strconv.Unquote(parts[2]); err != nil {
			t.Fatalf("golden text %q: %v", parts[2], err)
		}
		if c.bin, err = hex.DecodeString(parts[3]); err != nil {
			t.Fatalf("golden binary %q: %v", parts[3], err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// queryPostgres asks a live server for every golden input's encodings.
func queryPostgres(t *testing.T, dsn string) []goldenCase {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	defer conn.Close(ctx)
	if err := conn.Exec(ctx, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = postgres; SET extra_float_digits = 1").Close(); err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, g := range goldenInputs {
		for _, in := range g.inputs {
			sql := "SELECT $1::text::" + g.typ
			res := conn.ExecParams(ctx, sql, [][]byte{[]byte(in)}, []uint32{OIDText}, []int16{0}, []int16{0}).Read()
			if res.Err != nil {
				t.Fatalf("%s %q text: %v", g.typ, in, res.Err)
			}
			text := string(res.Rows[0][0])
			res = conn.ExecParams(ctx, sql, [][]byte{[]byte(in)}, []uint32{OIDText}, []int16{0}, []int16{1}).Read()
			if res.Err != nil {
				t.Fatalf("%s %q binary: %v", g.typ, in, res.Err)
			}
			cases = append(cases, goldenCase{typ: g.typ, input: in, text: text, bin: append([]byte{}, res.Rows[0][0]...)})
		}
	}
	return cases
}

func TestCodecGolden(t *testing.T) {
	if *updateGolden {
		dsn := os.Getenv("REPLISQL_TEST_PG_DSN")
		if dsn == "" {
			t.Fatal("-update-golden needs REPLISQL_TEST_PG_DSN")
		}
		cases := queryPostgres(t, dsn)
		var sb strings.Builder
		sb.WriteString("# type\tinput\tPostgreSQL 15 text output\tPostgreSQL 15 binary output (hex); generated by TestCodecGolden -update-golden\n")
		for _, c := range cases {
			fmt.Fprintf(&sb, "%s\t%s\t%s\t%s\n", c.typ, strconv.Quote(c.input), strconv.Quote(c.text), hex.EncodeToString(c.bin))
		}
		if err := os.MkdirAll(filepath.Dir(goldenFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenFile, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkGolden(t, loadGolden(t))
}

// TestCodecAgainstPostgres compares with a live PostgreSQL 15 when
// REPLISQL_TEST_PG_DSN is set.
func TestCodecAgainstPostgres(t *testing.T) {
	dsn := os.Getenv("REPLISQL_TEST_PG_DSN")
	if dsn == "" {
		t.Skip("REPLISQL_TEST_PG_DSN not set; the golden file covers the same cases")
	}
	checkGolden(t, queryPostgres(t, dsn))
}

func checkGolden(t *testing.T, cases []goldenCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.typ+"/"+c.input, func(t *testing.T) {
			oid, ok := TypeOIDByName(c.typ)
			if !ok {
				t.Fatalf("TypeOIDByName(%q) failed", c.typ)
			}
			// text input -> SQLite value
			v, err := DecodeParam(oid, FormatText, []byte(c.input))
			if err != nil {
				t.Fatalf("DecodeParam text: %v", err)
			}
			// SQLite value -> PostgreSQL's text and binary output
			gotText, err := AppendValue(nil, oid, FormatText, v)
			if err != nil {
				t.Fatalf("AppendValue text: %v", err)
			}
			if string(gotText) != c.text {
				t.Errorf("text: got %q, want %q (value %#v)", gotText, c.text, v)
			}
			gotBin, err := AppendValue(nil, oid, FormatBinary, v)
			if err != nil {
				t.Fatalf("AppendValue binary: %v", err)
			}
			if string(gotBin) != string(c.bin) {
				t.Errorf("binary: got %x, want %x (value %#v)", gotBin, c.bin, v)
			}
			// PostgreSQL's binary -> the same SQLite value
			v2, err := DecodeParam(oid, FormatBinary, c.bin)
			if err != nil {
				t.Fatalf("DecodeParam binary: %v", err)
			}
			if !reflect.DeepEqual(v, v2) && !bothNaN(v, v2) {
				t.Errorf("binary decode: got %#v, text decode gave %#v", v2, v)
			}
			// PostgreSQL's text output reads back to the same value.
			v3, err := DecodeParam(oid, FormatText, []byte(c.text))
			if err != nil {
				t.Fatalf("DecodeParam of output text: %v", err)
			}
			if !reflect.DeepEqual(v, v3) && !bothNaN(v, v3) {
				t.Errorf("text output decode: got %#v, want %#v", v3, v)
			}
		})
	}
}

func bothNaN(a, b any) bool {
	x, ok1 := a.(float64)
	y, ok2 := b.(float64)
	return ok1 && ok2 && x != x && y != y
}
