package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/replisql/replisql/wal"
)

// A follower's store takes its records from the leader: the replication
// layer appends them to the WAL at the leader's LSNs (WAL().AppendAt),
// fsyncs, and applies them in order with Apply. A follower whose position
// the leader has purged starts again from a snapshot with Restore.

// Apply runs one WAL record (already in this store's WAL) in its own
// SQLite transaction, as recovery does, and returns the transaction's
// start time (what pg_last_xact_replay_timestamp() reports). An error
// wrapping ErrApply means the record cannot be applied here: the node has
// diverged and MUST stop applying.
func (s *Store) Apply(ctx context.Context, rec wal.Record) (time.Time, error) {
	if want := s.NextApplyLSN(); rec.LSN != want {
		return time.Time{}, fmt.Errorf("%w %s: the database is at %s", ErrApply, rec.LSN, want)
	}
	w, err := s.Writer(ctx)
	if err != nil {
		return time.Time{}, err
	}
	defer s.Release(w)
	return w.apply(ctx, rec)
}

// NextApplyLSN is the LSN of the next record to apply: the end of the
// last one applied, or the WAL's first record when none was.
func (s *Store) NextApplyLSN() wal.LSN {
	return max(s.AppliedLSN(), s.wal.FirstLSN())
}

// Restore replaces the database with the snapshot file at path, whose
// applied LSN is lsn, and starts the WAL afresh at lsn. It waits until no
// connection is out (new ones wait for it), so the caller MUST NOT hold
// one, and nothing else may use the store's WAL meanwhile (fetch WAL()
// again afterwards). The replaced database and WAL are kept aside as
// db.sqlite.replaced and wal.replaced (one generation).
func (s *Store) Restore(ctx context.Context, path string, lsn wal.LSN) error {
	if s.wal == nil {
		return errors.New("store: Restore needs the WAL")
	}
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	s.gate.Lock()
	defer s.gate.Unlock()
	began := time.Now()
	if err := s.stopBackground(); err != nil {
		s.log.Warn().Err(err).Msg("background fsync before restore")
	}
	if err := s.closeSQLite(); err != nil {
		s.log.Warn().Err(err).Msg("close database before restore")
	}
	if err := s.wal.Close(); err != nil {
		s.log.Warn().Err(err).Msg("close WAL before restore")
	}
	walDir := filepath.Join(s.opts.Dir, "wal")
	if err := moveAside(walDir, walDir+".replaced"); err != nil {
		return err
	}
	if err := s.moveDatabaseAside(s.path + ".replaced"); err != nil {
		return err
	}
	if err := copyFile(path, s.path); err != nil {
		return fmt.Errorf("restore snapshot %s: %w", path, err)
	}
	w, err := wal.Open(wal.Options{Dir: walDir, FS: s.opts.WALFS, Logger: s.opts.Logger, NoSync: s.opts.WALNoSync, StartLSN: lsn})
	if err != nil {
		return fmt.Errorf("open WAL at %s: %w", lsn, err)
	}
	s.wal = w
	s.InvalidateSchema()
	if err := s.openSQLite(ctx); err != nil {
		return err
	}
	got, err := s.readApplied(ctx)
	if err != nil {
		return err
	}
	if got != lsn {
		return fmt.Errorf("store: the snapshot is at %s, not at %s", got, lsn)
	}
	s.applied.Store(uint64(got))
	s.failed.Store(nil)
	s.startBackground()
	s.log.Info().Str("snapshot", path).Stringer("lsn", lsn).Dur("took", time.Since(began)).Msg("database restored from the leader's snapshot")
	return nil
}
