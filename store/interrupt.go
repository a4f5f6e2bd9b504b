package store

import (
	"context"
	"reflect"
	"sync"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// Statement cancellation.
//
// A statement ends early when the context of its call is done
// (statement_timeout, a CancelRequest, shutdown). The driver does that
// with a goroutine per call that waits for the context, and database/sql
// starts another per Rows: for a single-row INSERT that is a goroutine
// start, a scheduler wake-up and an exit per statement, about 5 % of a
// commit's CPU.
//
// Instead every connection of the store has a SQLite progress handler,
// which sqlite3_step calls every progressSteps virtual-machine
// instructions on the goroutine running the statement: it interrupts the
// statement once the context of the call in progress is done. The driver
// is only ever given contexts that cannot be cancelled (driverCtx), so it
// starts no goroutine, and it never installs its own handler in place of
// ours (it does so for a cancellable context, and removes it after).
//
// A statement of fewer than progressSteps instructions is not interrupted:
// it ends about as soon as a check would have stopped it. PostgreSQL, too,
// looks for a cancel only at points of its choosing.
//
// The handler needs SQLite's database handle, which the driver keeps in
// an unexported field of its connection; it is read by reflection, once a
// connection. Should a driver release rename that field, the handle is
// not found, a warning is logged, and the connection gets the driver's own
// cancellation; TestProgressInterrupt fails first.

// progressSteps is how many virtual-machine instructions run between two
// looks at the context (the driver uses the same figure).
const progressSteps = 1000

// interruptible maps the SQLite handle of every connection with a
// progress handler to its Conn.
var interruptible sync.Map

// progressFn is progress as a C function pointer: the Go func value is a
// pointer to its code, stored in read-only data (see
// https://golang.org/s/go11func), as the driver converts its own
// callbacks.
var progressFn = *(*uintptr)(unsafe.Pointer(&struct {
	f func(*libc.TLS, uintptr) int32
}{progress}))

// progress is the progress handler: non-zero interrupts the statement,
// when its call's context ended or when it gives way to a publication
// (yield.go).
// It runs on the goroutine that runs the statement, the one that set
// c.done.
func progress(_ *libc.TLS, db uintptr) int32 {
	v, ok := interruptible.Load(db)
	if !ok {
		return 0
	}
	c := v.(*Conn)
	select {
	case <-c.done:
		return 1
	default:
	}
	if c.yieldNow() {
		return 1
	}
	return 0
}

// installInterrupt gives the connection its progress handler. It returns
// false when the SQLite handle cannot be found; the driver then cancels
// the connection's statements itself.
func (c *Conn) installInterrupt() bool {
	var db uintptr
	if err := c.conn.Raw(func(dc any) error {
		db = sqliteHandle(dc)
		return nil
	}); err != nil || db == 0 {
		return false
	}
	// A TLS of its own, as the driver uses for sqlite3_interrupt: the
	// connection's is not reachable, and registering takes only the
	// connection's mutex, which nothing else holds now.
	tls := libc.NewTLS()
	sqlite3.Xsqlite3_progress_handler(tls, db, progressSteps, progressFn, db)
	tls.Close()
	c.db = db
	interruptible.Store(db, c)
	return true
}

// removeInterrupt forgets the connection's handle before it is closed
// (SQLite may give a new connection the same address).
func (c *Conn) removeInterrupt() {
	if c.db != 0 {
		interruptible.Delete(c.db)
		c.db = 0
	}
}

// sqliteHandle returns the sqlite3* of a driver connection, or 0.
func sqliteHandle(dc any) uintptr {
	v := reflect.ValueOf(dc)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return 0
	}
	f := v.Elem().FieldByName("db")
	if !f.IsValid() || f.Kind() != reflect.Uintptr {
		return 0
	}
	return uintptr(f.Uint())
}

// driverCtx returns the context to give the driver for a call made under
// ctx, and makes ctx the one whose end interrupts the call.
func (c *Conn) driverCtx(ctx context.Context) context.Context {
	if c.db == 0 {
		return ctx
	}
	c.done = ctx.Done()
	return context.Background()
}

// startCall is driverCtx for a call that starts a statement: one under a
// context that already ended does not start (as the driver does).
func (c *Conn) startCall(ctx context.Context) (context.Context, error) {
	if done := ctx.Done(); done != nil {
		select {
		case <-done:
			return nil, ctx.Err()
		default:
		}
	}
	return c.driverCtx(ctx), nil
}

// callErr is the error of a driver call made under ctx: an interrupt
// because ctx ended is ctx's error, as the driver reports it.
func (c *Conn) callErr(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	if primaryCode(err) == sqlite3.SQLITE_INTERRUPT {
		return ctx.Err()
	}
	return err
}
