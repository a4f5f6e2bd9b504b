package session

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/replisql/replisql/pgsql"
	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
)

// runCopy runs COPY … FROM STDIN and COPY … TO STDOUT.
func (s *Session) runCopy(ctx context.Context, cp *pgsql.CopyStmt, w pgwire.ResultWriter) error {
	opts, format, err := copyOptions(cp)
	if err != nil {
		return err
	}
	if cp.From {
		return s.copyFrom(ctx, cp, opts, format, w)
	}
	return s.copyTo(ctx, cp, opts, format, w)
}

// copyOptions reads COPY's options and its wire format.
func copyOptions(cp *pgsql.CopyStmt) (pgwire.CopyOptions, pgwire.CopyFormat, error) {
	opts := pgwire.CopyOptions{
		Format:    cp.Format,
		Delimiter: cp.Delimiter,
		Null:      cp.Null,
		NullSet:   cp.Null != "",
		Header:    cp.Header,
		Quote:     cp.Quote,
		Escape:    cp.Escape,
	}
	if opts.Format == "binary" {
		// The SQL layer fills in text defaults; binary takes none of them.
		opts.Delimiter, opts.Null, opts.NullSet, opts.Quote, opts.Escape = "", "", false, "", ""
	}
	if err := opts.Validate(); err != nil {
		return opts, 0, err
	}
	return opts, opts.WireFormat(), nil
}

// copyColumns resolves the table's columns named by COPY.
func (s *Session) copyColumns(ctx context.Context, table string, names []string) ([]pgsql.TableColumn, error) {
	sc, err := s.eng.schema(ctx, s.tx.conn)
	if err != nil {
		return nil, err
	}
	t, ok := sc.Table(table)
	if !ok {
		return nil, pgerr.New(pgerr.UndefinedTable, "relation \"%s\" does not exist", table)
	}
	if len(names) == 0 {
		return t.Columns, nil
	}
	cols := make([]pgsql.TableColumn, 0, len(names))
	for _, n := range names {
		found := false
		for _, c := range t.Columns {
			if c.Name == n {
				cols = append(cols, c)
				found = true
				break
			}
		}
		if !found {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", n, table)
		}
	}
	return cols, nil
}

// copyFromVerb is the verb of COPY FROM STDIN's writer: its transaction
// waits for the client's data.
const copyFromVerb = "COPY FROM"

func (s *Session) copyFrom(ctx context.Context, cp *pgsql.CopyStmt, opts pgwire.CopyOptions, format pgwire.CopyFormat, w pgwire.ResultWriter) error {
	cols, err := s.copyColumns(ctx, cp.Table, cp.Columns)
	if err != nil {
		return err
	}
	conn, err := s.writer(ctx, copyFromVerb)
	if err != nil {
		return err
	}
	oids := make([]uint32, len(cols))
	names := make([]string, len(cols))
	var b strings.Builder
	b.WriteString("INSERT INTO " + quoteIdent(cp.Table) + " (")
	for i, c := range cols {
		oids[i], names[i] = c.TypeOID, c.Name
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.Name))
	}
	b.WriteString(") VALUES (")
	for i := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("?" + strconv.Itoa(i+1))
	}
	b.WriteString(")")
	insert := b.String()

	in, err := w.CopyIn(format, len(cols))
	if err != nil {
		return err
	}
	opts.ColumnNames = names
	r := pgwire.NewCopyReader(in, opts, oids)
	var n int64
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return copyError(err, cp.Table, n+1)
		}
		if _, err := conn.Exec(ctx, insert, row...); err != nil {
			return copyError(err, cp.Table, n+1)
		}
		conn.Log(insert, row)
		n++
	}
	return w.Complete("COPY " + strconv.FormatInt(n, 10))
}

// copyError adds COPY's context line to an error.
func copyError(err error, table string, line int64) error {
	if e := pgerr.As(err); e != nil && e.Detail == "" {
		c := *e
		c.Detail = "COPY " + table + ", line " + strconv.FormatInt(line, 10)
		return &c
	}
	return err
}

func (s *Session) copyTo(ctx context.Context, cp *pgsql.CopyStmt, opts pgwire.CopyOptions, format pgwire.CopyFormat, w pgwire.ResultWriter) error {
	st := cp.Query
	if st == nil {
		cols, err := s.copyColumns(ctx, cp.Table, cp.Columns)
		if err != nil {
			return err
		}
		list := make([]string, len(cols))
		for i, c := range cols {
			list[i] = quoteIdent(c.Name)
		}
		stmts, err := pgsql.Parse("SELECT " + strings.Join(list, ", ") + " FROM " + quoteIdent(cp.Table))
		if err != nil {
			return err
		}
		st = stmts[0]
	}
	plan, err := s.plan(ctx, st, nil)
	if err != nil {
		return err
	}
	if plan.Columns == nil {
		return pgerr.New(pgerr.FeatureNotSupported, "COPY query must have a RETURNING clause or return rows")
	}
	oids := make([]uint32, len(plan.Columns))
	names := make([]string, len(plan.Columns))
	for i, c := range plan.Columns {
		oids[i], names[i] = c.TypeOID, c.Name
	}
	out, err := w.CopyOut(format, len(oids))
	if err != nil {
		return err
	}
	cw := pgwire.NewCopyWriter(out, opts, oids)
	if opts.Header {
		if err := cw.WriteHeader(names); err != nil {
			return err
		}
	}
	cr := copyRows{cw: cw}
	if _, err := s.execPlan(ctx, st, plan, nil, 0, &cr, nil); err != nil {
		return err
	}
	if err := cw.Close(); err != nil {
		return err
	}
	return w.Complete("COPY " + strconv.FormatInt(cr.n, 10))
}

// copyRows feeds a query's rows to a COPY writer.
type copyRows struct {
	pgwire.ResultWriter
	cw *pgwire.CopyWriter
	n  int64
}

func (c *copyRows) Row(v []any) error {
	c.n++
	return c.cw.WriteRow(v)
}

func (c *copyRows) Complete(string) error { return nil }
