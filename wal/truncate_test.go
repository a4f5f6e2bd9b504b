package wal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestTruncateAfter(t *testing.T) {
	tests := []struct {
		name string
		keep func(recs []appended) int // records kept
	}{
		{"inside the last segment", func(r []appended) int { return len(r) - 2 }},
		{"across segments", func(r []appended) int { return 5 }},
		{"at the end (no-op)", func(r []appended) int { return len(r) }},
		{"everything", func(r []appended) int { return 0 }},
		{"at the base of the last segment", func(r []appended) int {
			i := len(r) - 1
			for r[i].lsn != lastSegmentBase(r) {
				i--
			}
			return i
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(t, t.TempDir())
			w := openWAL(t, opts)
			recs := appendN(t, w, 40, 300, 200, 500)
			keep := tt.keep(recs)
			lsn := w.FirstLSN()
			if keep > 0 {
				lsn = recs[keep-1].end
			}
			if keep < len(recs) && recs[keep].lsn == lastSegmentBase(recs) {
				if _, err := os.Stat(w.segPath(lsn)); err != nil {
					t.Fatalf("no segment starts at %s: %v", lsn, err)
				}
			}
			if err := w.TruncateAfter(lsn); err != nil {
				t.Fatalf("TruncateAfter(%s): %v", lsn, err)
			}
			if w.EndLSN() != lsn || w.FlushedLSN() != lsn {
				t.Fatalf("end %s flushed %s after truncation, want %s", w.EndLSN(), w.FlushedLSN(), lsn)
			}
			want := append([]appended(nil), recs[:keep]...)
			checkRecords(t, readAll(t, w, w.FirstLSN()), want)

			// New records take the freed LSNs, survive reopen, and no old
			// record comes back.
			more := appendN(t, w, 15, 250)
			if more[0].lsn != lsn {
				t.Fatalf("next record at %s, want %s", more[0].lsn, lsn)
			}
			want = append(want, more...)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			w = openWAL(t, opts)
			checkRecords(t, readAll(t, w, w.FirstLSN()), want)
			if corrupt, _ := filepath.Glob(filepath.Join(opts.Dir, "*.corrupt-*")); len(corrupt) > 0 {
				t.Fatalf("reopen after truncation cut a tail: %v", corrupt)
			}
		})
	}
}

// lastSegmentBase is the base of the last 4 KiB segment: the rollover rule
// replayed over the records.
func lastSegmentBase(r []appended) LSN {
	base := r[0].lsn
	limit := base + 4096
	for _, a := range r {
		if a.end > limit {
			base, limit = a.lsn, a.lsn+4096
		}
	}
	return base
}

func TestTruncateAfterRejects(t *testing.T) {
	w := openWAL(t, testOptions(t, t.TempDir()))
	recs := appendN(t, w, 40, 300)
	if err := w.PurgeBefore(recs[20].lsn); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		lsn  LSN
		want error
	}{
		{"mid-record", recs[30].lsn + 5, ErrInvalidLSN},
		{"past the end", w.EndLSN() + 1, ErrInvalidLSN},
		{"purged", recs[0].end, ErrPurged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, w.TruncateAfter(tt.lsn), tt.want)
		})
	}
	if w.EndLSN() != recs[39].end {
		t.Fatalf("rejected truncations moved the end to %s", w.EndLSN())
	}
}

func TestTruncateAfterReaders(t *testing.T) {
	w := openWAL(t, testOptions(t, t.TempDir()))
	recs := appendN(t, w, 30, 300)
	behind, err := w.NewReader(recs[3].lsn)
	if err != nil {
		t.Fatal(err)
	}
	ahead, err := w.NewReader(recs[25].lsn)
	if err != nil {
		t.Fatal(err)
	}
	tailing, err := w.NewReader(w.EndLSN())
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := tailing.Next(context.Background())
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := w.TruncateAfter(recs[9].end); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		wantErr(t, err, ErrTruncated)
	case <-time.After(5 * time.Second):
		t.Fatal("truncation did not wake the tailing reader")
	}
	if _, err := ahead.Next(context.Background()); !errors.Is(err, ErrTruncated) {
		t.Fatalf("reader past the truncation: %v", err)
	}
	more := appendN(t, w, 5, 100)
	var got []Record
	for range 6 + 5 {
		rec, err := behind.Next(ctxTimeout(t, 5*time.Second))
		if err != nil {
			t.Fatalf("reader before the truncation: %v", err)
		}
		got = append(got, rec)
	}
	checkRecords(t, got, append(append([]appended(nil), recs[3:10]...), more...)[:11])
}

func TestPurgeBefore(t *testing.T) {
	opts := testOptions(t, t.TempDir())
	w := openWAL(t, opts)
	recs := appendN(t, w, 60, 300, 500)
	old, err := w.NewReader(w.FirstLSN())
	if err != nil {
		t.Fatal(err)
	}
	nsegs := len(segmentFiles(t, opts.Dir))

	if err := w.PurgeBefore(recs[30].lsn); err != nil {
		t.Fatal(err)
	}
	first := w.FirstLSN()
	if first <= DefaultStartLSN || first > recs[30].lsn {
		t.Fatalf("first LSN %s after purge before %s", first, recs[30].lsn)
	}
	if got := len(segmentFiles(t, opts.Dir)); got >= nsegs {
		t.Fatalf("%d segments after purge, had %d", got, nsegs)
	}
	if _, err := old.Next(context.Background()); !errors.Is(err, ErrPurged) {
		t.Fatalf("reader at a purged LSN: %v", err)
	}
	if _, err := w.NewReader(DefaultStartLSN); !errors.Is(err, ErrPurged) {
		t.Fatalf("NewReader at a purged LSN: %v", err)
	}
	i := 0
	for recs[i].lsn != first {
		i++
	}
	checkRecords(t, readAll(t, w, first), recs[i:])

	// Purging everything keeps the last segment.
	if err := w.PurgeBefore(w.EndLSN()); err != nil {
		t.Fatal(err)
	}
	if got := len(segmentFiles(t, opts.Dir)); got != 1 {
		t.Fatalf("%d segments after purging everything, want 1", got)
	}
	first = w.FirstLSN()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openWAL(t, opts)
	if w.FirstLSN() != first || w.EndLSN() != recs[59].end {
		t.Fatalf("reopened first %s end %s, want %s %s", w.FirstLSN(), w.EndLSN(), first, recs[59].end)
	}
}

func TestPurgeKeepsUnsynced(t *testing.T) {
	w := openWAL(t, testOptions(t, t.TempDir()))
	appendN(t, w, 5, 300)
	flushed := w.FlushedLSN()
	for i := range 40 {
		if _, _, err := w.Append(1, 1, payloadFor(i, 300)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.PurgeBefore(w.EndLSN()); err != nil {
		t.Fatal(err)
	}
	if w.FirstLSN() > flushed {
		t.Fatalf("purge removed unsynced data: first %s, flushed %s", w.FirstLSN(), flushed)
	}
	if err := w.Sync(context.Background(), w.EndLSN()); err != nil {
		t.Fatal(err)
	}
}

// TestTruncateAfterInterrupted fails TruncateAfter half-way: the reopened
// log is a prefix of the old one that still reaches lsn, and repeating the
// truncation finishes the job.
func TestTruncateAfterInterrupted(t *testing.T) {
	tests := []struct {
		name   string
		op     string
		suffix string
	}{
		{"removing a later segment", "remove", ".wal"},
		{"renaming the rewritten tail", "rename", ".wal"},
		{"writing the rewritten tail", "write", ".tmp"},
		{"syncing the directory", "syncdir", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ffs := newFaultFS()
			opts := testOptions(t, t.TempDir())
			opts.FS = ffs
			opts.NoPreallocate = true
			w := openWAL(t, opts)
			recs := appendN(t, w, 40, 300)
			lsn := recs[4].end // inside the first segment: removes and rewrites
			ffs.inject(tt.op, tt.suffix, 1)
			wantErr(t, w.TruncateAfter(lsn), ErrFailed)
			_ = w.Close()

			opts.FS = OSFS{}
			w = openWAL(t, opts)
			got := readAll(t, w, w.FirstLSN())
			if w.EndLSN() < lsn || len(got) < 5 {
				t.Fatalf("interrupted truncation left end %s, %d records; want at least %s", w.EndLSN(), len(got), lsn)
			}
			checkRecords(t, got, recs[:len(got)])
			if err := w.TruncateAfter(lsn); err != nil {
				t.Fatal(err)
			}
			checkRecords(t, readAll(t, w, w.FirstLSN()), recs[:5])
		})
	}
}
