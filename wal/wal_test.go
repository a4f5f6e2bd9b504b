package wal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLSNStringParse(t *testing.T) {
	tests := []struct {
		name string
		lsn  LSN
		text string
	}{
		{"zero", 0, "0/0"},
		{"postgres example", 0x16B3748, "0/16B3748"},
		{"high bits", 0x1_0000_00FF, "1/FF"},
		{"max", ^LSN(0), "FFFFFFFF/FFFFFFFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.lsn.String(); got != tt.text {
				t.Fatalf("String() = %q, want %q", got, tt.text)
			}
			got, err := ParseLSN(tt.text)
			if err != nil || got != tt.lsn {
				t.Fatalf("ParseLSN(%q) = %s, %v; want %s", tt.text, got, err, tt.lsn)
			}
		})
	}
	for _, bad := range []string{"", "0", "/1", "1/", "x/1", "1/2/3", "123456789/0", "-1/0"} {
		if _, err := ParseLSN(bad); !errors.Is(err, ErrInvalidLSN) {
			t.Errorf("ParseLSN(%q) error = %v, want ErrInvalidLSN", bad, err)
		}
	}
	if got, _ := ParseLSN("0/16b3748"); got != 0x16B3748 {
		t.Errorf("lower case hex: got %s", got)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		sizes []int
	}{
		{"empty payloads", 5, []int{0}},
		{"small", 100, []int{1, 10, 100}},
		{"fill segments exactly", 20, []int{4096 - HeaderSize, 2048 - HeaderSize}},
		{"mixed around segment size", 30, []int{3000, 50, 5000, 4064, 4065}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := openWAL(t, testOptions(t, t.TempDir()))
			want := appendN(t, w, tt.n, tt.sizes...)
			if want[0].lsn != DefaultStartLSN {
				t.Fatalf("first LSN %s, want %s", want[0].lsn, DefaultStartLSN)
			}
			for i := 1; i < len(want); i++ {
				if want[i].lsn != want[i-1].end {
					t.Fatalf("record %d at %s, previous ends at %s", i, want[i].lsn, want[i-1].end)
				}
			}
			if w.EndLSN() != want[len(want)-1].end || w.FlushedLSN() != w.EndLSN() {
				t.Fatalf("end %s flushed %s, want %s", w.EndLSN(), w.FlushedLSN(), want[len(want)-1].end)
			}
			checkRecords(t, readAll(t, w, w.FirstLSN()), want)
			// Any boundary is a valid start.
			checkRecords(t, readAll(t, w, want[len(want)/2].lsn), want[len(want)/2:])
		})
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	w, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := appendN(t, w, 50, 10, 300, 1000)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wantErr(t, w.Close(), ErrClosed)
	if _, _, err := w.Append(1, 1, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}

	w = openWAL(t, opts)
	if w.EndLSN() != want[len(want)-1].end || w.FlushedLSN() != w.EndLSN() {
		t.Fatalf("reopened end %s flushed %s, want %s", w.EndLSN(), w.FlushedLSN(), want[len(want)-1].end)
	}
	more := appendN(t, w, 10, 2000)
	checkRecords(t, readAll(t, w, DefaultStartLSN), append(want, more...))
}

func TestLargeRecords(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int
	}{
		{"twice a segment", []int{10, 8192, 10}},
		{"many segments", []int{100_000, 5, 300_000, 4096}},
		{"first record large", []int{20_000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(t, t.TempDir())
			w := openWAL(t, opts)
			want := appendN(t, w, len(tt.sizes), tt.sizes...)
			checkRecords(t, readAll(t, w, w.FirstLSN()), want)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			w = openWAL(t, opts)
			checkRecords(t, readAll(t, w, w.FirstLSN()), want)
		})
	}
}

func TestFiftyMegabyteRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB record in -short mode")
	}
	opts := testOptions(t, t.TempDir())
	opts.SegmentSize = 1 << 20
	opts.NoSync = true
	w := openWAL(t, opts)
	want := appendN(t, w, 3, 100, 50_000_000, 100)
	checkRecords(t, readAll(t, w, w.FirstLSN()), want)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openWAL(t, opts)
	checkRecords(t, readAll(t, w, w.FirstLSN()), want)
}

func TestAppendRejects(t *testing.T) {
	opts := testOptions(t, t.TempDir())
	opts.MaxRecordSize = 1000
	w := openWAL(t, opts)
	tests := []struct {
		name    string
		typ     RecordType
		payload []byte
		want    error
	}{
		{"type zero", 0, []byte("x"), ErrInvalidType},
		{"too large", 1, make([]byte, 1001), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := w.Append(1, tt.typ, tt.payload)
			wantErr(t, err, tt.want)
		})
	}
	if w.EndLSN() != DefaultStartLSN {
		t.Fatalf("rejected appends moved the end to %s", w.EndLSN())
	}
}

// TestDeterministicLSNs feeds identical records to logs with different
// segment sizes and to a follower that uses AppendAt.
func TestDeterministicLSNs(t *testing.T) {
	sizes := []int{10, 5000, 4000, 0, 70_000, 33}
	var logs [][]appended
	for _, segSize := range []int64{4096, 64 << 10, 1 << 20} {
		opts := testOptions(t, t.TempDir())
		opts.SegmentSize = segSize
		logs = append(logs, appendN(t, openWAL(t, opts), 40, sizes...))
	}
	for i := 1; i < len(logs); i++ {
		for j := range logs[0] {
			if logs[i][j].lsn != logs[0][j].lsn || logs[i][j].end != logs[0][j].end {
				t.Fatalf("log %d record %d at %s..%s, log 0 at %s..%s", i, j,
					logs[i][j].lsn, logs[i][j].end, logs[0][j].lsn, logs[0][j].end)
			}
		}
	}

	follower := openWAL(t, testOptions(t, t.TempDir()))
	for j, a := range logs[0] {
		end, err := follower.AppendAt(a.lsn, a.term, a.typ, a.payload)
		if err != nil || end != a.end {
			t.Fatalf("AppendAt record %d: end %s, %v; want %s", j, end, err, a.end)
		}
	}
	// A record that does not land at the follower's end is refused.
	for _, lsn := range []LSN{logs[0][0].lsn, follower.EndLSN() + 1, follower.EndLSN() - 1} {
		_, err := follower.AppendAt(lsn, 1, 1, []byte("x"))
		wantErr(t, err, ErrLSNMismatch)
	}
	if err := follower.Sync(context.Background(), follower.EndLSN()); err != nil {
		t.Fatal(err)
	}
	checkRecords(t, readAll(t, follower, DefaultStartLSN), logs[0])
}

func TestStartLSN(t *testing.T) {
	opts := testOptions(t, t.TempDir())
	opts.StartLSN = 0x5_0000_1234
	w := openWAL(t, opts)
	want := appendN(t, w, 3)
	if want[0].lsn != opts.StartLSN || w.FirstLSN() != opts.StartLSN {
		t.Fatalf("first record at %s, first LSN %s, want %s", want[0].lsn, w.FirstLSN(), opts.StartLSN)
	}
}

func TestRecordCodec(t *testing.T) {
	frame := AppendRecord(nil, 0x1000000, 7, 3, []byte("hello"))
	rec, n, err := DecodeRecord(frame, 0x1000000)
	if err != nil || n != len(frame) || rec.Term != 7 || rec.Type != 3 || string(rec.Payload) != "hello" {
		t.Fatalf("DecodeRecord = %+v, %d, %v", rec, n, err)
	}
	tests := []struct {
		name string
		b    []byte
		at   LSN
		want error
	}{
		{"short header", frame[:10], 0x1000000, ErrTornRecord},
		{"short payload", frame[:len(frame)-1], 0x1000000, ErrTornRecord},
		{"zero header", make([]byte, 64), 0x1000000, ErrTornRecord},
		{"wrong position", frame, 0x1000001, ErrCorrupt},
		{"bit flip", flip(frame, len(frame)-1), 0x1000000, ErrCorrupt},
		{"type zero", set(frame, offType, 0), 0x1000000, ErrCorrupt},
		{"reserved", set(frame, offReserved+2, 1), 0x1000000, ErrCorrupt},
		{"huge length", set(frame, offLength+3, 0xFF), 0x1000000, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeRecord(tt.b, tt.at)
			wantErr(t, err, tt.want)
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x10
	return c
}

func set(b []byte, i int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[i] = v
	return c
}

// TestWriteBeforeSync: small records stay in memory until Write (or Sync)
// puts them in the segment file, where a crash of the process finds them;
// one not written is gone, and the log is valid without it.
func TestWriteBeforeSync(t *testing.T) {
	dir := t.TempDir()
	w := openWAL(t, testOptions(t, dir))
	var recs []appended
	for i := range 4 {
		p := payloadFor(i, 100)
		lsn, end, err := w.Append(1, 1, p)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, appended{lsn: lsn, end: end, term: 1, typ: 1, payload: p})
		if i == 2 {
			if w.WrittenLSN() != DefaultStartLSN {
				t.Fatalf("written %s before Write, want %s", w.WrittenLSN(), DefaultStartLSN)
			}
			if err := w.Write(recs[1].end); err != nil {
				t.Fatal(err)
			}
			if w.WrittenLSN() != end {
				t.Fatalf("written %s after Write, want %s", w.WrittenLSN(), end)
			}
		}
	}
	wantErr(t, w.Write(w.EndLSN()+1), ErrInvalidLSN)

	// What a killed process leaves: the files as they are now.
	crashed := t.TempDir()
	for _, path := range segmentFiles(t, dir) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crashed, filepath.Base(path)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := openWAL(t, testOptions(t, crashed))
	if r.EndLSN() != recs[2].end {
		t.Fatalf("after the crash the log ends at %s, want %s", r.EndLSN(), recs[2].end)
	}
	checkRecords(t, readAll(t, r, DefaultStartLSN), recs[:3])

	// Sync writes what it makes durable; Close writes the rest.
	if err := w.Sync(context.Background(), recs[3].end); err != nil {
		t.Fatal(err)
	}
	checkRecords(t, readAll(t, w, DefaultStartLSN), recs)
	p := payloadFor(4, 100)
	lsn, end, err := w.Append(1, 1, p)
	if err != nil {
		t.Fatal(err)
	}
	recs = append(recs, appended{lsn: lsn, end: end, term: 1, typ: 1, payload: p})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkRecords(t, readAll(t, openWAL(t, testOptions(t, dir)), DefaultStartLSN), recs)
}
