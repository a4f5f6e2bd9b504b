package wal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// waitSpare waits until the preallocator has a spare ready: a spare file
// exists and is full size (the handover then only waits for a receiver).
func waitSpare(t *testing.T, w *WAL) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, _ := filepath.Glob(filepath.Join(w.opts.Dir, "spare-*"))
		if len(m) == 1 {
			if fi, err := os.Stat(m[0]); err == nil && fi.Size() == w.opts.SegmentSize {
				time.Sleep(20 * time.Millisecond) // let it reach the handover
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no spare segment was preallocated")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPreallocatedRollover: a rollover takes the spare segment (no
// foreground preallocation); when no spare can be made it creates the
// segment itself; Close removes an unused spare.
func TestPreallocatedRollover(t *testing.T) {
	ffs := newFaultFS()
	opts := testOptions(t, t.TempDir())
	opts.FS = ffs
	w, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	waitSpare(t, w)
	// From now on nothing can preallocate: the rollover must use the spare.
	ffs.inject("write", ".tmp", -1)
	recs := appendN(t, w, 10, 500) // one rollover
	nsegs := len(w.segs)
	if nsegs < 2 {
		t.Fatalf("%d segments, want a rollover", nsegs)
	}
	// The spare is used up and cannot be replaced: the next rollover
	// tries to create its segment and fails, without poisoning the log.
	var failed error
	for range 20 {
		if _, _, failed = w.Append(1, 1, payloadFor(1, 500)); failed != nil {
			break
		}
	}
	if !errors.Is(failed, errInjected) || errors.Is(failed, ErrFailed) {
		t.Fatalf("rollover without a spare: %v", failed)
	}
	ffs.clear()
	waitSpare(t, w)
	more := appendN(t, w, 20, 500)
	if err := w.Sync(context.Background(), w.EndLSN()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(opts.Dir, "*.tmp")); len(m) > 0 {
		t.Fatalf("spare segment left after Close: %v", m)
	}
	opts.FS = OSFS{}
	w = openWAL(t, opts)
	got := readAll(t, w, w.FirstLSN())
	// recs, then the records appended before the failed rollover, then more.
	checkRecords(t, got[:len(recs)], recs)
	checkRecords(t, got[len(got)-len(more):], more)
}
