package wal

import (
	"context"
	"fmt"
	"sort"
)

// Reader reads records in LSN order, only once they are flushed. It is not
// safe for concurrent use; use one Reader per goroutine.
type Reader struct {
	w   *WAL
	pos LSN
	gen uint64 // truncations seen so far
	err error  // sticky ErrTruncated
}

// NewReader returns a Reader whose first record is the one at from. from
// MUST be a record boundary between FirstLSN and EndLSN (EndLSN itself
// tails the log from its end). A from before FirstLSN is ErrPurged, so
// replication can fall back to a snapshot; a from inside a record or past
// the end is ErrInvalidLSN.
func (w *WAL) NewReader(from LSN) (*Reader, error) {
	gen := w.truncGen.Load()
	// checkBoundary walks the frames in the files.
	if err := w.Write(min(from, w.EndLSN())); err != nil {
		return nil, err
	}
	if err := w.checkBoundary(from, w.EndLSN()); err != nil {
		return nil, err
	}
	return &Reader{w: w, pos: from, gen: gen}, nil
}

// Pos is the LSN of the record the next call to Next returns.
func (r *Reader) Pos() LSN { return r.pos }

// Next returns the record at Pos and moves past it. It blocks until that
// record is flushed, ctx is done (ctx.Err()) or the WAL is closed
// (ErrClosed). It returns ErrPurged when Pos was purged and ErrTruncated
// when TruncateAfter removed Pos.
func (r *Reader) Next(ctx context.Context) (Record, error) {
	w := r.w
	for {
		if err := r.check(); err != nil {
			return Record{}, err
		}
		if r.pos < w.FlushedLSN() {
			rec, err := w.readRecord(r.pos)
			// A truncation may have changed the bytes under us.
			if cerr := r.check(); cerr != nil {
				return Record{}, cerr
			}
			if err != nil {
				return Record{}, err
			}
			r.pos = rec.End()
			return rec, nil
		}
		w.notifyMu.Lock()
		notify := w.notify
		w.notifyMu.Unlock()
		if r.pos < w.FlushedLSN() || w.truncGen.Load() != r.gen {
			continue
		}
		select {
		case <-notify:
		case <-w.done:
			return Record{}, ErrClosed
		case <-ctx.Done():
			return Record{}, ctx.Err()
		}
	}
}

// check reports whether the Reader can go on from its position.
func (r *Reader) check() error {
	w := r.w
	if r.err != nil {
		return r.err
	}
	select {
	case <-w.done:
		return ErrClosed
	default:
	}
	if gen := w.truncGen.Load(); gen != r.gen {
		w.notifyMu.Lock()
		for _, t := range w.truncs {
			if t.gen > r.gen && r.pos > t.lsn {
				r.err = fmt.Errorf("%w: position %s, log truncated after %s", ErrTruncated, r.pos, t.lsn)
			}
		}
		w.notifyMu.Unlock()
		r.gen = gen
		if r.err != nil {
			return r.err
		}
	}
	if first := w.FirstLSN(); r.pos < first {
		return fmt.Errorf("%w: position %s, first LSN %s", ErrPurged, r.pos, first)
	}
	return nil
}

// segmentForLocked returns the segment holding lsn, or nil when lsn is
// before the first segment. segMu must be held.
func (w *WAL) segmentForLocked(lsn LSN) *segment {
	i := sort.Search(len(w.segs), func(i int) bool { return w.segs[i].base > lsn })
	if i == 0 {
		return nil
	}
	return w.segs[i-1]
}

// readRecord reads and verifies the record at lsn, which must be below
// the end LSN.
func (w *WAL) readRecord(lsn LSN) (Record, error) {
	w.segMu.RLock()
	defer w.segMu.RUnlock()
	if w.segs == nil {
		return Record{}, ErrClosed
	}
	s := w.segmentForLocked(lsn)
	if s == nil {
		return Record{}, fmt.Errorf("%w: %s", ErrPurged, lsn)
	}
	off := int64(lsn - s.base)
	if off+HeaderSize > s.size {
		return Record{}, fmt.Errorf("%w: no room for a record at %s in %s", ErrCorrupt, lsn, s.path)
	}
	var h [HeaderSize]byte
	if err := readFull(s.f, h[:], off); err != nil {
		return Record{}, fmt.Errorf("wal: read %s at %s: %w", s.path, lsn, err)
	}
	hd, err := checkHeader(h[:], lsn)
	if err != nil {
		return Record{}, fmt.Errorf("%w: in %s: %v", ErrCorrupt, s.path, err)
	}
	if off+hd.frameSize() > s.size {
		return Record{}, fmt.Errorf("%w: record at %s runs past the end of %s", ErrCorrupt, lsn, s.path)
	}
	payload := make([]byte, hd.length)
	if err := readFull(s.f, payload, off+HeaderSize); err != nil {
		return Record{}, fmt.Errorf("wal: read %s at %s: %w", s.path, lsn, err)
	}
	if err := checkCRC(h[:], hd, payload); err != nil {
		return Record{}, fmt.Errorf("%w (in %s)", err, s.path)
	}
	return Record{LSN: lsn, Term: hd.term, Type: hd.typ, Payload: payload}, nil
}

// checkBoundary reports whether lsn is a record boundary in
// [FirstLSN, end]. It walks the headers of the segment holding lsn.
func (w *WAL) checkBoundary(lsn, end LSN) error {
	if first := w.FirstLSN(); lsn < first {
		return fmt.Errorf("%w: %s is before the first LSN %s", ErrPurged, lsn, first)
	}
	if lsn > end {
		return fmt.Errorf("%w: %s is past the end of the log %s", ErrInvalidLSN, lsn, end)
	}
	if lsn == end {
		return nil
	}
	w.segMu.RLock()
	defer w.segMu.RUnlock()
	if w.segs == nil {
		return ErrClosed
	}
	s := w.segmentForLocked(lsn)
	if s == nil {
		return fmt.Errorf("%w: %s", ErrPurged, lsn)
	}
	var h [HeaderSize]byte
	for at := s.base; at < lsn; {
		if err := readFull(s.f, h[:], int64(at-s.base)); err != nil {
			return fmt.Errorf("wal: read %s at %s: %w", s.path, at, err)
		}
		hd, err := checkHeader(h[:], at)
		if err != nil {
			return fmt.Errorf("%w: walking %s: %v", ErrCorrupt, s.path, err)
		}
		at += LSN(hd.frameSize())
		if at > lsn {
			return fmt.Errorf("%w: %s is inside the record at %s", ErrInvalidLSN, lsn, hd.lsn)
		}
	}
	return nil
}
