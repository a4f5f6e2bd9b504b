package wal

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTornTailAtEveryOffset simulates a crash that wrote only the first k
// bytes of the last record, for every k from 0 to the frame's length: the
// rest of the frame is still the zeros the segment was preallocated with.
// Recovery MUST keep exactly the records before it, and the log MUST take
// new records afterwards.
func TestTornTailAtEveryOffset(t *testing.T) {
	template := t.TempDir()
	opts := testOptions(t, template)
	opts.NoPreallocate = true
	recs := buildLog(t, opts)
	last := recs[len(recs)-1]
	frame := int(last.end - last.lsn)
	path, off := segmentOf(t, template, last.lsn)
	segName := filepath.Base(path)

	for k := 0; k < frame; k++ {
		dir := t.TempDir()
		copyDir(t, template, dir)
		mutateFile(t, filepath.Join(dir, segName), func(b []byte) []byte {
			clear(b[off+int64(k) : off+int64(frame)])
			return b
		})
		o := opts
		o.Dir = dir
		w, err := Open(o)
		if err != nil {
			t.Fatalf("torn at byte %d of %d: Open: %v", k, frame, err)
		}
		if w.EndLSN() != last.lsn {
			t.Fatalf("torn at byte %d of %d: end %s, want %s", k, frame, w.EndLSN(), last.lsn)
		}
		if _, _, err := w.Append(1, 1, []byte("after repair")); err != nil {
			t.Fatalf("torn at byte %d: append after repair: %v", k, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
