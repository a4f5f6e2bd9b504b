package pgwire

import (
	"errors"
	"io"
	"math"
	"sync"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// CopyBoth is the sub-protocol of streaming replication
// (START_REPLICATION): after CopyBothResponse both sides send CopyData,
// each side ends its half with CopyDone.

// CopyStream is the session's end of a CopyBoth exchange. Send and Recv
// may be called from two different goroutines (one sending WAL, one
// reading status updates), but each from one goroutine at a time, and
// both MUST have returned before the session call that started the
// exchange returns.
type CopyStream interface {
	// Send sends data as one CopyData message and flushes it.
	Send(data []byte) error
	// Recv returns the payload of the client's next CopyData message,
	// valid until the next Recv; io.EOF when the client sent CopyDone.
	// Cancelling the statement (CancelRequest, server shutdown) makes a
	// blocked Recv return the context's error.
	Recv() ([]byte, error)
	// Done sends CopyDone, ending the server's half of the exchange.
	Done() error
	// Interrupt makes a blocked or later Recv fail, so that a receiving
	// goroutine can be stopped. The connection ends after the session
	// call, since the client's stream was cut at an unknown point.
	Interrupt()
}

// CopyBoth starts a CopyBoth exchange: it sends CopyBothResponse (binary,
// no columns) and returns the stream.
func (w *resultWriter) CopyBoth() (CopyStream, error) {
	if err := w.checkCopy(CopyBinary, 0); err != nil {
		return nil, err
	}
	if w.extended {
		return nil, pgerr.New(pgerr.ProtocolViolation, "CopyBoth is only possible in the simple query protocol")
	}
	c := w.c
	c.wbuf = appendCopyResponse(c.wbuf, 'W', CopyBinary, 0)
	if err := c.flush(); err != nil {
		return nil, err
	}
	r := &copyInReader{c: c, ctx: c.currentStatementContext()}
	r.watchCancel()
	w.copyIn = r
	w.stream = &copyStream{c: c, in: r}
	return w.stream, nil
}

// endCopyBoth releases a CopyBoth stream and its reader after the
// session call, or at its Complete. A stream whose reading was
// interrupted before the client's CopyDone lost its place in the
// client's messages: the connection ends.
func (w *resultWriter) endCopyBoth() {
	s := w.stream
	w.stream, w.copyIn = nil, nil
	s.in.stopWatch()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.interrupted {
		return
	}
	if s.in.done {
		_ = s.c.nc.SetReadDeadline(time.Time{})
		return
	}
	if s.c.broken == nil {
		s.c.broken = &connLostError{err: errors.New("replication stream interrupted")}
	}
}

type copyStream struct {
	c  *conn
	in *copyInReader

	mu          sync.Mutex // serializes Send and Done
	buf         []byte
	done        bool
	interrupted bool
}

func (s *copyStream) Send(data []byte) error {
	if len(data) > math.MaxInt32-4 {
		return pgerr.New(pgerr.ProgramLimitExceeded, "CopyData message too large")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return pgerr.New(pgerr.InternalError, "CopyData after CopyDone")
	}
	buf, start := beginMessage(s.buf[:0], 'd')
	buf = append(buf, data...)
	s.buf = finishMessage(buf, start)
	return s.write()
}

func (s *copyStream) Done() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	s.buf = appendEmpty(s.buf[:0], 'c')
	return s.write()
}

// write sends s.buf on the socket directly: the connection's own write
// buffer belongs to the goroutine in the session call.
func (s *copyStream) write() error {
	if _, err := s.c.nc.Write(s.buf); err != nil {
		return &connLostError{err: err}
	}
	if cap(s.buf) > keepWriteBuffer {
		s.buf = nil
	}
	return nil
}

func (s *copyStream) Interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.interrupted {
		s.interrupted = true
		_ = s.c.nc.SetReadDeadline(time.Now())
	}
}

func (s *copyStream) Recv() ([]byte, error) {
	r := s.in
	r.rest = nil
	if r.err == nil && !r.done {
		r.next()
	}
	switch {
	case r.err != nil:
		return nil, r.err
	case r.done:
		return nil, io.EOF
	}
	return r.rest, nil
}
