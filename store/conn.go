package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// Conn is one SQLite connection with its prepared-statement cache. A Conn
// is used by one goroutine at a time: whoever took it from the Store.
type Conn struct {
	conn   *sql.Conn
	store  *Store
	writer bool
	inTx   bool
	// The open transaction's WAL record (writer only): nil until the first
	// logged statement. recBuf is kept for reuse.
	rec    []byte
	recBuf []byte
	start  time.Time
	// attachment belongs to the layer above (see attach.go).
	attachment any
	ddl        bool // the open transaction changed the schema
	stmts      map[string]*sql.Stmt
	// Writer only (see batch.go): the open batch of transactions SQLite
	// has not committed yet; whether the open transaction runs inside it;
	// whether the open transaction must not leave a batch open.
	batch   *batch
	nested  bool
	noBatch bool
	// SQLite's handle, when the connection has the store's progress
	// handler, and the Done channel of the call in progress, whose close
	// interrupts it (interrupt.go).
	db   uintptr
	done <-chan struct{}
	// Whether the statement running may give way to a publication, since
	// when it runs, and whether it did (yield.go).
	yieldable bool
	yielded   bool
	callStart time.Time
}

// maxCachedStmts bounds a connection's statement cache; past it the cache
// is emptied (statements are cheap to prepare again, and a workload with
// that many distinct statements gains nothing from caching them).
const maxCachedStmts = 512

// maxCachedSQL is the longest statement text that is cached: a long text
// is a bulk statement with its values inline (INSERT … VALUES of a
// thousand rows), whose compiled program is large and never runs again.
const maxCachedSQL = 4 << 10

func newConn(s *Store, c *sql.Conn, writer bool) *Conn {
	conn := &Conn{conn: c, store: s, writer: writer, stmts: make(map[string]*sql.Stmt)}
	if !conn.installInterrupt() {
		noHandleWarning.Do(func() {
			s.log.Warn().Msg("SQLite's handle is not reachable in this driver version: statements are cancelled by the driver's watcher goroutine")
		})
	}
	return conn
}

var noHandleWarning sync.Once

// IsWriter reports whether this is the writer connection.
func (c *Conn) IsWriter() bool { return c.writer }

// InTx reports whether a transaction is open on the connection.
func (c *Conn) InTx() bool { return c.inTx }

func (c *Conn) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.conn.PrepareContext(c.driverCtx(ctx), query)
	if err != nil {
		return nil, MapError(c.callErr(ctx, err))
	}
	if len(c.stmts) >= maxCachedStmts {
		c.dropStmts()
	}
	c.stmts[query] = st
	return st, nil
}

// dropStmts closes every cached statement. Called after a schema change,
// when SQLite would re-prepare them anyway, and when the cache is full.
func (c *Conn) dropStmts() {
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}

// SchemaChanged records that the open transaction ran DDL: cached
// statements are dropped, and Schema reads this transaction's own view of
// the schema until it ends.
func (c *Conn) SchemaChanged() {
	c.dropStmts()
	c.ddl = c.inTx
}

// Exec runs a statement that returns no rows and reports rows affected.
func (c *Conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if len(query) > maxCachedSQL {
		return c.ExecDirect(ctx, query, args...)
	}
	dctx, err := c.startCall(ctx)
	if err != nil {
		return 0, err
	}
	st, err := c.prepare(ctx, query)
	if err != nil {
		return 0, err
	}
	var res sql.Result
	err = c.runYielding(func() (err error) {
		res, err = st.ExecContext(dctx, args...)
		return err
	})
	if err != nil {
		return 0, MapError(c.callErr(ctx, err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, nil
	}
	return n, nil
}

// ExecDirect runs a statement without caching it (DDL, pragmas).
func (c *Conn) ExecDirect(ctx context.Context, query string, args ...any) (int64, error) {
	dctx, err := c.startCall(ctx)
	if err != nil {
		return 0, err
	}
	res, err := c.conn.ExecContext(dctx, query, args...)
	if err != nil {
		return 0, MapError(c.callErr(ctx, err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Query runs a statement and returns its rows. The caller MUST Close them.
func (c *Conn) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	var rows *sql.Rows
	dctx, err := c.startCall(ctx)
	if err != nil {
		return nil, err
	}
	if len(query) > maxCachedSQL {
		if rows, err = c.conn.QueryContext(dctx, query, args...); err != nil {
			return nil, MapError(c.callErr(ctx, err))
		}
	} else {
		st, err := c.prepare(ctx, query)
		if err != nil {
			return nil, err
		}
		// The driver runs the statement's first step here: all of the
		// work of a DML statement with RETURNING.
		if err := c.runYielding(func() (err error) {
			rows, err = st.QueryContext(dctx, args...)
			return err
		}); err != nil {
			return nil, MapError(c.callErr(ctx, err))
		}
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return nil, MapError(err)
	}
	r := &Rows{rows: rows, c: c, ctx: ctx, vals: make([]any, len(cols)), ptrs: make([]any, len(cols)), names: cols}
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}

// control runs a transaction-control statement (BEGIN, COMMIT, ROLLBACK
// and the store's own bookkeeping inside a commit). It is not
// interruptible: cancelling one half-way helps nobody.
func (c *Conn) control(query string, args ...any) error {
	_, err := c.Exec(context.Background(), query, args...)
	return err
}

// Begin opens a transaction. On the writer it is BEGIN IMMEDIATE, so the
// write lock is held from the start; on a reader it is a deferred
// transaction, a consistent snapshot from its first read on.
func (c *Conn) Begin(ctx context.Context) error {
	if c.inTx {
		return errors.New("store: transaction already open")
	}
	q := "BEGIN"
	if c.writer {
		q = "BEGIN IMMEDIATE"
		if c.batch != nil {
			// The open batch commits first: this transaction may wait
			// for its client, and the batch's members must not.
			if err := c.commitBatch(); err != nil {
				return err
			}
		}
	}
	if err := c.control(q); err != nil {
		return err
	}
	c.inTx = true
	return nil
}

// Commit commits the open transaction. On the writer, a transaction that
// logged statements is appended to the WAL first; the caller passes what
// Commit returns to Store.WaitCommitted before it acknowledges the commit.
func (c *Conn) Commit(ctx context.Context) (Committed, error) {
	if !c.inTx {
		return Committed{}, nil
	}
	var cm Committed
	var err error
	if c.writer {
		cm, err = c.commitWriter()
	} else {
		err = c.control("COMMIT")
	}
	if err != nil {
		// A failed COMMIT in SQLite may leave the transaction open.
		c.Rollback(context.Background())
		return Committed{}, err
	}
	c.inTx, c.ddl, c.noBatch = false, false, false
	return cm, nil
}

// Rollback rolls back the open transaction, if any.
func (c *Conn) Rollback(ctx context.Context) error {
	if !c.inTx {
		return nil
	}
	c.inTx, c.noBatch = false, false
	c.rec = nil
	if c.ddl {
		c.ddl = false
		c.dropStmts()
	}
	if c.nested {
		c.nested = false
		return c.rollbackMember()
	}
	err := c.control("ROLLBACK")
	if err != nil && isNoTx(err) {
		return nil
	}
	return err
}

func (c *Conn) close() {
	c.dropStmts()
	c.removeInterrupt()
	c.conn.Close()
}

// Rows iterates over a query's result.
type Rows struct {
	rows  *sql.Rows
	c     *Conn
	ctx   context.Context // of the query: its end interrupts reading
	names []string
	vals  []any
	ptrs  []any
	// buf holds the rows read ahead by Buffer.
	buf      [][]any
	buffered bool
}

// Buffer reads every row now and releases SQLite's statement; Next then
// returns the buffered rows. A DML statement with RETURNING is buffered so
// that its changes are complete (and any error is known) before it is
// logged, whatever the client does with the rows.
func (r *Rows) Buffer() error {
	r.c.driverCtx(r.ctx)
	for r.rows.Next() {
		if err := r.rows.Scan(r.ptrs...); err != nil {
			r.rows.Close()
			return MapError(err)
		}
		r.buf = append(r.buf, append([]any(nil), r.vals...))
	}
	err := r.c.callErr(r.ctx, r.rows.Err())
	r.rows.Close()
	r.buffered = true
	return MapError(err)
}

// Columns are SQLite's names of the result columns.
func (r *Rows) Columns() []string { return r.names }

// Next returns the next row, or nil at the end. The slice is reused by
// the next call.
func (r *Rows) Next() ([]any, error) {
	if r.buffered {
		if len(r.buf) == 0 {
			return nil, nil
		}
		row := r.buf[0]
		r.buf = r.buf[1:]
		return row, nil
	}
	r.c.driverCtx(r.ctx) // another call may have run on the connection since
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return nil, MapError(r.c.callErr(r.ctx, err))
		}
		return nil, nil
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return nil, MapError(err)
	}
	return r.vals, nil
}

// Close releases the rows.
func (r *Rows) Close() error { return r.rows.Close() }
