package store

import (
	"context"
	"database/sql"
)

// A connection carries state that layers above keep per SQLite
// connection (the session layer keeps the state of its catalog emulation
// there). The store never looks at it.

// Attachment returns what the layer above stored on this connection.
func (c *Conn) Attachment() any { return c.attachment }

// SetAttachment stores a value on this connection for the layer above.
func (c *Conn) SetAttachment(v any) { c.attachment = v }

// ExecContext runs a statement directly on the connection, bypassing the
// statement cache and the WAL: for state that is not the user's data
// (attached in-memory databases). It satisfies the catalog's Execer.
func (c *Conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	dctx, err := c.startCall(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.conn.ExecContext(dctx, q, args...)
	return res, c.callErr(ctx, err)
}

// QueryContext runs a query directly on the connection.
// The rows are read under ctx until another call runs on the connection.
func (c *Conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	dctx, err := c.startCall(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.conn.QueryContext(dctx, q, args...)
	return rows, c.callErr(ctx, err)
}

// WithScratchWrites runs fn with the connection allowed to write: a
// reader is query_only, which also forbids writing its attached in-memory
// databases. fn MUST write nothing but those.
func (c *Conn) WithScratchWrites(ctx context.Context, fn func() error) error {
	if c.writer {
		// What fn writes is rolled back with the transaction, but not with
		// a batch that fails after the transaction committed: the
		// transaction commits SQLite itself (batch.go).
		c.noBatch = c.noBatch || c.inTx
		return fn()
	}
	if _, err := c.ExecContext(ctx, "PRAGMA query_only = 0"); err != nil {
		return MapError(err)
	}
	err := fn()
	if _, rerr := c.ExecContext(context.Background(), "PRAGMA query_only = 1"); rerr != nil && err == nil {
		err = MapError(rerr)
	}
	return err
}
