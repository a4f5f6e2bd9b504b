package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/wal"
)

// The commit path (invariants 1 and 2 of the design):
//
//  1. While a writing transaction runs, the writer connection records each
//     statement that changed data (Log), encoded at once into the record.
//  2. At COMMIT the record is appended to the WAL, the record's end LSN is
//     written into replisql_meta in the same SQLite transaction, and SQLite
//     commits: the record is in the log before the change is visible.
//  3. The writer goes back to the store, and the committer waits for the
//     WAL fsync that covers its record (WaitDurable), shared with every
//     other committer (group commit), unless synchronous_commit is off.
//
// If SQLite fails to commit after the append, the record is cut off the WAL
// again (TruncateAfter): the log never holds a transaction that SQLite did
// not apply. If even that fails, the store stops accepting writes.

// appliedKey is the replisql_meta key of the applied LSN.
const appliedKey = "applied_lsn"

// Log records a statement that changed data in the writer's open
// transaction. Arguments are copied.
func (c *Conn) Log(sql string, args []any) {
	if !c.writer || !c.inTx {
		return
	}
	if c.rec == nil {
		c.rec = appendRecordHeader(c.recBuf[:0], c.start)
	}
	c.rec = appendStatement(c.rec, sql, args)
}

// SetStart sets the transaction's start time stored in its record.
func (c *Conn) SetStart(t time.Time) { c.start = t }

// commitLogged appends the transaction's record to the WAL and commits
// SQLite. It returns the record's end LSN (0 when nothing was logged).
func (c *Conn) commitLogged(ctx context.Context, s *Store) (wal.LSN, error) {
	rec := c.rec
	c.rec = nil
	if rec == nil || s.wal == nil {
		_, err := c.Exec(ctx, "COMMIT")
		return 0, err
	}
	if err := s.writable(); err != nil {
		return 0, err
	}
	failpoint("commit-before-append")
	start, end, err := s.wal.Append(s.opts.Term, RecordTxn, rec)
	if err != nil {
		s.failWrites(fmt.Errorf("append to WAL: %w", err))
		return 0, pgerr.Wrap(err, pgerr.IOError, "could not write to the write-ahead log: %v", err)
	}
	if cap(rec) <= maxKeptRecordBuf {
		c.recBuf = rec[:0]
	}
	failpoint("commit-after-append")
	if _, err = c.Exec(ctx, setAppliedSQL, strconv.FormatUint(uint64(end), 10)); err == nil {
		_, err = c.Exec(ctx, "COMMIT")
		if err == nil {
			s.applied.Store(uint64(end))
			failpoint("commit-after-sqlite")
			return end, nil
		}
	}
	// SQLite did not commit: take the record back out of the log.
	if terr := s.wal.TruncateAfter(start); terr != nil {
		s.failWrites(fmt.Errorf("remove record %s after failed commit: %w", start, terr))
	}
	return 0, err
}

// maxKeptRecordBuf bounds the record buffer a connection keeps for reuse.
const maxKeptRecordBuf = 1 << 20

const setAppliedSQL = `INSERT INTO replisql_meta (key, value) VALUES ('applied_lsn', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`

// WaitDurable waits until the WAL is fsynced up to lsn (group commit).
func (s *Store) WaitDurable(ctx context.Context, lsn wal.LSN) error {
	if lsn == 0 || s.wal == nil {
		return nil
	}
	if err := s.wal.Sync(ctx, lsn); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.failWrites(fmt.Errorf("fsync WAL: %w", err))
		return pgerr.Wrap(err, pgerr.IOError, "could not fsync the write-ahead log: %v", err)
	}
	failpoint("commit-after-fsync")
	return nil
}

// AppliedLSN is the end LSN of the last transaction applied to SQLite.
func (s *Store) AppliedLSN() wal.LSN { return wal.LSN(s.applied.Load()) }

// WAL is the store's log (for tools and replication).
func (s *Store) WAL() *wal.WAL { return s.wal }

// failWrites stops the store from accepting writes after a failure that
// leaves the log's state unknown.
func (s *Store) failWrites(err error) {
	if s.failed.CompareAndSwap(nil, &err) {
		s.log.Error().Err(err).Msg("the store no longer accepts writes; restart the node to recover")
	}
}

func (s *Store) writable() error {
	if p := s.failed.Load(); p != nil {
		return pgerr.Wrap(*p, pgerr.IOError, "the node stopped accepting writes after a storage failure: %v", *p)
	}
	return nil
}

// flushLoop fsyncs the WAL every interval, so that commits with
// synchronous_commit = off become durable within a bounded window (as
// PostgreSQL's WAL writer does every wal_writer_delay).
func (s *Store) flushLoop(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if end := s.wal.EndLSN(); end > s.wal.FlushedLSN() {
			if err := s.wal.Sync(ctx, end); err != nil && ctx.Err() == nil {
				s.failWrites(fmt.Errorf("background fsync of WAL: %w", err))
			}
		}
	}
}
