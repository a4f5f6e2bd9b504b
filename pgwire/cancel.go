package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"sync"
)

// errCancelRequest is the cause of a statement context cancelled by a
// client's CancelRequest; errAdminShutdown the cause when the server shuts
// down. errors.go maps them to 57014 and 57P01.
var (
	errCancelRequest = errors.New("pgwire: cancel request")
	errAdminShutdown = errors.New("pgwire: server shutting down")
)

// Process ids are handed out from a counter in [minProcessID,
// maxProcessID]: positive int32 values, as clients print and store them.
const (
	minProcessID = 10000
	maxProcessID = 1<<31 - 1
)

// cancelRegistry maps a BackendKeyData process id to its connection, so
// that a CancelRequest arriving on another connection can cancel the
// statement running there.
type cancelRegistry struct {
	mu    sync.Mutex // guards the fields below
	conns map[uint32]*conn
	next  uint32
}

func (r *cancelRegistry) init() {
	r.conns = make(map[uint32]*conn)
	var b [4]byte
	_, _ = rand.Read(b[:])
	// Start somewhere random so that a restarted server does not hand out
	// the ids of the previous one again at once.
	r.next = minProcessID + binary.BigEndian.Uint32(b[:])%(1<<20)
}

// register assigns c a process id unique among the live connections and a
// random secret key.
func (r *cancelRegistry) register(c *conn) (pid, secret uint32) {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	secret = binary.BigEndian.Uint32(b[:])
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		pid = r.next
		r.next++
		if r.next > maxProcessID || r.next < minProcessID {
			r.next = minProcessID
		}
		if _, taken := r.conns[pid]; !taken {
			break
		}
	}
	r.conns[pid] = c
	c.pid, c.secret = pid, secret
	return pid, secret
}

func (r *cancelRegistry) unregister(pid uint32) {
	if pid == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.conns, pid)
}

// cancel cancels the statement running on connection pid if key is its
// secret. It reports whether the key matched; a wrong key does nothing,
// as in PostgreSQL.
func (r *cancelRegistry) cancel(pid uint32, key []byte) bool {
	r.mu.Lock()
	c := r.conns[pid]
	var want [4]byte
	if c != nil {
		binary.BigEndian.PutUint32(want[:], c.secret)
	}
	r.mu.Unlock()
	if c == nil || len(key) != 4 {
		return false
	}
	if subtle.ConstantTimeCompare(want[:], key) != 1 {
		return false
	}
	c.cancelStatement(errCancelRequest)
	return true
}

// beginStatement returns the context for one call into the session and
// marks the connection busy: a CancelRequest now cancels it. The context
// is reused across statements until one is cancelled.
func (c *conn) beginStatement() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stmtCtx == nil || c.stmtCtx.Err() != nil {
		c.stmtCtx, c.stmtCancel = context.WithCancelCause(c.baseCtx)
	}
	c.busy = true
	return c.stmtCtx
}

// endStatement marks the connection not busy: a CancelRequest arriving
// now is ignored, as PostgreSQL ignores one for an idle backend.
func (c *conn) endStatement() {
	c.mu.Lock()
	c.busy = false
	c.mu.Unlock()
}

// cancelStatement cancels the running statement, if any, with cause.
func (c *conn) cancelStatement(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy && c.stmtCancel != nil {
		c.stmtCancel(cause)
	}
}

// currentStatementContext returns the context of the running statement.
func (c *conn) currentStatementContext() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stmtCtx == nil {
		return c.baseCtx
	}
	return c.stmtCtx
}
