package replica

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/replisql/replisql/pgwire"
	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/wal"
)

// walSender is the session of one replication connection. It answers the
// replication commands a follower sends:
//
//	IDENTIFY_SYSTEM
//	START_REPLICATION [SLOT name] [PHYSICAL] X/X [TIMELINE n]
//	BASE_BACKUP
//
// BASE_BACKUP is RepliSQL's own: it streams the newest snapshot (taking
// one if there is none) as COPY TO STDOUT data: one line of JSON
// ({"lsn":"0/…","sha256":"…","size":n}) and a newline, then the
// snapshot's bytes. The follower restores it and streams the WAL from the
// snapshot's LSN, which the leader keeps (it purges only before its
// oldest snapshot).
type walSender struct {
	l    *Leader
	info pgwire.StartupInfo
	log  zerolog.Logger
}

// Timing of the stream.
const (
	// keepaliveEvery is how often an idle sender sends a keepalive asking
	// for a reply (PostgreSQL: wal_sender_timeout / 2).
	keepaliveEvery = time.Second
	// senderTimeout ends a stream whose standby said nothing for this
	// long (PostgreSQL's wal_sender_timeout).
	senderTimeout = 60 * time.Second
	// maxBatch bounds the WAL bytes of one XLogData message (unless one
	// record is larger).
	maxBatch = 256 << 10
	// snapshotChunk is the size of one CopyData of BASE_BACKUP.
	snapshotChunk = 256 << 10
)

func (ws *walSender) ParameterStatus() []pgwire.Param {
	return []pgwire.Param{
		{Name: "application_name", Value: ws.info.Params["application_name"]},
		{Name: "client_encoding", Value: "UTF8"},
		{Name: "DateStyle", Value: "ISO, MDY"},
		{Name: "integer_datetimes", Value: "on"},
		{Name: "IntervalStyle", Value: "postgres"},
		{Name: "is_superuser", Value: "on"},
		{Name: "server_encoding", Value: "UTF8"},
		{Name: "server_version", Value: pgwire.DefaultServerVersion},
		{Name: "session_authorization", Value: ws.info.User},
		{Name: "standard_conforming_strings", Value: "on"},
		{Name: "TimeZone", Value: "UTC"},
	}
}

func (ws *walSender) TxStatus() byte             { return 'I' }
func (ws *walSender) SyncError()                 {}
func (ws *walSender) Sync(context.Context) error { return nil }
func (ws *walSender) Close()                     {}

var errExtended = pgerr.New(pgerr.ProtocolViolation, "extended query protocol not supported in a replication connection")

func (ws *walSender) Prepare(context.Context, string, []uint32) (pgwire.Prepared, error) {
	return nil, errExtended
}

func (ws *walSender) Bind(context.Context, pgwire.Prepared, []any) (pgwire.Portal, error) {
	return nil, errExtended
}

func (ws *walSender) Query(ctx context.Context, sql string, w pgwire.ResultWriter) error {
	cmd := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(sql), ";"))
	words := strings.Fields(cmd)
	if len(words) == 0 {
		return w.EmptyQuery()
	}
	switch strings.ToUpper(words[0]) {
	case "IDENTIFY_SYSTEM":
		if len(words) != 1 {
			break
		}
		return ws.identifySystem(w)
	case "START_REPLICATION":
		start, err := parseStartReplication(words[1:])
		if err != nil {
			return err
		}
		return ws.startReplication(ctx, start, w)
	case "BASE_BACKUP":
		if len(words) != 1 {
			break
		}
		return ws.baseBackup(ctx, w)
	default:
		return pgerr.New(pgerr.FeatureNotSupported, "cannot execute SQL commands in WAL sender for physical replication")
	}
	return pgerr.New(pgerr.SyntaxError, "syntax error in replication command %q", cmd)
}

// parseStartReplication reads START_REPLICATION's arguments; the timeline
// (the follower's term) is accepted and not yet checked.
func parseStartReplication(args []string) (wal.LSN, error) {
	bad := pgerr.New(pgerr.SyntaxError, "syntax error: START_REPLICATION [SLOT name] [PHYSICAL] X/X [TIMELINE n]")
	if len(args) >= 2 && strings.EqualFold(args[0], "SLOT") {
		return 0, pgerr.New(pgerr.FeatureNotSupported, "replication slots are not supported")
	}
	if len(args) > 0 && strings.EqualFold(args[0], "PHYSICAL") {
		args = args[1:]
	}
	if len(args) == 0 {
		return 0, bad
	}
	lsn, err := wal.ParseLSN(args[0])
	if err != nil {
		return 0, bad
	}
	args = args[1:]
	if len(args) == 2 && strings.EqualFold(args[0], "TIMELINE") {
		if _, err := strconv.ParseUint(args[1], 10, 32); err != nil {
			return 0, bad
		}
		args = args[2:]
	}
	if len(args) != 0 {
		return 0, bad
	}
	return lsn, nil
}

func (ws *walSender) identifySystem(w pgwire.ResultWriter) error {
	cols := []pgwire.Column{
		{Name: "systemid", TypeOID: pgwire.OIDText, TypeSize: -1, TypeModifier: -1},
		{Name: "timeline", TypeOID: pgwire.OIDInt4, TypeSize: 4, TypeModifier: -1},
		{Name: "xlogpos", TypeOID: pgwire.OIDText, TypeSize: -1, TypeModifier: -1},
		{Name: "dbname", TypeOID: pgwire.OIDText, TypeSize: -1, TypeModifier: -1},
	}
	if err := w.Describe(cols); err != nil {
		return err
	}
	lw := ws.l.st.WAL()
	if err := w.Row([]any{ws.l.systemID, int64(1), lw.FlushedLSN().String(), nil}); err != nil {
		return err
	}
	return w.Complete("IDENTIFY_SYSTEM")
}

// startReplication streams the WAL from start until the standby goes
// away, the stream fails, or the server shuts down.
func (ws *walSender) startReplication(ctx context.Context, start wal.LSN, w pgwire.ResultWriter) error {
	lw := ws.l.st.WAL()
	if flushed := lw.FlushedLSN(); start > flushed {
		return pgerr.New(pgerr.ObjectNotInPrerequisiteState,
			"requested starting point %s is ahead of the WAL flush position of this server %s", start, flushed)
	}
	r, err := lw.NewReader(start)
	switch {
	case errors.Is(err, wal.ErrPurged):
		return &pgerr.Error{Code: pgerr.UndefinedFile,
			Message: fmt.Sprintf("requested WAL segment for %s has already been removed", start),
			Detail:  fmt.Sprintf("The oldest WAL this server keeps starts at %s; take BASE_BACKUP.", lw.FirstLSN())}
	case err != nil:
		return pgerr.New(pgerr.ObjectNotInPrerequisiteState, "cannot start replication at %s: %v", start, err)
	}
	stream, err := w.CopyBoth()
	if err != nil {
		return err
	}
	s := &sender{standbyPos: standbyPos{name: standbyName(ws.info)}, pid: ws.info.ProcessID, addr: ws.info.RemoteAddr, started: time.Now(), state: "catchup", sent: start}
	ws.l.register(s)
	defer ws.l.unregister(s)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	// When the standby last said something, for the sender's timeout.
	var lastReply atomic.Int64
	lastReply.Store(time.Now().UnixNano())
	wg.Add(1)
	go func() {
		defer wg.Done()
		cancel(ws.receive(stream, s, &lastReply))
	}()
	err = ws.send(ctx, r, stream, s, &lastReply)
	cancel(err)
	if ctx.Err() == nil || errors.Is(context.Cause(ctx), io.EOF) {
		// The standby ended its half: end ours.
		stream.Done()
	}
	stream.Interrupt()
	wg.Wait()
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, io.EOF):
		ws.log.Info().Stringer("sent", s.sent).Msg("standby ended streaming")
		return w.Complete("START_REPLICATION")
	case errors.Is(cause, wal.ErrTruncated):
		return pgerr.Fatal(pgerr.ObjectNotInPrerequisiteState, "the WAL was truncated under the stream: %v", cause)
	}
	if pgerr.As(cause) != nil {
		return cause
	}
	return pgerr.Fatal(pgerr.ConnectionFailure, "streaming to standby %q ended: %v", s.name, cause)
}

// receive reads the standby's status updates until it sends CopyDone
// (io.EOF) or the connection fails.
func (ws *walSender) receive(stream pgwire.CopyStream, s *sender, lastReply *atomic.Int64) error {
	for {
		b, err := stream.Recv()
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return pgerr.Fatal(pgerr.ProtocolViolation, "empty CopyData from standby")
		}
		switch b[0] {
		case msgStatus:
			st, err := parseStandbyStatus(b)
			if err != nil {
				return pgerr.Fatal(pgerr.ProtocolViolation, "%v", err)
			}
			ws.l.noteStatus(s, st)
		case 'h': // hot standby feedback: nothing to hold back here
		default:
			return pgerr.Fatal(pgerr.ProtocolViolation, "unexpected standby message type %q", b[0])
		}
		lastReply.Store(time.Now().UnixNano())
	}
}

// send streams records as they become durable, and keepalives when idle.
func (ws *walSender) send(ctx context.Context, r *wal.Reader, stream pgwire.CopyStream, s *sender, lastReply *atomic.Int64) error {
	lw := ws.l.st.WAL()
	var buf []byte
	idle := newIdleDeadline(ctx)
	defer idle.stop()
	for {
		rec, err := r.Next(idle.context())
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			if !idle.passed() {
				continue // messages went out since the deadline was set
			}
			if time.Since(time.Unix(0, lastReply.Load())) > senderTimeout {
				return pgerr.Fatal(pgerr.ConnectionFailure, "terminating walsender process due to replication timeout")
			}
			ws.l.noteSent(s, r.Pos(), true)
			buf = appendKeepalive(buf[:0], keepalive{WALEnd: lw.FlushedLSN(), Sent: time.Now(), ReplyRequested: true})
			if err := stream.Send(buf); err != nil {
				return err
			}
			idle.reset()
			continue
		}
		if err := ws.waitApplied(ctx, rec.End()); err != nil {
			return err
		}
		start := rec.LSN
		buf = appendXLogDataHeader(buf[:0], start, lw.FlushedLSN(), time.Now())
		buf = wal.AppendRecord(buf, rec.LSN, rec.Term, rec.Type, rec.Payload)
		// More records already durable and applied go in the same message.
		for len(buf) < maxBatch && r.Pos() < min(lw.FlushedLSN(), ws.l.st.AppliedLSN()) {
			rec, err = r.Next(ctx)
			if err != nil {
				return err
			}
			buf = wal.AppendRecord(buf, rec.LSN, rec.Term, rec.Type, rec.Payload)
		}
		if err := stream.Send(buf); err != nil {
			return err
		}
		idle.reset()
		ws.l.noteSent(s, r.Pos(), r.Pos() >= lw.FlushedLSN())
		if cap(buf) > 4*maxBatch {
			buf = nil
		}
	}
}

// idleDeadline is the context a sender waits for records under: it ends
// keepaliveEvery after the stream's last message, when a keepalive is
// due. The context is made anew only after its deadline passed, so
// streaming a message costs no timer.
type idleDeadline struct {
	parent context.Context
	at     time.Time // keepaliveEvery after the last message
	ctx    context.Context
	cancel context.CancelFunc
}

func newIdleDeadline(parent context.Context) *idleDeadline {
	d := &idleDeadline{parent: parent}
	d.reset()
	return d
}

// reset notes a message sent now.
func (d *idleDeadline) reset() { d.at = time.Now().Add(keepaliveEvery) }

// context ends at the idle deadline (or, when a message went out since it
// was made, before it: passed tells which).
func (d *idleDeadline) context() context.Context {
	if d.ctx == nil || d.ctx.Err() != nil {
		d.stop()
		d.ctx, d.cancel = context.WithDeadline(d.parent, d.at)
	}
	return d.ctx
}

// passed reports whether the stream has been idle for keepaliveEvery.
func (d *idleDeadline) passed() bool { return !time.Now().Before(d.at) }

func (d *idleDeadline) stop() {
	if d.cancel != nil {
		d.cancel()
	}
}

// waitApplied waits until the leader's SQLite committed the record ending
// at end. A record is appended (and may be fsynced by another commit's
// group fsync) before its SQLite commit; if that commit fails, the record
// is cut off the WAL again. A follower must never receive such a record,
// so a record goes out only once it is both durable and applied.
func (ws *walSender) waitApplied(ctx context.Context, end wal.LSN) error {
	st, lw := ws.l.st, ws.l.st.WAL()
	if st.AppliedLSN() >= end {
		return nil
	}
	poll := time.NewTicker(200 * time.Microsecond)
	defer poll.Stop()
	for st.AppliedLSN() < end {
		if lw.EndLSN() < end {
			return fmt.Errorf("%w: the record ending at %s was removed after its commit failed", wal.ErrTruncated, end)
		}
		// The record's batch is committed once a member was acknowledged.
		if err := st.Publish(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-poll.C:
		}
	}
	return nil
}

// snapshotHeader is the first line of BASE_BACKUP's data.
type snapshotHeader struct {
	LSN    string `json:"lsn"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// baseBackup sends the newest snapshot.
func (ws *walSender) baseBackup(ctx context.Context, w pgwire.ResultWriter) error {
	st := ws.l.st
	snaps, err := st.Snapshots()
	if err != nil {
		return err
	}
	var path, sum string
	var lsn wal.LSN
	if len(snaps) > 0 {
		last := snaps[len(snaps)-1]
		path, sum, lsn = last.Path, last.SHA256, last.LSN
	}
	if path == "" || lsn < st.WAL().FirstLSN() {
		info, err := st.Snapshot(ctx)
		if err != nil {
			return pgerr.Wrap(err, pgerr.InternalError, "take a snapshot for the standby: %v", err)
		}
		path, sum, lsn = info.Path, info.SHA256, info.LSN
	}
	f, err := os.Open(path)
	if err != nil {
		// Retention may have removed it just now: the standby retries.
		return pgerr.Wrap(err, pgerr.UndefinedFile, "open snapshot %s: %v", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	hdr, _ := json.Marshal(snapshotHeader{LSN: lsn.String(), SHA256: sum, Size: fi.Size()})
	out, err := w.CopyOut(pgwire.CopyBinary, 0)
	if err != nil {
		return err
	}
	if _, err := out.Write(append(hdr, '\n')); err != nil {
		return err
	}
	ws.log.Info().Str("snapshot", path).Stringer("lsn", lsn).Int64("bytes", fi.Size()).Msg("sending snapshot to standby")
	buf := make([]byte, snapshotChunk)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := f.Read(buf)
		if n > 0 {
			if _, werr := out.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	return w.Complete("BASE_BACKUP")
}
