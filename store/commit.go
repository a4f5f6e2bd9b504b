package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/wal"
)

// The commit path (invariants 1 and 2 of the design):
//
//  1. While a writing transaction runs, the writer connection records each
//     statement that changed data (Log), encoded at once into the record.
//  2. At COMMIT the record is appended to the WAL (into memory). Then
//     SQLite commits, with the record's end LSN written into replisql_meta
//     in the same SQLite transaction, after the WAL wrote the records up
//     to it to its file, so the record is in the log before the change is
//     visible, either now or together with the transactions that run next
//     (batch.go).
//  3. The writer goes back to the store, and the committer waits for the
//     WAL fsync that covers its record (WaitCommitted), shared with every
//     other committer (group commit), unless synchronous_commit is off.
//     Its batch is committed before anybody reads (Publish).
//
// If SQLite fails to commit after the append, the records it did not
// commit are cut off the WAL again (TruncateAfter): the log never holds a
// transaction that SQLite did not apply and nobody was told of. If even
// that fails, or a member of the batch was acknowledged, the store stops
// accepting writes.

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

// commitWriter commits the writer's transaction: it appends the record to
// the WAL, then commits SQLite or leaves the batch open for the next
// transaction.
func (c *Conn) commitWriter() (Committed, error) {
	s := c.store
	rec := c.rec
	c.rec = nil
	switch {
	case s.wal == nil:
		return Committed{}, c.control("COMMIT")
	case rec == nil && c.nested:
		// Nothing to log: the transaction changed no data.
		c.nested = false
		if err := c.control("RELEASE " + batchSavepoint); err != nil || !c.noBatch {
			return Committed{}, err
		}
		return Committed{}, c.commitBatch()
	case rec == nil:
		return Committed{}, c.control("COMMIT")
	}
	if err := s.writable(); err != nil {
		return Committed{}, err
	}
	failpoint("commit-before-append")
	start, end, err := s.wal.Append(s.opts.Term, RecordTxn, rec)
	if err != nil {
		s.failWrites(fmt.Errorf("append to WAL: %w", err))
		return Committed{}, pgerr.Wrap(err, pgerr.IOError, "could not write to the write-ahead log: %v", err)
	}
	if cap(rec) <= maxKeptRecordBuf {
		c.recBuf = rec[:0]
	}
	failpoint("commit-after-append")
	if c.nested {
		if err := c.control("RELEASE " + batchSavepoint); err != nil {
			// The caller rolls the transaction back (rollbackMember).
			if terr := s.wal.TruncateAfter(start); terr != nil {
				s.failWrites(fmt.Errorf("remove record %s after failed commit: %w", start, terr))
			}
			return Committed{}, err
		}
		c.nested = false
	}
	return c.endCommitted(start, end)
}

// maxKeptRecordBuf bounds the record buffer a connection keeps for reuse.
const maxKeptRecordBuf = 1 << 20

const setAppliedSQL = `INSERT INTO replisql_meta (key, value) VALUES ('applied_lsn', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`

// WaitDurable waits until the WAL is fsynced up to lsn (group commit).
// Store.WaitCommitted is the wait for a transaction's own commit.
func (s *Store) WaitDurable(ctx context.Context, lsn wal.LSN) error {
	if lsn == 0 || s.wal == nil {
		return nil
	}
	err := s.wal.Sync(ctx, lsn)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, wal.ErrInvalidLSN) {
			// The record is no longer in the log: SQLite failed to commit
			// it, and it was cut off (batch.go).
			return pgerr.Wrap(err, pgerr.IOError, "the transaction was not committed: %v", err)
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
// PostgreSQL's WAL writer does every wal_writer_delay), and commits the
// batch that the writer left open meanwhile.
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
		// A batch nobody joined or read for a while is committed here.
		s.commitIdleBatch()
	}
}
