package pgwire

import (
	"reflect"
	"testing"
)

var fuzzOIDs = []uint32{
	OIDBool, OIDBytea, OIDChar, OIDName, OIDInt8, OIDInt2, OIDInt4, OIDText, OIDOID, OIDJSON,
	OIDFloat4, OIDFloat8, OIDUnknown, OIDBPChar, OIDVarchar, OIDDate, OIDTime, OIDTimestamp,
	OIDTimestamptz, OIDInterval, OIDNumeric, OIDUUID, OIDJSONB, OIDInt4Array, OIDTextArray,
	OIDNumericArray, OIDByteaArray, OIDTimestamptzArray, OIDUnspecified, OIDVoid,
}

// FuzzDecodeParam checks that decoding never panics and that what
// decodes re-encodes: text output decodes to the same value, and so does
// binary output.
func FuzzDecodeParam(f *testing.F) {
	seeds := []struct {
		oid    byte
		format int16
		in     string
	}{
		{6, 0, "123"}, {6, 1, "\x00\x00\x00\x01"}, {20, 0, "-1.5e-3"}, {20, 1, "\x00\x01\x00\x00\x00\x00\x00\x01\x00\x05"},
		{18, 0, "2024-01-02 03:04:05.123456+05:30"}, {18, 1, "\x00\x00\x00\x00\x00\x00\x00\x01"}, {19, 0, "1 year -2 mons 3 days 04:05:06"},
		{15, 0, "2024-01-02 BC"}, {21, 0, "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}"}, {23, 0, `{1,2,{3}}`}, {24, 0, `{"a\"",NULL}`},
		{1, 0, `\xdeadbeef`}, {1, 0, `a\\b\001`}, {10, 0, "NaN"}, {11, 0, "1e-320"}, {17, 0, "24:00:00"}, {19, 0, "P1Y2.5M"},
		{0, 0, " yes "}, {25, 0, "[0:1]={1.5,NaN}"}, {22, 1, "\x01{}"},
	}
	for _, s := range seeds {
		f.Add(s.oid, s.format, []byte(s.in))
	}
	f.Fuzz(func(t *testing.T, oidIndex byte, format int16, in []byte) {
		oid := fuzzOIDs[int(oidIndex)%len(fuzzOIDs)]
		format &= 1
		v, err := DecodeParam(oid, format, in)
		if err != nil || v == nil {
			return
		}
		if _, raw := v.([]byte); raw && kindOf(oid) == kindText {
			return // binary input of an unspecified type stays raw bytes
		}
		text, err := AppendValue(nil, oid, FormatText, v)
		if err != nil {
			t.Fatalf("AppendValue text of %#v: %v", v, err)
		}
		v2, err := DecodeParam(oid, FormatText, text)
		if err != nil {
			t.Fatalf("oid %d: text output %q of %#v (from %q) does not decode: %v", oid, text, v, in, err)
		}
		if !reflect.DeepEqual(v, v2) && !bothNaN(v, v2) {
			t.Fatalf("oid %d: %q -> %#v -> %q -> %#v", oid, in, v, text, v2)
		}
		if kindOf(oid) == kindTextOnly {
			return
		}
		bin, err := AppendValue(nil, oid, FormatBinary, v)
		if err != nil {
			t.Fatalf("oid %d: AppendValue binary of %#v: %v", oid, v, err)
		}
		v3, err := DecodeParam(oid, FormatBinary, bin)
		if err != nil {
			t.Fatalf("oid %d: binary %x of %#v does not decode: %v", oid, bin, v, err)
		}
		if oid == OIDUnspecified {
			return // binary of an unspecified type decodes to []byte
		}
		if !reflect.DeepEqual(v, v3) && !bothNaN(v, v3) {
			t.Fatalf("oid %d: %q -> %#v -> %x -> %#v", oid, in, v, bin, v3)
		}
	})
}

// FuzzCopyReader feeds arbitrary bytes, split anywhere, to each format.
func FuzzCopyReader(f *testing.F) {
	f.Add(byte(0), uint16(3), []byte("1\tx\t\\\\x01\t1.5\n2\t\\N\t\\N\t\\N\n\\.\n"))
	f.Add(byte(1), uint16(5), []byte("1,\"a\nb\",\\x01,2\n2,,\"\",NaN\n"))
	f.Add(byte(2), uint16(20), []byte(copySignature+"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x04\x00\x00\x00\x01\xff\xff\xff\xff\x00\x00\x00\x01\x02\xff\xff\xff\xff\xff\xff"))
	f.Add(byte(3), uint16(1), []byte("id,name\n1,x\n"))
	f.Fuzz(func(t *testing.T, mode byte, split uint16, data []byte) {
		opts := []CopyOptions{{}, {Format: "csv"}, {Format: "binary"}, {Format: "csv", Header: true, Escape: `\`}}[int(mode)%4]
		opts.MaxRowSize = 1 << 16
		opts.ColumnNames = []string{"a", "b", "c", "d"}
		k := int(split) % (len(data) + 1)
		r := &splitReader{parts: [][]byte{data[:k:k], data[k:]}}
		cr := NewCopyReader(r, opts, []uint32{OIDInt4, OIDText, OIDBytea, OIDNumeric})
		for i := 0; i <= len(data)+1; i++ {
			row, err := cr.Next()
			if err != nil {
				return // io.EOF or a decoding error: both fine
			}
			if len(row) != 4 {
				t.Fatalf("row of %d values", len(row))
			}
		}
		t.Fatal("more rows than input bytes")
	})
}
