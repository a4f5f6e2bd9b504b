package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SQLite's WAL is checkpointed (its pages copied into the database file)
// by a background connection, not by the committing writer: SQLite's
// automatic checkpoint runs inside the COMMIT that crosses its threshold
// and fsyncs there, with the writer held, so every transaction queued
// behind it would wait for the disk. The writer has wal_autocheckpoint
// off; checkpointLoop runs a PASSIVE checkpoint (which never blocks the
// writer nor readers) every interval in which something was committed.

// checkpointEvery is the interval between background checkpoints.
const checkpointEvery = 50 * time.Millisecond

func (s *Store) checkpointLoop(ctx context.Context, every time.Duration) error {
	db, err := sql.Open("sqlite", s.dsn(roleHelper))
	if err != nil {
		return fmt.Errorf("open checkpoint connection: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	t := time.NewTicker(every)
	defer t.Stop()
	last := s.AppliedLSN()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := s.AppliedLSN()
		if now == last {
			continue
		}
		last = now
		if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil {
			s.log.Warn().Err(err).Msg("background checkpoint of the SQLite WAL")
		}
	}
}
