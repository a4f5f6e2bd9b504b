package wal

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestGroupCommit runs many committers that each append and wait for
// their record; the fsyncs they trigger must be shared.
func TestGroupCommit(t *testing.T) {
	tests := []struct {
		name       string
		committers int
		each       int
	}{
		{"16 committers", 16, 20},
		{"64 committers", 64, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ffs := newFaultFS()
			opts := testOptions(t, t.TempDir())
			opts.SegmentSize = 1 << 20
			opts.FS = ffs
			w := openWAL(t, opts)
			before := ffs.fileSyncs.Load()

			var wg sync.WaitGroup
			errs := make(chan error, tt.committers)
			for c := range tt.committers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range tt.each {
						_, end, err := w.Append(1, 1, payloadFor(c*1000+i, 200))
						if err == nil {
							err = w.Sync(context.Background(), end)
						}
						if err == nil && w.FlushedLSN() < end {
							err = fmt.Errorf("Sync returned with flushed %s < %s", w.FlushedLSN(), end)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			commits := int64(tt.committers * tt.each)
			syncs := ffs.fileSyncs.Load() - before
			t.Logf("%d commits, %d fsyncs (%.1f commits/fsync)", commits, syncs, float64(commits)/float64(syncs))
			if syncs >= commits {
				t.Fatalf("%d fsyncs for %d commits: no group commit", syncs, commits)
			}
			if w.FlushedLSN() != w.EndLSN() {
				t.Fatalf("flushed %s, end %s", w.FlushedLSN(), w.EndLSN())
			}
			if got := len(readAll(t, w, w.FirstLSN())); got != int(commits) {
				t.Fatalf("read %d records, want %d", got, commits)
			}
		})
	}
}

func TestSyncArguments(t *testing.T) {
	w := openWAL(t, testOptions(t, t.TempDir()))
	_, end, err := w.Append(1, 1, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, w.Sync(context.Background(), end+1), ErrInvalidLSN)
	if err := w.Sync(context.Background(), DefaultStartLSN); err != nil {
		t.Fatalf("Sync of an already flushed LSN: %v", err)
	}
	// A Sync that cannot get its turn gives up with its context.
	w.syncSem <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := w.Sync(ctx, end); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Sync with a busy fsync and expired ctx: %v", err)
	}
	<-w.syncSem
	if err := w.Sync(context.Background(), end); err != nil {
		t.Fatal(err)
	}
}

// A committer whose record the running fsync covers returns when that
// fsync ends, even if another committer has started the next one.
func TestSyncCoveredWaiterDoesNotWaitForNextFsync(t *testing.T) {
	ffs := newFaultFS()
	ffs.syncStarted, ffs.syncRelease = make(chan struct{}, 4), make(chan struct{})
	opts := testOptions(t, t.TempDir())
	opts.FS = ffs
	opts.NoPreallocate = true
	w := openWAL(t, opts)
	ctx := ctxTimeout(t, 10*time.Second)
	_, first, err := w.Append(1, 1, []byte("first"))
	if err != nil {
		t.Fatal(err)
	}
	ffs.holdSyncs.Store(true)
	defer func() { // let every held fsync go, even after a failure
		ffs.holdSyncs.Store(false)
		close(ffs.syncRelease)
	}()

	done := func(upTo LSN) <-chan error {
		ch := make(chan error, 1)
		go func() { ch <- w.Sync(ctx, upTo) }()
		return ch
	}
	leader := done(first)
	<-ffs.syncStarted // the first fsync runs: it covers `first` only
	_, second, err := w.Append(1, 1, []byte("second"))
	if err != nil {
		t.Fatal(err)
	}
	next := done(second) // must wait for a second fsync
	time.Sleep(20 * time.Millisecond)
	covered := done(first) // covered by the running one; queued after next
	time.Sleep(20 * time.Millisecond)
	ffs.syncRelease <- struct{}{}
	if err := <-leader; err != nil {
		t.Fatal(err)
	}
	<-ffs.syncStarted // the second fsync runs, for `next`
	select {
	case err := <-covered:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a committer covered by the first fsync waited for the second")
	}
	ffs.syncRelease <- struct{}{}
	if err := <-next; err != nil {
		t.Fatal(err)
	}
	if w.FlushedLSN() != second {
		t.Fatalf("flushed %s, want %s", w.FlushedLSN(), second)
	}
}
