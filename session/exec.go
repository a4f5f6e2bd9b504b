package session

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/store"
)

// plan translates st against the schema the session's transaction sees.
func (s *Session) plan(ctx context.Context, st *pgsql.Statement, paramOIDs []uint32) (*pgsql.Plan, error) {
	if err := s.healthy(); err != nil {
		return nil, err
	}
	sc, err := s.eng.schema(ctx, s.tx.conn)
	if err != nil {
		return nil, err
	}
	return st.Plan(sc, paramOIDs)
}

// portal is a statement bound to its arguments and, once it runs, its
// open rows. Simple-protocol statements use a portal too.
type portal struct {
	s     *Session
	st    *pgsql.Statement
	plan  *pgsql.Plan
	args  []any
	cols  []pgwire.Column
	rows  *store.Rows
	conn  *store.Conn // released when the rows end, if owned
	owned bool
	count int64
	// scales are the numeric display scales of the result columns
	// (numericScales), set when the rows start.
	scales []int
	// suspendedAt is count when the last Execute stopped at its limit.
	suspendedAt int64
	done        bool
	// closed is set at transaction end; Execute then fails.
	closed bool
}

// execPlan runs plan for st with the client's args, writing at most
// maxRows rows (0: all). p carries the state of a portal between calls;
// nil runs the statement to completion.
func (s *Session) execPlan(ctx context.Context, st *pgsql.Statement, plan *pgsql.Plan, args []any, maxRows int, w pgwire.ResultWriter, p *portal) (bool, error) {
	if p == nil {
		p = &portal{s: s, st: st, plan: plan, args: args}
		defer p.close()
	}
	return p.run(ctx, maxRows, w)
}

func (p *portal) run(ctx context.Context, maxRows int, w pgwire.ResultWriter) (bool, error) {
	s := p.s
	if p.closed {
		return false, pgerr.New(pgerr.InvalidCursorName, "portal does not exist")
	}
	if p.done {
		// PostgreSQL answers an exhausted portal with an empty completion.
		return false, w.Complete(completionTag(p.st, p.count))
	}
	if p.rows == nil {
		if err := p.start(ctx); err != nil {
			return false, err
		}
		for _, n := range p.plan.Notices {
			sev := n.Severity
			if sev == "" {
				sev = pgerr.SeverityNotice
			}
			if err := w.Notice(&pgwire.Notice{Severity: sev, Code: string(n.Code), Message: n.Message, Detail: n.Detail, Hint: n.Hint}); err != nil {
				return false, err
			}
		}
		if p.rows == nil {
			p.done = true
			return false, w.Complete(completionTag(p.st, p.count))
		}
	}
	for maxRows <= 0 || int(p.count) < maxRows+p.prevCount() {
		row, err := p.rows.Next()
		if err != nil {
			p.close()
			return false, s.statementError(ctx, err)
		}
		if row == nil {
			p.finishRows()
			return false, w.Complete(completionTag(p.st, p.count))
		}
		if p.scales != nil {
			applyNumericScales(row, p.scales)
		}
		if err := w.Row(row); err != nil {
			return false, err
		}
		p.count++
	}
	p.suspendedAt = p.count
	return true, nil
}

// start runs the statements of the plan up to the one that returns rows.
func (p *portal) start(ctx context.Context) error {
	s := p.s
	args := append(p.args[:len(p.args):len(p.args)], s.extraArgs(p.plan.Extra)...)
	var c *store.Conn
	var err error
	if p.st.ReadOnly {
		c, p.owned, err = s.reader(ctx)
	} else {
		c, err = s.writer(ctx, p.st.Tag)
	}
	if err != nil {
		return err
	}
	p.conn = c
	if p.plan.UsesCatalog {
		if err := s.ensureCatalog(ctx, c); err != nil {
			p.release()
			return err
		}
	}
	last := len(p.plan.SQL) - 1
	for i, q := range p.plan.SQL {
		if i == last && p.plan.Columns != nil {
			rows, err := c.Query(ctx, q, args...)
			if err != nil {
				p.release()
				return err
			}
			if !p.st.ReadOnly {
				// Complete the statement's changes before logging it.
				if err := rows.Buffer(); err != nil {
					p.release()
					return err
				}
				c.Log(q, args)
			}
			p.rows = rows
			p.scales = numericScales(p.plan.Columns)
			return nil
		}
		n, err := c.Exec(ctx, q, args...)
		if err != nil {
			p.release()
			return err
		}
		if !p.st.ReadOnly {
			c.Log(q, args)
		}
		p.count = n
	}
	if p.plan.SchemaChange {
		s.tx.schemaChanged = true
		c.SchemaChanged()
		s.eng.store.InvalidateSchema()
	}
	p.release()
	return nil
}

// prevCount is the row count at the last suspension, so that maxRows
// counts rows per Execute call.
func (p *portal) prevCount() int { return int(p.suspendedAt) }

func (p *portal) finishRows() {
	p.done = true
	if p.rows != nil {
		p.rows.Close()
		p.rows = nil
	}
	p.release()
}

func (p *portal) release() {
	if p.owned && p.conn != nil {
		p.s.eng.store.Release(p.conn)
	}
	p.conn, p.owned = nil, false
}

func (p *portal) close() {
	if p.rows != nil {
		p.rows.Close()
		p.rows = nil
	}
	p.release()
	p.closed = true
}

// extraArgs computes the session values a plan binds after the client's
// arguments.
func (s *Session) extraArgs(extra []pgsql.SessionValue) []any {
	if len(extra) == 0 {
		return nil
	}
	out := make([]any, len(extra))
	now := time.Now()
	for i, v := range extra {
		switch v {
		case pgsql.ValueTxnTimestamp:
			start := s.tx.start
			if start.IsZero() {
				start = now
			}
			out[i] = formatTimestampTZ(start)
		case pgsql.ValueStatementTimestamp, pgsql.ValueClockTimestamp:
			out[i] = formatTimestampTZ(now)
		case pgsql.ValueRandomSeed:
			var b [8]byte
			rand.Read(b[:])
			out[i] = int64(binary.LittleEndian.Uint64(b[:]) >> 1)
		case pgsql.ValueCurrentUser:
			out[i] = s.info.User
		case pgsql.ValueDatabase:
			out[i] = s.eng.cfg.Database
		case pgsql.ValueBackendPID:
			out[i] = int64(s.info.ProcessID)
		case pgsql.ValueSettings:
			out[i] = s.settingsJSON()
		case pgsql.ValueLastCommitLSN:
			if s.lastCommit != 0 {
				out[i] = s.lastCommit.String()
			}
		default:
			out[i] = nil
		}
	}
	return out
}

// formatTimestampTZ prints t as the stored form of a timestamptz.
func formatTimestampTZ(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.999999") + "+00"
}

// completionTag is the CommandComplete text for st after n rows.
func completionTag(st *pgsql.Statement, n int64) string {
	switch st.Tag {
	case "INSERT":
		return "INSERT 0 " + strconv.FormatInt(n, 10)
	case "SELECT", "UPDATE", "DELETE", "MERGE", "COPY", "FETCH", "MOVE":
		return st.Tag + " " + strconv.FormatInt(n, 10)
	}
	return st.Tag
}
