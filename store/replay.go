package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/wal"
)

// ReplayWAL applies every valid record of the WAL in walDir, read-only
// and from its first record, to a new database at dbPath (which must not
// exist), and returns how many records it applied. It stops at the first
// invalid record (a torn tail). The WAL MUST start at its beginning: a
// purged WAL needs its snapshot, which this function does not use.
//
// It is the determinism check of the design: the checksum of the result
// must equal the checksum of the node that wrote the WAL.
func ReplayWAL(ctx context.Context, walDir, dbPath string) (int, error) {
	if _, err := os.Stat(dbPath); err == nil {
		return 0, fmt.Errorf("store: %s already exists", dbPath)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dbPath), ".replay-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	s, err := Open(ctx, Options{Dir: tmp, NoWAL: true, Logger: zerolog.Nop()})
	if err != nil {
		return 0, err
	}
	w, err := s.Writer(ctx)
	if err != nil {
		s.Close()
		return 0, err
	}
	n := 0
	first := true
	errStop := errors.New("stop")
	err = wal.Scan(nil, walDir, func(e wal.Entry) error {
		if !e.CRCOK {
			return errStop
		}
		if first && e.LSN != wal.DefaultStartLSN {
			return fmt.Errorf("store: the WAL starts at %s, not at its beginning: it was purged after a snapshot", e.LSN)
		}
		first = false
		payload := append([]byte(nil), e.Payload...)
		if _, err := w.apply(ctx, wal.Record{LSN: e.LSN, Term: e.Term, Type: e.Type, Payload: payload}); err != nil {
			return err
		}
		n++
		return nil
	})
	s.Release(w)
	if cerr := s.Close(); err == nil || errors.Is(err, errStop) {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	return n, os.Rename(filepath.Join(tmp, DBFile), dbPath)
}
