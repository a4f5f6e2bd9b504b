package replica

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"

	"github.com/replisql/replisql/pgwire/pgerr"
	"github.com/replisql/replisql/store"
	"github.com/replisql/replisql/wal"
)

// FollowerConfig configures a follower.
type FollowerConfig struct {
	// Name is the follower's name: its application_name on the leader,
	// what synchronous_standby_names lists.
	Name string
	// Leader is the leader's address, host:port.
	Leader string
	// User and Password authenticate the replication connection (the
	// role needs the replication attribute when it is in the leader's
	// users file).
	User, Password string
	Logger         zerolog.Logger
}

// Follower receives the leader's WAL into its store's WAL, fsyncs it,
// applies it in order, and reports its write, flush and apply positions
// to the leader. A follower whose position the leader purged restores
// the leader's snapshot first.
type Follower struct {
	cfg FollowerConfig
	st  *store.Store
	log zerolog.Logger

	leaderEnd  atomic.Uint64 // the leader's flushed WAL end, as last heard
	lastReplay atomic.Int64  // start time (unix µs) of the last applied transaction
	broken     atomic.Pointer[error]

	statusKick chan struct{}
}

// NewFollower returns a follower of cfg.Leader over st. Run starts it.
func NewFollower(st *store.Store, cfg FollowerConfig) *Follower {
	if cfg.User == "" {
		cfg.User = "postgres"
	}
	return &Follower{
		cfg:        cfg,
		st:         st,
		log:        cfg.Logger.With().Str("component", "replication").Str("leader", cfg.Leader).Logger(),
		statusKick: make(chan struct{}, 1),
	}
}

// Healthy reports nil while the follower applies what it receives, and
// the reason when it stopped (a record that does not apply).
func (f *Follower) Healthy() error {
	if p := f.broken.Load(); p != nil {
		return *p
	}
	return nil
}

// ReceivedLSN is the end of the WAL received (pg_last_wal_receive_lsn).
func (f *Follower) ReceivedLSN() wal.LSN { return f.st.WAL().FlushedLSN() }

// LastReplayTime is when the last applied transaction started on the
// leader (pg_last_xact_replay_timestamp); zero when none was applied.
func (f *Follower) LastReplayTime() time.Time {
	us := f.lastReplay.Load()
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

// errNeedSnapshot says the leader no longer has the WAL the follower needs.
var errNeedSnapshot = errors.New("replica: the leader purged the WAL this follower needs")

// Backoff of reconnection.
const (
	minBackoff     = 100 * time.Millisecond
	maxBackoff     = 5 * time.Second
	connectTimeout = 10 * time.Second
	// receiveTimeout ends a stream on which the leader (which sends a
	// keepalive every second) said nothing (wal_receiver_timeout).
	receiveTimeout = 30 * time.Second
	statusEvery    = time.Second
)

// Run follows the leader until ctx ends.
func (f *Follower) Run(ctx context.Context) error {
	f.log.Info().Str("name", f.cfg.Name).Stringer("applied", f.st.AppliedLSN()).Msg("following the leader")
	backoff := minBackoff
	for {
		actx, stopApply := context.WithCancel(ctx)
		applied := make(chan struct{})
		go func() { defer close(applied); f.applyLoop(actx) }()
		var err error
		for {
			began := time.Now()
			err = f.stream(ctx)
			if ctx.Err() != nil || errors.Is(err, errNeedSnapshot) {
				break
			}
			if time.Since(began) > 10*time.Second {
				backoff = minBackoff
			}
			f.log.Warn().Err(err).Dur("retry_in", backoff).Msg("replication stream ended")
			if !sleep(ctx, backoff) {
				break
			}
			backoff = min(backoff*2, maxBackoff)
		}
		stopApply()
		<-applied
		if ctx.Err() != nil {
			return nil
		}
		f.log.Warn().Stringer("position", f.st.WAL().EndLSN()).Msg("the leader no longer has the WAL from this follower's position: restoring its snapshot")
		for {
			err := f.bootstrap(ctx)
			if err == nil {
				break
			}
			f.log.Error().Err(err).Dur("retry_in", backoff).Msg("restore from the leader's snapshot")
			if !sleep(ctx, backoff) {
				return nil
			}
			backoff = min(backoff*2, maxBackoff)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	d += time.Duration(rand.Int64N(int64(d)/4 + 1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// applyLoop applies flushed records in order until ctx ends or a record
// fails to apply (then the follower is broken: invariant 4).
func (f *Follower) applyLoop(ctx context.Context) {
	if f.Healthy() != nil {
		return
	}
	lw := f.st.WAL()
	var r *wal.Reader
	for ctx.Err() == nil {
		if r == nil {
			var err error
			from := f.st.NextApplyLSN()
			if r, err = lw.NewReader(from); err != nil {
				f.fail(fmt.Errorf("read the WAL at the applied position %s: %w", from, err))
				return
			}
		}
		rec, err := r.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, wal.ErrClosed) {
				return
			}
			if errors.Is(err, wal.ErrTruncated) {
				r = nil
				continue
			}
			f.fail(fmt.Errorf("read the WAL at %s: %w", r.Pos(), err))
			return
		}
		start, err := f.st.Apply(ctx, rec)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, store.ErrApply) {
				f.fail(err)
				return
			}
			// A transient failure (the writer was busy): try the same
			// record again.
			f.log.Warn().Err(err).Stringer("lsn", rec.LSN).Msg("apply failed; retrying")
			r = nil
			sleep(ctx, minBackoff)
			continue
		}
		f.lastReplay.Store(start.UnixMicro())
		f.kickStatus()
	}
}

// fail marks the follower broken: it stops applying and must not serve
// reads.
func (f *Follower) fail(err error) {
	if f.broken.CompareAndSwap(nil, &err) {
		f.log.Error().Err(err).Stringer("applied", f.st.AppliedLSN()).
			Msg("this follower cannot apply the leader's WAL: it stopped applying and no longer serves reads; restore it from a snapshot (delete its data directory and restart it)")
	}
}

func (f *Follower) kickStatus() {
	select {
	case f.statusKick <- struct{}{}:
	default:
	}
}

// replConn is a replication connection after startup: pgconn did the
// authentication, then handed the socket over.
type replConn struct {
	nc   net.Conn
	fe   *pgproto3.Frontend
	stop func() bool // ends the watch on the context
	wmu  sync.Mutex
	buf  []byte
}

func (f *Follower) connect(ctx context.Context) (*replConn, error) {
	host, port, err := net.SplitHostPort(f.cfg.Leader)
	if err != nil {
		return nil, fmt.Errorf("leader address %q: %w", f.cfg.Leader, err)
	}
	cfg, err := pgconn.ParseConfig(fmt.Sprintf("host=%s port=%s sslmode=prefer connect_timeout=10", host, port))
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Password = f.cfg.User, f.cfg.Password
	cfg.RuntimeParams["replication"] = "true"
	cfg.RuntimeParams["application_name"] = f.cfg.Name
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	pc, err := pgconn.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, err
	}
	hj, err := pc.Hijack()
	if err != nil {
		pc.Close(context.Background())
		return nil, err
	}
	c := &replConn{nc: hj.Conn, fe: hj.Frontend}
	// Ending ctx closes the socket, which ends a blocked receive.
	c.stop = context.AfterFunc(ctx, func() { c.nc.Close() })
	return c, nil
}

func (c *replConn) close() {
	c.stop()
	c.nc.Close()
}

// send writes one frontend message.
func (c *replConn) send(typ byte, body []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.buf = append(c.buf[:0], typ, 0, 0, 0, 0)
	c.buf = append(c.buf, body...)
	binary.BigEndian.PutUint32(c.buf[1:], uint32(len(c.buf)-1))
	_ = c.nc.SetWriteDeadline(time.Now().Add(receiveTimeout))
	_, err := c.nc.Write(c.buf)
	return err
}

func (c *replConn) query(sql string) error { return c.send('Q', append([]byte(sql), 0)) }

// receive reads one backend message, failing after receiveTimeout.
func (c *replConn) receive() (pgproto3.BackendMessage, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(receiveTimeout))
	return c.fe.Receive()
}

// stream runs one replication connection until it fails.
func (f *Follower) stream(ctx context.Context) error {
	c, err := f.connect(ctx)
	if err != nil {
		return err
	}
	defer c.close()

	lw := f.st.WAL()
	start := lw.EndLSN()
	if err := c.query(fmt.Sprintf("START_REPLICATION PHYSICAL %s TIMELINE 1", start)); err != nil {
		return err
	}
	for started := false; !started; {
		msg, err := c.receive()
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyBothResponse:
			started = true
		case *pgproto3.ErrorResponse:
			pe := pgconn.ErrorResponseToPgError(m)
			if pgerr.Code(pe.Code) == pgerr.UndefinedFile { // startReplication: the position was purged
				return fmt.Errorf("%w: %v", errNeedSnapshot, pe)
			}
			return pe
		case *pgproto3.NoticeResponse, *pgproto3.ParameterStatus:
		default:
			return fmt.Errorf("unexpected %T before CopyBothResponse", msg)
		}
	}
	f.log.Info().Stringer("from", start).Msg("streaming from the leader")

	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		c.close() // unblocks a status update stuck on the socket
		wg.Wait()
	}()
	flushKick := make(chan struct{}, 1)
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs <- f.flushLoop(sctx, flushKick) }()
	go func() { defer wg.Done(); errs <- f.statusLoop(sctx, c) }()

	for {
		select {
		case err := <-errs:
			return err
		default:
		}
		msg, err := c.receive()
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := f.handleCopyData(m.Data, flushKick); err != nil {
				return err
			}
		case *pgproto3.CopyDone:
			c.send('c', nil)
			return errors.New("the leader ended the stream")
		case *pgproto3.ErrorResponse:
			return pgconn.ErrorResponseToPgError(m)
		case *pgproto3.NoticeResponse, *pgproto3.ParameterStatus:
		default:
			return fmt.Errorf("unexpected %T while streaming", msg)
		}
	}
}

// handleCopyData appends the records of an XLogData message, or answers
// a keepalive.
func (f *Follower) handleCopyData(b []byte, flushKick chan struct{}) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty CopyData", errMessage)
	}
	switch b[0] {
	case msgKeepalive:
		k, err := parseKeepalive(b)
		if err != nil {
			return err
		}
		f.leaderEnd.Store(uint64(k.WALEnd))
		if k.ReplyRequested {
			f.kickStatus()
		}
		return nil
	case msgXLogData:
	default:
		return fmt.Errorf("%w: unknown message type %q", errMessage, b[0])
	}
	x, err := parseXLogData(b)
	if err != nil {
		return err
	}
	f.leaderEnd.Store(uint64(x.WALEnd))
	lw := f.st.WAL()
	if x.Start != lw.EndLSN() {
		return fmt.Errorf("the leader sent WAL from %s, this follower's WAL ends at %s", x.Start, lw.EndLSN())
	}
	for off := 0; off < len(x.Data); {
		at := x.Start + wal.LSN(off)
		rec, n, err := wal.DecodeRecord(x.Data[off:], at)
		if err != nil {
			return fmt.Errorf("record from the leader at %s: %w", at, err)
		}
		if _, err := lw.AppendAt(rec.LSN, rec.Term, rec.Type, rec.Payload); err != nil {
			return fmt.Errorf("append record %s: %w", rec.LSN, err)
		}
		off += n
	}
	// What the status reports as written is in the files.
	if err := lw.Write(lw.EndLSN()); err != nil {
		return fmt.Errorf("write received WAL: %w", err)
	}
	select {
	case flushKick <- struct{}{}:
	default:
	}
	return nil
}

// flushLoop fsyncs what was received (group commit on the follower's own
// WAL) and reports it.
func (f *Follower) flushLoop(ctx context.Context, kick chan struct{}) error {
	lw := f.st.WAL()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-kick:
		}
		if err := lw.Sync(ctx, lw.EndLSN()); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("fsync received WAL: %w", err)
		}
		f.kickStatus()
	}
}

// statusLoop sends standby status updates when a position moved and at
// least every statusEvery.
func (f *Follower) statusLoop(ctx context.Context, c *replConn) error {
	lw := f.st.WAL()
	t := time.NewTicker(statusEvery)
	defer t.Stop()
	var last standbyStatus
	var buf []byte
	for {
		force := false
		select {
		case <-ctx.Done():
			return nil
		case <-f.statusKick:
		case <-t.C:
			force = true
		}
		st := standbyStatus{Write: lw.WrittenLSN(), Flush: lw.FlushedLSN(), Apply: f.st.AppliedLSN(), Sent: time.Now()}
		if !force && st.Write == last.Write && st.Flush == last.Flush && st.Apply == last.Apply {
			continue
		}
		last = st
		buf = appendStandbyStatus(buf[:0], st)
		if err := c.send('d', buf); err != nil {
			return fmt.Errorf("send status: %w", err)
		}
	}
}

// bootstrap fetches the leader's snapshot and restores it.
func (f *Follower) bootstrap(ctx context.Context) error {
	c, err := f.connect(ctx)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.query("BASE_BACKUP"); err != nil {
		return err
	}
	dir := filepath.Dir(f.st.Path())
	tmp := filepath.Join(dir, "snapshot-from-leader.tmp")
	defer os.Remove(tmp)
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	var hdr *snapshotHeader
	var pending []byte // header bytes until its newline
	sum := sha256.New()
	var got int64
	lastLog := time.Now()
	w := bufio.NewWriterSize(io.MultiWriter(out, sum), 1<<20)
	for done := false; !done; {
		msg, err := c.receive()
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyOutResponse:
		case *pgproto3.CopyData:
			data := m.Data
			if hdr == nil {
				pending = append(pending, data...)
				i := bytes.IndexByte(pending, '\n')
				if i < 0 {
					if len(pending) > 4096 {
						return fmt.Errorf("%w: snapshot header too long", errMessage)
					}
					continue
				}
				hdr = &snapshotHeader{}
				if err := json.Unmarshal(pending[:i], hdr); err != nil {
					return fmt.Errorf("%w: snapshot header: %v", errMessage, err)
				}
				f.log.Info().Str("lsn", hdr.LSN).Int64("bytes", hdr.Size).Msg("receiving the leader's snapshot")
				data = pending[i+1:]
			}
			if _, err := w.Write(data); err != nil {
				return err
			}
			got += int64(len(data))
			if time.Since(lastLog) > 5*time.Second {
				lastLog = time.Now()
				f.log.Info().Int64("received", got).Int64("of", hdr.Size).Msg("receiving the leader's snapshot")
			}
		case *pgproto3.CopyDone, *pgproto3.NoticeResponse, *pgproto3.ParameterStatus:
		case *pgproto3.CommandComplete:
			done = true
		case *pgproto3.ErrorResponse:
			return pgconn.ErrorResponseToPgError(m)
		default:
			return fmt.Errorf("unexpected %T during BASE_BACKUP", msg)
		}
	}
	if hdr == nil {
		return fmt.Errorf("%w: BASE_BACKUP sent no snapshot", errMessage)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	if got != hdr.Size || hex.EncodeToString(sum.Sum(nil)) != hdr.SHA256 {
		return fmt.Errorf("the snapshot arrived damaged: %d of %d bytes, checksum mismatch or short", got, hdr.Size)
	}
	lsn, err := wal.ParseLSN(hdr.LSN)
	if err != nil {
		return fmt.Errorf("%w: snapshot LSN %q", errMessage, hdr.LSN)
	}
	if err := f.st.Restore(ctx, tmp, lsn); err != nil {
		return err
	}
	f.broken.Store(nil)
	return nil
}
