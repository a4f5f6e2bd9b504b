package wal

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestWriteFaults fails one operation through the FS and checks what the
// WAL does next, and that a reopened log holds what was synced.
func TestWriteFaults(t *testing.T) {
	tests := []struct {
		name     string
		op       string
		suffix   string
		poisoned bool // the WAL refuses further writes (fsyncgate)
		atSync   bool // the fault hits Sync rather than Append
		rollover bool // the failing Append must create a segment
		size     int  // of the failing record (default 300)
	}{
		{"segment write", "write", ".wal", true, true, false, 0},
		{"segment write of a large record", "write", ".wal", true, false, false, maxPendingRecord + 1},
		{"fsync", "sync", ".wal", true, true, false, 0},
		{"fsync of the full segment at rollover", "sync", ".wal", true, false, true, 0},
		{"preallocation write", "write", ".tmp", false, false, true, 0},
		{"preallocation fsync", "sync", ".tmp", false, false, true, 0},
		{"segment rename", "rename", ".wal", false, false, true, 0},
		{"directory fsync after rename", "syncdir", "", true, false, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ffs := newFaultFS()
			opts := testOptions(t, t.TempDir())
			opts.FS = ffs
			opts.NoPreallocate = true // every rollover creates its segment
			w := openWAL(t, opts)
			synced := appendN(t, w, 10, 300)
			if tt.rollover {
				// Fill the last segment so that the next record needs a new one.
				for {
					seg := w.segs[len(w.segs)-1]
					if w.EndLSN()+LSN(HeaderSize+300) > seg.limit() {
						break
					}
					synced = append(synced, appendN(t, w, 1, 300)...)
				}
			}
			size := tt.size
			if size == 0 {
				size = 300
			}
			ffs.inject(tt.op, tt.suffix, 1)
			_, end, err := w.Append(1, 1, payloadFor(99, size))
			if tt.atSync {
				if err != nil {
					t.Fatalf("Append: %v", err)
				}
				err = w.Sync(context.Background(), end)
			}
			if !errors.Is(err, errInjected) && !errors.Is(err, ErrFailed) {
				t.Fatalf("got %v, want the injected fault", err)
			}
			if tt.poisoned != errors.Is(err, ErrFailed) {
				t.Fatalf("got %v, poisoned = %v", err, tt.poisoned)
			}
			if tmps, _ := filepath.Glob(filepath.Join(opts.Dir, "*.tmp")); len(tmps) > 0 && !tt.poisoned {
				t.Fatalf("temporary files left: %v", tmps)
			}

			more := []appended(nil)
			_, _, err = w.Append(1, 1, payloadFor(100, 300))
			if tt.poisoned {
				wantErr(t, err, ErrFailed)
				wantErr(t, w.Sync(context.Background(), w.EndLSN()), ErrFailed)
				wantErr(t, w.TruncateAfter(synced[0].end), ErrFailed)
				if w.FlushedLSN() != synced[len(synced)-1].end {
					t.Fatalf("flushed %s moved past the failure (%s)", w.FlushedLSN(), synced[len(synced)-1].end)
				}
			} else {
				if err != nil {
					t.Fatalf("Append after a non-fatal fault: %v", err)
				}
				more = appendN(t, w, 5, 300)
			}
			if err := w.Close(); err != nil && !tt.poisoned {
				t.Fatal(err)
			}

			// Recovery decides; what was synced is there.
			opts.FS = OSFS{}
			w = openWAL(t, opts)
			got := readAll(t, w, w.FirstLSN())
			if len(got) < len(synced) {
				t.Fatalf("reopened log has %d records, %d were synced", len(got), len(synced))
			}
			checkRecords(t, got[:len(synced)], synced)
			if !tt.poisoned {
				// The record that failed left no trace; later ones follow.
				if len(got) != len(synced)+1+len(more) {
					t.Fatalf("reopened log has %d records, want %d", len(got), len(synced)+1+len(more))
				}
			}
			appendN(t, w, 3, 300)
		})
	}
}

func TestOpenFaults(t *testing.T) {
	tests := []struct {
		name   string
		op     string
		suffix string
	}{
		{"fsync during recovery", "sync", ".wal"},
		{"open segment", "open", ".wal"},
		{"directory fsync of the first segment", "syncdir", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.op != "syncdir" {
				buildLog(t, testOptions(t, dir))
			}
			ffs := newFaultFS()
			ffs.inject(tt.op, tt.suffix, 1)
			opts := testOptions(t, dir)
			opts.FS = ffs
			opts.NoPreallocate = true
			if _, err := Open(opts); !errors.Is(err, errInjected) {
				t.Fatalf("Open: %v, want the injected fault", err)
			}
			openWAL(t, opts)
		})
	}
}
