package wal

import (
	"fmt"
	"os"
)

// recover opens the segments of w.opts.Dir, cuts a torn tail and sets
// w.segs and w.end. It is called by Open before the WAL is shared.
func (w *WAL) recover() error {
	bases, err := listSegments(w.fs, w.opts.Dir)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	if len(bases) == 0 {
		path := w.segPath(w.opts.StartLSN)
		f, err := createSegmentFile(w.fs, w.opts.Dir, path, w.opts.SegmentSize, nil, w.opts.NoSync)
		if err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		w.segs = []*segment{{base: w.opts.StartLSN, size: w.opts.SegmentSize, path: path, f: f}}
		w.end = w.opts.StartLSN
		return nil
	}
	// No segment is larger than one grown for the largest record.
	maxSize := max(w.opts.SegmentSize, segmentSizeFor(0, HeaderSize+MaxRecordSize))
	for _, base := range bases {
		path := w.segPath(base)
		f, size, err := openSegmentFile(w.fs, path)
		if err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		w.segs = append(w.segs, &segment{base: base, size: size, path: path, f: f})
		if size > maxSize {
			return fmt.Errorf("%w: segment %s has %d bytes, more than any segment can", ErrCorrupt, path, size)
		}
	}
	for i := 0; i < len(w.segs); i++ {
		if err := w.recoverSegment(i); err != nil {
			return err
		}
	}
	if !w.opts.NoSync {
		for _, s := range w.segs {
			if err := s.f.Sync(); err != nil {
				return fmt.Errorf("wal: sync %s: %w", s.path, err)
			}
		}
	}
	return nil
}

// readSegment reads a whole segment file into memory.
func readSegment(s *segment) ([]byte, error) {
	data := make([]byte, s.size)
	if err := readFull(s.f, data, 0); err != nil {
		return nil, fmt.Errorf("wal: read %s: %w", s.path, err)
	}
	return data, nil
}

// recoverSegment validates segment i. When its records stop short of the
// next segment and nothing valid follows, it becomes the last segment.
func (w *WAL) recoverSegment(i int) error {
	s := w.segs[i]
	data, err := readSegment(s)
	if err != nil {
		return err
	}
	p := scanFrames(data, s.base, nil)
	dataEnd := s.base + LSN(p)
	if q := findValidFrame(data, p+1, s.base); q >= 0 && !w.opts.CutCorruptTail {
		return fmt.Errorf("%w: segment %s: no valid record at %s, but a valid record follows at %s; "+
			"the log was damaged after it was written (cut it at %s by hand only if nothing after it was acknowledged)",
			ErrCorrupt, s.path, dataEnd, s.base+LSN(q), dataEnd)
	}
	if i+1 < len(w.segs) {
		next := w.segs[i+1].base
		if dataEnd > next {
			return fmt.Errorf("%w: segment %s holds records up to %s, past the next segment %s",
				ErrCorrupt, s.path, dataEnd, w.segs[i+1].path)
		}
		if dataEnd < next {
			if err := w.cutSegmentsAfter(i, dataEnd); err != nil {
				return err
			}
		}
	}
	if i == len(w.segs)-1 {
		w.end = dataEnd
	}
	if w.opts.CutCorruptTail && i == len(w.segs)-1 && p < len(data) {
		w.log.Warn().Str("segment", s.path).Stringer("lsn", dataEnd).
			Msg("CutCorruptTail: cutting the log at the first invalid record")
	}
	return w.zeroTail(s, data, p)
}

// cutSegmentsAfter removes the segments after i, whose records would
// start at next > dataEnd, provided none holds a valid record.
func (w *WAL) cutSegmentsAfter(i int, dataEnd LSN) error {
	later := w.segs[i+1:]
	images := make([][]byte, len(later))
	for j, t := range later {
		data, err := readSegment(t)
		if err != nil {
			return err
		}
		if q := findValidFrame(data, 0, t.base); q >= 0 && !w.opts.CutCorruptTail {
			return fmt.Errorf("%w: segment %s: no valid record at %s, but segment %s holds a valid record at %s: records are missing or damaged",
				ErrCorrupt, w.segs[i].path, dataEnd, t.path, t.base+LSN(q))
		}
		images[j] = data
	}
	for j := len(later) - 1; j >= 0; j-- {
		t := later[j]
		_ = t.f.Close()
		if isZero(images[j]) {
			if err := w.fs.Remove(t.path); err != nil {
				return fmt.Errorf("wal: remove %s: %w", t.path, err)
			}
			w.log.Warn().Str("segment", t.path).Stringer("end", dataEnd).Msg("removed empty segment after torn end of log")
			continue
		}
		aside := corruptName(t.path, t.base)
		if err := w.fs.Rename(t.path, aside); err != nil {
			return fmt.Errorf("wal: rename %s: %w", t.path, err)
		}
		w.log.Warn().Str("segment", t.path).Str("kept", aside).Stringer("end", dataEnd).
			Msg("moved segment after torn end of log aside")
	}
	w.segs = w.segs[:i+1]
	if w.opts.NoSync {
		return nil
	}
	if err := w.fs.SyncDir(w.opts.Dir); err != nil {
		return fmt.Errorf("wal: sync directory: %w", err)
	}
	return nil
}

// zeroTail makes every byte of s after offset p zero. Non-zero bytes are
// first copied to "<segment>.corrupt-<LSN>".
func (w *WAL) zeroTail(s *segment, data []byte, p int) error {
	last := len(data) - 1
	for last >= p && data[last] == 0 {
		last--
	}
	if last < p {
		return nil
	}
	bad := data[p : last+1]
	lsn := s.base + LSN(p)
	aside := corruptName(s.path, lsn)
	f, err := w.fs.OpenFile(aside, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("wal: create %s: %w", aside, err)
	}
	_, err = f.WriteAt(bad, 0)
	if err == nil && !w.opts.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: write %s: %w", aside, err)
	}
	if err := writeZeros(s.f, int64(p), int64(len(bad))); err != nil {
		return fmt.Errorf("wal: zero torn tail of %s: %w", s.path, err)
	}
	if !w.opts.NoSync {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("wal: sync %s: %w", s.path, err)
		}
	}
	reason := "garbage after the last record"
	if _, _, err := DecodeRecord(data[p:], lsn); err != nil {
		reason = err.Error()
	}
	w.log.Warn().Str("segment", s.path).Stringer("lsn", lsn).Int("bytes", len(bad)).
		Str("kept", aside).Str("reason", reason).Msg("cut torn tail of the log")
	return nil
}
