package session

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/router"
	"github.com/replisql/replisql/store"
	"github.com/replisql/replisql/wal"
)

// Session is one client connection's state. It implements pgwire.Session.
type Session struct {
	eng    *Engine
	info   pgwire.StartupInfo
	log    zerolog.Logger
	params *params

	tx tx

	prepared map[*prepared]struct{} // live prepared statements, for replanning
	portals  []*portal              // open portals, closed at transaction end
	cursors  map[string]*cursor     // SQL-level cursors by name

	// Routing (forward.go): the backend on the leader that the session's
	// transaction runs on, the end LSN of the session's last commit, and
	// the node that ran its last statement.
	fwd     *router.Backend
	fwdPool *router.Pool

	// Reloadable settings the session SET itself, and the generation of
	// the cluster's settings it last took (sysconfig.go).
	explicit   map[string]bool
	clusterGen uint64
	lastCommit wal.LSN
	servedBy   string
}

var _ pgwire.Session = (*Session)(nil)

// tx is the session's transaction state.
type tx struct {
	// block is true between BEGIN and COMMIT/ROLLBACK.
	block bool
	// failed is true after an error inside a block: statements get 25P02
	// until ROLLBACK.
	failed bool
	// conn is the connection the transaction holds: the writer once it
	// wrote (or for a REPEATABLE READ/SERIALIZABLE transaction), a reader
	// for a REPEATABLE READ ... READ ONLY one; nil before that.
	conn *store.Conn
	// readOnly forbids writes (BEGIN READ ONLY or
	// default_transaction_read_only).
	readOnly bool
	// isolation is the block's isolation level.
	isolation string
	// savepoints is the stack of open savepoints.
	savepoints []string
	// schemaChanged is set when the transaction ran DDL.
	schemaChanged bool
	// start is the transaction's start time: what now() returns.
	start time.Time
}

// ParameterStatus implements pgwire.Session.
func (s *Session) ParameterStatus() []pgwire.Param { return s.params.reported() }

// TxStatus implements pgwire.Session.
func (s *Session) TxStatus() byte {
	switch {
	case s.tx.block && s.tx.failed:
		return 'E'
	case s.tx.block:
		return 'T'
	}
	return 'I'
}

// Close implements pgwire.Session.
func (s *Session) Close() {
	s.dropForward()
	s.endTx(context.Background(), false)
	for _, c := range s.cursors {
		c.close()
	}
	for p := range s.prepared {
		p.closed = true
	}
}

// Query implements pgwire.Session: a simple-protocol query string, run as
// one implicit transaction unless it contains transaction control.
func (s *Session) Query(ctx context.Context, sql string, w pgwire.ResultWriter) error {
	s.syncCluster()
	stmts, err := pgsql.Parse(sql)
	if err != nil {
		s.afterError(ctx)
		return err
	}
	if len(stmts) == 0 {
		return w.EmptyQuery()
	}
	if s.forwardWhole(stmts) {
		return s.forwardMessage(ctx, sql, stmts, w)
	}
	for _, st := range stmts {
		if st.Kind == pgsql.KindEmpty {
			if len(stmts) == 1 {
				return w.EmptyQuery()
			}
			continue
		}
		if err := s.runSimple(ctx, st, w); err != nil {
			s.afterError(ctx)
			return err
		}
	}
	// The implicit transaction of a Query message ends with it.
	if !s.tx.block {
		return s.endTx(ctx, true)
	}
	return nil
}

func (s *Session) runSimple(ctx context.Context, st *pgsql.Statement, w pgwire.ResultWriter) error {
	if err := s.checkFailed(st); err != nil {
		return err
	}
	if st.Kind == pgsql.KindShow {
		// SHOW is answered here, and does not count as a statement for
		// replisql.served_by.
		return s.runCommand(ctx, st, w)
	}
	if p := s.target(ctx, st); p != nil {
		return s.forward(ctx, p, st, w)
	}
	s.countRoute(st, nil)
	if planned(st) {
		plan, err := s.plan(ctx, st, nil)
		if err != nil {
			return err
		}
		if plan.Columns != nil {
			if err := w.Describe(pgColumns(plan.Columns)); err != nil {
				return err
			}
		}
		ctx, cancel := s.statementContext(ctx)
		defer cancel()
		_, err = s.execPlan(ctx, st, plan, nil, 0, w, nil)
		return s.statementError(ctx, err)
	}
	return s.runCommand(ctx, st, w)
}

// afterError is called when a statement failed: a transaction block is
// marked failed; an implicit transaction rolls back.
func (s *Session) afterError(ctx context.Context) {
	if s.tx.block {
		s.tx.failed = true
		return
	}
	s.endTx(ctx, false)
}

// SyncError implements pgwire.Session.
func (s *Session) SyncError() { s.afterError(context.Background()) }

// Sync implements pgwire.Session: the implicit transaction of an
// extended-protocol batch commits here.
func (s *Session) Sync(ctx context.Context) error {
	if s.tx.block {
		return nil
	}
	return s.endTx(ctx, true)
}

// checkFailed returns 25P02 for statements in a failed block, except
// those that end it.
func (s *Session) checkFailed(st *pgsql.Statement) error {
	if !s.tx.block || !s.tx.failed {
		return nil
	}
	if st.Kind == pgsql.KindTxn {
		switch st.Txn.Op {
		case pgsql.TxnRollback, pgsql.TxnRollbackTo, pgsql.TxnCommit:
			return nil
		}
	}
	return errAborted
}

var errAborted = pgerr.New(pgerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")

// statementContext applies statement_timeout.
func (s *Session) statementContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d := s.params.duration("statement_timeout"); d > 0 {
		return context.WithTimeoutCause(ctx, d, errStatementTimeout)
	}
	return ctx, func() {}
}

var errStatementTimeout = pgerr.New(pgerr.QueryCanceled, "canceling statement due to statement timeout")

// statementError turns a context error from the statement's own timeout
// into 57014 with PostgreSQL's message.
func (s *Session) statementError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(context.Cause(ctx), errStatementTimeout) {
		return errStatementTimeout
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || pgerr.CodeOf(err) == pgerr.QueryCanceled) {
		// Cancelled from outside: pgwire knows whether by CancelRequest
		// (57014) or by a shutdown (FATAL 57P01).
		return context.Canceled
	}
	return err
}

// pgColumns converts plan columns to RowDescription fields.
func pgColumns(cols []pgsql.Column) []pgwire.Column {
	if cols == nil {
		return nil
	}
	out := make([]pgwire.Column, len(cols))
	for i, c := range cols {
		out[i] = pgwire.Column{
			Name:         c.Name,
			TableOID:     c.TableOID,
			AttrNum:      c.AttNum,
			TypeOID:      c.TypeOID,
			TypeSize:     pgwire.TypeSize(c.TypeOID),
			TypeModifier: c.TypeMod,
		}
	}
	return out
}
