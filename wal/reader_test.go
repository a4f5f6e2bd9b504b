package wal

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestReaderTails checks that a tailing Reader sees a record only after
// it is synced (invariant 3), and wakes up for it.
func TestReaderTails(t *testing.T) {
	w := openWAL(t, testOptions(t, t.TempDir()))
	r, err := w.NewReader(w.EndLSN())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan Record, 10)
	errc := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			rec, err := r.Next(ctx)
			if err != nil {
				errc <- err
				return
			}
			got <- rec
		}
	}()
	for i := range 5 {
		lsn, end, err := w.Append(2, 1, payloadFor(i, 5000))
		if err != nil {
			t.Fatal(err)
		}
		select {
		case rec := <-got:
			t.Fatalf("reader saw unsynced record at %s", rec.LSN)
		case <-time.After(20 * time.Millisecond):
		}
		if err := w.Sync(context.Background(), end); err != nil {
			t.Fatal(err)
		}
		select {
		case rec := <-got:
			if rec.LSN != lsn || rec.End() != end {
				t.Fatalf("reader got %s..%s, want %s..%s", rec.LSN, rec.End(), lsn, end)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("reader did not see a synced record")
		}
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after cancel: %v", err)
	}
}

func TestReaderClose(t *testing.T) {
	w, err := Open(testOptions(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.NewReader(w.EndLSN())
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := r.Next(context.Background())
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		wantErr(t, err, ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake the reader")
	}
}

func TestNewReaderPositions(t *testing.T) {
	w := openWAL(t, testOptions(t, t.TempDir()))
	recs := appendN(t, w, 30, 50, 700)
	tests := []struct {
		name string
		from LSN
		want error
	}{
		{"first", w.FirstLSN(), nil},
		{"a boundary", recs[7].lsn, nil},
		{"a segment base", recs[len(recs)-1].lsn, nil},
		{"end", w.EndLSN(), nil},
		{"mid-record", recs[7].lsn + 1, ErrInvalidLSN},
		{"mid-header", recs[12].lsn + HeaderSize - 1, ErrInvalidLSN},
		{"past end", w.EndLSN() + 1, ErrInvalidLSN},
		{"before first", w.FirstLSN() - 1, ErrPurged},
		{"invalid", InvalidLSN, ErrPurged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.NewReader(tt.from)
			if tt.want == nil && err != nil {
				t.Fatalf("NewReader(%s): %v", tt.from, err)
			}
			if tt.want != nil {
				wantErr(t, err, tt.want)
			}
		})
	}
}
