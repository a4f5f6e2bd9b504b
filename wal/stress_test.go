package wal

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentUse runs appenders, committers, tailing readers and purges
// at once (meant for -race): readers see a gap-free sequence of flushed
// records.
func TestConcurrentUse(t *testing.T) {
	opts := testOptions(t, t.TempDir())
	opts.Logger = opts.Logger.Level(1) // info and above
	w := openWAL(t, opts)
	const appenders, each = 4, 150
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var readers sync.WaitGroup
	readErrs := make(chan error, 2)
	var positions [2]atomic.Uint64 // where each reader is
	for ri := range 2 {
		r, err := w.NewReader(w.FirstLSN())
		if err != nil {
			t.Fatal(err)
		}
		readers.Add(1)
		go func() {
			defer readers.Done()
			next := r.Pos()
			positions[ri].Store(uint64(next))
			for n := 0; n < appenders*each; n++ {
				rec, err := r.Next(ctx)
				if err != nil {
					readErrs <- err
					return
				}
				if rec.LSN != next {
					readErrs <- errors.New("gap in the record sequence")
					return
				}
				if rec.End() > w.FlushedLSN() {
					readErrs <- errors.New("reader saw an unflushed record")
					return
				}
				next = rec.End()
				positions[ri].Store(uint64(next))
			}
		}()
	}

	var writers sync.WaitGroup
	for a := range appenders {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range each {
				_, end, err := w.Append(uint64(a), 1, payloadFor(i, 50+i%700))
				if err == nil && i%3 == 0 {
					err = w.Sync(ctx, end)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	purgeDone := make(chan struct{})
	go func() {
		defer close(purgeDone)
		for range 200 {
			// Purge what both readers have read.
			if err := w.PurgeBefore(LSN(min(positions[0].Load(), positions[1].Load()))); err != nil {
				t.Error(err)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	writers.Wait()
	if err := w.Sync(ctx, w.EndLSN()); err != nil {
		t.Fatal(err)
	}
	readers.Wait()
	<-purgeDone
	close(readErrs)
	for err := range readErrs {
		t.Fatal(err)
	}
}
