package pgwire

import (
	"bytes"
	"io"
	"strconv"
	"testing"
	"time"
)

func BenchmarkAppendValue(b *testing.B) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	cases := []struct {
		name   string
		oid    uint32
		format int16
		v      any
	}{
		{"int4/text", OIDInt4, 0, int64(123456)},
		{"int4/binary", OIDInt4, 1, int64(123456)},
		{"text/text", OIDText, 0, "the quick brown fox jumps over the lazy dog"},
		{"text/binary", OIDText, 1, "the quick brown fox jumps over the lazy dog"},
		{"timestamptz/text/string", OIDTimestamptz, 0, "2024-01-02 03:04:05.123456+00"},
		{"timestamptz/text/time", OIDTimestamptz, 0, ts},
		{"timestamptz/binary/string", OIDTimestamptz, 1, "2024-01-02 03:04:05.123456+00"},
		{"float8/text", OIDFloat8, 0, 3.14159},
		{"numeric/text", OIDNumeric, 0, "12345.6789"},
		{"numeric/binary", OIDNumeric, 1, "12345.6789"},
		{"numeric/binary/int", OIDNumeric, 1, int64(123456789)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var err error
				if buf, err = AppendValue(buf[:0], c.oid, c.format, c.v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeParam(b *testing.B) {
	bin := func(oid uint32, v any) []byte {
		out, err := AppendValue(nil, oid, FormatBinary, v)
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	cases := []struct {
		name   string
		oid    uint32
		format int16
		in     []byte
	}{
		{"int4/text", OIDInt4, 0, []byte("123456")},
		{"int4/binary", OIDInt4, 1, bin(OIDInt4, int64(123456))},
		{"text/text", OIDText, 0, []byte("the quick brown fox jumps over the lazy dog")},
		{"timestamptz/text", OIDTimestamptz, 0, []byte("2024-01-02 03:04:05.123456+00")},
		{"timestamptz/binary", OIDTimestamptz, 1, bin(OIDTimestamptz, "2024-01-02 03:04:05.123456+00")},
		{"numeric/text", OIDNumeric, 0, []byte("12345.6789")},
		{"numeric/binary", OIDNumeric, 1, bin(OIDNumeric, "12345.6789")},
		{"float8/text", OIDFloat8, 0, []byte("3.14159")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := DecodeParam(c.oid, c.format, c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCopyReaderText reads pgbench_accounts-like rows.
func BenchmarkCopyReaderText(b *testing.B) {
	var data bytes.Buffer
	for i := 0; i < 10000; i++ {
		data.WriteString(strconv.Itoa(i) + "\t1\t0\t\n")
	}
	oids := []uint32{OIDInt4, OIDInt4, OIDInt4, OIDBPChar}
	b.SetBytes(int64(data.Len()))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		cr := NewCopyReader(bytes.NewReader(data.Bytes()), CopyOptions{}, oids)
		for {
			if _, err := cr.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
