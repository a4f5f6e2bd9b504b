package pgwire

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Buffer sizes. An idle connection holds its read buffer and a small
// write buffer; buffers that grew for a large message or result are
// dropped once it has been handled.
const (
	readBufferSize = 8 << 10
	// flushThreshold is the size of buffered output at which results are
	// written out without waiting for a flush point.
	flushThreshold = 32 << 10
	// keepWriteBuffer is the largest write buffer kept across flushes
	// while a statement streams results; idleWriteBuffer the largest kept
	// while the connection waits for the client.
	keepWriteBuffer = 64 << 10
	idleWriteBuffer = 8 << 10
	// keepBodyBuffer is the largest body buffer kept across messages.
	keepBodyBuffer = 1 << 20
	// smallMessageLimit is PostgreSQL's PQ_SMALL_MESSAGE_LIMIT, the limit
	// for messages that carry no user data.
	smallMessageLimit = 10000
	// largeReadChunk bounds how much a large message's buffer grows ahead
	// of the bytes actually received.
	largeReadChunk = 256 << 10
)

// conn is one client connection. One goroutine (serve) owns it; other
// goroutines only touch the fields guarded by mu, and the net.Conn's
// deadline and Close.
type conn struct {
	srv    *Server
	nc     net.Conn // raw, or *tls.Conn after SSLRequest
	remote string
	log    zerolog.Logger

	rd   *bufio.Reader
	rs   readState
	body []byte // buffer for message bodies larger than rd's buffer
	wbuf []byte
	// broken is the first error writing to the client; nothing is sent
	// after it.
	broken error
	// syncLost says the client sent a message it should not have in the
	// middle of COPY: after that statement's error the connection ends.
	syncLost bool

	baseCtx    context.Context
	baseCancel context.CancelCauseFunc

	counted bool // counted in srv.sessions; guarded by srv.mu

	pid, secret uint32 // set by cancelRegistry.register under its mutex
	info        StartupInfo
	sess        Session

	// Extended protocol state.
	stmts          map[string]*preparedStmt
	portals        map[string]*portalState
	ignoreTillSync bool

	rw resultWriter

	mu         sync.Mutex // guards the fields below
	stmtCtx    context.Context
	stmtCancel context.CancelCauseFunc
	busy       bool // in a call into the session: CancelRequest applies
	idle       bool // waiting for the client between statements, or in startup
	pending    []Param
	notices    []*Notice
}

func newConn(ctx context.Context, s *Server, nc net.Conn) *conn {
	c := &conn{
		srv:    s,
		nc:     nc,
		remote: nc.RemoteAddr().String(),
	}
	c.baseCtx, c.baseCancel = context.WithCancelCause(ctx)
	c.log = s.log.With().Str("remote", c.remote).Logger()
	c.rw.c = c
	return c
}

// refuseOverload answers a connection past the server's hard limit of
// live connections and closes it.
func (c *conn) refuseOverload() {
	defer c.baseCancel(context.Canceled)
	_ = c.nc.SetDeadline(time.Now().Add(time.Second))
	c.appendError(pgerr.Fatal(pgerr.TooManyConnections, "sorry, too many clients already"))
	_ = c.flush()
	c.nc.Close()
}

// serve runs the connection to its end.
func (c *conn) serve() {
	defer c.finish()
	c.rd = bufio.NewReaderSize(c.nc, readBufferSize)
	if !c.startup() {
		return
	}
	c.run()
}

// finish is the connection's last line of defence: it turns a panic
// into a logged stack and a FATAL, then releases everything.
func (c *conn) finish() {
	if r := recover(); r != nil {
		c.log.Error().Interface("panic", r).Bytes("stack", debug.Stack()).Msg("pgwire: connection panicked, closing it")
		if c.srv.onPanic != nil {
			c.srv.onPanic(r)
		}
		c.wbuf = c.wbuf[:0]
		if c.broken == nil {
			c.appendError(pgerr.Fatal(pgerr.InternalError, "terminating connection because of an internal error"))
			_ = c.flush()
		}
	}
	c.release()
}

// release closes the session, the statements and the socket. It recovers
// from panics in the session's Close methods.
func (c *conn) release() {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error().Interface("panic", r).Bytes("stack", debug.Stack()).Msg("pgwire: panic while closing a session")
			if c.srv.onPanic != nil {
				c.srv.onPanic(r)
			}
		}
		// Free the slot before the client sees the close, so that it can
		// reconnect at once.
		c.srv.cancels.unregister(c.pid)
		c.srv.untrackConn(c)
		c.nc.Close()
		c.baseCancel(context.Canceled)
	}()
	c.closeAllPortals()
	for name, st := range c.stmts {
		delete(c.stmts, name)
		st.prep.Close()
	}
	if c.sess != nil {
		sess := c.sess
		c.sess = nil
		sess.Close()
	}
}

// interruptIfIdle wakes the connection when it waits for the client, so
// that it notices the shutdown. Called by the Server.
func (c *conn) interruptIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle {
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

// forceClose cancels what runs and closes the socket. Called by the
// Server when a graceful shutdown ran out of time.
func (c *conn) forceClose() {
	c.mu.Lock()
	nc := c.nc
	c.mu.Unlock()
	c.baseCancel(errAdminShutdown)
	nc.Close()
}

// run reads and dispatches messages until the connection ends.
func (c *conn) run() {
	for {
		typ, body, err := c.readIdle()
		if err != nil {
			c.readFailed(err, pgerr.AdminShutdown, "terminating connection due to administrator command")
			return
		}
		if !c.dispatch(typ, body) {
			return
		}
		if c.broken != nil {
			return
		}
		c.releaseBuffers()
	}
}

// dispatch handles one message; false ends the connection.
func (c *conn) dispatch(typ byte, body []byte) bool {
	if c.ignoreTillSync && typ != 'S' && typ != 'X' {
		return true
	}
	switch typ {
	case 'Q':
		return c.handleQuery(body)
	case 'P', 'B', 'D', 'E', 'C', 'H':
		return c.handleExtended(typ, body)
	case 'S':
		return c.handleSync(body)
	case 'X':
		return false
	case 'd', 'c', 'f':
		// CopyData, CopyDone and CopyFail outside COPY: the client is still
		// sending the data of a COPY that failed. PostgreSQL ignores them.
		return true
	case 'F':
		return c.handleFunctionCall()
	}
	// readMessage lets only the types above through.
	return c.fatal(pgerr.Fatal(pgerr.ProtocolViolation, "invalid frontend message type %d", typ))
}

// readIdle reads the next message while the connection waits for the
// client: Shutdown may interrupt it.
func (c *conn) readIdle() (byte, []byte, error) {
	// In the middle of an extended-protocol batch (answers not yet sent,
	// messages already received, or discarding until Sync) the client is
	// not idle: a shutdown lets the batch run to its Sync.
	midBatch := len(c.wbuf) > 0 || c.rd.Buffered() > 0 || c.ignoreTillSync
	c.mu.Lock()
	if c.srv.shutting.Load() && !midBatch {
		c.mu.Unlock()
		return 0, nil, errShuttingDown
	}
	c.idle = !midBatch
	c.mu.Unlock()
	typ, body, err := c.readMessage()
	c.mu.Lock()
	c.idle = false
	if err == nil && c.srv.shutting.Load() {
		// Shutdown may have set a deadline to wake us just as the message
		// arrived: clear it, so that it cannot break a COPY the message
		// starts. The next readIdle answers the shutdown.
		_ = c.nc.SetReadDeadline(time.Time{})
	}
	c.mu.Unlock()
	if err != nil && c.srv.shutting.Load() && isTimeout(err) {
		err = errShuttingDown
	}
	return typ, body, err
}

var errShuttingDown = errors.New("pgwire: server is shutting down")

// readFailed ends the connection after a failed read: it answers a
// shutdown with FATAL code/msg, a protocol violation with its FATAL, and
// stays silent when the client went away.
func (c *conn) readFailed(err error, code pgerr.Code, msg string) {
	switch {
	case errors.Is(err, errShuttingDown):
		c.fatal(pgerr.Fatal(code, "%s", msg))
	case pgerr.As(err) != nil:
		c.fatal(err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		c.log.Debug().Err(err).Msg("client closed the connection")
	case isTimeout(err):
		c.log.Info().Err(err).Msg("client timed out")
	default:
		c.log.Debug().Err(err).Msg("read from client failed")
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// fatal sends err (made FATAL) and reports false, ending the connection.
func (c *conn) fatal(err error) bool {
	c.sendError(err)
	return false
}

// readState is the position in a message being read; reads can be
// interrupted (deadline) and resumed without losing the framing.
type readState struct {
	inBody bool
	typ    byte
	n      int // body length
	got    int // body bytes read into c.body so far
}

// messageLimit returns the largest body allowed for a message type, or
// -1 for a type that is not a frontend message after startup. The limits
// are PostgreSQL's (postgres.c SocketBackend).
func (c *conn) messageLimit(typ byte) int {
	switch typ {
	case 'Q', 'P', 'B', 'F', 'd', 'c', 'f':
		return c.srv.cfg.MaxMessageSize
	case 'C', 'D', 'E', 'H', 'S', 'X':
		return smallMessageLimit
	}
	return -1
}

// readMessage reads one message. The body is valid until the next read.
// Oversized and unknown messages are rejected from their header alone.
func (c *conn) readMessage() (byte, []byte, error) {
	if !c.rs.inBody {
		hdr, err := c.rd.Peek(5)
		if err != nil {
			if len(hdr) == 0 && errors.Is(err, io.EOF) {
				return 0, nil, io.EOF
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, err
		}
		typ := hdr[0]
		n := int64(int32(binary.BigEndian.Uint32(hdr[1:]))) - 4
		limit := c.messageLimit(typ)
		if limit < 0 {
			return 0, nil, pgerr.Fatal(pgerr.ProtocolViolation, "invalid frontend message type %d", typ)
		}
		if n < 0 || n > int64(limit) {
			e := pgerr.Fatal(pgerr.ProtocolViolation, "invalid message length")
			if n > 0 {
				e.Detail = fmt.Sprintf("A message of type '%c' may not exceed %d bytes; this one has %d.", typ, limit, n)
			}
			return 0, nil, e
		}
		_, _ = c.rd.Discard(5)
		c.rs = readState{inBody: true, typ: typ, n: int(n)}
	}
	n := c.rs.n
	if n <= c.rd.Size() {
		b, err := c.rd.Peek(n)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, err
		}
		_, _ = c.rd.Discard(n)
		c.rs.inBody = false
		return c.rs.typ, b, nil
	}
	// A large message: grow the buffer as the bytes arrive, never ahead
	// of them by more than largeReadChunk.
	for c.rs.got < n {
		want := min(n, c.rs.got+largeReadChunk)
		if cap(c.body) < want {
			nb := make([]byte, want, min(n, max(want, 2*cap(c.body))))
			copy(nb, c.body[:c.rs.got])
			c.body = nb
		}
		c.body = c.body[:cap(c.body)]
		m, err := c.rd.Read(c.body[c.rs.got:want])
		c.rs.got += m
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, err
		}
	}
	c.rs.inBody = false
	return c.rs.typ, c.body[:n], nil
}

// releaseBuffers drops buffers that grew for one large message or result.
func (c *conn) releaseBuffers() {
	if cap(c.body) > keepBodyBuffer {
		c.body = nil
	}
	if cap(c.wbuf) > idleWriteBuffer && len(c.wbuf) == 0 {
		c.wbuf = nil
	}
}

// flush writes the buffered messages to the client.
func (c *conn) flush() error {
	if c.broken != nil {
		c.wbuf = c.wbuf[:0]
		return c.broken
	}
	if len(c.wbuf) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.wbuf)
	if cap(c.wbuf) > keepWriteBuffer {
		c.wbuf = nil
	} else {
		c.wbuf = c.wbuf[:0]
	}
	if err != nil {
		c.broken = &connLostError{err: err}
		c.log.Debug().Err(err).Msg("write to client failed")
		return c.broken
	}
	return nil
}

// maybeFlush writes the buffered messages out when they are many.
func (c *conn) maybeFlush() error {
	if len(c.wbuf) >= flushThreshold {
		return c.flush()
	}
	if c.broken != nil {
		return c.broken
	}
	return nil
}

// connLostError marks a failure of the connection itself: nothing more
// can be sent, the connection ends.
type connLostError struct{ err error }

func (e *connLostError) Error() string { return "pgwire: connection lost: " + e.err.Error() }
func (e *connLostError) Unwrap() error { return e.err }

// notify queues a ParameterStatus for the next ReadyForQuery. It is
// StartupInfo.Notify and may be called from any goroutine.
func (c *conn) notify(name, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.pending {
		if c.pending[i].Name == name {
			c.pending[i].Value = value
			return
		}
	}
	c.pending = append(c.pending, Param{Name: name, Value: value})
}

// notice queues a NoticeResponse for the next ReadyForQuery. It is
// StartupInfo.Notice and may be called from any goroutine.
func (c *conn) notice(n *Notice) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.notices) < maxQueuedNotices {
		c.notices = append(c.notices, n)
	}
}

// maxQueuedNotices bounds the notices queued between two ReadyForQuery.
const maxQueuedNotices = 100

// sendReady sends the queued notices, ParameterStatus messages and
// ReadyForQuery, then flushes: the client waits for it.
func (c *conn) sendReady() bool {
	c.mu.Lock()
	pending, notices := c.pending, c.notices
	c.pending, c.notices = nil, nil
	c.mu.Unlock()
	for _, n := range notices {
		c.wbuf, _ = noticeResponse(n).Encode(c.wbuf)
	}
	for _, p := range pending {
		c.wbuf = appendParameterStatus(c.wbuf, p.Name, p.Value)
	}
	c.wbuf = appendReadyForQuery(c.wbuf, c.sess.TxStatus())
	return c.flush() == nil
}
