package session

import (
	"context"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
)

// prepared is a statement parsed by Prepare. Its plan is made for the
// schema at Prepare time and remade when the schema changes.
type prepared struct {
	s         *Session
	st        *pgsql.Statement
	paramOIDs []uint32 // as the client gave them
	plan      *pgsql.Plan
	params    []uint32
	cols      []pgwire.Column
	closed    bool
	// forwarded: the statement was described by the leader (this node
	// could not plan it) and runs there.
	forwarded bool
}

// Prepare implements pgwire.Session.
func (s *Session) Prepare(ctx context.Context, sql string, paramOIDs []uint32) (pgwire.Prepared, error) {
	s.syncCluster()
	stmts, err := pgsql.Parse(sql)
	if err != nil {
		return nil, err
	}
	var st *pgsql.Statement
	switch n := len(stmts); {
	case n == 0:
		st = &pgsql.Statement{Kind: pgsql.KindEmpty}
	case n > 1:
		return nil, pgerr.New(pgerr.SyntaxError, "cannot insert multiple commands into a prepared statement")
	default:
		st = stmts[0]
	}
	p := &prepared{s: s, st: st, paramOIDs: paramOIDs, params: paramOIDs}
	if err := s.checkFailed(st); err != nil {
		return nil, err
	}
	if err := p.replan(ctx); err != nil {
		if !s.routed() || !s.inRecovery() || !planOnLeader(err) {
			return nil, err
		}
		// A relation this node does not have yet (created by the
		// session's forwarded transaction): the leader describes it.
		params, cols, lerr := s.describeOnLeader(ctx, sql, paramOIDs)
		if lerr != nil {
			return nil, lerr
		}
		p.forwarded, p.params, p.cols, p.plan = true, params, cols, nil
	}
	s.prepared[p] = struct{}{}
	return p, nil
}

// planned reports whether a statement runs through a pgsql plan, rather
// than as a command the session carries out itself.
func planned(st *pgsql.Statement) bool {
	if st.Tag == "DISCARD ALL" {
		return false
	}
	switch st.Kind {
	case pgsql.KindSelect, pgsql.KindDML, pgsql.KindDDL, pgsql.KindUtility:
		return true
	}
	return false
}

// replan makes the plan for the current schema.
func (p *prepared) replan(ctx context.Context) error {
	if !planned(p.st) {
		p.cols = commandColumns(p.st)
		if p.params == nil {
			p.params = []uint32{}
		}
		return nil
	}
	plan, err := p.s.plan(ctx, p.st, p.paramOIDs)
	if err != nil {
		return err
	}
	p.plan = plan
	p.params = plan.Params
	p.cols = pgColumns(plan.Columns)
	return nil
}

func (p *prepared) ParamOIDs() []uint32      { return p.params }
func (p *prepared) Columns() []pgwire.Column { return p.cols }
func (p *prepared) Close() {
	p.closed = true
	delete(p.s.prepared, p)
}

// Bind implements pgwire.Session.
func (s *Session) Bind(ctx context.Context, stmt pgwire.Prepared, args []any) (pgwire.Portal, error) {
	s.syncCluster()
	p, ok := stmt.(*prepared)
	if !ok || p.closed {
		return nil, pgerr.New(pgerr.InvalidSQLStatementName, "prepared statement does not exist")
	}
	if err := s.checkFailed(p.st); err != nil {
		return nil, err
	}
	if planned(p.st) && !p.forwarded {
		// A schema change since Prepare: plan again, as PostgreSQL
		// revalidates cached plans.
		plan, err := s.plan(ctx, p.st, p.paramOIDs)
		if err != nil {
			return nil, err
		}
		if plan != p.plan {
			p.plan = plan
			p.cols = pgColumns(plan.Columns)
		}
	}
	if len(args) != len(p.params) {
		return nil, pgerr.New(pgerr.ProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d", len(args), len(p.params))
	}
	bp := &boundPortal{portal: portal{s: s, st: p.st, plan: p.plan, args: args, cols: p.cols}, params: p.params, forwarded: p.forwarded}
	s.portals = append(s.portals, &bp.portal)
	return bp, nil
}

// boundPortal is an extended-protocol portal.
type boundPortal struct {
	portal
	started   bool
	params    []uint32 // parameter types, for a portal run on the leader
	forwarded bool
}

func (b *boundPortal) Columns() []pgwire.Column { return b.cols }

func (b *boundPortal) Close() { b.portal.close() }

// Execute implements pgwire.Portal.
func (b *boundPortal) Execute(ctx context.Context, maxRows int, w pgwire.ResultWriter) (bool, error) {
	s := b.s
	if err := s.checkFailed(b.st); err != nil {
		return false, err
	}
	if b.st.Kind == pgsql.KindEmpty {
		return false, w.EmptyQuery()
	}
	if !b.started && b.st.Kind != pgsql.KindShow {
		p := s.target(ctx, b.st)
		if p == nil && b.forwarded && s.routed() {
			p = s.eng.cfg.Router.LeaderPool()
		}
		if p != nil {
			b.started, b.done = true, true
			return false, s.forwardPortal(ctx, p, b, w)
		}
		s.countRoute(b.st, nil)
	}
	if !planned(b.st) {
		if b.started {
			return false, pgerr.New(pgerr.InvalidCursorState, "portal has already run")
		}
		b.started = true
		return false, s.runCommand(ctx, b.st, describeless{w})
	}
	if b.rows == nil && !b.done {
		b.started = true
		var cancel context.CancelFunc
		ctx, cancel = s.statementContext(ctx)
		defer cancel()
		suspended, err := b.run(ctx, maxRows, w)
		return suspended, s.statementError(ctx, err)
	}
	suspended, err := b.run(ctx, maxRows, w)
	return suspended, s.statementError(ctx, err)
}

// describeless drops Describe calls: an extended-protocol portal was
// described by Describe messages, not by its execution.
type describeless struct{ pgwire.ResultWriter }

func (describeless) Describe([]pgwire.Column) error { return nil }

// DeallocatePrepared and DeallocateAllPrepared pass DEALLOCATE through to
// pgwire when it supports it.
func (d describeless) DeallocatePrepared(name string) bool {
	if ps, ok := d.ResultWriter.(pgwire.PreparedStatements); ok {
		return ps.DeallocatePrepared(name)
	}
	return false
}

func (d describeless) DeallocateAllPrepared() {
	if ps, ok := d.ResultWriter.(pgwire.PreparedStatements); ok {
		ps.DeallocateAllPrepared()
	}
}

// planOnLeader reports whether a planning error may only mean that this
// follower has not applied the relation yet.
func planOnLeader(err error) bool {
	e := pgerr.As(err)
	return e != nil && (e.Code == pgerr.UndefinedTable || e.Code == pgerr.UndefinedColumn || e.Code == pgerr.UndefinedFunction)
}
