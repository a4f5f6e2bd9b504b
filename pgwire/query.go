package pgwire

import (
	"github.com/replisql/replisql/pgwire/pgerr"
)

// handleQuery runs a simple Query message: the session writes each
// statement's results; an error ends the query with ErrorResponse. One
// ReadyForQuery answers the message.
func (c *conn) handleQuery(body []byte) bool {
	sql, ok := cString(body)
	if !ok {
		return c.fatal(pgerr.Fatal(pgerr.ProtocolViolation, "invalid message format"))
	}
	// As in PostgreSQL, a simple query drops the unnamed statement.
	c.closeStatement("")
	c.rw.beginSimple()
	ctx := c.beginStatement()
	err := sessionErr(c.sess.Query(ctx, sql, &c.rw))
	c.endStatement()
	c.rw.endCopy()
	if err != nil && c.sendError(err) {
		return false
	}
	c.endOfTransactionCleanup()
	return c.sendReady()
}

// handleFunctionCall answers the fast-path FunctionCall message, which
// RepliSQL does not offer.
func (c *conn) handleFunctionCall() bool {
	if c.sendError(pgerr.New(pgerr.FeatureNotSupported, "function call protocol is not supported")) {
		return false
	}
	return c.sendReady()
}
