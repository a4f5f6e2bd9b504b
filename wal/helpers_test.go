package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func testOptions(t *testing.T, dir string) Options {
	t.Helper()
	return Options{
		Dir:         dir,
		SegmentSize: 4096,
		Logger:      zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel),
	}
}

func openWAL(t *testing.T, opts Options) *WAL {
	t.Helper()
	w, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

// payloadFor makes a deterministic payload of n bytes for record i.
func payloadFor(i, n int) []byte {
	p := make([]byte, n)
	for j := range p {
		p[j] = byte(i*31 + j*7 + 1)
	}
	return p
}

type appended struct {
	lsn, end LSN
	term     uint64
	typ      RecordType
	payload  []byte
}

// appendN appends n records with the given payload sizes (cycled) and
// syncs them.
func appendN(t *testing.T, w *WAL, n int, sizes ...int) []appended {
	t.Helper()
	if len(sizes) == 0 {
		sizes = []int{100}
	}
	var out []appended
	for i := range n {
		a := appended{term: uint64(1 + i/10), typ: RecordType(1 + i%3), payload: payloadFor(i, sizes[i%len(sizes)])}
		var err error
		a.lsn, a.end, err = w.Append(a.term, a.typ, a.payload)
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		out = append(out, a)
	}
	if err := w.Sync(context.Background(), w.EndLSN()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return out
}

// readAll reads every flushed record from from.
func readAll(t *testing.T, w *WAL, from LSN) []Record {
	t.Helper()
	r, err := w.NewReader(from)
	if err != nil {
		t.Fatalf("NewReader(%s): %v", from, err)
	}
	var out []Record
	for r.Pos() < w.FlushedLSN() {
		rec, err := r.Next(context.Background())
		if err != nil {
			t.Fatalf("Next at %s: %v", r.Pos(), err)
		}
		out = append(out, rec)
	}
	return out
}

// checkRecords asserts that got holds exactly want.
func checkRecords(t *testing.T, got []Record, want []appended) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.LSN != w.lsn || g.End() != w.end || g.Term != w.term || g.Type != w.typ || !bytes.Equal(g.Payload, w.payload) {
			t.Fatalf("record %d: got lsn=%s end=%s term=%d type=%d len=%d, want lsn=%s end=%s term=%d type=%d len=%d",
				i, g.LSN, g.End(), g.Term, g.Type, len(g.Payload), w.lsn, w.end, w.term, w.typ, len(w.payload))
		}
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

// segmentFiles lists the segment files of dir, oldest first.
func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mutateFile applies f to the bytes of path.
func mutateFile(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// segmentOf returns the path of the segment holding lsn.
func segmentOf(t *testing.T, dir string, lsn LSN) (string, int64) {
	t.Helper()
	var path string
	var base LSN
	for _, p := range segmentFiles(t, dir) {
		b, ok := parseSegmentName(filepath.Base(p))
		if !ok {
			t.Fatalf("bad segment name %s", p)
		}
		if b <= lsn {
			path, base = p, b
		}
	}
	if path == "" {
		t.Fatalf("no segment holds %s", lsn)
	}
	return path, int64(lsn - base)
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

var _ = fmt.Sprintf
