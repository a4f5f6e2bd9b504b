package pgwire

import (
	"bytes"
	"context"
	"io"
	"math"
	"time"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// This file carries COPY's messages; the data format (text, csv,
// binary) is copyformat.go's business.
//
// COPY FROM STDIN: CopyInResponse, then the client sends CopyData*,
// then CopyDone (success) or CopyFail (the client gives up). Flush and
// Sync are ignored meanwhile, as PostgreSQL does; any other message is a
// protocol violation. COPY TO STDOUT: CopyOutResponse, CopyData*,
// CopyDone, CommandComplete.

func (w *resultWriter) startCopyIn(format CopyFormat, columns int) (io.Reader, error) {
	if err := w.checkCopy(format, columns); err != nil {
		return nil, err
	}
	c := w.c
	c.wbuf = appendCopyResponse(c.wbuf, 'G', format, columns)
	if err := c.flush(); err != nil {
		return nil, err
	}
	r := &copyInReader{c: c, ctx: c.currentStatementContext()}
	r.watchCancel()
	w.copyIn = r
	return r, nil
}

func (w *resultWriter) startCopyOut(format CopyFormat, columns int) (io.Writer, error) {
	if err := w.checkCopy(format, columns); err != nil {
		return nil, err
	}
	w.c.wbuf = appendCopyResponse(w.c.wbuf, 'H', format, columns)
	w.copyOut = true
	return copyOutWriter{w: w}, w.c.maybeFlush()
}

func (w *resultWriter) checkCopy(format CopyFormat, columns int) error {
	if w.copyIn != nil || w.copyOut { // a CopyBoth stream has copyIn too
		return pgerr.New(pgerr.InternalError, "COPY started while another COPY is in progress")
	}
	if format != CopyText && format != CopyBinary {
		return pgerr.New(pgerr.InternalError, "invalid COPY format %d", format)
	}
	if columns < 0 || columns > math.MaxInt16 {
		return pgerr.New(pgerr.InternalError, "invalid COPY column count %d", columns)
	}
	return nil
}

// endCopy releases COPY state after the session call that started it
// returned, whether it completed or failed.
func (w *resultWriter) endCopy() {
	if w.stream != nil {
		w.endCopyBoth()
	}
	if w.copyIn != nil {
		w.copyIn.stopWatch()
		w.copyIn = nil
	}
	w.copyOut = false
}

// copyInReader yields the payloads of the client's CopyData messages as
// one byte stream.
type copyInReader struct {
	c    *conn
	ctx  context.Context
	rest []byte // unread part of the current CopyData; aliases the read buffer
	done bool   // CopyDone received
	err  error  // sticky: CopyFail, protocol violation, lost connection, cancel

	// stop ends the watch on ctx; interrupted is closed once the watch
	// function has run, if it ran.
	stop        func() bool
	interrupted chan struct{}
}

// watchCancel makes a cancellation of the statement interrupt a read
// blocked on the client, so that a CancelRequest (or a server shutdown)
// stops a COPY FROM STDIN as it does in PostgreSQL.
func (r *copyInReader) watchCancel() {
	r.interrupted = make(chan struct{})
	r.stop = context.AfterFunc(r.ctx, func() {
		defer close(r.interrupted)
		_ = r.c.nc.SetReadDeadline(time.Now())
	})
}

// stopWatch ends the watch and clears a deadline it set.
func (r *copyInReader) stopWatch() {
	if r.stop == nil {
		return
	}
	if !r.stop() {
		<-r.interrupted
		_ = r.c.nc.SetReadDeadline(time.Time{})
	}
	r.stop = nil
}

func (r *copyInReader) Read(p []byte) (int, error) {
	for len(r.rest) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		if len(p) == 0 {
			return 0, nil
		}
		r.next()
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	return n, nil
}

// next reads the next message of the COPY sub-protocol.
func (r *copyInReader) next() {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return
	}
	typ, body, err := r.c.readMessage()
	if err != nil {
		switch {
		case r.ctx.Err() != nil && isTimeout(err):
			r.err = r.ctx.Err()
		case pgerr.As(err) != nil:
			r.err = err
		default:
			r.err = &connLostError{err: err}
		}
		return
	}
	switch typ {
	case 'd': // CopyData
		r.rest = body
	case 'c': // CopyDone
		r.done = true
	case 'f': // CopyFail
		msg, ok := cString(body)
		if !ok {
			r.err = pgerr.Fatal(pgerr.ProtocolViolation, "invalid message format")
			return
		}
		r.err = pgerr.New(pgerr.QueryCanceled, "COPY from stdin failed: %s", msg)
	case 'H', 'S': // Flush, Sync: ignored during COPY
	case 'X':
		r.err = &connLostError{err: io.EOF}
	default:
		// As in PostgreSQL: this statement fails, and then the connection,
		// since what the client sends next cannot be trusted.
		r.err = pgerr.New(pgerr.ProtocolViolation, "unexpected message type 0x%02X during COPY from stdin", typ)
		r.c.syncLost = true
	}
}

// drain discards the rest of the client's data up to CopyDone, after the
// session stopped reading (for example at the `\.` end marker). A
// CopyFail still fails the COPY, as in PostgreSQL.
func (r *copyInReader) drain() error {
	defer r.stopWatch()
	for {
		r.rest = nil
		if r.err != nil {
			return r.err
		}
		if r.done {
			return nil
		}
		r.next()
	}
}

// copyOutWriter sends each Write as one CopyData message.
type copyOutWriter struct{ w *resultWriter }

func (cw copyOutWriter) Write(p []byte) (int, error) {
	if !cw.w.copyOut {
		return 0, pgerr.New(pgerr.InternalError, "write after COPY TO STDOUT ended")
	}
	if len(p) > math.MaxInt32-4 {
		return 0, pgerr.New(pgerr.ProgramLimitExceeded, "COPY data chunk too large")
	}
	c := cw.w.c
	buf, start := beginMessage(c.wbuf, 'd')
	buf = append(buf, p...)
	c.wbuf = finishMessage(buf, start)
	if err := c.maybeFlush(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// cString returns the NUL-terminated string that is all of b.
func cString(b []byte) (string, bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 || i != len(b)-1 {
		return "", false
	}
	return string(b[:i]), true
}
