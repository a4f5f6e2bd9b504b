package wal

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
)

// Options configure Open.
type Options struct {
	// Dir is the directory of the segment files; it is created if missing.
	Dir string
	// SegmentSize is the size of a new segment file (default 16 MiB).
	SegmentSize int64
	// MaxRecordSize is the largest payload Append accepts (default
	// 128 MiB, at most MaxRecordSize).
	MaxRecordSize int
	// StartLSN is the LSN of the first record when Dir holds no segment
	// (default DefaultStartLSN). It is ignored for an existing log.
	StartLSN LSN
	// FS is the file system (default OSFS).
	FS FS
	// Logger receives recovery and failure reports (the zero Logger
	// discards them).
	Logger zerolog.Logger
	// NoSync skips every fsync. For tests only: it voids durability.
	NoSync bool
	// CutCorruptTail is an operator's override for a log that Open refuses
	// with ErrCorrupt: recovery then cuts the log at the first invalid
	// record even though valid records follow, keeping the cut bytes aside
	// as for a torn tail. Use it only once it is known that nothing after
	// that record was acknowledged.
	CutCorruptTail bool
	// NoPreallocate creates each segment in the appending goroutine when
	// it is needed, instead of keeping one spare segment ready in a
	// background goroutine.
	NoPreallocate bool
}

// Defaults for Options.
const (
	DefaultSegmentSize   = 16 << 20
	DefaultMaxRecordSize = 128 << 20
)

// WAL is an open write-ahead log. Its methods are safe for concurrent use.
//
// Lock order: syncSem, then writeMu, then segMu, then notifyMu.
type WAL struct {
	opts Options
	fs   FS
	log  zerolog.Logger

	// syncSem is a one-slot semaphore held by the goroutine running an
	// fsync and by every operation that closes or replaces segment files
	// (TruncateAfter, PurgeBefore, Close). Waiting for it honours a context.
	syncSem chan struct{}

	writeMu sync.Mutex // guards the fields below and serializes appends
	end     LSN        // end of the last record
	pending []byte     // the frames that end at end, not yet in the files
	dirty   []*segment // segments written since the last fsync began
	closed  bool

	segMu sync.RWMutex // guards segs; held for reading while a segment file is read
	segs  []*segment   // sorted by base; never empty while open

	// Readable without locks.
	endLSN     atomic.Uint64 // copy of end
	writtenLSN atomic.Uint64 // every byte before it is in the files: end - len(pending)
	flushedLSN atomic.Uint64 // every record ending at or before it is durable
	syncingTo  atomic.Uint64 // end LSN the fsync in progress covers; 0 when none runs
	firstLSN   atomic.Uint64 // base of the oldest segment
	failed     atomic.Pointer[error]
	truncGen   atomic.Uint64 // number of TruncateAfter calls that removed records

	// Background preallocation (see spare.go); nil when NoPreallocate.
	spares     chan spare // unbuffered: the preallocator hands over a ready segment
	stopSpare  context.CancelFunc
	spareGroup errgroup.Group

	notifyMu sync.Mutex    // guards the fields below
	notify   chan struct{} // closed (and replaced) when the flushed LSN moves or the log is truncated
	truncs   []truncation  // every truncation that removed records
	done     chan struct{} // closed by Close
}

// truncation records that TruncateAfter cut the log at lsn.
type truncation struct {
	gen uint64
	lsn LSN
}

// Open opens the log in opts.Dir, creating it if needed, and recovers it
// (see the package doc): a torn tail is cut off and kept aside, a corrupt
// record followed by valid ones is ErrCorrupt.
func Open(opts Options) (*WAL, error) {
	if opts.Dir == "" {
		return nil, errors.New("wal: Options.Dir is empty")
	}
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if opts.SegmentSize < HeaderSize {
		return nil, fmt.Errorf("wal: segment size %d is below %d", opts.SegmentSize, HeaderSize)
	}
	if opts.MaxRecordSize <= 0 {
		opts.MaxRecordSize = DefaultMaxRecordSize
	}
	opts.MaxRecordSize = min(opts.MaxRecordSize, MaxRecordSize)
	if opts.StartLSN == InvalidLSN {
		opts.StartLSN = DefaultStartLSN
	}
	if opts.FS == nil {
		opts.FS = OSFS{}
	}
	w := &WAL{
		opts:    opts,
		fs:      opts.FS,
		log:     opts.Logger.With().Str("component", "wal").Logger(),
		syncSem: make(chan struct{}, 1),
		notify:  make(chan struct{}),
		done:    make(chan struct{}),
	}
	if err := w.fs.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("wal: create directory %q: %w", opts.Dir, err)
	}
	if err := w.recover(); err != nil {
		_ = w.closeFiles()
		return nil, err
	}
	w.endLSN.Store(uint64(w.end))
	w.writtenLSN.Store(uint64(w.end))
	w.flushedLSN.Store(uint64(w.end))
	w.firstLSN.Store(uint64(w.segs[0].base))
	if !opts.NoPreallocate {
		w.spares = make(chan spare)
		ctx, cancel := context.WithCancel(context.Background())
		w.stopSpare = cancel
		w.spareGroup.Go(func() error { return w.preallocate(ctx) })
	}
	w.log.Info().Stringer("first", w.FirstLSN()).Stringer("end", w.end).
		Int("segments", len(w.segs)).Msg("wal opened")
	return w, nil
}

// EndLSN is the LSN the next record will get.
func (w *WAL) EndLSN() LSN { return LSN(w.endLSN.Load()) }

// FlushedLSN is the end of the durable log: every record that ends at or
// before it has been fsynced.
func (w *WAL) FlushedLSN() LSN { return LSN(w.flushedLSN.Load()) }

// FirstLSN is the oldest LSN still in the log (the base of the oldest
// segment); records before it were purged.
func (w *WAL) FirstLSN() LSN { return LSN(w.firstLSN.Load()) }

// Append writes a record at the end of the log and returns its LSN and its
// end LSN. The record is durable only once Sync(ctx, end) returns nil.
func (w *WAL) Append(term uint64, typ RecordType, payload []byte) (lsn, end LSN, err error) {
	if err := w.checkRecord(typ, payload); err != nil {
		return 0, 0, err
	}
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	lsn = w.end
	end, err = w.appendLocked(term, typ, payload)
	return lsn, end, err
}

// AppendAt writes a record that must land at lsn, the LSN the leader gave
// it, and returns its end LSN. It fails with ErrLSNMismatch, writing
// nothing, when lsn is not EndLSN.
func (w *WAL) AppendAt(lsn LSN, term uint64, typ RecordType, payload []byte) (end LSN, err error) {
	if err := w.checkRecord(typ, payload); err != nil {
		return 0, err
	}
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if lsn != w.end {
		return 0, fmt.Errorf("%w: record at %s, log ends at %s", ErrLSNMismatch, lsn, w.end)
	}
	return w.appendLocked(term, typ, payload)
}

func (w *WAL) checkRecord(typ RecordType, payload []byte) error {
	if typ == 0 {
		return ErrInvalidType
	}
	if len(payload) > w.opts.MaxRecordSize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(payload), w.opts.MaxRecordSize)
	}
	return nil
}

// writableLocked returns why the log cannot be written, if it cannot.
func (w *WAL) writableLocked() error {
	if w.closed {
		return ErrClosed
	}
	return w.failure()
}

// failure returns ErrFailed (wrapping the cause) after a write or fsync
// failed.
func (w *WAL) failure() error {
	if p := w.failed.Load(); p != nil {
		return fmt.Errorf("%w: %v", ErrFailed, *p)
	}
	return nil
}

// fail marks the log failed: the page cache may not hold what we think.
func (w *WAL) fail(err error) error {
	w.failed.CompareAndSwap(nil, &err)
	w.log.Error().Err(err).Msg("wal failed; refusing further writes until reopened")
	return fmt.Errorf("%w: %v", ErrFailed, err)
}

// appendLocked adds a frame at w.end and advances it. A small frame is
// only copied into pending, and reaches the segment file with the frames
// after it in one write (Write, Sync, or once pending is full); a large
// one is written at once.
func (w *WAL) appendLocked(term uint64, typ RecordType, payload []byte) (LSN, error) {
	if err := w.writableLocked(); err != nil {
		return 0, err
	}
	n := int64(HeaderSize + len(payload))
	tail, err := w.tailForLocked(n)
	if err != nil {
		return 0, err
	}
	if len(payload) <= maxPendingRecord {
		w.pending = AppendRecord(w.pending, w.end, term, typ, payload)
		w.end += LSN(n)
		w.endLSN.Store(uint64(w.end))
		if len(w.pending) >= maxPending {
			if err := w.writePendingLocked(); err != nil {
				return 0, err
			}
		}
		return w.end, nil
	}
	if err := w.writePendingLocked(); err != nil {
		return 0, err
	}
	var h [HeaderSize]byte
	putHeader(h[:], w.end, term, typ, payload)
	off := int64(w.end - tail.base)
	if _, err = tail.f.WriteAt(h[:], off); err == nil {
		_, err = tail.f.WriteAt(payload, off+HeaderSize)
	}
	if err != nil {
		return 0, w.fail(fmt.Errorf("write %s at %s: %w", tail.path, w.end, err))
	}
	w.markDirtyLocked(tail)
	w.end += LSN(n)
	w.writtenLSN.Store(uint64(w.end))
	w.endLSN.Store(uint64(w.end))
	return w.end, nil
}

// Bounds of the frames kept in memory: a record with a larger payload is
// written at once, and pending is written once it holds maxPending bytes.
const (
	maxPendingRecord = 64 << 10
	maxPending       = 256 << 10
)

// Write writes every record that ends at or before upTo to the segment
// files, without fsync: from then on a crash of the process (not of the
// machine) keeps them. A caller that makes a record's effects visible
// before it is durable calls Write first. Sync writes what it fsyncs.
func (w *WAL) Write(upTo LSN) error {
	if upTo <= LSN(w.writtenLSN.Load()) {
		return nil
	}
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if err := w.writableLocked(); err != nil {
		return err
	}
	if upTo > w.end {
		return fmt.Errorf("%w: write to %s, log ends at %s", ErrInvalidLSN, upTo, w.end)
	}
	return w.writePendingLocked()
}

// WrittenLSN is the end of what is in the segment files (see Write).
func (w *WAL) WrittenLSN() LSN { return LSN(w.writtenLSN.Load()) }

// writePendingLocked writes pending to the last segment, where it always
// belongs: a rollover writes it first.
func (w *WAL) writePendingLocked() error {
	if len(w.pending) == 0 {
		return nil
	}
	tail := w.segs[len(w.segs)-1]
	at := w.end - LSN(len(w.pending))
	if _, err := tail.f.WriteAt(w.pending, int64(at-tail.base)); err != nil {
		return w.fail(fmt.Errorf("write %s at %s: %w", tail.path, at, err))
	}
	w.markDirtyLocked(tail)
	w.pending = w.pending[:0]
	w.writtenLSN.Store(uint64(w.end))
	return nil
}

func (w *WAL) markDirtyLocked(s *segment) {
	if !s.dirty {
		s.dirty = true
		w.dirty = append(w.dirty, s)
	}
}

// tailForLocked returns the segment that receives a frame of n bytes at
// w.end, creating a new segment when the last one is too full.
func (w *WAL) tailForLocked(n int64) (*segment, error) {
	tail := w.segs[len(w.segs)-1] // only appends change the last segment
	if w.end+LSN(n) <= tail.limit() {
		return tail, nil
	}
	if err := w.writePendingLocked(); err != nil {
		return nil, err
	}
	if tail.base != w.end && !w.opts.NoSync {
		// Make the full segment durable before anything is written to
		// the next one: after a crash only the last segment can be torn.
		if err := tail.f.Sync(); err != nil {
			return nil, w.fail(fmt.Errorf("fsync %s: %w", tail.path, err))
		}
	}
	size := segmentSizeFor(w.opts.SegmentSize, n)
	path := w.segPath(w.end)
	var f File
	var err error
	if size == w.opts.SegmentSize {
		f, err = w.takeSpare(path)
	}
	if f == nil && err == nil {
		f, err = createSegmentFile(w.fs, w.opts.Dir, path, size, nil, w.opts.NoSync)
	}
	if err != nil {
		if dse := (*dirSyncError)(nil); errors.As(err, &dse) {
			return nil, w.fail(err)
		}
		return nil, err
	}
	seg := &segment{base: w.end, size: size, path: path, f: f}
	w.segMu.Lock()
	defer w.segMu.Unlock()
	if tail.base == w.end {
		// The last segment is empty and too small: seg replaced its file.
		_ = tail.f.Close()
		w.segs[len(w.segs)-1] = seg
		w.dirty = slices.DeleteFunc(w.dirty, func(s *segment) bool { return s == tail })
	} else {
		w.segs = append(w.segs, seg)
	}
	w.log.Debug().Str("segment", path).Int64("size", size).Msg("new segment")
	return seg, nil
}

func (w *WAL) segPath(base LSN) string { return filepath.Join(w.opts.Dir, segmentName(base)) }

// Close waits for a running fsync, writes the records still in memory,
// closes the segment files and wakes blocked Readers with ErrClosed.
// Records not yet synced are NOT synced.
func (w *WAL) Close() error {
	w.syncSem <- struct{}{}
	defer func() { <-w.syncSem }()
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if w.closed {
		return ErrClosed
	}
	var werr error
	if w.failure() == nil {
		werr = w.writePendingLocked()
	}
	w.closed = true
	err := errors.Join(werr, w.stopPreallocating(), w.closeFiles())
	w.notifyMu.Lock()
	close(w.done)
	w.notifyMu.Unlock()
	return err
}

// closeFiles closes every segment file.
func (w *WAL) closeFiles() error {
	w.segMu.Lock()
	defer w.segMu.Unlock()
	var errs []error
	for _, s := range w.segs {
		if err := s.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", s.path, err))
		}
	}
	w.segs = nil
	return errors.Join(errs...)
}

// wakeReadersLocked wakes every blocked Reader; notifyMu must be held.
func (w *WAL) wakeReadersLocked() {
	close(w.notify)
	w.notify = make(chan struct{})
}

// setFlushed raises the flushed LSN to lsn and wakes readers.
func (w *WAL) setFlushed(lsn LSN) {
	w.notifyMu.Lock()
	defer w.notifyMu.Unlock()
	if lsn > w.FlushedLSN() {
		w.flushedLSN.Store(uint64(lsn))
		w.wakeReadersLocked()
	}
}
