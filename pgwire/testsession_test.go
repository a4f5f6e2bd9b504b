package pgwire

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// This file holds a TEST DOUBLE of the session layer: it understands a
// handful of fixed commands, enough to drive every path of the protocol
// machine. The real session (SQL, transactions, storage) lives in
// another package.
//
// Commands (case-insensitive, several per simple Query separated by ';'):
//
//	select 1              one int4 row
//	select series N       N int4 rows 1..N, column "n" (N may be $1)
//	select $1, $2::T, ... echoes its parameters (types: given, T, or int4)
//	select text           one text row 'hello'
//	begin | commit | end | rollback
//	insert                INSERT 0 1, no rows
//	deallocate NAME|all   closes protocol-level statements (PreparedStatements)
//	set NAME = VALUE      SET; reports NAME through Notify
//	notice                a NoticeResponse, then DO
//	error                 22012 division by zero
//	syntax                42601 at position 8 (also at Prepare)
//	fatal                 FATAL 57P01-like error from the session
//	internal              a plain Go error (XX000)
//	typednil              completes, then returns a nil *pgerr.Error as error
//	panic                 panics
//	sleep DURATION        waits, or fails with the context's error
//	copy in               COPY FROM STDIN, text, 2 columns; counts lines
//	copy in binary        the same in binary format; counts bytes
//	copy out N            COPY TO STDOUT, N rows
//
// In a failed transaction block every command but commit/rollback fails
// with 25P02.

var errAborted = pgerr.New(pgerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")

type testHandler struct {
	mu       sync.Mutex // guards sessions
	sessions []*testSession
	// refuse makes NewSession fail with this error.
	refuse error
	// fuzz makes sessions safe for fuzzing: no panics, short sleeps.
	fuzz bool
}

func (h *testHandler) NewSession(_ context.Context, info StartupInfo) (Session, error) {
	if h.refuse != nil {
		return nil, h.refuse
	}
	s := &testSession{info: info, tx: 'I', fuzz: h.fuzz}
	h.mu.Lock()
	h.sessions = append(h.sessions, s)
	h.mu.Unlock()
	return s, nil
}

type testSession struct {
	info StartupInfo
	fuzz bool

	mu     sync.Mutex // guards the fields below
	tx     byte
	calls  []string
	closed bool
}

var _ Session = (*testSession)(nil)

func (s *testSession) record(call string) {
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
}

func (s *testSession) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *testSession) ParameterStatus() []Param {
	return []Param{
		{"application_name", s.info.Params["application_name"]},
		{"client_encoding", "UTF8"},
		{"DateStyle", "ISO, MDY"},
		{"integer_datetimes", "on"},
		{"IntervalStyle", "postgres"},
		{"is_superuser", "on"},
		{"server_encoding", "UTF8"},
		{"session_authorization", s.info.User},
		{"standard_conforming_strings", "on"},
		{"TimeZone", "Etc/UTC"},
	}
}

func (s *testSession) TxStatus() byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx
}

func (s *testSession) setTx(tx byte) {
	s.mu.Lock()
	s.tx = tx
	s.mu.Unlock()
}

func (s *testSession) SyncError() {
	s.record("SyncError")
	s.mu.Lock()
	if s.tx == 'T' {
		s.tx = 'E'
	}
	s.mu.Unlock()
}

func (s *testSession) Sync(context.Context) error {
	s.record("Sync")
	return nil
}

func (s *testSession) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

func (s *testSession) Query(ctx context.Context, sql string, w ResultWriter) error {
	s.record("Query " + sql)
	any := false
	for part := range strings.SplitSeq(sql, ";") {
		if strings.TrimSpace(stripComment(part)) == "" {
			continue
		}
		any = true
		st, err := parseTestCommand(part, nil)
		if err == nil && s.TxStatus() == 'E' && st.verb != "commit" && st.verb != "rollback" && st.verb != "end" {
			err = errAborted
		}
		if err != nil {
			s.fail()
			return err
		}
		if st.cols != nil {
			if err := w.Describe(st.cols); err != nil {
				return err
			}
		}
		if _, err := s.run(ctx, st, nil, &st.pos, 0, w); err != nil {
			s.fail()
			return err
		}
	}
	if !any {
		return w.EmptyQuery()
	}
	return nil
}

func stripComment(s string) string {
	if i := strings.Index(s, "--"); i >= 0 {
		return s[:i]
	}
	return s
}

// fail marks an open transaction block failed after an error.
func (s *testSession) fail() {
	s.mu.Lock()
	if s.tx == 'T' {
		s.tx = 'E'
	}
	s.mu.Unlock()
}

func (s *testSession) Prepare(_ context.Context, sql string, paramOIDs []uint32) (Prepared, error) {
	s.record("Prepare " + sql)
	st, err := parseTestCommand(sql, paramOIDs)
	if err != nil {
		return nil, err
	}
	return st, nil
}

func (s *testSession) Bind(_ context.Context, stmt Prepared, args []any) (Portal, error) {
	st := stmt.(*testStmt)
	s.record(fmt.Sprintf("Bind %s %v", st.verb, args))
	return &testPortal{s: s, st: st, args: args}, nil
}

// testStmt is a parsed test command; it is also the Prepared.
type testStmt struct {
	verb   string
	arg    string
	n      int
	oids   []uint32
	cols   []Column
	pos    int
	closed bool
}

func (st *testStmt) ParamOIDs() []uint32 { return st.oids }
func (st *testStmt) Columns() []Column   { return st.cols }
func (st *testStmt) Close()              { st.closed = true }

func int4Col(name string) Column {
	return Column{Name: name, TypeOID: OIDInt4, TypeSize: 4, TypeModifier: -1}
}

func parseTestCommand(sql string, paramOIDs []uint32) (*testStmt, error) {
	f := strings.Fields(strings.ToLower(strings.TrimRight(strings.TrimSpace(stripComment(sql)), ";")))
	if len(f) == 0 {
		return &testStmt{verb: "empty"}, nil
	}
	st := &testStmt{verb: f[0]}
	if len(f) > 1 {
		st.arg = f[1]
	}
	switch {
	case f[0] == "select" && len(f) == 2 && f[1] == "1":
		st.cols = []Column{int4Col("?column?")}
	case f[0] == "select" && len(f) == 3 && f[1] == "series" && f[2] == "$1":
		st.verb, st.n = "series", -1 // the count is the parameter
		st.oids = []uint32{OIDInt4}
		st.cols = []Column{int4Col("n")}
	case f[0] == "select" && len(f) == 3 && f[1] == "series":
		n, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, pgerr.New(pgerr.SyntaxError, "bad series %q", f[2])
		}
		st.verb, st.n = "series", n
		st.cols = []Column{int4Col("n")}
	case f[0] == "select" && len(f) == 2 && f[1] == "text":
		st.verb = "text"
		st.cols = []Column{{Name: "t", TypeOID: OIDText, TypeSize: -1, TypeModifier: -1}}
	case f[0] == "select" && len(f) >= 2 && strings.HasPrefix(f[1], "$"):
		st.verb = "echo"
		items := strings.Split(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.ToLower(sql)), "select")), ",")
		st.oids = make([]uint32, len(items))
		for i, item := range items {
			st.oids[i] = OIDInt4
			if _, typ, ok := strings.Cut(item, "::"); ok {
				oid, known := TypeOIDByName(strings.TrimSpace(typ))
				if !known {
					return nil, pgerr.New(pgerr.UndefinedObject, "type %q does not exist", typ)
				}
				st.oids[i] = oid
			}
			if i < len(paramOIDs) && paramOIDs[i] != 0 {
				st.oids[i] = paramOIDs[i]
			}
			st.cols = append(st.cols, Column{Name: "p" + strconv.Itoa(i+1), TypeOID: st.oids[i], TypeModifier: -1})
		}
	case f[0] == "syntax":
		return nil, &pgerr.Error{Code: pgerr.SyntaxError, Message: `syntax error at or near "syntax"`, Position: 8}
	case f[0] == "sleep":
		if _, err := time.ParseDuration(st.arg); err != nil {
			return nil, pgerr.New(pgerr.SyntaxError, "bad duration")
		}
	case f[0] == "copy" && len(f) >= 2:
		st.verb = "copy " + f[1]
		if len(f) > 2 {
			st.arg = f[2]
		}
	case f[0] == "set" && len(f) >= 4:
		_, value, _ := strings.Cut(stripComment(sql), "=") // keep the value's case
		st.arg = f[1] + "=" + strings.Trim(strings.TrimSpace(value), "'")
	case slicesContains([]string{"begin", "commit", "end", "rollback", "insert", "deallocate", "notice", "error", "fatal", "internal", "typednil", "panic"}, f[0]):
	default:
		return nil, pgerr.New(pgerr.SyntaxError, "test session does not know %q", sql)
	}
	return st, nil
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// run executes st, writing at most maxRows rows (0: all) from *pos on.
func (s *testSession) run(ctx context.Context, st *testStmt, args []any, pos *int, maxRows int, w ResultWriter) (bool, error) {
	if s.TxStatus() == 'E' && st.verb != "commit" && st.verb != "rollback" && st.verb != "end" {
		return false, errAborted
	}
	if (st.verb == "select" || st.verb == "text" || st.verb == "echo") && *pos > 0 {
		return false, w.Complete("SELECT 0") // a finished portal has no more rows
	}
	switch st.verb {
	case "empty":
		return false, w.EmptyQuery()
	case "select":
		*pos = 1
		if err := w.Row([]any{int64(1)}); err != nil {
			return false, err
		}
		return false, w.Complete("SELECT 1")
	case "text":
		*pos = 1
		if err := w.Row([]any{"hello"}); err != nil {
			return false, err
		}
		return false, w.Complete("SELECT 1")
	case "series":
		n := st.n
		if n < 0 {
			n = int(args[0].(int64))
		}
		sent := 0
		for *pos < n {
			if maxRows > 0 && sent == maxRows {
				return true, nil
			}
			if err := ctx.Err(); err != nil {
				return false, err
			}
			*pos++
			sent++
			if err := w.Row([]any{int64(*pos)}); err != nil {
				return false, err
			}
		}
		return false, w.Complete(fmt.Sprintf("SELECT %d", sent))
	case "echo":
		*pos = 1
		if err := w.Row(args); err != nil {
			return false, err
		}
		return false, w.Complete("SELECT 1")
	case "begin":
		s.setTx('T')
		return false, w.Complete("BEGIN")
	case "commit", "end":
		tag := "COMMIT"
		if s.TxStatus() == 'E' {
			tag = "ROLLBACK"
		}
		s.setTx('I')
		return false, w.Complete(tag)
	case "rollback":
		s.setTx('I')
		return false, w.Complete("ROLLBACK")
	case "insert":
		return false, w.Complete("INSERT 0 1")
	case "deallocate":
		ps := w.(PreparedStatements)
		if st.arg == "all" {
			ps.DeallocateAllPrepared()
			return false, w.Complete("DEALLOCATE ALL")
		}
		if !ps.DeallocatePrepared(st.arg) {
			return false, pgerr.New(pgerr.InvalidSQLStatementName, "prepared statement %q does not exist", st.arg)
		}
		return false, w.Complete("DEALLOCATE")
	case "set":
		name, value, _ := strings.Cut(st.arg, "=")
		s.info.Notify(name, value)
		return false, w.Complete("SET")
	case "notice":
		if err := w.Notice(&Notice{Message: "this is a notice"}); err != nil {
			return false, err
		}
		return false, w.Complete("DO")
	case "error":
		return false, pgerr.New(pgerr.DivisionByZero, "division by zero")
	case "fatal":
		return false, pgerr.Fatal(pgerr.AdminShutdown, "terminating connection due to test")
	case "internal":
		return false, errors.New("boom")
	case "typednil":
		// A session bug seen in the wild: a nil *pgerr.Error returned as
		// a non-nil error after the command completed.
		var e *pgerr.Error
		if err := w.Complete("SET"); err != nil {
			return false, err
		}
		return false, e
	case "panic":
		if s.fuzz {
			return false, errors.New("no panic while fuzzing")
		}
		panic("test session panics")
	case "sleep":
		d, _ := time.ParseDuration(st.arg)
		if s.fuzz {
			d = min(d, 10*time.Millisecond)
		}
		select {
		case <-time.After(d):
			return false, w.Complete("SELECT 0")
		case <-ctx.Done():
			return false, ctx.Err()
		}
	case "copy in":
		format := CopyText
		if st.arg == "binary" {
			format = CopyBinary
		}
		r, err := w.CopyIn(format, 2)
		if err != nil {
			return false, err
		}
		n := 0
		if format == CopyBinary {
			m, err := io.Copy(io.Discard, r)
			if err != nil {
				return false, err
			}
			n = int(m)
		} else {
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				if sc.Text() == `\.` {
					break // the rest (up to CopyDone) is pgwire's to drain
				}
				n++
			}
			if err := sc.Err(); err != nil {
				return false, err
			}
		}
		return false, w.Complete(fmt.Sprintf("COPY %d", n))
	case "copy out":
		n, _ := strconv.Atoi(st.arg)
		out, err := w.CopyOut(CopyText, 2)
		if err != nil {
			return false, err
		}
		for i := 1; i <= n; i++ {
			if _, err := fmt.Fprintf(out, "%d\tx%d\n", i, i); err != nil {
				return false, err
			}
		}
		return false, w.Complete(fmt.Sprintf("COPY %d", n))
	}
	return false, pgerr.New(pgerr.FeatureNotSupported, "test session cannot run %q", st.verb)
}

type testPortal struct {
	s      *testSession
	st     *testStmt
	args   []any
	pos    int
	closed bool
}

func (p *testPortal) Columns() []Column { return p.st.cols }
func (p *testPortal) Close()            { p.closed = true }

func (p *testPortal) Execute(ctx context.Context, maxRows int, w ResultWriter) (bool, error) {
	p.s.record(fmt.Sprintf("Execute %s %d", p.st.verb, maxRows))
	suspended, err := p.s.run(ctx, p.st, p.args, &p.pos, maxRows, w)
	if err != nil {
		p.s.fail()
	}
	return suspended, err
}
