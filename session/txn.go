package session

import (
	"context"
	"strings"
	"time"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/store"
	"github.com/replisql/replisql/wal"
)

// begin opens a transaction block; tag is BEGIN or START TRANSACTION.
func (s *Session) begin(ctx context.Context, t *pgsql.TxnStmt, tag string, w pgwire.ResultWriter) error {
	if s.tx.block {
		w.Notice(&pgwire.Notice{Severity: "WARNING", Code: string(pgerr.ActiveSQLTransaction), Message: "there is already a transaction in progress"})
		return w.Complete(tag)
	}
	// Statements earlier in the same Query message belong to the block.
	s.tx.block = true
	s.startTx()
	if t != nil {
		if t.Isolation != "" {
			s.tx.isolation = t.Isolation
		}
		if t.ReadOnly != nil {
			if !*t.ReadOnly && s.inRecovery() && !s.routed() {
				s.tx.block = false
				return pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot set transaction read-write mode during recovery")
			}
			s.tx.readOnly = *t.ReadOnly
		}
	}
	s.params.values["transaction_isolation"] = s.tx.isolation
	s.params.values["transaction_read_only"] = onOff(s.tx.readOnly)
	return w.Complete(tag)
}

// startTx initializes a transaction's state from the session defaults, if
// none is open yet.
func (s *Session) startTx() {
	if !s.tx.start.IsZero() {
		return
	}
	s.tx.start = time.Now()
	s.tx.isolation = s.params.values["default_transaction_isolation"]
	s.tx.readOnly = s.params.values["default_transaction_read_only"] == "on"
}

// endTx ends the current transaction (block or implicit), committing when
// commit is true, and gives its connection back.
func (s *Session) endTx(ctx context.Context, commit bool) error {
	var err error
	var cm store.Committed
	if c := s.tx.conn; c != nil {
		if commit {
			cm, err = c.Commit(ctx)
		} else {
			err = c.Rollback(context.Background())
		}
		if commit && err == nil {
			catalogCommitted(c)
		} else {
			catalogRolledBack(c)
		}
		s.eng.store.Release(c)
	}
	if s.tx.schemaChanged {
		s.eng.store.InvalidateSchema()
	}
	for _, p := range s.portals {
		p.close()
	}
	s.portals = s.portals[:0]
	for name, c := range s.cursors {
		if !c.hold {
			c.close()
			delete(s.cursors, name)
		}
	}
	wrote := err == nil && cm.LSN != 0
	var wait commitWait
	if wrote {
		wait = s.commitWait() // before SET LOCAL ends with the transaction
	}
	if s.tx.block || s.params.session != nil {
		s.params.endTx()
	}
	s.tx = tx{}
	if !wrote {
		return err
	}
	return s.awaitCommit(ctx, cm, &wait)
}

// awaitCommit holds back the acknowledgement of a commit that wrote as
// its synchronous_commit level says. The writer is already back in the
// store: the next transaction runs while this one waits for the fsync
// that covers it and for the standbys.
func (s *Session) awaitCommit(ctx context.Context, cm store.Committed, wait *commitWait) error {
	if err := s.eng.store.WaitCommitted(ctx, cm, wait.level != "off"); err != nil {
		return err
	}
	if s.eng.cfg.Replication != nil && wait.needsStandbys() {
		if err := s.waitStandbys(ctx, cm.LSN, wait); err != nil {
			return err
		}
	}
	s.lastCommit = cm.LSN
	if s.params.values["replisql.report_commit_lsn"] == "on" && s.info.Notify != nil {
		// A follower forwarding this session's writes learns the commit's
		// LSN for read-your-writes (ParameterStatus).
		s.info.Notify("replisql.commit_lsn", cm.LSN.String())
	}
	return nil
}

// waitStandbys waits for the standbys that the commit's level asks for.
// As in PostgreSQL, a cancelled wait does not undo the commit, which is
// already durable here: the client gets a warning and COMMIT.
func (s *Session) waitStandbys(ctx context.Context, lsn wal.LSN, wait *commitWait) error {
	if d := s.params.duration("statement_timeout"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	level, names := wait.now()
	err := s.eng.cfg.Replication.WaitCommit(ctx, lsn, level, names, wait.now)
	if err == nil || ctx.Err() == nil {
		return err
	}
	const msg = "canceling wait for synchronous replication due to user request"
	if s.info.Notice != nil {
		s.info.Notice(&pgwire.Notice{Severity: "WARNING", Code: string(pgerr.Warning), Message: msg,
			Detail: "The transaction has already committed locally, but might not have been replicated to the standby."})
	}
	s.log.Warn().Stringer("lsn", lsn).Str("level", level).Msg(msg)
	return nil
}

// commit handles COMMIT/END: a failed block rolls back (tag ROLLBACK).
func (s *Session) commit(ctx context.Context, w pgwire.ResultWriter) error {
	if !s.tx.block {
		w.Notice(&pgwire.Notice{Severity: "WARNING", Code: string(pgerr.NoActiveSQLTransaction), Message: "there is no transaction in progress"})
		return w.Complete("COMMIT")
	}
	if s.tx.failed {
		s.endTx(ctx, false)
		return w.Complete("ROLLBACK")
	}
	if err := s.endTx(ctx, true); err != nil {
		return err
	}
	return w.Complete("COMMIT")
}

func (s *Session) rollback(ctx context.Context, w pgwire.ResultWriter) error {
	if !s.tx.block {
		w.Notice(&pgwire.Notice{Severity: "WARNING", Code: string(pgerr.NoActiveSQLTransaction), Message: "there is no transaction in progress"})
	}
	s.endTx(ctx, false)
	return w.Complete("ROLLBACK")
}

// savepoint runs SAVEPOINT, RELEASE and ROLLBACK TO. Savepoints taken
// before the transaction holds a connection are replayed on it when it
// takes one (see writer).
func (s *Session) savepoint(ctx context.Context, t *pgsql.TxnStmt, w pgwire.ResultWriter) error {
	name := t.Savepoint
	if !s.tx.block {
		verb := map[pgsql.TxnOp]string{pgsql.TxnSavepoint: "SAVEPOINT", pgsql.TxnRelease: "RELEASE SAVEPOINT", pgsql.TxnRollbackTo: "ROLLBACK TO SAVEPOINT"}[t.Op]
		return pgerr.New(pgerr.NoActiveSQLTransaction, "%s can only be used in transaction blocks", verb)
	}
	at := -1
	for i := len(s.tx.savepoints) - 1; i >= 0; i-- {
		if s.tx.savepoints[i] == name {
			at = i
			break
		}
	}
	if t.Op != pgsql.TxnSavepoint && at < 0 {
		return pgerr.New(pgerr.InvalidSavepointSpecification, "savepoint \"%s\" does not exist", name)
	}
	quoted := quoteIdent(name)
	switch t.Op {
	case pgsql.TxnSavepoint:
		if err := s.logged(ctx, "SAVEPOINT "+quoted); err != nil {
			return err
		}
		s.tx.savepoints = append(s.tx.savepoints, name)
		return w.Complete("SAVEPOINT")
	case pgsql.TxnRelease:
		if err := s.logged(ctx, "RELEASE "+quoted); err != nil {
			return err
		}
		s.tx.savepoints = s.tx.savepoints[:at]
		return w.Complete("RELEASE")
	default: // TxnRollbackTo
		if err := s.logged(ctx, "ROLLBACK TO "+quoted); err != nil {
			return err
		}
		s.tx.savepoints = s.tx.savepoints[:at+1]
		s.tx.failed = false
		return w.Complete("ROLLBACK")
	}
}

// logged runs a savepoint statement on the transaction's connection, if
// it holds one, and logs it so that replay undoes exactly what this
// transaction undid.
func (s *Session) logged(ctx context.Context, q string) error {
	c := s.tx.conn
	if c == nil {
		return nil
	}
	if _, err := c.Exec(ctx, q); err != nil {
		return err
	}
	c.Log(q, nil)
	return nil
}

// writer returns the writer connection for a statement that writes,
// taking it for the transaction if it does not hold it yet.
func (s *Session) writer(ctx context.Context, verb string) (*store.Conn, error) {
	s.startTx()
	if s.tx.readOnly || s.inRecovery() {
		return nil, pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot execute %s in a read-only transaction", verb)
	}
	if c := s.tx.conn; c != nil {
		if c.IsWriter() {
			return c, nil
		}
		return nil, pgerr.New(pgerr.ReadOnlySQLTransaction, "cannot execute %s in a read-only transaction", verb)
	}
	if d := s.params.duration("lock_timeout"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	c, err := s.eng.store.Writer(ctx)
	if err != nil {
		if ctx.Err() != nil && s.params.duration("lock_timeout") > 0 {
			return nil, pgerr.New(pgerr.LockNotAvailable, "canceling statement due to lock timeout")
		}
		return nil, err
	}
	begin := c.Begin
	if !s.tx.block && verb != copyFromVerb {
		// An implicit transaction ends without waiting for the client, so
		// it may run inside the batch that commits left open (store's
		// batch.go). COPY FROM STDIN waits for the client's data.
		begin = c.BeginBatched
	}
	if err := begin(ctx); err != nil {
		s.eng.store.Release(c)
		return nil, err
	}
	c.SetStart(s.tx.start)
	s.tx.conn = c
	for _, sp := range s.tx.savepoints {
		q := "SAVEPOINT " + quoteIdent(sp)
		if _, err := c.Exec(ctx, q); err != nil {
			return nil, err
		}
		c.Log(q, nil)
	}
	return c, nil
}

// healthy fails when this node is a follower that stopped applying the
// leader's WAL: its data is stale and it serves no reads (invariant 4).
func (s *Session) healthy() error {
	if r := s.eng.cfg.Replication; r != nil {
		if err := r.Healthy(); err != nil {
			return pgerr.Wrap(err, pgerr.CannotConnectNow, "this follower stopped applying the leader's WAL and serves no reads: %v", err)
		}
	}
	return nil
}

// inRecovery reports whether this node is a follower (read-only).
func (s *Session) inRecovery() bool {
	return s.eng.cfg.Replication != nil && s.eng.cfg.Replication.InRecovery()
}

// reader returns the connection a read runs on and whether the caller
// must release it when done.
func (s *Session) reader(ctx context.Context) (*store.Conn, bool, error) {
	if err := s.healthy(); err != nil {
		return nil, false, err
	}
	if c := s.tx.conn; c != nil {
		return c, false, nil
	}
	if s.tx.block && (s.tx.isolation == "repeatable read" || s.tx.isolation == "serializable") {
		// The snapshot is taken now and kept for the whole block.
		if !s.tx.readOnly {
			c, err := s.writer(ctx, "SELECT")
			return c, false, err
		}
		c, err := s.eng.store.Reader(ctx)
		if err != nil {
			return nil, false, err
		}
		if err := c.Begin(ctx); err != nil {
			s.eng.store.Release(c)
			return nil, false, err
		}
		s.tx.conn = c
		return c, false, nil
	}
	c, err := s.eng.store.Reader(ctx)
	return c, true, err
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
