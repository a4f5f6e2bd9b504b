package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/replisql/replisql/wal"
)

// Batched SQLite commits.
//
// SQLite's COMMIT writes every page the transaction changed into SQLite's
// own WAL file (two write system calls a page) and updates the applied
// LSN: for a single-row INSERT that is most of the CPU a commit costs, and
// transactions that commit one after another rewrite the same leaf pages.
// So a transaction whose record is in the statement WAL may leave
// SQLite's transaction open when another session is waiting for the
// writer: the next transaction runs inside it, behind a savepoint, and the
// last of the run commits them all with one applied-LSN update and one
// COMMIT. This is group commit applied to SQLite as the WAL's fsync
// applies it to the log.
//
// The members of a batch are acknowledged only after the batch commits
// (Store.WaitCommitted), so no client ever learns of a commit that other
// sessions cannot read. Order and durability are the WAL's: records are
// appended in execution order, and replay runs each in its own transaction
// with the same result, because a batch is serial execution committed in
// one piece. Followers see the records once the batch is applied.
//
// The rules:
//   - Only a transaction that does not wait for its client runs inside an
//     open batch (BeginBatched: an implicit transaction, not COPY FROM
//     STDIN), so a batch never waits for the network. Begin commits the
//     open batch first.
//   - A transaction that changed the schema or wrote the catalog copies
//     (WithScratchWrites) commits the batch with it.
//   - The batch stays open while a session waits for the writer, and while
//     the WAL fsync that is running covers none of its records: its
//     members wait for the next fsync anyway, so the batch can take more
//     members meanwhile at no cost to them. Past maxBatchTxns members or
//     maxBatchAge it is committed regardless.
//   - Otherwise it is committed when the writer goes back to the store;
//     when the reason to keep it open goes away while the writer is idle
//     (the fsync ends, the waiting session gives up), whoever saw it go
//     commits it (commitIdleBatch).
//   - A member that rolls back rolls back to its savepoint. When SQLite
//     rolled back the whole transaction instead (as it does when a writing
//     statement is interrupted, or on SQLITE_FULL, IOERR or NOMEM), the
//     batch's records are applied again from the WAL.
//   - When the batch's COMMIT fails, its records are cut off the WAL and
//     every member gets the error.

// Bounds of a batch: past them it is committed even with sessions waiting.
const (
	maxBatchTxns = 64
	maxBatchAge  = 2 * time.Millisecond
)

// batchSavepoint is the savepoint a transaction inside a batch runs under.
const batchSavepoint = `"replisql batch member"`

// batch is the writer's open SQLite transaction holding transactions that
// committed (their records are in the WAL) but that SQLite has not.
type batch struct {
	first  wal.LSN // LSN of the first member's record
	end    wal.LSN // end LSN of the last member's record
	n      int     // members
	opened time.Time
	done   chan struct{} // closed once the batch committed or failed
	err    error         // why it failed; set before done is closed
}

// Committed is what Conn.Commit returns: where the transaction's record
// ends (0 when it logged nothing) and, for a member of an open batch, the
// batch whose commit the acknowledgement waits for (Store.WaitCommitted).
type Committed struct {
	LSN   wal.LSN
	batch *batch
}

// BeginBatched opens a transaction on the writer that runs inside the
// open batch, if there is one. The caller promises that the transaction
// ends without waiting for its client.
func (c *Conn) BeginBatched(ctx context.Context) error {
	if c.batch == nil || c.inTx {
		return c.Begin(ctx)
	}
	if err := c.control("SAVEPOINT " + batchSavepoint); err != nil {
		return err
	}
	c.inTx, c.nested = true, true
	return nil
}

// keepBatchOpen reports whether a batch may stay open for the next
// transaction: the one whose first record is at first, with n members,
// open for age.
func (s *Store) keepBatchOpen(first wal.LSN, n int, age time.Duration) bool {
	if n >= maxBatchTxns || age >= maxBatchAge {
		return false
	}
	if s.writeWaiters.Load() > 0 {
		return true
	}
	upTo, syncing := s.wal.Syncing()
	return syncing && upTo <= first
}

// endCommitted ends the writer's SQLite transaction after the record
// start..end of the transaction that just committed on c was appended:
// the transaction joins the open batch, opens one, or commits SQLite now.
func (c *Conn) endCommitted(start, end wal.LSN) (Committed, error) {
	s := c.store
	mayWait := !c.ddl && !c.noBatch
	if b := c.batch; b != nil {
		b.end = end
		b.n++
		if mayWait && s.keepBatchOpen(b.first, b.n, time.Since(b.opened)) {
			return Committed{LSN: end, batch: b}, nil
		}
		if err := c.commitBatch(); err != nil {
			return Committed{}, err
		}
		return Committed{LSN: end}, nil
	}
	if mayWait && s.keepBatchOpen(start, 1, 0) {
		c.batch = &batch{first: start, end: end, n: 1, opened: time.Now(), done: make(chan struct{})}
		return Committed{LSN: end, batch: c.batch}, nil
	}
	if err := c.commitSQLite(start, end, 1); err != nil {
		return Committed{}, err
	}
	return Committed{LSN: end}, nil
}

// commitBatch commits the open batch: one applied-LSN update and one
// SQLite COMMIT for all its members, who get its error.
func (c *Conn) commitBatch() error {
	b := c.batch
	c.batch = nil
	c.store.idleBatch.Store(false)
	b.err = c.commitSQLite(b.first, b.end, b.n)
	close(b.done)
	return b.err
}

// commitSQLite commits the writer's SQLite transaction, which holds the n
// transactions whose records are first..end. On failure their records are
// cut off the WAL again.
func (c *Conn) commitSQLite(first, end wal.LSN, n int) error {
	// The records reach the WAL's files before SQLite makes their
	// effects visible: a crash of the process keeps both or neither.
	err := c.store.wal.Write(end)
	if err == nil {
		err = c.commitApplied(end)
	}
	if err == nil {
		failpoint("commit-after-sqlite")
		return nil
	}
	if rerr := c.control("ROLLBACK"); rerr != nil && !isNoTx(rerr) {
		c.store.log.Error().Err(rerr).Msg("rollback after a failed commit")
	}
	c.dropRecords(first, end, n, err)
	return err
}

// commitApplied records end as the applied LSN in the open SQLite
// transaction and commits it.
func (c *Conn) commitApplied(end wal.LSN) error {
	err := c.control(setAppliedSQL, strconv.FormatUint(uint64(end), 10))
	if err == nil {
		err = c.control("COMMIT")
	}
	if err == nil {
		c.store.applied.Store(uint64(end))
	}
	return err
}

// dropRecords cuts the records first..end of n transactions that SQLite
// did not commit off the WAL: the log never holds a transaction that
// SQLite did not apply.
func (c *Conn) dropRecords(first, end wal.LSN, n int, cause error) {
	s := c.store
	s.log.Error().Err(cause).Int("transactions", n).Stringer("from", first).Stringer("to", end).
		Msg("SQLite could not commit; the transactions are rolled back and removed from the WAL")
	if err := s.wal.TruncateAfter(first); err != nil {
		s.failWrites(fmt.Errorf("remove records from %s after a failed commit: %w", first, err))
	}
}

// rollbackMember rolls back a transaction that runs inside the open
// batch. If SQLite rolled back the batch's whole transaction under it, the
// batch's records are applied again from the WAL.
func (c *Conn) rollbackMember() error {
	err := c.control("ROLLBACK TO " + batchSavepoint)
	if err == nil {
		err = c.control("RELEASE " + batchSavepoint)
	}
	if err == nil {
		return nil
	}
	return c.reapplyBatch(err)
}

// reapplyBatch rebuilds the open batch from its records after SQLite lost
// its transaction (cause).
func (c *Conn) reapplyBatch(cause error) error {
	b, s := c.batch, c.store
	s.log.Warn().Err(cause).Int("transactions", b.n).Stringer("from", b.first).Stringer("to", b.end).
		Msg("SQLite rolled back the open batch; applying its records again from the WAL")
	if err := c.control("ROLLBACK"); err != nil && !isNoTx(err) {
		return c.failBatch(fmt.Errorf("roll back the lost batch: %w", err))
	}
	ctx := context.Background()
	// The WAL's readers return flushed records only.
	if err := s.wal.Sync(ctx, b.end); err != nil {
		s.failWrites(fmt.Errorf("fsync WAL: %w", err))
		return c.failBatch(err)
	}
	r, err := s.wal.NewReader(b.first)
	if err != nil {
		return c.failBatch(err)
	}
	if err := c.control("BEGIN IMMEDIATE"); err != nil {
		return c.failBatch(err)
	}
	for r.Pos() < b.end {
		rec, err := r.Next(ctx)
		if err == nil {
			_, _, err = c.applyStatements(ctx, rec)
		}
		if err != nil {
			if rerr := c.control("ROLLBACK"); rerr != nil && !isNoTx(rerr) {
				s.log.Error().Err(rerr).Msg("rollback after a failed re-apply")
			}
			return c.failBatch(err)
		}
	}
	return nil
}

// failBatch fails the open batch, whose SQLite transaction is already
// gone, with err.
func (c *Conn) failBatch(err error) error {
	b := c.batch
	c.batch = nil
	c.store.idleBatch.Store(false)
	c.dropRecords(b.first, b.end, b.n, err)
	b.err = err
	close(b.done)
	return err
}

// commitIdleBatch commits the batch of a writer that sits idle in the
// store, if it has one.
func (s *Store) commitIdleBatch() {
	if !s.idleBatch.Load() {
		return
	}
	select {
	case c := <-s.writer:
		if c.batch != nil {
			c.commitBatch()
		}
		s.writer <- c
	default: // some session holds the writer: it ends the batch
	}
}

// WaitCommitted waits until the transaction that Commit returned cm for
// is visible to every session (its batch committed) and, when durable,
// until the WAL fsync that covers its record (group commit). The fsync is
// waited for first: it runs while the batch commits.
func (s *Store) WaitCommitted(ctx context.Context, cm Committed, durable bool) error {
	b := cm.batch
	if durable {
		if err := s.WaitDurable(ctx, cm.LSN); err != nil {
			if b != nil {
				select {
				case <-b.done: // the batch failed: its error says why
					if b.err != nil {
						return b.err
					}
				default:
				}
			}
			return err
		}
	}
	if b == nil {
		return nil
	}
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}
