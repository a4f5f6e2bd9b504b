package pgwire

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// Startup packet codes (the first int32 after the length).
const (
	cancelRequestCode = 1234<<16 | 5678
	sslRequestCode    = 1234<<16 | 5679
	gssEncRequestCode = 1234<<16 | 5680
	protocolMajor     = 3
	// maxStartupPacket is PostgreSQL's MAX_STARTUP_PACKET_LENGTH.
	maxStartupPacket = 10000
	// maxAuthMessage bounds authentication messages like PostgreSQL's
	// PG_MAX_AUTH_TOKEN_LENGTH.
	maxAuthMessage = 65535
	// nameDataLen is PostgreSQL's NAMEDATALEN: longer user and database
	// names are truncated to nameDataLen-1 bytes.
	nameDataLen = 64
)

// startup runs the connection's start: SSLRequest / GSSEncRequest /
// CancelRequest / StartupMessage, authentication, the session, and the
// first ReadyForQuery. It reports whether the connection is ready for
// queries; otherwise the client has been answered (or has gone).
func (c *conn) startup() bool {
	// The deadline first: Shutdown's wake-up deadline, set once we are
	// marked idle, must not be overwritten.
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.cfg.StartupTimeout))
	c.mu.Lock()
	c.idle = true // Shutdown may interrupt the startup
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.idle = false
		c.mu.Unlock()
	}()

	params, ok := c.negotiate()
	if !ok {
		return false
	}
	if !c.srv.admitSession(c) {
		return c.fatal(pgerr.Fatal(pgerr.TooManyConnections, "sorry, too many clients already"))
	}
	user, db := params["user"], params["database"]
	repl, err := replicationMode(params["replication"])
	if err != nil {
		return c.fatal(err)
	}
	if c.srv.cfg.TLSRequired && !c.isTLS() {
		return c.fatal(pgerr.Fatal(pgerr.InvalidAuthorizationSpec,
			"no pg_hba.conf entry for host %q, user %q, database %q, no encryption", c.remoteHost(), user, db))
	}
	if !c.authenticate(user) {
		return false
	}
	c.wbuf = binary.BigEndian.AppendUint32(append(c.wbuf, 'R', 0, 0, 0, 8), 0) // AuthenticationOk
	handler := c.srv.cfg.Handler
	if repl {
		// A physical replication connection is to the cluster, not to a
		// database: the database name is not checked (PostgreSQL's
		// walsender ignores it too).
		if !c.srv.cfg.Auth.MayReplicate(user) {
			return c.fatal(pgerr.Fatal(pgerr.InsufficientPrivilege, "must be superuser or replication role to start walsender"))
		}
		if handler = c.srv.cfg.ReplicationHandler; handler == nil {
			return c.fatal(pgerr.Fatal(pgerr.TooManyConnections, "number of requested standby connections exceeds max_wal_senders (currently 0)"))
		}
	} else if db != c.srv.cfg.Database {
		return c.fatal(pgerr.Fatal(pgerr.InvalidCatalogName, "database %q does not exist", db))
	}

	c.srv.cancels.register(c)
	c.info = StartupInfo{
		User:        user,
		Database:    db,
		Params:      params,
		RemoteAddr:  c.remote,
		ProcessID:   c.pid,
		Notify:      c.notify,
		Notice:      c.notice,
		Replication: repl,
	}
	c.log = c.log.With().Uint32("pid", c.pid).Str("user", user).Logger()
	sess, err := handler.NewSession(c.baseCtx, c.info)
	if err = sessionErr(err); err != nil {
		return c.fatal(asFatal(err))
	}
	if sess == nil {
		return c.fatal(pgerr.Fatal(pgerr.InternalError, "no session"))
	}
	c.sess = sess
	c.stmts = make(map[string]*preparedStmt)
	c.portals = make(map[string]*portalState)

	haveVersion := false
	for _, p := range sess.ParameterStatus() {
		haveVersion = haveVersion || p.Name == "server_version"
		c.wbuf = appendParameterStatus(c.wbuf, p.Name, p.Value)
	}
	if !haveVersion {
		c.wbuf = appendParameterStatus(c.wbuf, "server_version", c.srv.cfg.ServerVersion)
	}
	c.wbuf = appendBackendKeyData(c.wbuf, c.pid, c.secret)
	if !c.sendReady() {
		return false
	}
	if c.srv.shutting.Load() {
		return c.fatal(pgerr.Fatal(pgerr.AdminShutdown, "terminating connection due to administrator command"))
	}
	_ = c.nc.SetDeadline(time.Time{})
	c.log.Debug().Str("database", db).Bool("tls", c.isTLS()).Msg("connection ready")
	return true
}

// asFatal returns err as a FATAL *pgerr.Error: errors that refuse a
// connection end it whatever their severity.
func asFatal(err error) error {
	if pe := pgerr.As(err); pe != nil {
		if pgerr.IsFatal(pe) {
			return pe
		}
		f := *pe
		f.Severity = pgerr.SeverityFatal
		return &f
	}
	return &pgerr.Error{Severity: pgerr.SeverityFatal, Code: pgerr.InternalError, Message: err.Error(), Cause: err}
}

// negotiate reads startup packets until a StartupMessage and returns its
// parameters with user and database set; false when the connection
// ends here (CancelRequest, client gone, or a FATAL sent).
func (c *conn) negotiate() (map[string]string, bool) {
	sslDone, gssDone := false, false
	for {
		pkt, err := c.readStartupPacket()
		if err != nil {
			c.readFailed(err, pgerr.CannotConnectNow, "the database system is shutting down")
			return nil, false
		}
		code := binary.BigEndian.Uint32(pkt)
		switch {
		case code == cancelRequestCode:
			c.handleCancelRequest(pkt)
			return nil, false
		case code == sslRequestCode && !sslDone:
			sslDone = true
			if !c.answerSSLRequest() {
				return nil, false
			}
			continue
		case code == gssEncRequestCode && !gssDone:
			gssDone = true
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return nil, false
			}
			continue
		}
		return c.parseStartupMessage(pkt)
	}
}

// readStartupPacket reads one length-prefixed startup packet and returns
// its body (from the code or protocol version on).
func (c *conn) readStartupPacket() ([]byte, error) {
	hdr, err := c.rd.Peek(4)
	if err != nil {
		if len(hdr) > 0 && errors.Is(err, io.EOF) {
			err = pgerr.Fatal(pgerr.ProtocolViolation, "incomplete startup packet")
		}
		if c.srv.shutting.Load() && isTimeout(err) {
			err = errShuttingDown
		}
		return nil, err
	}
	n := int64(int32(binary.BigEndian.Uint32(hdr))) - 4
	if n < 4 || n > maxStartupPacket {
		return nil, pgerr.Fatal(pgerr.ProtocolViolation, "invalid length of startup packet")
	}
	_, _ = c.rd.Discard(4)
	pkt := make([]byte, n)
	if _, err := io.ReadFull(c.rd, pkt); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, pgerr.Fatal(pgerr.ProtocolViolation, "incomplete startup packet")
		}
		if c.srv.shutting.Load() && isTimeout(err) {
			err = errShuttingDown
		}
		return nil, err
	}
	return pkt, nil
}

// answerSSLRequest answers 'S' and runs the TLS handshake when TLS is
// configured, else 'N'; either way the startup goes on on this socket.
func (c *conn) answerSSLRequest() bool {
	if c.srv.cfg.TLS == nil || c.isTLS() {
		_, err := c.nc.Write([]byte{'N'})
		return err == nil
	}
	if c.rd.Buffered() > 0 {
		// Bytes sent before the handshake were not encrypted: they may have
		// been injected by a man in the middle (CVE-2021-23214).
		e := pgerr.Fatal(pgerr.ProtocolViolation, "received unencrypted data after SSL request")
		e.Detail = "This could be either a client-software bug or evidence of an attempted man-in-the-middle attack."
		return c.fatal(e)
	}
	if _, err := c.nc.Write([]byte{'S'}); err != nil {
		return false
	}
	tc := tls.Server(c.nc, c.srv.cfg.TLS)
	if err := tc.Handshake(); err != nil {
		c.log.Info().Err(err).Msg("TLS handshake failed")
		return false
	}
	c.mu.Lock()
	c.nc = tc
	c.mu.Unlock()
	c.rd.Reset(tc)
	return true
}

func (c *conn) isTLS() bool {
	_, ok := c.nc.(*tls.Conn)
	return ok
}

// remoteHost is the client's address without port, as pg_hba messages
// show it.
func (c *conn) remoteHost() string {
	if host, _, err := net.SplitHostPort(c.remote); err == nil {
		return host
	}
	if c.nc.RemoteAddr().Network() == "unix" {
		return "[local]"
	}
	return c.remote
}

// handleCancelRequest cancels the statement that runs on the connection
// the request names, if its secret key matches. The requesting
// connection gets no answer, as in PostgreSQL.
func (c *conn) handleCancelRequest(pkt []byte) {
	if len(pkt) != 12 {
		c.log.Info().Int("len", len(pkt)+4).Msg("invalid length of cancel request packet")
		return
	}
	pid := binary.BigEndian.Uint32(pkt[4:])
	if !c.srv.cancels.cancel(pid, pkt[8:12]) {
		c.log.Info().Uint32("target_pid", pid).Msg("cancel request: no such process or wrong key")
		return
	}
	c.log.Debug().Uint32("target_pid", pid).Msg("cancel request")
}

// parseStartupMessage checks the protocol version and reads the
// parameters as PostgreSQL 15 does (postmaster.c ProcessStartupPacket).
func (c *conn) parseStartupMessage(pkt []byte) (map[string]string, bool) {
	proto := binary.BigEndian.Uint32(pkt)
	major, minor := proto>>16, proto&0xffff
	if major != protocolMajor {
		return nil, c.fatal(pgerr.Fatal(pgerr.FeatureNotSupported,
			"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major, minor))
	}
	params := make(map[string]string)
	var unrecognized []string
	rest := pkt[4:]
	for len(rest) > 0 && rest[0] != 0 {
		name, afterName, ok := cutCString(rest)
		if !ok {
			break
		}
		value, afterValue, ok := cutCString(afterName)
		if !ok {
			rest = afterName
			break
		}
		rest = afterValue
		if strings.HasPrefix(name, "_pq_.") {
			unrecognized = append(unrecognized, name)
			continue
		}
		params[name] = value
	}
	if len(rest) != 1 {
		return nil, c.fatal(pgerr.Fatal(pgerr.ProtocolViolation, "invalid startup packet layout: expected terminator as last byte"))
	}
	user := truncateName(params["user"])
	if user == "" {
		return nil, c.fatal(pgerr.Fatal(pgerr.InvalidAuthorizationSpec, "no PostgreSQL user name specified in startup packet"))
	}
	db := truncateName(params["database"])
	if db == "" {
		db = user
	}
	params["user"], params["database"] = user, db
	if minor > 0 || len(unrecognized) > 0 {
		// We speak 3.0 only; tell a 3.x client so, and which _pq_ options
		// we ignore, then go on in 3.0. Like PostgreSQL, send the whole
		// version number (196608 = 3.0): libpq reads it so, and pgx ORs
		// the minor into 3.0 either way.
		msg := &pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: pgproto3.ProtocolVersion30, UnrecognizedOptions: unrecognized}
		c.wbuf, _ = msg.Encode(c.wbuf)
	}
	if c.srv.shutting.Load() {
		return nil, c.fatal(pgerr.Fatal(pgerr.CannotConnectNow, "the database system is shutting down"))
	}
	return params, true
}

func cutCString(b []byte) (s string, rest []byte, ok bool) {
	for i, ch := range b {
		if ch == 0 {
			return string(b[:i]), b[i+1:], true
		}
	}
	return "", b, false
}

func truncateName(s string) string {
	if len(s) >= nameDataLen {
		return s[:nameDataLen-1]
	}
	return s
}

// authenticate runs the configured authentication exchange. A client
// that hangs up (psql does, to ask for a password) ends quietly.
func (c *conn) authenticate(user string) bool {
	if c.srv.cfg.Auth == nil {
		return true
	}
	aw := &authWriter{c: c}
	be := pgproto3.NewBackend(byteReader{c.rd}, aw)
	be.SetMaxBodyLen(maxAuthMessage)
	err := sessionErr(c.srv.cfg.Auth.Authenticate(be, user))
	if err == nil {
		// A last message (AuthenticationSASLFinal) may be buffered in be:
		// move it to our buffer, to go out with AuthenticationOk.
		aw.hold = true
		return be.Flush() == nil
	}
	switch {
	case errors.Is(err, ErrClientGone) && c.srv.shutting.Load() && isTimeout(err):
		return c.fatal(pgerr.Fatal(pgerr.CannotConnectNow, "the database system is shutting down"))
	case errors.Is(err, ErrClientGone):
		c.log.Debug().Err(err).Msg("client left during authentication")
		return false
	case pgerr.As(err) != nil:
		c.log.Info().Err(err).Msg("authentication failed")
		return c.fatal(asFatal(err))
	}
	c.log.Info().Err(err).Msg("authentication failed")
	return c.fatal(pgerr.Fatal(pgerr.ProtocolViolation, "%s", fmt.Sprint(err)))
}

// authWriter is where the authentication Backend writes: through the
// connection's buffer, flushed at once while the exchange runs, held
// once it is over.
type authWriter struct {
	c    *conn
	hold bool
}

func (w *authWriter) Write(p []byte) (int, error) {
	w.c.wbuf = append(w.c.wbuf, p...)
	if w.hold {
		return len(p), nil
	}
	if err := w.c.flush(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// byteReader hands out one byte per Read, so that the pgproto3.Backend
// used for authentication never reads ahead of the message it needs:
// what follows stays in the connection's reader.
type byteReader struct{ rd *bufio.Reader }

func (r byteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := r.rd.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

// replicationMode reads the startup parameter "replication": true (and
// PostgreSQL's other boolean spellings) asks for a physical replication
// connection; "database" (logical replication) is not offered.
func replicationMode(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "false", "off", "no", "0":
		return false, nil
	case "true", "on", "yes", "1":
		return true, nil
	case "database":
		return false, pgerr.Fatal(pgerr.FeatureNotSupported, "logical replication is not supported")
	}
	return false, pgerr.Fatal(pgerr.InvalidParameterValue, "invalid value for parameter \"replication\": %q", v)
}
