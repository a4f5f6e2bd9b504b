package store

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// A *pgerr.Error returned by a function registered in SQLite reaches us
// as text, "message (SQLSTATE 22012)" or "message (SQLSTATE 22012): detail"
// (pgerr.Error's own format), possibly inside SQLite's wording.
var reRaised = regexp.MustCompile(`(?s)^(.*?) \(SQLSTATE ([0-9A-Z]{5})\)(?:: (.*))?$`)

// raisedText strips what modernc wraps around a function's error text:
// a "SQL logic error: " prefix and a " (1)" suffix.
func raisedText(msg string) string {
	msg = strings.TrimPrefix(msg, "SQL logic error: ")
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") && strings.Trim(msg[i+2:len(msg)-1], "0123456789") == "" {
		msg = msg[:i]
	}
	return msg
}

var (
	reNoTable     = regexp.MustCompile(`no such table: (?:main\.)?(\S+)`)
	reNoColumn    = regexp.MustCompile(`no such column: (\S+)`)
	reSyntax      = regexp.MustCompile(`near "((?:[^"]|"")*)": syntax error`)
	reUnique      = regexp.MustCompile(`UNIQUE constraint failed: ([^,\s]+)`)
	reNotNull     = regexp.MustCompile(`NOT NULL constraint failed: (\S+)`)
	reCheck       = regexp.MustCompile(`CHECK constraint failed: (.+)`)
	reTableExists = regexp.MustCompile(`table "?([^"\s]+)"? already exists`)
	reIndexExists = regexp.MustCompile(`index "?([^"\s]+)"? already exists`)
	reNoFunc      = regexp.MustCompile(`no such function: (\S+)`)
	reDupColumn   = regexp.MustCompile(`duplicate column name: (\S+)`)
	reNoIndex     = regexp.MustCompile(`no such index: (\S+)`)
)

// MapError turns an error from SQLite into a *pgerr.Error with the
// SQLSTATE PostgreSQL would use. Context errors and *pgerr.Error pass
// through; nil stays nil.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	if pgerr.As(err) != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := err.Error()
	if m := reRaised.FindStringSubmatch(raisedText(msg)); m != nil {
		return &pgerr.Error{Code: pgerr.Code(m[2]), Message: m[1], Detail: m[3], Cause: err}
	}
	var se *sqlite.Error
	code := 0
	if errors.As(err, &se) {
		code = se.Code()
		msg = stripCode(se.Error())
	}
	switch {
	case code == sqlite3.SQLITE_INTERRUPT:
		return &pgerr.Error{Code: pgerr.QueryCanceled, Message: "canceling statement due to user request", Cause: err}
	case isBusy(err):
		return &pgerr.Error{Code: pgerr.SerializationFailure, Message: "could not serialize access due to concurrent update", Detail: msg, Cause: err}
	case code&0xff == sqlite3.SQLITE_READONLY:
		return &pgerr.Error{Code: pgerr.ReadOnlySQLTransaction, Message: "cannot execute statement in a read-only transaction", Cause: err}
	case code&0xff == sqlite3.SQLITE_FULL:
		return &pgerr.Error{Code: pgerr.DiskFull, Message: "could not extend file: " + msg, Cause: err}
	case code&0xff == sqlite3.SQLITE_IOERR:
		return &pgerr.Error{Code: pgerr.IOError, Message: "I/O error: " + msg, Cause: err}
	case code&0xff == sqlite3.SQLITE_CORRUPT || code&0xff == sqlite3.SQLITE_NOTADB:
		return &pgerr.Error{Code: pgerr.DataCorrupted, Message: "database file is corrupt: " + msg, Cause: err}
	case code&0xff == sqlite3.SQLITE_TOOBIG:
		return &pgerr.Error{Code: pgerr.ProgramLimitExceeded, Message: "value too large: " + msg, Cause: err}
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		e := &pgerr.Error{Code: pgerr.UniqueViolation, Message: "duplicate key value violates unique constraint", Cause: err}
		if m := reUnique.FindStringSubmatch(msg); m != nil {
			table, _, _ := strings.Cut(m[1], ".")
			e.Table = table
			e.Constraint = table + "_pkey"
			if code == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
				e.Constraint = strings.ReplaceAll(m[1], ".", "_") + "_key"
			}
			e.Message += ` "` + e.Constraint + `"`
			e.Detail = "Key (" + constraintColumns(msg) + ") already exists."
		}
		return e
	case code == sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		e := &pgerr.Error{Code: pgerr.NotNullViolation, Message: "null value violates not-null constraint", Cause: err}
		if m := reNotNull.FindStringSubmatch(msg); m != nil {
			table, col, _ := strings.Cut(m[1], ".")
			e.Table, e.Column = table, col
			e.Message = `null value in column "` + col + `" of relation "` + table + `" violates not-null constraint`
		}
		return e
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &pgerr.Error{Code: pgerr.ForeignKeyViolation, Message: "insert or update on table violates foreign key constraint", Cause: err}
	case code == sqlite3.SQLITE_CONSTRAINT_CHECK:
		e := &pgerr.Error{Code: pgerr.CheckViolation, Message: "new row violates check constraint", Cause: err}
		if m := reCheck.FindStringSubmatch(msg); m != nil {
			e.Constraint = m[1]
			e.Message = `new row violates check constraint "` + m[1] + `"`
		}
		return e
	case code&0xff == sqlite3.SQLITE_CONSTRAINT:
		return &pgerr.Error{Code: pgerr.IntegrityConstraintViolation, Message: msg, Cause: err}
	}
	if m := reNoTable.FindStringSubmatch(msg); m != nil {
		return &pgerr.Error{Code: pgerr.UndefinedTable, Message: `relation "` + m[1] + `" does not exist`, Cause: err}
	}
	if m := reNoColumn.FindStringSubmatch(msg); m != nil {
		return &pgerr.Error{Code: pgerr.UndefinedColumn, Message: `column "` + m[1] + `" does not exist`, Cause: err}
	}
	if m := reTableExists.FindStringSubmatch(msg); m != nil {
		return &pgerr.Error{Code: pgerr.DuplicateTable, Message: `relation "` + m[1] + `" already exists`, Cause: err}
	}
	if m := reIndexExists.FindStringSubmatch(msg); m != nil {
		return &pgerr.Error{Code: pgerr.DuplicateTable, Message: `relation "` + m[1] + `" already exists`, Cause: err}
	}
	if m := reNoIndex.FindStringSubmatch(msg); m != nil {
		return &pgerr.Error{Code: pgerr.UndefinedObject, Message: `index "` + m[1] + `" does not exist`, Cause: err}
	}
	if m := reNoFunc.FindStringSubmatch(msg); m != nil {
		return &pgerr.Error{Code: pgerr.UndefinedFunction, Message: "function " + m[1] + " does not exist", Cause: err}
	}
	if m := reDupColumn.FindStringSubmatch(msg); m != nil {
		return &pgerr.Error{Code: pgerr.DuplicateColumn, Message: `column "` + m[1] + `" specified more than once`, Cause: err}
	}
	if m := reSyntax.FindStringSubmatch(msg); m != nil {
		return &pgerr.Error{Code: pgerr.SyntaxError, Message: `syntax error at or near "` + m[1] + `"`, Cause: err}
	}
	if strings.Contains(msg, "syntax error") || strings.Contains(msg, "incomplete input") {
		return &pgerr.Error{Code: pgerr.SyntaxError, Message: msg, Cause: err}
	}
	if strings.Contains(msg, "datatype mismatch") {
		return &pgerr.Error{Code: pgerr.DatatypeMismatch, Message: msg, Cause: err}
	}
	if strings.Contains(msg, "too many SQL variables") || strings.Contains(msg, "too many terms") {
		return &pgerr.Error{Code: pgerr.ProgramLimitExceeded, Message: msg, Cause: err}
	}
	if strings.Contains(msg, "interrupted") {
		return &pgerr.Error{Code: pgerr.QueryCanceled, Message: "canceling statement due to user request", Cause: err}
	}
	return &pgerr.Error{Code: pgerr.InternalError, Message: msg, Cause: err}
}

// primaryCode is the primary result code of a SQLite error (the low byte
// of an extended code), 0 for any other error.
func primaryCode(err error) int {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return 0
	}
	return se.Code() & 0xff
}

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED:
// a lock that another connection held past the busy timeout.
func isBusy(err error) bool {
	code := primaryCode(err)
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}

// stripCode removes the " (1555)" suffix modernc adds to messages.
func stripCode(msg string) string {
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		tail := msg[i+2 : len(msg)-1]
		if strings.Trim(tail, "0123456789") == "" {
			return msg[:i]
		}
	}
	return msg
}

// constraintColumns turns "UNIQUE constraint failed: t.a, t.b" into "a, b".
func constraintColumns(msg string) string {
	_, list, ok := strings.Cut(msg, "constraint failed: ")
	if !ok {
		return ""
	}
	parts := strings.Split(list, ", ")
	for i, p := range parts {
		if _, col, ok := strings.Cut(p, "."); ok {
			parts[i] = col
		}
	}
	return strings.Join(parts, ", ")
}

func isNoTx(err error) bool {
	return strings.Contains(err.Error(), "no transaction is active")
}
