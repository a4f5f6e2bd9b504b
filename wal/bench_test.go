package wal

import (
	"context"
	"fmt"
	"testing"
)

func benchWAL(b *testing.B) (*WAL, *faultFS) {
	b.Helper()
	ffs := newFaultFS()
	w, err := Open(Options{Dir: b.TempDir(), FS: ffs})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = w.Close() })
	return w, ffs
}

// BenchmarkAppend measures Append alone (no fsync).
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{100, 1 << 10, 16 << 10, 256 << 10} {
		b.Run(fmt.Sprintf("payload=%d", size), func(b *testing.B) {
			w, _ := benchWAL(b)
			payload := payloadFor(1, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := w.Append(1, 1, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendSync measures commits: each goroutine appends a record and
// waits for its fsync. records/fsync shows how well group commit shares.
func BenchmarkAppendSync(b *testing.B) {
	for _, par := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("committers=%dxGOMAXPROCS", par), func(b *testing.B) {
			const size = 200
			w, ffs := benchWAL(b)
			payload := payloadFor(1, size)
			b.SetBytes(size)
			b.SetParallelism(par)
			before := ffs.fileSyncs.Load()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					_, end, err := w.Append(1, 1, payload)
					if err == nil {
						err = w.Sync(ctx, end)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if syncs := ffs.fileSyncs.Load() - before; syncs > 0 {
				b.ReportMetric(float64(b.N)/float64(syncs), "records/fsync")
			}
		})
	}
}
