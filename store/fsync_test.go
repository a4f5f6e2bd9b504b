package store

import (
	"context"
	"errors"
	"io/fs"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/wal"
)

// failingFS fails every fsync of a WAL file once armed.
type failingFS struct {
	wal.OSFS
	armed *atomic.Bool
}

func (f failingFS) OpenFile(name string, flag int, perm fs.FileMode) (wal.File, error) {
	file, err := f.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return failingFile{File: file, armed: f.armed}, nil
}

type failingFile struct {
	wal.File
	armed *atomic.Bool
}

func (f failingFile) Sync() error {
	if f.armed.Load() {
		return errors.New("injected fsync failure")
	}
	return f.File.Sync()
}

// TestFsyncFailureStopsWrites: when the WAL fsync that covers a commit
// fails, that commit is not acknowledged and the store takes no more
// writes (it cannot know what reached the disk), until it is reopened.
func TestFsyncFailureStopsWrites(t *testing.T) {
	armed := &atomic.Bool{}
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{Dir: dir, WALFS: failingFS{armed: armed}, Logger: zerolog.New(zerolog.NewTestWriter(t))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	commit(t, s, Statement{SQL: "CREATE TABLE t (a integer)"})

	armed.Store(true)
	ctx := context.Background()
	w, err := s.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(ctx, "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	w.Log("INSERT INTO t VALUES (1)", nil)
	cm, err := w.Commit(ctx)
	s.Release(w)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := s.WaitCommitted(ctx, cm, true); pgerr.CodeOf(err) != pgerr.IOError {
		t.Fatalf("WaitDurable after a failed fsync: got %v, want 58030", err)
	}

	// The next writing transaction is refused at its commit.
	w, err = s.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.Begin(ctx)
	w.Exec(ctx, "INSERT INTO t VALUES (2)")
	w.Log("INSERT INTO t VALUES (2)", nil)
	_, err = w.Commit(ctx)
	s.Release(w)
	if pgerr.CodeOf(err) != pgerr.IOError {
		t.Fatalf("commit after a failed fsync: got %v, want 58030", err)
	}
	if got := count(t, s, "t WHERE a = 2"); got != 0 {
		t.Fatal("a refused commit is visible")
	}
}
