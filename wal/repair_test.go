package wal

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// buildLog writes 40 synced records over several 4 KiB segments (the last
// one 1000 bytes) and closes the log.
func buildLog(t *testing.T, opts Options) []appended {
	t.Helper()
	w, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	recs := appendN(t, w, 39, 300, 200, 500)
	recs = append(recs, appendN(t, w, 1, 1000)...)
	recs[len(recs)-1].term, recs[len(recs)-1].typ = 1, 1
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(segmentFiles(t, opts.Dir)); n < 3 {
		t.Fatalf("want at least 3 segments, have %d", n)
	}
	return recs
}

// damage changes a segment file of a log built by buildLog.
type damage func(t *testing.T, dir string, recs []appended)

// atRecord damages the bytes of record i from offset from (within the
// frame) for n bytes with f.
func atRecord(i, from, n int, f func([]byte)) damage {
	return func(t *testing.T, dir string, recs []appended) {
		t.Helper()
		if i < 0 {
			i += len(recs)
		}
		path, off := segmentOf(t, dir, recs[i].lsn)
		mutateFile(t, path, func(b []byte) []byte {
			f(b[off+int64(from) : min(int64(len(b)), off+int64(from+n))])
			return b
		})
	}
}

func zero(b []byte) { clear(b) }

func garbage(b []byte) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.IntN(255) + 1)
	}
}

func flipBit(b []byte) { b[len(b)/2] ^= 0x04 }

func TestRecoverTornTail(t *testing.T) {
	tests := []struct {
		name   string
		damage damage
		keep   int  // records that survive, counted from the start
		kept   bool // a .corrupt file holds the cut bytes
	}{
		{"truncate file mid-record", func(t *testing.T, dir string, recs []appended) {
			path, off := segmentOf(t, dir, recs[39].lsn)
			if err := os.Truncate(path, off+HeaderSize+10); err != nil {
				t.Fatal(err)
			}
		}, 39, true},
		{"truncate file mid-header", func(t *testing.T, dir string, recs []appended) {
			path, off := segmentOf(t, dir, recs[39].lsn)
			if err := os.Truncate(path, off+7); err != nil {
				t.Fatal(err)
			}
		}, 39, true},
		{"zero a sector of the last record", atRecord(-1, 300, 512, zero), 39, true},
		{"zero the last header", atRecord(-1, 0, HeaderSize, zero), 39, true},
		{"zero the whole last record", atRecord(-1, 0, HeaderSize+1000, zero), 39, false},
		{"bit flip in the last record", atRecord(-1, 40, 8, flipBit), 39, true},
		{"garbage after the last record", atRecord(-1, HeaderSize+1000, 700, garbage), 40, true},
		{"garbage tail replacing the last record", atRecord(-1, 0, 1500, garbage), 39, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := testOptions(t, dir)
			recs := buildLog(t, opts)
			nsegs := len(segmentFiles(t, dir))
			tt.damage(t, dir, recs)

			w := openWAL(t, opts)
			want := recs[:tt.keep]
			if w.EndLSN() != want[len(want)-1].end {
				t.Fatalf("end %s after repair, want %s", w.EndLSN(), want[len(want)-1].end)
			}
			checkRecords(t, readAll(t, w, w.FirstLSN()), want)
			corrupt, _ := filepath.Glob(filepath.Join(dir, "*.corrupt-*"))
			if tt.kept != (len(corrupt) > 0) {
				t.Fatalf("corrupt files %v, want some: %v", corrupt, tt.kept)
			}
			if got := len(segmentFiles(t, dir)); got != nsegs {
				t.Fatalf("%d segments after repair, want %d", got, nsegs)
			}

			// The repaired log takes new records and reopens cleanly.
			want = append(append([]appended(nil), want...), appendN(t, w, 20, 400)...)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			w = openWAL(t, opts)
			checkRecords(t, readAll(t, w, w.FirstLSN()), want)
			corrupt2, _ := filepath.Glob(filepath.Join(dir, "*.corrupt-*"))
			if len(corrupt2) != len(corrupt) {
				t.Fatalf("second open cut again: %v", corrupt2)
			}
		})
	}
}

// TestRecoverLostLastSegment: the last segment never reached the disk (or
// holds garbage) and the previous one is torn: the last segment goes.
func TestRecoverLostLastSegment(t *testing.T) {
	tests := []struct {
		name string
		fill func([]byte)
		kept int // .corrupt files
	}{
		{"zeros", zero, 1},
		{"garbage", func(b []byte) { garbage(b[:3000]) }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := testOptions(t, dir)
			recs := buildLog(t, opts)
			segs := segmentFiles(t, dir)
			lastBase, _ := parseSegmentName(filepath.Base(segs[len(segs)-1]))
			k := 0 // first record of the last segment
			for recs[k].lsn != lastBase {
				k++
			}
			mutateFile(t, segs[len(segs)-1], func(b []byte) []byte { tt.fill(b); return b })
			atRecord(k-1, 20, 30, zero)(t, dir, recs)

			w := openWAL(t, opts)
			checkRecords(t, readAll(t, w, w.FirstLSN()), recs[:k-1])
			if got := len(segmentFiles(t, dir)); got != len(segs)-1 {
				t.Fatalf("%d segments after repair, want %d", got, len(segs)-1)
			}
			corrupt, _ := filepath.Glob(filepath.Join(dir, "*.corrupt-*"))
			if len(corrupt) != tt.kept {
				t.Fatalf("corrupt files %v, want %d", corrupt, tt.kept)
			}
			want := append(append([]appended(nil), recs[:k-1]...), appendN(t, w, 20, 400)...)
			checkRecords(t, readAll(t, w, w.FirstLSN()), want)
		})
	}
}

func TestRecoverCorruptMiddle(t *testing.T) {
	tests := []struct {
		name   string
		damage damage
	}{
		{"bit flip in a middle record", atRecord(20, 100, 8, flipBit)},
		{"bit flip in a header", atRecord(20, offTerm, 8, flipBit)},
		{"zero a sector in the first segment", atRecord(2, 0, 512, zero)},
		{"torn end of a non-last segment", func(t *testing.T, dir string, recs []appended) {
			// The last record of the first segment: the next one starts
			// a new segment.
			for i := 1; i < len(recs); i++ {
				p1, _ := segmentOf(t, dir, recs[i-1].lsn)
				p2, _ := segmentOf(t, dir, recs[i].lsn)
				if p1 != p2 {
					atRecord(i-1, 50, 10, zero)(t, dir, recs)
					return
				}
			}
			t.Fatal("no segment boundary")
		}},
		{"missing middle segment", func(t *testing.T, dir string, recs []appended) {
			if err := os.Remove(segmentFiles(t, dir)[1]); err != nil {
				t.Fatal(err)
			}
		}},
		{"bit flip before the last record", atRecord(-2, 60, 8, flipBit)},
		{"record moved to a wrong position", func(t *testing.T, dir string, recs []appended) {
			path, off := segmentOf(t, dir, recs[5].lsn)
			mutateFile(t, path, func(b []byte) []byte {
				copy(b[off:], AppendRecord(nil, recs[5].lsn+1, 1, 1, make([]byte, 10)))
				return b
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := testOptions(t, dir)
			recs := buildLog(t, opts)
			tt.damage(t, dir, recs)
			before := dirListing(t, dir)
			_, err := Open(opts)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want ErrCorrupt", err)
			}
			t.Logf("Open: %v", err)
			if after := dirListing(t, dir); after != before {
				t.Fatalf("failed Open changed the directory:\n%s\nto\n%s", before, after)
			}

			// The operator's override cuts the log at the damage.
			opts.CutCorruptTail = true
			w := openWAL(t, opts)
			got := readAll(t, w, w.FirstLSN())
			if len(got) >= len(recs) {
				t.Fatalf("CutCorruptTail kept %d of %d records", len(got), len(recs))
			}
			checkRecords(t, got, recs[:len(got)])
			corrupt, _ := filepath.Glob(filepath.Join(dir, "*.corrupt-*"))
			if len(corrupt) == 0 {
				t.Fatal("CutCorruptTail kept no bytes aside")
			}
			appendN(t, w, 5, 100)
		})
	}
}

func dirListing(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, "\n")
}

func TestOpenRemovesTempFiles(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	recs := buildLog(t, opts)
	tmp := filepath.Join(dir, segmentName(recs[39].end)+tmpExt)
	if err := os.WriteFile(tmp, []byte("half-made segment"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := openWAL(t, opts)
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file survived Open: %v", err)
	}
	checkRecords(t, readAll(t, w, w.FirstLSN()), recs)
}
