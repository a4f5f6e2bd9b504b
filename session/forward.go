package session

import (
	"context"
	"time"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/router"
	"github.com/replisql/replisql/wal"
)

// Write forwarding (on a follower with Config.Router set). A statement
// that writes — DML, DDL, COPY FROM, a SELECT that is not read-only — is
// run by the leader over a backend connection from the router's pool, and
// so is the rest of its transaction: from then on the session's
// transaction lives on the leader, pinned to that backend, until COMMIT or
// ROLLBACK. Reads before the first write of a block ran here. A read that
// this node cannot serve fresh enough for the session (read-your-writes)
// goes to the leader too.
//
// Each forwarded statement of an implicit transaction commits on its own
// on the leader (a multi-statement simple query is not one transaction
// there).

// readYourWritesWait bounds how long a read waits for this follower to
// apply the session's last commit before it goes to the leader instead.
const readYourWritesWait = 2 * time.Second

// forwardedSettings are the session settings a backend must share with
// the session: they change what statements do on the leader.
var forwardedSettings = []string{
	"synchronous_commit", "synchronous_standby_names", "statement_timeout", "lock_timeout",
	"search_path", "TimeZone", "application_name", "default_transaction_isolation",
}

// routed reports whether this session forwards writes to a leader.
func (s *Session) routed() bool {
	return s.eng.cfg.Router != nil && s.inRecovery()
}

// mustForward decides whether st runs on the leader.
func (s *Session) mustForward(ctx context.Context, st *pgsql.Statement) bool {
	if !s.routed() {
		return false
	}
	if s.fwd != nil {
		return true // the transaction already runs there
	}
	if s.tx.readOnly && s.tx.block {
		return false // BEGIN READ ONLY: writes fail here with 25006
	}
	switch st.Kind {
	case pgsql.KindDML, pgsql.KindDDL, pgsql.KindUtility:
		if !st.ReadOnly {
			return true
		}
	case pgsql.KindCopy:
		if st.Copy != nil && st.Copy.From {
			return true
		}
	case pgsql.KindSelect:
		if !st.ReadOnly {
			return true
		}
	default:
		return false
	}
	// A read: here, once this node has applied what the session must see.
	return !s.caughtUp(ctx)
}

// caughtUp waits (bounded) until this node applied the session's last
// commit and replisql.read_after_lsn.
func (s *Session) caughtUp(ctx context.Context) bool {
	want := s.lastCommit
	if v := s.params.values["replisql.read_after_lsn"]; v != "" {
		if l, err := wal.ParseLSN(v); err == nil && l > want {
			want = l
		}
	}
	repl := s.eng.cfg.Replication
	if want == 0 || repl.ReplayedLSN() >= want {
		return true
	}
	deadline := time.Now().Add(readYourWritesWait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
		if repl.ReplayedLSN() >= want {
			return true
		}
	}
	return false
}

// backend returns the backend the session's transaction uses on the
// leader, taking one (and opening the transaction there) if needed.
func (s *Session) backend(ctx context.Context) (*router.Backend, error) {
	if s.fwd != nil {
		return s.fwd, nil
	}
	pool := s.eng.cfg.Router
	b, err := pool.Get(ctx, s.info.User)
	if err != nil {
		return nil, err
	}
	settings := make(map[string]string, len(forwardedSettings))
	for _, k := range forwardedSettings {
		if v, ok := s.params.get(k); ok {
			settings[k] = v
		}
	}
	if err := b.Settings(ctx, settings); err != nil {
		pool.Put(b)
		return nil, err
	}
	if s.tx.block {
		begin := "BEGIN ISOLATION LEVEL " + s.tx.isolation
		if err := b.Query(ctx, begin, discard{}); err != nil {
			pool.Put(b)
			return nil, err
		}
		for _, sp := range s.tx.savepoints {
			if err := b.Query(ctx, "SAVEPOINT "+quoteIdent(sp), discard{}); err != nil {
				pool.Put(b)
				return nil, err
			}
		}
	}
	s.fwd = b
	return b, nil
}

// forward runs st on the leader in the simple protocol.
func (s *Session) forward(ctx context.Context, st *pgsql.Statement, w pgwire.ResultWriter) error {
	b, err := s.backend(ctx)
	if err != nil {
		return err
	}
	if st.Kind == pgsql.KindCopy && st.Copy.From {
		err = s.forwardCopy(ctx, b, st, w)
	} else {
		err = b.Query(ctx, st.Text, w)
	}
	if err == nil && st.Kind == pgsql.KindSet {
		// The session keeps its own settings too (SHOW, later backends).
		if serr := s.runSet(st.Set); serr != nil {
			s.log.Warn().Err(serr).Str("statement", st.Text).Msg("setting accepted by the leader, not here")
		}
	}
	s.afterForward(ctx)
	return err
}

// forwardCopy relays COPY … FROM STDIN: the client's data goes to the
// leader as it arrives.
func (s *Session) forwardCopy(ctx context.Context, b *router.Backend, st *pgsql.Statement, w pgwire.ResultWriter) error {
	_, format, err := copyOptions(st.Copy)
	if err != nil {
		return err
	}
	cols, err := s.copyColumns(ctx, st.Copy.Table, st.Copy.Columns)
	if err != nil {
		return err
	}
	in, err := w.CopyIn(format, len(cols))
	if err != nil {
		return err
	}
	return b.CopyFrom(ctx, st.Text, in, w)
}

// forwardPortal runs an extended-protocol portal on the leader.
func (s *Session) forwardPortal(ctx context.Context, p *boundPortal, w pgwire.ResultWriter) error {
	b, err := s.backend(ctx)
	if err != nil {
		return err
	}
	err = b.Exec(ctx, p.st.Text, p.params, p.args, w)
	s.afterForward(ctx)
	return err
}

// afterForward ends the local side of a transaction that ended on the
// leader, and notes its commit for read-your-writes.
func (s *Session) afterForward(ctx context.Context) {
	s.servedBy = s.eng.cfg.Router.LeaderName()
	b := s.fwd
	if b == nil || b.InTx() {
		return
	}
	if l, err := wal.ParseLSN(b.CommitLSN()); err == nil && l > s.lastCommit {
		s.lastCommit = l
	}
	s.fwd = nil
	s.eng.cfg.Router.Put(b)
	if s.tx.block {
		s.endTx(ctx, false)
	}
}

// dropForward gives up a forwarded transaction (session end): the leader
// rolls it back when the backend is closed.
func (s *Session) dropForward() {
	if s.fwd != nil {
		s.eng.cfg.Router.Put(s.fwd)
		s.fwd = nil
	}
}

// describeOnLeader describes a statement this node cannot plan (a table
// created by the session's forwarded transaction, not yet here).
func (s *Session) describeOnLeader(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []pgwire.Column, error) {
	b, err := s.backend(ctx)
	if err != nil {
		return nil, nil, err
	}
	params, cols, err := b.Describe(ctx, sql, paramOIDs)
	s.afterForward(ctx)
	return params, cols, err
}

// discard is a ResultWriter that drops everything (for the BEGIN a
// forwarded block starts with).
type discard struct{ pgwire.ResultWriter }

func (discard) Describe([]pgwire.Column) error { return nil }
func (discard) Row([]any) error                { return nil }
func (discard) Complete(string) error          { return nil }
func (discard) Notice(*pgwire.Notice) error    { return nil }
