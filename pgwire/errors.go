package pgwire

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// This file is the one place where an error becomes an ErrorResponse.

// sendError sends err to the client as an ErrorResponse and flushes. It
// reports whether the connection must end: err was FATAL (or PANIC), or
// the connection is lost.
func (c *conn) sendError(err error) (fatal bool) {
	if isNilError(err) {
		// A typed nil reached us as an error: report it rather than crash
		// on it (errors.As would call its methods).
		c.log.Error().Str("type", fmt.Sprintf("%T", err)).Msg("pgwire: nil error value sent as an error")
		err = pgerr.New(pgerr.InternalError, "internal error: %T(nil) returned as an error", err)
	}
	var lost *connLostError
	if errors.As(err, &lost) || c.broken != nil {
		return true
	}
	fatal = c.appendError(err)
	if !fatal && c.syncLost {
		fatal = c.appendError(pgerr.Fatal(pgerr.ProtocolViolation, "terminating connection because protocol synchronization was lost"))
	}
	if c.flush() != nil {
		return true
	}
	return fatal
}

// appendError buffers the ErrorResponse for err and reports whether it is
// FATAL.
func (c *conn) appendError(err error) (fatal bool) {
	msg := c.errorResponse(err)
	c.wbuf, _ = msg.Encode(c.wbuf)
	return msg.Severity == pgerr.SeverityFatal || msg.Severity == pgerr.SeverityPanic
}

// errorResponse maps err to the fields of an ErrorResponse:
//
//   - a *pgerr.Error anywhere in err's chain gives every field it has
//     (severity ERROR unless set);
//   - a cancelled context gives 57014 "canceling statement due to user
//     request", or FATAL 57P01 when the server cancelled it to shut down;
//   - an expired deadline gives 57014 "canceling statement due to
//     statement timeout";
//   - anything else is an internal error, XX000 with its message, and is
//     logged.
func (c *conn) errorResponse(err error) *pgproto3.ErrorResponse {
	if pe := pgerr.As(err); pe != nil {
		sev := pe.Severity
		if sev == "" {
			sev = pgerr.SeverityError
		}
		code := string(pe.Code)
		if len(code) != 5 {
			code = string(pgerr.InternalError)
		}
		if code[:2] == "XX" || code[:2] == "58" {
			c.log.Error().Err(err).Str("sqlstate", code).Msg("pgwire: internal error sent to client")
		} else {
			c.log.Debug().Err(err).Str("sqlstate", code).Msg("pgwire: error sent to client")
		}
		return &pgproto3.ErrorResponse{
			Severity:            sev,
			SeverityUnlocalized: sev,
			Code:                code,
			Message:             pe.Message,
			Detail:              pe.Detail,
			Hint:                pe.Hint,
			Position:            pe.Position,
			TableName:           pe.Table,
			ColumnName:          pe.Column,
			ConstraintName:      pe.Constraint,
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		if c.canceledForShutdown() {
			return newErrorResponse(pgerr.SeverityFatal, pgerr.AdminShutdown, "terminating connection due to administrator command")
		}
		return newErrorResponse(pgerr.SeverityError, pgerr.QueryCanceled, "canceling statement due to user request")
	case errors.Is(err, context.DeadlineExceeded):
		return newErrorResponse(pgerr.SeverityError, pgerr.QueryCanceled, "canceling statement due to statement timeout")
	}
	c.log.Error().Err(err).Msg("pgwire: internal error sent to client")
	return newErrorResponse(pgerr.SeverityError, pgerr.InternalError, err.Error())
}

func newErrorResponse(severity string, code pgerr.Code, msg string) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{Severity: severity, SeverityUnlocalized: severity, Code: string(code), Message: msg}
}

// canceledForShutdown reports whether the server cancelled the running
// statement because it shuts down.
func (c *conn) canceledForShutdown() bool {
	if c.baseCtx != nil && errors.Is(context.Cause(c.baseCtx), errAdminShutdown) {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmtCtx != nil && errors.Is(context.Cause(c.stmtCtx), errAdminShutdown)
}

// noticeResponse maps a Notice to its message. Severity defaults to
// NOTICE, Code to 00000 (01000 for a WARNING), as PostgreSQL does.
func noticeResponse(n *Notice) *pgproto3.NoticeResponse {
	sev := n.Severity
	if sev == "" {
		sev = pgerr.SeverityNotice
	}
	code := n.Code
	if code == "" {
		code = string(pgerr.SuccessfulCompletion)
		if sev == pgerr.SeverityWarning {
			code = string(pgerr.Warning)
		}
	}
	return &pgproto3.NoticeResponse{
		Severity:            sev,
		SeverityUnlocalized: sev,
		Code:                code,
		Message:             n.Message,
		Detail:              n.Detail,
		Hint:                n.Hint,
	}
}

// sessionErr normalizes an error returned by the session: a typed nil
// pointer in a non-nil error interface (a func returning *pgerr.Error as
// error) means no error.
func sessionErr(err error) error {
	if isNilError(err) {
		return nil
	}
	return err
}

// isNilError reports whether err is non-nil but holds a nil pointer.
func isNilError(err error) bool {
	if err == nil {
		return false
	}
	v := reflect.ValueOf(err)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
