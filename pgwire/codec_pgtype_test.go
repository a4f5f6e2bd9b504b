package pgwire

import (
	"math"
	"math/big"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// These tests cross-check the codec with pgx's pgtype, the client most
// RepliSQL users run: what we encode pgtype must scan to the expected Go
// value, and what pgtype encodes we must decode to the expected SQLite
// value, in both formats.

func TestCodecPgtypeCrossCheck(t *testing.T) {
	m := pgtype.NewMap()
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	tests := []struct {
		name   string
		oid    uint32
		sqlite any        // SQLite representation
		goVal  any        // what pgx users scan into / send
		newDst func() any // pointer to scan into
	}{
		{"int2", OIDInt2, int64(-300), int16(-300), func() any { return new(int16) }},
		{"int4", OIDInt4, int64(123456), int32(123456), func() any { return new(int32) }},
		{"int8", OIDInt8, int64(math.MinInt64), int64(math.MinInt64), func() any { return new(int64) }},
		{"bool", OIDBool, int64(1), true, func() any { return new(bool) }},
		{"float8", OIDFloat8, 0.1, 0.1, func() any { return new(float64) }},
		{"float4", OIDFloat4, float64(float32(1.25)), float32(1.25), func() any { return new(float32) }},
		{"text", OIDText, "héllo", "héllo", func() any { return new(string) }},
		{"varchar", OIDVarchar, "x y", "x y", func() any { return new(string) }},
		{"bytea", OIDBytea, []byte{0, 1, 0xff}, []byte{0, 1, 0xff}, func() any { return new([]byte) }},
		{"date", OIDDate, "2024-01-02", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), func() any { return new(time.Time) }},
		{"timestamptz", OIDTimestamptz, "2024-01-02 03:04:05.123456+00", ts, func() any { return new(time.Time) }},
		{"timestamp", OIDTimestamp, "2024-01-02 03:04:05.123456", ts, func() any { return new(time.Time) }},
		{"uuid", OIDUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
			[16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11},
			func() any { return new([16]byte) }},
		{"json", OIDJSON, `{"a":1}`, map[string]any{"a": float64(1)}, func() any { return new(map[string]any) }},
		{"jsonb", OIDJSONB, `{"a": 1}`, map[string]any{"a": float64(1)}, func() any { return new(map[string]any) }},
		{"interval", OIDInterval, "1 year 2 mons 3 days 04:05:06.5",
			pgtype.Interval{Months: 14, Days: 3, Microseconds: 14706500000, Valid: true}, func() any { return new(pgtype.Interval) }},
		{"int4[]", OIDInt4Array, "{1,2,3}", []int32{1, 2, 3}, func() any { return new([]int32) }},
		{"text[]", OIDTextArray, `{a,"b c","",x}`, []string{"a", "b c", "", "x"}, func() any { return new([]string) }},
		{"oid", OIDOID, int64(4000000000), uint32(4000000000), func() any { return new(uint32) }},
	}
	for _, tt := range tests {
		for _, format := range []int16{FormatText, FormatBinary} {
			t.Run(tt.name+"/"+[]string{"text", "binary"}[format], func(t *testing.T) {
				enc, err := AppendValue(nil, tt.oid, format, tt.sqlite)
				if err != nil {
					t.Fatalf("AppendValue: %v", err)
				}
				dst := tt.newDst()
				if err := m.Scan(tt.oid, format, enc, dst); err != nil {
					t.Fatalf("pgtype scan of %q: %v", enc, err)
				}
				got := reflect.ValueOf(dst).Elem().Interface()
				if gt, ok := got.(time.Time); ok {
					got = gt.UTC() // pgtype returns timestamptz in time.Local
				}
				if !reflect.DeepEqual(got, tt.goVal) {
					t.Errorf("pgtype scanned %#v, want %#v", got, tt.goVal)
				}
				penc, err := m.Encode(tt.oid, format, tt.goVal, nil)
				if err != nil {
					t.Fatalf("pgtype encode: %v", err)
				}
				v, err := DecodeParam(tt.oid, format, penc)
				if err != nil {
					t.Fatalf("DecodeParam(%q): %v", penc, err)
				}
				if tt.oid == OIDJSON || tt.oid == OIDJSONB {
					v = strings.ReplaceAll(v.(string), " ", "")
					if want := strings.ReplaceAll(tt.sqlite.(string), " ", ""); v != want {
						t.Errorf("decoded %#v, want %#v", v, want)
					}
					return
				}
				if !reflect.DeepEqual(v, tt.sqlite) {
					t.Errorf("decoded %#v, want %#v", v, tt.sqlite)
				}
			})
		}
	}
}

func ratOfNumericText(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad numeric text %q", s)
	}
	return r
}

func ratOfPgNumeric(n pgtype.Numeric) *big.Rat {
	r := new(big.Rat).SetInt(n.Int)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs64(int64(n.Exp)))), nil)
	if n.Exp >= 0 {
		return r.Mul(r, new(big.Rat).SetInt(p))
	}
	return r.Quo(r, new(big.Rat).SetInt(p))
}

func randomDecimal(rng *rand.Rand) string {
	var sb strings.Builder
	if rng.Intn(2) == 0 {
		sb.WriteByte('-')
	}
	intDigits := rng.Intn(40)
	fracDigits := rng.Intn(30)
	if intDigits == 0 {
		sb.WriteByte('0')
	}
	for i := 0; i < intDigits; i++ {
		d := byte('0' + rng.Intn(10))
		if rng.Intn(4) == 0 {
			d = '0' // runs of zeros exercise group stripping
		}
		sb.WriteByte(d)
	}
	if fracDigits > 0 {
		sb.WriteByte('.')
		for i := 0; i < fracDigits; i++ {
			d := byte('0' + rng.Intn(10))
			if rng.Intn(4) == 0 {
				d = '0'
			}
			sb.WriteByte(d)
		}
	}
	return sb.String()
}

func TestNumericPgtypeCrossCheck(t *testing.T) {
	m := pgtype.NewMap()
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		in := randomDecimal(rng)
		v, err := DecodeParam(OIDNumeric, FormatText, []byte(in))
		if err != nil {
			t.Fatalf("DecodeParam(%q): %v", in, err)
		}
		want := ratOfNumericText(t, v.(string))
		if want.Cmp(ratOfNumericText(t, in)) != 0 {
			t.Fatalf("canonical %q of %q changed the value", v, in)
		}
		for _, format := range []int16{FormatText, FormatBinary} {
			enc, err := AppendValue(nil, OIDNumeric, format, v)
			if err != nil {
				t.Fatal(err)
			}
			var n pgtype.Numeric
			if err := m.Scan(OIDNumeric, format, enc, &n); err != nil {
				t.Fatalf("pgtype scan %q (%x): %v", v, enc, err)
			}
			if got := ratOfPgNumeric(n); got.Cmp(want) != 0 {
				t.Fatalf("format %d: pgtype read %s for %q", format, got.FloatString(40), v)
			}
			// And back: pgtype's encoding decodes to the same value.
			penc, err := m.Encode(OIDNumeric, format, n, nil)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeParam(OIDNumeric, format, penc)
			if err != nil {
				t.Fatalf("DecodeParam(%x): %v", penc, err)
			}
			if got := ratOfNumericText(t, back.(string)); got.Cmp(want) != 0 {
				t.Fatalf("format %d: decoded %q from pgtype's encoding of %q", format, back, v)
			}
		}
	}
	// Go floats as pgx sends them for numeric parameters (binary).
	for _, f := range []float64{0, 1, -1, 0.1, 1e-10, 123456.789, 1e20, -2.5e-7, math.MaxInt32} {
		penc, err := m.Encode(OIDNumeric, FormatBinary, f, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, err := DecodeParam(OIDNumeric, FormatBinary, penc)
		if err != nil {
			t.Fatalf("DecodeParam(%x): %v", penc, err)
		}
		got, _ := ratOfNumericText(t, v.(string)).Float64()
		if got != f {
			t.Errorf("pgx numeric %v decoded as %q", f, v)
		}
	}
}

func TestFloatPgtypeCrossCheck(t *testing.T) {
	m := pgtype.NewMap()
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 20000; i++ {
		f := math.Float64frombits(rng.Uint64())
		if math.IsNaN(f) {
			continue
		}
		text, err := AppendValue(nil, OIDFloat8, FormatText, f)
		if err != nil {
			t.Fatal(err)
		}
		var got float64
		if err := m.Scan(OIDFloat8, FormatText, text, &got); err != nil {
			t.Fatalf("pgtype scan %q: %v", text, err)
		}
		if got != f {
			t.Fatalf("%q read back as %v, want %v", text, got, f)
		}
		v, err := DecodeParam(OIDFloat8, FormatText, text)
		if err != nil || v.(float64) != f {
			t.Fatalf("DecodeParam(%q) = %v, %v; want %v", text, v, err, f)
		}
		f32 := float32(f)
		if math.IsInf(float64(f32), 0) || f32 == 0 {
			continue
		}
		text, _ = AppendValue(nil, OIDFloat4, FormatText, float64(f32))
		v, err = DecodeParam(OIDFloat4, FormatText, text)
		if err != nil || float32(v.(float64)) != f32 {
			t.Fatalf("float4 %q: %v, %v; want %v", text, v, err, f32)
		}
	}
}

func TestTimestampPgtypeCrossCheck(t *testing.T) {
	m := pgtype.NewMap()
	rng := rand.New(rand.NewSource(3))
	lo := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	hi := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).UnixMicro()
	for i := 0; i < 5000; i++ {
		tm := time.UnixMicro(lo + rng.Int63n(hi-lo)).UTC()
		for _, oid := range []uint32{OIDTimestamptz, OIDTimestamp} {
			for _, format := range []int16{FormatText, FormatBinary} {
				penc, err := m.Encode(oid, format, tm, nil)
				if err != nil {
					t.Fatal(err)
				}
				v, err := DecodeParam(oid, format, penc)
				if err != nil {
					t.Fatalf("DecodeParam(%q): %v", penc, err)
				}
				enc, err := AppendValue(nil, oid, format, v)
				if err != nil {
					t.Fatal(err)
				}
				var got time.Time
				if err := m.Scan(oid, format, enc, &got); err != nil {
					t.Fatalf("pgtype scan %q: %v", enc, err)
				}
				if !got.Equal(tm) {
					t.Fatalf("oid %d format %d: %v -> %q -> %v", oid, format, tm, v, got)
				}
			}
		}
	}
}
