package wal

import (
	"fmt"
	"slices"
)

// TruncateAfter removes every record that does not end at or before lsn:
// afterwards EndLSN() == lsn and the last record is the one ending at lsn.
// lsn MUST be a record boundary in [FirstLSN, EndLSN]: a record's end, or
// FirstLSN to empty the log. Readers past lsn get ErrTruncated, and the
// flushed LSN drops to lsn if it was past it. A crash during TruncateAfter
// leaves a valid log that ends at or after lsn; repeat the call after
// restart. An I/O error makes the WAL refuse further writes (ErrFailed).
// TruncateAfter is meant for a follower repairing divergence: a Sync for an
// LSN past lsn, issued before the truncation, may return nil once new
// records reach that LSN, so no committer may wait on the records removed.
func (w *WAL) TruncateAfter(lsn LSN) error {
	w.syncSem <- struct{}{}
	defer func() { <-w.syncSem }()
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if err := w.writableLocked(); err != nil {
		return err
	}
	if err := w.writePendingLocked(); err != nil {
		return err
	}
	if err := w.checkBoundary(lsn, w.end); err != nil {
		return err
	}
	if lsn == w.end {
		return nil
	}
	w.segMu.Lock()
	defer w.segMu.Unlock()
	// k is the segment that ends up last: the one holding the byte
	// before lsn, or the first segment when the log becomes empty.
	k := 0
	for k+1 < len(w.segs) && w.segs[k+1].base < lsn {
		k++
	}
	dataEnd := w.end
	if k+1 < len(w.segs) {
		dataEnd = w.segs[k+1].base
	}
	// Newest first, so that a crash leaves a prefix of the old log.
	removed := false
	for j := len(w.segs) - 1; j > k; j-- {
		s := w.segs[j]
		if err := w.fs.Remove(s.path); err != nil {
			w.segs = w.segs[:j+1]
			return w.fail(fmt.Errorf("truncate: remove %s: %w", s.path, err))
		}
		_ = s.f.Close()
		removed = true
	}
	w.segs = w.segs[:k+1]
	if removed && !w.opts.NoSync {
		if err := w.fs.SyncDir(w.opts.Dir); err != nil {
			return w.fail(fmt.Errorf("truncate: sync directory: %w", err))
		}
	}
	tail := w.segs[k]
	if lsn < dataEnd {
		if err := w.rewriteTailLocked(tail, lsn); err != nil {
			return w.fail(err)
		}
	}
	w.dirty = slices.DeleteFunc(w.dirty, func(s *segment) bool {
		return s.base > tail.base || (s == tail && lsn < dataEnd)
	})
	tail.dirty = slices.Contains(w.dirty, tail)
	old := w.end
	w.end = lsn
	w.writtenLSN.Store(uint64(lsn))
	w.endLSN.Store(uint64(lsn))

	w.notifyMu.Lock()
	gen := w.truncGen.Add(1)
	w.truncs = append(w.truncs, truncation{gen: gen, lsn: lsn})
	if w.FlushedLSN() > lsn {
		w.flushedLSN.Store(uint64(lsn))
	}
	w.wakeReadersLocked()
	w.notifyMu.Unlock()
	w.log.Warn().Stringer("lsn", lsn).Stringer("old_end", old).Msg("log truncated")
	return nil
}

// rewriteTailLocked replaces tail's file by a copy that holds its bytes
// before lsn and zeros after. segMu must be held.
func (w *WAL) rewriteTailLocked(tail *segment, lsn LSN) error {
	prefix := make([]byte, lsn-tail.base)
	if err := readFull(tail.f, prefix, 0); err != nil {
		return fmt.Errorf("truncate: read %s: %w", tail.path, err)
	}
	f, err := createSegmentFile(w.fs, w.opts.Dir, tail.path, tail.size, prefix, w.opts.NoSync)
	if err != nil {
		return fmt.Errorf("truncate: %w", err)
	}
	_ = tail.f.Close()
	tail.f = f
	return nil
}

// PurgeBefore removes, oldest first, every segment whose records all end
// at or before both lsn and the flushed LSN. It never removes the last
// segment. Afterwards FirstLSN is the base of the oldest segment left, and
// Readers before it get ErrPurged.
func (w *WAL) PurgeBefore(lsn LSN) error {
	w.syncSem <- struct{}{}
	defer func() { <-w.syncSem }()
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if w.closed {
		return ErrClosed
	}
	limit := min(lsn, w.FlushedLSN())
	w.segMu.Lock()
	defer w.segMu.Unlock()
	n := 0
	for n+1 < len(w.segs) && w.segs[n+1].base <= limit {
		n++
	}
	if n == 0 {
		return nil
	}
	var err error
	purged := 0
	for _, s := range w.segs[:n] {
		if err = w.fs.Remove(s.path); err != nil {
			err = fmt.Errorf("wal: purge %s: %w", s.path, err)
			break
		}
		_ = s.f.Close()
		purged++
	}
	gone := w.segs[:purged]
	w.dirty = slices.DeleteFunc(w.dirty, func(s *segment) bool { return slices.Contains(gone, s) })
	w.segs = slices.Clone(w.segs[purged:])
	w.firstLSN.Store(uint64(w.segs[0].base))
	w.log.Info().Int("segments", purged).Stringer("first", w.segs[0].base).Msg("purged segments")
	if err == nil && purged > 0 && !w.opts.NoSync {
		if serr := w.fs.SyncDir(w.opts.Dir); serr != nil {
			err = fmt.Errorf("wal: purge: sync directory: %w", serr)
		}
	}
	return err
}
