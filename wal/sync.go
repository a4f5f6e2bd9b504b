package wal

import (
	"context"
	"fmt"
)

// Sync returns once every record that ends at or before upTo is durable.
// It implements group commit: one caller at a time runs an fsync, which
// covers everything appended before it started; callers arriving meanwhile
// wait for it to finish, those it covered return at once, and the next
// fsync, run by one of the others, covers all of them. A cancelled ctx
// makes Sync return ctx.Err() (the fsync it may have started goes on).
// After a failed fsync it returns ErrFailed, now and forever.
func (w *WAL) Sync(ctx context.Context, upTo LSN) error {
	if end := w.EndLSN(); upTo > end {
		return fmt.Errorf("%w: sync to %s, log ends at %s", ErrInvalidLSN, upTo, end)
	}
	for {
		if err := w.failure(); err != nil {
			return err
		}
		// Taken before the check, so that a flush that ends in between
		// still wakes us.
		w.notifyMu.Lock()
		flushed := w.notify
		w.notifyMu.Unlock()
		if upTo <= w.FlushedLSN() {
			return nil
		}
		select {
		case w.syncSem <- struct{}{}:
		case <-flushed:
			continue // the running fsync ended: did it cover us?
		case <-ctx.Done():
			return ctx.Err()
		}
		err := w.failure()
		if err == nil && upTo > w.FlushedLSN() {
			err = w.flushHoldingSem()
		}
		<-w.syncSem
		return err
	}
}

// flushHoldingSem writes the records still in memory, fsyncs every
// segment written since the last fsync began
// and advances the flushed LSN to the end LSN seen before the fsyncs. The
// caller holds syncSem, so no segment file is closed meanwhile.
func (w *WAL) flushHoldingSem() error {
	w.writeMu.Lock()
	err := w.writableLocked()
	if err == nil {
		err = w.writePendingLocked()
	}
	if err != nil {
		w.writeMu.Unlock()
		return err
	}
	target := w.end
	dirty := w.dirty
	w.dirty = nil
	for _, s := range dirty {
		s.dirty = false
	}
	w.writeMu.Unlock()

	w.syncingTo.Store(uint64(target))
	defer w.syncingTo.Store(0)
	if !w.opts.NoSync {
		for _, s := range dirty {
			if err := s.f.Sync(); err != nil {
				return w.fail(fmt.Errorf("fsync %s: %w", s.path, err))
			}
		}
	}
	w.setFlushed(target)
	return nil
}

// Syncing reports whether an fsync is running, and up to which end LSN it
// makes the log durable.
func (w *WAL) Syncing() (upTo LSN, running bool) {
	upTo = LSN(w.syncingTo.Load())
	return upTo, upTo != 0
}
