package store

import (
	"context"
	"time"

	"github.com/replisql/replisql/wal"
)

// A long statement gives way to a publication.
//
// Publish waits for the writer's holder to commit the open batch at the
// end of its transaction (batch.go). A member whose statement runs long
// (an UPDATE of a whole table in autocommit) would make every read that
// must see the batch's acknowledged members wait for it. So once a
// publication waits and the running statement is older than yieldAfter,
// the progress handler interrupts it (interrupt.go); SQLite then rolls
// back the whole transaction, and giveWay rebuilds the batch from the WAL
// without the member, commits it, starts the member's transaction again
// on its own with the statements it had run (they are in its record), and
// the statement runs again from the start. A statement runs with the same
// arguments, which pin its times and random seed, so it does the same
// again. The second run is not interrupted: the member is no longer in a
// batch, so no acknowledged commit waits for it.
//
// A statement gives way only while the driver call that starts it runs
// (runYielding): all of an Exec, and the first step of a Query, which is
// all of the work of a DML statement with RETURNING; later rows of a
// Query may already be with the caller. A statement text longer than
// maxCachedSQL does not give way, nor does a member that wrote the
// catalog copies or the schema (its scratch writes are not in its
// record).

// runYielding runs call, a driver call that starts a statement on c, and
// runs it again if the statement gave way.
func (c *Conn) runYielding(call func() error) error {
	if c.yieldable = c.mayYield(); c.yieldable {
		c.callStart = time.Now()
	}
	err := call()
	c.yieldable = false
	if err != nil && c.yielded {
		c.yielded = false
		if err = c.giveWay(); err == nil {
			err = call()
		}
	}
	return err
}

// yieldAfter is how long a publication waits for a running statement
// before the statement gives way.
const yieldAfter = time.Millisecond

// mayYield reports whether the statement about to start may give way to
// a publication.
func (c *Conn) mayYield() bool {
	return c.writer && c.nested && c.batch != nil && !c.ddl && !c.noBatch
}

// yieldNow is the progress handler's test: a publication waits, and the
// statement has run for yieldAfter.
func (c *Conn) yieldNow() bool {
	if !c.yieldable || !c.store.publishWanted.Load() || time.Since(c.callStart) < yieldAfter {
		return false
	}
	c.yielded = true
	return true
}

// giveWay publishes the open batch after the member's statement gave way,
// and starts the member again on its own with the statements it had run.
func (c *Conn) giveWay() error {
	s, b := c.store, c.batch
	s.log.Debug().Int("transactions", b.n).Stringer("from", b.first).Stringer("to", b.end).
		Msg("a long statement gives way: its batch is committed, and the statement runs again")
	c.nested = false
	if err := c.control("ROLLBACK TO " + batchSavepoint); err == nil {
		// A statement that had not written yet: the transaction is intact.
		if err := c.control("RELEASE " + batchSavepoint); err != nil {
			return err
		}
	} else if err := c.reapplyBatch(err); err != nil {
		return err
	}
	if err := c.commitBatch(); err != nil {
		return err
	}
	if err := c.control("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if c.rec == nil {
		return nil
	}
	_, _, err := c.applyStatements(context.Background(), wal.Record{Type: RecordTxn, Payload: c.rec})
	return err
}
