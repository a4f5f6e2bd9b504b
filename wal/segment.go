package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	segmentExt = ".wal"
	tmpExt     = ".tmp"
	// zeroChunk is the size of the zero buffer used to preallocate.
	zeroChunk = 1 << 20
	// segmentAlign rounds the size of a segment grown for a large record.
	segmentAlign = 4096
)

// segment is one segment file. base, size and path never change; f is
// replaced only by TruncateAfter, under WAL.segMu.
type segment struct {
	base  LSN
	size  int64 // file size: the capacity in bytes
	path  string
	f     File
	dirty bool // written since the last fsync began; guarded by WAL.writeMu
}

func (s *segment) limit() LSN { return s.base + LSN(s.size) }

// segmentName is the file name of the segment starting at base.
func segmentName(base LSN) string { return fmt.Sprintf("%016X%s", uint64(base), segmentExt) }

// parseSegmentName returns the base of a segment file name.
func parseSegmentName(name string) (LSN, bool) {
	hex, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(hex) != 16 || strings.ToUpper(hex) != hex {
		return 0, false
	}
	v, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		return 0, false
	}
	return LSN(v), true
}

// corruptName is the file that keeps bytes cut off a segment at lsn.
func corruptName(segPath string, lsn LSN) string {
	return fmt.Sprintf("%s.corrupt-%016X", segPath, uint64(lsn))
}

// segmentSizeFor is the size of a new segment that must hold a frame of n
// bytes.
func segmentSizeFor(segmentSize, n int64) int64 {
	if n <= segmentSize {
		return segmentSize
	}
	return (n + segmentAlign - 1) / segmentAlign * segmentAlign
}

// writeZeros writes zeros to f over [off, off+n).
func writeZeros(f File, off, n int64) error {
	zeros := make([]byte, min(n, zeroChunk))
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := f.WriteAt(zeros[:k], off); err != nil {
			return err
		}
		off += k
		n -= k
	}
	return nil
}

// createSegmentFile atomically creates (or replaces) the segment file at
// path with size bytes: prefix, then zeros. It writes "<path>.tmp", fsyncs
// it, renames it and fsyncs the directory, and returns the file opened for
// reading and writing. An error of type *dirSyncError means the file is in
// place but its name may not be durable.
func createSegmentFile(fsys FS, dir, path string, size int64, prefix []byte, noSync bool) (File, error) {
	tmp := path + tmpExt
	f, err := fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create segment %q: %w", tmp, err)
	}
	fail := func(err error) (File, error) {
		_ = f.Close()
		_ = fsys.Remove(tmp)
		return nil, err
	}
	if len(prefix) > 0 {
		if _, err := f.WriteAt(prefix, 0); err != nil {
			return fail(fmt.Errorf("write segment %q: %w", tmp, err))
		}
	}
	if err := writeZeros(f, int64(len(prefix)), size-int64(len(prefix))); err != nil {
		return fail(fmt.Errorf("preallocate segment %q: %w", tmp, err))
	}
	if !noSync {
		if err := f.Sync(); err != nil {
			return fail(fmt.Errorf("sync segment %q: %w", tmp, err))
		}
	}
	if err := fsys.Rename(tmp, path); err != nil {
		return fail(fmt.Errorf("rename segment %q: %w", tmp, err))
	}
	if !noSync {
		if err := fsys.SyncDir(dir); err != nil {
			_ = f.Close()
			return nil, &dirSyncError{dir: dir, err: err}
		}
	}
	return f, nil
}

// dirSyncError reports a failed directory fsync.
type dirSyncError struct {
	dir string
	err error
}

func (e *dirSyncError) Error() string { return fmt.Sprintf("sync directory %q: %v", e.dir, e.err) }
func (e *dirSyncError) Unwrap() error { return e.err }

// openSegmentFile opens an existing segment file and returns its size.
func openSegmentFile(fsys FS, path string) (File, int64, error) {
	f, err := fsys.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("open segment %q: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, fmt.Errorf("stat segment %q: %w", path, err)
	}
	return f, fi.Size(), nil
}

// readFull reads [off, off+len(b)) of f.
func readFull(f File, b []byte, off int64) error {
	n, err := f.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil {
		err = errors.New("short read")
	}
	return err
}

// listSegments returns the segment bases found in dir, sorted, and removes
// leftover temporary files.
func listSegments(fsys FS, dir string) ([]LSN, error) {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read directory %q: %w", dir, err)
	}
	var bases []LSN
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, segmentExt+tmpExt) {
			if err := fsys.Remove(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("remove %q: %w", name, err)
			}
			continue
		}
		if base, ok := parseSegmentName(name); ok && e.Type().IsRegular() {
			bases = append(bases, base)
		}
	}
	slices.Sort(bases)
	return bases, nil
}
