package wal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// spare is a preallocated segment file waiting for a rollover.
type spare struct {
	f    File
	path string
}

// spareRetry is how long the preallocator waits after a failure.
const spareRetry = time.Second

// spareName is the file that holds the n-th preallocated segment until a
// rollover renames it. Its suffix makes Open remove it.
func spareName(n int) string { return fmt.Sprintf("spare-%d%s%s", n, segmentExt, tmpExt) }

// preallocate keeps one zero-filled, fsynced segment file of SegmentSize
// bytes ready, so that a rollover costs a rename instead of writing and
// fsyncing a whole segment while appenders wait. It runs in its own
// goroutine from Open until Close cancels ctx. Each spare has its own name,
// so the next one never touches the file a rollover is renaming.
func (w *WAL) preallocate(ctx context.Context) error {
	for n := 0; ; n++ {
		s, err := w.makeSpare(filepath.Join(w.opts.Dir, spareName(n)))
		if err != nil {
			w.log.Warn().Err(err).Msg("preallocating a segment failed; rollovers create their segments meanwhile")
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(spareRetry):
				continue
			}
		}
		select {
		case w.spares <- s:
		case <-ctx.Done():
			_ = s.f.Close()
			_ = w.fs.Remove(s.path)
			return nil
		}
	}
}

func (w *WAL) makeSpare(path string) (spare, error) {
	f, err := w.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return spare{}, fmt.Errorf("create %s: %w", path, err)
	}
	err = writeZeros(f, 0, w.opts.SegmentSize)
	if err == nil && !w.opts.NoSync {
		err = f.Sync()
	}
	if err != nil {
		_ = f.Close()
		_ = w.fs.Remove(path)
		return spare{}, fmt.Errorf("preallocate %s: %w", path, err)
	}
	return spare{f: f, path: path}, nil
}

// takeSpare renames a ready spare segment to path and returns it, or nil
// when none is ready (or it cannot be renamed: the caller then creates the
// segment itself). A failed directory fsync is a *dirSyncError.
func (w *WAL) takeSpare(path string) (File, error) {
	var s spare
	select {
	case s = <-w.spares:
	default:
		return nil, nil
	}
	if err := w.fs.Rename(s.path, path); err != nil {
		w.log.Warn().Err(err).Str("segment", path).Msg("renaming the spare segment failed")
		_ = s.f.Close()
		_ = w.fs.Remove(s.path)
		return nil, nil
	}
	if !w.opts.NoSync {
		if err := w.fs.SyncDir(w.opts.Dir); err != nil {
			_ = s.f.Close()
			return nil, &dirSyncError{dir: w.opts.Dir, err: err}
		}
	}
	return s.f, nil
}

// stopPreallocating stops the preallocator and removes an unused spare.
func (w *WAL) stopPreallocating() error {
	if w.stopSpare == nil {
		return nil
	}
	w.stopSpare()
	err := w.spareGroup.Wait()
	select {
	case s := <-w.spares:
		_ = s.f.Close()
		if rerr := w.fs.Remove(s.path); rerr != nil && err == nil {
			err = fmt.Errorf("remove spare segment: %w", rerr)
		}
	default:
	}
	return err
}
