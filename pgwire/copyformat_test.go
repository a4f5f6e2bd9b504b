package pgwire

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// The reference table of testdata/copy_ref.sql, in SQLite
// representation; testdata/copy_ref* are PostgreSQL 15's COPY TO output
// for it.
var (
	copyRefOIDs  = []uint32{OIDInt4, OIDText, OIDBytea, OIDFloat8, OIDBool, OIDTimestamptz, OIDNumeric}
	copyRefNames = []string{"i", "s", "b", "f", "ok", "ts", "n"}
	copyRefRows  = [][]any{
		{int64(1), "a\tb\nc\\d,e\"f", []byte{0, 0xff}, 1.5, int64(1), "2024-01-02 03:04:05.5+00", "1.50"},
		{int64(2), "", []byte{}, math.NaN(), int64(0), "infinity", "NaN"},
		{nil, nil, nil, nil, nil, nil, nil},
		{int64(3), `\.`, nil, 0.0, nil, nil, "-0.001"},
		{int64(4), "x\ry\x01z", nil, 1e100, nil, nil, "12345678901234567890.123"},
	}
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rowsEqual compares rows, NaN equal to NaN.
func rowsEqual(a, b [][]any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if !reflect.DeepEqual(a[i][j], b[i][j]) && !bothNaN(a[i][j], b[i][j]) {
				return false
			}
		}
	}
	return true
}

func readAllRows(t *testing.T, r io.Reader, opts CopyOptions, oids []uint32) ([][]any, error) {
	t.Helper()
	cr := NewCopyReader(r, opts, oids)
	var rows [][]any
	for {
		row, err := cr.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
		if len(rows) > 100000 {
			t.Fatal("runaway reader")
		}
	}
}

func writeAllRows(t *testing.T, opts CopyOptions, oids []uint32, names []string, rows [][]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	cw := NewCopyWriter(&buf, opts, oids)
	if err := cw.WriteHeader(names); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if err := cw.WriteRow(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCopyAgainstPostgresOutput(t *testing.T) {
	tests := []struct {
		name string
		file string
		opts CopyOptions
	}{
		{"text", "copy_ref_text.txt", CopyOptions{}},
		{"csv header", "copy_ref_header.csv", CopyOptions{Format: "csv", Header: true}},
		{"binary", "copy_ref.bin", CopyOptions{Format: "binary"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := readTestdata(t, tt.file)
			got := writeAllRows(t, tt.opts, copyRefOIDs, copyRefNames, copyRefRows)
			if !bytes.Equal(got, want) {
				t.Errorf("writer output differs from PostgreSQL's:\n got %q\nwant %q", got, want)
			}
			rows, err := readAllRows(t, bytes.NewReader(want), tt.opts, copyRefOIDs)
			if err != nil {
				t.Fatal(err)
			}
			if !rowsEqual(rows, copyRefRows) {
				t.Errorf("reader got %#v\nwant %#v", rows, copyRefRows)
			}
		})
	}
	t.Run("csv one column", func(t *testing.T) {
		want := readTestdata(t, "copy_ref_onecol.csv")
		var col [][]any
		for _, r := range copyRefRows {
			col = append(col, []any{r[1]})
		}
		got := writeAllRows(t, CopyOptions{Format: "csv"}, []uint32{OIDText}, nil, col)
		if !bytes.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
		rows, err := readAllRows(t, bytes.NewReader(want), CopyOptions{Format: "csv"}, []uint32{OIDText})
		if err != nil || !rowsEqual(rows, col) {
			t.Errorf("reader got %#v, %v", rows, err)
		}
	})
}

// splitReader returns data[:k] from its first Read and the rest after.
type splitReader struct {
	parts [][]byte
}

func (s *splitReader) Read(p []byte) (int, error) {
	for len(s.parts) > 0 && len(s.parts[0]) == 0 {
		s.parts = s.parts[1:]
	}
	if len(s.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.parts[0])
	s.parts[0] = s.parts[0][n:]
	return n, nil
}

// TestCopyReaderChunking splits each input at every byte position, and
// feeds it one byte at a time: the rows must not change.
func TestCopyReaderChunking(t *testing.T) {
	inputs := []struct {
		name string
		data []byte
		opts CopyOptions
	}{
		{"text", readTestdata(t, "copy_ref_text.txt"), CopyOptions{}},
		{"csv", readTestdata(t, "copy_ref_header.csv"), CopyOptions{Format: "csv", Header: true}},
		{"binary", readTestdata(t, "copy_ref.bin"), CopyOptions{Format: "binary"}},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			for k := 0; k <= len(in.data); k++ {
				r := &splitReader{parts: [][]byte{append([]byte{}, in.data[:k]...), append([]byte{}, in.data[k:]...)}}
				rows, err := readAllRows(t, r, in.opts, copyRefOIDs)
				if err != nil {
					t.Fatalf("split at %d: %v", k, err)
				}
				if !rowsEqual(rows, copyRefRows) {
					t.Fatalf("split at %d: got %#v", k, rows)
				}
			}
			rows, err := readAllRows(t, iotest.OneByteReader(bytes.NewReader(in.data)), in.opts, copyRefOIDs)
			if err != nil || !rowsEqual(rows, copyRefRows) {
				t.Fatalf("one byte at a time: %#v, %v", rows, err)
			}
		})
	}
}

func TestCopyReaderText(t *testing.T) {
	oids := []uint32{OIDInt4, OIDText, OIDBytea}
	tests := []struct {
		name string
		in   string
		opts CopyOptions
		want [][]any
	}{
		{"pgbench style with end marker", "1\tx\t\\\\x01\n2\ty\t\\N\n\\.\n", CopyOptions{},
			[][]any{{int64(1), "x", []byte{1}}, {int64(2), "y", nil}}},
		{"data after end marker ignored", "1\tx\t\\N\n\\.\ngarbage\n", CopyOptions{}, [][]any{{int64(1), "x", nil}}},
		{"crlf", "1\tx\t\\N\r\n2\ty\t\\N\r\n", CopyOptions{}, [][]any{{int64(1), "x", nil}, {int64(2), "y", nil}}},
		{"no final newline", "1\tx\t\\N", CopyOptions{}, [][]any{{int64(1), "x", nil}}},
		{"escapes", "1\t\\b\\f\\n\\r\\t\\v\\\\\\a\\101\\x41\\x4a\\7\\xg\t\\N\n", CopyOptions{},
			[][]any{{int64(1), "\b\f\n\r\t\v\\aAAJ\axg", nil}}},
		{"escaped delimiter", "1\ta\\\tb\t\\N\n", CopyOptions{}, [][]any{{int64(1), "a\tb", nil}}},
		{"N inside field is not null", "1\t\\Nx\t\\N\n", CopyOptions{}, [][]any{{int64(1), "Nx", nil}}},
		{"custom delimiter and null", "1|x|NULL\n2|NULL|\\\\x02\n", CopyOptions{Delimiter: "|", Null: "NULL", NullSet: true},
			[][]any{{int64(1), "x", nil}, {int64(2), nil, []byte{2}}}},
		{"empty null", "1\t\t\\\\x\n", CopyOptions{Null: "", NullSet: true}, [][]any{{int64(1), nil, []byte{}}}},
		{"header", "a\tb\tc\n1\tx\t\\N\n", CopyOptions{Header: true}, [][]any{{int64(1), "x", nil}}},
		{"empty input", "", CopyOptions{}, nil},
		{"only end marker", "\\.\n", CopyOptions{}, nil},
		{"utf8", "1\tžluťoučký ☃\t\\N\n", CopyOptions{}, [][]any{{int64(1), "žluťoučký ☃", nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := readAllRows(t, strings.NewReader(tt.in), tt.opts, oids)
			if err != nil {
				t.Fatal(err)
			}
			if !rowsEqual(rows, tt.want) {
				t.Errorf("got %#v\nwant %#v", rows, tt.want)
			}
		})
	}
}

func TestCopyReaderCSV(t *testing.T) {
	oids := []uint32{OIDInt4, OIDText, OIDText}
	tests := []struct {
		name string
		in   string
		opts CopyOptions
		want [][]any
	}{
		{"basic", "1,a,b\n2,,\"\"\n", CopyOptions{Format: "csv"}, [][]any{{int64(1), "a", "b"}, {int64(2), nil, ""}}},
		{"quotes", "1,\"a,b\",\"say \"\"hi\"\"\"\n", CopyOptions{Format: "csv"}, [][]any{{int64(1), "a,b", `say "hi"`}}},
		{"embedded newlines", "1,\"line1\nline2\r\nline3\",x\n2,y,z\n", CopyOptions{Format: "csv"},
			[][]any{{int64(1), "line1\nline2\r\nline3", "x"}, {int64(2), "y", "z"}}},
		{"crlf", "1,a,b\r\n2,c,d\r\n", CopyOptions{Format: "csv"}, [][]any{{int64(1), "a", "b"}, {int64(2), "c", "d"}}},
		{"header", "i,s,t\n1,a,b\n", CopyOptions{Format: "csv", Header: true}, [][]any{{int64(1), "a", "b"}}},
		{"header with quoted newline", "i,\"s\nx\",t\n1,a,b\n", CopyOptions{Format: "csv", Header: true}, [][]any{{int64(1), "a", "b"}}},
		{"partly quoted", "1,ab\"c,d\"e,x\n", CopyOptions{Format: "csv"}, [][]any{{int64(1), "abc,de", "x"}}},
		{"backslashes are data", "1,a\\b,\\N\n", CopyOptions{Format: "csv"}, [][]any{{int64(1), `a\b`, `\N`}}},
		{"end marker", "1,a,b\n\\.\n2,c,d\n", CopyOptions{Format: "csv"}, [][]any{{int64(1), "a", "b"}}},
		{"quoted end marker is data", "1,a,\"\\.\"\n", CopyOptions{Format: "csv"}, [][]any{{int64(1), "a", `\.`}}},
		{"custom escape", "1,\"a\\\"b\",\"c\\\\d\"\n", CopyOptions{Format: "csv", Escape: `\`}, [][]any{{int64(1), `a"b`, `c\d`}}},
		{"custom quote", "1,'a,b',''\n", CopyOptions{Format: "csv", Quote: "'"}, [][]any{{int64(1), "a,b", ""}}},
		{"null string", "1,NULL,\"NULL\"\n", CopyOptions{Format: "csv", Null: "NULL", NullSet: true}, [][]any{{int64(1), nil, "NULL"}}},
		{"force not null", "1,,\n", CopyOptions{Format: "csv", ForceNotNull: []bool{false, true, false}}, [][]any{{int64(1), "", nil}}},
		{"force null", "1,\"\",\"\"\n", CopyOptions{Format: "csv", ForceNull: []bool{false, true, false}}, [][]any{{int64(1), nil, ""}}},
		{"semicolon", "1;a;b\n", CopyOptions{Format: "csv", Delimiter: ";"}, [][]any{{int64(1), "a", "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := readAllRows(t, strings.NewReader(tt.in), tt.opts, oids)
			if err != nil {
				t.Fatal(err)
			}
			if !rowsEqual(rows, tt.want) {
				t.Errorf("got %#v\nwant %#v", rows, tt.want)
			}
			for k := 0; k <= len(tt.in); k++ {
				r := &splitReader{parts: [][]byte{[]byte(tt.in[:k]), []byte(tt.in[k:])}}
				rows, err := readAllRows(t, r, tt.opts, oids)
				if err != nil || !rowsEqual(rows, tt.want) {
					t.Fatalf("split at %d: %#v, %v", k, rows, err)
				}
			}
		})
	}
}

func TestCopyReaderErrors(t *testing.T) {
	oids := []uint32{OIDInt4, OIDText}
	names := []string{"id", "name"}
	tests := []struct {
		name string
		in   string
		opts CopyOptions
		code pgerr.Code
		msg  string
		line int64
	}{
		{"missing column", "1\n", CopyOptions{}, pgerr.BadCopyFileFormat, `missing data for column "name"`, 1},
		{"missing column csv", "1,a\n2\n", CopyOptions{Format: "csv"}, pgerr.BadCopyFileFormat, `missing data for column "name"`, 2},
		{"extra column", "1\ta\tb\n", CopyOptions{}, pgerr.BadCopyFileFormat, "extra data after last expected column", 1},
		{"bad value", "x\ta\n", CopyOptions{}, pgerr.InvalidTextRepresentation, `invalid input syntax for type integer: "x"`, 1},
		{"unterminated quote", "1,\"abc\n", CopyOptions{Format: "csv"}, pgerr.BadCopyFileFormat, "unterminated CSV quoted field", 1},
		{"row too long", "1\t" + strings.Repeat("x", 200) + "\n", CopyOptions{MaxRowSize: 100}, pgerr.ProgramLimitExceeded, "", 0},
		{"csv row too long", "1,\"" + strings.Repeat("x\n", 200) + "\"\n", CopyOptions{Format: "csv", MaxRowSize: 100}, pgerr.ProgramLimitExceeded, "", 0},
		{"bad signature", "PGCOPY\nxx", CopyOptions{Format: "binary"}, pgerr.BadCopyFileFormat, "COPY file signature not recognized", 0},
		{"binary field count", copySignature + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01x", CopyOptions{Format: "binary"},
			pgerr.BadCopyFileFormat, "row field count is 1, expected 2", 1},
		{"binary truncated", copySignature + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x04\x00\x00", CopyOptions{Format: "binary"},
			pgerr.BadCopyFileFormat, "unexpected EOF in COPY data", 1},
		{"binary huge length, little data", copySignature + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x04\x00\x00\x00\x01\x0f\xff\xff\xff abc",
			CopyOptions{Format: "binary"}, pgerr.BadCopyFileFormat, "unexpected EOF in COPY data", 1},
		{"binary length over limit", copySignature + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x04\x00\x00\x00\x01\x7f\xff\xff\xff",
			CopyOptions{Format: "binary"}, pgerr.ProgramLimitExceeded, "", 1},
		{"binary bad int", copySignature + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x02\x00\x01\xff\xff\xff\xff", CopyOptions{Format: "binary"},
			pgerr.InvalidBinaryRepresentation, "", 1},
		{"binary with oids", copySignature + "\x00\x01\x00\x00\x00\x00\x00\x00", CopyOptions{Format: "binary"}, pgerr.BadCopyFileFormat, "invalid COPY file header (WITH OIDS)", 0},
		{"binary data after trailer", copySignature + "\x00\x00\x00\x00\x00\x00\x00\x00\xff\xffx", CopyOptions{Format: "binary"},
			pgerr.BadCopyFileFormat, "received copy data after EOF marker", 1},
		{"bad options", "", CopyOptions{Format: "xml"}, pgerr.InvalidParameterValue, `COPY format "xml" not recognized`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.ColumnNames = names
			cr := NewCopyReader(strings.NewReader(tt.in), tt.opts, oids)
			var err error
			for i := 0; i < 10 && err == nil; i++ {
				_, err = cr.Next()
			}
			if err == nil || err == io.EOF {
				t.Fatalf("got %v, want an error", err)
			}
			e := pgerr.As(err)
			if e == nil || e.Code != tt.code {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
			if tt.msg != "" && e.Message != tt.msg {
				t.Errorf("message %q, want %q", e.Message, tt.msg)
			}
			if tt.line != 0 && cr.Line() != tt.line {
				t.Errorf("Line() = %d, want %d", cr.Line(), tt.line)
			}
			if _, again := cr.Next(); !errors.Is(again, err) {
				t.Errorf("error is not sticky: %v", again)
			}
		})
	}
}

func TestCopyOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts CopyOptions
		code pgerr.Code
		msg  string
	}{
		{"defaults", CopyOptions{}, "", ""},
		{"csv defaults", CopyOptions{Format: "CSV"}, "", ""},
		{"binary", CopyOptions{Format: "binary"}, "", ""},
		{"long delimiter", CopyOptions{Delimiter: "ab"}, pgerr.FeatureNotSupported, "COPY delimiter must be a single one-byte character"},
		{"newline delimiter", CopyOptions{Delimiter: "\n"}, pgerr.InvalidParameterValue, "COPY delimiter cannot be newline or carriage return"},
		{"backslash delimiter", CopyOptions{Delimiter: `\`}, pgerr.InvalidParameterValue, `COPY delimiter cannot be "\"`},
		{"null with newline", CopyOptions{Null: "a\nb", NullSet: true}, pgerr.InvalidParameterValue, "COPY null representation cannot use newline or carriage return"},
		{"binary delimiter", CopyOptions{Format: "binary", Delimiter: ","}, pgerr.SyntaxError, "cannot specify DELIMITER in BINARY mode"},
		{"binary null", CopyOptions{Format: "binary", NullSet: true}, pgerr.SyntaxError, "cannot specify NULL in BINARY mode"},
		{"quote in text", CopyOptions{Quote: "'"}, pgerr.FeatureNotSupported, "COPY quote available only in CSV mode"},
		{"delimiter is quote", CopyOptions{Format: "csv", Delimiter: `"`}, pgerr.InvalidParameterValue, "COPY delimiter and quote must be different"},
		{"delimiter in null", CopyOptions{Format: "csv", Null: "a,b", NullSet: true}, pgerr.InvalidParameterValue, "COPY delimiter must not appear in the NULL specification"},
		{"force quote in text", CopyOptions{ForceQuote: []bool{true}}, pgerr.FeatureNotSupported, "COPY force quote available only in CSV mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			e := pgerr.As(err)
			if e == nil || e.Code != tt.code || e.Message != tt.msg {
				t.Errorf("Validate = %v, want %s %q", err, tt.code, tt.msg)
			}
		})
	}
	if (CopyOptions{Format: "binary"}).WireFormat() != CopyBinary || (CopyOptions{Format: "csv"}).WireFormat() != CopyText {
		t.Error("WireFormat is wrong")
	}
}

// countingWriter records each Write, which becomes one CopyData.
type countingWriter struct{ writes [][]byte }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, append([]byte{}, p...))
	return len(p), nil
}

func TestCopyWriter(t *testing.T) {
	t.Run("one write per row", func(t *testing.T) {
		var w countingWriter
		cw := NewCopyWriter(&w, CopyOptions{Format: "binary"}, []uint32{OIDInt4})
		for i := 0; i < 3; i++ {
			if err := cw.WriteRow([]any{int64(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := cw.Close(); err != nil {
			t.Fatal(err)
		}
		if len(w.writes) != 4 || !bytes.HasPrefix(w.writes[0], []byte(copySignature)) || !bytes.Equal(w.writes[3], []byte{0xff, 0xff}) {
			t.Errorf("writes = %q", w.writes)
		}
	})
	t.Run("empty binary", func(t *testing.T) {
		got := writeAllRows(t, CopyOptions{Format: "binary"}, []uint32{OIDInt4}, nil, nil)
		want := copySignature + "\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff"
		if string(got) != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("text custom delimiter", func(t *testing.T) {
		got := writeAllRows(t, CopyOptions{Delimiter: "|", Header: true}, []uint32{OIDText, OIDText}, []string{"a|b", "c"},
			[][]any{{"x|y", `\`}, {nil, "\x01"}})
		want := "a\\|b|c\nx\\|y|\\\\\n\\N|\x01\n"
		if string(got) != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("csv force quote and null", func(t *testing.T) {
		got := writeAllRows(t, CopyOptions{Format: "csv", ForceQuote: []bool{true, false}, Null: "N", NullSet: true},
			[]uint32{OIDText, OIDText}, nil, [][]any{{"a", "N"}, {nil, ""}})
		want := "\"a\",\"N\"\nN,\n"
		if string(got) != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("csv escape", func(t *testing.T) {
		got := writeAllRows(t, CopyOptions{Format: "csv", Escape: `\`}, []uint32{OIDText}, nil, [][]any{{`a"b\c`}, {`a\b`}})
		want := "\"a\\\"b\\\\c\"\na\\b\n"
		if string(got) != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("wrong value count", func(t *testing.T) {
		cw := NewCopyWriter(io.Discard, CopyOptions{}, []uint32{OIDText})
		if err := cw.WriteRow([]any{"a", "b"}); err == nil {
			t.Error("no error for two values in one column")
		}
	})
	t.Run("binary encode error", func(t *testing.T) {
		cw := NewCopyWriter(io.Discard, CopyOptions{Format: "binary"}, []uint32{OIDInt4})
		if err := cw.WriteRow([]any{"abc"}); pgerr.CodeOf(err) != pgerr.DatatypeMismatch {
			t.Errorf("got %v", err)
		}
	})
}

// TestCopyRoundTrip writes and reads back every format for many types.
func TestCopyRoundTrip(t *testing.T) {
	oids := []uint32{OIDBool, OIDInt2, OIDInt8, OIDFloat4, OIDNumeric, OIDDate, OIDTime, OIDTimestamp, OIDInterval, OIDUUID, OIDJSONB, OIDTextArray, OIDVarchar}
	rows := [][]any{
		{int64(1), int64(-5), int64(math.MaxInt64), 1.5, "-12.500", "2024-02-29", "12:00:00.5", "1999-12-31 23:59:59", "1 day -00:00:01",
			"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", `{"a": [1, 2]}`, `{a,"b\"c",NULL}`, "tab\there\\ \n,\"q\""},
		{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int64(0), int64(0), int64(0), 0.0, "0", "infinity", "00:00:00", "-infinity", "00:00:00", "00000000-0000-0000-0000-000000000000", "null", "{}", ""},
	}
	for _, opts := range []CopyOptions{{}, {Format: "csv"}, {Format: "csv", Header: true}, {Format: "binary"}, {Delimiter: ","}} {
		t.Run(opts.Format+"/"+opts.Delimiter, func(t *testing.T) {
			data := writeAllRows(t, opts, oids, make([]string, len(oids)), rows)
			got, err := readAllRows(t, bytes.NewReader(data), opts, oids)
			if err != nil {
				t.Fatalf("%v in %q", err, data)
			}
			if !rowsEqual(got, rows) {
				t.Errorf("got %#v\nwant %#v\ndata %q", got, rows, data)
			}
		})
	}
}
