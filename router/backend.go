package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
)

// Backend is one connection to the leader, lent to one session at a time.
type Backend struct {
	user     string
	conn     *pgconn.PgConn
	settings map[string]string // session settings as last sent
	w        pgwire.ResultWriter
	broken   bool
	dirty    bool // a session changed settings on it directly: not reused
}

// Dirty marks the backend as changed by a session beyond what Settings
// tracks (a forwarded SET or RESET): the pool closes it instead of
// lending it to another session.
func (b *Backend) Dirty() { b.dirty = true }

func (b *Backend) notice(n *pgconn.Notice) {
	if b.w == nil {
		return
	}
	b.w.Notice(&pgwire.Notice{Severity: n.Severity, Code: n.Code, Message: n.Message, Detail: n.Detail, Hint: n.Hint})
}

// InTx reports whether the backend is inside a transaction on the leader.
func (b *Backend) InTx() bool { return b.conn.TxStatus() != 'I' }

// TxFailed reports whether that transaction failed (statements get 25P02
// until ROLLBACK).
func (b *Backend) TxFailed() bool { return b.conn.TxStatus() == 'E' }

// CommitLSN is the end LSN of the last transaction the backend's session
// committed on the leader ("" before any).
func (b *Backend) CommitLSN() string { return b.conn.ParameterStatus("replisql.commit_lsn") }

// Settings sends SET for each setting whose value differs from what the
// backend has.
func (b *Backend) Settings(ctx context.Context, settings map[string]string) error {
	var names []string // the changed ones: usually none
	for k, v := range settings {
		if b.settings[k] != v {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	var q strings.Builder
	for _, k := range names {
		fmt.Fprintf(&q, "SET %s = %s;", quoteIdent(k), quoteLiteral(settings[k]))
	}
	if _, err := b.conn.Exec(ctx, q.String()).ReadAll(); err != nil {
		return b.fail(err)
	}
	for _, k := range names {
		b.settings[k] = settings[k]
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// fail converts an error of the leader connection: the leader's own
// errors keep their SQLSTATE and fields; a lost connection marks the
// backend broken.
func (b *Backend) fail(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pgError(pe)
	}
	b.broken = true
	if pgerr.As(err) != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return pgerr.Wrap(err, pgerr.ConnectionFailure, "lost the connection to the leader: %v", err)
}

// Query runs one statement in the simple protocol on the leader and
// writes its results (RowDescription, rows, command tag) to w.
func (b *Backend) Query(ctx context.Context, sql string, w pgwire.ResultWriter) error {
	b.w = w
	defer func() { b.w = nil }()
	mrr := b.conn.Exec(ctx, sql)
	for mrr.NextResult() {
		if err := relay(mrr.ResultReader(), w, true); err != nil {
			mrr.Close()
			return b.fail(err)
		}
	}
	return b.fail(mrr.Close())
}

// Describe parses sql on the leader (unnamed statement) and returns its
// parameter types and result columns.
func (b *Backend) Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []pgwire.Column, error) {
	sd, err := b.conn.Prepare(ctx, "", sql, paramOIDs)
	if err != nil {
		return nil, nil, b.fail(err)
	}
	return sd.ParamOIDs, columns(sd.Fields), nil
}

// Exec runs sql in the extended protocol with args (SQLite
// representation, encoded as text per paramOIDs) and writes its rows and
// command tag to w (no RowDescription: the portal was described).
func (b *Backend) Exec(ctx context.Context, sql string, paramOIDs []uint32, args []any, w pgwire.ResultWriter) error {
	b.w = w
	defer func() { b.w = nil }()
	values := make([][]byte, len(args))
	for i, a := range args {
		if a == nil {
			continue
		}
		oid := uint32(0)
		if i < len(paramOIDs) {
			oid = paramOIDs[i]
		}
		v, err := pgwire.AppendValue(nil, oid, 0, a)
		if err != nil {
			return err
		}
		values[i] = v
	}
	oids := paramOIDs
	if len(oids) > len(args) {
		oids = oids[:len(args)]
	}
	rr := b.conn.ExecParams(ctx, sql, values, oids, nil, nil)
	if err := relay(rr, w, false); err != nil {
		return b.fail(err)
	}
	return nil
}

// CopyFrom runs COPY … FROM STDIN on the leader with the client's data.
func (b *Backend) CopyFrom(ctx context.Context, sql string, r io.Reader, w pgwire.ResultWriter) error {
	b.w = w
	defer func() { b.w = nil }()
	tag, err := b.conn.CopyFrom(ctx, r, sql)
	if err != nil {
		return b.fail(err)
	}
	return w.Complete(tag.String())
}

// relay copies one result: values are decoded from the leader's text
// into SQLite representation for pgwire to encode as the client asked.
func relay(rr *pgconn.ResultReader, w pgwire.ResultWriter, describe bool) error {
	fds := rr.FieldDescriptions()
	if describe && len(fds) > 0 {
		if err := w.Describe(columns(fds)); err != nil {
			rr.Close()
			return err
		}
	}
	row := make([]any, len(fds))
	for rr.NextRow() {
		for i, v := range rr.Values() {
			if v == nil {
				row[i] = nil
				continue
			}
			x, err := pgwire.DecodeParam(fds[i].DataTypeOID, fds[i].Format, v)
			if err != nil {
				rr.Close()
				return err
			}
			row[i] = x
		}
		if err := w.Row(row); err != nil {
			rr.Close()
			return err
		}
	}
	tag, err := rr.Close()
	if err != nil {
		return err
	}
	return w.Complete(tag.String())
}

func columns(fds []pgconn.FieldDescription) []pgwire.Column {
	if len(fds) == 0 {
		return nil
	}
	cols := make([]pgwire.Column, len(fds))
	for i, f := range fds {
		cols[i] = pgwire.Column{Name: f.Name, TableOID: f.TableOID, AttrNum: int16(f.TableAttributeNumber),
			TypeOID: f.DataTypeOID, TypeSize: f.DataTypeSize, TypeModifier: f.TypeModifier}
	}
	return cols
}
