package wal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func seedFrames() [][]byte {
	a := AppendRecord(nil, DefaultStartLSN, 1, 1, []byte("hello"))
	b := AppendRecord(a, EndOf(DefaultStartLSN, 5), 2, 3, bytes.Repeat([]byte{0xAB}, 100))
	return [][]byte{
		nil,
		a,
		b,
		a[:HeaderSize],
		b[:len(b)-3],
		append(append([]byte(nil), b...), make([]byte, 64)...),
		append(append([]byte(nil), a...), 0xFF, 0xFF, 0xFF, 0xFF),
		flip(b, 50),
	}
}

// FuzzDecodeRecord feeds arbitrary bytes to the record decoder and the
// segment scanners: no panic, no allocation beyond the input, and a decoded
// record encodes back to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range seedFrames() {
		f.Add(s, uint64(DefaultStartLSN))
	}
	f.Fuzz(func(t *testing.T, data []byte, at uint64) {
		lsn := LSN(at)
		rec, n, err := DecodeRecord(data, lsn)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTornRecord) {
				t.Fatalf("DecodeRecord error %v is neither corrupt nor torn", err)
			}
		} else {
			if n > len(data) || len(rec.Payload) != n-HeaderSize {
				t.Fatalf("frame size %d, payload %d, input %d", n, len(rec.Payload), len(data))
			}
			if re := AppendRecord(nil, lsn, rec.Term, rec.Type, rec.Payload); !bytes.Equal(re, data[:n]) {
				t.Fatalf("re-encoded frame differs")
			}
		}
		p := scanFrames(data, lsn, nil)
		if p > len(data) {
			t.Fatalf("scan stopped at %d past %d", p, len(data))
		}
		if q := findValidFrame(data, 0, lsn); q > len(data) {
			t.Fatalf("find returned %d past %d", q, len(data))
		}
	})
}

// FuzzOpen opens a log whose only segment holds arbitrary bytes: Open
// either fails with ErrCorrupt or repairs the log into one that takes new
// records and reopens cleanly.
func FuzzOpen(f *testing.F) {
	for _, s := range seedFrames() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		dir := t.TempDir()
		path := filepath.Join(dir, segmentName(DefaultStartLSN))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := Options{Dir: dir, SegmentSize: 4096, NoSync: true, NoPreallocate: true}
		w, err := Open(opts)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v", err)
			}
			return
		}
		defer w.Close()
		before, err := w.NewReader(w.FirstLSN())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for before.Pos() < w.FlushedLSN() {
			if _, err := before.Next(context.Background()); err != nil {
				t.Fatalf("reading the repaired log: %v", err)
			}
			n++
		}
		lsn, end, err := w.Append(7, 7, []byte("after"))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Sync(context.Background(), end); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		w, err = Open(opts)
		if err != nil {
			t.Fatalf("reopen after repair: %v", err)
		}
		defer w.Close()
		r, err := w.NewReader(lsn)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := r.Next(context.Background())
		if err != nil || string(rec.Payload) != "after" || w.EndLSN() != end {
			t.Fatalf("record after repair: %+v, %v (end %s, want %s)", rec, err, w.EndLSN(), end)
		}
	})
}
