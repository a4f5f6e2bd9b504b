package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"

	"github.com/replisql/replisql/wal"
)

// Batched SQLite commits.
//
// SQLite's COMMIT writes every page the transaction changed into SQLite's
// own WAL file (two write system calls a page) and updates the applied
// LSN: for a single-row INSERT that is most of the CPU a commit costs, and
// transactions that commit one after another rewrite the same leaf pages.
// So a transaction whose record is in the statement WAL leaves SQLite's
// transaction open: the next transaction runs inside it, behind a
// savepoint, and the batch is committed with one applied-LSN update and
// one COMMIT once it is large or old enough, or once somebody must see it.
// This is group commit applied to SQLite as the WAL's fsync applies it to
// the log.
//
// A commit is acknowledged once its record is durable (or at once, with
// synchronous_commit = off), while its batch may still be open: a
// committed transaction is one whose record is in the WAL, and SQLite is a
// cache of the WAL that only has to be up to date when it is read. So
// every read that can observe the data publishes first (Store.Publish,
// called by Reader and by replication): if the open batch holds an
// acknowledged member, it is committed before the read starts, by the
// writer's holder at the end of its transaction or by the publisher when
// the writer is idle. A read therefore sees every commit acknowledged
// before it started, as in PostgreSQL. A member statement that runs long
// while a publication waits for it gives way (yield.go).
//
// Order and durability are the WAL's: records are appended in execution
// order, and replay runs each in its own transaction with the same
// result, because a batch is serial execution committed in one piece.
// Followers receive a record once it is durable and applied.
//
// The rules:
//   - Only a transaction that does not wait for its client runs inside an
//     open batch (BeginBatched: an implicit transaction, not COPY FROM
//     STDIN), so a batch never waits for the network. Begin commits the
//     open batch first.
//   - A transaction that changed the schema or wrote the catalog copies
//     (WithScratchWrites) commits the batch with it.
//   - Past maxBatchTxns members or maxBatchAge, or when a publication is
//     wanted, the batch is committed when its next member ends or the
//     writer goes back to the store; a batch left open on an idle writer
//     is committed by the next publication or the WAL writer's tick.
//   - A member that rolls back rolls back to its savepoint. When SQLite
//     rolled back the whole transaction instead (as it does when a writing
//     statement is interrupted, or on SQLITE_FULL, IOERR or NOMEM), the
//     batch's records are applied again from the WAL.
//   - When the batch's COMMIT fails before any member was acknowledged,
//     its records are cut off the WAL and every member gets the error.
//     After an acknowledgement they stay in the WAL: the store then stops
//     accepting writes and reads (lost), and a restart applies them.

// Bounds of a batch: past them it is committed when its next member ends.
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
	err    error         // why it failed; set (under mu) before done is closed

	mu     sync.Mutex  // orders acknowledgements against failure
	failed bool        // the batch failed before any acknowledgement
	acked  atomic.Bool // a member was acknowledged
}

// ack claims the acknowledgement of one member: it fails with the
// batch's error if the batch failed first.
func (b *batch) ack() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failed {
		return b.err
	}
	b.acked.Store(true)
	return nil
}

// setErr records why the batch failed (nil: it committed), before done is
// closed.
func (b *batch) setErr(err error) {
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
}

// fail marks the batch failed with err unless a member was acknowledged;
// it reports whether it did.
func (b *batch) fail(err error) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.acked.Load() {
		return false
	}
	b.failed, b.err = true, err
	return true
}

// Committed is what Conn.Commit returns: where the transaction's record
// ends (0 when it logged nothing) and, for a member of an open batch, the
// batch that SQLite commits later (Store.WaitCommitted, Store.Publish).
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

// keepBatchOpen reports whether a batch of n members, open for age, may
// stay open for the next transaction.
func (s *Store) keepBatchOpen(n int, age time.Duration) bool {
	return n < maxBatchTxns && age < s.batchAge && !s.publishWanted.Load()
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
		if mayWait && s.keepBatchOpen(b.n, time.Since(b.opened)) {
			return Committed{LSN: end, batch: b}, nil
		}
		if err := c.commitBatch(); err != nil {
			return Committed{}, err
		}
		return Committed{LSN: end}, nil
	}
	if mayWait && s.keepBatchOpen(1, 0) {
		c.batch = &batch{first: start, end: end, n: 1, opened: time.Now(), done: make(chan struct{})}
		s.openBatch.Store(c.batch)
		return Committed{LSN: end, batch: c.batch}, nil
	}
	if err := c.commitSQLite(start, end, 1, nil); err != nil {
		return Committed{}, err
	}
	return Committed{LSN: end}, nil
}

// commitBatch commits the open batch: one applied-LSN update and one
// SQLite COMMIT for all its members.
func (c *Conn) commitBatch() error {
	return c.endBatch(func(b *batch) error { return c.commitSQLite(b.first, b.end, b.n, b) })
}

// endBatch ends the open batch with end (its COMMIT, or the clean-up
// after a failure), records how it ended, and wakes whoever waits for it.
func (c *Conn) endBatch(end func(*batch) error) error {
	b, s := c.batch, c.store
	c.batch = nil
	s.publishWanted.Store(false)
	err := end(b)
	b.setErr(err)
	// Only now: a publisher that finds no open batch must find its
	// members committed.
	s.openBatch.CompareAndSwap(b, nil)
	close(b.done)
	return err
}

// commitSQLite commits the writer's SQLite transaction, which holds the n
// transactions whose records are first..end (the members of b, when it is
// a batch). On failure their records are cut off the WAL again, unless a
// member was acknowledged.
func (c *Conn) commitSQLite(first, end wal.LSN, n int, b *batch) error {
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
	c.dropRecords(first, end, n, b, err)
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
// SQLite did not apply and nobody was told of. If a member of b was
// acknowledged, they stay: the store stops, and a restart applies them.
func (c *Conn) dropRecords(first, end wal.LSN, n int, b *batch, cause error) {
	s := c.store
	if b != nil && !b.fail(cause) {
		err := fmt.Errorf("SQLite could not apply the acknowledged transactions of %s..%s, which are in the WAL; restart the node to apply them: %w", first, end, cause)
		s.lost.CompareAndSwap(nil, &err)
		s.failWrites(err)
		return
	}
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
	return c.endBatch(func(b *batch) error {
		c.dropRecords(b.first, b.end, b.n, b, err)
		return err
	})
}

// commitIdleBatch commits the batch of a writer that sits idle in the
// store, if it has one.
func (s *Store) commitIdleBatch() {
	if s.openBatch.Load() == nil {
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
// may be acknowledged: when durable, until the WAL fsync that covers its
// record (group commit). A member of a batch is then acknowledged, and
// the batch is committed before anybody reads (Publish).
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
	return b.ack()
}

// Publish makes every acknowledged commit visible to the reads that start
// after it returns: if the open batch holds an acknowledged member, it is
// committed now, or by the writer's holder when its transaction ends. The
// caller MUST NOT hold the writer.
func (s *Store) Publish(ctx context.Context) error {
	if err := s.lostErr(); err != nil {
		return err
	}
	b := s.openBatch.Load()
	if b == nil || !b.acked.Load() {
		return nil
	}
	s.publishWanted.Store(true)
	s.commitIdleBatch()
	select {
	case <-b.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.lostErr()
}

// lostErr is what every read gets once SQLite failed to apply
// acknowledged transactions (dropRecords).
func (s *Store) lostErr() error {
	if p := s.lost.Load(); p != nil {
		return pgerr.Wrap(*p, pgerr.IOError, "could not read: %v", *p)
	}
	return nil
}
