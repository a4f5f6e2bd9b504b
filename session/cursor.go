package session

import (
	"context"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
)

// cursor is a SQL-level cursor (DECLARE … CURSOR FOR …).
type cursor struct {
	p    *portal
	cols []pgwire.Column
	hold bool
}

func (c *cursor) close() { c.p.close() }

func (s *Session) runCursor(ctx context.Context, cs *pgsql.CursorStmt, w pgwire.ResultWriter) error {
	switch cs.Op {
	case pgsql.CursorDeclare:
		if !s.tx.block && !cs.Hold {
			return pgerr.New(pgerr.NoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
		}
		if _, ok := s.cursors[cs.Name]; ok {
			return pgerr.New(pgerr.DuplicateCursor, "cursor \"%s\" already exists", cs.Name)
		}
		if cs.Query == nil || cs.Query.Kind != pgsql.KindSelect {
			return pgerr.New(pgerr.FeatureNotSupported, "DECLARE CURSOR supports only SELECT queries")
		}
		plan, err := s.plan(ctx, cs.Query, nil)
		if err != nil {
			return err
		}
		p := &portal{s: s, st: cs.Query, plan: plan}
		if cs.Hold {
			// WITH HOLD: the rows must outlive the transaction, so the
			// cursor reads from its own reader connection.
			reader := s.eng.store.Reader
			if w := s.tx.conn; w != nil && w.IsWriter() {
				reader = s.eng.store.CommittedReader
			}
			c, err := reader(ctx)
			if err != nil {
				return err
			}
			if err := c.Begin(ctx); err != nil {
				s.eng.store.Release(c)
				return err
			}
			p.conn, p.owned = c, true
		}
		s.cursors[cs.Name] = &cursor{p: p, cols: pgColumns(plan.Columns), hold: cs.Hold}
		return w.Complete("DECLARE CURSOR")
	case pgsql.CursorFetch, pgsql.CursorMove:
		c, ok := s.cursors[cs.Name]
		if !ok {
			return pgerr.New(pgerr.InvalidCursorName, "cursor \"%s\" does not exist", cs.Name)
		}
		if !cs.Forward {
			return pgerr.New(pgerr.FeatureNotSupported, "cursor can only scan forward")
		}
		tag := "FETCH"
		var out pgwire.ResultWriter = w
		if cs.Op == pgsql.CursorMove {
			tag, out = "MOVE", discardRows{w}
		} else if err := w.Describe(c.cols); err != nil {
			return err
		}
		n, err := c.fetch(ctx, cs.Count, out)
		if err != nil {
			return err
		}
		return w.Complete(tag + " " + itoa(int(n)))
	case pgsql.CursorClose:
		if cs.Name == "" {
			for name, c := range s.cursors {
				c.close()
				delete(s.cursors, name)
			}
			return w.Complete("CLOSE CURSOR ALL")
		}
		c, ok := s.cursors[cs.Name]
		if !ok {
			return pgerr.New(pgerr.InvalidCursorName, "cursor \"%s\" does not exist", cs.Name)
		}
		c.close()
		delete(s.cursors, cs.Name)
		return w.Complete("CLOSE CURSOR")
	}
	return pgerr.New(pgerr.FeatureNotSupported, "cursor operation not supported")
}

// fetch moves up to count rows (-1: all) from the cursor to w.
func (c *cursor) fetch(ctx context.Context, count int64, w pgwire.ResultWriter) (int64, error) {
	p := c.p
	if p.done {
		return 0, nil
	}
	if p.rows == nil {
		conn := p.conn
		if conn == nil {
			var err error
			conn, p.owned, err = p.s.reader(ctx)
			if err != nil {
				return 0, err
			}
			p.conn = conn
		}
		if p.plan.UsesCatalog {
			if err := p.s.ensureCatalog(ctx, conn); err != nil {
				return 0, err
			}
		}
		args := p.s.extraArgs(p.plan.Extra)
		last := len(p.plan.SQL) - 1
		for i, q := range p.plan.SQL {
			if i < last {
				if _, err := conn.Exec(ctx, q, args...); err != nil {
					return 0, err
				}
				continue
			}
			rows, err := conn.Query(ctx, q, args...)
			if err != nil {
				return 0, err
			}
			p.rows = rows
			p.scales = numericScales(p.plan.Columns)
		}
	}
	var n int64
	for count < 0 || n < count {
		row, err := p.rows.Next()
		if err != nil {
			return n, err
		}
		if row == nil {
			p.finishRows()
			break
		}
		if p.scales != nil {
			applyNumericScales(row, p.scales)
		}
		if err := w.Row(row); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// discardRows counts rows without sending them (MOVE).
type discardRows struct{ pgwire.ResultWriter }

func (discardRows) Row([]any) error { return nil }
